package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

func TestReportAndModerationPages(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	h.member("bob")
	cora, ann, bob := h.as("cora"), h.as("ann"), h.as("bob")
	path := postItem(t, bob, "offers", url.Values{"title": {"Cheap watches"}, "category": {"lending"}, "visibility": {"public"}})
	id := regexp.MustCompile(`\d+$`).FindString(path)
	mustContain(t, ann.get(path).body, "/report?subject=item&amp;id="+id)
	r := ann.get("/report?subject=item&id=" + id)
	mustContain(t, r.body, "What is the problem?", "Spam or advertising")
	checkPage(t, "/report", r, cssSize(t))
	r = ann.post("/report", url.Values{"subject": {"item"}, "id": {id}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("report without category: %d", r.status)
	}
	mustContain(t, r.body, `id="f-category-error"`)
	if r := ann.post("/report", url.Values{"subject": {"item"}, "id": {id}, "category": {"spam"}, "details": {"Selling"}}); r.status != http.StatusSeeOther {
		t.Fatalf("report: %d", r.status)
	}
	if r := ann.get("/admin/moderation"); r.status != http.StatusForbidden {
		t.Errorf("a member opened moderation: %d", r.status)
	}
	r = cora.get("/admin/moderation")
	mustContain(t, r.body, "Open reports (1)", "Cheap watches", "Reported by Name ann", "Selling")
	checkPage(t, "/admin/moderation", r, cssSize(t))
	report := regexp.MustCompile(`name="report" value="(\d+)"`).FindStringSubmatch(r.body)[1]
	r = cora.post("/admin/moderation", url.Values{"report": {report}, "id": {id}, "action": {"hide"}, "reason": {""}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("hide without reason: %d", r.status)
	}
	// The error goes beside this report's reason, the summary links there,
	// and the action picked comes back; the block-a-server form further
	// down (which also has a "reason") stays clean.
	mustContain(t, r.body, "Please say why.", `id="reason-`+report+`-error"`, `href="#reason-`+report+`"`,
		`aria-describedby="reason-`+report+`-hint reason-`+report+`-error" aria-invalid="true"`, `<option value="hide" selected>`)
	mustNotContain(t, r.body, `id="f-reason-error"`)
	checkPage(t, "/admin/moderation (a report's action failed)", r, cssSize(t))
	// An error about the card's hidden fields goes beside its action.
	r = cora.post("/admin/moderation", url.Values{"report": {report}, "id": {id}, "action": {"block_actor"}, "target": {"nonsense"}, "reason": {"x"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("block_actor with a bad target: %d", r.status)
	}
	mustContain(t, r.body, `id="action-`+report+`-error"`, `href="#action-`+report+`"`)
	mustNotContain(t, r.body, `id="f-target-error"`)
	r = cora.post("/admin/moderation", url.Values{"report": {report}, "id": {id}, "action": {"hide"}, "reason": {"Advertising is not allowed"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("hide: %d", r.status)
	}
	if r := ann.get(path); r.status != http.StatusNotFound {
		t.Errorf("hidden item for others: %d", r.status)
	}
	mustContain(t, bob.get(path).body, "A coordinator has hidden this from others. The reason given: Advertising is not allowed")
	mustContain(t, bob.get("/notifications").body, "A coordinator hid your post: “Cheap watches”. Reason: Advertising is not allowed")
	r = cora.get("/admin/log")
	// In a sentence, linking to the member who did it and to the post.
	mustContain(t, r.body, `<a href="/admin/members/`, `<bdi>Name cora</bdi></a> hid <a href="`+path+`"><bdi>`+
		h.says("modlog.item", "Cheap watches", "Name bob")+`</bdi></a>`+h.says("modlog.reason", "Advertising is not allowed"))
	mustNotContain(t, r.body, "<table", "hide item")
	checkPage(t, "/admin/log", r, cssSize(t))
	// Blocking a server from the page.
	r = cora.post("/admin/moderation", url.Values{"action": {"block_domain"}, "target": {"not a domain"}})
	mustContain(t, r.body, "Enter a domain name such as spam.example.")
	cora.post("/admin/moderation", url.Values{"action": {"block_domain"}, "target": {"spam.example"}, "reason": {"spam"}})
	mustContain(t, cora.get("/admin/moderation").body, "<code>spam.example</code>")

	// A report about an account on another server names it the way people
	// know it (@user@host and display name) when Hearth has seen it, beside
	// its address.
	ctx := context.Background()
	if err := h.store.SaveRemoteActor(ctx, &instance.RemoteActor{ID: "https://gts.example/users/troll", Type: "Person", Username: "troll",
		Host: "gts.example", Name: "Totally Real \u202eName", Inbox: "https://gts.example/users/troll/inbox", FetchedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	annM, _ := h.store.MemberByHandle(ctx, "ann")
	for _, actor := range []string{"https://gts.example/users/troll", "https://unknown.example/users/x"} {
		if _, err := h.svc.FileReport(ctx, annM, instance.ReportInput{Subject: "remote_actor", RemoteActor: actor, Category: "spam"}); err != nil {
			t.Fatal(err)
		}
	}
	r = cora.get("/admin/moderation")
	mustContain(t, r.body, "<bdi>Totally Real \u202eName</bdi> <code>@troll@gts.example</code> (<a href=\"https://gts.example/users/troll\"",
		"(<a href=\"https://unknown.example/users/x\"")
	checkPage(t, "/admin/moderation (remote accounts)", r, cssSize(t))
}

// Even posting the form directly, an unverified helper cannot offer help
// on a sensitive need.
func TestSensitiveNeedByDirectPost(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	h.member("hal", instance.RoleHelper)
	rita, hal := h.as("rita"), h.as("hal")
	form := needForm()
	form.Set("category", "personal care")
	path := postItem(t, rita, "needs", form)
	mustContain(t, hal.get(path).body, "Only verified helpers can help with this kind of request")
	mustNotContain(t, hal.get(path).body, `action="`+path+`/help"`)
	r := hal.post(path+"/help", url.Values{"message": {"let me in"}})
	if r.status != http.StatusForbidden {
		t.Fatalf("direct post: %d", r.status)
	}
	if strings.Contains(rita.get(path).body, "let me in") {
		t.Error("the offer was stored")
	}
}

func TestSafeguardingPages(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ada", instance.RoleAdmin)
	h.member("sam", instance.RoleSafeguardingLead)
	h.member("ann")
	ada, sam, ann := h.as("ada"), h.as("sam"), h.as("ann")
	r := ann.get("/concerns/new")
	checkPage(t, "/concerns/new", r, cssSize(t))
	r = ann.post("/concerns/new", url.Values{"about": {""}, "details": {""}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("empty concern: %d", r.status)
	}
	checkPage(t, "/concerns/new (errors)", r, cssSize(t))
	ann.post("/concerns/new", url.Values{"about": {"Mr Green at number 7"}, "details": {"Curtains closed for days"}})
	if r := ada.get("/safeguarding"); r.status != http.StatusForbidden {
		t.Errorf("an admin without the role saw concerns: %d", r.status)
	}
	mustNotContain(t, ada.get("/").body, "/safeguarding")
	r = sam.get("/safeguarding")
	mustContain(t, r.body, "Mr Green at number 7")
	link := regexp.MustCompile(`/safeguarding/\d+`).FindString(r.body)
	r = sam.get(link)
	mustContain(t, r.body, "Curtains closed for days")
	checkPage(t, link, r, cssSize(t))
	if r := ada.get(link); r.status != http.StatusForbidden {
		t.Errorf("admin opened a concern: %d", r.status)
	}
	sam.post(link, url.Values{"note": {"Visited; he is fine."}, "close": {"yes"}})
	mustContain(t, sam.get(link).body, "Visited; he is fine.", "closed")
}

func TestLimitsBreakExportDeleteInTheBrowser(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	ann := h.as("ann")
	// Take a break and come back.
	ann.post("/settings/break", url.Values{"on": {"yes"}})
	mustContain(t, ann.get("/settings/profile").body, "You are taking a break.", "End my break")
	ann.post("/settings/break", nil)
	mustContain(t, ann.get("/settings/profile").body, "Take a break")
	// Export is JSON about ann.
	postItem(t, ann, "offers", url.Values{"title": {"Jam jars"}, "category": {"food"}, "visibility": {"public"}})
	r := ann.get("/settings/export.json")
	var data map[string]any
	if err := json.Unmarshal([]byte(r.body), &data); err != nil || !strings.Contains(r.body, "Jam jars") {
		t.Fatalf("export: %v %s", err, r.body[:min(200, len(r.body))])
	}
	if !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Error("export is not a download")
	}
	// Delete with the wrong password, then the right one.
	r = ann.get("/settings/delete")
	checkPage(t, "/settings/delete", r, cssSize(t))
	r = ann.post("/settings/delete", url.Values{"password": {"wrong"}})
	mustContain(t, r.body, "This is not your current password.")
	r = ann.post("/settings/delete", url.Values{"password": {pw}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.status)
	}
	if r := ann.get("/settings/profile"); r.status != http.StatusSeeOther {
		t.Error("still signed in after deleting the account")
	}
	if items, _ := h.svc.Items(context.Background(), nil, instance.ItemFilter{}); len(items) != 0 {
		t.Error("the deleted member's offer is still listed")
	}
}

// A rate-limited post gets a clear 429 and keeps what was posted: the form
// comes back with what was just typed and the reason at the top, not a
// page with nothing to go back to. A rate-limited reply comes back beside
// the reply box, as typed.
func TestRateLimitPage(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	st := h.store
	svc, _ := instance.New(instance.Options{Store: st, Clock: h.clock.now, NewPostsPerHour: 1, PostsPerHour: 1,
		NewRepliesPerHour: 1, RepliesPerHour: 1})
	w, _ := New(Options{Service: svc, SiteName: "Testham", BaseURL: "http://127.0.0.1:8080"})
	h.web, h.h, h.svc = w, w.Handler(), svc
	h.member("ann")
	ann := h.as("ann")
	first := postItem(t, ann, "offers", url.Values{"title": {"First"}, "category": {"food"}, "visibility": {"public"}})
	r := ann.post("/offers/new", url.Values{"title": {"Second offer"}, "description": {"Two dozen eggs"}, "category": {"food"}, "visibility": {"public"}})
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("second post: %d", r.status)
	}
	mustContain(t, r.body, `<div class="error-summary"`, esc(h.msg(t, "limit.post", 1)), `value="Second offer"`, ">Two dozen eggs</textarea>",
		`<option value="food" selected>`, "<h1>Offer something</h1>")
	checkPage(t, "/offers/new (limited)", r, cssSize(t))
	mustContain(t, ann.get("/").body, "First")
	ann.post(first+"/responses", url.Values{"body": {"One reply"}})
	r = ann.post(first+"/responses", url.Values{"body": {"A second reply, kept"}})
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("second reply: %d", r.status)
	}
	mustContain(t, r.body, `id="f-body-error">`+esc(h.msg(t, "limit.response", 1)), ">A second reply, kept</textarea>")
}

func TestConfirmEmailPages(t *testing.T) {
	h := newHarness(t, instance.RegistrationApproval)
	svc, _ := instance.New(instance.Options{Store: h.store, Clock: h.clock.now, Registration: instance.RegistrationApproval,
		RequireEmailConfirmation: true, BaseURL: "http://127.0.0.1:8080"})
	w, _ := New(Options{Service: svc, SiteName: "Testham", BaseURL: "http://127.0.0.1:8080", Question: "Who are you?"})
	h.web, h.h, h.svc = w, w.Handler(), svc
	h.member("cora", instance.RoleCoordinator)
	cora := h.as("cora")
	h.client().post("/join", url.Values{"handle": {"ann"}, "display_name": {"Ann"}, "email": {"ann@example.org"}, "password": {pw},
		"password_confirm": {pw}, "answer": {"Mill Lane"}, "conduct": {"yes"}})
	r := cora.get("/admin/applications")
	mustContain(t, r.body, "Waiting to confirm their email", "Email is not set up", "email not confirmed yet")
	link := regexp.MustCompile(`/confirm-email\?token=[A-Za-z0-9_-]+`).FindString(r.body)
	if link == "" {
		t.Fatal("no link shown to the coordinator")
	}
	visitor := h.client()
	r = visitor.get(link)
	mustContain(t, r.body, "Confirm my email address")
	checkPage(t, "/confirm-email", r, cssSize(t))
	token := strings.TrimPrefix(link, "/confirm-email?token=")
	if r := visitor.post("/confirm-email", url.Values{"token": {token}}); r.status != http.StatusSeeOther {
		t.Fatalf("confirm: %d", r.status)
	}
	if r := visitor.post("/confirm-email", url.Values{"token": {token}}); r.status != http.StatusNotFound {
		t.Errorf("second use: %d", r.status)
	}
	mustNotContain(t, cora.get("/admin/applications").body, "Waiting to confirm their email")
}
