package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/mail/mailtest"
	"hearth/instance/store"
)

// hearth admin reset-password: a password from standard input is set, or
// without one a code is printed; either ends the member's sessions and is
// in the moderation log.
func TestAdminResetPassword(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if code, _, errs := hearth(t, dir, "first passphrase\n", "admin", "create-member", "--handle", "bob", "--name", "Bob"); code != 0 {
		t.Fatalf("create-member: %s", errs)
	}
	session := func() string {
		st, err := store.Open(ctx, filepath.Join(dir, "hearth.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		m, _ := st.MemberByHandle(ctx, "bob")
		hash := fmt.Sprintf("%x", time.Now().UnixNano())
		if err := st.CreateSession(ctx, hash, m.ID, time.Now(), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		return hash
	}
	alive := func(hash string) bool {
		st, err := store.Open(ctx, filepath.Join(dir, "hearth.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, err = st.SessionMember(ctx, hash, time.Now())
		return !errors.Is(err, instance.ErrNotFound)
	}

	s1 := session()
	code, out, errs := hearth(t, dir, "second passphrase\n", "admin", "reset-password", "--handle", "bob")
	if code != 0 || !strings.Contains(out, "password of @bob set") {
		t.Fatalf("set: %d %q %s", code, out, errs)
	}
	if alive(s1) {
		t.Error("a session survived the new password")
	}
	if code, _, errs := hearth(t, dir, "short\n", "admin", "reset-password", "--handle", "bob"); code != 1 || !strings.Contains(errs, "--password: must be at least") {
		t.Errorf("short password: %d %q", code, errs)
	}
	if code, _, errs := hearth(t, dir, "", "admin", "reset-password", "--handle", "nobody"); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("unknown member: %d %q", code, errs)
	}
	if code, _, _ := hearth(t, dir, "", "admin", "reset-password"); code != 2 {
		t.Errorf("without --handle: %d", code)
	}

	code, out, errs = hearth(t, dir, "", "admin", "reset-password", "--handle", "bob")
	m := regexp.MustCompile(`reset code for @bob: ([A-Z0-9-]{14})`).FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "/reset-code") {
		t.Fatalf("code: %d %q %s", code, out, errs)
	}
	st, err := store.Open(ctx, filepath.Join(dir, "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := instance.New(instance.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	s2 := session()
	if err := svc.ResetWithCode(ctx, instance.CodeReset{Handle: "bob", Code: m[1], Password: "third passphrase", Confirm: "third passphrase"}, "cli"); err != nil {
		t.Fatalf("the printed code: %v", err)
	}
	if alive(s2) {
		t.Error("a session survived the code")
	}
	log, err := st.ModerationLog(ctx, 10)
	if err != nil || len(log) != 2 || log[0].Action != "make password reset code" || log[1].Action != "set password" || log[0].ActorID != 0 {
		t.Errorf("log: %+v %v", log, err)
	}
}

// test-email goes straight to the relay and reports its answer.
func TestTestEmailThroughRelay(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hearth.toml")
	toml := fmt.Sprintf("[smtp]\nhost = %q\nport = %d\ntls = \"none\"\nfrom = \"hearth@village.example\"\n", srv.Host, srv.Port)
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := hearth(t, dir, "", "admin", "test-email", "-config", cfg, "--to", "me@example.org")
	if code != 0 || !strings.Contains(out, "test message sent") {
		t.Fatalf("%d %q %s", code, out, errs)
	}
	if got := srv.Next(t); got.To[0] != "me@example.org" || got.Subject() != "Hearth test message" {
		t.Errorf("received %v %q", got.To, got.Subject())
	}
	// The admin's checklist now counts email as tested.
	st, err := store.Open(context.Background(), filepath.Join(dir, "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.DeskCounts(context.Background(), time.Now())
	st.Close()
	if err != nil || !c.MailSent {
		t.Errorf("test-email did not record that email works: %+v %v", c, err)
	}
	srv.Answer(550)
	if code, _, errs := hearth(t, dir, "", "admin", "test-email", "-config", cfg, "--to", "me@example.org"); code != 1 || !strings.Contains(errs, "550") {
		t.Errorf("refused: %d %q", code, errs)
	}
}
