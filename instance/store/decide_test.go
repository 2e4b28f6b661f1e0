package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"hearth/instance"
)

// The migration loosens items.kind in place: rows written before it
// survive untouched, 'notice' is accepted and anything else still is not.
func TestDecideMigrationKeepsItems(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hearth.db")
	// The database as the version before the migration left it.
	db := buildAtVersion(t, path, decideMigration-1)
	now := ts(t0)
	for _, q := range []string{
		`INSERT INTO handles (handle, kind) VALUES ('village', 'group'), ('ann', 'member')`,
		`INSERT INTO groups (id, handle, name, main, created_at) VALUES (1, 'village', 'V', 1, '` + now + `')`,
		`INSERT INTO members (id, handle, display_name, email, password_hash, status, conduct_accepted_at, created_at)
			VALUES (1, 'ann', 'Ann', 'ann@example.org', 'x', 'active', '` + now + `', '` + now + `')`,
		`INSERT INTO items (id, kind, group_id, author_id, title, visibility, state, created_at, updated_at)
			VALUES (1, 'need', 1, 1, 'Lift', 'public', 'open', '` + now + `', '` + now + `')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	if _, err := db.Exec(`INSERT INTO items (kind, group_id, author_id, title, visibility, state, created_at, updated_at)
		VALUES ('notice', 1, 1, 't', 'public', 'open', 'x', 'x')`); err == nil {
		t.Fatal("the old constraint accepted a notice: the test did not build the old schema")
	}
	db.Close()
	gid, mid, need := int64(1), int64(1), int64(1)

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if it, err := s.ItemByID(ctx, need); err != nil || it.Title != "Lift" || it.Kind != instance.KindNeed {
		t.Fatalf("the need written before the migration: %+v %v", it, err)
	}
	if _, err := s.wr.ExecContext(ctx, `INSERT INTO items (kind, group_id, author_id, title, visibility, state, created_at, updated_at)
		VALUES ('notice', ?, ?, 't', 'public', 'open', 'x', 'x')`, gid, mid); err != nil {
		t.Errorf("a notice after the migration: %v", err)
	}
	if _, err := s.wr.ExecContext(ctx, `INSERT INTO items (kind, group_id, author_id, title, visibility, state, created_at, updated_at)
		VALUES ('bogus', ?, ?, 't', 'public', 'open', 'x', 'x')`, gid, mid); err == nil {
		t.Error("an unknown kind was accepted")
	}
	if problems, err := s.Check(ctx); err != nil || len(problems) > 0 {
		t.Errorf("integrity after the migration: %v %v", problems, err)
	}
}

// The store refuses, inside its transaction, what the phase does not
// allow, whatever the caller checked before: a late idea, a review once
// voting started, a ballot outside voting, an early or second close, a
// notice told twice.
func TestRoundPhaseGuardsInTheStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	gid, _ := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0})
	mid, err := s.CreateMember(ctx, &instance.Member{Handle: "ann", DisplayName: "Ann", Status: instance.StatusActive,
		Roles: []instance.Role{instance.RoleMember}, ContactPreference: instance.ContactSite, Language: "en", CreatedAt: t0}, "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	r := &instance.Round{GroupID: gid, CreatedBy: mid, Title: "Fund", Budget: 100, Currency: "GBP", Mode: instance.BudgetApproval,
		Visibility: instance.VisibilityPublic, CreatedAt: t0, ReviewFrom: t0.Add(day), VotingFrom: t0.Add(2 * day), ResultsAt: t0.Add(3 * day)}
	rid, err := s.CreateRound(ctx, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := s.AddProject(ctx, &instance.Project{RoundID: rid, AuthorID: mid, Title: "A", Cost: 10, CreatedAt: t0}, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddProject(ctx, &instance.Project{RoundID: rid, AuthorID: mid, Title: "B", Cost: 10, CreatedAt: t0.Add(day)}, 5, nil); !errors.Is(err, instance.ErrConflict) {
		t.Errorf("an idea once review started: %v", err)
	}
	if err := s.ReviewProject(ctx, rid, pid, instance.ReviewEligible, "", mid, t0.Add(2*day), nil); !errors.Is(err, instance.ErrConflict) {
		t.Errorf("a review once voting started: %v", err)
	}
	if err := s.ReviewProject(ctx, rid, pid, instance.ReviewEligible, "", mid, t0.Add(day), nil); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{t0.Add(2*day - time.Second), t0.Add(3 * day)} {
		if err := s.CastBallot(ctx, rid, mid, []int64{pid}, at); !errors.Is(err, instance.ErrConflict) {
			t.Errorf("a ballot at %v: %v", at, err)
		}
	}
	if err := s.CastBallot(ctx, rid, mid, []int64{pid}, t0.Add(2*day)); err != nil {
		t.Fatal(err)
	}
	note := []instance.Notification{{MemberID: mid, Kind: instance.NoteBudgetClosing}}
	s.MarkRoundTold(ctx, rid, "closing", t0.Add(2*day), note)
	s.MarkRoundTold(ctx, rid, "closing", t0.Add(2*day), note)
	if ns, _ := s.ListNotifications(ctx, mid, 10); len(ns) != 1 {
		t.Errorf("told %d times, want once", len(ns))
	}
	outcome := func(r *instance.Round, ps []*instance.Project, ballots int) (*instance.RoundOutcome, error) {
		return &instance.RoundOutcome{Projects: ps, Item: &instance.Item{Kind: instance.KindNotice, GroupID: gid, AuthorID: mid,
			Title: "Results", Visibility: instance.VisibilityPublic, State: instance.StateOpen, CreatedAt: t0, UpdatedAt: t0}}, nil
	}
	if err := s.CloseRound(ctx, rid, t0.Add(3*day-time.Second), outcome); !errors.Is(err, instance.ErrConflict) {
		t.Errorf("closing before the results date: %v", err)
	}
	if err := s.CloseRound(ctx, rid, t0.Add(3*day), outcome); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseRound(ctx, rid, t0.Add(3*day), outcome); !errors.Is(err, instance.ErrConflict) {
		t.Errorf("closing twice: %v", err)
	}
}

// Closing a panel's list is refused when its record does not hold every
// volunteer (someone volunteered while the coordinator pressed the button).
func TestCommitPanelNeedsTheWholeList(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	gid, _ := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0})
	mid, err := s.CreateMember(ctx, &instance.Member{Handle: "ann", DisplayName: "Ann", Status: instance.StatusActive,
		Roles: []instance.Role{instance.RoleMember}, ContactPreference: instance.ContactSite, Language: "en", CreatedAt: t0}, "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	p := &instance.Panel{GroupID: gid, CreatedBy: mid, Title: "P", Size: 1, EndsAt: t0.Add(time.Hour), State: instance.PanelOpen, CreatedAt: t0}
	if p.ID, err = s.CreatePanel(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a@example.org", "b@example.org"} {
		if err := s.AddVolunteer(ctx, &instance.Volunteer{PanelID: p.ID, GuestName: "G", GuestContact: c, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	p.Record = &instance.DrawRecord{Volunteers: []instance.DrawVolunteer{{Code: "X"}}}
	p.CommittedAt = t0
	if err := s.CommitPanel(ctx, p, nil); !errors.Is(err, instance.ErrConflict) {
		t.Errorf("a record missing a volunteer: %v", err)
	}
	if got, _ := s.PanelByID(ctx, p.ID); got.State != instance.PanelOpen {
		t.Errorf("the panel is %s", got.State)
	}
}

// decideMigration is the number of the migration that added deciding
// together.
var decideMigration = migrationNumber("_decide.sql")
