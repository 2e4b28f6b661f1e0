package web

import (
	"bytes"
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/instance"
)

// says is a catalogue message as a page shows it (escaped), so a test
// asserts the message key rather than a copy of its wording.
func (h *harness) says(key string, args ...any) string {
	// html/template also escapes "+" in text.
	return strings.ReplaceAll(html.EscapeString(h.web.cat.text("en", key, args...)), "+", "&#43;")
}

// Signing in to a deleted account gets the ordinary "not right" answer,
// never "something went wrong" (its stored hash is "!", which the password
// check used to fail on), and a damaged hash is a wrong password too, with
// a warning for the operator.
func TestSignInToDeletedOrDamagedAccount(t *testing.T) {
	var logs bytes.Buffer
	h := newHarness(t, instance.RegistrationOpen, func(o *instance.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	h.member("ann")
	ann := h.as("ann")
	if r := ann.post("/settings/delete", url.Values{"password": {pw}}); r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.status)
	}
	r := h.client().post("/login", url.Values{"login": {"ann"}, "password": {pw}})
	if r.status != http.StatusUnauthorized {
		t.Errorf("sign-in to a deleted account: %d, want 401", r.status)
	}
	mustContain(t, r.body, h.says("login.bad"))
	mustNotContain(t, r.body, h.says("error.internal"))

	bob := h.member("bob")
	if _, err := h.store.DB().Exec(h.store.SQL(`UPDATE members SET password_hash = '$bcrypt$not-ours' WHERE id = ?`), bob.ID); err != nil {
		t.Fatal(err)
	}
	r = h.client().post("/login", url.Values{"login": {"bob"}, "password": {pw}})
	if r.status != http.StatusUnauthorized {
		t.Errorf("sign-in with a damaged hash: %d, want 401", r.status)
	}
	mustContain(t, r.body, h.says("login.bad"))
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "stored password hash cannot be read") {
		t.Errorf("no warning about the damaged hash in the log:\n%s", logs.String())
	}
	if m, _ := h.svc.MemberByID(context.Background(), bob.ID); m == nil || m.Status != instance.StatusActive {
		t.Error("bob's account changed")
	}
}

// An invite link means approved in every mode: in approval mode the
// invitee is not asked the application question, is active at once, and
// the invite is spent (it leaves the coordinator's list and works no more).
func TestInviteInApprovalModeMeansApproved(t *testing.T) {
	h := newHarness(t, instance.RegistrationApproval)
	h.member("cora", instance.RoleCoordinator)
	cora := h.as("cora")
	r := cora.post("/admin/invites", url.Values{"note": {"For Priya at the mill"}})
	link := regexpFind(t, `/join\?invite=[A-Za-z0-9_-]+`, r.body)
	code := strings.TrimPrefix(link, "/join?invite=")

	visitor := h.client()
	r = visitor.get(link)
	if r.status != http.StatusOK {
		t.Fatalf("invite link: %d", r.status)
	}
	mustContain(t, r.body, h.says("join.intro_invited"), `name="invite" value="`+code+`"`)
	mustNotContain(t, r.body, "How are you connected to Testham?", h.says("join.submit_approval"))
	checkPage(t, "/join?invite (approval mode)", r, cssSize(t))

	r = visitor.post("/join", url.Values{"invite": {code}, "handle": {"priya"}, "display_name": {"Priya Patel"},
		"email": {"priya@example.org"}, "password": {pw}, "password_confirm": {pw}, "conduct": {"yes"}})
	if r.status != http.StatusSeeOther || r.location() != "/" {
		t.Fatalf("joining with an invite: %d %s, want a redirect home (signed in)", r.status, r.location())
	}
	m, err := h.svc.Member(context.Background(), "priya")
	if err != nil || m.Status != instance.StatusActive {
		t.Fatalf("invitee: %v %v, want active", m, err)
	}
	mustContain(t, visitor.get("/").body, h.says("home.hello", "Priya Patel"))
	mustNotContain(t, cora.get("/admin/invites").body, "For Priya at the mill")

	// Spent: a second person cannot use it.
	if r := h.client().get(link); r.status != http.StatusConflict {
		t.Errorf("spent invite link: %d, want 409", r.status)
	} else {
		mustContain(t, r.body, h.says("invite.spent"))
	}
	r = h.client().post("/join", url.Values{"invite": {code}, "handle": {"sam"}, "display_name": {"Sam"},
		"email": {"sam@example.org"}, "password": {pw}, "password_confirm": {pw}, "conduct": {"yes"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("second use: %d", r.status)
	}
	mustContain(t, r.body, h.says("err.invite_spent"))
	if _, err := h.svc.Member(context.Background(), "sam"); err == nil {
		t.Error("a spent invite created an account")
	}
}

func regexpFind(t *testing.T, pattern, body string) string {
	t.Helper()
	s := regexp.MustCompile(pattern).FindString(body)
	if s == "" {
		t.Fatalf("no %s in the page", pattern)
	}
	return s
}

// An approved applicant is told: a message on their page and, with email
// on, an email saying they can sign in (both written with the approval).
func TestApprovedApplicantIsTold(t *testing.T) {
	h := newMailHarness(t, func(o *instance.Options) { o.Registration = instance.RegistrationApproval })
	h.withEmail("cora", instance.RoleCoordinator)
	cora := h.as("cora")
	r := h.client().post("/join", url.Values{"handle": {"ann"}, "display_name": {"Ann Smith"}, "email": {"ann@example.org"},
		"password": {pw}, "password_confirm": {pw}, "answer": {"I live on Mill Lane"}, "conduct": {"yes"}})
	if r.status != http.StatusOK {
		t.Fatalf("apply: %d", r.status)
	}
	ann, err := h.svc.Member(context.Background(), "ann")
	if err != nil {
		t.Fatal(err)
	}
	if r := cora.post("/admin/applications/"+fmtInt(ann.ID)+"/approve", nil); r.status != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.status)
	}
	h.send()
	var got *mailtestMessage
	for _, m := range h.smtp.Received() {
		if len(m.To) == 1 && m.To[0] == "ann@example.org" {
			got = &mailtestMessage{subject: m.Subject(), text: m.Text}
		}
	}
	if got == nil {
		t.Fatal("no email to the approved applicant")
	}
	if want := h.web.cat.text("en", "mail.approved_subject", "Testham"); got.subject != want {
		t.Errorf("subject %q, want %q", got.subject, want)
	}
	for _, want := range []string{h.web.cat.text("en", "mail.approved_intro", "Testham"), "http://127.0.0.1:8080/login",
		h.web.cat.text("en", "mail.approved_username", "ann")} {
		if !strings.Contains(got.text, want) {
			t.Errorf("email lacks %q:\n%s", want, got.text)
		}
	}
	mustContain(t, h.as("ann").get("/notifications").body, h.says("note.application_approved"))
}

type mailtestMessage struct{ subject, text string }

// The invite-only join page and every page's footer say how to reach a
// coordinator ([instance] contact).
func TestContactIsShown(t *testing.T) {
	h := newHarness(t, instance.RegistrationInvite)
	w, err := New(Options{Service: h.svc, SiteName: "Testham", BaseURL: "http://127.0.0.1:8080", Contact: "Ring Jo on 01234 567890"})
	if err != nil {
		t.Fatal(err)
	}
	h.web, h.h = w, w.Handler()
	r := h.client().get("/join")
	mustContain(t, r.body, h.says("join.invite_only"), h.says("join.ask_contact", "Ring Jo on 01234 567890"))
	mustNotContain(t, r.body, h.says("join.ask_coordinator"))
	checkPage(t, "/join (invite only, with contact)", r, cssSize(t))
	h.member("ann")
	mustContain(t, h.as("ann").get("/").body, h.says("layout.contact", "Ring Jo on 01234 567890"))
}

// Before the first administrator exists, visitors are told the site is
// being set up: no Join button or link, and /join says so too.
func TestSiteBeingSetUp(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen).withoutAdmin()
	r := h.client().get("/")
	mustContain(t, r.body, h.says("setup.being_set_up"))
	mustNotContain(t, r.body, `href="/join"`)
	r = h.client().get("/join")
	mustContain(t, r.body, h.says("setup.being_set_up_title"))
	mustNotContain(t, r.body, `action="/join"`)
	checkPage(t, "/join (being set up)", r, cssSize(t))
	// Once the administrator exists, Join is back.
	h.member("ada", instance.RoleAdmin)
	r = h.client().get("/")
	mustContain(t, r.body, `href="/join"`)
	mustNotContain(t, r.body, h.says("setup.being_set_up"))
}
