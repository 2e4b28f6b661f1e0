package instance_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/store"
	"hearth/instance/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	svc   *instance.Service
	store *store.Store
	clock *clock
}

func newFixture(t *testing.T, reg instance.Registration, opts ...func(*instance.Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	o := instance.Options{Store: st, Clock: c.now, Registration: reg, ConductVersion: "2",
		PostsPerHour: 1000, NewPostsPerHour: 1000, RepliesPerHour: 1000, NewRepliesPerHour: 1000}
	for _, opt := range opts {
		opt(&o)
	}
	svc, err := instance.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureMainGroup(ctx, "village", "Our village"); err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, store: st, clock: c}
}

const goodPassword = "correct horse battery"

// member creates an active member. Verified helper is not a role anyone
// sets: for it, a safety check is recorded, as a coordinator would.
func (f *fixture) member(t *testing.T, handle string, roles ...instance.Role) *instance.Member {
	t.Helper()
	verified := slices.Contains(roles, instance.RoleVerifiedHelper)
	roles = slices.DeleteFunc(slices.Clone(roles), func(r instance.Role) bool { return r == instance.RoleVerifiedHelper })
	m, err := f.svc.CreateMemberDirect(context.Background(), instance.NewMemberInput{
		Handle: handle, DisplayName: strings.ToUpper(handle[:1]) + handle[1:], Password: goodPassword, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	if verified {
		if err := f.svc.RecordVerification(context.Background(), instance.Operator(), m.ID, "dbs", instance.DateOf("2026-11-01"), instance.DateOf("2027-11-01")); err != nil {
			t.Fatal(err)
		}
	}
	m, err = f.svc.MemberByID(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func signUp(handle string) instance.SignUpInput {
	return instance.SignUpInput{Handle: handle, DisplayName: "Someone", Email: handle + "@example.org",
		Password: goodPassword, PasswordConfirm: goodPassword, Answer: "I live on Mill Lane", AcceptConduct: true}
}

func TestSignUpModes(t *testing.T) {
	ctx := context.Background()
	t.Run("open: active at once and in the village group", func(t *testing.T) {
		f := newFixture(t, instance.RegistrationOpen)
		m, err := f.svc.SignUp(ctx, signUp("ann"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != instance.StatusActive {
			t.Errorf("status %s", m.Status)
		}
		tok, _, err := f.svc.Login(ctx, "ann", goodPassword, "1.2.3.4")
		if err != nil || tok == "" {
			t.Fatalf("login: %v", err)
		}
		g, _ := f.svc.Group(ctx, "village")
		if ok, _ := f.svc.IsGroupMember(ctx, g, m); !ok {
			t.Error("new member not in the village group")
		}
		stored, _ := f.svc.MemberByID(ctx, m.ID)
		if stored.ConductAcceptedAt.IsZero() || stored.ConductVersion != "2" {
			t.Errorf("code of conduct acceptance not stored: %v version %q", stored.ConductAcceptedAt, stored.ConductVersion)
		}
	})
	t.Run("approval: pending until a coordinator approves", func(t *testing.T) {
		f := newFixture(t, instance.RegistrationApproval)
		coord := f.member(t, "cora", instance.RoleCoordinator)
		plain := f.member(t, "pat")
		in := signUp("ann")
		in.Answer = ""
		if _, err := f.svc.SignUp(ctx, in); instance.Fields(err)["answer"] == nil {
			t.Fatalf("missing answer accepted: %v", err)
		}
		m, err := f.svc.SignUp(ctx, signUp("ann"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != instance.StatusPending {
			t.Fatalf("status %s", m.Status)
		}
		_, got, err := f.svc.Login(ctx, "ann", goodPassword, "1.2.3.4")
		var p *instance.Problem
		if !errors.As(err, &p) || p.Code != "login.pending" || got == nil || got.Status != instance.StatusPending {
			t.Fatalf("pending login: %v", err)
		}
		if err := f.svc.Approve(ctx, plain, m.ID); !errors.Is(err, instance.ErrForbidden) {
			t.Errorf("plain member approved: %v", err)
		}
		if err := f.svc.Approve(ctx, coord, m.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Login(ctx, "ann", goodPassword, "1.2.3.4"); err != nil {
			t.Errorf("approved login: %v", err)
		}
		if err := f.svc.Reject(ctx, coord, m.ID); !errors.Is(err, instance.ErrConflict) {
			t.Errorf("rejecting an active member: %v", err)
		}
	})
	t.Run("approval: rejected applicant is told", func(t *testing.T) {
		f := newFixture(t, instance.RegistrationApproval)
		coord := f.member(t, "cora", instance.RoleCoordinator)
		m, _ := f.svc.SignUp(ctx, signUp("ann"))
		if err := f.svc.Reject(ctx, coord, m.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err := f.svc.Login(ctx, "ann", goodPassword, "1.2.3.4")
		var p *instance.Problem
		if !errors.As(err, &p) || p.Code != "login.rejected" {
			t.Fatalf("rejected login: %v", err)
		}
	})
	t.Run("invite: needs a live, unused code", func(t *testing.T) {
		f := newFixture(t, instance.RegistrationInvite)
		coord := f.member(t, "cora", instance.RoleCoordinator)
		if _, err := f.svc.SignUp(ctx, signUp("ann")); instance.Fields(err)["invite"] == nil {
			t.Fatalf("sign-up without invite: %v", err)
		}
		if _, err := f.svc.CreateInvite(ctx, f.member(t, "pat"), ""); !errors.Is(err, instance.ErrForbidden) {
			t.Errorf("plain member made an invite: %v", err)
		}
		inv, err := f.svc.CreateInvite(ctx, coord, "for Ann")
		if err != nil {
			t.Fatal(err)
		}
		in := signUp("ann")
		in.InviteCode = inv.Code
		if _, err := f.svc.SignUp(ctx, in); err != nil {
			t.Fatal(err)
		}
		in2 := signUp("bob")
		in2.InviteCode = inv.Code
		if _, err := f.svc.SignUp(ctx, in2); instance.Fields(err)["invite"] == nil {
			t.Errorf("invite used twice: %v", err)
		}
		inv2, _ := f.svc.CreateInvite(ctx, coord, "")
		f.clock.advance(15 * 24 * time.Hour)
		in2.InviteCode = inv2.Code
		if _, err := f.svc.SignUp(ctx, in2); instance.Fields(err)["invite"] == nil {
			t.Errorf("expired invite used: %v", err)
		}
		if err := f.svc.CheckInvite(ctx, inv2.Code); err == nil {
			t.Error("CheckInvite accepted an expired code")
		}
		if err := f.svc.CheckInvite(ctx, "nonsense"); !errors.Is(err, instance.ErrNotFound) {
			t.Errorf("CheckInvite(unknown) = %v", err)
		}
	})
}

// Bad input gets a clear code on the right field and stores nothing.
func TestSignUpBadInput(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, instance.RegistrationOpen)
	f.member(t, "taken")
	cases := []struct {
		name  string
		edit  func(*instance.SignUpInput)
		field string
		code  string
	}{
		{"overlong name", func(in *instance.SignUpInput) { in.DisplayName = strings.Repeat("a", 61) }, "display_name", "err.too_long"},
		{"invalid utf-8", func(in *instance.SignUpInput) { in.DisplayName = "Ann \xff\xfe" }, "display_name", "err.invalid_utf8"},
		{"control characters", func(in *instance.SignUpInput) { in.DisplayName = "Ann\x07Smith" }, "display_name", "err.control_chars"},
		{"newline in a name", func(in *instance.SignUpInput) { in.DisplayName = "Ann\nSmith" }, "display_name", "err.control_chars"},
		{"bidi override", func(in *instance.SignUpInput) { in.DisplayName = "Ann \u202egnp.exe" }, "display_name", "err.bidi"},
		{"bidi isolate", func(in *instance.SignUpInput) { in.DisplayName = "\u2067Ann" }, "display_name", "err.bidi"},
		{"empty name", func(in *instance.SignUpInput) { in.DisplayName = "   " }, "display_name", "err.required"},
		{"duplicate handle", func(in *instance.SignUpInput) { in.Handle = "taken" }, "handle", "err.handle_taken"},
		{"duplicate handle in capitals", func(in *instance.SignUpInput) { in.Handle = "TAKEN" }, "handle", "err.handle_taken"},
		{"group's handle", func(in *instance.SignUpInput) { in.Handle = "village" }, "handle", "err.handle_taken"},
		{"handle with spaces", func(in *instance.SignUpInput) { in.Handle = "ann smith" }, "handle", "err.handle_format"},
		{"reserved handle", func(in *instance.SignUpInput) { in.Handle = "instance" }, "handle", "err.handle_reserved"},
		{"overlong handle", func(in *instance.SignUpInput) { in.Handle = strings.Repeat("a", 31) }, "handle", "err.too_long"},
		{"bad email", func(in *instance.SignUpInput) { in.Email = "ann-at-example" }, "email", "err.email_format"},
		{"short password", func(in *instance.SignUpInput) { in.Password, in.PasswordConfirm = "short", "short" }, "password", "err.password_short"},
		{"eleven characters", func(in *instance.SignUpInput) { in.Password, in.PasswordConfirm = "elevenchars", "elevenchars" }, "password", "err.password_short"},
		{"common password", func(in *instance.SignUpInput) { in.Password, in.PasswordConfirm = "qwertyuiop123", "qwertyuiop123" }, "password", "err.password_common"},
		{"common password in capitals", func(in *instance.SignUpInput) {
			in.Password, in.PasswordConfirm = "PasswordPassword", "PasswordPassword"
		}, "password", "err.password_common"},
		{"passwords differ", func(in *instance.SignUpInput) { in.PasswordConfirm = "something else!" }, "password_confirm", "err.password_mismatch"},
		{"conduct not accepted", func(in *instance.SignUpInput) { in.AcceptConduct = false }, "conduct", "err.conduct"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := signUp("newbie")
			c.edit(&in)
			_, err := f.svc.SignUp(ctx, in)
			fe := instance.Fields(err)[c.field]
			if fe == nil || fe.Code != c.code {
				t.Fatalf("err = %v, want %s on %s", err, c.code, c.field)
			}
			if !errors.Is(err, instance.ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false")
			}
		})
	}
	n, _ := f.store.CountMembers(ctx, instance.StatusActive)
	if n != 1 {
		t.Errorf("bad sign-ups stored members: %d active, want 1", n)
	}
}

func TestLoginThrottling(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, instance.RegistrationOpen)
	f.member(t, "ann")
	for i := 0; i < 10; i++ {
		if _, _, err := f.svc.Login(ctx, "ann", "wrong password", "1.1.1.1"); !errors.Is(err, instance.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// The account is throttled now, even with the right password and from
	// another address…
	if _, _, err := f.svc.Login(ctx, "ann", goodPassword, "2.2.2.2"); !errors.Is(err, instance.ErrThrottled) {
		t.Fatalf("after 10 failures: %v", err)
	}
	// …but only for the window: the real owner gets back in.
	f.clock.advance(16 * time.Minute)
	if _, _, err := f.svc.Login(ctx, "ANN", goodPassword, "2.2.2.2"); err != nil {
		t.Fatalf("after the window: %v", err)
	}

	// Per client address: 30 failures across many accounts block the address.
	for i := 0; i < 30; i++ {
		f.svc.Login(ctx, "nobody"+string(rune('a'+i%26))+string(rune('a'+i/26)), "x", "6.6.6.6")
	}
	if _, _, err := f.svc.Login(ctx, "ann", goodPassword, "6.6.6.6"); !errors.Is(err, instance.ErrThrottled) {
		t.Errorf("client not throttled after 30 failures: %v", err)
	}
	if _, _, err := f.svc.Login(ctx, "ann", goodPassword, "7.7.7.7"); err != nil {
		t.Errorf("other client throttled too: %v", err)
	}
}

func TestUnknownAccountAndWrongPasswordLookAlike(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, instance.RegistrationOpen)
	f.member(t, "ann")
	_, _, e1 := f.svc.Login(ctx, "ann", "wrong password", "1.1.1.1")
	_, _, e2 := f.svc.Login(ctx, "nobody", "wrong password", "1.1.1.1")
	if !errors.Is(e1, instance.ErrBadCredentials) || !errors.Is(e2, instance.ErrBadCredentials) || e1.Error() != e2.Error() {
		t.Errorf("different errors: %v / %v", e1, e2)
	}
}

func TestSessionsEnd(t *testing.T) {
	ctx := context.Background()
	login := func(f *fixture, handle, pw string) string {
		t.Helper()
		tok, _, err := f.svc.Login(ctx, handle, pw, "1.1.1.1")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	alive := func(f *fixture, tok string) bool {
		_, err := f.svc.Authenticate(ctx, tok)
		return err == nil
	}
	t.Run("logout ends one session", func(t *testing.T) {
		f := newFixture(t, instance.RegistrationOpen)
		f.member(t, "ann")
		a, b := login(f, "ann", goodPassword), login(f, "ann", goodPassword)
		if a == b {
			t.Fatal("two logins share a session id")
		}
		f.svc.Logout(ctx, a)
		if alive(f, a) || !alive(f, b) {
			t.Errorf("after logout: a=%v b=%v", alive(f, a), alive(f, b))
		}
	})
	t.Run("password change ends all and starts a fresh one", func(t *testing.T) {
		f := newFixture(t, instance.RegistrationOpen)
		m := f.member(t, "ann")
		a, b := login(f, "ann", goodPassword), login(f, "ann", goodPassword)
		_, err := f.svc.ChangePassword(ctx, m, instance.PasswordChange{Current: "wrong", New: "another long one", Confirm: "another long one"})
		if instance.Fields(err)["current"] == nil {
			t.Fatalf("wrong current password accepted: %v", err)
		}
		if !alive(f, a) {
			t.Fatal("failed change ended sessions")
		}
		fresh, err := f.svc.ChangePassword(ctx, m, instance.PasswordChange{Current: goodPassword, New: "another long one", Confirm: "another long one"})
		if err != nil {
			t.Fatal(err)
		}
		if alive(f, a) || alive(f, b) || !alive(f, fresh) {
			t.Errorf("after change: a=%v b=%v fresh=%v", alive(f, a), alive(f, b), alive(f, fresh))
		}
		if _, _, err := f.svc.Login(ctx, "ann", goodPassword, "1.1.1.1"); !errors.Is(err, instance.ErrBadCredentials) {
			t.Errorf("old password still works: %v", err)
		}
	})
	t.Run("suspension ends all at once", func(t *testing.T) {
		f := newFixture(t, instance.RegistrationOpen)
		coord := f.member(t, "cora", instance.RoleCoordinator)
		m := f.member(t, "ann")
		a := login(f, "ann", goodPassword)
		if err := f.svc.Suspend(ctx, coord, m.ID, "a reason"); err != nil {
			t.Fatal(err)
		}
		if alive(f, a) {
			t.Error("session survived suspension")
		}
		_, _, err := f.svc.Login(ctx, "ann", goodPassword, "1.1.1.1")
		var p *instance.Problem
		if !errors.As(err, &p) || p.Code != "login.suspended" {
			t.Errorf("suspended login: %v", err)
		}
		if err := f.svc.Reinstate(ctx, coord, m.ID); err != nil {
			t.Fatal(err)
		}
		login(f, "ann", goodPassword)
	})
	t.Run("role change ends sessions", func(t *testing.T) {
		f := newFixture(t, instance.RegistrationOpen)
		m := f.member(t, "ann", instance.RoleCoordinator)
		a := login(f, "ann", goodPassword)
		if err := f.svc.SetRoles(ctx, instance.Operator(), m.ID, nil); err != nil {
			t.Fatal(err)
		}
		if alive(f, a) {
			t.Error("session kept removed powers")
		}
	})
	t.Run("sessions expire", func(t *testing.T) {
		f := newFixture(t, instance.RegistrationOpen)
		f.member(t, "ann")
		a := login(f, "ann", goodPassword)
		f.clock.advance(31 * 24 * time.Hour)
		if alive(f, a) {
			t.Error("session outlived its lifetime")
		}
	})
}

// The permission matrix for member and group management.
func TestRolePermissions(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, instance.RegistrationApproval)
	admin := f.member(t, "ada", instance.RoleAdmin)
	coord := f.member(t, "cora", instance.RoleCoordinator)
	lead := f.member(t, "sam", instance.RoleSafeguardingLead)
	helper := f.member(t, "hal", instance.RoleVerifiedHelper)
	plain := f.member(t, "pat")

	type check func(by *instance.Member) error
	target := f.member(t, "tess")
	checks := map[string]check{
		"approve": func(by *instance.Member) error {
			m, err := f.svc.SignUp(ctx, signUp("app"+by.Handle))
			if err != nil {
				return err
			}
			return f.svc.Approve(ctx, by, m.ID)
		},
		"suspend": func(by *instance.Member) error {
			err := f.svc.Suspend(ctx, by, target.ID, "a reason")
			if err == nil {
				f.svc.Reinstate(ctx, instance.Operator(), target.ID)
			}
			return err
		},
		"set roles": func(by *instance.Member) error {
			return f.svc.SetRoles(ctx, by, target.ID, []instance.Role{instance.RoleHelper})
		},
		"create group": func(by *instance.Member) error {
			_, err := f.svc.CreateGroup(ctx, by, instance.GroupInput{Handle: "g_" + by.Handle, Name: "G"})
			return err
		},
		"list applicants": func(by *instance.Member) error {
			_, err := f.svc.Members(ctx, by, instance.StatusPending)
			return err
		},
		"invite": func(by *instance.Member) error {
			_, err := f.svc.CreateInvite(ctx, by, "")
			return err
		},
	}
	allowed := map[string]map[string]bool{
		"approve":         {"ada": true, "cora": true},
		"suspend":         {"ada": true, "cora": true},
		"set roles":       {"ada": true},
		"create group":    {"ada": true, "cora": true},
		"list applicants": {"ada": true, "cora": true},
		"invite":          {"ada": true, "cora": true},
	}
	for action, fn := range checks {
		for _, by := range []*instance.Member{admin, coord, lead, helper, plain} {
			t.Run(action+" by "+by.Handle, func(t *testing.T) {
				err := fn(by)
				want := allowed[action][by.Handle]
				if want && err != nil {
					t.Errorf("refused: %v", err)
				}
				if !want && !errors.Is(err, instance.ErrForbidden) {
					t.Errorf("allowed (err = %v)", err)
				}
			})
		}
	}
	// Role implications.
	if !helper.Has(instance.RoleHelper) || helper.Has(instance.RoleCoordinator) {
		t.Error("verified helper implications wrong")
	}
	if !admin.IsCoordinator() || admin.Has(instance.RoleSafeguardingLead) {
		t.Error("admin implications wrong: admin must not imply safeguarding lead")
	}
	// Coordinators cannot suspend admins; admins cannot drop their own admin role.
	if err := f.svc.Suspend(ctx, coord, admin.ID, "a reason"); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("coordinator suspended an admin: %v", err)
	}
	if err := f.svc.SetRoles(ctx, admin, admin.ID, nil); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("admin removed own admin role: %v", err)
	}
	if err := f.svc.Suspend(ctx, coord, coord.ID, "a reason"); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("coordinator suspended self: %v", err)
	}
}

func TestGroups(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, instance.RegistrationOpen)
	coord := f.member(t, "cora", instance.RoleCoordinator)
	ann := f.member(t, "ann")
	bad := []struct{ handle, code string }{
		{"Lunch Club", "err.handle_format"}, {"lunch..club", "err.handle_format"}, {"-lunch", "err.handle_format"},
		{"lunch-", "err.handle_format"}, {"village", "err.handle_taken"}, {"ann", "err.handle_taken"}, {"", "err.required"},
	}
	for _, b := range bad {
		_, err := f.svc.CreateGroup(ctx, coord, instance.GroupInput{Handle: b.handle, Name: "Lunch"})
		if fe := instance.Fields(err)["handle"]; fe == nil || fe.Code != b.code {
			t.Errorf("handle %q: %v, want %s", b.handle, err, b.code)
		}
	}
	for _, h := range []string{"lunch_club", "lunch.club", "lunch-club-2"} {
		if _, err := f.svc.CreateGroup(ctx, coord, instance.GroupInput{Handle: h, Name: "Lunch " + h}); err != nil {
			t.Errorf("handle %q refused: %v", h, err)
		}
	}
	if err := f.svc.JoinGroup(ctx, ann, "lunch_club"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.JoinGroup(ctx, ann, "lunch_club"); err != nil {
		t.Errorf("joining twice: %v", err)
	}
	g, _ := f.svc.Group(ctx, "lunch_club")
	if g.MemberCount != 2 {
		t.Errorf("member count %d, want 2 (creator and ann)", g.MemberCount)
	}
	if err := f.svc.LeaveGroup(ctx, ann, "lunch_club"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.svc.IsGroupMember(ctx, g, ann); ok {
		t.Error("still a member after leaving")
	}
	if err := f.svc.LeaveGroup(ctx, ann, "village"); err == nil {
		t.Error("left the main group")
	}
	if err := f.svc.UpdateGroup(ctx, ann, "lunch_club", instance.GroupInput{Name: "Mine"}); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("member edited a group: %v", err)
	}
	if err := f.svc.UpdateGroup(ctx, coord, "lunch_club", instance.GroupInput{Name: "Lunch club", Rules: "Be on time"}); err != nil {
		t.Fatal(err)
	}
	groups, _ := f.svc.Groups(ctx)
	if len(groups) != 4 || !groups[0].Main {
		t.Errorf("groups = %d, main first = %v", len(groups), len(groups) > 0 && groups[0].Main)
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := instance.HashPassword("pässwörd long enough")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash format %q", h)
	}
	h2, _ := instance.HashPassword("pässwörd long enough")
	if h == h2 {
		t.Error("same salt twice")
	}
	for pw, want := range map[string]bool{"pässwörd long enough": true, "passwörd long enough": false, "": false} {
		if ok, err := instance.CheckPassword(h, pw); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v", pw, ok, err)
		}
	}
	if _, err := instance.CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("accepted an unknown hash format")
	}
}
