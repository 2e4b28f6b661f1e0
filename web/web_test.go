package web

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/store"
	"hearth/instance/store/storetest"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

type harness struct {
	t     *testing.T
	web   *Server
	h     http.Handler
	svc   *instance.Service
	store *store.Store
	clock *testClock
}

const setupToken = "test-setup-token"
const pw = "correct horse battery"

func newHarness(t *testing.T, reg instance.Registration, opts ...func(*instance.Options)) *harness {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	c := &testClock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	o := instance.Options{Store: st, Clock: c.now, Registration: reg,
		PostsPerHour: 1000, NewPostsPerHour: 1000, RepliesPerHour: 1000, NewRepliesPerHour: 1000}
	for _, opt := range opts {
		opt(&o)
	}
	svc, err := instance.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureMainGroup(ctx, "village", "Our village"); err != nil {
		t.Fatal(err)
	}
	addOwner(t, st, c.now())
	loc, _ := time.LoadLocation("Europe/London")
	w, err := New(Options{Service: svc, SiteName: "Testham", BaseURL: "http://127.0.0.1:8080", Location: loc,
		Question: "How are you connected to Testham?", Conduct: "Be kind.\nKeep people safe.", SetupToken: setupToken})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, web: w, h: w.Handler(), svc: svc, store: st, clock: c}
}

// addOwner sets the site up: it gets an administrator (who cannot sign
// in, and is in no group), so visitors are asked to join. Tests of the
// first run remove it (withoutAdmin).
func addOwner(t *testing.T, st *store.Store, now time.Time) {
	t.Helper()
	owner, err := st.CreateMember(context.Background(), &instance.Member{Handle: "owner", DisplayName: "Site owner",
		PasswordHash: instance.NoPassword, Status: instance.StatusActive, Roles: []instance.Role{instance.RoleMember, instance.RoleAdmin},
		Language: "en", ContactPreference: instance.ContactSite, CreatedAt: now, ConductAcceptedAt: now}, "", now, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(st.SQL(`DELETE FROM group_members WHERE member_id = ?`), owner); err != nil {
		t.Fatal(err)
	}
}

// withoutAdmin makes the harness a fresh instance, before its first
// administrator: the site owner newHarness makes is no admin any more.
func (h *harness) withoutAdmin() *harness {
	h.t.Helper()
	if _, err := h.store.DB().Exec(`DELETE FROM member_roles WHERE role = 'admin' AND member_id = (SELECT id FROM members WHERE handle = 'owner')`); err != nil {
		h.t.Fatal(err)
	}
	return h
}

func (h *harness) member(handle string, roles ...instance.Role) *instance.Member {
	h.t.Helper()
	m, err := h.svc.CreateMemberDirect(context.Background(), instance.NewMemberInput{Handle: handle, DisplayName: "Name " + handle, Password: pw, Roles: roles})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// client is a browser: it keeps cookies and sends same-origin headers.
type client struct {
	h       *harness
	cookies map[string]*http.Cookie
	remote  string
}

func (h *harness) client() *client {
	return &client{h: h, cookies: map[string]*http.Cookie{}, remote: "192.0.2.1:1234"}
}

type response struct {
	status int
	body   string
	header http.Header
}

func (r *response) location() string { return r.header.Get("Location") }

func (c *client) do(method, path string, form url.Values, headers map[string]string) *response {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.Host = "127.0.0.1:8080"
	req.RemoteAddr = c.remote
	if method == http.MethodPost {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", "http://127.0.0.1:8080")
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.h.h.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return &response{status: rec.Code, body: rec.Body.String(), header: rec.Header()}
}

func (c *client) get(path string) *response { return c.do(http.MethodGet, path, nil, nil) }
func (c *client) post(path string, form url.Values) *response {
	if form == nil {
		form = url.Values{}
	}
	return c.do(http.MethodPost, path, form, nil)
}

func (c *client) login(handle string) {
	c.h.t.Helper()
	r := c.post("/login", url.Values{"login": {handle}, "password": {pw}})
	if r.status != http.StatusSeeOther {
		c.h.t.Fatalf("login %s: %d %s", handle, r.status, r.body)
	}
}

func (h *harness) as(handle string) *client {
	c := h.client()
	c.login(handle)
	return c
}

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("page does not contain %q", w)
		}
	}
}

var h1RE = regexp.MustCompile(`<h1[ >]`)

var langRE = regexp.MustCompile(`<html lang="(en|fr)">`)

// checkPage asserts what every page must have.
func checkPage(t *testing.T, name string, r *response, cssBytes int) {
	t.Helper()
	body := r.body
	if !langRE.MatchString(body) {
		t.Errorf("%s: no lang attribute naming one of our languages", name)
	}
	if !strings.Contains(body, `<a class="skip" href="#main">`) || !strings.Contains(body, `<main id="main"`) {
		t.Errorf("%s: no skip link to main", name)
	}
	if n := len(h1RE.FindAllString(body, -1)); n != 1 {
		t.Errorf("%s: %d h1 elements, want 1", name, n)
	}
	for _, landmark := range []string{"<header", "<nav", "<footer"} {
		if !strings.Contains(body, landmark) {
			t.Errorf("%s: missing %s landmark", name, landmark)
		}
	}
	if strings.Contains(body, "[[") {
		t.Errorf("%s: untranslated catalogue key: %s", name, body[strings.Index(body, "[["):][:60])
	}
	if size := len(body) + cssBytes; size > 30*1024 {
		t.Errorf("%s: %d bytes of HTML+CSS, budget is 30 KB", name, size)
	}
	// Every input (except hidden) has a label pointing at it.
	for _, m := range regexp.MustCompile(`<(?:input|select|textarea)[^>]*\bid="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		if !strings.Contains(body, `for="`+m[1]+`"`) {
			t.Errorf("%s: field %s has no label", name, m[1])
		}
	}
	for _, m := range regexp.MustCompile(`<input type="(?:text|email|password|tel|checkbox)"[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(m, ` id="`) {
			t.Errorf("%s: input without id: %s", name, m)
		}
	}
}

func cssSize(t *testing.T) int { return sheetSize(t, "style.css") }

// sheetSize is the size of a stylesheet under static/.
func sheetSize(t *testing.T, name string) int {
	t.Helper()
	data, err := fs.ReadFile(assets, "static/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return len(data)
}

// A handler test per page: each renders for the right viewer with the
// shared page structure.
func TestEveryPage(t *testing.T) {
	h := newHarness(t, instance.RegistrationApproval)
	h.member("ada", instance.RoleAdmin)
	ann := h.member("ann")
	h.svc.SignUp(context.Background(), instance.SignUpInput{Handle: "appl", DisplayName: "Applicant", Email: "a@example.org",
		Password: pw, PasswordConfirm: pw, Answer: "I live at the mill", AcceptConduct: true})
	css := cssSize(t)
	anon := h.client()
	admin := h.as("ada")
	pages := []struct {
		c      *client
		path   string
		status int
		want   string
	}{
		{anon, "/", 200, "Neighbours helping neighbours"},
		{anon, "/conduct", 200, "Keep people safe."},
		{anon, "/join", 200, "How are you connected to Testham?"},
		{anon, "/login", 200, `autocomplete="current-password"`},
		{anon, "/groups", 200, "Our village"},
		{anon, "/groups/village", 200, "@village@127.0.0.1:8080"},
		{anon, "/nope", 404, "We could not find that page"},
		{anon, "/groups/nope", 404, "We could not find that page"},
		{admin, "/", 200, "1 person is waiting"},
		{admin, "/groups/village", 200, "Name ann"},
		{admin, "/groups/new", 200, "Group username"},
		{admin, "/groups/village/edit", 200, "Group rules"},
		{admin, "/settings/profile", 200, "How would you like to be contacted?"},
		{admin, "/settings/password", 200, "New password"},
		{admin, "/members/ann", 200, "@ann"},
		{admin, "/admin/applications", 200, "I live at the mill"},
		{admin, "/admin/invites", 200, "Create invite link"},
		{admin, "/admin/members", 200, "Name ann"},
		{admin, "/admin/members/" + fmtInt(ann.ID), 200, "Roles for Name ann"},
	}
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			r := p.c.get(p.path)
			if r.status != p.status {
				t.Fatalf("status %d, want %d", r.status, p.status)
			}
			mustContain(t, r.body, p.want)
			checkPage(t, p.path, r, css)
		})
	}
	r := newHarness(t, instance.RegistrationOpen).client().get("/join")
	checkPage(t, "/join (open)", r, css)
	// The setup page, while no admin exists (a fresh instance).
	fresh := newHarness(t, instance.RegistrationOpen).withoutAdmin()
	r = fresh.client().get("/setup?token=" + setupToken)
	if r.status != 200 {
		t.Fatalf("/setup: %d", r.status)
	}
	checkPage(t, "/setup", r, css)
	inv := newHarness(t, instance.RegistrationInvite)
	r = inv.client().get("/join")
	mustContain(t, r.body, inv.says("join.invite_only"))
	checkPage(t, "/join (invite, no code)", r, css)
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	for _, path := range []string{"/", "/login", "/nope", "/static/style.css"} {
		r := h.client().get(path)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") == "" || r.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, r.header)
		}
	}
}

// Every state-changing request from another site is refused and changes
// nothing.
func TestCrossOriginRequestsRefused(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ada", instance.RoleAdmin)
	admin := h.as("ada")
	attacks := map[string]map[string]string{
		"Sec-Fetch-Site cross-site":   {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		"Sec-Fetch-Site same-site":    {"Sec-Fetch-Site": "same-site", "Origin": "http://evil.127.0.0.1:8080"},
		"old browser, foreign Origin": {"Sec-Fetch-Site": "", "Origin": "https://evil.example"},
	}
	for name, hdr := range attacks {
		t.Run(name, func(t *testing.T) {
			form := url.Values{"handle": {"evil_" + strings.ReplaceAll(strings.ToLower(name[:3]), "-", "")}, "name": {"Evil"}}
			r := admin.do(http.MethodPost, "/groups/new", form, hdr)
			if r.status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", r.status)
			}
			mustContain(t, r.body, "came from another website")
			if _, err := h.svc.Group(context.Background(), form.Get("handle")); err == nil {
				t.Error("the group was created anyway")
			}
			r = admin.do(http.MethodPost, "/logout", url.Values{}, hdr)
			if r.status != http.StatusForbidden {
				t.Errorf("logout: status %d", r.status)
			}
		})
	}
	// The same request from our own page works.
	r := admin.post("/groups/new", url.Values{"handle": {"lunch"}, "name": {"Lunch"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("same-origin create: %d %s", r.status, r.body)
	}
}

func TestJoinOpen(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	c := h.client()
	r := c.post("/join", url.Values{"handle": {"ann"}, "display_name": {"Ann"}, "email": {"ann@example.org"},
		"password": {pw}, "password_confirm": {pw}, "conduct": {"yes"}})
	if r.status != http.StatusSeeOther || r.location() != "/" {
		t.Fatalf("join: %d %q", r.status, r.location())
	}
	r = c.get("/")
	mustContain(t, r.body, "Welcome! Your account is ready.", "Hello, Ann.", "Sign out")
}

func TestJoinErrorsBesideFields(t *testing.T) {
	h := newHarness(t, instance.RegistrationApproval)
	c := h.client()
	r := c.post("/join", url.Values{"handle": {"Ann Smith"}, "display_name": {"Ann \u202eevil"}, "email": {"nope"},
		"password": {"short"}, "password_confirm": {"short"}, "answer": {""}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.status)
	}
	mustContain(t, r.body,
		`<title>Error: Join`,
		`<div class="error-summary" role="alert"`,
		`<a href="#f-handle">Username: Use only lowercase letters`,
		`<p class="error" id="f-display_name-error">This contains invisible characters that change the direction`,
		`aria-describedby="f-email-hint f-email-error"`,
		`aria-invalid="true"`,
		`Please agree to the code of conduct`,
		`value="Ann Smith"`, // what was typed is kept
	)
	if strings.Contains(r.body, `value="short"`) {
		t.Error("password echoed back")
	}
	n, _ := h.store.CountMembers(context.Background(), instance.StatusPending)
	if n != 0 {
		t.Errorf("a bad application was stored")
	}
	// A common password is refused beside the field, in plain words.
	r = c.post("/join", url.Values{"handle": {"ann"}, "display_name": {"Ann"}, "email": {"ann@example.org"},
		"password": {"QwertyQwerty"}, "password_confirm": {"QwertyQwerty"}, "answer": {"At the mill"}, "conduct": {"yes"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("common password: status %d", r.status)
	}
	mustContain(t, r.body, `<p class="error" id="f-password-error">This is one of the most common passwords`,
		`<a href="#f-password">Password: This is one of the most common passwords`, `value="ann@example.org"`)
	if n, _ := h.store.CountMembers(context.Background(), instance.StatusPending); n != 0 {
		t.Errorf("an application with a common password was stored")
	}
}

func TestApprovalFlow(t *testing.T) {
	h := newHarness(t, instance.RegistrationApproval)
	h.member("cora", instance.RoleCoordinator)
	applicant := h.client()
	r := applicant.post("/join", url.Values{"handle": {"ann"}, "display_name": {"Ann"}, "email": {"ann@example.org"},
		"password": {pw}, "password_confirm": {pw}, "answer": {"I live by the green"}, "conduct": {"yes"}})
	if r.status != http.StatusOK {
		t.Fatalf("join: %d", r.status)
	}
	mustContain(t, r.body, "Your application is waiting for a coordinator")
	r = applicant.post("/login", url.Values{"login": {"ann"}, "password": {pw}})
	mustContain(t, r.body, "Your application is waiting for a coordinator")
	if _, ok := applicant.cookies[sessionCookie]; ok {
		t.Fatal("pending applicant got a session")
	}

	coord := h.as("cora")
	r = coord.get("/admin/applications")
	mustContain(t, r.body, "I live by the green", "Approve Ann")
	m, _ := h.svc.Member(context.Background(), "ann")
	// A plain member cannot approve.
	h.member("pat")
	if r := h.as("pat").post("/admin/applications/"+fmtInt(m.ID)+"/approve", nil); r.status != http.StatusForbidden {
		t.Errorf("plain member approving: %d", r.status)
	}
	r = coord.post("/admin/applications/"+fmtInt(m.ID)+"/approve", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.status)
	}
	mustContain(t, coord.get("/admin/applications").body, "The application has been approved.", "Nobody is waiting")
	applicant.login("ann")
	mustContain(t, applicant.get("/").body, "Hello, Ann.")
	// Approving again is a clear conflict, not a crash.
	r = coord.post("/admin/applications/"+fmtInt(m.ID)+"/approve", nil)
	if r.status != http.StatusConflict {
		t.Errorf("second approve: %d", r.status)
	}
}

func TestInviteFlow(t *testing.T) {
	h := newHarness(t, instance.RegistrationInvite)
	h.member("cora", instance.RoleCoordinator)
	coord := h.as("cora")
	r := coord.post("/admin/invites", url.Values{"note": {"Mrs Patel"}})
	link := regexp.MustCompile(`/join\?invite=([A-Za-z0-9_-]+)`).FindStringSubmatch(r.body)
	if r.status != 200 || link == nil {
		t.Fatalf("invite: %d", r.status)
	}
	c := h.client()
	r = c.get(link[0])
	if r.status != 200 || !strings.Contains(r.body, `name="invite" value="`+link[1]+`"`) {
		t.Fatalf("join page with invite: %d", r.status)
	}
	join := url.Values{"invite": {link[1]}, "handle": {"priya"}, "display_name": {"Priya"}, "email": {"p@example.org"},
		"password": {pw}, "password_confirm": {pw}, "conduct": {"yes"}}
	if r = c.post("/join", join); r.status != http.StatusSeeOther {
		t.Fatalf("join: %d %s", r.status, r.body)
	}
	join.Set("handle", "second")
	join.Set("email", "s@example.org")
	r = h.client().post("/join", join)
	mustContain(t, r.body, "already been used")
	if r = h.client().get(link[0]); r.status != http.StatusConflict {
		t.Errorf("spent link: %d", r.status)
	}
	if r = h.client().get("/join?invite=bogus"); r.status != http.StatusNotFound {
		t.Errorf("bogus link: %d", r.status)
	}
}

func TestLoginAndThrottleMessages(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	c := h.client()
	r := c.post("/login", url.Values{"login": {"ann"}, "password": {"wrong"}})
	if r.status != http.StatusUnauthorized {
		t.Fatalf("bad login: %d", r.status)
	}
	mustContain(t, r.body, "The username, email or password is not right")
	for i := 0; i < 10; i++ {
		r = c.post("/login", url.Values{"login": {"ann"}, "password": {"wrong"}})
	}
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("throttled login: %d", r.status)
	}
	mustContain(t, r.body, "Too many attempts")
	// Open redirect through ?next= is refused.
	h.member("bob")
	b := h.client()
	for _, next := range []string{"//evil.example", "https://evil.example", "/\\evil.example", "/%2F%2Fevil.example"} {
		r = b.post("/login", url.Values{"login": {"bob"}, "password": {pw}, "next": {next}})
		if r.location() != "/" {
			t.Errorf("next=%q redirected to %q", next, r.location())
		}
	}
	r = b.post("/login", url.Values{"login": {"bob"}, "password": {pw}, "next": {"/groups/village"}})
	if r.location() != "/groups/village" {
		t.Errorf("local next lost: %q", r.location())
	}
}

func TestSessionCookieAndInvalidation(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	ann := h.member("ann")
	c := h.client()
	r := c.post("/login", url.Values{"login": {"ann"}, "password": {pw}})
	ck := c.cookies[sessionCookie]
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", ck)
	}
	if !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), ";"), "HttpOnly") {
		t.Error("cookie not HttpOnly on the wire")
	}
	if r := c.get("/settings/profile"); r.status != 200 {
		t.Fatalf("profile: %d", r.status)
	}
	// Suspension ends the session at once.
	if r := h.as("cora").post("/admin/members/"+fmtInt(ann.ID)+"/suspend", url.Values{"reason": {"spam"}}); r.status != http.StatusSeeOther {
		t.Fatalf("suspend: %d", r.status)
	}
	if r := c.get("/settings/profile"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("suspended member still in: %d %q", r.status, r.location())
	}
	// Logout ends the session server-side: a replayed cookie does nothing.
	h.member("bob")
	b := h.as("bob")
	stolen := *b.cookies[sessionCookie]
	b.post("/logout", nil)
	thief := h.client()
	thief.cookies[sessionCookie] = &stolen
	if r := thief.get("/settings/profile"); r.status != http.StatusSeeOther {
		t.Errorf("replayed cookie after logout: %d", r.status)
	}
}

func TestPasswordChangeSignsOutOtherDevices(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	phone, laptop := h.as("ann"), h.as("ann")
	r := laptop.post("/settings/password", url.Values{"current": {"nope"}, "new": {"a new long password"}, "confirm": {"a new long password"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong current: %d", r.status)
	}
	mustContain(t, r.body, "This is not your current password")
	r = laptop.post("/settings/password", url.Values{"current": {pw}, "new": {"a new long password"}, "confirm": {"a new long password"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("change: %d", r.status)
	}
	if r := laptop.get("/settings/profile"); r.status != 200 {
		t.Errorf("the changing browser was signed out: %d", r.status)
	}
	if r := phone.get("/settings/profile"); r.status != http.StatusSeeOther {
		t.Errorf("other device still signed in: %d", r.status)
	}
}

func TestProfileEdit(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	c := h.as("ann")
	r := c.post("/settings/profile", url.Values{"display_name": {strings.Repeat("x", 61)}, "language": {"en"}, "contact_preference": {"phone"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad profile: %d", r.status)
	}
	mustContain(t, r.body, "at most 60 characters (it has 61)", "Enter a phone number, or choose another way")
	m, _ := h.svc.Member(context.Background(), "ann")
	if m.DisplayName != "Name ann" {
		t.Errorf("bad input changed the name to %q", m.DisplayName)
	}
	r = c.post("/settings/profile", url.Values{"display_name": {"Ann Smith"}, "pronouns": {"she/her"}, "language": {"en"},
		"contact_preference": {"phone"}, "phone": {"+44 1234 567890"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	m, _ = h.svc.Member(context.Background(), "ann")
	if m.DisplayName != "Ann Smith" || m.Phone != "+44 1234 567890" || m.ContactPreference != instance.ContactPhone {
		t.Errorf("saved %+v", m)
	}
}

func TestGroupPages(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	if r := h.as("ann").get("/groups/new"); r.status != http.StatusForbidden {
		t.Errorf("member sees new-group form: %d", r.status)
	}
	coord := h.as("cora")
	r := coord.post("/groups/new", url.Values{"handle": {"village"}, "name": {"Dup"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("duplicate handle: %d", r.status)
	}
	mustContain(t, r.body, "already taken")
	r = coord.post("/groups/new", url.Values{"handle": {"lunch_club"}, "name": {"Lunch club"}, "description": {"Hot meals on Thursdays"}})
	if r.status != http.StatusSeeOther || r.location() != "/groups/lunch_club" {
		t.Fatalf("create: %d %q", r.status, r.location())
	}
	ann := h.as("ann")
	mustContain(t, ann.get("/groups/lunch_club").body, "Join this group", "Hot meals on Thursdays")
	ann.post("/groups/lunch_club/join", nil)
	mustContain(t, ann.get("/groups/lunch_club").body, "You are a member of this group.", "Leave this group")
	ann.post("/groups/lunch_club/leave", nil)
	mustContain(t, ann.get("/groups/lunch_club").body, "Join this group")
	if r := ann.post("/groups/village/leave", nil); r.status != http.StatusForbidden {
		t.Errorf("leaving the main group: %d", r.status)
	}
	// Anonymous visitors are sent to sign in for member-only pages.
	if r := h.client().get("/members/ann"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login?next=") {
		t.Errorf("anonymous member page: %d %q", r.status, r.location())
	}
}

func TestRolesAndSuspensionPages(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	admin := h.member("ada", instance.RoleAdmin)
	h.member("cora", instance.RoleCoordinator)
	ann := h.member("ann")
	a := h.as("ada")
	r := a.post("/admin/members/"+fmtInt(ann.ID)+"/roles", url.Values{"role": {"helper", "coordinator"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("set roles: %d", r.status)
	}
	m, _ := h.svc.Member(context.Background(), "ann")
	if !m.Has(instance.RoleHelper) || !m.IsCoordinator() {
		t.Errorf("roles = %v", m.Roles)
	}
	if r := a.post("/admin/members/"+fmtInt(ann.ID)+"/roles", url.Values{"role": {"emperor"}}); r.status != http.StatusBadRequest {
		t.Errorf("unknown role: %d", r.status)
	}
	// Coordinators cannot change roles.
	if r := h.as("cora").post("/admin/members/"+fmtInt(ann.ID)+"/roles", url.Values{"role": {"admin"}}); r.status != http.StatusForbidden {
		t.Errorf("coordinator set roles: %d", r.status)
	}
	if r := a.post("/admin/members/"+fmtInt(admin.ID)+"/roles", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("admin dropped own admin role: %d", r.status)
	}
}

func TestOversizedBody(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	r := h.client().post("/login", url.Values{"login": {strings.Repeat("a", 100<<10)}, "password": {"x"}})
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", r.status)
	}
	mustContain(t, r.body, "too large")
}

func TestSetupPage(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen).withoutAdmin()
	if r := h.client().get("/setup"); r.status != http.StatusNotFound {
		t.Errorf("setup without token: %d", r.status)
	}
	if r := h.client().get("/setup?token=wrong"); r.status != http.StatusNotFound {
		t.Errorf("setup with wrong token: %d", r.status)
	}
	c := h.client()
	r := c.post("/setup", url.Values{"token": {setupToken}, "handle": {"ada"}, "display_name": {"Ada"}, "password": {pw}, "password_confirm": {pw}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("setup: %d %s", r.status, r.body)
	}
	mustContain(t, c.get("/").body, "Your administrator account is ready", h.says("nav.coordinate"))
	if r := h.client().get("/setup?token=" + setupToken); r.status != http.StatusNotFound {
		t.Errorf("setup still open after an admin exists: %d", r.status)
	}
}

// Every message code the domain can produce has English text.
func TestCatalogueCoversDomainCodes(t *testing.T) {
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../instance/*.go")
	if err != nil {
		t.Fatal(err)
	}
	codeRE := regexp.MustCompile(`"((?:err|login|members|groups|invite|mail|reset|unsubscribe|email)\.[a-z_]+)"`)
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := readFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range codeRE.FindAllStringSubmatch(data, -1) {
			seen++
			if _, ok := cat.langs["en"][m[1]]; !ok {
				t.Errorf("%s: code %q has no English message", f, m[1])
			}
		}
	}
	if seen < 20 {
		t.Errorf("found only %d codes; is the pattern still right?", seen)
	}
}

// Every literal catalogue key in the templates and the web code exists in
// English (dynamic keys are covered by rendering the pages).
func TestTemplateKeysExist(t *testing.T) {
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	keyRE := regexp.MustCompile(`"((?:[a-z]+)\.[a-z][a-z_.]*[a-z])"`)
	var files []string
	for _, pattern := range []string{"templates/*.html", "templates/pages/*.html", "*.go"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	prefixes := map[string]bool{}
	for k := range cat.langs["en"] {
		prefixes[k[:strings.Index(k, ".")]] = true
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, _ := readFile(f)
		for _, m := range keyRE.FindAllStringSubmatch(data, -1) {
			key := m[1]
			if !prefixes[key[:strings.Index(key, ".")]] || strings.HasSuffix(key, ".html") {
				continue // not a catalogue key (a file name, a CSS class…)
			}
			checked++
			if _, ok := cat.langs["en"][key]; !ok {
				t.Errorf("%s: key %q is not in messages/en.json", f, key)
			}
		}
	}
	if checked < 100 {
		t.Errorf("checked only %d keys", checked)
	}
}

var verbRE = regexp.MustCompile(`%(?:\[(\d+)\])?[-+# 0]*\d*(?:\.\d+)?([a-zA-Z%])`)

// fmtVerbs lists a message's formatting verbs as "argument:verb", with
// implicit argument numbers made explicit, sorted, so a translation that
// reorders its arguments (%[2]s … %[1]d) still matches.
func fmtVerbs(msg string) []string {
	var out []string
	next := 1
	for _, m := range verbRE.FindAllStringSubmatch(msg, -1) {
		if m[2] == "%" {
			continue
		}
		arg := next
		if m[1] != "" {
			arg, _ = strconv.Atoi(m[1])
		}
		next = arg + 1
		out = append(out, fmt.Sprintf("%d:%s", arg, m[2]))
	}
	sort.Strings(out)
	return out
}

// checkTranslation reports how a catalogue differs from English: missing
// or extra keys, and messages whose arguments do not match.
func checkTranslation(en, other map[string]string) []string {
	var problems []string
	for k, v := range en {
		tr, ok := other[k]
		if !ok {
			problems = append(problems, "missing "+k)
			continue
		}
		if a, b := fmtVerbs(v), fmtVerbs(tr); strings.Join(a, " ") != strings.Join(b, " ") {
			problems = append(problems, fmt.Sprintf("%s: arguments %v, English has %v", k, b, a))
		}
	}
	for k := range other {
		if _, ok := en[k]; !ok {
			problems = append(problems, "not in English: "+k)
		}
	}
	sort.Strings(problems)
	return problems
}

// Every translation has every English message, with the same arguments
// (a missing %d would print "%!d(MISSING)" to a member), and every
// language a member can choose has a catalogue.
func TestTranslationsMatchEnglish(t *testing.T) {
	// The checker itself, on a small broken catalogue.
	got := checkTranslation(map[string]string{"a.b": "%d people", "a.c": "x", "a.d": "%[1]s at %[2]d"},
		map[string]string{"a.b": "%s personnes", "a.d": "à %[2]d, %[1]s", "a.e": "y"})
	want := []string{"a.b: arguments [1:s], English has [1:d]", "missing a.c", "not in English: a.e"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("checkTranslation = %q, want %q", got, want)
	}
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range instance.Languages {
		if !cat.has(lang) {
			t.Errorf("members can choose %q but there is no messages/%s.json", lang, lang)
		}
		if _, ok := cat.langs["en"]["language."+lang]; !ok {
			t.Errorf("no name for language %q", lang)
		}
	}
	for lang, msgs := range cat.langs {
		if lang == "en" {
			continue
		}
		for _, p := range checkTranslation(cat.langs["en"], msgs) {
			t.Errorf("messages/%s.json: %s", lang, p)
		}
	}
}
