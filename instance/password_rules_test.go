package instance_test

import (
	"context"
	"fmt"
	"testing"

	"hearth/instance"
)

// New passwords: at least 12 characters and none of the most common ones,
// in any case, wherever a password is set. Twelve unremarkable characters
// are enough.
func TestPasswordRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, instance.RegistrationOpen)
	ann := f.member(t, "ann")
	cases := []struct{ pw, code string }{
		{"elevenchars", "err.password_short"}, {"1Q2W3E4R5T6Y", "err.password_common"},
		{"Password1234", "err.password_common"}, {"twelve chars", ""},
	}
	for i, c := range cases {
		_, err := f.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: fmt.Sprintf("cal%d", i), DisplayName: "Cal", Password: c.pw})
		if got := codeOf(err, "password"); got != c.code {
			t.Errorf("create member with %q: %q, want %q", c.pw, got, c.code)
		}
		if c.code == "" {
			continue
		}
		_, err = f.svc.ChangePassword(ctx, ann, instance.PasswordChange{Current: goodPassword, New: c.pw, Confirm: c.pw})
		if got := codeOf(err, "new"); got != c.code {
			t.Errorf("change password to %q: %q, want %q", c.pw, got, c.code)
		}
	}
	// Refusals changed nothing: ann's password is still hers.
	if _, _, err := f.svc.Login(ctx, "ann", goodPassword, "1.1.1.1"); err != nil {
		t.Errorf("ann: %v", err)
	}
}

// A member whose password met the older, shorter rule still signs in.
func TestShortOldPasswordStillSignsIn(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, instance.RegistrationOpen)
	hash, err := instance.HashPassword("tenletters")
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.now()
	m := &instance.Member{Handle: "olga", DisplayName: "Olga", Status: instance.StatusActive, Roles: []instance.Role{instance.RoleMember},
		Language: "en", ContactPreference: instance.ContactSite, PasswordHash: hash, CreatedAt: now, ConductAcceptedAt: now}
	if _, err := f.store.CreateMember(ctx, m, "", now, instance.Notices{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Login(ctx, "olga", "tenletters", "1.1.1.1"); err != nil {
		t.Errorf("old ten-letter password refused at sign-in: %v", err)
	}
}

func codeOf(err error, field string) string {
	if fe := instance.Fields(err)[field]; fe != nil {
		return fe.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
