package instance_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hearth/instance"
)

// A nil member is a visitor: every method that the operator may use
// refuses it, and nothing changes. Before, "nil means the operator" let an
// unguarded web handler act with the operator's powers.
func TestNilMemberIsRefusedNotTheOperator(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, instance.RegistrationApproval)
	coord := f.member(t, "cora", instance.RoleCoordinator)
	target := f.member(t, "tess")
	applicant, err := f.svc.SignUp(ctx, signUp("appl"))
	if err != nil {
		t.Fatal(err)
	}
	suspended := f.member(t, "sid")
	if err := f.svc.Suspend(ctx, coord, suspended.ID, "a reason"); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(by *instance.Member) error{
		"Members": func(by *instance.Member) error {
			_, err := f.svc.Members(ctx, by, instance.StatusActive)
			return err
		},
		"CreateGroup": func(by *instance.Member) error {
			_, err := f.svc.CreateGroup(ctx, by, instance.GroupInput{Handle: "lunch", Name: "Lunch"})
			return err
		},
		"UpdateGroup": func(by *instance.Member) error {
			return f.svc.UpdateGroup(ctx, by, "village", instance.GroupInput{Name: "Taken over"})
		},
		"Approve":   func(by *instance.Member) error { return f.svc.Approve(ctx, by, applicant.ID) },
		"Reject":    func(by *instance.Member) error { return f.svc.Reject(ctx, by, applicant.ID) },
		"Suspend":   func(by *instance.Member) error { return f.svc.Suspend(ctx, by, target.ID, "a reason") },
		"Reinstate": func(by *instance.Member) error { return f.svc.Reinstate(ctx, by, suspended.ID) },
		"SetRoles": func(by *instance.Member) error {
			return f.svc.SetRoles(ctx, by, target.ID, []instance.Role{instance.RoleAdmin})
		},
		"SetHelperFriend": func(by *instance.Member) error {
			return f.svc.SetHelperFriend(ctx, by, target.ID, true)
		},
		"MakeResetCode": func(by *instance.Member) error {
			_, err := f.svc.MakeResetCode(ctx, by, target.Handle)
			return err
		},
		"SetPasswordByOperator": func(by *instance.Member) error {
			_, err := f.svc.SetPasswordByOperator(ctx, by, target.Handle, "a new long passphrase")
			return err
		},
		"CreateInvite": func(by *instance.Member) error {
			_, err := f.svc.CreateInvite(ctx, by, "")
			return err
		},
		"Invites": func(by *instance.Member) error {
			_, err := f.svc.Invites(ctx, by)
			return err
		},
		"Moderate": func(by *instance.Member) error {
			return f.svc.Moderate(ctx, by, instance.ModerationAction{Action: "suspend", ID: target.ID, Reason: "spam"})
		},
		"Verifications": func(by *instance.Member) error {
			_, err := f.svc.Verifications(ctx, by, target.ID)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(nil); !errors.Is(err, instance.ErrForbidden) {
				t.Errorf("nil member: err = %v, want ErrForbidden", err)
			}
		})
	}
	// Nothing changed.
	tess, _ := f.svc.MemberByID(ctx, target.ID)
	if tess.Status != instance.StatusActive || tess.HelperFriend || tess.IsAdmin() {
		t.Errorf("target changed: status %s, helper-friend %v, roles %v", tess.Status, tess.HelperFriend, tess.Roles)
	}
	if sid, _ := f.svc.MemberByID(ctx, suspended.ID); sid.Status != instance.StatusSuspended {
		t.Errorf("suspended member is %s", sid.Status)
	}
	if appl, _ := f.svc.MemberByID(ctx, applicant.ID); appl.Status != instance.StatusPending {
		t.Errorf("applicant is %s", appl.Status)
	}
	if _, err := f.svc.Group(ctx, "lunch"); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("group created: %v", err)
	}
	if g, _ := f.svc.Group(ctx, "village"); g.Name != "Our village" {
		t.Errorf("main group renamed to %q", g.Name)
	}
	if inv, _ := f.svc.Invites(ctx, coord); len(inv) != 0 {
		t.Errorf("%d invites made", len(inv))
	}
}

// The operator identity does what the admin command line needs, and
// nothing a member does.
func TestOperatorIdentity(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, instance.RegistrationApproval)
	admin := f.member(t, "ada", instance.RoleAdmin)
	target := f.member(t, "tess")
	op := instance.Operator()
	if !op.IsOperator() || !op.IsAdmin() || !op.IsCoordinator() {
		t.Fatal("the operator lacks the admin's powers")
	}
	if op.Has(instance.RoleMember) || op.Has(instance.RoleSafeguardingLead) {
		t.Error("the operator counts as a member or a safeguarding lead")
	}
	// A member value made outside the package, however it is dressed up,
	// is not the operator.
	fake := &instance.Member{Handle: "operator", DisplayName: "Operator", Status: instance.StatusActive}
	if fake.IsOperator() || fake.IsCoordinator() {
		t.Error("a look-alike member counts as the operator")
	}
	var none *instance.Member
	if none.IsOperator() || none.IsCoordinator() {
		t.Error("nil counts as the operator")
	}

	if _, err := f.svc.Members(ctx, op, instance.StatusActive); err != nil {
		t.Errorf("Members: %v", err)
	}
	if _, err := f.svc.CreateGroup(ctx, op, instance.GroupInput{Handle: "lunch", Name: "Lunch"}); err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if g, _ := f.svc.Group(ctx, "lunch"); g == nil || g.MemberCount != 0 {
		t.Errorf("the group the operator made: %+v", g)
	}
	if err := f.svc.SetRoles(ctx, op, admin.ID, nil); err != nil {
		t.Errorf("the operator could not take admin away: %v", err)
	}
	if err := f.svc.Suspend(ctx, op, target.ID, "a reason"); err != nil {
		t.Errorf("Suspend: %v", err)
	}
	if err := f.svc.Reinstate(ctx, op, target.ID); err != nil {
		t.Errorf("Reinstate: %v", err)
	}
	if err := f.svc.SetHelperFriend(ctx, op, target.ID, true); err != nil {
		t.Errorf("SetHelperFriend: %v", err)
	}
	if m, _ := f.svc.MemberByID(ctx, target.ID); m.Status != instance.StatusActive || !m.HelperFriend {
		t.Errorf("target: status %s, helper-friend %v", m.Status, m.HelperFriend)
	}
}

// Only the command line makes the operator identity: no web handler or
// federation code may hold it.
func TestOnlyTheCommandLineIsTheOperator(t *testing.T) {
	var users []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), "instance.Operator()") {
			users = append(users, filepath.ToSlash(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) == 0 {
		t.Fatal("nobody makes the operator identity; is the pattern still right?")
	}
	for _, u := range users {
		if !strings.HasPrefix(u, "../cmd/hearth/") {
			t.Errorf("%s makes the operator identity; only cmd/hearth may", u)
		}
	}
}
