package web

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed/atom"

	"hearth/instance"
)

// xmlNode is any element, for checking a document against the rules of
// RFC 4287 rather than against the structs that wrote it.
type xmlNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xmlNode  `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n xmlNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

func (n xmlNode) all(name string) []xmlNode {
	var out []xmlNode
	for _, c := range n.Children {
		if c.XMLName.Space == "http://www.w3.org/2005/Atom" && c.XMLName.Local == name {
			out = append(out, c)
		}
	}
	return out
}

func (n xmlNode) one(name string) string {
	if l := n.all(name); len(l) > 0 {
		return strings.TrimSpace(l[0].Text)
	}
	return ""
}

// atomEntryOf is what the tests read of an entry.
type atomEntryOf struct {
	ID, Title, Updated, Link, Summary, Content string
}

// atomChildren are the elements RFC 4287 allows in a feed and an entry
// (4.1.1, 4.1.2); anything else in the Atom namespace is invalid.
var atomChildren = map[string]map[string]bool{
	"feed": {"author": true, "category": true, "contributor": true, "generator": true, "icon": true, "id": true, "link": true,
		"logo": true, "rights": true, "subtitle": true, "title": true, "updated": true, "entry": true},
	"entry": {"author": true, "category": true, "content": true, "contributor": true, "id": true, "link": true, "published": true,
		"rights": true, "source": true, "summary": true, "title": true, "updated": true},
}

// checkAtom checks a feed against RFC 4287's rules: a feed has exactly one
// id, title and updated, an author (or every entry has one), a link to
// itself and at most one alternate link per type; an entry has exactly one
// id, title and updated, at most one summary, content and published, and
// an alternate link when it has no content; ids are absolute IRIs, dates
// are RFC 3339, text constructs are text, html or xhtml, links have an
// href, categories a term and persons a name. It returns the entries.
func checkAtom(t *testing.T, r *response) (xmlNode, []atomEntryOf) {
	t.Helper()
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %q", r.status, r.header.Get("Content-Type"))
	}
	root, entries, problems := validateAtom(r.body)
	for _, p := range problems {
		t.Errorf("not valid Atom: %s", p)
	}
	if len(problems) > 0 {
		t.FailNow()
	}
	// A second reading, by a feed reader's parser.
	parsed, err := (&atom.Parser{}).Parse(strings.NewReader(r.body))
	if err != nil || len(parsed.Entries) != len(entries) || parsed.Title != root.one("title") {
		t.Errorf("gofeed reads the feed as %v entries, title %q (%v)", len(parsed.Entries), parsed.Title, err)
	}
	return root, entries
}

// validateAtom reads a feed and lists how it breaks RFC 4287.
func validateAtom(body string) (xmlNode, []atomEntryOf, []string) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var root xmlNode
	if err := xml.Unmarshal([]byte(body), &root); err != nil {
		return root, nil, []string{"not XML: " + err.Error()}
	}
	if root.XMLName.Space != "http://www.w3.org/2005/Atom" || root.XMLName.Local != "feed" {
		return root, nil, []string{fmt.Sprintf("root element %v, not Atom's feed", root.XMLName)}
	}
	exactlyOne := func(where string, n xmlNode, names ...string) {
		for _, name := range names {
			if c := len(n.all(name)); c != 1 {
				bad("%s has %d %s elements, want 1", where, c, name)
			}
		}
	}
	atMostOne := func(where string, n xmlNode, names ...string) {
		for _, name := range names {
			if c := len(n.all(name)); c > 1 {
				bad("%s has %d %s elements, want at most 1", where, c, name)
			}
		}
	}
	isIRI := func(where, s string) {
		if u, err := url.Parse(s); err != nil || u.Scheme == "" {
			bad("%s id %q is not an absolute IRI", where, s)
		}
	}
	isDate := func(where string, n xmlNode, name string) {
		for _, d := range n.all(name) {
			if _, err := time.Parse(time.RFC3339, strings.TrimSpace(d.Text)); err != nil {
				bad("%s %s %q is not an RFC 3339 date", where, name, d.Text)
			}
		}
	}
	texts := func(where string, n xmlNode, names ...string) {
		for _, name := range names {
			for _, c := range n.all(name) {
				if ty := c.attr("type"); ty != "" && ty != "text" && ty != "html" && ty != "xhtml" {
					bad("%s %s has type %q", where, name, ty)
				}
			}
		}
	}
	links := func(where string, n xmlNode) (self, alternate bool) {
		types := map[string]bool{}
		for _, l := range n.all("link") {
			if l.attr("href") == "" {
				bad("%s has a link without href", where)
			}
			switch l.attr("rel") {
			case "self":
				self = true
			case "", "alternate":
				alternate = true
				if types[l.attr("type")] {
					bad("%s has two alternate links of type %q", where, l.attr("type"))
				}
				types[l.attr("type")] = true
			}
		}
		return self, alternate
	}
	persons := func(where string, n xmlNode) {
		for _, p := range append(n.all("author"), n.all("contributor")...) {
			exactlyOne(where+" author", p, "name")
		}
	}
	known := func(where, kind string, n xmlNode) {
		for _, c := range n.Children {
			if c.XMLName.Space == "http://www.w3.org/2005/Atom" && !atomChildren[kind][c.XMLName.Local] {
				bad("%s has an element %s that Atom does not have", where, c.XMLName.Local)
			}
		}
		for _, c := range n.all("category") {
			if c.attr("term") == "" {
				bad("%s has a category without a term", where)
			}
		}
	}
	exactlyOne("feed", root, "id", "title", "updated")
	atMostOne("feed", root, "subtitle", "icon", "logo", "rights", "generator")
	isIRI("feed", root.one("id"))
	isDate("feed", root, "updated")
	texts("feed", root, "title", "subtitle", "rights")
	persons("feed", root)
	known("feed", "feed", root)
	if self, _ := links("feed", root); !self {
		bad("feed has no rel=self link")
	}
	var entries []atomEntryOf
	for i, e := range root.all("entry") {
		where := "entry " + e.one("id")
		exactlyOne(where, e, "id", "title", "updated")
		atMostOne(where, e, "summary", "content", "published", "rights", "source")
		isIRI(where, e.one("id"))
		isDate(where, e, "updated")
		isDate(where, e, "published")
		texts(where, e, "title", "summary", "content", "rights")
		persons(where, e)
		known(where, "entry", e)
		_, alternate := links(where, e)
		if len(e.all("content")) == 0 && !alternate {
			bad("%s has no content and no alternate link", where)
		}
		if len(root.all("author")) == 0 && len(e.all("author")) == 0 {
			bad("entry %d has no author and neither has the feed", i)
		}
		out := atomEntryOf{ID: e.one("id"), Title: e.one("title"), Updated: e.one("updated"), Summary: e.one("summary"), Content: e.one("content")}
		for _, l := range e.all("link") {
			if l.attr("rel") == "alternate" {
				out.Link = l.attr("href")
			}
		}
		entries = append(entries, out)
	}
	return root, entries, problems
}

// The public feeds are valid Atom with the public posts only (a feed
// reader cannot sign in; even a signed-in member's request gets only
// those, since the answer may be cached), never a private detail or a
// requester's name; an entry's id stays the same when its post changes,
// and a feed is the same from one request to the next; pages name their
// feed in their head.
func TestPublicAtomFeeds(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	paths := boardPosts(t, h)
	visitor, bob := h.client(), h.as("bob")
	r := visitor.get("/feed.atom")
	root, entries := checkAtom(t, r)
	titles := map[string]atomEntryOf{}
	for _, e := range entries {
		titles[e.Title] = e
	}
	for _, want := range []string{"Need: A lift to the surgery", "Need: Shopping for Edith", "Offer: Ladder to lend", "Action: Litter-pick",
		"Action: Lunch club Tuesday"} {
		if _, ok := titles[want]; !ok {
			t.Errorf("the feed has no %q: %v", want, entries)
		}
	}
	need := titles["Need: A lift to the surgery"]
	if need.Link != "http://127.0.0.1:8080"+paths["need"] || need.ID != "tag:127.0.0.1,2026-11-27:"+strings.TrimPrefix(paths["need"], "/") ||
		!strings.Contains(need.Summary, "lifts · Mill Lane") || !strings.Contains(need.Content, "<em>morning</em>") {
		t.Errorf("need entry: %+v", need)
	}
	if root.one("id") != "tag:127.0.0.1,2026-11-27:feed" || root.all("author")[0].one("name") != "Testham" {
		t.Errorf("feed id %q, author %q", root.one("id"), root.all("author")[0].one("name"))
	}
	for _, body := range []string{r.body, bob.get("/feed.atom").body} {
		mustNotContain(t, body, "Help with the hedge", "4 Mill Lane", "07700 900123", "2 Church Row", "Ring after 10", "Edith Crane",
			"01234 999888", "Name ann", "Name bob", "Name cora")
	}
	if again := visitor.get("/feed.atom"); again.body != r.body {
		t.Error("the feed changed between two requests with nothing posted")
	}
	if r.header.Get("Cache-Control") != "public, max-age=900" {
		t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
	}

	// An edit changes the entry's updated time and the feed's, not its id.
	h.advance(2 * time.Hour)
	ann, _ := h.svc.MemberByID(context.Background(), idOfMember(t, h, "ann"))
	if err := h.svc.UpdateItem(context.Background(), ann, idOf(paths["need"]), instance.ItemInput{Title: "A lift to the surgery",
		Description: "Wednesday now", Category: "lifts", Area: "Mill Lane", Visibility: "public"}); err != nil {
		t.Fatal(err)
	}
	root2, entries := checkAtom(t, visitor.get("/feed.atom"))
	for _, e := range entries {
		if e.Title == need.Title && (e.ID != need.ID || e.Updated == need.Updated) {
			t.Errorf("after an edit: id %q (was %q), updated %q (was %q)", e.ID, need.ID, e.Updated, need.Updated)
		}
	}
	if root2.one("id") != root.one("id") || root2.one("updated") == root.one("updated") {
		t.Errorf("feed after an edit: id %q updated %q", root2.one("id"), root2.one("updated"))
	}

	// A group's feed: its posts only.
	_, entries = checkAtom(t, visitor.get("/groups/lunch/feed.atom"))
	if len(entries) != 1 || entries[0].Title != "Action: Lunch club Tuesday" {
		t.Errorf("group feed: %+v", entries)
	}
	if r := visitor.get("/groups/nope/feed.atom"); r.status != http.StatusNotFound {
		t.Errorf("unknown group's feed: %d", r.status)
	}
	mustContain(t, visitor.get("/").body, `<link rel="alternate" type="application/atom+xml" title="`+h.says("feed.title_village", "Testham")+`" href="/feed.atom">`)
	mustContain(t, visitor.get("/groups/lunch").body, `type="application/atom+xml"`, `href="/groups/lunch/feed.atom"`)
}

func idOfMember(t *testing.T, h *harness, handle string) int64 {
	t.Helper()
	var id int64
	if err := h.store.DB().QueryRow(h.store.SQL(`SELECT id FROM members WHERE handle = ?`), handle).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// The checker above can fail: each broken feed is refused for its fault.
func TestAtomValidatorRefusesBrokenFeeds(t *testing.T) {
	good := `<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:x.example,2026-11-27:feed</id><title>T</title>
<updated>2026-11-27T10:00:00Z</updated><author><name>A</name></author><link rel="self" href="http://x.example/feed.atom"/>
<entry><id>tag:x.example,2026-11-27:needs/1</id><title>E</title><updated>2026-11-27T10:00:00Z</updated>
<link rel="alternate" type="text/html" href="http://x.example/needs/1"/></entry></feed>`
	if _, _, problems := validateAtom(good); len(problems) > 0 {
		t.Fatalf("a valid feed: %v", problems)
	}
	for fault, change := range map[string][2]string{
		"feed has 0 id":               {"<id>tag:x.example,2026-11-27:feed</id>", ""},
		"has 0 updated":               {"<title>E</title><updated>2026-11-27T10:00:00Z</updated>", "<title>E</title>"},
		"no author and neither":       {"<author><name>A</name></author>", ""},
		"no rel=self":                 {`rel="self"`, `rel="related"`},
		"not an RFC 3339 date":        {"<updated>2026-11-27T10:00:00Z</updated><author>", "<updated>27 Nov 2026</updated><author>"},
		"not an absolute IRI":         {"<id>tag:x.example,2026-11-27:needs/1</id>", "<id>needs/1</id>"},
		"no content and no alternate": {`<link rel="alternate" type="text/html" href="http://x.example/needs/1"/>`, ""},
		"does not have":               {"<title>E</title>", "<title>E</title><colour>red</colour>"},
		"has type \"markdown\"":       {"<title>T</title>", `<title type="markdown">T</title>`},
		"root element":                {`<feed xmlns="http://www.w3.org/2005/Atom">`, "<feed>"},
		"has 2 summary":               {"<title>E</title>", "<title>E</title><summary>a</summary><summary>b</summary>"},
	} {
		if !strings.Contains(good, change[0]) {
			t.Fatalf("%s: the sample has no %q", fault, change[0])
		}
		_, _, problems := validateAtom(strings.Replace(good, change[0], change[1], 1))
		if !strings.Contains(strings.Join(problems, "; "), fault) {
			t.Errorf("a feed where %s: the checker says %v", fault, problems)
		}
	}
}

// A member's private feed is what concerns them (their notifications),
// behind a token they can see, renew and stop on /settings/feed: valid
// Atom, in their language, never another member's notifications; a new
// address stops the old one, a stopped one and a suspended member's are
// not found, and reading it marks nothing read.
func TestPrivateAtomFeed(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	paths := boardPosts(t, h)
	ann, bob, visitor := h.as("ann"), h.as("bob"), h.client()
	bob.post(paths["need"]+"/help", url.Values{"message": {"I can drive you, ring 07700 111222"}})

	r := ann.get("/settings/feed")
	mustContain(t, r.body, h.says("feedpage.none"), h.says("feedpage.make"))
	checkPage(t, "/settings/feed (none)", r, cssSize(t))
	mustContain(t, ann.get("/notifications").body, `href="/settings/feed"`)
	if r := ann.post("/settings/feed", nil); r.status != http.StatusSeeOther {
		t.Fatalf("make feed: %d", r.status)
	}
	r = ann.get("/settings/feed")
	mustContain(t, r.body, h.says("feedpage.renew"), h.says("feedpage.stop"), h.says("feedpage.secret"))
	checkPage(t, "/settings/feed (made)", r, cssSize(t))
	link := regexpFind(t, `http://127\.0\.0\.1:8080/feeds/[A-Za-z0-9_-]{32}\.atom`, r.body)
	path := strings.TrimPrefix(link, "http://127.0.0.1:8080")

	feed := visitor.get(path)
	root, entries := checkAtom(t, feed)
	want := h.says("note.help_offered", "Name bob", "A lift to the surgery")
	if len(entries) != 1 || entries[0].Title != want || !strings.HasPrefix(entries[0].Link, "http://127.0.0.1:8080"+paths["need"]) {
		t.Fatalf("ann's feed: %+v, want %q", entries, want)
	}
	mustNotContain(t, feed.body, "07700 111222", "I can drive you") // what bob wrote stays on the site
	if feed.header.Get("Cache-Control") != "private, max-age=300" || root.all("link")[0].attr("href") != link {
		t.Errorf("Cache-Control %q, self %q", feed.header.Get("Cache-Control"), root.all("link")[0].attr("href"))
	}
	mustContain(t, ann.get("/").body, h.says("home.unread", 1)) // reading the feed marked nothing read

	// Bob's feed has bob's notifications, not ann's.
	bob.post("/settings/feed", nil)
	bobPath := strings.TrimPrefix(regexpFind(t, `http://127\.0\.0\.1:8080/feeds/[A-Za-z0-9_-]{32}\.atom`, bob.get("/settings/feed").body), "http://127.0.0.1:8080")
	if _, e := checkAtom(t, visitor.get(bobPath)); len(e) != 0 || bobPath == path {
		t.Errorf("bob's feed: %+v", e)
	}

	// A new address: the old one stops working.
	ann.post("/settings/feed", nil)
	if r := visitor.get(path); r.status != http.StatusNotFound {
		t.Errorf("old address after a new one: %d, want 404", r.status)
	}
	path = strings.TrimPrefix(regexpFind(t, `http://127\.0\.0\.1:8080/feeds/[A-Za-z0-9_-]{32}\.atom`, ann.get("/settings/feed").body), "http://127.0.0.1:8080")
	checkAtom(t, visitor.get(path))
	// A suspended member's feed says nothing.
	if _, err := h.store.DB().Exec(`UPDATE members SET status = 'suspended' WHERE handle = 'bob'`); err != nil {
		t.Fatal(err)
	}
	if r := visitor.get(bobPath); r.status != http.StatusNotFound {
		t.Errorf("a suspended member's feed: %d, want 404", r.status)
	}
	// Stopped.
	ann.post("/settings/feed", url.Values{"stop": {"yes"}})
	if r := visitor.get(path); r.status != http.StatusNotFound {
		t.Errorf("stopped feed: %d, want 404", r.status)
	}
	mustContain(t, ann.get("/settings/feed").body, h.says("feedpage.none"))
	if r := visitor.get("/feeds/abcdefghijklmnopqrstuvwxyz012345.atom"); r.status != http.StatusNotFound {
		t.Errorf("made-up token: %d", r.status)
	}
	if r := visitor.get("/settings/feed"); r.status == http.StatusOK {
		t.Error("a visitor reached /settings/feed")
	}
}
