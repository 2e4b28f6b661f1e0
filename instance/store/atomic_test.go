package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"hearth/instance"
)

// failInserts makes every insert into table fail, as a full disk would
// half-way through a change.
func failInserts(t *testing.T, s *Store, table string) {
	t.Helper()
	q := `CREATE TRIGGER fail_` + table + ` BEFORE INSERT ON ` + table + ` BEGIN SELECT RAISE(ABORT, 'disk full'); END`
	if s.e == postgresEngine {
		q = `CREATE OR REPLACE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
			CREATE TRIGGER fail_` + table + ` BEFORE INSERT ON ` + table + ` FOR EACH ROW EXECUTE FUNCTION fail_insert()`
	}
	if _, err := s.w.Exec(q); err != nil {
		t.Fatal(err)
	}
}

// passInserts undoes failInserts.
func passInserts(t *testing.T, s *Store, table string) {
	t.Helper()
	q := `DROP TRIGGER fail_` + table
	if s.e == postgresEngine {
		q += ` ON ` + table
	}
	if _, err := s.w.Exec(q); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.rd.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A report to forward and its Flag's federation event are written
// together or not at all.
func TestReportAndItsFlagInOneTransaction(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	failInserts(t, s, "fed_events")
	_, err := s.AddReport(ctx, &instance.Report{Subject: "remote_actor", RemoteActor: "https://gts.example/users/x", Category: "spam",
		Forward: true, CreatedAt: t0}, instance.Notices{})
	if err == nil || !strings.Contains(err.Error(), "store: add report") {
		t.Fatalf("err = %v, want the failure, wrapped with the operation", err)
	}
	if n := count(t, s, `SELECT count(*) FROM reports`); n != 0 {
		t.Errorf("a report was kept without its Flag event: %d", n)
	}
}

// Removing a member and the moderation log line saying who did it and why
// are written together or not at all.
func TestMemberRemovalAndItsLogInOneTransaction(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateMember(ctx, member("eve", "", instance.StatusActive), "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	failInserts(t, s, "moderation_log")
	err = s.DeleteAccount(ctx, id, t0, &instance.ModLog{Action: "remove member", Subject: "@eve", Reason: "spam", CreatedAt: t0})
	if err == nil {
		t.Fatal("the removal succeeded without its log line")
	}
	if m, _ := s.MemberByID(ctx, id); m.Status != instance.StatusActive || m.DisplayName != "eve" {
		t.Errorf("the member was removed without a log line: %+v", m)
	}
}

// A follow's progress is written by Publish, with the deliveries, in one
// transaction: a failed publication leaves the follow as it was.
func TestFollowProgressIsPublishedAtomically(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	gid, err := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	fo := &instance.Following{GroupID: gid, Address: "village@next.example", State: instance.FollowingResolving, CreatedAt: t0}
	if err := s.AddFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	sent := *fo
	sent.ActorID, sent.FollowID, sent.State = "https://next.example/groups/village", "https://here.example/activities/1", instance.FollowingPending
	failInserts(t, s, "deliveries")
	p := &instance.Publication{Following: &sent, Deliveries: []*instance.Delivery{{Inbox: "https://next.example/inbox", Host: "next.example",
		Signer: instance.GroupSigner("village"), ActivityID: sent.FollowID, Body: []byte("{}")}}}
	if err := s.Publish(ctx, p, t0); err == nil {
		t.Fatal("publish succeeded without its deliveries")
	}
	if got, _ := s.FollowingByID(ctx, fo.ID); got.State != instance.FollowingResolving {
		t.Errorf("follow marked %s without its Follow queued", got.State)
	}
	passInserts(t, s, "deliveries")
	if err := s.Publish(ctx, p, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FollowingByID(ctx, fo.ID); got.State != instance.FollowingPending || got.ActorID != sent.ActorID {
		t.Errorf("after publishing: %+v", got)
	}
	if err := s.Publish(ctx, &instance.Publication{ForgetFollowing: fo.ID}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FollowingByID(ctx, fo.ID); err == nil {
		t.Error("an unfollow's publication did not forget the follow")
	}
}

// Write errors say which operation on which row failed, and still match
// the domain's sentinel errors.
func TestWriteErrorsNameTheOperation(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for _, c := range []struct {
		err  error
		want string
	}{
		{s.DeleteItem(ctx, 999, t0), "store: delete item 999: not found"},
		{s.SetRoles(ctx, 998, nil, nil), "store: set roles of member 998: not found"},
		{s.ReleaseResponse(ctx, 997, t0, nil, instance.Notices{}), "store: release response 997: conflict"},
		{s.RemoveFollowing(ctx, 996, t0), "store: remove follow 996: not found"},
	} {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("err = %v, want %q", c.err, c.want)
		}
		if !errors.Is(c.err, instance.ErrNotFound) && !errors.Is(c.err, instance.ErrConflict) {
			t.Errorf("%v no longer matches its sentinel", c.err)
		}
	}
}
