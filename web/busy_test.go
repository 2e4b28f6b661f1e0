package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"hearth/instance"
)

// When too many passwords are being checked at once, the sign-in page,
// the join form and the password form answer 503 with Retry-After and say
// so in plain words, beside the password; what was typed (but the
// password) comes back, and nothing is stored.
func TestTooManySignInsAtOncePage(t *testing.T) {
	ctx := context.Background()
	slots := instance.NewPasswordSlots(1, time.Millisecond)
	h := newHarness(t, instance.RegistrationOpen, func(o *instance.Options) { o.PasswordSlots = slots })
	h.member("ann")
	ann := h.as("ann")
	release, err := slots.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	busy := h.web.cat.text("en", "login.busy")
	check := func(what string, r *response) {
		t.Helper()
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "60" {
			t.Errorf("%s: %d, Retry-After %q; want 503 and 60", what, r.status, r.header.Get("Retry-After"))
		}
		mustContain(t, r.body, busy)
		checkPage(t, what, r, cssSize(t))
	}

	r := h.client().post("/login", url.Values{"login": {"ann"}, "password": {pw}})
	check("sign in", r)
	mustContain(t, r.body, `value="ann"`)
	mustNotContain(t, r.body, pw)

	r = h.client().post("/join", url.Values{"handle": {"bea"}, "display_name": {"Bea"}, "email": {"bea@example.org"},
		"password": {pw}, "password_confirm": {pw}, "conduct": {"yes"}})
	check("join", r)
	mustContain(t, r.body, `id="f-password-error"`, `value="bea@example.org"`)
	mustNotContain(t, r.body, pw)
	if _, err := h.svc.Member(ctx, "bea"); err == nil {
		t.Error("bea was stored while the form said to try again")
	}

	r = ann.post("/settings/password", url.Values{"current": {pw}, "new": {"a new long password"}, "confirm": {"a new long password"}})
	check("change password", r)
	mustContain(t, r.body, `id="f-current-error"`)
	release()
	// The old password still works; the busy answers did not throttle ann.
	h.client().login("ann")
}
