package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// visitorRoutes are the routes a visitor may reach: this test's own copy
// of the allow-list, so that opening a route shows up here as well as in
// publicRoute.
var visitorRoutes = []string{
	"/static/", "/", "/conduct", "/robots.txt", "/setup", "/join", "/login", "/confirm-email", "/logout",
	"/groups", "/groups/{handle}", "/media/{hash:[0-9a-f]{64}}.{ext:png|jpg}",
	"/calendar.ics", "/actions/{id:[0-9]+}.ics", "/calendar", "/calendar/{token:[A-Za-z0-9_-]{32}}.ics", "/about/following", "/language", "/{kinds:needs|offers|actions}/{id:[0-9]+}",
	"/unsubscribe", "/forgot-password", "/reset-password", "/reset-code",
	"/panels/{id:[0-9]+}", "/panels/{id:[0-9]+}/guest", "/panels/{id:[0-9]+}/record.json", "/panels/{id:[0-9]+}/verify",
	"/verify-draw", "/notices/{id:[0-9]+}", "/polls/{id:[0-9]+}",
	"/noticeboard", "/groups/{handle}/noticeboard", "/qr/{kinds:needs|offers|actions}/{id:[0-9]+}.svg",
	"/feed.atom", "/groups/{handle}/feed.atom", "/feeds/{token:[A-Za-z0-9_-]{32}}.atom", "/impact", "/impact.csv",
	"/sw.js", "/manifest.webmanifest", "/icons/{size:192|512}.png",
	"/actions/{id:[0-9]+}/guest", "/guest-places/{step:confirm|cancel}", "/healthz", "/readyz",
}

// staffRoutes need more than a signed-in member (coordinator, admin or
// safeguarding lead): the domain refuses a plain member. Every route under
// /admin/ and /safeguarding must be listed here, so a new one is checked.
var staffRoutes = []string{
	"/groups/new", "/groups/{handle}/edit", "/groups/{handle}/images", "/groups/{handle}/follow", "/groups/{handle}/following/{id:[0-9]+}/remove",
	"/admin/applications", "/admin/applications/{id:[0-9]+}/{decision:approve|reject}", "/admin/invites",
	"/admin/members", "/admin/members/{id:[0-9]+}", "/admin/members/{id:[0-9]+}/roles", "/admin/members/{id:[0-9]+}/suspend", "/admin/members/{id:[0-9]+}/reinstate",
	"/admin/members/{id:[0-9]+}/helper-friend", "/admin/members/{id:[0-9]+}/verify", "/admin/verifications/{id:[0-9]+}/revoke",
	"/admin/moderation", "/admin/log", "/safeguarding", "/safeguarding/{id:[0-9]+}",
	"/admin/email", "/members/{handle}/reset-code", "/admin/unanswered", "/admin/email/test",
	"/budgets/new", "/budgets/{id:[0-9]+}/projects/{project:[0-9]+}/review", "/budgets/{id:[0-9]+}/advance",
	"/messages/{id:[0-9]+}/release",
	"/panels/new", "/panels/{id:[0-9]+}/edit", "/panels/{id:[0-9]+}/commit", "/panels/{id:[0-9]+}/draw",
	"/coordinate", "/admin/federation", "/intake", "/intake/{id:[0-9]+}", "/groups/{handle}/voting",
}

// choices are the values tried for each path variable.
var choices = map[string][]string{
	"kinds": {"needs", "offers", "actions"}, "decision": {"approve", "reject"}, "action": {"suspend", "reinstate"},
	"op": {"delete", "remove"}, "handle": {"village"}, "interest": {"1"}, "project": {"1"}, "step": {"confirm", "cancel"}, "size": {"192"}, "response": {"1"}, "token": {"abcdefghijklmnopqrstuvwxyz012345"},
	"hash": {strings.Repeat("0", 64)}, "ext": {"png", "jpg"},
}

var varRE = regexp.MustCompile(`\{([a-z]+)(?::[^}]*)?\}`)

// expand turns a route template into the paths to request, one for each
// choice of its variables; an {id} names a real thing of the right kind,
// so that a request that got through would change something.
func expand(t *testing.T, template string, ids map[string]string) []string {
	paths := []string{template}
	for _, m := range varRE.FindAllStringSubmatch(template, -1) {
		if m[1] == "id" {
			continue
		}
		values, ok := choices[m[1]]
		if !ok {
			t.Errorf("%s: no sample value for {%s}; add one to choices", template, m[1])
			return nil
		}
		var next []string
		for _, p := range paths {
			for _, v := range values {
				next = append(next, strings.Replace(p, m[0], v, 1))
			}
		}
		paths = next
	}
	for i, p := range paths {
		id := "1"
		for prefix, v := range ids {
			if strings.HasPrefix(p, prefix) {
				id = v
			}
		}
		paths[i] = varRE.ReplaceAllString(p, id)
	}
	return paths
}

// dangerous is what every POST carries: values that would change
// something (make an admin, suspend, grant helper-friend, create a group)
// if the request were let through.
func dangerous(target int64) url.Values {
	return url.Values{"on": {"1"}, "role": {"admin"}, "reason": {"because"}, "note": {"a note"}, "handle": {"walked"},
		"name": {"Walked"}, "description": {"d"}, "rules": {"r"}, "address": {"@g@example.org"}, "action": {"suspend"},
		"id": {fmtInt(target)}, "target": {"example.org"}, "check": {"id_seen"},
		"verified_on_day": {"1"}, "verified_on_month": {"11"}, "verified_on_year": {"2026"},
		"expires_on_day": {"1"}, "expires_on_month": {"11"}, "expires_on_year": {"2027"}, "close": {"1"}, "body": {"hello"}, "title": {"Walked"}, "category": {"lifts"},
		"area": {"Mill Lane"}, "visibility": {"public"}, "message": {"m"}, "slot": {"0"}, "about": {"x"}, "details": {"y"}}
}

// snapshot is every row of every table, to prove that a refused request
// changed nothing. throttle_events is left out: counting an attempt (a
// sign-in that failed, an empty one included) is what the throttles,
// kept in the database for every node, are for.
func (h *harness) snapshot() string {
	h.t.Helper()
	db := h.store.DB()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'throttle_events' ORDER BY name`
	if h.store.Postgres() {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
			AND table_name <> 'throttle_events' ORDER BY table_name`
	}
	tables, err := db.Query(q)
	if err != nil {
		h.t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	var b strings.Builder
	for _, n := range names {
		rows, err := db.Query(`SELECT * FROM "` + n + `"`)
		if err != nil {
			h.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				h.t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals...))
		}
		rows.Close()
		sort.Strings(lines)
		fmt.Fprintf(&b, "%s\n%s\n", n, strings.Join(lines, "\n"))
	}
	return b.String()
}

type routeCase struct {
	template string
	methods  []string
}

// walkRoutes lists every route Register adds, as the router has them.
func walkRoutes(t *testing.T, w *Server) []routeCase {
	r := mux.NewRouter()
	w.Register(r)
	var out []routeCase
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
			t.Errorf("%s: a route without methods answers every method", tpl)
		}
		out = append(out, routeCase{tpl, methods})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every route, walked from the router itself (so a new route is covered
// without being named here), refuses a visitor unless it is on the
// allow-list, and every coordinator, admin or safeguarding route refuses a
// plain member; the refusals say why and change nothing.
func TestEveryRouteDeniesByDefault(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, instance.RegistrationApproval)
	admin := h.member("ada", instance.RoleAdmin)
	lead := h.member("sam", instance.RoleSafeguardingLead)
	h.member("ann")
	tess := h.member("tess")
	appl, err := h.svc.SignUp(ctx, instance.SignUpInput{Handle: "appl", DisplayName: "Applicant", Email: "a@example.org",
		Password: pw, PasswordConfirm: pw, Answer: "I live at the mill", AcceptConduct: true})
	if err != nil {
		t.Fatal(err)
	}
	author := h.as("tess")
	itemID := func(path string) string { return regexp.MustCompile(`\d+$`).FindString(path) }
	need := itemID(postItem(t, author, "needs", needForm()))
	offer := itemID(postItem(t, author, "offers", url.Values{"title": {"A ladder"}, "category": {"lending"}, "visibility": {"public"}}))
	action := itemID(postItem(t, author, "actions", h.actionForm("Litter pick", "5", "", "")))
	var needN int64
	fmt.Sscan(need, &needN)
	resp, err := h.svc.AddResponse(ctx, tess, needN, "I can ask around.")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.RecordVerification(ctx, admin, tess.ID, "id_seen", instance.DateOf("2026-11-01"), instance.DateOf("2027-11-01")); err != nil {
		t.Fatal(err)
	}
	vs, _ := h.svc.Verifications(ctx, admin, tess.ID)
	if err := h.svc.RaiseConcern(ctx, tess, "A neighbour", "Has not been seen for days"); err != nil {
		t.Fatal(err)
	}
	concerns, _ := h.svc.Concerns(ctx, lead)
	if len(vs) != 1 || len(concerns) != 1 {
		t.Fatalf("fixtures: %d verifications, %d concerns", len(vs), len(concerns))
	}
	ids := map[string]string{
		"/needs/": need, "/offers/": offer, "/actions/": action, "/responses/": fmtInt(resp.ID),
		"/admin/members/": fmtInt(tess.ID), "/admin/applications/": fmtInt(appl.ID),
		"/admin/verifications/": fmtInt(vs[0].ID), "/safeguarding/": fmtInt(concerns[0].ID),
	}
	visitor, plain := h.client(), h.as("ann")
	forbidden := h.web.cat.text("en", "error.forbidden")

	public, staff := map[string]bool{}, map[string]bool{}
	for _, tpl := range visitorRoutes {
		public[tpl] = true
	}
	for _, tpl := range staffRoutes {
		staff[tpl] = true
	}
	seen := map[string]bool{}
	routes := walkRoutes(t, h.web)
	if len(routes) < 50 {
		t.Fatalf("walked only %d routes", len(routes))
	}
	for _, rc := range routes {
		seen[rc.template] = true
		if (strings.HasPrefix(rc.template, "/admin/") || strings.HasPrefix(rc.template, "/safeguarding")) && !staff[rc.template] {
			t.Errorf("%s: add it to staffRoutes (or say why a plain member may use it)", rc.template)
		}
		if public[rc.template] != publicRoute(rc.template) {
			t.Errorf("%s: the allow-list says public=%v, this test expects %v", rc.template, publicRoute(rc.template), public[rc.template])
		}
		for _, method := range rc.methods {
			for _, path := range expand(t, rc.template, ids) {
				form := url.Values(nil)
				if method == http.MethodPost {
					form = dangerous(tess.ID)
					if public[rc.template] {
						form = url.Values{} // a public form filled in would do what it is for
					}
				}
				name := method + " " + path
				before := h.snapshot()
				r := visitor.do(method, path, form, nil)
				switch {
				case public[rc.template]:
					if r.status >= 500 || strings.HasPrefix(r.location(), "/login") {
						t.Errorf("visitor %s: %d → %q, want the public page", name, r.status, r.location())
					}
				default:
					want := "/login"
					if method != http.MethodPost {
						want += "?next=" + url.QueryEscape(path)
					}
					if r.status != http.StatusSeeOther || r.location() != want {
						t.Errorf("visitor %s: %d → %q, want 303 → %q", name, r.status, r.location(), want)
					}
				}
				if after := h.snapshot(); after != before {
					t.Errorf("visitor %s changed the database", name)
				}
				if !staff[rc.template] {
					continue
				}
				r = plain.do(method, path, form, nil)
				if r.status != http.StatusForbidden || !strings.Contains(r.body, forbidden) {
					t.Errorf("plain member %s: %d %q, want 403 with %q", name, r.status, r.location(), "error.forbidden")
				}
				if after := h.snapshot(); after != before {
					t.Errorf("plain member %s changed the database", name)
				}
			}
		}
	}
	for _, tpl := range append(append([]string{}, visitorRoutes...), staffRoutes...) {
		if !seen[tpl] {
			t.Errorf("%s is listed here but no longer registered", tpl)
		}
	}
	// Still signed in: no refusal ended the plain member's session.
	if r := plain.get("/settings/profile"); r.status != http.StatusOK {
		t.Errorf("plain member lost their session: %d", r.status)
	}
}
