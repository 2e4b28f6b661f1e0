package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

func needForm() url.Values {
	return url.Values{"title": {"A lift to the surgery"}, "description": {"Tuesday *10:30*"}, "category": {"lifts"},
		"area": {"Mill Lane"}, "visibility": {"public"}, "address": {"4 Mill Lane"}, "contact": {"01234 567890"}}
}

func postItem(t *testing.T, c *client, kind string, form url.Values) string {
	t.Helper()
	r := c.post("/"+kind+"/new", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("post %s: %d %s", kind, r.status, errorsIn(r.body))
	}
	return r.location()
}

// errorsIn pulls the error summary out of a page, for failure messages.
func errorsIn(body string) string {
	if i := strings.Index(body, `class="error-summary"`); i >= 0 {
		return body[i:min(len(body), i+600)]
	}
	return ""
}

// The whole need flow through the web: post, offer help, accept, the
// helper sees the address, mark done.
func TestNeedFlowInTheBrowser(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	h.member("hal", instance.RoleHelper)
	h.member("olly")
	rita, hal, olly := h.as("rita"), h.as("hal"), h.as("olly")
	path := postItem(t, rita, "needs", needForm())
	mustContain(t, rita.get(path).body, "Your request has been posted.", "<em>10:30</em>", "4 Mill Lane", "Offers of help (0)")

	page := hal.get(path).body
	mustContain(t, page, "Can you help?", "I can help")
	if strings.Contains(page, "4 Mill Lane") || strings.Contains(page, "01234 567890") {
		t.Fatal("a helper sees the address before being accepted")
	}
	if r := hal.post(path+"/help", url.Values{"message": {"I can drive"}, "buddy": {"yes"}}); r.status != http.StatusSeeOther {
		t.Fatalf("help: %d", r.status)
	}
	mustContain(t, hal.get(path).body, "You have offered to help")
	page = rita.get(path).body
	mustContain(t, page, "I can drive", "will bring a buddy", "Accept help from Name hal")
	accept := regexp.MustCompile(`action="(/needs/\d+/accept/\d+)"`).FindStringSubmatch(page)
	if accept == nil {
		t.Fatal("no accept button")
	}
	if r := olly.post(accept[1], nil); r.status != http.StatusForbidden {
		t.Errorf("another member accepted: %d", r.status)
	}
	if r := rita.post(accept[1], nil); r.status != http.StatusSeeOther {
		t.Fatalf("accept: %d", r.status)
	}
	mustContain(t, hal.get(path).body, "4 Mill Lane", "01234 567890", esc(h.msg(t, "need.you_are_helping", "Name rita")),
		`action="`+path+`/done"`, `href="`+path+`/change"`)
	if strings.Contains(olly.get(path).body, "4 Mill Lane") {
		t.Error("another member sees the address")
	}
	if strings.Contains(h.client().get(path).body, "4 Mill Lane") {
		t.Error("a visitor sees the address")
	}
	// Accepting again is an illegal transition: a clear message, no change.
	r := rita.post(accept[1], nil)
	if r.status != http.StatusConflict {
		t.Errorf("second accept: %d", r.status)
	}
	mustContain(t, r.body, "Someone else has just been chosen")
	if r := hal.post(path+"/done", nil); r.status != http.StatusSeeOther {
		t.Fatalf("done: %d", r.status)
	}
	mustContain(t, rita.get(path).body, "<strong>Done</strong>")
	mustContain(t, hal.get("/notifications").body, "Name rita accepted your offer of help with “A lift to the surgery”")
}

func TestItemFormErrorsBesideFields(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	c := h.as("rita")
	r := c.post("/needs/new", url.Values{"title": {""}, "category": {"weapons"}, "area": {""}, "needed_by_day": {"tomorrow"},
		"needed_by_month": {"12"}, "needed_by_year": {"2026"}, "visibility": {"public"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.status)
	}
	mustContain(t, r.body, `<a href="#f-title">`+h.msg(t, "field.title_need.required"), `id="f-category-error"`,
		`id="f-needed_by-error">`+h.msg(t, "err.date_real"), `id="f-area-error"`)
	r = c.post("/actions/new", when(url.Values{"title": {"Litter-pick"}, "place": {"The green"}, "slot_name_1": {"drivers"}, "visibility": {"public"}},
		"2026-12-05", "10:00", "09:00"))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("action status %d", r.status)
	}
	mustContain(t, r.body, h.msg(t, "err.end_before_start"), `id="f-slot_capacity_1-error"`, `value="drivers"`)
	if items, _ := h.svc.Items(context.Background(), nil, instance.ItemFilter{}); len(items) != 0 {
		t.Error("bad forms stored items")
	}
	// Posting on behalf needs the right; the form does not even offer it.
	mustNotContain(t, c.get("/needs/new").body, "on_behalf")
	form := needForm()
	form.Set("on_behalf", "yes")
	form.Set("on_behalf_name", "Mrs Jones")
	r = c.post("/needs/new", form)
	mustContain(t, r.body, "Only coordinators and helper-friends can post for someone else.")
}

func mustNotContain(t *testing.T, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("page contains %q", b)
		}
	}
}

func TestOnBehalfPage(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	h.member("olly")
	coord := h.as("cora")
	mustContain(t, coord.get("/needs/new").body, "I am posting this for a neighbour who has no account")
	form := needForm()
	form.Set("on_behalf", "yes")
	form.Set("on_behalf_name", "Mrs Edith Jones")
	form.Set("on_behalf_phone", "01234 999888")
	path := postItem(t, coord, "needs", form)
	mustContain(t, coord.get(path).body, "Posted on behalf of a neighbour", "Mrs Edith Jones", "01234 999888")
	other := h.as("olly").get(path).body
	mustContain(t, other, "Posted on behalf of a neighbour")
	mustNotContain(t, other, "Edith", "01234 999888")
}

// setDate fills the day, month and year boxes of a date field from
// YYYY-MM-DD.
func setDay(f url.Values, name, iso string) {
	d := instance.DateOf(iso)
	f.Set(name+"_day", d.Day)
	f.Set(name+"_month", d.Month)
	f.Set(name+"_year", d.Year)
}

// when fills an action's start and end (the same day, HH:MM times).
func when(f url.Values, day, start, end string) url.Values {
	setDay(f, "start_date", day)
	for name, hm := range map[string]string{"start_time": start, "end_time": end} {
		t := instance.TimeOf(hm)
		f.Set(name+"_hour", t.Hour)
		f.Set(name+"_minute", t.Minute)
	}
	return f
}

func (h *harness) actionForm(title string, capacity string, slots ...string) url.Values {
	day := h.clock.now().Add(72 * time.Hour).Format("2006-01-02")
	f := when(url.Values{"title": {title}, "place": {"The village hall"}, "capacity": {capacity}, "visibility": {"public"}}, day, "10:00", "12:00")
	for i := 0; i+1 < len(slots); i += 2 {
		f.Set(fmt.Sprintf("slot_name_%d", i/2+1), slots[i])
		f.Set(fmt.Sprintf("slot_capacity_%d", i/2+1), slots[i+1])
	}
	return f
}

func TestActionPagesAndWaitlist(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("orla")
	h.member("ann")
	h.member("bob")
	orla, ann, bob := h.as("orla"), h.as("ann"), h.as("bob")
	path := postItem(t, orla, "actions", h.actionForm("Lunch club", "1", "cooks", "1"))
	page := ann.get(path).body
	mustContain(t, page, "Lunch club", "The village hall", "10:00 GMT", "0 of 1 place taken", "Which role would you like?", "cooks")
	if r := ann.post(path+"/join", url.Values{"slot": {"0"}}); r.status != http.StatusSeeOther {
		t.Fatalf("join: %d", r.status)
	}
	mustContain(t, ann.get(path).body, "You are going.")
	bob.post(path+"/join", url.Values{"slot": {"0"}})
	mustContain(t, bob.get(path).body, "It is full, so you are on the waiting list", "You are on the waiting list")
	mustContain(t, orla.get(path).body, "Who is coming", "Name ann", "Name bob · waiting")
	mustNotContain(t, ann.get(path).body, "Name bob")
	ann.post(path+"/leave", nil)
	mustContain(t, bob.get("/notifications").body, "A place came up, so you are now going: “Lunch club”")
	mustContain(t, bob.get(path).body, "You are going.")
	// Cancelling needs a reason, shown beside the field.
	r := orla.post(path+"/cancel", url.Values{"reason": {""}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("cancel without reason: %d", r.status)
	}
	mustContain(t, r.body, `id="f-reason-error">`+h.msg(t, "field.cancel_reason.required"))
	orla.post(path+"/cancel", url.Values{"reason": {"The hall is flooded"}})
	mustContain(t, ann.get(path).body, "Cancelled", "The hall is flooded")
	mustContain(t, bob.get("/notifications").body, "An action you joined was cancelled: “Lunch club”")
	if r := bob.post(path+"/join", nil); r.status != http.StatusConflict {
		t.Errorf("join a cancelled action: %d", r.status)
	}
}

func TestCalendars(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("orla")
	orla := h.as("orla")
	path := postItem(t, orla, "actions", h.actionForm("Litter-pick", ""))
	village := h.actionForm("Secret meeting", "")
	village.Set("visibility", "village")
	postItem(t, orla, "actions", village)
	r := h.client().get(path + ".ics")
	if r.status != 200 || r.header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("ics: %d %s", r.status, r.header.Get("Content-Type"))
	}
	start := h.clock.now().Add(72 * time.Hour).Format("20060102")
	mustContain(t, r.body, "BEGIN:VCALENDAR", "SUMMARY:Litter-pick", "LOCATION:The village hall", "DTSTART:"+start+"T100000Z",
		"URL:http://127.0.0.1:8080"+path)
	feed := h.client().get("/calendar.ics").body
	mustContain(t, feed, "SUMMARY:Litter-pick")
	mustNotContain(t, feed, "Secret meeting")
}

func TestResponsesThread(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	h.member("olly")
	h.member("cora", instance.RoleCoordinator)
	rita, olly, cora := h.as("rita"), h.as("olly"), h.as("cora")
	path := postItem(t, rita, "offers", url.Values{"title": {"Ladder to lend"}, "category": {"lending"}, "visibility": {"public"}})
	r := olly.post(path+"/responses", url.Values{"body": {""}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("empty reply: %d", r.status)
	}
	mustContain(t, r.body, `id="f-body-error"`)
	r = olly.post(path+"/responses", url.Values{"body": {"How tall is it?"}})
	if r.status != http.StatusSeeOther || !strings.Contains(r.location(), "#response-") {
		t.Fatalf("reply: %d %q", r.status, r.location())
	}
	id := regexp.MustCompile(`response-(\d+)`).FindStringSubmatch(r.location())[1]
	if r := rita.get("/responses/" + id + "/edit"); r.status != http.StatusForbidden {
		t.Errorf("someone else's edit page: %d", r.status)
	}
	h.advance(time.Minute)
	olly.post("/responses/"+id+"/edit", url.Values{"body": {"How tall is it, please?"}})
	mustContain(t, rita.get(path).body, "How tall is it, please?", "edited")
	if r := rita.post("/responses/"+id+"/remove", nil); r.status != http.StatusForbidden {
		t.Errorf("non-coordinator removed: %d", r.status)
	}
	cora.post("/responses/"+id+"/remove", nil)
	page := rita.get(path).body
	mustContain(t, page, "This reply was removed by a coordinator.")
	mustNotContain(t, page, "How tall")
}

func TestDeletedItemAnswersGone(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	rita := h.as("rita")
	path := postItem(t, rita, "needs", needForm())
	mustContain(t, rita.get(path+"/delete").body, "This cannot be undone", "Yes, delete it")
	if r := rita.post(path+"/delete", nil); r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.status)
	}
	r := h.client().get(path)
	if r.status != http.StatusGone {
		t.Fatalf("deleted item: %d", r.status)
	}
	mustContain(t, r.body, "This was removed")
	if r := h.client().get("/needs/999"); r.status != http.StatusNotFound {
		t.Errorf("unknown item: %d", r.status)
	}
	// The same id under another kind is not found.
	if r := h.client().get(strings.Replace(path, "needs", "offers", 1)); r.status != http.StatusNotFound {
		t.Errorf("wrong kind: %d", r.status)
	}
}

func TestHomeFiltersAndSearch(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	rita := h.as("rita")
	postItem(t, rita, "needs", needForm())
	postItem(t, rita, "offers", url.Values{"title": {"Ladder to lend"}, "category": {"lending"}, "visibility": {"public"}})
	private := url.Values{"title": {"Spare eggs"}, "category": {"food"}, "visibility": {"village"}}
	postItem(t, rita, "offers", private)
	home := h.client().get("/").body
	mustContain(t, home, "A lift to the surgery", "Ladder to lend")
	mustNotContain(t, home, "Spare eggs")
	mustContain(t, rita.get("/").body, "Spare eggs", "Village only")
	cases := map[string][]string{
		"/?kind=offer":        {"Ladder to lend", "Spare eggs"},
		"/?kind=offer&q=eggs": {"Spare eggs"},
		"/?category=lifts":    {"A lift to the surgery"},
		"/?q=ladd":            {"Ladder to lend"},
		"/?q=surgery+lift":    {"A lift to the surgery"},
		"/?q=%22%29%28*":      {},
		"/?q=nothing+like+it": {},
	}
	all := []string{"A lift to the surgery", "Ladder to lend", "Spare eggs"}
	for path, want := range cases {
		r := rita.get(path)
		if r.status != 200 {
			t.Errorf("%s: %d", path, r.status)
			continue
		}
		for _, title := range all {
			wanted := false
			for _, w := range want {
				wanted = wanted || w == title
			}
			if strings.Contains(r.body, ">"+title+"<") != wanted {
				t.Errorf("%s: %q shown = %v", path, title, !wanted)
			}
		}
	}
	mustContain(t, rita.get("/?q=nothing+like+it").body, "Nothing matches")
}

func TestStillNeededReminderOnMyPage(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	rita := h.as("rita")
	path := postItem(t, rita, "needs", needForm())
	h.advance(12 * 24 * time.Hour)
	if err := h.svc.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustContain(t, rita.get("/").body, "You have 1 new notification.")
	mustContain(t, rita.get("/notifications").body, "Is this still needed? “A lift to the surgery”")
	page := rita.get("/me").body
	mustContain(t, page, "Closes soon", `action="`+path+`/renew"`, "Yes, keep")
	if r := rita.post(path+"/renew", nil); r.status != http.StatusSeeOther {
		t.Fatalf("renew: %d", r.status)
	}
	mustNotContain(t, rita.get("/me").body, "Yes, keep")
}

func (h *harness) advance(d time.Duration) {
	h.clock.mu.Lock()
	h.clock.t = h.clock.t.Add(d)
	h.clock.mu.Unlock()
}

// Every item page passes the shared page checks (one h1, labels, skip link,
// size budget, no untranslated keys), empty and with errors.
func TestEveryItemPage(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	cora, ann := h.as("cora"), h.as("ann")
	need := postItem(t, ann, "needs", needForm())
	offer := postItem(t, ann, "offers", url.Values{"title": {"Ladder"}, "category": {"lending"}, "visibility": {"public"}})
	action := postItem(t, cora, "actions", h.actionForm("Litter-pick", "10", "drivers", "2", "packers", "4"))
	r := ann.post(need+"/responses", url.Values{"body": {"Any time after 9"}})
	resp := regexp.MustCompile(`response-(\d+)`).FindStringSubmatch(r.location())[1]
	css := cssSize(t)
	pages := []struct {
		c    *client
		path string
	}{
		{ann, "/"}, {ann, "/me"}, {h.client(), "/"},
		{ann, "/needs/new"}, {ann, "/offers/new"}, {ann, "/actions/new"}, {cora, "/needs/new"},
		{ann, need}, {cora, need}, {h.client(), need}, {ann, need + "/edit"}, {ann, need + "/delete"},
		{ann, offer}, {cora, offer}, {ann, offer + "/edit"},
		{ann, action}, {cora, action}, {h.client(), action}, {cora, action + "/edit"},
		{ann, "/responses/" + resp + "/edit"},
	}
	for _, p := range pages {
		r := p.c.get(p.path)
		if r.status != 200 {
			t.Errorf("%s: %d", p.path, r.status)
			continue
		}
		checkPage(t, p.path, r, css)
	}
	// Forms with their validation errors shown.
	for _, p := range []struct{ path string }{{"/needs/new"}, {"/offers/new"}, {"/actions/new"}} {
		r := ann.post(p.path, url.Values{"title": {""}, "visibility": {"public"}})
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s with errors: %d", p.path, r.status)
		}
		checkPage(t, p.path+" (errors)", r, css)
	}
	r = cora.post(action+"/cancel", url.Values{"reason": {""}})
	checkPage(t, action+" (cancel error)", r, css)
}

// The edit form of an action shows its roles with their places, and
// changing them works the way the form says: more places for a role,
// a new role, and a refusal beside the field for removing a role
// somebody chose.
func TestEditActionRolesForm(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("orla")
	ann := h.member("ann")
	orla := h.as("orla")
	path := postItem(t, orla, "actions", when(url.Values{"title": {"Litter-pick"}, "place": {"The green"}, "visibility": {"public"},
		"slot_name_1": {"Drivers"}, "slot_capacity_1": {"1"}, "slot_name_2": {"Packers"}, "slot_capacity_2": {"2"}}, "2026-12-05", "10:00", "12:00"))
	ctx := context.Background()
	items, _ := h.svc.Items(ctx, nil, instance.ItemFilter{})
	act, err := h.svc.Item(ctx, nil, instance.KindAction, items[0].ID)
	if err != nil || len(act.Slots) != 2 {
		t.Fatalf("the new action: %v", err)
	}
	drivers, packers := act.Slots[0].ID, act.Slots[1].ID
	if _, err := h.svc.JoinAction(ctx, ann, act.ID, packers); err != nil {
		t.Fatal(err)
	}
	r := orla.get(path + "/edit")
	mustContain(t, r.body, fmt.Sprintf(`name="slot_id_1" value="%d"`, drivers), fmt.Sprintf(`name="slot_id_2" value="%d"`, packers),
		`value="Drivers"`, `value="Packers"`, `name="slot_name_4"`, "clear both its boxes")
	checkPage(t, path+"/edit (roles)", r, cssSize(t))
	form := when(url.Values{"title": {"Litter-pick"}, "place": {"The green"}, "visibility": {"public"},
		"slot_id_1": {fmt.Sprint(drivers)}, "slot_name_1": {"Drivers"}, "slot_capacity_1": {"3"},
		"slot_id_2": {fmt.Sprint(packers)}, "slot_name_2": {""}, "slot_capacity_2": {""},
		"slot_name_3": {"Tea makers"}, "slot_capacity_3": {"2"}}, "2026-12-05", "10:00", "12:00")
	r = orla.post(path+"/edit", form)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("removing a role with a member in it: %d", r.status)
	}
	mustContain(t, r.body, `id="f-slot_name_2-error"`, "cannot be removed while people are signed up for it (1 now)", `value="Tea makers"`,
		fmt.Sprintf(`name="slot_id_2" value="%d"`, packers))
	form.Set("slot_name_2", "Packing")
	form.Set("slot_capacity_2", "2")
	if r := orla.post(path+"/edit", form); r.status != http.StatusSeeOther {
		t.Fatalf("saving the roles: %d %s", r.status, r.body)
	}
	got, _ := h.svc.Item(ctx, nil, instance.KindAction, act.ID)
	var roles []string
	for _, sl := range got.Slots {
		roles = append(roles, fmt.Sprintf("%s %d", sl.Name, sl.Capacity))
	}
	if strings.Join(roles, ", ") != "Drivers 3, Packing 2, Tea makers 2" {
		t.Errorf("roles after editing: %v", roles)
	}
}

// A member who chooses French gets the whole interface in French: words,
// dates, error messages, and the page's lang attribute; visitors keep the
// instance's language.
func TestFrenchForAMemberWhoChoosesIt(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	ann := h.as("ann")
	if r := ann.post("/settings/profile", url.Values{"display_name": {"Ann"}, "language": {"fr"}, "contact_preference": {"site"}}); r.status != http.StatusSeeOther {
		t.Fatalf("choosing French: %d", r.status)
	}
	mustContain(t, ann.get("/settings/profile").body, `<option value="fr" selected>Français</option>`)
	r := ann.get("/")
	mustContain(t, r.body, `<html lang="fr">`, "Demander de l&#39;aide", "Mon activité")
	mustNotContain(t, r.body, "Ask for help", "My activity")
	checkPage(t, "/ (fr)", r, cssSize(t))
	path := postItem(t, ann, "actions", when(url.Values{"title": {"Ramassage des déchets"}, "place": {"La place"}, "visibility": {"public"}},
		"2026-12-05", "10:00", "12:00"))
	r = ann.get(path)
	mustContain(t, r.body, "samedi 5 décembre 2026 à 10:00", "Ajouter à mon agenda")
	checkPage(t, path+" (fr)", r, cssSize(t))
	r = ann.post("/needs/new", url.Values{"title": {""}, "category": {"shopping"}, "area": {"x"}, "visibility": {"public"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("empty need: %d", r.status)
	}
	mustContain(t, r.body, esc(h.web.cat.text("fr", "field.title_need.required")))
	mustContain(t, h.client().get("/").body, `<html lang="en">`, "Neighbours helping neighbours")
}
