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

// queueOnly is a Mailer for tests that read the mail queue: it is never
// called (no worker runs).
type queueOnly struct{}

func (queueOnly) Send(context.Context, *instance.Email) error { return nil }

var guestLinkRE = regexp.MustCompile(`http://127\.0\.0\.1:8080(/guest-places/(?:confirm|cancel)\?t=[A-Za-z0-9_.-]+)`)

// A visitor takes a place on a public action without an account: the
// form on its page, a link by email, a confirm page with a button (a
// link scanner following the link changes nothing), the organiser's list
// with the guest's name and email, and a cancel link.
func TestGuestPlaceWithoutAnAccount(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen, func(o *instance.Options) {
		o.Mailer, o.BaseURL = queueOnly{}, "http://127.0.0.1:8080"
	})
	h.member("orla")
	orla := h.as("orla")
	action := postItem(t, orla, "actions", when(url.Values{"title": {"Litter-pick"}, "place": {"The green"},
		"visibility": {"public"}, "capacity": {"10"}}, "2026-12-05", "10:00", "12:00"))
	visitor := h.client()
	page := visitor.get(action)
	checkPage(t, action, page, cssSize(t))
	mustContain(t, page.body, `action="`+action+`/guest"`, `<label for="f-guest_name">Your name</label>`, `<label for="f-guest_email">Your email address</label>`)
	bad := visitor.post(action+"/guest", url.Values{"guest_name": {"Gwen"}, "guest_email": {"not an address"}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad address: %d", bad.status)
	}
	mustContain(t, bad.body, `<p class="error" id="f-guest_email-error">`, `value="Gwen"`)
	sent := visitor.post(action+"/guest", url.Values{"guest_name": {"Gwen"}, "guest_email": {"gwen@guest.example"}})
	if sent.status != http.StatusOK {
		t.Fatalf("guest place: %d", sent.status)
	}
	mustContain(t, sent.body, "We sent a link to gwen@guest.example.")
	var body string
	h.store.DB().QueryRow(`SELECT body_text FROM mail_queue WHERE to_address = 'gwen@guest.example'`).Scan(&body)
	links := guestLinkRE.FindAllStringSubmatch(body, -1)
	if len(links) != 2 {
		t.Fatalf("links in the email: %v", links)
	}
	confirm, cancel := links[0][1], links[1][1]
	if !strings.Contains(confirm, "/confirm?") {
		confirm, cancel = cancel, confirm
	}
	show := visitor.get(confirm)
	checkPage(t, "confirm", show, cssSize(t))
	mustContain(t, show.body, "Yes, I am coming")
	mustContain(t, orla.get(action).body, "Nobody has joined yet.")
	tok, _ := url.Parse(confirm)
	done := visitor.post("/guest-places/confirm", url.Values{"t": {tok.Query().Get("t")}})
	if done.status != http.StatusOK {
		t.Fatalf("confirm: %d", done.status)
	}
	mustContain(t, done.body, "Your place is confirmed.", "I cannot come after all")
	mustContain(t, orla.get(action).body, `Gwen (guest)`, `<a href="mailto:gwen@guest.example">gwen@guest.example</a>`)
	mustContain(t, orla.get("/notifications").body, "Gwen signed up for your action “Litter-pick”")
	mustNotContain(t, visitor.get(action).body, "gwen@guest.example")
	ctok, _ := url.Parse(cancel)
	if r := visitor.post("/guest-places/cancel", url.Values{"t": {ctok.Query().Get("t")}}); r.status != http.StatusOK ||
		!strings.Contains(r.body, "Your place is cancelled.") {
		t.Fatalf("cancel: %d", r.status)
	}
	mustNotContain(t, orla.get(action).body, "Gwen (guest)")
	if r := visitor.get("/guest-places/confirm?t=forged.link"); r.status != http.StatusNotFound {
		t.Errorf("a forged link: %d", r.status)
	}
}

// Without email, the action page says how to join instead of a form.
func TestGuestPlacesOffWithoutEmail(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("orla")
	action := postItem(t, h.as("orla"), "actions", when(url.Values{"title": {"Litter-pick"}, "place": {"The green"},
		"visibility": {"public"}}, "2026-12-05", "10:00", "12:00"))
	body := h.client().get(action).body
	mustContain(t, body, "To come without an account, ask the organiser")
	mustNotContain(t, body, `action="`+action+`/guest"`)
}
