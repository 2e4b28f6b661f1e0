package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/store/storetest"
)

// newTranslatingHarness is newHarness with the catalogue wired into the
// domain, as cmd does, so the results post the domain writes is in words.
func newTranslatingHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	tr, err := Translator()
	if err != nil {
		t.Fatal(err)
	}
	c := &testClock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	svc, err := instance.New(instance.Options{Store: st, Clock: c.now, Registration: instance.RegistrationOpen, Translate: tr,
		BaseURL: "http://127.0.0.1:8080", PostsPerHour: 1000, NewPostsPerHour: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureMainGroup(ctx, "village", "Our village"); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/London")
	w, err := New(Options{Service: svc, SiteName: "Testham", BaseURL: "http://127.0.0.1:8080", Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, web: w, h: w.Handler(), svc: svc, store: st, clock: c}
}

// errorBeside returns the error shown beside a field (its -error
// paragraph), so tests assert the reason where the person reads it.
func errorBeside(body, field string) string {
	m := regexp.MustCompile(`<p class="error" id="f-` + regexp.QuoteMeta(field) + `-error">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func roundForm() url.Values {
	v := url.Values{"title": {"Village fund 2027"}, "description": {"Small things that make the village nicer."},
		"budget": {"500"}, "currency": {"GBP"}, "mode": {"knapsack"}, "visibility": {"public"}}
	setDate(v, "ideas_until", instance.DateOf("2026-11-30"))
	setDate(v, "voting_from", instance.DateOf("2026-12-02"))
	setDate(v, "voting_until", instance.DateOf("2026-12-06"))
	return v
}

// A whole budget round through the pages: the refusals say why beside
// the field, and every page keeps the shared structure and size.
func TestBudgetRoundPages(t *testing.T) {
	h := newTranslatingHarness(t)
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	h.member("bob")
	css := cssSize(t)
	cora, ann, bob := h.as("cora"), h.as("ann"), h.as("bob")

	checkPage(t, "/decide", cora.get("/decide"), css)
	if r := ann.get("/budgets/new"); r.status != http.StatusForbidden {
		t.Errorf("a member opening the round form: %d", r.status)
	}
	bad := roundForm()
	bad.Set("budget", "1,000")
	setDate(bad, "voting_from", instance.DateOf("2026-11-30"))
	r := cora.post("/budgets/new", bad)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad round: %d", r.status)
	}
	checkPage(t, "/budgets/new with errors", r, css)
	if got := errorBeside(r.body, "budget"); !strings.Contains(got, "no commas for thousands") {
		t.Errorf("budget error: %q", got)
	}
	if got := errorBeside(r.body, "voting_from"); !strings.Contains(got, "at least a day after ideas close") {
		t.Errorf("voting date error: %q", got)
	}
	r = cora.post("/budgets/new", roundForm())
	if r.status != http.StatusSeeOther {
		t.Fatalf("open round: %d %s", r.status, errorsIn(r.body))
	}
	path := r.location()
	mustContain(t, cora.get(path).body, "The round has started.")
	page := ann.get(path)
	checkPage(t, "round (ideas)", page, css)
	mustContain(t, page.body, "£500", "Send an idea", "Pick the projects you want. Together they may cost at most £500.")

	// An idea over the whole budget: refused beside the cost, nothing kept.
	r = ann.post(path+"/projects/new", url.Values{"title": {"Skate park"}, "description": {"Big"}, "cost": {"600"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("over-budget idea: %d", r.status)
	}
	checkPage(t, "idea with errors", r, css)
	if got := errorBeside(r.body, "cost"); got != "This costs more than the whole budget of £500." {
		t.Errorf("over-budget idea, error beside the cost: %q", got)
	}
	if strings.Contains(ann.get(path).body, "Skate park") {
		t.Error("the refused idea was stored")
	}
	checkPage(t, "send an idea", ann.get(path+"/projects/new"), css)
	for _, p := range []struct{ title, cost string }{{"Benches on the green", "300"}, {"Bulbs for the verges", "250"}, {"A mural", "100"}} {
		if r := ann.post(path+"/projects/new", url.Values{"title": {p.title}, "description": {"For everyone"}, "cost": {p.cost}}); r.status != http.StatusSeeOther {
			t.Fatalf("idea %s: %d %s", p.title, r.status, errorsIn(r.body))
		}
	}
	// Voting before its phase is refused with the reason.
	r = bob.post(path+"/ballot", url.Values{"project": {"1"}})
	if r.status != http.StatusConflict || !strings.Contains(r.body, "Voting is not open in this round.") {
		t.Errorf("voting during ideas: %d %s", r.status, r.body[:min(200, len(r.body))])
	}

	// Review: not eligible needs a reason, shown beside that project's field.
	cora.post(path+"/advance", nil)
	r = cora.post(path+"/projects/3/review", url.Values{"review_3": {"ineligible"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(errorBeside(r.body, "reason_3"), "Please say why.") {
		t.Errorf("ineligible without a reason: %d %q", r.status, errorBeside(r.body, "reason_3"))
	}
	checkPage(t, "review with error", r, css)
	cora.post(path+"/projects/1/review", url.Values{"review_1": {"eligible"}})
	cora.post(path+"/projects/2/review", url.Values{"review_2": {"eligible"}})
	cora.post(path+"/projects/3/review", url.Values{"review_3": {"ineligible"}, "reason_3": {"The church wall is listed"}})
	page = cora.get(path)
	checkPage(t, "round (review, coordinator)", page, css)
	mustContain(t, page.body, "The church wall is listed", "Open voting now")
	if r := cora.post(path+"/advance", nil); r.status != http.StatusSeeOther {
		t.Fatalf("open voting: %d", r.status)
	}

	// A knapsack ballot over the budget: refused with the total, beside
	// the ballot, and nothing kept.
	r = bob.post(path+"/ballot", url.Values{"project": {"1", "2"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("over-budget ballot: %d", r.status)
	}
	checkPage(t, "ballot with error", r, css)
	if got := errorBeside(r.body, "projects"); got != "Your choices add up to £550, more than the budget of £500. Untick some and try again." {
		t.Errorf("over-budget ballot, error beside it: %q", got)
	}
	if !strings.Contains(r.body, `value="1" checked`) || !strings.Contains(r.body, `value="2" checked`) {
		t.Error("the refused ballot's ticks were lost")
	}
	if strings.Contains(bob.get(path).body, "You have voted") {
		t.Error("the refused ballot was stored")
	}
	if r := bob.post(path+"/ballot", url.Values{"project": {"3"}}); errorBeside(r.body, "projects") != "Please choose one of the options." {
		t.Errorf("a project kept off the ballot: %q", errorBeside(r.body, "projects"))
	}
	// A second ballot replaces the first while voting is open.
	for _, c := range []struct {
		who     *client
		project string
	}{{ann, "1"}, {bob, "1"}, {bob, "2"}} {
		if r := c.who.post(path+"/ballot", url.Values{"project": {c.project}}); r.status != http.StatusSeeOther {
			t.Fatalf("ballot: %d %s", r.status, errorsIn(r.body))
		}
	}
	page = bob.get(path)
	checkPage(t, "round (voting, voted)", page, css)
	mustContain(t, page.body, "You have voted.", "Change my ballot", `value="2" checked`)
	if strings.Contains(page.body, `value="1" checked`) {
		t.Error("the first ballot was not replaced")
	}

	// Close: a tie at one vote each goes to the cheaper project; the
	// dearer one no longer fits and is skipped, and the page says so.
	if r := cora.post(path+"/advance", nil); r.status != http.StatusSeeOther {
		t.Fatalf("close: %d", r.status)
	}
	page = ann.get(path)
	checkPage(t, "round (results)", page, css)
	mustContain(t, page.body, "Ballots cast: 2. Given to projects: £250 of £500.",
		"When a project costs more than what is left, it is skipped",
		"the cheaper one comes first", "Not funded: did not fit in what was left", "The results post in the group")
	if r := ann.post(path+"/ballot", url.Values{"project": {"1"}}); r.status != http.StatusConflict || !strings.Contains(r.body, "Voting is not open") {
		t.Errorf("voting after the close: %d", r.status)
	}
	post := regexp.MustCompile(`href="(/notices/\d+)"`).FindStringSubmatch(page.body)
	if post == nil {
		t.Fatal("no link to the results post")
	}
	notice := h.client().get(post[1])
	checkPage(t, "results post (visitor)", notice, css)
	mustContain(t, notice.body, "Results: Village fund 2027", "Bulbs for the verges – £250 – votes: 1", "(did not fit in what was left)")
	if strings.Contains(cora.get(post[1]).body, post[1]+"/edit") {
		t.Error("the results post offers an edit link that leads nowhere")
	}
	if r := ann.post(post[1]+"/responses", url.Values{"body": {"Well done everyone"}}); r.status != http.StatusSeeOther {
		t.Errorf("reply to the results post: %d", r.status)
	}
	mustContain(t, ann.get(post[1]).body, "Well done everyone")
	mustContain(t, ann.get("/notifications").body, "The results of a budget round are out: “Results: Village fund 2027”")

	// In French, amounts follow French style.
	ann.post("/settings/profile", url.Values{"display_name": {"Ann"}, "language": {"fr"}, "contact_preference": {"site"}})
	page = ann.get(path)
	checkPage(t, "round (results, fr)", page, css)
	mustContain(t, page.body, "250\u00a0£", "Financé")
}

func panelForm() url.Values {
	v := url.Values{"title": {"Playground panel"}, "description": {"Five residents decide the playground."}, "size": {"5"},
		"stratum_1_name": {"Which part of the village?"}, "stratum_1": {"North end: 2\nSouth end: 2\nElsewhere"}}
	setDate(v, "ends_on", instance.DateOf("2027-01-31"))
	return v
}

// A panel through the pages: bad quotas and a panel larger than its
// volunteers refused with the reason; guests volunteer without an
// account; the draw, its record and its check.
func TestPanelPages(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	css := cssSize(t)
	cora := h.as("cora")
	bad := panelForm()
	bad.Set("size", "3")
	r := cora.post("/panels/new", bad)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("quotas over the size: %d", r.status)
	}
	checkPage(t, "/panels/new with errors", r, css)
	if got := errorBeside(r.body, "stratum_1"); got != "The seats for “Which part of the village?” add up to 4, more than the 3 seats on the panel." {
		t.Errorf("quotas over the size, beside the answers: %q", got)
	}
	if strings.Contains(cora.get("/decide").body, "Playground panel") {
		t.Error("the refused panel was stored")
	}
	checkPage(t, "/panels/new", cora.get("/panels/new"), css)
	r = cora.post("/panels/new", panelForm())
	if r.status != http.StatusSeeOther {
		t.Fatalf("create panel: %d %s", r.status, errorsIn(r.body))
	}
	path := r.location()

	// Members volunteer with their answer; a guest without an account.
	for i := range 3 {
		h.member(fmt.Sprintf("m%d", i))
		if r := h.as(fmt.Sprintf("m%d", i)).post(path+"/volunteer", url.Values{"answer_1": {fmt.Sprint(1 + i%2)}}); r.status != http.StatusSeeOther {
			t.Fatalf("volunteer: %d %s", r.status, errorsIn(r.body))
		}
	}
	guest := h.client()
	checkPage(t, "panel (visitor)", guest.get(path), css)
	checkPage(t, "volunteer as a guest", guest.get(path+"/guest"), css)
	r = guest.post(path+"/guest", url.Values{"name": {"Gwen"}, "contact": {"07700 900123"}})
	if r.status != http.StatusUnprocessableEntity || errorBeside(r.body, "answer_1") != "Choose an answer." || !strings.Contains(errorBeside(r.body, "consent"), "Tick this to agree") {
		t.Errorf("guest without answer or consent: %d %q %q", r.status, errorBeside(r.body, "answer_1"), errorBeside(r.body, "consent"))
	}
	checkPage(t, "guest with errors", r, css)
	r = guest.post(path+"/guest", url.Values{"name": {"Gwen"}, "contact": {"07700 900123"}, "answer_1": {"3"}, "consent": {"yes"}})
	if r.status != http.StatusOK || !strings.Contains(r.body, "Your number in the draw:") {
		t.Fatalf("guest volunteering: %d %s", r.status, errorsIn(r.body))
	}
	checkPage(t, "guest done", r, css)

	// Four volunteers for five seats: the list cannot be closed, and the
	// page says why.
	page := cora.get(path)
	checkPage(t, "panel (coordinator, open)", page, css)
	mustContain(t, page.body, "The panel needs 5 people. Volunteers so far: 4.", "Gwen (guest: 07700 900123)")
	r = cora.post(path+"/commit", url.Values{"method": {"secret"}})
	if got := errorBeside(r.body, "method"); got != "The panel needs 5 people. Volunteers so far: 4." {
		t.Errorf("closing a list too short: %d %q", r.status, got)
	}
	h.member("m3")
	h.as("m3").post(path+"/volunteer", url.Values{"answer_1": {"2"}})
	if r := cora.post(path+"/commit", url.Values{"method": {"secret"}}); r.status != http.StatusSeeOther {
		t.Fatalf("commit: %d %s", r.status, errorsIn(r.body))
	}
	page = cora.get(path)
	checkPage(t, "panel (committed)", page, css)
	mustContain(t, page.body, "Fingerprint of the secret number", "Chance of being drawn, from 1000 practice draws", "Draw the panel now")
	if r := cora.post(path+"/draw", nil); r.status != http.StatusSeeOther {
		t.Fatalf("draw: %d %s", r.status, errorsIn(r.body))
	}
	page = cora.get(path)
	checkPage(t, "panel (drawn)", page, css)
	mustContain(t, page.body, "Who was drawn (5)", "Number used")
	for who, c := range map[string]*client{"a visitor": guest, "a member": h.as("m0")} {
		if body := c.get(path).body; strings.Contains(body, "07700 900123") || strings.Contains(body, "Gwen") {
			t.Errorf("%s sees a guest's name or contact", who)
		}
	}

	// The record downloads, and re-runs to the same panel, on its page
	// and pasted into the checker; a changed record is caught.
	r = guest.get(path + "/record.json")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("record: %d %s", r.status, r.header.Get("Content-Type"))
	}
	var rec instance.DrawRecord
	if err := json.Unmarshal([]byte(r.body), &rec); err != nil || len(rec.Selected) != 5 || strings.Contains(r.body, "Gwen") {
		t.Fatalf("record: %v, %d drawn", err, len(rec.Selected))
	}
	page = guest.get(path + "/verify")
	checkPage(t, "check the draw", page, css)
	mustContain(t, page.body, "Everything matches: running the draw again from the published record chooses the same people (5).")
	rec.Volunteers[0].Answers[0] = rec.Volunteers[0].Answers[0]%3 + 1
	tampered, _ := json.Marshal(rec)
	r = guest.post("/verify-draw", url.Values{"record": {string(tampered)}})
	checkPage(t, "check a changed record", r, css)
	mustContain(t, r.body, "This record does not check out", "The list has been changed")
	r = guest.post("/verify-draw", url.Values{"record": {"not json"}})
	if r.status != http.StatusUnprocessableEntity || errorBeside(r.body, "record") != "This is not a draw record from Hearth." {
		t.Errorf("not a record: %d %q", r.status, errorBeside(r.body, "record"))
	}
	checkPage(t, "/verify-draw", guest.get("/verify-draw"), css)
}
