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
