package web

import (
	"io/fs"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/instance"
)

// A long unbroken word or a pasted link in what people typed wraps instead
// of pushing the page sideways: every element that shows such text carries
// the class whose CSS breaks it (the browser test measures the page).
func TestLongWordsWrap(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	rita := h.as("rita")
	long := "Pleasehelpmecarrymyshoppinghomefromthevillageshop" + strings.Repeat("x", 60)
	link := "https://example.org/" + strings.Repeat("averylongpath/", 12)
	f := needForm()
	f.Set("title", long)
	f.Set("description", "See "+link)
	f.Set("area", strings.Repeat("Mill", 20))
	path := postItem(t, rita, "needs", f)
	rita.post(path+"/responses", url.Values{"body": {link}})
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
	ugc("my activity", rita.get("/me").body, "h3", long)
	ugc("delete", rita.get(path+"/delete").body, "h1", long)
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
