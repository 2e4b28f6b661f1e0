package web

import (
	"bytes"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hearth/instance"
)

// A group's page lists its open posts (and only its own).
func TestGroupPageListsItsOpenPosts(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	cora := h.as("cora")
	if r := cora.post("/groups/new", url.Values{"handle": {"lunch_club"}, "name": {"Lunch club"}}); r.status != http.StatusSeeOther {
		t.Fatalf("new group: %d", r.status)
	}
	cora.post("/groups/lunch_club/join", nil)
	postItem(t, cora, "offers", url.Values{"title": {"Soup for the club"}, "category": {"food"}, "visibility": {"public"}, "group": {"lunch_club"}})
	postItem(t, cora, "offers", url.Values{"title": {"Ladder to lend"}, "category": {"lending"}, "visibility": {"public"}, "group": {"village"}})
	r := h.client().get("/groups/lunch_club")
	mustContain(t, r.body, h.says("group.open_posts"), "Soup for the club")
	mustNotContain(t, r.body, "Ladder to lend")
	checkPage(t, "/groups/lunch_club (with posts)", r, cssSize(t))
	r = h.client().get("/groups/village")
	mustContain(t, r.body, "Ladder to lend")
	mustNotContain(t, r.body, "Soup for the club")
}

// "Not found", "you cannot" and "removed" pages show visitors no
// reference code (it means nothing to them); it is in the log. A fault of
// ours still shows it, to quote.
func TestErrorPagesWithoutReference(t *testing.T) {
	var logs bytes.Buffer
	h := newHarness(t, instance.RegistrationOpen, func(o *instance.Options) {})
	w, err := New(Options{Service: h.svc, SiteName: "Testham", BaseURL: "http://127.0.0.1:8080",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	h.web, h.h = w, w.Handler()
	h.member("ann")
	h.member("pat")
	ann := h.as("ann")
	path := postItem(t, ann, "offers", url.Values{"title": {"Jam jars"}, "category": {"food"}, "visibility": {"public"}})
	ann.post(path+"/delete", nil)
	refWord := strings.SplitN(h.says("error.reference", "X"), "X", 2)[0]
	for _, c := range []struct {
		who    *client
		path   string
		status int
	}{{h.client(), "/no-such-page", 404}, {h.as("pat"), "/admin/log", 403}, {h.client(), path, 410}} {
		r := c.who.get(c.path)
		if r.status != c.status {
			t.Errorf("%s: %d, want %d", c.path, r.status, c.status)
		}
		if strings.Contains(r.body, refWord) {
			t.Errorf("%s shows a reference", c.path)
		}
	}
	for _, want := range []string{"status=404", "status=403", "status=410", "request_id="} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// A bad or used email-confirmation link says so at once, not after a
// button press; a good one shows the button.
func TestBadConfirmationLinkSaysSoFirst(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	r := h.client().get("/confirm-email?token=not-a-real-token")
	if r.status != http.StatusNotFound {
		t.Errorf("bad link: %d, want 404", r.status)
	}
	mustContain(t, r.body, h.says("confirm.unknown"))
	mustNotContain(t, r.body, h.says("confirm.submit"))
}

// Deleting your account (or changing your password) with the password
// box empty says "Enter your password", not "this is not your password".
func TestEmptyPasswordSaysEnterIt(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	ann := h.as("ann")
	r := ann.post("/settings/delete", url.Values{"password": {""}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("empty password: %d", r.status)
	}
	mustContain(t, r.body, `id="f-password-error"`, h.says("err.password_enter"))
	mustNotContain(t, r.body, h.says("err.password_wrong"))
	r = ann.post("/settings/password", url.Values{"current": {""}, "new": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}})
	mustContain(t, r.body, `id="f-current-error"`, h.says("err.password_enter"))
}

// Search forgives a slip ("shoping" finds "shopping") without finding
// what is merely alike, still needs every word, and can include what is
// finished.
func TestSearchForgivesSlipsAndFindsFinished(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	ann := h.as("ann")
	postItem(t, ann, "needs", url.Values{"title": {"Shopping from the village shop"}, "category": {"shopping"}, "area": {"Mill Lane"},
		"visibility": {"public"}})
	postItem(t, ann, "offers", url.Values{"title": {"Shipping boxes to give away"}, "category": {"lending"}, "visibility": {"public"}})
	done := postItem(t, ann, "offers", url.Values{"title": {"Prescription bags"}, "category": {"lending"}, "visibility": {"public"}})
	ann.post(done+"/close", nil)
	search := func(q string, finished bool) string {
		v := url.Values{"q": {q}}
		if finished {
			v.Set("finished", "yes")
		}
		return h.client().get("/?" + v.Encode()).body
	}
	r := search("shoping", false)
	mustContain(t, r, "Shopping from the village shop")
	mustNotContain(t, r, "Shipping boxes")
	mustContain(t, search("shop", false), "Shopping from the village shop")
	mustNotContain(t, search("shoping boxes", false), "Shopping from the village shop", "Shipping boxes")
	mustContain(t, search("villaeg shoping", false), "Shopping from the village shop")
	mustNotContain(t, search("prescripton", false), "Prescription bags")
	r = search("prescripton", true)
	mustContain(t, r, "Prescription bags", `id="f-finished" name="finished" value="yes" checked`)
	checkPage(t, "/?finished", h.client().get("/?finished=yes"), cssSize(t))
}

// Visitors can switch language from any page's footer (a button per
// language, no JavaScript); the choice is kept in a cookie and the page
// they were on comes back in it.
func TestVisitorsSwitchLanguage(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	v := h.client()
	r := v.get("/groups/village")
	mustContain(t, r.body, `<html lang="en">`, `action="/language"`, `name="next" value="/groups/village"`,
		`name="lang" value="fr" lang="fr"`)
	r = v.post("/language", url.Values{"lang": {"fr"}, "next": {"/groups/village"}})
	if r.status != http.StatusSeeOther || r.location() != "/groups/village" {
		t.Fatalf("switch: %d %q", r.status, r.location())
	}
	r = v.get("/groups/village")
	mustContain(t, r.body, `<html lang="fr">`, html.EscapeString(h.web.cat.text("fr", "group.address")), `name="lang" value="en" lang="en"`)
	checkPage(t, "/groups/village (fr)", r, cssSize(t))
	if r := v.post("/language", url.Values{"lang": {"xx"}, "next": {"/"}}); r.status != http.StatusBadRequest {
		t.Errorf("unknown language: %d", r.status)
	}
	if r := v.post("/language", url.Values{"lang": {"en"}, "next": {"//evil.example"}}); r.location() != "/" {
		t.Errorf("next=//evil.example went to %q", r.location())
	}
	// Members choose on their profile: no footer buttons, and their
	// profile's language wins over the cookie.
	h.member("ann")
	ann := h.as("ann")
	ann.cookies[langCookie] = &http.Cookie{Name: langCookie, Value: "fr"}
	r = ann.get("/")
	mustContain(t, r.body, `<html lang="en">`)
	mustNotContain(t, r.body, `action="/language"`)
}

// Category names are translatable: [[categories]] names give a name per
// language, shown to readers of that language wherever the category is
// (cards, the filter, the post, the form); without one, the name as
// posts store it.
func TestCategoryNamesTranslated(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen, func(o *instance.Options) {
		o.Categories = []instance.Category{{Name: "shopping", Names: map[string]string{"fr": "courses"}}, {Name: "logs"}}
	})
	h.member("ann")
	ann := h.as("ann")
	path := postItem(t, ann, "needs", url.Values{"title": {"Bread and milk"}, "category": {"shopping"}, "area": {"Mill Lane"},
		"visibility": {"public"}})
	en := h.client()
	mustContain(t, en.get("/").body, `<option value="shopping">shopping</option>`, "</span> shopping · ")
	fr := h.client()
	fr.post("/language", url.Values{"lang": {"fr"}, "next": {"/"}})
	r := fr.get("/")
	mustContain(t, r.body, `<option value="shopping">courses</option>`, "</span> courses · ", `<option value="logs">logs</option>`)
	mustNotContain(t, r.body, "</span> shopping")
	mustContain(t, fr.get(path).body, "</span> courses")
	ann.post("/settings/profile", url.Values{"display_name": {"Ann"}, "language": {"fr"}, "contact_preference": {"site"}})
	mustContain(t, ann.get("/offers/new").body, `<option value="shopping">courses</option>`)
}
