package interop

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Beyond the screen (issue 17): the phone intake and its read-back, the
// private feed's page, and the impact figures have no axe-core
// violations, at desktop and phone width.
func TestBeyondScreenPagesWithAxe(t *testing.T) {
	needNode(t)
	source := axeSource(t)
	h := startHearth(t, "approval")
	cora := h.browser(t)
	cora.login("cora", "correct horse battery")
	seedVillage(t, cora)
	code, readBack, body := cora.post("/intake", url.Values{"on_behalf_name": {"Edith Crane"}, "on_behalf_phone": {"01234 999888"},
		"title": {"Shopping on Thursday"}, "category": {"shopping"}, "area": {"Church Row"}, "address": {"2 Church Row"}})
	if code != 303 {
		t.Fatalf("intake: %d %s", code, tail(body, 300))
	}

	browser := newBrowser(t, true)
	anon, admin := tab(t, browser), tab(t, browser)
	login(t, admin, h, "cora", "correct horse battery")
	type check struct {
		ctx          context.Context
		name, path   string
		submit, wait string
	}
	checks := []check{
		{admin, "phone intake", "/intake", "", "Take a need over the phone"},
		{admin, "phone intake with errors", "/intake", "main form button[type=submit]", "Error:"},
		{admin, "phone intake read-back", readBack, "", "Read this back to them"},
		{admin, "private feed (none)", "/settings/feed", "", "Make my feed"},
		{admin, "private feed (made)", "/settings/feed", "main form button[type=submit]", "Stop my feed"},
		{anon, "impact figures (visitor)", "/impact", "", "Month by month"},
		{admin, "impact figures (coordinator)", "/impact", "", "All categories"},
		{admin, "impact figures for a category", "/impact?category=shopping", "", "Figures for shopping only."},
	}
	report := map[string]int{}
	checkAll := func(checks []check) {
		for _, c := range checks {
			t.Run(c.name, func(t *testing.T) {
				run(t, c.ctx, chromedp.Navigate(h.url+c.path), chromedp.WaitReady(chromedp.CSS("main")))
				if c.submit != "" {
					click(t, c.ctx, c.submit)
				}
				waitText(t, c.ctx, c.wait)
				vs := axe(t, c.ctx, source)
				report[c.name] = len(vs)
				for _, v := range vs {
					t.Errorf("%s (%s): %s at %v", v.ID, v.Impact, v.Help, v.Nodes)
				}
				screenshot(t, c.ctx, c.name)
			})
		}
	}
	checkAll(checks)
	for _, c := range []context.Context{anon, admin} {
		run(t, c, chromedp.EmulateViewport(390, 844))
	}
	checkAll([]check{
		{admin, "phone intake (phone)", "/intake", "", "Take a need over the phone"},
		{admin, "phone intake read-back (phone)", readBack, "", "Read this back to them"},
		{anon, "impact figures (phone)", "/impact", "", "Month by month"},
	})
	t.Logf("axe-core violations per page: %v", report)
}

var feedAddress = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+(/feeds/[A-Za-z0-9_-]{32}\.atom)`)

// With JavaScript off: a coordinator takes a need over the phone and gets
// the read-back, makes, renews and stops a private feed, and narrows the
// impact figures to a category with the form; a visitor finds the CSV.
func TestBeyondScreenWithoutJavaScript(t *testing.T) {
	needNode(t)
	h := startHearth(t, "approval")
	browser := newBrowser(t, false)
	cora, visitor := tab(t, browser), tab(t, browser)
	login(t, cora, h, "cora", "correct horse battery")

	run(t, cora, chromedp.Navigate(h.url+"/coordinate"))
	click(t, cora, `a[href="/intake"]`)
	waitText(t, cora, "Their phone number")
	fill(t, cora, map[string]string{"f-on_behalf_name": "Edith Crane", "f-title": "Shopping on Thursday", "f-area": "Church Row"})
	run(t, cora, chromedp.SetValue(chromedp.ID("f-category"), "shopping"))
	click(t, cora, "main form button[type=submit]")
	waitText(t, cora, "Enter their phone number, so that we can ring them back.")
	fill(t, cora, map[string]string{"f-on_behalf_phone": "01234 999888"})
	click(t, cora, "main form button[type=submit]")
	waitText(t, cora, "Read this back to them")
	waitText(t, cora, "we will ring you on 01234 999888")
	screenshot(t, cora, "nojs phone intake read-back")

	run(t, cora, chromedp.Navigate(h.url+"/notifications"))
	click(t, cora, `a[href="/settings/feed"]`)
	click(t, cora, "main form button[type=submit]")
	waitText(t, cora, "Stop my feed")
	page := get(t, cora, chromedp.OuterHTML(chromedp.CSS("main")))
	first := feedAddress.FindStringSubmatch(page)
	if first == nil {
		t.Fatalf("no feed address on the page: %s", tail(page, 400))
	}
	if code, body := h.browser(t).get(first[1]); code != 200 || !strings.Contains(body, "http://www.w3.org/2005/Atom") {
		t.Fatalf("the feed: %d %s", code, tail(body, 200))
	}
	submit(t, cora, "main form button[type=submit]") // a new address (the flash is the same)
	waitText(t, cora, "Any address you had before no longer works.")
	if code, _ := h.browser(t).get(first[1]); code != 404 {
		t.Errorf("the old address after a new one: %d", code)
	}
	click(t, cora, `main form button[name="stop"]`)
	waitText(t, cora, "Make my feed")

	run(t, cora, chromedp.Navigate(h.url+"/impact"))
	run(t, cora, chromedp.SetValue(chromedp.ID("f-category"), "shopping"))
	click(t, cora, "form.impact-filter button[type=submit]")
	waitText(t, cora, "Figures for shopping only.")
	screenshot(t, cora, "nojs impact for a category")
	run(t, visitor, chromedp.Navigate(h.url+"/"))
	click(t, visitor, `footer a[href="/impact"]`)
	waitText(t, visitor, "Download these figures")
	if code, body := h.browser(t).get("/impact.csv"); code != 200 || !strings.HasPrefix(body, "Month,Needs asked") {
		t.Errorf("the CSV: %d %s", code, tail(body, 200))
	}
}
