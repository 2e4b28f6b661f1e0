package interop

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/instance/mail/mailtest"
)

// startHearthWithMail runs the instance with email on, sending to an SMTP
// server in the test (guest places need email).
func startHearthWithMail(t *testing.T, registration string) (*hearth, *mailtest.Server) {
	t.Helper()
	smtp := mailtest.Start(t, mailtest.Options{})
	h := startHearth(t, registration, fmt.Sprintf("[smtp]\nhost = %q\nport = %d\ntls = \"none\"\nfrom = \"hearth@testham.example\"\n",
		smtp.Host, smtp.Port))
	return h, smtp
}

var guestLink = regexp.MustCompile(`http://127\.0\.0\.1:\d+(/guest-places/(?:confirm|cancel)\?t=[A-Za-z0-9_.-]+)`)

// mailTo waits for the instance's mail worker to send a message to
// address, and returns its text.
func mailTo(t *testing.T, smtp *mailtest.Server, address string) string {
	t.Helper()
	var text string
	waitFor(t, 40*time.Second, "an email to "+address, func() bool {
		for _, m := range smtp.Received() {
			for _, to := range m.To {
				if to == address {
					text = m.Text
				}
			}
		}
		return text != ""
	})
	return text
}

// seedContact makes a need with an accepted helper and messages both
// ways, an action with roles, and a device with notifications on.
func seedContact(t *testing.T, h *hearth) (claimed, action string) {
	t.Helper()
	cora := h.browser(t)
	cora.login("cora", "correct horse battery")
	h.member(t, "bob", "Bob Jones")
	bob := h.browser(t)
	bob.login("bob", "correct horse battery")
	if code, _, body := bob.post("/settings/profile", url.Values{"display_name": {"Bob Jones"}, "language": {"en"},
		"contact_preference": {"phone"}, "phone": {"07700 900123"}}); code != 303 {
		t.Fatalf("bob's profile: %d %s", code, tail(body, 300))
	}
	_, claimed, _ = cora.post("/needs/new", url.Values{"title": {"A lift to the dentist"}, "category": {"lifts"}, "area": {"Mill Lane"},
		"visibility": {"public"}, "address": {"4 Mill Lane"}})
	bob.post(claimed+"/help", url.Values{"message": {"I can drive"}})
	_, page := cora.get(claimed)
	accept := regexp.MustCompile(`action="(` + claimed + `/accept/\d+)"`).FindStringSubmatch(page)
	if accept == nil {
		t.Fatal("no accept button")
	}
	cora.post(accept[1], nil)
	for _, m := range []struct {
		b    *browser
		text string
	}{{bob, "I'll be there at 9:45. Blue Ford Galaxy."}, {cora, "Thank you! Ring twice."}} {
		if code, _, body := m.b.post(claimed+"/messages", url.Values{"message_body": {m.text}}); code != 303 {
			t.Fatalf("message: %d %s", code, tail(body, 300))
		}
	}
	day := time.Now().Add(72 * time.Hour)
	_, action, _ = cora.post("/actions/new", url.Values{"title": {"Litter-pick"}, "place": {"The green"},
		"start_date_day": {fmt.Sprint(day.Day())}, "start_date_month": {fmt.Sprint(int(day.Month()))}, "start_date_year": {fmt.Sprint(day.Year())},
		"start_time_hour": {"10"}, "start_time_minute": {"00"}, "end_time_hour": {"12"}, "end_time_minute": {"00"},
		"slot_name_1": {"Drivers"}, "slot_capacity_1": {"2"}, "capacity": {"12"}, "visibility": {"public"}})
	if !strings.HasPrefix(action, "/actions/") {
		t.Fatalf("the action was not posted: %q", action)
	}
	key, _ := ecdh.P256().GenerateKey(rand.Reader)
	auth := make([]byte, 16)
	rand.Read(auth)
	// The device's endpoint names no real push service: pushes to it fail
	// and are retried in the background, which is all this test needs.
	if code, _, body := cora.post("/push/subscribe", url.Values{"endpoint": {"https://push.invalid/send/cora-phone"},
		"p256dh": {base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes())}, "auth": {base64.RawURLEncoding.EncodeToString(auth)}}); code != 204 {
		t.Fatalf("subscribe: %d %s", code, tail(body, 300))
	}
	return claimed, action
}

// The pages of private contact, guest places and phone notifications have
// no axe-core violation of WCAG 2.0/2.1/2.2 A or AA, at desktop and phone
// width, empty and with their errors; screenshots of each are kept.
func TestContactPagesWithAxe(t *testing.T) {
	needNode(t)
	source := axeSource(t)
	h, smtp := startHearthWithMail(t, "open")
	claimed, action := seedContact(t, h)
	// A guest asks for a place: the email's links give the confirm page.
	guest := h.browser(t)
	if code, _, body := guest.post(action+"/guest", url.Values{"guest_name": {"Gwen Guest"}, "guest_email": {"gwen@guest.example"}}); code != 200 {
		t.Fatalf("guest place: %d %s", code, tail(body, 300))
	}
	links := guestLink.FindAllStringSubmatch(mailTo(t, smtp, "gwen@guest.example"), -1)
	if len(links) != 2 {
		t.Fatalf("links in the guest's email: %v", links)
	}
	confirm, cancel := links[0][1], links[1][1]
	if strings.Contains(confirm, "/cancel?") {
		confirm, cancel = cancel, confirm
	}

	browser := newBrowser(t, true)
	anon, admin, helper := tab(t, browser), tab(t, browser), tab(t, browser)
	login(t, admin, h, "cora", "correct horse battery")
	login(t, helper, h, "bob", "correct horse battery")
	type check struct {
		ctx          context.Context
		name, path   string
		submit, wait string
	}
	checks := []check{
		{admin, "contact need with helper (requester)", claimed, "", "How to reach Bob Jones"},
		{helper, "contact need (helper)", claimed, "", "Private messages"},
		{admin, "contact private message with error", claimed, "form[action$='/messages'] button[type=submit]", "Error:"},
		{anon, "contact action with guest form (visitor)", action, "", "Come without an account"},
		{anon, "contact guest form with errors", action, "form[action$='/guest'] button[type=submit]", "Error:"},
		{anon, "contact confirm a guest place", confirm, "", "Yes, I am coming"},
		{anon, "contact guest place confirmed", confirm, "form[action='/guest-places/confirm'] button[type=submit]", "Your place is confirmed"},
		{admin, "contact action with a guest (organiser)", action, "", "Gwen Guest (guest)"},
		{anon, "contact cancel a guest place", cancel, "", "Cancel my place"},
		{admin, "contact notifications with phone button", "/notifications", "", "Turn on notifications on this device"},
		{admin, "contact devices", "/settings/notifications", "", "Remove"},
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
	// With JavaScript, the notifications page's script turns the
	// explanation into the state of this device and shows its button.
	run(t, admin, chromedp.Navigate(h.url+"/notifications"))
	waitText(t, admin, "Notifications are off for this device.")
	shown := get(t, admin, chromedp.Evaluate[string](`[...document.querySelectorAll("#push button")].filter(b => getComputedStyle(b).display !== "none").map(b => b.id).join(" ")`))
	if shown != "push-on" {
		t.Errorf("with JavaScript the buttons shown are %q, want only push-on", shown)
	}
	for _, c := range []context.Context{anon, admin, helper} {
		run(t, c, chromedp.EmulateViewport(390, 844))
	}
	checkAll([]check{
		{admin, "contact phone need with helper", claimed, "", "How to reach Bob Jones"},
		{helper, "contact phone need (helper)", claimed, "", "Private messages"},
		{anon, "contact phone action with guest form", action, "", "Come without an account"},
		{admin, "contact phone notifications", "/notifications", "", "Turn on notifications on this device"},
		{admin, "contact phone devices", "/settings/notifications", "", "Remove"},
	})
	t.Logf("axe-core violations per page: %v", report)
	t.Logf("screenshots: %s", screenshotDir)
}

// A guest takes a place with JavaScript off: the form on the action's
// page, the link in the email, the confirm button; the organiser is told
// and sees them; the cancel link frees the place and tells the organiser.
func TestGuestPlaceWithoutJavaScript(t *testing.T) {
	needNode(t)
	h, smtp := startHearthWithMail(t, "open")
	_, action := seedContact(t, h)
	browser := newBrowser(t, false)
	visitor, cora := tab(t, browser), tab(t, browser)
	run(t, visitor, chromedp.Navigate(h.url+action))
	fill(t, visitor, map[string]string{"f-guest_name": "Gwen Guest", "f-guest_email": "gwen@guest.example"})
	click(t, visitor, "form[action$='/guest'] button[type=submit]")
	waitText(t, visitor, "We sent a link to gwen@guest.example.")
	text := mailTo(t, smtp, "gwen@guest.example")
	links := guestLink.FindAllStringSubmatch(text, -1)
	if len(links) != 2 || !strings.Contains(text, "Litter-pick") {
		t.Fatalf("the guest's email: %s", text)
	}
	confirm, cancel := links[0][1], links[1][1]
	if strings.Contains(confirm, "/cancel?") {
		confirm, cancel = cancel, confirm
	}
	run(t, visitor, chromedp.Navigate(h.url+confirm))
	click(t, visitor, "form[action='/guest-places/confirm'] button[type=submit]")
	waitText(t, visitor, "Your place is confirmed.")
	screenshot(t, visitor, "nojs guest confirmed")
	login(t, cora, h, "cora", "correct horse battery")
	run(t, cora, chromedp.Navigate(h.url+"/notifications"))
	waitText(t, cora, "Gwen Guest signed up for your action “Litter-pick”")
	run(t, cora, chromedp.Navigate(h.url+action))
	waitText(t, cora, "Gwen Guest (guest)")
	waitText(t, cora, "1 of 12 places taken")
	run(t, visitor, chromedp.Navigate(h.url+cancel))
	click(t, visitor, "form[action='/guest-places/cancel'] button[type=submit]")
	waitText(t, visitor, "Your place is cancelled.")
	run(t, cora, chromedp.Navigate(h.url+"/notifications"))
	waitText(t, cora, "Gwen Guest can no longer come to “Litter-pick”")
}
