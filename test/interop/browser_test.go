package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium finds Debian's Chromium (or another Chrome).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	need(t, false, "chromium is not installed (apt-get install chromium)")
	return ""
}

func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("node_modules/axe-core/axe.min.js")
	need(t, err == nil, "node_modules/axe-core is missing: run `npm ci` in test/interop")
	return string(b)
}

// newBrowser starts a headless Chromium with the flags this machine needs
// (no background networking: the network is closed) and returns a
// context for one tab. javascript=false turns scripts off for the whole
// browser.
func newBrowser(t *testing.T, javascript bool) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1024, 900))
	if !javascript {
		opts = append(opts, chromedp.Flag("blink-settings", "scriptEnabled=false"))
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(alloc)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// tab opens a separate browser context (its own cookies) in the browser,
// with the page's Content-Security-Policy bypassed so axe-core can be
// injected (our CSP forbids every script, which is the point).
func tab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first call opens the tab and must not run under a derived
	// timeout: cancelling that context would detach the tab.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// html returns the current page's markup (through the DOM, no page script).
func html(t *testing.T, ctx context.Context) string {
	t.Helper()
	return get(t, ctx, chromedp.OuterHTML(chromedp.CSS("html")))
}

// waitText waits until the page contains text (bounded).
func waitText(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		// While a form submission navigates, the old document goes away
		// under the query: such errors just mean "not yet".
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		s, err := chromedp.Run(qctx, chromedp.OuterHTML(chromedp.CSS("html")))
		cancel()
		if err == nil && strings.Contains(s, text) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("page never showed %q; it shows:\n%s", text, tail(html(t, ctx), 3000))
}

// fill types into fields by id and submits the form holding the button.
func fill(t *testing.T, ctx context.Context, fields map[string]string) {
	t.Helper()
	for id, v := range fields {
		run(t, ctx, chromedp.SendKeys(chromedp.ID(id), v))
	}
}

func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	run(t, ctx, chromedp.Click(chromedp.CSS(sel)))
}

// submit clicks a form's button and waits for the answer to replace the
// page, for when the text waited for next may already be on the page
// (a message that stays, or the same flash as the step before).
func submit(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	get(t, ctx, chromedp.Evaluate[string](`document.body.dataset.before = "submit"`))
	click(t, ctx, sel)
	run(t, ctx, chromedp.WaitNotPresent(chromedp.CSS(`body[data-before]`)))
}

type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

var wcagTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"}

// axe runs axe-core on the current page for the WCAG 2.0/2.1/2.2 A and AA
// rules and returns the violations.
func axe(t *testing.T, ctx context.Context, source string) []violation {
	t.Helper()
	tags, _ := json.Marshal(wcagTags)
	script := source + `;
axe.run(document, {runOnly: {type: 'tag', values: ` + string(tags) + `}, resultTypes: ['violations']}).then(r =>
  JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))))`
	out := get(t, ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	var vs []violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe output: %v: %s", err, out)
	}
	return vs
}

var (
	screenshotOnce sync.Once
	screenshotDir  string
)

// screenshot saves a full-page PNG under HEARTH_SCREENSHOTS, or a temp dir
// whose path is logged.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	screenshotOnce.Do(func() {
		screenshotDir = os.Getenv("HEARTH_SCREENSHOTS")
		if screenshotDir == "" {
			screenshotDir, _ = os.MkdirTemp("", "hearth-screenshots-")
		}
		os.MkdirAll(screenshotDir, 0o755)
	})
	png := get(t, ctx, chromedp.FullScreenshot(100))
	file := filepath.Join(screenshotDir, regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(name), "-")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func login(t *testing.T, ctx context.Context, h *hearth, handle, password string) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(h.url+"/login"))
	fill(t, ctx, map[string]string{"f-login": handle, "f-password": password})
	click(t, ctx, "main form button[type=submit]")
	waitText(t, ctx, "Sign out")
}

// Every page, empty and with its validation errors, has no axe-core
// violation of WCAG 2.0/2.1/2.2 A or AA, in a real Chromium.
func TestAccessibilityWithAxe(t *testing.T) {
	needNode(t)
	source := axeSource(t)
	h := startHearth(t, "approval")
	cora := h.browser(t)
	cora.login("cora", "correct horse battery")
	_, needPath, _ := cora.post("/needs/new", url.Values{"title": {"A lift to the surgery"}, "description": {"Tuesday *morning*"},
		"category": {"lifts"}, "area": {"Mill Lane"}, "visibility": {"public"}, "address": {"4 Mill Lane"}})
	_, offerPath, _ := cora.post("/offers/new", url.Values{"title": {"Ladder to lend"}, "category": {"lending"}, "visibility": {"public"}})
	day := time.Now().Add(72 * time.Hour)
	_, actionPath, _ := cora.post("/actions/new", url.Values{"title": {"Litter-pick"}, "place": {"The green"},
		"start_date_day": {fmt.Sprint(day.Day())}, "start_date_month": {fmt.Sprint(int(day.Month()))}, "start_date_year": {fmt.Sprint(day.Year())},
		"start_time_hour": {"10"}, "start_time_minute": {"00"}, "end_time_hour": {"12"}, "end_time_minute": {"00"},
		"slot_name_1": {"drivers"}, "slot_capacity_1": {"2"}, "visibility": {"public"}})
	cora.post(needPath+"/responses", url.Values{"body": {"I'll ask the neighbours."}})
	itemID := needPath[strings.LastIndex(needPath, "/")+1:]
	cora.post("/report", url.Values{"subject": {"item"}, "id": {itemID}, "category": {"spam"}, "details": {"A test report"}})
	cora.post("/concerns/new", url.Values{"about": {"Mr Green"}, "details": {"Not seen for a week"}})
	applicant := h.browser(t)
	applicant.post("/join", url.Values{"handle": {"dot"}, "display_name": {"Dot Cotton"}, "email": {"dot@example.org"},
		"password": {"a long password"}, "password_confirm": {"a long password"}, "answer": {"I live on Bridge Street"}, "conduct": {"yes"}})
	for _, p := range []string{needPath, offerPath, actionPath} {
		if p == "" {
			t.Fatal("seeding failed")
		}
	}
	dp := seedDecide(t, cora)
	// A neighbour answers everything cora posted: her notifications page
	// and dashboard have something in every group.
	h.member(t, "bob", "Bob Jones")
	bob := h.browser(t)
	bob.login("bob", "correct horse battery")
	for _, p := range []struct{ path, field string }{{needPath + "/help", "message"}, {offerPath + "/want", "message"},
		{needPath + "/responses", "body"}} {
		if code, _, body := bob.post(p.path, url.Values{p.field: {"I can do Tuesday morning"}}); code != 303 {
			t.Fatalf("%s: %d %s", p.path, code, tail(body, 300))
		}
	}
	if code, _, _ := bob.post(actionPath+"/join", url.Values{"slot": {"0"}}); code != 303 {
		t.Fatalf("join: %d", code)
	}
	seedProfile(t, cora) // the group pages with pictures and fields

	browser := newBrowser(t, true)
	anon := tab(t, browser)
	admin := tab(t, browser)
	login(t, admin, h, "cora", "correct horse battery")
	helper := tab(t, browser)
	login(t, helper, h, "bob", "correct horse battery")

	type check struct {
		ctx    context.Context
		name   string
		path   string
		submit string // a button to press first, to show validation errors
	}
	checks := []check{
		{anon, "home (visitor)", "/", ""}, {anon, "code of conduct", "/conduct", ""}, {anon, "join", "/join", ""},
		{anon, "join with errors", "/join", "main form button[type=submit]"}, {anon, "sign in", "/login", ""},
		{anon, "sign in with error", "/login", "main form button[type=submit]"}, {anon, "groups", "/groups", ""},
		{anon, "group (visitor)", "/groups/village", ""}, {anon, "need (visitor)", needPath, ""}, {anon, "action (visitor)", actionPath, ""},
		{anon, "not found", "/no-such-page", ""},
		{admin, "home (member)", "/", ""}, {admin, "notifications", "/notifications", ""}, {admin, "my activity", "/me", ""}, {admin, "neighbours", "/neighbours", ""},
		{admin, "ask for help", "/needs/new", ""}, {admin, "ask for help with errors", "/needs/new", "main form button[type=submit]"},
		{admin, "offer", "/offers/new", ""}, {admin, "offer with errors", "/offers/new", "main form button[type=submit]"},
		{admin, "organise an action", "/actions/new", ""}, {admin, "organise an action with errors", "/actions/new", "main form button[type=submit]"},
		{admin, "need (requester)", needPath, ""}, {admin, "edit need", needPath + "/edit", ""}, {admin, "delete need", needPath + "/delete", ""},
		{admin, "offer (offerer)", offerPath, ""}, {admin, "action (organiser)", actionPath, ""},
		{admin, "edit action (roles)", actionPath + "/edit", ""},
		{admin, "cancel action with error", actionPath + "/cancel", "form[action$='/cancel'] button[type=submit]"},
		{admin, "profile", "/settings/profile", ""}, {admin, "password", "/settings/password", ""},
		{admin, "password with errors", "/settings/password", "main form button[type=submit]"},
		{admin, "new group", "/groups/new", ""}, {admin, "new group with errors", "/groups/new", "main form button[type=submit]"},
		{admin, "group (coordinator)", "/groups/village", ""}, {admin, "follow a group with error", "/groups/village", "form[action$='/follow'] button[type=submit]"},
		{admin, "edit group", "/groups/village/edit", ""}, {admin, "member", "/members/cora", ""},
		{admin, "applications", "/admin/applications", ""}, {admin, "invites", "/admin/invites", ""}, {admin, "members", "/admin/members", ""},
		{admin, "report", "/report?subject=item&id=" + itemID, ""}, {admin, "report with errors", "/report?subject=item&id=" + itemID, "main form button[type=submit]"},
		{admin, "moderation", "/admin/moderation", ""}, {admin, "moderation log", "/admin/log", ""},
		{admin, "raise a concern", "/concerns/new", ""}, {admin, "raise a concern with errors", "/concerns/new", "main form button[type=submit]"},
		{admin, "safeguarding", "/safeguarding", ""}, {admin, "concern", "/safeguarding/1", ""},
		{admin, "delete account", "/settings/delete", ""}, {admin, "delete account with error", "/settings/delete", "main form button[type=submit]"},
		{anon, "forgotten password", "/forgot-password", ""}, {anon, "reset with a code", "/reset-code", ""},
		{anon, "reset with a code with errors", "/reset-code", "main form button[type=submit]"},
		{admin, "email choices", "/settings/notifications", ""}, {admin, "turning email on", "/admin/email", ""},
		{admin, "decide together", "/decide", ""}, {admin, "start a budget round", "/budgets/new", ""},
		{admin, "start a budget round with errors", "/budgets/new", "main form button[type=submit]"},
		{admin, "budget round ideas", dp.ideas, ""},
		{admin, "send an idea", dp.ideas + "/projects/new", ""}, {admin, "send an idea with errors", dp.ideas + "/projects/new", "main form button[type=submit]"},
		{admin, "budget round voting", dp.voting, ""}, {admin, "ballot with error", dp.voting, "form[action$='/ballot'] button[type=submit]"},
		{admin, "budget round results", dp.results, ""}, {anon, "results post (visitor)", dp.notice, ""},
		{admin, "start a panel", "/panels/new", ""}, {admin, "start a panel with errors", "/panels/new", "main form button[type=submit]"},
		{admin, "panel open (coordinator)", dp.openPanel, ""}, {admin, "panel quotas", dp.openPanel + "/edit", ""},
		{anon, "panel (visitor)", dp.openPanel, ""}, {anon, "volunteer as a guest", dp.openPanel + "/guest", ""},
		{anon, "volunteer as a guest with errors", dp.openPanel + "/guest", "main form button[type=submit]"},
		{admin, "panel drawn (coordinator)", dp.drawnPanel, ""}, {anon, "panel drawn (visitor)", dp.drawnPanel, ""},
		{anon, "check the draw", dp.drawnPanel + "/verify", ""}, {anon, "check a pasted record", "/verify-draw", "main form button[type=submit]"},
		{admin, "start a poll", "/polls/new", ""}, {admin, "start a poll with errors", "/polls/new", "main form button[type=submit]"},
		{admin, "poll (not voted)", dp.poll, ""}, {admin, "vote with error", dp.poll, "form[action$='/vote'] button[type=submit]"},
		{admin, "poll (voted, results)", dp.votedPoll, ""}, {anon, "poll (visitor)", dp.poll, ""},
		{admin, "make a proposal", "/proposals/new", ""}, {admin, "make a proposal with errors", "/proposals/new", "main form button[type=submit]"},
		{admin, "proposal", dp.proposal, ""}, {admin, "answer with error", dp.proposal, "form[action$='/answer'] button[type=submit]"},
		{admin, "needs with no offer", "/admin/unanswered", ""},
		{helper, "my activity (helper)", "/me", ""}, {helper, "notifications (none yet)", "/notifications", ""},
		{helper, "home (member with notifications)", "/", ""},
	}
	// First make sure axe finds problems at all: an unlabelled field and a
	// missing lang must be reported.
	run(t, anon, chromedp.Navigate(`data:text/html,<title>bad</title><main><input type="text"></main>`))
	if vs := axe(t, anon, source); len(vs) == 0 {
		t.Fatal("axe-core reported nothing on a page with an unlabelled input: the check is not working")
	}
	report := map[string]int{}
	checkAll := func(checks []check) {
		for _, c := range checks {
			t.Run(c.name, func(t *testing.T) {
				run(t, c.ctx, chromedp.Navigate(h.url+c.path), chromedp.WaitReady(chromedp.CSS("main")))
				if c.submit != "" {
					click(t, c.ctx, c.submit)
					waitText(t, c.ctx, "Error:")
				}
				vs := axe(t, c.ctx, source)
				report[c.name] = len(vs)
				for _, v := range vs {
					t.Errorf("%s (%s): %s at %v", v.ID, v.Impact, v.Help, v.Nodes)
				}
				// Nothing makes the page scroll sideways, at any width.
				if wide := get(t, c.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); wide {
					t.Errorf("the page scrolls sideways (%s)", get(t, c.ctx, chromedp.Evaluate[string](
						`document.documentElement.scrollWidth + "px wide in a " + window.innerWidth + "px window"`)))
				}
				screenshot(t, c.ctx, c.name)
			})
		}
	}
	checkAll(checks)
	// The pages people are told on, again at a phone's width (390 px):
	// axe, and screenshots to look at.
	phone := []check{{admin, "phone home (admin)", "/", ""}, {admin, "phone notifications", "/notifications", ""},
		{admin, "phone my activity", "/me", ""}, {helper, "phone my activity (helper)", "/me", ""},
		{admin, "phone need (requester)", needPath, ""}}
	for _, c := range []context.Context{admin, helper} {
		run(t, c, chromedp.EmulateViewport(390, 844))
	}
	checkAll(phone)
	for _, c := range []context.Context{admin, helper} {
		run(t, c, chromedp.EmulateViewport(1024, 900))
	}

	// The pages of the first-time-user review (issue 19): members, the
	// log in sentences, calendars, "everything held about you", the
	// Coordinate page, joining with an invite; then those and the main
	// pages again at a phone's width.
	_, apps := cora.get("/admin/applications")
	m := regexp.MustCompile(`/admin/applications/(\d+)/approve`).FindStringSubmatch(apps)
	if m == nil {
		t.Fatal("no application to approve")
	}
	dotID := m[1]
	today, nextYear := time.Now().Format("2006-01-02"), time.Now().AddDate(1, 0, 0).Format("2006-01-02")
	for _, step := range []struct {
		path string
		form url.Values
	}{
		{"/admin/applications/" + dotID + "/approve", nil},
		{"/admin/members/" + dotID + "/roles", url.Values{"role": {"helper"}}},
		{"/admin/members/" + dotID + "/verify", dated(url.Values{"check": {"dbs"}}, map[string]string{"verified_on": today, "expires_on": nextYear})},
		{"/settings/calendar", nil},
		{actionPath + "/join", nil},
	} {
		if code, _, body := cora.post(step.path, step.form); code != 303 {
			t.Fatalf("%s: %d %s", step.path, code, tail(body, 300))
		}
	}
	_, _, inv := cora.post("/admin/invites", url.Values{"note": {"For Priya"}})
	invite := regexp.MustCompile(`/join\?invite=[A-Za-z0-9_-]+`).FindString(inv)
	h.failingHost(t, "down.example")
	inviteOnly, fresh := startHearth(t, "invite"), startHearthWith(t, "open", false)
	anonInvite, anonFresh := tab(t, browser), tab(t, browser)
	review := []check{
		{anon, "join with an invite (approval mode)", invite, ""}, {anon, "calendar (visitor)", "/calendar", ""},
		{anon, "what's this", "/about/following", ""}, {anon, "search with a slip and finished", "/?q=surgry&finished=yes", ""},
		{anon, "bad confirmation link", "/confirm-email?token=nope", ""},
		{admin, "coordinate", "/coordinate", ""}, {admin, "members (search)", "/admin/members?q=dot", ""},
		{admin, "member's page", "/admin/members/" + dotID, ""},
		{admin, "member's page with a check error", "/admin/members/" + dotID, "form[action$='/verify'] button[type=submit]"},
		{admin, "suspend", "/admin/members/" + dotID + "/suspend", ""},
		{admin, "suspend with error", "/admin/members/" + dotID + "/suspend", "main form button[type=submit]"},
		{admin, "moderation log (sentences)", "/admin/log", ""}, {admin, "calendar (member)", "/calendar", ""},
		{admin, "profile (calendar link)", "/settings/profile", ""}, {admin, "everything held about you", "/settings/export", ""},
		{admin, "federation health", "/admin/federation", ""},
		// Beyond the screen (issue 17): the noticeboards to print.
		{anon, "noticeboard (visitor)", "/noticeboard", ""}, {admin, "noticeboard (coordinator)", "/noticeboard", ""},
		{anon, "group noticeboard (visitor)", "/groups/village/noticeboard", ""},
		{admin, "noticeboard on A5, public posts only", "/noticeboard?paper=a5&public=yes", ""},
	}
	elsewhere := []check{{anonInvite, "join (invite only, with contact)", "/join", ""},
		{anonFresh, "home (being set up)", "/", ""}, {anonFresh, "join (being set up)", "/join", ""}}
	hostOf := map[context.Context]*hearth{anonInvite: inviteOnly, anonFresh: fresh}
	checkElsewhere := func(prefix string) {
		for _, c := range elsewhere {
			t.Run(prefix+c.name, func(t *testing.T) {
				run(t, c.ctx, chromedp.Navigate(hostOf[c.ctx].url+c.path), chromedp.WaitReady(chromedp.CSS("main")))
				vs := axe(t, c.ctx, source)
				report[prefix+c.name] = len(vs)
				for _, v := range vs {
					t.Errorf("%s (%s): %s at %v", v.ID, v.Impact, v.Help, v.Nodes)
				}
				screenshot(t, c.ctx, prefix+c.name)
			})
		}
	}
	checkAll(review)
	checkElsewhere("")
	// At a phone's width (375 CSS pixels).
	for _, ctx := range []context.Context{anon, admin, anonInvite, anonFresh} {
		run(t, ctx, chromedp.EmulateViewport(375, 740, chromedp.EmulateScale(1), chromedp.EmulateMobile))
	}
	phone = []check{{anon, "home (visitor)", "/", ""}, {anon, "group (visitor)", "/groups/village", ""}, {anon, "need (visitor)", needPath, ""},
		{admin, "home (member)", "/", ""}, {admin, "members", "/admin/members", ""}, {admin, "moderation", "/admin/moderation", ""}}
	for _, c := range append(phone, review...) {
		c.name = "phone " + c.name
		checkAll([]check{c})
	}
	checkElsewhere("phone ")
	for _, ctx := range []context.Context{anon, admin} {
		run(t, ctx, chromedp.EmulateViewport(1024, 900))
	}
	// A few pages again in French (the coordinator switches language): a
	// translation must not break the structure, and the page must say it
	// is in French.
	if code, _, body := cora.post("/settings/profile", url.Values{"display_name": {"Cora Coordinator"}, "language": {"fr"},
		"contact_preference": {"site"}}); code != 303 {
		t.Fatalf("switching to French: %d %s", code, tail(body, 300))
	}
	run(t, admin, chromedp.Navigate(h.url+"/"), chromedp.WaitReady(chromedp.CSS("main")))
	if lang := get(t, admin, chromedp.Evaluate[string]("document.documentElement.lang")); lang != "fr" {
		t.Fatalf("after choosing French the page's lang is %q", lang)
	}
	checkAll([]check{{admin, "fr home", "/", ""}, {admin, "fr edit action (roles)", actionPath + "/edit", ""},
		{admin, "fr action (organiser)", actionPath, ""}, {admin, "fr moderation", "/admin/moderation", ""},
		{admin, "fr budget round voting", dp.voting, ""}, {admin, "fr budget round results", dp.results, ""},
		{admin, "fr panel drawn", dp.drawnPanel, ""}, {admin, "fr start a panel", "/panels/new", ""},
		{admin, "fr notifications", "/notifications", ""}, {admin, "fr my activity", "/me", ""},
		{admin, "fr coordinate", "/coordinate", ""}, {admin, "fr moderation log", "/admin/log", ""},
		{admin, "fr member's page", "/admin/members/" + dotID, ""}, {admin, "fr everything held about you", "/settings/export", ""},
		{admin, "fr calendar", "/calendar", ""}, {admin, "fr federation health", "/admin/federation", ""}})
	// A visitor switches to French with the footer's button (no script
	// needed: it is a form).
	run(t, anon, chromedp.Navigate(h.url+"/groups/village"), chromedp.WaitReady(chromedp.CSS("main")))
	click(t, anon, "form[action='/language'] button[value=fr]")
	waitText(t, anon, `<html lang="fr">`)
	if loc := get(t, anon, chromedp.Location()); !strings.HasSuffix(loc, "/groups/village") {
		t.Errorf("after switching language the visitor is at %s", loc)
	}
	checkAll([]check{{anon, "fr group (visitor)", "/groups/village", ""}, {anon, "fr join", "/join", ""}})
	t.Logf("axe-core violations per page (WCAG 2.0/2.1/2.2 A and AA): %v", report)
	t.Logf("screenshots: %s", screenshotDir)
}

// The whole mutual-aid flow with JavaScript turned off in the browser:
// sign up (approval mode), a coordinator approves, post a need, another
// member offers help, the requester accepts, the need is marked done.
func TestFlowWithoutJavaScript(t *testing.T) {
	needNode(t)
	h := startHearth(t, "approval")
	browser := newBrowser(t, false)
	coord, ann, bob := tab(t, browser), tab(t, browser), tab(t, browser)
	// Scripts really are off: this page's script would change its title.
	run(t, ann, chromedp.Navigate(`data:text/html,<title>off</title><script>document.title="on"</script>`))
	if title := get(t, ann, chromedp.Title()); title != "off" {
		t.Fatalf("JavaScript is running in the no-JavaScript browser (title %q)", title)
	}

	// The helper, bob, joins and is approved too.
	for _, who := range []struct {
		ctx          context.Context
		handle, name string
	}{{ann, "ann", "Ann Smith"}, {bob, "bob", "Bob Jones"}} {
		run(t, who.ctx, chromedp.Navigate(h.url+"/join"))
		fill(t, who.ctx, map[string]string{"f-display_name": who.name, "f-handle": who.handle, "f-email": who.handle + "@example.org",
			"f-password": "a long password", "f-password_confirm": "a long password", "f-answer": "I live on Mill Lane"})
		click(t, who.ctx, "#f-conduct")
		click(t, who.ctx, "main form button[type=submit]")
		waitText(t, who.ctx, "Your application is waiting for a coordinator")
		screenshot(t, who.ctx, "nojs applied "+who.handle)
	}
	// The coordinator is told of both applications, in the header of
	// every page and on the notifications page, which links to them.
	login(t, coord, h, "cora", "correct horse battery")
	waitText(t, coord, `aria-label="2 new notifications"`)
	run(t, coord, chromedp.Navigate(h.url+"/notifications"))
	waitText(t, coord, "Ann Smith applied to join — Look at the application")
	waitText(t, coord, "Bob Jones applied to join")
	screenshot(t, coord, "nojs coordinator told of applications")
	run(t, coord, chromedp.Click(chromedp.Search(`//a[contains(., "Ann Smith applied to join")]`)))
	waitText(t, coord, "Approve Ann Smith")
	for _, name := range []string{"Ann Smith", "Bob Jones"} {
		run(t, coord, chromedp.Navigate(h.url+"/admin/applications"))
		waitText(t, coord, "Approve "+name)
		run(t, coord, chromedp.Click(chromedp.Search(fmt.Sprintf(`//button[normalize-space()="Approve %s"]`, name))))
		waitText(t, coord, "The application has been approved.")
	}
	// Ann is told she was approved.
	login(t, ann, h, "ann", "a long password")
	waitText(t, ann, `aria-label="1 new notification"`)
	run(t, ann, chromedp.Navigate(h.url+"/notifications"))
	waitText(t, ann, "Your application was approved. Welcome!")
	run(t, ann, chromedp.Navigate(h.url+"/needs/new"))
	fill(t, ann, map[string]string{"f-title": "Shopping from the village shop", "f-area": "Mill Lane", "f-address": "4 Mill Lane"})
	run(t, ann, chromedp.SetValue(chromedp.ID("f-category"), "shopping"))
	click(t, ann, "main form button[type=submit]")
	waitText(t, ann, "Your request has been posted.")
	needURL := get(t, ann, chromedp.Location())
	screenshot(t, ann, "nojs need posted")
	run(t, ann, chromedp.Navigate(h.url+"/notifications"))
	click(t, ann, "form[action='/notifications/read'] button[type=submit]")
	waitText(t, ann, "All your notifications are marked as read.")

	// Bob offers help: Ann is told, with the next step, and the link
	// takes her to the offers on the need's page.
	login(t, bob, h, "bob", "a long password")
	run(t, bob, chromedp.Navigate(needURL))
	fill(t, bob, map[string]string{"f-message": "I'm going there on Thursday."})
	click(t, bob, "form[action$='/help'] button[type=submit]")
	waitText(t, bob, "Your offer of help has been sent.")
	run(t, bob, chromedp.Navigate(h.url+"/me"))
	waitText(t, bob, "Waiting for the requester to choose")

	run(t, ann, chromedp.Navigate(h.url+"/"))
	waitText(t, ann, `aria-label="1 new notification"`)
	waitText(t, ann, "You have 1 new notification.")
	run(t, ann, chromedp.Navigate(h.url+"/notifications"))
	waitText(t, ann, "Bob Jones offered to help with “Shopping from the village shop” — Choose a helper")
	screenshot(t, ann, "nojs requester told of an offer")
	run(t, ann, chromedp.Click(chromedp.Search(`//a[contains(., "Choose a helper")]`)))
	waitText(t, ann, "Accept help from Bob Jones")
	if loc := get(t, ann, chromedp.Location()); !strings.HasSuffix(loc, "#offers") {
		t.Errorf("the notification took Ann to %s, not the offers", loc)
	}
	if strings.Contains(html(t, ann), `class="unread"`) {
		t.Error("opening the need did not mark its notification read")
	}
	click(t, ann, "form[action*='/accept/'] button[type=submit]")
	waitText(t, ann, "You have accepted the offer of help.")

	// Bob is told he was accepted; the link shows him the details.
	run(t, bob, chromedp.Navigate(h.url+"/notifications"))
	waitText(t, bob, "Ann Smith accepted your offer of help with “Shopping from the village shop” — See the details and get in touch")
	screenshot(t, bob, "nojs helper told of acceptance")
	run(t, bob, chromedp.Click(chromedp.Search(`//a[contains(., "See the details")]`)))
	waitText(t, bob, "4 Mill Lane") // the helper now sees the address

	// They get in touch privately: Ann sees how Bob would like to be
	// reached; Bob writes in the private thread (the public reply box
	// says replies are not private); Ann is told, with the next step, and
	// answers; Bob is told.
	waitText(t, bob, "Replies are not private: every member here can read them.")
	fill(t, bob, map[string]string{"f-message_body": "I'll be at your door at 9:45 on Thursday. Blue Ford Galaxy."})
	click(t, bob, "form[action$='/messages'] button[type=submit]")
	waitText(t, bob, "Your private message was sent.")
	run(t, ann, chromedp.Navigate(h.url+"/"))
	waitText(t, ann, `aria-label="1 new notification"`)
	run(t, ann, chromedp.Navigate(h.url+"/notifications"))
	waitText(t, ann, "Bob Jones sent you a private message about “Shopping from the village shop” — Read it and reply")
	screenshot(t, ann, "nojs requester told of a private message")
	run(t, ann, chromedp.Click(chromedp.Search(`//a[contains(., "sent you a private message")]`)))
	waitText(t, ann, "Blue Ford Galaxy")
	waitText(t, ann, "How to reach Bob Jones")
	if loc := get(t, ann, chromedp.Location()); !strings.HasSuffix(loc, "#messages") {
		t.Errorf("the notification took Ann to %s, not the messages", loc)
	}
	fill(t, ann, map[string]string{"f-message_body": "Thank you, I'll be ready. Ring twice."})
	click(t, ann, "form[action$='/messages'] button[type=submit]")
	waitText(t, ann, "Your private message was sent.")
	screenshot(t, ann, "nojs private messages")
	run(t, bob, chromedp.Navigate(h.url+"/notifications"))
	waitText(t, bob, "Ann Smith sent you a private message about “Shopping from the village shop”")
	run(t, bob, chromedp.Click(chromedp.Search(`//a[contains(., "sent you a private message")]`)))
	waitText(t, bob, "Ring twice.")
	// Nobody else sees them: a visitor is not shown the need at all (a
	// need starts village-only), let alone its messages.
	visitor := tab(t, browser)
	run(t, visitor, chromedp.Navigate(needURL))
	waitText(t, visitor, "Page not found")
	if page := html(t, visitor); strings.Contains(page, "Blue Ford Galaxy") || strings.Contains(page, "Private messages") {
		t.Error("a visitor sees the private messages")
	}
	run(t, bob, chromedp.Navigate(h.url+"/me"))
	waitText(t, bob, "You are helping")
	run(t, bob, chromedp.Navigate(needURL))
	click(t, bob, "form[action$='/done'] button[type=submit]")
	waitText(t, bob, "Marked as done.")
	run(t, ann, chromedp.Navigate(needURL))
	waitText(t, ann, "<strong>Done</strong>")
	waitText(t, ann, "Ring twice.") // the thread stays readable
	run(t, ann, chromedp.Navigate(h.url+"/me"))
	waitText(t, ann, "Done")
	screenshot(t, ann, "nojs need done")
	// The requester says thank you; the helper is told, with her words,
	// and the link shows him the thanks on the need's page.
	run(t, ann, chromedp.Navigate(needURL))
	fill(t, ann, map[string]string{"f-thanks": "Thank you, Bob!"})
	click(t, ann, "form[action$='/thanks'] button[type=submit]")
	waitText(t, ann, "Your thanks have been sent.")
	run(t, bob, chromedp.Navigate(h.url+"/notifications"))
	waitText(t, bob, "Ann Smith said thank you for “Shopping from the village shop”. They wrote: “Thank you, Bob!”")
	run(t, bob, chromedp.Click(chromedp.Search(`//a[contains(., "said thank you")]`)))
	waitText(t, bob, "Ann Smith said thank you.")
	if loc := get(t, bob, chromedp.Location()); !strings.HasSuffix(loc, "#thanks") {
		t.Errorf("the thank-you took Bob to %s, not the thanks", loc)
	}

	// The coordinator organises an action in the day, month, year and
	// hour, minute boxes, then cancels it: "Something changed?", the
	// confirmation page, a reason.
	day := time.Now().AddDate(0, 0, 10)
	run(t, coord, chromedp.Navigate(h.url+"/actions/new"))
	fill(t, coord, map[string]string{"f-title": "Litter-pick", "f-place": "The green", "f-start_date": fmt.Sprint(day.Day()),
		"f-start_date_month": fmt.Sprint(int(day.Month())), "f-start_date_year": fmt.Sprint(day.Year()), "f-start_time": "10",
		"f-start_time_minute": "00", "f-end_time": "12", "f-end_time_minute": "30"})
	click(t, coord, "main form button[type=submit]")
	waitText(t, coord, "Your action has been posted.")
	waitText(t, coord, "10:00")
	click(t, coord, "a[href$='/change']")
	waitText(t, coord, "It is not happening")
	click(t, coord, "a[href$='/cancel']")
	waitText(t, coord, "Yes, cancel it")
	screenshot(t, coord, "nojs cancel an action")
	fill(t, coord, map[string]string{"f-reason": "The green is flooded"})
	click(t, coord, "form[action$='/cancel'] button[type=submit]")
	waitText(t, coord, "The action has been cancelled and everyone has been told.")

	// A weekly lunch club with a role; Bob comes every time (a second
	// submit button with formaction, no script); the organiser's rota
	// refuses an unknown username beside its box.
	run(t, coord, chromedp.Navigate(h.url+"/actions/new"))
	fill(t, coord, map[string]string{"f-title": "Lunch club", "f-place": "The hall", "f-start_date": fmt.Sprint(day.Day()),
		"f-start_date_month": fmt.Sprint(int(day.Month())), "f-start_date_year": fmt.Sprint(day.Year()), "f-start_time": "12",
		"f-end_time": "14", "f-slot_name_1": "cooks", "f-slot_capacity_1": "2", "f-repeat_times": "6"})
	click(t, coord, "#f-repeat-1")
	click(t, coord, "main form button[type=submit]")
	waitText(t, coord, "Your action has been posted.")
	waitText(t, coord, "Every week on")
	club := get(t, coord, chromedp.Location())
	run(t, bob, chromedp.Navigate(club))
	click(t, bob, "button[formaction$='/every']")
	waitText(t, bob, "You now come every time.")
	screenshot(t, bob, "nojs every time")
	run(t, coord, chromedp.Navigate(club+"/rota"))
	waitText(t, coord, "Gap")
	fill(t, coord, map[string]string{"f-member": "nobody"})
	click(t, coord, "form[action$='/rota'] button[type=submit]")
	waitText(t, coord, "There is no active member with that username")
	screenshot(t, coord, "nojs rota refused")

	// The requester deletes her need, after being asked to make sure.
	run(t, ann, chromedp.Navigate(needURL+"/change"))
	click(t, ann, "a[href$='/delete']")
	waitText(t, ann, "This cannot be undone")
	click(t, ann, "form[action$='/delete'] button[type=submit]")
	waitText(t, ann, "It has been deleted.")
	// Without JavaScript the notifications page says phone notifications
	// need it, and shows no button that would do nothing.
	run(t, ann, chromedp.Navigate(h.url+"/notifications"))
	waitText(t, ann, "Notifications on a phone need JavaScript")
	if shown := get(t, ann, chromedp.Evaluate[int](`document.querySelectorAll("#push button").length - [...document.querySelectorAll("#push button")].filter(b => getComputedStyle(b).display === "none").length`)); shown != 0 {
		t.Errorf("%d push buttons show without JavaScript, which would do nothing", shown)
	}
}

// Posting a need with the keyboard only: Tab to each field, type, Enter.
func TestKeyboardOnlyNeed(t *testing.T) {
	needNode(t)
	h := startHearth(t, "open")
	browser := newBrowser(t, true)
	ctx := tab(t, browser)
	login(t, ctx, h, "cora", "correct horse battery")
	run(t, ctx, chromedp.Navigate(h.url+"/"))
	// focusOn presses Tab until the focused element matches, within a bound.
	focusOn := func(desc, js string) {
		t.Helper()
		for i := 0; i < 60; i++ {
			if get(t, ctx, chromedp.Evaluate[bool](js)) {
				return
			}
			run(t, ctx, chromedp.KeyEvent(kb.Tab))
		}
		t.Fatalf("Tab never reached %s", desc)
	}
	focusOn("the Ask for help link", `document.activeElement.textContent.trim() === "Ask for help"`)
	run(t, ctx, chromedp.KeyEvent(kb.Enter))
	waitText(t, ctx, "What do you need?")
	for _, f := range []struct{ id, text string }{
		{"f-title", "Someone to walk my dog"}, {"f-description", "Twice a week while my knee mends."},
		{"f-category", "dog"}, {"f-area", "Church Road"},
	} {
		focusOn(f.id, `document.activeElement.id === "`+f.id+`"`)
		run(t, ctx, chromedp.KeyEvent(f.text))
	}
	focusOn("the submit button", `document.activeElement.tagName === "BUTTON" && document.activeElement.textContent.trim() === "Ask for help"`)
	run(t, ctx, chromedp.KeyEvent(kb.Enter))
	waitText(t, ctx, "Your request has been posted.")
	page := html(t, ctx)
	for _, want := range []string{"Someone to walk my dog", "dog walking", "Church Road"} {
		if !strings.Contains(page, want) {
			t.Errorf("posted need lacks %q", want)
		}
	}
	screenshot(t, ctx, "keyboard need posted")
}
