package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/instance"
)

// boardPosts posts what a village's noticeboard shows: needs with every
// private detail filled in (one for a neighbour without an account), a
// need for members only, an offer, an action with places and one in
// another group. It returns the paths by name.
func boardPosts(t *testing.T, h *harness) map[string]string {
	t.Helper()
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	h.member("bob")
	cora, ann, bob := h.as("cora"), h.as("ann"), h.as("bob")
	if r := cora.post("/groups/new", url.Values{"handle": {"lunch"}, "name": {"Lunch club"}}); r.status != http.StatusSeeOther {
		t.Fatalf("new group: %d", r.status)
	}
	paths := map[string]string{}
	need := needForm()
	need.Set("description", "Tuesday *morning*, back by noon.")
	need.Set("contact", "07700 900123")
	paths["need"] = postItem(t, ann, "needs", need)
	behalf := needForm()
	behalf.Set("title", "Shopping for Edith")
	behalf.Set("address", "2 Church Row")
	behalf.Set("contact", "Ring after 10")
	behalf.Set("on_behalf", "yes")
	behalf.Set("on_behalf_name", "Edith Crane")
	behalf.Set("on_behalf_phone", "01234 999888")
	paths["behalf"] = postItem(t, cora, "needs", behalf)
	village := needForm()
	village.Set("title", "Help with the hedge")
	village.Set("visibility", "village")
	paths["village"] = postItem(t, ann, "needs", village)
	paths["offer"] = postItem(t, bob, "offers", url.Values{"title": {"Ladder to lend"}, "category": {"lending"}, "visibility": {"public"}})
	paths["action"] = postItem(t, cora, "actions", h.actionForm("Litter-pick", "5"))
	ann.post("/groups/lunch/join", nil)
	lunch := h.actionForm("Lunch club Tuesday", "")
	lunch.Set("group", "lunch")
	paths["lunch"] = postItem(t, ann, "actions", lunch)
	if r := bob.post(paths["action"]+"/join", url.Values{"slot": {"0"}}); r.status != http.StatusSeeOther {
		t.Fatalf("join: %d", r.status)
	}
	return paths
}

// The printed noticeboard has the open posts a viewer may see, each with
// its QR code and address, and never a private detail: no address, no
// contact, no phone, no requester's (or anyone's) name, whoever prints it
// (even a coordinator, who sees them on the need's page).
func TestNoticeboardHasNothingPrivate(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	paths := boardPosts(t, h)
	private := []string{"4 Mill Lane", "07700 900123", "2 Church Row", "Ring after 10", "Edith Crane", "01234 999888",
		"Name ann", "Name bob", "Name cora"}
	cora := h.as("cora")
	mustContain(t, cora.get(paths["behalf"]).body, "2 Church Row", "Edith Crane", "01234 999888") // the fixture is real
	visitor, bob := h.client(), h.as("bob")
	css := cssSize(t) + sheetSize(t, "noticeboard.css")
	for _, c := range []struct {
		name string
		who  *client
	}{{"visitor", visitor}, {"member", bob}, {"coordinator", cora}} {
		r := c.who.get("/noticeboard")
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", c.name, r.status)
		}
		checkPage(t, "/noticeboard ("+c.name+")", r, css)
		page := footerRE.ReplaceAllString(r.body, "") // the footer names who is signed in
		mustNotContain(t, page, private...)
		mustContain(t, page, "A lift to the surgery", "Shopping for Edith", "Ladder to lend", "Litter-pick", "Lunch club Tuesday",
			"Tuesday morning, back by noon.", `src="/qr`+paths["need"]+`.svg"`, `src="/qr`+paths["offer"]+`.svg"`,
			"127.0.0.1:8080"+paths["action"], `href="/static/noticeboard.css?v=`, h.says("board.places_left", 4), h.says("board.all_welcome"), `class="board a4"`)
		if c.who == visitor {
			mustNotContain(t, page, "Help with the hedge", h.says("board.members_only"), `name="public"`)
		} else {
			mustContain(t, page, "Help with the hedge", h.says("board.members_only"))
		}
	}
	// A member may print a sheet of public posts only, for a shop window.
	r := bob.get("/noticeboard?public=yes&paper=a5")
	mustContain(t, r.body, "A lift to the surgery", `class="board a5"`, `name="public" value="yes" checked`)
	mustNotContain(t, r.body, "Help with the hedge", h.says("board.members_only"))
	if r := bob.get("/noticeboard?paper=letter"); !strings.Contains(r.body, `class="board a4"`) {
		t.Error("an unknown paper size is not A4")
	}
	// A group's board has that group's posts only.
	r = visitor.get("/groups/lunch/noticeboard")
	mustContain(t, r.body, h.says("board.title_group", "Lunch club"), "Lunch club Tuesday")
	mustNotContain(t, r.body, "Litter-pick", "A lift to the surgery")
	checkPage(t, "/groups/lunch/noticeboard", r, css)
	if r := visitor.get("/groups/nope/noticeboard"); r.status != http.StatusNotFound {
		t.Errorf("unknown group's board: %d", r.status)
	}
	mustContain(t, visitor.get("/groups/lunch").body, `href="/groups/lunch/noticeboard"`)
}

var footerRE = regexp.MustCompile(`(?s)<footer class="site">.*</footer>`)

// How to answer without a computer comes from [instance] contact; without
// it, coordinators are told to set it (and nobody else is).
func TestNoticeboardContact(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	cora, ann := h.as("cora"), h.as("ann")
	mustContain(t, cora.get("/noticeboard").body, h.says("board.set_contact"), h.says("board.no_contact"), h.says("board.empty"))
	mustNotContain(t, ann.get("/noticeboard").body, h.says("board.set_contact"))
	mustContain(t, ann.get("/noticeboard").body, h.says("board.no_contact"))
	h.web.opt.Contact = "Ring Jo on 01234 567890"
	r := h.client().get("/noticeboard")
	mustContain(t, r.body, `<p class="ring">Ring Jo on 01234 567890</p>`)
	mustNotContain(t, r.body, h.says("board.no_contact"))
	mustNotContain(t, cora.get("/noticeboard").body, h.says("board.set_contact"))
}

// A post's QR code points at its page. One for members only is not found
// for a visitor, as its page is not: the code would give away that it
// exists.
func TestQRCodes(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	paths := boardPosts(t, h)
	visitor, bob := h.client(), h.as("bob")
	r := visitor.get("/qr" + paths["need"] + ".svg")
	want, err := qrSVG("http://127.0.0.1:8080" + paths["need"])
	if err != nil {
		t.Fatal(err)
	}
	other, _ := qrSVG("http://127.0.0.1:8080" + paths["offer"])
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/svg+xml" || r.body != string(want) || string(want) == string(other) {
		t.Fatalf("QR code: %d %q %.80q", r.status, r.header.Get("Content-Type"), r.body)
	}
	if !strings.HasPrefix(r.body, `<svg xmlns="http://www.w3.org/2000/svg"`) || r.header.Get("Cache-Control") != "public, max-age=86400" {
		t.Errorf("QR code: %q, %.60q", r.header.Get("Cache-Control"), r.body)
	}
	if again := visitor.do(http.MethodGet, "/qr"+paths["need"]+".svg", nil, map[string]string{"If-None-Match": r.header.Get("ETag")}); again.status != http.StatusNotModified {
		t.Errorf("revalidating: %d", again.status)
	}

	r = visitor.get("/qr" + paths["village"] + ".svg")
	if r.status != http.StatusNotFound || !strings.Contains(r.body, h.says("error.not_found")) || strings.Contains(r.body, "<svg") {
		t.Errorf("visitor, QR of a members-only need: %d", r.status)
	}
	r = bob.get("/qr" + paths["village"] + ".svg")
	if r.status != http.StatusOK || r.header.Get("Cache-Control") != "private, max-age=86400" {
		t.Errorf("member, QR of a members-only need: %d %q", r.status, r.header.Get("Cache-Control"))
	}
	if r := visitor.get("/qr/offers/" + strings.TrimPrefix(paths["need"], "/needs/") + ".svg"); r.status != http.StatusNotFound {
		t.Errorf("a need's id as an offer: %d", r.status)
	}
	h.as("ann").post(paths["need"]+"/delete", nil)
	if r := visitor.get("/qr" + paths["need"] + ".svg"); r.status != http.StatusGone {
		t.Errorf("deleted need's QR: %d", r.status)
	}
}
