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
)

// The header of every page a member sees counts their unread
// notifications ("2 new", a link whose accessible name says "2 new
// notifications"); opening the item marks its notifications read.
func TestHeaderCountOnEveryPage(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	h.member("bob")
	h.member("cy")
	ann, bob, cy := h.as("ann"), h.as("bob"), h.as("cy")
	path := postItem(t, ann, "needs", needForm())
	for _, p := range []string{"/", "/groups", "/me", "/settings/profile", "/no-such-page"} {
		mustContain(t, ann.get(p).body, `<a href="/notifications">Notifications</a>`)
	}
	bob.post(path+"/help", url.Values{"message": {"I can drive"}})
	cy.post(path+"/help", nil)
	for _, p := range []string{"/", "/groups", "/me", "/settings/profile", "/no-such-page", "/notifications"} {
		r := ann.get(p)
		mustContain(t, r.body, `class="unread" aria-label="2 new notifications"`, `<span class="count">2 new</span>`)
	}
	mustNotContain(t, h.client().get("/").body, "/notifications")
	mustContain(t, bob.get("/").body, `<a href="/notifications">Notifications</a>`)
	// Opening the item reads what was said about it.
	r := ann.get(path)
	mustNotContain(t, r.body, "2 new", `class="unread"`)
	mustContain(t, ann.get("/").body, `<a href="/notifications">Notifications</a>`)
}

// The notifications page groups by item, says what happened and the next
// step, and links each to its exact place on the item's page; "mark all
// as read" clears the count.
func TestNotificationsPageGroupedByItem(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	h.member("bob")
	ann, bob := h.as("ann"), h.as("bob")
	need := postItem(t, ann, "needs", needForm())
	offer := postItem(t, ann, "offers", url.Values{"title": {"Ladder to lend"}, "category": {"lending"}, "visibility": {"public"}})
	bob.post(need+"/help", url.Values{"message": {"I can drive"}})
	reply := bob.post(need+"/responses", url.Values{"body": {"What time?"}}).location()
	bob.post(offer+"/want", nil)
	replyID := regexp.MustCompile(`#response-(\d+)$`).FindStringSubmatch(reply)
	if replyID == nil {
		t.Fatalf("reply redirect %q", reply)
	}
	// A reply's notification links to the page of the thread that holds it.
	replyLink := need + "?reply=" + replyID[1] + "#response-" + replyID[1]
	r := ann.get("/notifications")
	checkPage(t, "/notifications", r, cssSize(t))
	body := r.body
	mustContain(t, body,
		`<h2 id="group-0"><a href="`+offer+`">Ladder to lend</a> <span class="count">1 new</span></h2>`,
		`<h2 id="group-1"><a href="`+need+`">A lift to the surgery</a> <span class="count">2 new</span></h2>`,
		`<a href="`+need+`#offers">Name bob offered to help with “A lift to the surgery” — Choose a helper</a>`,
		`<a href="`+replyLink+`">Name bob replied on “A lift to the surgery”</a>`,
		`<a href="`+offer+`#requests">Name bob would like your offer “Ladder to lend” — Choose who gets it</a>`,
		"Mark all as read")
	// Opening the need reads its two; the offer's stays new.
	ann.get(need)
	body = ann.get("/notifications").body
	mustContain(t, body, `<span class="count">1 new</span>`, `Ladder to lend</a> <span class="count">1 new</span>`)
	mustContain(t, body, `<a href="`+need+`#offers">Name bob offered to help with “A lift to the surgery”</a>`) // read: no next step
	if r := ann.post("/notifications/read", nil); r.status != http.StatusSeeOther || r.location() != "/notifications" {
		t.Fatalf("mark read: %d %s", r.status, r.location())
	}
	body = ann.get("/notifications").body
	mustContain(t, body, "All your notifications are marked as read.")
	mustNotContain(t, body, `class="new"`, `class="unread"`, "Mark all as read")
	mustContain(t, bob.get("/notifications").body, "Nothing yet.")
}

// My activity is the member's dashboard: each thing with where it stands
// and the next step, linking to where that step is taken.
func TestMyActivityDashboard(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	for _, m := range []string{"ann", "bob", "cy"} {
		h.member(m)
	}
	ann, bob, cy := h.as("ann"), h.as("bob"), h.as("cy")
	need := postItem(t, ann, "needs", needForm())
	offer := postItem(t, ann, "offers", url.Values{"title": {"Ladder to lend"}, "category": {"lending"}, "visibility": {"public"}})
	action := postItem(t, ann, "actions", h.actionForm("Litter-pick", "1"))
	bob.post(need+"/help", nil)
	cy.post(need+"/help", nil)
	bob.post(offer+"/want", nil)
	bob.post(action+"/join", nil)
	if r := cy.post(action+"/join", nil); r.status != http.StatusSeeOther {
		t.Fatalf("cy join: %d %s", r.status, r.body)
	}
	r := ann.get("/me")
	checkPage(t, "/me", r, cssSize(t))
	mustContain(t, r.body, "Waiting for you", `<a href="`+need+`#offers">2 offers of help — choose a helper</a>`,
		`<a href="`+offer+`#requests">1 person would like this — choose who gets it</a>`,
		`<a href="`+action+`#coming">1 going · 1 waiting</a>`)
	mustContain(t, bob.get("/me").body, "Waiting for the requester to choose", "Waiting for the offerer to choose", "You are going")
	mustContain(t, cy.get("/me").body, "Number 1 on the waiting list")
	page := ann.get(need).body
	accept := regexp.MustCompile(`action="(/needs/\d+/accept/\d+)"`).FindStringSubmatch(page)
	ann.post(accept[1], nil)
	give := regexp.MustCompile(`action="(/offers/\d+/give/\d+)"`).FindStringSubmatch(ann.get(offer).body)
	ann.post(give[1], nil)
	first := regexp.MustCompile(`Name (\w+) is helping`).FindStringSubmatch(ann.get("/me").body)
	if first == nil {
		t.Fatal("the requester's dashboard does not say who is helping")
	}
	helper, other := bob, cy
	if first[1] == "cy" {
		helper, other = cy, bob
	}
	mustContain(t, helper.get("/me").body, `#helping">You are helping — get in touch, and mark it done when it is done</a>`)
	mustContain(t, other.get("/me").body, "Someone else is helping")
	mustContain(t, bob.get("/me").body, "You were chosen — get in touch to arrange it")
	mustContain(t, ann.get("/me").body, "Given to Name bob")
}

// Coordinators and leads see what waits for them on the home page, with
// counts and links; plain members see none of it.
func TestCoordinatorAndLeadHome(t *testing.T) {
	h := newHarness(t, instance.RegistrationApproval)
	h.member("cora", instance.RoleCoordinator)
	h.member("lee", instance.RoleSafeguardingLead)
	h.member("ann")
	cora, lee, ann := h.as("cora"), h.as("lee"), h.as("ann")
	ctx := context.Background()
	if _, err := h.svc.SignUp(ctx, instance.SignUpInput{Handle: "dot", DisplayName: "Dot", Email: "dot@example.org", Password: pw,
		PasswordConfirm: pw, Answer: "Bridge Street", AcceptConduct: true}); err != nil {
		t.Fatal(err)
	}
	need := postItem(t, ann, "needs", needForm())
	id := need[strings.LastIndex(need, "/")+1:]
	ann.post("/report", url.Values{"subject": {"item"}, "id": {id}, "category": {"spam"}})
	postItem(t, ann, "offers", url.Values{"title": {"Held offer"}, "category": {"lending"}, "visibility": {"public"}})
	if _, err := h.store.DB().Exec(`UPDATE items SET held = 1 WHERE title = 'Held offer'`); err != nil {
		t.Fatal(err)
	}
	ann.post("/concerns/new", url.Values{"about": {"Mr Green"}, "details": {"Not seen"}})
	h.advance(49 * time.Hour)
	r := cora.get("/")
	checkPage(t, "home (coordinator)", r, cssSize(t))
	mustContain(t, r.body, "Waiting for you", `<a href="/admin/applications">1 person is waiting for their application to be looked at.</a>`,
		`<a href="/admin/moderation#reports">1 open report</a>`, `<a href="/admin/moderation#held">1 post held for review</a>`,
		`<a href="/admin/unanswered">1 need with no offer of help</a>`)
	mustNotContain(t, r.body, "welfare concern")
	mustContain(t, lee.get("/").body, `<a href="/safeguarding">1 open welfare concern</a>`)
	mustNotContain(t, lee.get("/").body, "open report")
	mustNotContain(t, ann.get("/").body, "Waiting for you")
	u := cora.get("/admin/unanswered")
	checkPage(t, "/admin/unanswered", u, cssSize(t))
	mustContain(t, u.body, "for 48 hours or more", `href="`+need+`"`)
	if r := ann.get("/admin/unanswered"); r.status != http.StatusForbidden {
		t.Errorf("a member sees unanswered needs: %d", r.status)
	}
}

// The admin's first-run checklist ticks each step as it is done, and
// goes once all are; until there is a safeguarding lead the home page
// says one is needed.
func TestAdminChecklist(t *testing.T) {
	h := newMailHarness(t)
	admin := h.withEmail("ada", instance.RoleAdmin)
	ada := h.as("ada")
	body := ada.get("/").body
	mustContain(t, body, "Getting started", "<strong>To do:</strong> <a href=\"/admin/members\">Name a safeguarding lead</a>",
		"<strong>To do:</strong> <a href=\"/admin/email\">Set up email and send a test</a>",
		"<strong>To do:</strong> <a href=\"/admin/invites\">Invite coordinators</a>",
		"<strong>To do:</strong> <a href=\"/conduct\">Write your code of conduct</a>", "Nobody is a safeguarding lead yet")
	lead := h.withEmail("lee")
	coord := h.withEmail("cora")
	ctx := context.Background()
	if err := h.svc.SetRoles(ctx, admin, lead.ID, []instance.Role{instance.RoleSafeguardingLead}); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SetRoles(ctx, admin, coord.ID, []instance.Role{instance.RoleCoordinator}); err != nil {
		t.Fatal(err)
	}
	ada = h.as("ada")
	body = ada.get("/").body
	mustContain(t, body, "<strong>Done:</strong> <a href=\"/admin/members\">", "<strong>Done:</strong> <a href=\"/admin/invites\">",
		"<strong>To do:</strong> <a href=\"/admin/email\">")
	mustNotContain(t, body, "Nobody is a safeguarding lead yet")
	r := ada.get("/admin/email")
	checkPage(t, "/admin/email", r, cssSize(t))
	mustContain(t, r.body, "Send me a test email")
	if r := ada.post("/admin/email/test", nil); r.status != http.StatusSeeOther {
		t.Fatalf("test email: %d %s", r.status, r.body)
	}
	mustContain(t, ada.get("/").body, "<strong>To do:</strong> <a href=\"/admin/email\">") // queued, not yet accepted
	h.send()
	if m := h.smtp.Next(t); m.Subject() != "A test email from Testham" || m.To[0] != "ada@example.org" {
		t.Errorf("test email %q to %v", m.Subject(), m.To)
	}
	mustContain(t, ada.get("/").body, "<strong>Done:</strong> <a href=\"/admin/email\">")
	if r := h.as("cora").post("/admin/email/test", nil); r.status != http.StatusForbidden {
		t.Errorf("a coordinator sent a test email: %d", r.status)
	}
}

// The email choices page offers the member's kinds and the categories
// they hear about; a coordinator also sees coordinating.
func TestEmailChoicesWithCategories(t *testing.T) {
	h := newMailHarness(t)
	h.withEmail("ann")
	h.withEmail("cora", instance.RoleCoordinator)
	ann := h.as("ann")
	r := ann.post("/settings/notifications", url.Values{"about_me": {"now"}, "new_needs": {"daily"}, "categories": {"lifts", "food"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, errorsIn(r.body))
	}
	body := ann.get("/settings/notifications").body
	mustContain(t, body, `name="new_needs" value="daily" checked`, `value="lifts" checked`, `value="food" checked`, "Categories I hear about")
	mustNotContain(t, body, `value="shopping" checked`)
	r = ann.post("/settings/notifications", url.Values{"about_me": {"now"}, "categories": {"knitting"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown category: %d", r.status)
	}
	mustContain(t, r.body, `id="f-categories-error"`, `href="#f-categories"`)
	checkPage(t, "/settings/notifications (category error)", r, cssSize(t))
	mustContain(t, h.as("cora").get("/settings/notifications").body, "<legend>Coordinating</legend>")
}
