package web

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// A long unbroken word or a pasted link in what people typed wraps instead
// of pushing the page sideways: every element that shows such text carries
// the class whose CSS breaks it (the browser test measures the page).
func TestLongWordsWrap(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	h.member("hal")
	rita := h.as("rita")
	long := "Pleasehelpmecarrymyshoppinghomefromthevillageshop" + strings.Repeat("x", 60)
	link := "https://example.org/" + strings.Repeat("averylongpath/", 12)
	f := needForm()
	f.Set("title", long)
	f.Set("description", "See "+link)
	f.Set("area", strings.Repeat("Mill", 20))
	path := postItem(t, rita, "needs", f)
	rita.post(path+"/responses", url.Values{"body": {link}})
	h.as("hal").post(path+"/help", nil)
	css, err := fs.ReadFile(assets, "static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`\.ugc \{ overflow-wrap: anywhere; \}`).Match(css) {
		t.Fatal("style.css does not break long words in .ugc")
	}
	ugc := func(name, body, tag, text string) {
		t.Helper()
		re := regexp.MustCompile(`<` + tag + ` class="[^"]*\bugc\b[^"]*"[^>]*>(?s:.{0,300})` + regexp.QuoteMeta(text))
		if !re.MatchString(body) {
			t.Errorf("%s: %q is not inside a <%s class=\"ugc\">", name, text, tag)
		}
	}
	page := rita.get(path).body
	ugc("item", page, "h1", long)
	ugc("item", page, "dl", strings.Repeat("Mill", 20))
	ugc("item", page, "div", link)
	ugc("item", page, "article", link)
	ugc("home", rita.get("/").body, "h3", long)
	ugc("my activity", rita.get("/me").body, "p", long)
	ugc("notifications", rita.get("/notifications").body, "section", long)
	ugc("delete", rita.get(path+"/delete").body, "h1", long)
	// Deciding together and the members' pages too.
	h.member("cora", instance.RoleCoordinator)
	cora := h.as("cora")
	round := roundForm()
	round.Set("title", long)
	panel := panelForm()
	panel.Set("title", long)
	ugc("budget round", cora.get(postItemAt(t, cora, "/budgets/new", round)).body, "h1", long)
	ugc("panel", cora.get(postItemAt(t, cora, "/panels/new", panel)).body, "h1", long)
	ugc("decide", cora.get("/decide").body, "h3", long)
	name := strings.Repeat("Bartholomew", 5)
	if r := h.as("hal").post("/settings/profile", url.Values{"display_name": {name}, "contact_preference": {"site"}}); r.status != http.StatusSeeOther {
		t.Fatalf("a long name: %d %s", r.status, errorsIn(r.body))
	}
	hal, _ := h.svc.Member(context.Background(), "hal")
	ugc("member's page", cora.get(memberPath(hal.ID)).body, "h1", name)
}

// postItemAt posts a form that creates something and returns where it
// went.
func postItemAt(t *testing.T, c *client, path string, form url.Values) string {
	t.Helper()
	r := c.post(path, form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("post %s: %d %s", path, r.status, errorsIn(r.body))
	}
	return r.location()
}

// Visitors see a need, never who asked for it or who is helping (a reply
// by the requester would say so too); members see the names. robots.txt
// keeps needs out of search engines always, and the rest unless the
// operator lets them in.
func TestVisitorsSeeNoNamesOnNeeds(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	h.member("hal", instance.RoleHelper)
	h.member("cora", instance.RoleCoordinator)
	h.member("olly")
	rita, hal, cora := h.as("rita"), h.as("hal"), h.as("cora")
	path := postItem(t, rita, "needs", needForm())
	hal.post(path+"/help", url.Values{"message": {"I can drive"}})
	accept := regexp.MustCompile(`action="(/needs/\d+/accept/\d+)"`).FindStringSubmatch(rita.get(path).body)
	rita.post(accept[1], nil)
	rita.post(path+"/responses", url.Values{"body": {"I am in all day"}})
	visitor := h.client().get(path)
	if visitor.status != 200 {
		t.Fatalf("visitor: %d", visitor.status)
	}
	mustNotContain(t, visitor.body, "Name rita", "Name hal", "@rita")
	mustContain(t, visitor.body, "<dd>"+h.msg(t, "item.posted_by_member")+" · ", "<strong>"+h.msg(t, "response.a_member")+"</strong>",
		"I am in all day")
	if got := visitor.header.Get("X-Robots-Tag"); !strings.Contains(got, "noindex") {
		t.Errorf("a need page lets search engines index it: %q", got)
	}
	mustContain(t, h.as("olly").get(path).body, "Name rita", "Name hal")
	// On behalf of a neighbour: said, but not who posted it.
	f := needForm()
	f.Set("on_behalf", "yes")
	f.Set("on_behalf_name", "Mrs Jones")
	behalf := postItem(t, cora, "needs", f)
	visitor = h.client().get(behalf)
	mustContain(t, visitor.body, h.msg(t, "item.on_behalf"))
	mustNotContain(t, visitor.body, "Name cora", "Mrs Jones")
	// An offer is not about someone's needs: its author is shown as before.
	offer := postItem(t, rita, "offers", url.Values{"title": {"Ladder"}, "category": {"lending"}, "visibility": {"public"}})
	mustContain(t, h.client().get(offer).body, "Name rita")

	robots := h.client().get("/robots.txt")
	if robots.status != 200 || robots.body != "User-agent: *\nDisallow: /\n" || !strings.HasPrefix(robots.header.Get("Content-Type"), "text/plain") {
		t.Errorf("robots.txt by default: %d %q", robots.status, robots.body)
	}
	open := newHarness(t, instance.RegistrationOpen)
	w, err := New(Options{Service: open.svc, SiteName: "Testham", SearchEngines: true})
	if err != nil {
		t.Fatal(err)
	}
	open.web, open.h = w, w.Handler()
	if r := open.client().get("/robots.txt"); r.body != "User-agent: *\nDisallow: /needs/\n" {
		t.Errorf("robots.txt with search engines allowed: %q", r.body)
	}
}

// controls lists what a page lets its viewer do to the item at path: the
// forms it posts to (by their last part: "done", "accept") and the links
// to the item's other pages ("change", "edit", "report", "login").
func controls(body, path string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`action="`+regexp.QuoteMeta(path)+`/([a-z-]+)[^"]*"`).FindAllStringSubmatch(body, -1) {
		out = append(out, "POST "+m[1])
	}
	for _, m := range regexp.MustCompile(`href="`+regexp.QuoteMeta(path)+`/([a-z-]+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	if strings.Contains(body, `href="/report?subject=item&amp;`) {
		out = append(out, "report")
	}
	if strings.Contains(body, `href="/login?next=`) {
		out = append(out, "login")
	}
	sort.Strings(out)
	return out
}

func sameControls(t *testing.T, who string, got []string, want ...string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("%s sees %q, want %q", who, got, want)
	}
}

// Each viewer of a need sees their own next step as the main action and
// nothing that is not theirs: the requester is not offered the helper's
// "I need more time" nor "Report this" on her own post, nor "Still
// needed?" a minute after posting; everything else is on the "Something
// changed?" page, which shows each viewer only their own changes.
func TestItemPageControlsPerViewer(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	h.member("hal", instance.RoleHelper)
	h.member("olly")
	h.member("cora", instance.RoleCoordinator)
	rita, hal, olly, cora, visitor := h.as("rita"), h.as("hal"), h.as("olly"), h.as("cora"), h.client()
	path := postItem(t, rita, "needs", needForm())
	sameControls(t, "the requester of a new need", controls(rita.get(path).body, path), "POST responses", "change")
	hal.post(path+"/help", url.Values{"message": {"I can drive"}})
	open := map[string][]string{}
	for who, c := range map[string]*client{"requester": rita, "helper who offered": hal, "other member": olly, "coordinator": cora, "visitor": visitor} {
		open[who] = controls(c.get(path).body, path)
	}
	sameControls(t, "the requester", open["requester"], "POST accept", "POST responses", "change")
	sameControls(t, "the member who offered", open["helper who offered"], "POST withdraw", "POST responses", "report")
	sameControls(t, "another member", open["other member"], "POST help", "POST responses", "report")
	sameControls(t, "a coordinator", open["coordinator"], "POST accept", "POST responses", "change", "report")
	sameControls(t, "a visitor", open["visitor"], "login")
	sameControls(t, "the requester's changes", controls(rita.get(path+"/change").body, path), "POST close", "edit", "delete")

	accept := regexp.MustCompile(`action="(/needs/\d+/accept/\d+)"`).FindStringSubmatch(rita.get(path).body)
	rita.post(accept[1], nil)
	page := rita.get(path).body
	mustContain(t, page, `<div class="next" id="helping">`, esc(h.msg(t, "need.helping_you", "Name hal")))
	sameControls(t, "the requester, helped", controls(page, path), "POST done", "POST messages", "POST responses", "change")
	page = hal.get(path).body
	mustContain(t, page, esc(h.msg(t, "need.you_are_helping", "Name rita")))
	sameControls(t, "the helper", controls(page, path), "POST done", "POST messages", "POST responses", "change", "report")
	sameControls(t, "another member, helped", controls(olly.get(path).body, path), "POST responses", "report")
	mustContain(t, olly.get(path).body, h.msg(t, "need.someone_helping"))
	sameControls(t, "a coordinator, helped", controls(cora.get(path).body, path), "POST done", "POST messages", "POST responses", "change", "report")
	sameControls(t, "a visitor, helped", controls(visitor.get(path).body, path), "login")

	sameControls(t, "the requester's changes, helped", controls(rita.get(path+"/change").body, path), "POST unclaim", "POST close", "edit", "delete")
	// More time is offered once it would give more time.
	page = hal.get(path + "/change").body
	sameControls(t, "the helper's changes, just chosen", controls(page, path), "POST unclaim")
	mustContain(t, page, esc(h.msg(t, "change.more_time_later", "Friday 4 December 2026")))
	h.advance(2 * 24 * time.Hour)
	sameControls(t, "the helper's changes", controls(hal.get(path+"/change").body, path), "POST renew-claim", "POST unclaim")
	sameControls(t, "a coordinator's changes", controls(cora.get(path+"/change").body, path), "POST unclaim", "POST close", "edit", "delete")
	if r := olly.get(path + "/change"); r.status != http.StatusForbidden {
		t.Errorf("another member opened the changes page: %d", r.status)
	}
	if r := visitor.get(path + "/change"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("a visitor opened the changes page: %d", r.status)
	}
	checkPage(t, path+"/change (helper)", hal.get(path+"/change"), cssSize(t))
	checkPage(t, path+"/change (requester)", rita.get(path+"/change"), cssSize(t))

	// "Still needed?" is asked only when the need is about to close.
	fresh := postItem(t, rita, "needs", needForm())
	mustNotContain(t, rita.get(fresh).body+rita.get(fresh+"/change").body, `action="`+fresh+`/renew"`)
	h.advance(12 * 24 * time.Hour)
	page = rita.get(fresh).body
	mustContain(t, page, `action="`+fresh+`/renew"`, esc(h.msg(t, "need.closes_soon", "Sunday 13 December 2026")))
	mustContain(t, rita.get(fresh+"/change").body, `action="`+fresh+`/renew"`)
	mustNotContain(t, olly.get(fresh).body, `action="`+fresh+`/renew"`)
	// Closing comes back on the changes page when the reason is too long.
	r := rita.post(fresh+"/close", url.Values{"reason": {strings.Repeat("a", 301)}})
	mustContain(t, r.body, "<h1>"+h.msg(t, "change.title")+"</h1>", `id="f-reason-error"`)
}

// Offers and actions: the owner's page has no "Report this" and keeps
// closing, changing and deleting on the changes page; cancelling an action
// asks first, with the reason everyone is told.
func TestOfferAndActionControls(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("orla")
	h.member("ann")
	orla, ann := h.as("orla"), h.as("ann")
	offer := postItem(t, orla, "offers", url.Values{"title": {"Ladder"}, "category": {"lending"}, "visibility": {"public"}})
	sameControls(t, "the offerer", controls(orla.get(offer).body, offer), "POST responses", "change")
	sameControls(t, "a neighbour", controls(ann.get(offer).body, offer), "POST want", "POST responses", "report")
	sameControls(t, "the offerer's changes", controls(orla.get(offer+"/change").body, offer), "POST close", "edit", "delete")
	action := postItem(t, orla, "actions", h.actionForm("Litter-pick", "10"))
	sameControls(t, "the organiser", controls(orla.get(action).body, action), "POST join", "POST responses", "change")
	sameControls(t, "a neighbour", controls(ann.get(action).body, action), "POST join", "POST responses", "report")
	sameControls(t, "the organiser's changes", controls(orla.get(action+"/change").body, action), "cancel", "edit", "delete")
	ann.post(action+"/join", url.Values{"slot": {"0"}})
	r := orla.get(action + "/cancel")
	mustContain(t, r.body, "<h1 class=\"ugc\">"+esc(h.msg(t, "cancel.title", "Litter-pick"))+"</h1>", `name="reason"`,
		h.msg(t, "cancel.confirm"), `href="`+action+`">`+h.msg(t, "cancel.keep"))
	checkPage(t, action+"/cancel", r, cssSize(t))
	if r := ann.get(action + "/cancel"); r.status != http.StatusForbidden {
		t.Errorf("a neighbour opened the cancel page: %d", r.status)
	}
	r = orla.post(action+"/cancel", url.Values{"reason": {""}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("cancel without a reason: %d", r.status)
	}
	mustContain(t, r.body, `id="f-reason-error">`+esc(h.msg(t, "field.cancel_reason.required")), h.msg(t, "cancel.confirm"))
	if r := orla.post(action+"/cancel", url.Values{"reason": {"Rain"}}); r.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", r.status)
	}
	mustContain(t, ann.get(action).body, "Rain")
	mustContain(t, orla.get(offer+"/delete").body, h.msg(t, "delete.confirm"), h.msg(t, "delete.keep"))
}

// helpedNeed posts a public need by rita, has hal help and marks it done.
func helpedNeed(t *testing.T, h *harness, rita, hal *client, vis string) string {
	t.Helper()
	f := needForm()
	f.Set("visibility", vis)
	path := postItem(t, rita, "needs", f)
	hal.post(path+"/help", url.Values{"message": {"On my way"}})
	accept := regexp.MustCompile(`action="(/needs/\d+/accept/\d+)"`).FindStringSubmatch(rita.get(path).body)
	if accept == nil {
		t.Fatal("no offer of help to accept")
	}
	rita.post(accept[1], nil)
	if r := hal.post(path+"/done", nil); r.status != http.StatusSeeOther {
		t.Fatalf("done: %d", r.status)
	}
	return path
}

// When the needs have been met, the home page says so ("No open needs
// right now: 3 were helped this month") instead of "Nothing has been
// posted yet", counting only what the viewer may see.
func TestHomeSaysWhatIsTrue(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	h.member("hal", instance.RoleHelper)
	rita, hal, visitor := h.as("rita"), h.as("hal"), h.client()
	note := regexp.MustCompile(`<p class="notice">([^<]*)</p>`)
	says := func(c *client) string {
		m := note.FindStringSubmatch(c.get("/").body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	if got := says(visitor); got != esc(h.msg(t, "home.nothing_yet")) {
		t.Errorf("an empty instance says %q", got)
	}
	helpedNeed(t, h, rita, hal, "public")
	if got := says(visitor); got != esc(h.msg(t, "home.no_open_needs_helped", 1)) {
		t.Errorf("one need helped: %q", got)
	}
	helpedNeed(t, h, rita, hal, "village")
	if got := says(rita); got != esc(h.msg(t, "home.no_open_needs_helped", 2)) {
		t.Errorf("a member, two helped: %q", got)
	}
	if got := says(visitor); got != esc(h.msg(t, "home.no_open_needs_helped", 1)) {
		t.Errorf("a visitor counts a village-only need: %q", got)
	}
	// A claimed need is not open either.
	f := needForm()
	path := postItem(t, rita, "needs", f)
	if got := says(rita); got != "" {
		t.Errorf("with an open need the page says %q", got)
	}
	hal.post(path+"/help", nil)
	accept := regexp.MustCompile(`action="(/needs/\d+/accept/\d+)"`).FindStringSubmatch(rita.get(path).body)
	rita.post(accept[1], nil)
	if got := says(rita); got != esc(h.msg(t, "home.no_open_needs_helped", 2)) {
		t.Errorf("with a claimed need: %q", got)
	}
	// A new month starts the count again (the village's month).
	h.advance(5 * 24 * time.Hour)
	if got := says(rita); got != esc(h.msg(t, "home.no_open_needs")) {
		t.Errorf("in December: %q", got)
	}
}

// A finished need says who helped (to members), and lets the requester
// say thank you once; the helper is told, with the note.
func TestThankYouForHelp(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	h.member("hal", instance.RoleHelper)
	ollyM := h.member("olly")
	rita, hal, olly := h.as("rita"), h.as("hal"), h.as("olly")
	path := helpedNeed(t, h, rita, hal, "public")
	helped := "<dt>" + h.msg(t, "item.helped_by") + "</dt><dd>Name hal</dd>"
	mustContain(t, olly.get(path).body, helped)
	mustNotContain(t, h.client().get(path).body, helped, "Name hal")
	page := rita.get(path).body
	mustContain(t, page, helped, esc(h.msg(t, "need.say_thanks", "Name hal")))
	sameControls(t, "the requester of a done need", controls(page, path), "POST thanks", "POST messages", "POST responses", "change")
	for who, c := range map[string]*client{"the helper": hal, "another member": olly} {
		mustNotContain(t, c.get(path).body, `action="`+path+`/thanks"`)
		if r := c.post(path+"/thanks", url.Values{"thanks": {"x"}}); r.status != http.StatusForbidden {
			t.Errorf("%s said thanks: %d", who, r.status)
		}
	}
	r := rita.post(path+"/thanks", url.Values{"thanks": {strings.Repeat("a", 501)}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("a long note: %d", r.status)
	}
	mustContain(t, r.body, `id="f-thanks-error"`, esc(h.msg(t, "field.thanks")+": "))
	if r := rita.post(path+"/thanks", url.Values{"thanks": {"Thank you so much, Hal"}}); r.status != http.StatusSeeOther {
		t.Fatalf("thanks: %d", r.status)
	}
	mustContain(t, rita.get(path).body, esc(h.msg(t, "need.you_thanked", "Name hal")), "Thank you so much, Hal")
	mustContain(t, hal.get(path).body, esc(h.msg(t, "need.thanked_you", "Name rita")), "Thank you so much, Hal")
	mustNotContain(t, olly.get(path).body, "Thank you so much")
	if it, err := h.svc.Item(context.Background(), ollyM, instance.KindNeed, itemID(t, path)); err != nil || it.Thanks != "" {
		t.Errorf("the note reaches another member: %q %v", it.Thanks, err)
	}
	// The helper is told, with the note, linked to where it is shown.
	mustContain(t, hal.get("/notifications").body, `<a href="`+path+`#thanks">`+
		esc(h.msg(t, "note.thanked_detail", "Name rita", "A lift to the surgery", "Thank you so much, Hal"))+`</a>`)
	mustContain(t, hal.get(path).body, `id="thanks"`)
	r = rita.post(path+"/thanks", url.Values{"thanks": {"Again"}})
	if r.status != http.StatusConflict {
		t.Fatalf("thanks twice: %d", r.status)
	}
	mustContain(t, r.body, esc(h.msg(t, "need.already_thanked")))
}

// addReplies writes n replies by a member straight into the database (n
// posts through the form would only be slower), every tenth deleted.
func (h *harness) addReplies(t testing.TB, item, author int64, n int, body string) {
	db := h.store.DB()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := tx.Prepare(h.store.SQL(`INSERT INTO responses (item_id, author_id, body, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?)`))
	if err != nil {
		t.Fatal(err)
	}
	now := h.clock.now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	for i := 1; i <= n; i++ {
		var deleted any
		if i%10 == 0 {
			deleted = now
		}
		if _, err := stmt.Exec(item, author, fmt.Sprintf(body, i), now, now, deleted); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

var articleRE = regexp.MustCompile(`<article class="response[^"]*" id="response-(\d+)">`)

// A long thread is paged: 50 replies at most, newest last, with links to
// the earlier and later ones; the count leaves out deleted replies; a
// page of long replies stops early to stay within the page budget.
func TestLongThreadsArePaged(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	rita := h.member("rita")
	c := h.as("rita")
	path := postItem(t, c, "needs", needForm())
	h.addReplies(t, itemID(t, path), rita.ID, 120, "Reply number %d")
	page := c.get(path)
	ids := articleRE.FindAllStringSubmatch(page.body, -1)
	if len(ids) != instance.RepliesPerPage {
		t.Fatalf("the latest page shows %d replies", len(ids))
	}
	mustContain(t, page.body, esc(h.msg(t, "item.responses", 108)), "Reply number 119", "Reply number 71")
	mustNotContain(t, page.body, "Reply number 70<", h.msg(t, "item.later_replies"))
	if strings.Index(page.body, "Reply number 119") < strings.Index(page.body, "Reply number 71") {
		t.Error("the newest reply is not last")
	}
	earlier := regexp.MustCompile(`href="(` + path + `\?before=\d+)#responses-h">` + h.msg(t, "item.earlier_replies")).FindStringSubmatch(page.body)
	if earlier == nil {
		t.Fatal("no link to earlier replies")
	}
	page = c.get(earlier[1])
	mustContain(t, page.body, "Reply number 21<", "Reply number 69<", h.msg(t, "item.later_replies"), h.msg(t, "item.earlier_replies"))
	mustNotContain(t, page.body, "Reply number 71<", "Reply number 20<")
	first := regexp.MustCompile(`href="(` + path + `\?before=\d+)#`).FindStringSubmatch(page.body)
	page = c.get(first[1])
	mustContain(t, page.body, "Reply number 1<", "Reply number 19<", h.msg(t, "item.later_replies"))
	mustNotContain(t, page.body, h.msg(t, "item.earlier_replies"))
	later := regexp.MustCompile(`href="(` + path + `\?after=\d+)#`).FindStringSubmatch(page.body)
	page = c.get(later[1])
	mustContain(t, page.body, "Reply number 21<", "Reply number 69<")
	checkPage(t, path+" (earlier replies)", page, cssSize(t))

	// Long replies: the page stops before it is too big, and still links on.
	long := postItem(t, c, "offers", url.Values{"title": {"Ladder"}, "category": {"lending"}, "visibility": {"public"}})
	h.addReplies(t, itemID(t, long), rita.ID, 60, "Reply %d "+strings.Repeat("words and more words ", 140))
	page = c.get(long)
	if n := len(articleRE.FindAllString(page.body, -1)); n >= instance.RepliesPerPage || n == 0 {
		t.Errorf("a page of long replies shows %d", n)
	}
	mustContain(t, page.body, h.msg(t, "item.earlier_replies"))
	checkPage(t, long+" (long replies)", page, cssSize(t))
}
