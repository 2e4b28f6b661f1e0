package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/mail"
	"hearth/instance/mail/mailtest"
	"hearth/instance/store/storetest"
)

// mailHarness is a harness with email on, sending to a real SMTP server.
type mailHarness struct {
	*harness
	smtp   *mailtest.Server
	worker *instance.MailWorker
}

func newMailHarness(t *testing.T, opts ...func(*instance.Options)) *mailHarness {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	srv := mailtest.Start(t, mailtest.Options{})
	relay := &mail.SMTP{Host: srv.Host, Port: srv.Port, From: "hearth@testham.example", TLS: mail.TLSNone, Timeout: 5 * time.Second}
	tr, err := Translator()
	if err != nil {
		t.Fatal(err)
	}
	c := &testClock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	o := instance.Options{Store: st, Clock: c.now, Registration: instance.RegistrationOpen, Mailer: relay,
		BaseURL: "http://127.0.0.1:8080", Translate: tr, SiteName: "Testham"}
	for _, opt := range opts {
		opt(&o)
	}
	svc, err := instance.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureMainGroup(ctx, "village", "Our village"); err != nil {
		t.Fatal(err)
	}
	addOwner(t, st, c.now())
	w, err := New(Options{Service: svc, SiteName: "Testham", BaseURL: "http://127.0.0.1:8080", Question: "Who are you?"})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, web: w, h: w.Handler(), svc: svc, store: st, clock: c}
	return &mailHarness{harness: h, smtp: srv,
		worker: instance.NewMailWorker(instance.MailWorkerOptions{Store: st, Mailer: relay, Clock: c.now})}
}

func (h *mailHarness) withEmail(handle string, roles ...instance.Role) *instance.Member {
	h.t.Helper()
	m, err := h.svc.CreateMemberDirect(context.Background(), instance.NewMemberInput{Handle: handle, DisplayName: "Name " + handle,
		Email: handle + "@example.org", Password: pw, Roles: roles})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

func (h *mailHarness) send() {
	h.t.Helper()
	if _, err := h.worker.RunOnce(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// The unsubscribe link works with no sign-in: GET shows a button, and
// the one-click POST a mail program makes from its own servers (no
// cookie, cross-site) unsubscribes and answers 200. Only that route is
// exempt from the cross-origin check.
func TestUnsubscribeLinkWithoutSignIn(t *testing.T) {
	h := newMailHarness(t)
	ann := h.withEmail("ann")
	token, err := h.svc.UnsubscribeToken(context.Background(), ann.ID, instance.NoticeNewNeeds)
	if err != nil {
		t.Fatal(err)
	}
	anon := h.client()
	r := anon.get("/unsubscribe?t=" + url.QueryEscape(token))
	if r.status != http.StatusOK {
		t.Fatalf("GET: %d", r.status)
	}
	mustContain(t, r.body, "Stop emails about “New needs in my categories”?", `<input type="hidden" name="t" value="`+token+`">`)
	checkPage(t, "/unsubscribe", r, cssSize(t))
	if prefs, _ := h.svc.NoticePrefs(context.Background(), ann); prefs[1].Frequency != instance.FreqWeekly {
		t.Fatal("GET changed something")
	}
	mailProgram := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": ""}
	r = anon.do(http.MethodPost, "/unsubscribe?t="+url.QueryEscape(token), url.Values{"List-Unsubscribe": {"One-Click"}}, mailProgram)
	if r.status != http.StatusOK {
		t.Fatalf("one-click POST: %d %s", r.status, r.body)
	}
	mustContain(t, r.body, "We will not send you emails about “New needs in my categories” any more.")
	prefs, _ := h.svc.NoticePrefs(context.Background(), ann)
	if prefs[1].Frequency != instance.FreqNever || prefs[0].Frequency != instance.FreqNow {
		t.Errorf("prefs after unsubscribing: %+v", prefs)
	}
	r = anon.do(http.MethodPost, "/unsubscribe?t=forged."+token[strings.Index(token, ".")+1:], url.Values{}, mailProgram)
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "This unsubscribe link is not right") {
		t.Errorf("forged link: %d", r.status)
	}
	// Every other route still refuses a cross-site POST.
	c := h.as("ann")
	r = c.do(http.MethodPost, "/settings/notifications", url.Values{"about_me": {"never"}}, mailProgram)
	if r.status != http.StatusForbidden {
		t.Errorf("cross-site POST to the settings: %d", r.status)
	}
}

// The settings page: one fieldset with a legend per kind, the defaults
// chosen, a saved choice shown again, and a bad value refused beside its
// group.
func TestNotificationSettingsPage(t *testing.T) {
	h := newMailHarness(t)
	h.withEmail("ann")
	c := h.as("ann")
	r := c.get("/settings/notifications")
	if r.status != http.StatusOK {
		t.Fatalf("%d", r.status)
	}
	checkPage(t, "/settings/notifications", r, cssSize(t))
	mustContain(t, r.body, "<legend>Things about me</legend>", "<legend>New needs in my categories</legend>",
		`name="about_me" value="now" checked`, `name="new_needs" value="weekly" checked`, "In a weekly summary (the usual choice)")
	// One per kind a member has (not the coordinators' or leads'), and
	// the categories.
	if n := strings.Count(r.body, "<fieldset"); n != 5 {
		t.Errorf("%d fieldsets, want one per member kind and the categories", n)
	}
	mustNotContain(t, r.body, "Coordinating", "Safeguarding")
	r = c.post("/settings/notifications", url.Values{"about_me": {"daily"}, "new_needs": {"never"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d", r.status)
	}
	r = c.get("/settings/notifications")
	mustContain(t, r.body, `name="about_me" value="daily" checked`, `name="new_needs" value="never" checked`, "Your email choices are saved.")
	r = c.post("/settings/notifications", url.Values{"about_me": {"hourly"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad value: %d", r.status)
	}
	mustContain(t, r.body, `id="f-about_me-error"`, `href="#f-about_me"`)
	checkPage(t, "/settings/notifications (error)", r, cssSize(t))
}

var linkRE = regexp.MustCompile(`/reset-password\?t=([A-Za-z0-9_-]+)`)

// "Forgotten your password?": the same page and status for an address
// nobody has; the link sets a password once and signs out every device.
func TestForgottenPasswordFlow(t *testing.T) {
	h := newMailHarness(t)
	h.withEmail("ann")
	other := h.as("ann") // a browser left signed in elsewhere
	anon := h.client()
	login := anon.get("/login")
	mustContain(t, login.body, `href="/forgot-password"`, `href="/reset-code"`)
	r := anon.get("/forgot-password")
	checkPage(t, "/forgot-password", r, cssSize(t))
	unknown := anon.post("/forgot-password", url.Values{"login": {"nobody@example.org"}})
	known := anon.post("/forgot-password", url.Values{"login": {"ann@example.org"}})
	if unknown.status != http.StatusOK || known.status != unknown.status || known.body != unknown.body {
		t.Fatalf("the answers differ: %d vs %d", known.status, unknown.status)
	}
	mustContain(t, known.body, "If that is the email address or username of an account here")
	checkPage(t, "/forgot-password (sent)", known, cssSize(t))
	h.send()
	msgs := h.smtp.Received()
	if len(msgs) != 1 || msgs[0].To[0] != "ann@example.org" {
		t.Fatalf("mails: %d", len(msgs))
	}
	token := linkRE.FindStringSubmatch(msgs[0].Text)[1]
	r = anon.get("/reset-password?t=" + token)
	if r.status != http.StatusOK {
		t.Fatalf("reset page: %d", r.status)
	}
	checkPage(t, "/reset-password", r, cssSize(t))
	r = anon.post("/reset-password", url.Values{"t": {token}, "password": {"a new passphrase"}, "password_confirm": {"something else"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("mismatch: %d", r.status)
	}
	mustContain(t, r.body, `id="f-password_confirm-error"`)
	checkPage(t, "/reset-password (error)", r, cssSize(t))
	r = anon.post("/reset-password", url.Values{"t": {token}, "password": {"a new passphrase"}, "password_confirm": {"a new passphrase"}})
	if r.status != http.StatusSeeOther || r.location() != "/login" {
		t.Fatalf("reset: %d %s", r.status, r.location())
	}
	if r := other.get("/settings/profile"); r.status != http.StatusSeeOther {
		t.Errorf("the other browser is still signed in: %d", r.status)
	}
	r = anon.get("/reset-password?t=" + token)
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "has been used or has run out") {
		t.Errorf("used link: %d", r.status)
	}
	if r := anon.post("/login", url.Values{"login": {"ann"}, "password": {"a new passphrase"}}); r.status != http.StatusSeeOther {
		t.Errorf("sign in with the new password: %d", r.status)
	}
	for i := 0; i < 2; i++ {
		anon.post("/forgot-password", url.Values{"login": {"ann@example.org"}})
	}
	r = anon.post("/forgot-password", url.Values{"login": {"ann@example.org"}})
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many requests") {
		t.Errorf("fourth request in an hour: %d", r.status)
	}
}

// Without email the page says to ask a coordinator, and the admin's home
// says email is off.
func TestForgottenPasswordWithoutEmail(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ada", instance.RoleAdmin)
	h.member("ann")
	r := h.client().post("/forgot-password", url.Values{"login": {"ann"}})
	if r.status != http.StatusOK {
		t.Fatalf("%d", r.status)
	}
	mustContain(t, r.body, "This site does not send emails. Ask a coordinator for a reset code")
	admin := h.as("ada")
	mustContain(t, admin.get("/").body, "Email is off", `href="/admin/email"`)
	r = admin.get("/admin/email")
	if r.status != http.StatusOK {
		t.Fatalf("/admin/email: %d", r.status)
	}
	mustContain(t, r.body, "the configuration has no [smtp] host", "hearth admin test-email")
	checkPage(t, "/admin/email", r, cssSize(t))
	if r := h.as("ann").get("/admin/email"); r.status != http.StatusForbidden {
		t.Errorf("a member saw /admin/email: %d", r.status)
	}
	if strings.Contains(h.as("ann").get("/").body, "Email is off") {
		t.Error("a member is told about the configuration")
	}
}

var codeRE = regexp.MustCompile(`<strong>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</strong>`)

// A coordinator makes a code on the member's page; the member enters it
// on the page linked from sign-in.
func TestResetCodePages(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	bob := h.member("bob")
	bobsPhone := h.as("bob")
	coord := h.as("cora")
	mustContain(t, coord.get("/members/bob").body, `href="/admin/members/`+fmtInt(bob.ID)+`"`)
	r := coord.get("/admin/members/" + fmtInt(bob.ID))
	mustContain(t, r.body, `action="/members/bob/reset-code"`)
	if strings.Contains(h.as("bob").get("/members/cora").body, "reset-code") {
		t.Error("a member is offered to make codes")
	}
	r = coord.post("/members/bob/reset-code", nil)
	if r.status != http.StatusOK {
		t.Fatalf("make code: %d %s", r.status, r.body)
	}
	checkPage(t, "reset code made", r, cssSize(t))
	m := codeRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no code on the page")
	}
	anon := h.client()
	r = anon.get("/reset-code")
	checkPage(t, "/reset-code", r, cssSize(t))
	r = anon.post("/reset-code", url.Values{"handle": {"bob"}, "code": {"AAAA-BBBB-CCCC"}, "password": {"a phone passphrase"}, "password_confirm": {"a phone passphrase"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code: %d", r.status)
	}
	mustContain(t, r.body, `id="f-code-error"`, "This code is not right for this username")
	checkPage(t, "/reset-code (error)", r, cssSize(t))
	r = anon.post("/reset-code", url.Values{"handle": {"bob"}, "code": {m[1]}, "password": {"a phone passphrase"}, "password_confirm": {"a phone passphrase"}})
	if r.status != http.StatusSeeOther || r.location() != "/login" {
		t.Fatalf("right code: %d", r.status)
	}
	if r := bobsPhone.get("/settings/profile"); r.status != http.StatusSeeOther {
		t.Errorf("bob's old session survived: %d", r.status)
	}
	mustContain(t, coord.get("/admin/log").body, " made a one-off password reset code for ", "<bdi>Name bob</bdi>")
}

// A bouncing address shows on the profile with how to fix it, and "it
// works again" sends a confirmation link.
func TestBouncingAddressOnProfile(t *testing.T) {
	h := newMailHarness(t)
	h.withEmail("ann")
	if _, err := h.store.DB().Exec(`INSERT INTO mail_bounces (address, code, reason, created_at) VALUES ('ann@example.org', 550, 'no such user', '2026-11-27T09:00:00.000Z')`); err != nil {
		t.Fatal(err)
	}
	c := h.as("ann")
	r := c.get("/settings/profile")
	mustContain(t, r.body, "Your email address is not working", "Emails to ann@example.org came back", `action="/settings/email-retry"`)
	checkPage(t, "/settings/profile (bouncing)", r, cssSize(t))
	if r := c.post("/settings/email-retry", nil); r.status != http.StatusSeeOther {
		t.Fatalf("retry: %d", r.status)
	}
	if strings.Contains(c.get("/settings/profile").body, "Your email address is not working") {
		t.Error("still shown after retrying")
	}
	h.send()
	if msgs := h.smtp.Received(); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "/confirm-email?token=") {
		t.Errorf("no confirmation link sent: %d", len(msgs))
	}
}
