package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// buildAtVersion makes a database with only the first v migrations
// applied, as an older Hearth left it.
func buildAtVersion(t *testing.T, path string, v int) *sql.DB {
	t.Helper()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if v >= len(ms) {
		t.Fatalf("test set-up: version %d is not older than this build's %d", v, len(ms))
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:v] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// A database written by the Hearth of schema 5, with members, a group,
// items, local and remote replies, a neighbour's item, a follow, an event
// and a report in it, is upgraded by this build: every row survives and
// the new columns have their defaults.
func TestUpgradeOfAPopulatedSchema5(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	db := buildAtVersion(t, path, 5)
	now := ts(t0)
	for _, q := range []string{
		`INSERT INTO handles (handle, kind) VALUES ('village', 'group'), ('ann', 'member')`,
		`INSERT INTO groups (id, handle, name, main, created_at) VALUES (1, 'village', 'Our village', 1, '` + now + `')`,
		`INSERT INTO members (id, handle, display_name, email, password_hash, status, conduct_accepted_at, created_at)
			VALUES (1, 'ann', 'Ann', 'ann@example.org', 'x', 'active', '` + now + `', '` + now + `')`,
		`INSERT INTO member_roles (member_id, role) VALUES (1, 'member'), (1, 'coordinator')`,
		`INSERT INTO group_members (group_id, member_id, joined_at) VALUES (1, 1, '` + now + `')`,
		`INSERT INTO items (id, kind, group_id, author_id, title, category, area, visibility, state, created_at, updated_at, address, federated, held)
			VALUES (1, 'need', 1, 1, 'A lift to the surgery', 'lifts', 'Mill Lane', 'public', 'open', '` + now + `', '` + now + `', '4 Mill Lane', 1, 0)`,
		`INSERT INTO responses (id, item_id, author_id, body, created_at, updated_at) VALUES (1, 1, 1, 'I can drive', '` + now + `', '` + now + `')`,
		`INSERT INTO responses (id, item_id, body, created_at, updated_at, remote_actor, remote_name, remote_handle, ap_id, content_html, held)
			VALUES (2, 1, '', '` + now + `', '` + now + `', 'https://gts.example/users/alice', 'Alice', '@alice@gts.example',
			'https://gts.example/statuses/1', '<p>Me too</p>', 1)`,
		`INSERT INTO remote_items (id, ap_id, actor, actor_name, kind, title, content_html, published_at, updated_at)
			VALUES (1, 'https://next.example/needs/4', 'https://next.example/groups/village', 'Next village', 'need', 'Dog walking',
			'<p>Dog walking</p>', '` + now + `', '` + now + `')`,
		`INSERT INTO following (id, group_id, address, actor_id, follow_id, state, created_at)
			VALUES (1, 1, 'village@next.example', 'https://next.example/groups/village', 'https://here.example/activities/f', 'accepted', '` + now + `')`,
		`INSERT INTO fed_events (subject, subject_id, created_at, attempts, next_attempt_at, last_error)
			VALUES ('item', 1, '` + now + `', 2, '` + now + `', 'connection refused')`,
		`INSERT INTO reports (id, reporter_id, subject, item_id, category, details, created_at) VALUES (1, 1, 'item', 1, 'spam', 'Selling', '` + now + `')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	db.Close()

	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	var v int
	s.db.QueryRow("PRAGMA user_version").Scan(&v)
	if v != SchemaVersion() {
		t.Fatalf("user_version = %d after the upgrade, want %d", v, SchemaVersion())
	}
	if problems, err := s.Check(ctx); err != nil || len(problems) != 0 {
		t.Fatalf("after the upgrade: %v %v", problems, err)
	}
	m, err := s.MemberByHandle(ctx, "ann")
	if err != nil || m.Email != "ann@example.org" || !m.IsCoordinator() {
		t.Errorf("member: %+v %v", m, err)
	}
	if g, err := s.GroupByHandle(ctx, "village"); err != nil || !g.Main {
		t.Errorf("group: %+v %v", g, err)
	}
	it, err := s.ItemByID(ctx, 1)
	if err != nil || it.Title != "A lift to the surgery" || it.Address != "4 Mill Lane" || it.Held {
		t.Errorf("item: %+v %v", it, err)
	}
	list, err := s.ListResponses(ctx, 1)
	if err != nil || len(list) != 2 || list[0].Body != "I can drive" || !list[1].Held || list[1].ContentHTML != "<p>Me too</p>" {
		t.Errorf("responses: %+v %v", list, err)
	}
	// remote_items.held (migration 6) defaults to not held: the item is
	// still listed.
	ri, err := s.RemoteItemByAPID(ctx, "https://next.example/needs/4")
	if err != nil || ri.Held || ri.Title != "Dog walking" {
		t.Errorf("neighbour item: %+v %v", ri, err)
	}
	if listed, _ := s.ListRemoteItems(ctx, 10); len(listed) != 1 {
		t.Errorf("neighbours listed after the upgrade: %d", len(listed))
	}
	if fo, err := s.FollowingByID(ctx, 1); err != nil || fo.State != instance.FollowingAccepted {
		t.Errorf("follow: %+v %v", fo, err)
	}
	if due, err := s.NextFedEvents(ctx, t0, 10); err != nil || len(due) != 1 || due[0].Attempts != 2 || due[0].Subject != instance.SubjectItem {
		t.Errorf("events: %+v %v", due, err)
	}
	if r, err := s.ReportByID(ctx, 1); err != nil || r.Details != "Selling" {
		t.Errorf("report: %+v %v", r, err)
	}
}

// A database of the schema before notifications (7 when it was written) with notifications in the old form ("note."
// codes), a claimed need and its helper's offer is upgraded: the
// notifications keep their kind and read state, the accepted offer is
// marked accepted, and existing posts are not announced or reported
// unanswered as if new.
func TestUpgradeOfNotificationsFromSchema7(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	db := buildAtVersion(t, path, migrationNumber("_notify.sql")-1)
	now := ts(t0)
	for _, q := range []string{
		`INSERT INTO handles (handle, kind) VALUES ('village', 'group'), ('ann', 'member'), ('hal', 'member')`,
		`INSERT INTO groups (id, handle, name, main, created_at) VALUES (1, 'village', 'Our village', 1, '` + now + `')`,
		`INSERT INTO members (id, handle, display_name, password_hash, status, conduct_accepted_at, created_at)
			VALUES (1, 'ann', 'Ann', 'x', 'active', '` + now + `', '` + now + `'), (2, 'hal', 'Hal', 'x', 'active', '` + now + `', '` + now + `')`,
		`INSERT INTO items (id, kind, group_id, author_id, title, category, area, visibility, state, created_at, updated_at, claimed_by)
			VALUES (1, 'need', 1, 1, 'A lift', 'lifts', 'Mill Lane', 'public', 'claimed', '` + now + `', '` + now + `', 2)`,
		`INSERT INTO interests (item_id, member_id, message, created_at) VALUES (1, 2, 'I can drive', '` + now + `')`,
		`INSERT INTO notifications (member_id, item_id, code, created_at, read_at) VALUES (2, 1, 'note.help_accepted', '` + now + `', NULL),
			(1, NULL, 'note.warning', '` + now + `', '` + now + `')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	db.Close()
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	hal, err := s.ListNotifications(ctx, 2, 10)
	if err != nil || len(hal) != 1 || hal[0].Kind != instance.NoteHelpAccepted || hal[0].Read || hal[0].Link() != "/needs/1#helping" {
		t.Errorf("hal's notifications: %+v %v", hal, err)
	}
	if ann, _ := s.ListNotifications(ctx, 1, 10); len(ann) != 1 || ann[0].Kind != instance.NoteWarning || !ann[0].Read {
		t.Errorf("ann's notifications: %+v", ann)
	}
	if in, _ := s.ListInterests(ctx, 1); len(in) != 1 || in[0].State != instance.InterestAccepted {
		t.Errorf("interest after the upgrade: %+v", in)
	}
	if n, _ := s.UnreadNotifications(ctx, 2); n != 1 {
		t.Errorf("unread = %d", n)
	}
	if left, _ := s.Unannounced(ctx, 10); len(left) != 0 {
		t.Errorf("old posts to announce: %d", len(left))
	}
}

// migrationNumber is the number of the migration whose file name ends
// with suffix ("_notify.sql"), so that tests of one migration build the
// schema just before it, whatever was merged in between.
func migrationNumber(suffix string) int {
	ms, err := migrations()
	if err != nil {
		panic(err)
	}
	for _, m := range ms {
		if strings.HasSuffix(m.name, suffix) {
			return m.version
		}
	}
	panic("no migration named *" + suffix)
}

// A database of the schema before the item pages' rework (issue 19) is
// upgraded: a need done before it takes its last change as when it was
// done (so "helped this month" counts it), and each item's reply count
// is the replies anyone can see, kept right by the triggers from then on.
func TestUpgradeOfItemsUX(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	db := buildAtVersion(t, path, migrationNumber("_items_ux.sql")-1)
	now, done := ts(t0), ts(t0.Add(-48*time.Hour))
	for _, q := range []string{
		`INSERT INTO handles (handle, kind) VALUES ('village', 'group'), ('ann', 'member')`,
		`INSERT INTO groups (id, handle, name, main, created_at) VALUES (1, 'village', 'Our village', 1, '` + now + `')`,
		`INSERT INTO members (id, handle, display_name, password_hash, status, conduct_accepted_at, created_at)
			VALUES (1, 'ann', 'Ann', 'x', 'active', '` + now + `', '` + now + `')`,
		`INSERT INTO items (id, kind, group_id, author_id, title, category, area, visibility, state, created_at, updated_at)
			VALUES (1, 'need', 1, 1, 'A lift', 'lifts', 'Mill Lane', 'public', 'done', '` + done + `', '` + done + `'),
			(2, 'need', 1, 1, 'Shopping', 'shopping', 'Mill Lane', 'public', 'open', '` + now + `', '` + now + `')`,
		`INSERT INTO responses (item_id, author_id, body, created_at, updated_at, deleted_at, held) VALUES
			(1, 1, 'seen', '` + now + `', '` + now + `', NULL, 0), (1, 1, 'deleted', '` + now + `', '` + now + `', '` + now + `', 0),
			(1, 1, 'held', '` + now + `', '` + now + `', NULL, 1), (2, 1, 'other', '` + now + `', '` + now + `', NULL, 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	db.Close()
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	it, err := s.ItemByID(ctx, 1)
	if err != nil || !it.DoneAt.Equal(t0.Add(-48*time.Hour)) || !it.ThankedAt.IsZero() || it.Thanks != "" {
		t.Errorf("done need after the upgrade: %+v %v", it, err)
	}
	if n, err := s.CountHelped(ctx, t0.Add(-72*time.Hour), false); err != nil || n != 1 {
		t.Errorf("helped since: %d %v", n, err)
	}
	for id, want := range map[int64]int{1: 1, 2: 1} {
		if n, err := s.CountResponses(ctx, id); err != nil || n != want {
			t.Errorf("replies on item %d after the upgrade: %d %v, want %d", id, n, err, want)
		}
	}
	if _, err := s.AddResponse(ctx, &instance.Response{ItemID: 1, AuthorID: 1, Body: "new", CreatedAt: t0, UpdatedAt: t0}, instance.Notices{}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountResponses(ctx, 1); n != 2 {
		t.Errorf("replies after a new one: %d", n)
	}
}
