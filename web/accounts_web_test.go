package web

import (
	"bytes"
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hearth/instance"
)

// says is a catalogue message as a page shows it (escaped), so a test
// asserts the message key rather than a copy of its wording.
func (h *harness) says(key string, args ...any) string {
	return html.EscapeString(h.web.cat.text("en", key, args...))
}

// Signing in to a deleted account gets the ordinary "not right" answer,
// never "something went wrong" (its stored hash is "!", which the password
// check used to fail on), and a damaged hash is a wrong password too, with
// a warning for the operator.
func TestSignInToDeletedOrDamagedAccount(t *testing.T) {
	var logs bytes.Buffer
	h := newHarness(t, instance.RegistrationOpen, func(o *instance.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	h.member("ann")
	ann := h.as("ann")
	if r := ann.post("/settings/delete", url.Values{"password": {pw}}); r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.status)
	}
	r := h.client().post("/login", url.Values{"login": {"ann"}, "password": {pw}})
	if r.status != http.StatusUnauthorized {
		t.Errorf("sign-in to a deleted account: %d, want 401", r.status)
	}
	mustContain(t, r.body, h.says("login.bad"))
	mustNotContain(t, r.body, h.says("error.internal"))

	bob := h.member("bob")
	if _, err := h.store.DB().Exec(`UPDATE members SET password_hash = '$bcrypt$not-ours' WHERE id = ?`, bob.ID); err != nil {
		t.Fatal(err)
	}
	r = h.client().post("/login", url.Values{"login": {"bob"}, "password": {pw}})
	if r.status != http.StatusUnauthorized {
		t.Errorf("sign-in with a damaged hash: %d, want 401", r.status)
	}
	mustContain(t, r.body, h.says("login.bad"))
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "stored password hash cannot be read") {
		t.Errorf("no warning about the damaged hash in the log:\n%s", logs.String())
	}
	if m, _ := h.svc.MemberByID(context.Background(), bob.ID); m == nil || m.Status != instance.StatusActive {
		t.Error("bob's account changed")
	}
}
