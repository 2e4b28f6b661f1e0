package instance_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

func resetLink(t *testing.T, f *mailFixture) string {
	t.Helper()
	runOnce(t, f.worker(nil))
	m := f.smtp.Next(t)
	i := strings.Index(m.Text, "/reset-password?t=")
	if i < 0 {
		t.Fatalf("no reset link in %q", m.Text)
	}
	tok := m.Text[i+len("/reset-password?t="):]
	return tok[:strings.IndexAny(tok, "\n")]
}

func resetCount(t *testing.T, f *mailFixture) int {
	t.Helper()
	var n int
	if err := f.store.DB().QueryRow(`SELECT count(*) FROM password_resets`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A link by email: single use, an hour, ends every session, and the
// same answer (and the same stored work) for an address nobody has.
func TestPasswordResetByEmail(t *testing.T) {
	f := newMailFixture(t)
	ann := f.withEmail(t, "ann", "")
	tok, _, err := f.svc.Login(ctx, "ann", goodPassword, "1.1.1.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RequestPasswordReset(ctx, "nobody@example.org", "1.1.1.1"); err != nil {
		t.Fatalf("unknown address: %v", err)
	}
	if got := f.states(t); len(got) != 0 || resetCount(t, f) != 1 {
		t.Fatalf("unknown address: queue %v, %d resets stored (want 0 mails, 1 unusable row)", got, resetCount(t, f))
	}
	if err := f.svc.RequestPasswordReset(ctx, " ANN@example.org ", "1.1.1.1"); err != nil {
		t.Fatal(err)
	}
	link := resetLink(t, f)
	if err := f.svc.CheckResetLink(ctx, link); err != nil {
		t.Fatal(err)
	}
	err = f.svc.ResetPassword(ctx, link, "short", "short")
	if fe := instance.Fields(err)["password"]; fe == nil || fe.Code != "err.password_short" {
		t.Errorf("short password: %v", err)
	}
	err = f.svc.ResetPassword(ctx, link, "a brand new passphrase", "a different one")
	if fe := instance.Fields(err)["password_confirm"]; fe == nil {
		t.Errorf("mismatch: %v", err)
	}
	if err := f.svc.ResetPassword(ctx, link, "a brand new passphrase", "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, tok); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("a session survived the reset: %v", err)
	}
	if _, _, err := f.svc.Login(ctx, "ann", goodPassword, "1.1.1.2"); !errors.Is(err, instance.ErrBadCredentials) {
		t.Errorf("old password: %v", err)
	}
	if _, _, err := f.svc.Login(ctx, "ann", "a brand new passphrase", "1.1.1.2"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := f.svc.ResetPassword(ctx, link, "another new passphrase", "another new passphrase"); !isProblem(err, "reset.bad_link") {
		t.Errorf("a link worked twice: %v", err)
	}
	// Expiry, on the injected clock.
	if err := f.svc.RequestPasswordReset(ctx, "ann", "1.1.1.1"); err != nil {
		t.Fatal(err)
	}
	late := resetLink(t, f)
	f.clock.advance(time.Hour)
	if err := f.svc.CheckResetLink(ctx, late); !isProblem(err, "reset.bad_link") {
		t.Errorf("a link an hour old: %v", err)
	}
	if err := f.svc.ResetPassword(ctx, late, "another new passphrase", "another new passphrase"); !isProblem(err, "reset.bad_link") {
		t.Errorf("an expired link worked: %v", err)
	}
	_ = ann
}

// Requests are limited per address and per network, for addresses that
// exist and addresses that do not alike.
func TestPasswordResetThrottled(t *testing.T) {
	f := newMailFixture(t)
	f.withEmail(t, "ann", "")
	for _, addr := range []string{"ann@example.org", "nobody@example.org"} {
		for i := 0; i < 3; i++ {
			if err := f.svc.RequestPasswordReset(ctx, addr, "10.0.0."+addr[:3]); err != nil {
				t.Fatalf("%s request %d: %v", addr, i+1, err)
			}
		}
		err := f.svc.RequestPasswordReset(ctx, addr, "10.0.0."+addr[:3])
		if !errors.Is(err, instance.ErrThrottled) || !isProblem(err, "reset.throttled") {
			t.Errorf("%s: fourth request in an hour: %v", addr, err)
		}
	}
	for i := 0; i < 10; i++ {
		_ = f.svc.RequestPasswordReset(ctx, "someone"+string(rune('a'+i))+"@example.org", "192.0.2.9")
	}
	if err := f.svc.RequestPasswordReset(ctx, "fresh@example.org", "192.0.2.9"); !errors.Is(err, instance.ErrThrottled) {
		t.Errorf("eleventh request from one network: %v", err)
	}
	f.clock.advance(time.Hour + time.Second)
	if err := f.svc.RequestPasswordReset(ctx, "ann@example.org", "10.0.0.ann"); err != nil {
		t.Errorf("after an hour: %v", err)
	}
}

// A coordinator's code for a member without email: 24 hours, single use,
// bound to the member's username, logged, and it ends their sessions.
func TestPasswordResetCode(t *testing.T) {
	f := newMailFixture(t)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ada := f.member(t, "ada", instance.RoleAdmin)
	bob := f.member(t, "bob")
	dan := f.member(t, "dan")
	tok, _, err := f.svc.Login(ctx, "bob", goodPassword, "1.1.1.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MakeResetCode(ctx, dan, bob.Handle); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a member made a code: %v", err)
	}
	if _, err := f.svc.MakeResetCode(ctx, cora, cora.Handle); !isProblem(err, "reset.code_self") {
		t.Errorf("own code: %v", err)
	}
	if _, err := f.svc.MakeResetCode(ctx, cora, ada.Handle); !isProblem(err, "reset.code_admin_only") {
		t.Errorf("a coordinator made a code for an admin: %v", err)
	}
	if _, err := f.svc.MakeResetCode(ctx, ada, cora.Handle); err != nil {
		t.Errorf("an admin for a coordinator: %v", err)
	}
	rc, err := f.svc.MakeResetCode(ctx, cora, bob.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Code) != 14 || !rc.ExpiresAt.Equal(f.clock.now().Add(24*time.Hour)) {
		t.Errorf("code %q until %v", rc.Code, rc.ExpiresAt)
	}
	log, err := f.svc.ModerationLog(ctx, cora)
	if err != nil || log[0].Action != "make password reset code" || log[0].Subject != "@bob" || log[0].ActorID != cora.ID ||
		strings.Contains(log[0].Reason, rc.Code) {
		t.Errorf("log: %+v %v", log[0], err)
	}
	good := func(handle, code string) instance.CodeReset {
		return instance.CodeReset{Handle: handle, Code: code, Password: "a new phone passphrase", Confirm: "a new phone passphrase"}
	}
	if err := f.svc.ResetWithCode(ctx, good("dan", rc.Code), "1.1.1.1"); instance.Fields(err)["code"] == nil {
		t.Errorf("bob's code worked for dan: %v", err)
	}
	if err := f.svc.ResetWithCode(ctx, good("bob", "AAAA-BBBB-CCCC"), "1.1.1.1"); instance.Fields(err)["code"].Code != "err.reset_code_wrong" {
		t.Errorf("a wrong code: %v", err)
	}
	typed := strings.ToLower(strings.ReplaceAll(rc.Code, "-", " "))
	if err := f.svc.ResetWithCode(ctx, good("@Bob", typed), "1.1.1.1"); err != nil {
		t.Fatalf("the right code, typed loosely: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, tok); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("a session survived: %v", err)
	}
	if _, _, err := f.svc.Login(ctx, "bob", "a new phone passphrase", "1.1.1.3"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := f.svc.ResetWithCode(ctx, good("bob", rc.Code), "1.1.1.1"); instance.Fields(err)["code"] == nil {
		t.Errorf("a code worked twice: %v", err)
	}
	late, err := f.svc.MakeResetCode(ctx, cora, bob.Handle)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.advance(24 * time.Hour)
	if err := f.svc.ResetWithCode(ctx, good("bob", late.Code), "1.1.1.4"); instance.Fields(err)["code"] == nil {
		t.Errorf("a day-old code worked: %v", err)
	}
}

// Guessing codes is stopped after a few tries per username.
func TestPasswordResetCodeThrottled(t *testing.T) {
	f := newMailFixture(t)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	bob := f.member(t, "bob")
	rc, err := f.svc.MakeResetCode(ctx, cora, bob.Handle)
	if err != nil {
		t.Fatal(err)
	}
	in := instance.CodeReset{Handle: "bob", Code: "WRONG-CODE", Password: "a new phone passphrase", Confirm: "a new phone passphrase"}
	for i := 0; i < 5; i++ {
		_ = f.svc.ResetWithCode(ctx, in, "198.51.100.1")
	}
	in.Code = rc.Code
	if err := f.svc.ResetWithCode(ctx, in, "198.51.100.2"); !isProblem(err, "reset.throttled") {
		t.Errorf("sixth try for one username: %v", err)
	}
}
