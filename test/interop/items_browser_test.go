package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// addMember creates a member with the command line, as an operator would.
func (h *hearth) addMember(t *testing.T, handle, name, roles string) {
	t.Helper()
	cmd := exec.Command(hearthBin, "admin", "create-member", "-config", filepath.Join(h.dir, "hearth.toml"), "--handle", handle,
		"--name", name, "--role", roles)
	cmd.Stdin = strings.NewReader("correct horse battery\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create %s: %v\n%s", handle, err, out)
	}
}

// layoutProblems measures the page as it is laid out: whether it scrolls
// sideways, and whether any two buttons in the main part are closer than
// 8 px or lower than 44 px (WCAG 2.5.8, and fingers on a phone).
const layoutProblems = `(() => {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) out.push("scrolls sideways: " + doc.scrollWidth + " > " + doc.clientWidth);
  const els = [...document.querySelectorAll("main button:not(.link), main a.button")];
  const rects = els.map(e => e.getBoundingClientRect());
  const name = e => (e.textContent || "").trim().slice(0, 30);
  rects.forEach((r, i) => { if (r.height < 44) out.push("button too small (" + Math.round(r.height) + " px): " + name(els[i])); });
  for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
    const a = rects[i], b = rects[j];
    const dx = Math.max(b.left - a.right, a.left - b.right), dy = Math.max(b.top - a.bottom, a.top - b.bottom);
    if (dx < 8 && dy < 8) out.push("buttons touch: " + name(els[i]) + " / " + name(els[j]));
  }
  return JSON.stringify(out);
})()`

// Every state of the item pages and forms this project changed (each
// viewer's view of a need, the "Something changed?" and confirmation
// pages, the date boxes with their errors, the safety check, a long
// thread), at desktop and phone width: no axe-core violation, no
// sideways scroll even with a long unbroken title, buttons that do not
// touch. Screenshots of each go with the others.
func TestItemPagesWithAxe(t *testing.T) {
	needNode(t)
	source := axeSource(t)
	h := startHearth(t, "open")
	h.addMember(t, "rita", "Rita Requester", "member")
	h.addMember(t, "hal", "Hal Helper", "helper")
	h.addMember(t, "olly", "Olly Other", "member")
	rita, hal, cora := h.browser(t), h.browser(t), h.browser(t)
	rita.login("rita", "correct horse battery")
	hal.login("hal", "correct horse battery")
	cora.login("cora", "correct horse battery")
	post := func(b *browser, path string, form url.Values) string {
		t.Helper()
		code, loc, body := b.post(path, form)
		if code != 303 {
			t.Fatalf("post %s: %d %s", path, code, tail(body, 400))
		}
		return strings.SplitN(loc, "#", 2)[0]
	}
	long := "Pleasehelpmecarrymyshoppinghomefromthevillageshop" + strings.Repeat("x", 40)
	need := func(title, vis string) string {
		return post(rita, "/needs/new", url.Values{"title": {title}, "description": {"See https://example.org/" + strings.Repeat("averylongpath/", 10)},
			"category": {"shopping"}, "area": {"Mill Lane"}, "visibility": {vis}, "address": {"4 Mill Lane"}})
	}
	acceptRE := regexp.MustCompile(`action="(/needs/\d+/accept/\d+)"`)
	helped := func(path string, done bool) {
		post(hal, path+"/help", url.Values{"message": {"I can go on Thursday"}})
		_, page := rita.get(path)
		m := acceptRE.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no offer to accept on %s", path)
		}
		post(rita, m[1], nil)
		if done {
			post(hal, path+"/done", nil)
		}
	}
	claimed := need(long, "public")
	helped(claimed, false)
	offered := need("Help with the garden", "village")
	post(hal, offered+"/help", url.Values{"message": {"I have a mower"}})
	done := need("A lift to the surgery", "public")
	helped(done, true)
	thanked := need("Prescription from the chemist", "public")
	helped(thanked, true)
	post(rita, thanked+"/thanks", url.Values{"thanks": {"Thank you so much, Hal"}})
	action := post(cora, "/actions/new", url.Values{"title": {"Litter-pick"}, "place": {"The green"}, "start_date_day": {"23"},
		"start_date_month": {"12"}, "start_date_year": {"2030"}, "start_time_hour": {"10"}, "end_time_hour": {"12"}, "visibility": {"public"}})
	thread := post(cora, "/offers/new", url.Values{"title": {"Ladder to lend"}, "category": {"lending"}, "visibility": {"public"}})
	for i := 1; i <= 60; i++ {
		post(cora, thread+"/responses", url.Values{"body": {fmt.Sprintf("Reply number %d: is it still free?", i)}})
	}
	_, members := cora.get("/admin/members")
	// The safety check is on the helper's own page for coordinators.
	verify := regexp.MustCompile(`href="(/admin/members/\d+)">Hal Helper<`).FindStringSubmatch(members)
	if verify == nil {
		t.Fatal("no link to Hal's page on the members page")
	}
	_, page := cora.get(thread)
	earlier := regexp.MustCompile(`href="(/offers/\d+\?before=\d+)#`).FindStringSubmatch(page)
	if earlier == nil {
		t.Fatal("the long thread has no link to earlier replies")
	}

	browser := newBrowser(t, true)
	tabs := map[string]context.Context{"visitor": tab(t, browser)}
	for _, who := range []string{"rita", "hal", "olly", "cora"} {
		tabs[who] = tab(t, browser)
		login(t, tabs[who], h, who, "correct horse battery")
	}
	type check struct {
		who, name, path string
		typed           map[string]string // typed into fields by id before submit
		submit          string
	}
	checks := []check{
		{"visitor", "need (visitor, no names)", claimed, nil, ""},
		{"visitor", "home (visitor, no open needs)", "/", nil, ""},
		{"rita", "need (requester, helped)", claimed, nil, ""},
		{"rita", "need (requester, offers)", offered, nil, ""},
		{"rita", "need (requester, say thank you)", done, nil, ""},
		{"rita", "need (requester, thanked)", thanked, nil, ""},
		{"rita", "something changed (requester)", claimed + "/change", nil, ""},
		{"rita", "something changed with error", claimed + "/change", map[string]string{"f-reason": strings.Repeat("a", 301)},
			"form[action$='/close'] button[type=submit]"},
		{"rita", "ask for help (date boxes)", "/needs/new", nil, ""},
		{"rita", "ask for help with a date error", "/needs/new", map[string]string{"f-title": "Help", "f-needed_by": "5", "f-needed_by_year": "27"},
			"main form button[type=submit]"},
		{"rita", "say thank you with error", done, map[string]string{"f-thanks": strings.Repeat("a", 501)}, "form[action$='/thanks'] button[type=submit]"},
		{"hal", "need (helper)", claimed, nil, ""},
		{"hal", "something changed (helper)", claimed + "/change", nil, ""},
		{"hal", "need (helper, thanked)", thanked, nil, ""},
		{"olly", "need (other member, being helped)", claimed, nil, ""},
		{"olly", "need (other member, can help)", offered, nil, ""},
		{"cora", "need (coordinator)", claimed, nil, ""},
		{"cora", "action (organiser)", action, nil, ""},
		{"cora", "something changed (organiser)", action + "/change", nil, ""},
		{"cora", "cancel an action", action + "/cancel", nil, ""},
		{"cora", "cancel an action with error", action + "/cancel", nil, "form[action$='/cancel'] button[type=submit]"},
		{"cora", "delete a need", claimed + "/delete", nil, ""},
		{"cora", "organise an action with date errors", "/actions/new", map[string]string{"f-title": "Lunch", "f-place": "Hall",
			"f-start_date": "31", "f-start_date_month": "2", "f-start_date_year": "2030", "f-start_time": "25", "f-end_time": "12"},
			"main form button[type=submit]"},
		{"cora", "edit action (date boxes)", action + "/edit", nil, ""},
		{"cora", "safety check", verify[1], nil, ""},
		{"cora", "safety check with errors", verify[1], map[string]string{"f-verified_on": "1", "f-verified_on_month": "11",
			"f-verified_on_year": "2026"}, "form[action$='/verify'] button[type=submit]"},
		{"cora", "long thread (latest replies)", thread, nil, ""},
		{"cora", "long thread (earlier replies)", earlier[1], nil, ""},
	}
	// First make sure the layout check finds problems at all: touching
	// buttons, a small one, and a page wider than the screen.
	probe := tabs["visitor"]
	run(t, probe, chromedp.Navigate(`data:text/html,<title>bad</title><main><button>a</button><button style="height:20px">b</button>`+
		`<div style="width:3000px">wide</div></main>`))
	var found []string
	if err := json.Unmarshal([]byte(get(t, probe, chromedp.Evaluate[string](layoutProblems))), &found); err != nil || len(found) < 3 {
		t.Fatalf("the layout check found %q on a page with touching, small buttons and sideways scroll", found)
	}
	report := map[string]int{}
	for _, width := range []int64{1024, 320} {
		for _, c := range checks {
			name := c.name
			if width < 1024 {
				name += " (phone)"
			}
			t.Run(name, func(t *testing.T) {
				ctx := tabs[c.who]
				run(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(h.url+c.path), chromedp.WaitReady(chromedp.CSS("main")))
				if c.submit != "" {
					fill(t, ctx, c.typed)
					click(t, ctx, c.submit)
					waitText(t, ctx, "Error:")
				}
				vs := axe(t, ctx, source)
				report[name] = len(vs)
				for _, v := range vs {
					t.Errorf("%s (%s): %s at %v", v.ID, v.Impact, v.Help, v.Nodes)
				}
				var problems []string
				out := get(t, ctx, chromedp.Evaluate[string](layoutProblems))
				if err := json.Unmarshal([]byte(out), &problems); err != nil {
					t.Fatal(err)
				}
				for _, p := range problems {
					t.Errorf("layout: %s", p)
				}
				screenshot(t, ctx, name)
			})
		}
	}
	t.Logf("axe-core violations per page: %v", report)
	t.Logf("screenshots: %s", screenshotDir)
}
