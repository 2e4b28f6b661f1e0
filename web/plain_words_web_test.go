package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/instance"
)

// jargonRE finds the words a first-time user does not know: the
// software's name, "fediverse", and Neighbours meaning other villages.
var jargonRE = regexp.MustCompile(`\b(Hearth|fediverse|fédivers|Neighbours|Voisins)\b|neighbouring (group|site)`)

// visibleText drops the markup, so attribute values and addresses do not
// count.
func visibleText(body string) string {
	return regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(body, " ")
}

// Pages speak plainly: no "Hearth", no "fediverse", no "Neighbours" for
// other villages (the home page's "Neighbours helping neighbours" means
// the people next door, and is allowed), in English and in French. The
// fediverse is explained once, on the "What's this?" page the group
// address links to. (The item forms' visibility choices are reworded with
// the item forms.)
func TestPlainWords(t *testing.T) {
	h := newHarness(t, instance.RegistrationInvite)
	h.member("ada", instance.RoleAdmin, instance.RoleSafeguardingLead)
	ada := h.as("ada")
	for _, lang := range []string{"en", "fr"} {
		ada.post("/settings/profile", url.Values{"display_name": {"Ada"}, "language": {lang}, "contact_preference": {"site"}})
		for _, c := range []struct {
			who  *client
			path string
		}{
			{h.client(), "/"}, {h.client(), "/join"}, {h.client(), "/groups/village"}, {h.client(), "/calendar"},
			{ada, "/"}, {ada, "/groups/village"}, {ada, "/neighbours"}, {ada, "/coordinate"}, {ada, "/admin/moderation"},
			{ada, "/admin/applications"}, {ada, "/admin/members"}, {ada, "/settings/profile"}, {ada, "/me"}, {ada, "/report?subject=member&id=1"},
		} {
			r := c.who.get(c.path)
			text := strings.Replace(visibleText(r.body), "Neighbours helping neighbours", "", 1)
			if m := jargonRE.FindString(text); m != "" {
				t.Errorf("%s %s says %q", lang, c.path, m)
			}
		}
	}
	r := h.client().get("/groups/village")
	mustContain(t, r.body, `<a href="/about/following">`+h.says("group.whats_this")+`</a>`, h.says("group.address"))
	r = h.client().get("/about/following")
	if r.status != http.StatusOK {
		t.Fatalf("what's this: %d", r.status)
	}
	mustContain(t, r.body, h.says("following_help.address", "@village@127.0.0.1:8080"))
	checkPage(t, "/about/following", r, cssSize(t))
}

var navLinkRE = regexp.MustCompile(`(?s)<nav aria-label="[^"]*">.*?</nav>`)

// A coordinator's header has one "Coordinate" link instead of a link per
// tool (it wrapped to four lines on a phone); the Coordinate page lists
// the tools a person may use, with what waits on each.
func TestCoordinatePage(t *testing.T) {
	h := newHarness(t, instance.RegistrationApproval)
	h.member("cora", instance.RoleCoordinator)
	h.member("sam", instance.RoleSafeguardingLead)
	h.member("pat")
	h.client().post("/join", url.Values{"handle": {"appl"}, "display_name": {"Applicant"}, "email": {"a@example.org"},
		"password": {pw}, "password_confirm": {pw}, "answer": {"Mill Lane"}, "conduct": {"yes"}})
	cora, sam := h.as("cora"), h.as("sam")
	nav := navLinkRE.FindString(cora.get("/").body)
	if strings.Count(nav, "<li>") > 7 || !strings.Contains(nav, `href="/coordinate"`) {
		t.Errorf("coordinator's header:\n%s", nav)
	}
	for _, path := range []string{"/admin/applications", "/admin/members", "/admin/invites", "/admin/moderation", "/safeguarding"} {
		if strings.Contains(nav, `href="`+path+`"`) {
			t.Errorf("the header still links %s", path)
		}
	}
	r := cora.get("/coordinate")
	mustContain(t, r.body, `href="/admin/applications"`, h.says("coordinate.waiting", 1), `href="/admin/members"`, `href="/admin/invites"`,
		`href="/admin/moderation"`, `href="/admin/log"`, `href="/groups/new"`)
	mustNotContain(t, r.body, `href="/safeguarding"`, `href="/admin/email"`)
	checkPage(t, "/coordinate", r, cssSize(t))
	ctx := context.Background()
	pat, _ := h.svc.Member(ctx, "pat")
	if err := h.svc.RaiseConcern(ctx, pat, "Mr Green", "Not seen for a week"); err != nil {
		t.Fatal(err)
	}
	r = sam.get("/coordinate")
	mustContain(t, r.body, `href="/safeguarding"`, h.says("coordinate.concerns", 1))
	mustNotContain(t, r.body, `href="/admin/members"`)
	mustContain(t, navLinkRE.FindString(sam.get("/").body), `href="/coordinate"`)
	if r := h.as("pat").get("/coordinate"); r.status != http.StatusForbidden {
		t.Errorf("a member opened /coordinate: %d", r.status)
	}
	mustNotContain(t, navLinkRE.FindString(h.as("pat").get("/").body), `href="/coordinate"`)
}
