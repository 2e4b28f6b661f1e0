package interop

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// twoVillages runs two Hearths whose village groups follow each other
// (through the real binaries, WebFinger and Follow/Accept), and returns
// them once each group page offers to trust the other (it lists only
// groups that follow back).
func twoVillages(t *testing.T) (a, b *hearth, coraA, coraB *browser) {
	t.Helper()
	a, b = startHearth(t, "approval"), startHearth(t, "approval")
	coraA, coraB = a.browser(t), b.browser(t)
	coraA.login("cora", "correct horse battery")
	coraB.login("cora", "correct horse battery")
	if code, _, body := coraA.post("/groups/village/follow", url.Values{"address": {"@village@" + b.host}}); code != 303 {
		t.Fatalf("a follows b: %d %s", code, tail(body, 300))
	}
	if code, _, body := coraB.post("/groups/village/follow", url.Values{"address": {"@village@" + a.host}}); code != 303 {
		t.Fatalf("b follows a: %d %s", code, tail(body, 300))
	}
	for _, v := range []struct {
		c     *browser
		other string
	}{{coraA, b.url}, {coraB, a.url}} {
		waitFor(t, 60*time.Second, "the villages to follow each other", func() bool {
			_, page := v.c.get("/groups/village")
			return strings.Contains(page, `name="actor" value="`+v.other+`/groups/village"`)
		})
	}
	return a, b, coraA, coraB
}

// The overflow pages in a real browser: axe finds no WCAG 2.2 A/AA
// problem on the group page with its trusted neighbours, the need form
// asking "Share with … if no one here can help?", the need page's
// neighbouring-villages part, and Needs from nearby; and with JavaScript
// off a coordinator trusts a neighbour, a requester ticks the question and
// then keeps the need in the village.
func TestOverflowPagesInBrowser(t *testing.T) {
	needNode(t)
	source := axeSource(t)
	a, b, _, _ := twoVillages(t)

	nojs := newBrowser(t, false) // the flow: no JavaScript
	coord := tab(t, nojs)
	run(t, coord, chromedp.Navigate(`data:text/html,<title>off</title><script>document.title="on"</script>`))
	if title := get(t, coord, chromedp.Title()); title != "off" {
		t.Fatalf("JavaScript is running in the no-JavaScript browser (title %q)", title)
	}
	login(t, coord, a, "cora", "correct horse battery")
	withJS := newBrowser(t, true) // axe-core runs as a script
	look, lookB := tab(t, withJS), tab(t, withJS)
	login(t, look, a, "cora", "correct horse battery")
	login(t, lookB, b, "cora", "correct horse battery")
	check := func(ctx context.Context, name, pageURL, want string) {
		t.Helper()
		run(t, ctx, chromedp.Navigate(pageURL), chromedp.WaitReady(chromedp.CSS("main")))
		waitText(t, ctx, want)
		checkAxe(t, ctx, source, name)
	}

	run(t, coord, chromedp.Navigate(a.url+"/groups/village"))
	waitText(t, coord, "Neighbouring villages we trust")
	run(t, coord, chromedp.SetValue(chromedp.ID("trust-0"), "needs"))
	click(t, coord, "form.trust button[type=submit]")
	waitText(t, coord, "Saved.")
	check(look, "group with trusted neighbours", a.url+"/groups/village", `<option value="needs" selected="">`)

	run(t, coord, chromedp.Navigate(a.url+"/needs/new"))
	waitText(t, coord, "if no one here can help?")
	check(look, "ask for help, share with neighbours", a.url+"/needs/new", "if no one here can help?")
	fill(t, coord, map[string]string{"f-title": "A lift to the surgery", "f-area": "Mill Lane", "f-address": "4 Mill Lane"})
	run(t, coord, chromedp.SetValue(chromedp.ID("f-category"), "lifts"))
	click(t, coord, "#share_nearby")
	click(t, coord, "main form button[type=submit]")
	waitText(t, coord, "Your request has been posted.")
	waitText(t, coord, "If nobody here offers to help, this will be shared with")
	needURL := get(t, coord, chromedp.Location())
	check(look, "need (requester, to be shared)", needURL, "If nobody here offers to help, this will be shared with")
	click(t, coord, "form[action$='/nearby'] button[type=submit]")
	waitText(t, coord, "Your answer was saved.")
	waitText(t, coord, "This stays in the village.")
	check(look, "need (requester, kept in the village)", needURL, "This stays in the village.")

	check(lookB, "other villages (coordinator)", b.url+"/neighbours", `href="/neighbours/nearby"`)
	check(lookB, "needs from nearby", b.url+"/neighbours/nearby", "No needs from nearby just now.")
}

// checkAxe runs axe-core on the page the tab shows and fails on any
// violation, and keeps a screenshot.
func checkAxe(t *testing.T, ctx context.Context, source, name string) {
	t.Helper()
	for _, v := range axe(t, ctx, source) {
		t.Errorf("%s: %s (%s): %s at %v", name, v.ID, v.Impact, v.Help, v.Nodes)
	}
	screenshot(t, ctx, name)
}
