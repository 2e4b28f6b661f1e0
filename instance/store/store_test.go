package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/store/pgtest"
)

// newStore opens a fresh, migrated store for one test: a SQLite file in
// the test's directory or, when HEARTH_TEST_POSTGRES is set, a PostgreSQL
// database of its own (a copy of a template migrated once per process).
func newStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	var s *Store
	var err error
	if pgtest.Enabled() {
		s, err = OpenPostgres(ctx, pgtest.NewMigratedDatabase(t, "store", migratePostgresTemplate))
	} else {
		s, err = Open(ctx, filepath.Join(t.TempDir(), "hearth.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// migratePostgresTemplate migrates the template database of newStore.
func migratePostgresTemplate(dsn string) error {
	s, err := OpenPostgres(context.Background(), dsn)
	if err != nil {
		return err
	}
	return s.Close()
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.DropTemplates()
	os.Exit(code)
}

// sqliteOnly skips a test of something only SQLite has when the suite
// runs on PostgreSQL.
func sqliteOnly(t *testing.T, what string) {
	t.Helper()
	if pgtest.Enabled() {
		t.Skip("SQLite only (" + what + "): " + pgtest.Env + " is set")
	}
}

// setSchemaVersion writes the database's schema version, as an older or
// newer Hearth would have left it.
func setSchemaVersion(t *testing.T, s *Store, v int) {
	t.Helper()
	q := fmt.Sprintf("PRAGMA user_version = %d", v)
	if s.e == postgresEngine {
		q = fmt.Sprintf("UPDATE schema_version SET version = %d", v)
	}
	if _, err := s.w.ExecContext(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func TestMigrateEmptyDatabase(t *testing.T) {
	sqliteOnly(t, "PRAGMA user_version and integrity_check; TestPostgresFreshDatabaseMigrates is its twin")
	s := newStore(t)
	ctx := context.Background()
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() || v < 1 {
		t.Errorf("user_version = %d, want %d", v, SchemaVersion())
	}
	problems, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 0 {
		t.Errorf("integrity/foreign key problems: %v", problems)
	}
	for _, table := range []string{"members", "member_roles", "sessions", "invites", "groups", "group_members", "handles"} {
		var n int
		if err := s.rd.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
}

func TestReopenDoesNotRemigrate(t *testing.T) {
	sqliteOnly(t, "a database file; TestPostgresReopenDoesNotRemigrate is its twin")
	path := filepath.Join(t.TempDir(), "hearth.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.GroupByHandle(ctx, "village"); err != nil {
		t.Errorf("data lost on reopen: %v", err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	sqliteOnly(t, "a database file; TestPostgresRefusesNewerSchema is its twin")
	path := filepath.Join(t.TempDir(), "hearth.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, "PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(ctx, path)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("err = %v, want ErrNewerSchema", err)
	}
}

// Every pooled connection must carry the pragmas, not only the first.
func TestPragmasOnEveryConnection(t *testing.T) {
	sqliteOnly(t, "pragmas")
	s := newStore(t)
	ctx := context.Background()
	conns := make([]interface{ Close() error }, 0, 3)
	for i := 0; i < 3; i++ {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var mode string
		var fk, busy, synchronous int
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&synchronous); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || fk != 1 || busy != 5000 || synchronous != 1 {
			t.Errorf("connection %d: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d", i, mode, fk, busy, synchronous)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

func member(handle, email string, status instance.Status) *instance.Member {
	return &instance.Member{Handle: handle, DisplayName: handle, Email: email, PasswordHash: "x", Language: "en",
		ContactPreference: instance.ContactSite, Status: status, Roles: []instance.Role{instance.RoleMember},
		ConductAcceptedAt: t0, CreatedAt: t0}
}

// Members and groups share one namespace of handles.
func TestHandlesAreUniqueAcrossMembersAndGroups(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.CreateGroup(ctx, &instance.Group{Handle: "lunch", Name: "Lunch", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateMember(ctx, member("lunch", "", instance.StatusActive), "", t0, instance.Notices{})
	if f := instance.Fields(err)["handle"]; f == nil || f.Code != "err.handle_taken" {
		t.Fatalf("member with a group's handle: %v", err)
	}
	if _, err := s.CreateMember(ctx, member("ann", "ann@example.org", instance.StatusActive), "", t0, instance.Notices{}); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateGroup(ctx, &instance.Group{Handle: "ann", Name: "Ann's", CreatedAt: t0})
	if f := instance.Fields(err)["handle"]; f == nil || f.Code != "err.handle_taken" {
		t.Fatalf("group with a member's handle: %v", err)
	}
	_, err = s.CreateMember(ctx, member("ann2", "ann@example.org", instance.StatusActive), "", t0, instance.Notices{})
	if f := instance.Fields(err)["email"]; f == nil || f.Code != "err.email_taken" {
		t.Fatalf("duplicate email: %v", err)
	}
	// The failed inserts left nothing behind.
	var n int
	s.rd.QueryRowContext(context.Background(), "SELECT count(*) FROM handles").Scan(&n)
	if n != 2 {
		t.Errorf("handles rows = %d, want 2", n)
	}
}

// An invite can be used once, even by two sign-ups racing each other.
func TestInviteIsSingleUseUnderRace(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	admin, err := s.CreateMember(ctx, member("admin", "", instance.StatusActive), "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateInvite(ctx, &instance.Invite{Code: "abc", CreatedBy: admin, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = s.CreateMember(ctx, member("m"+string(rune('a'+i)), "", instance.StatusActive), "abc", t0, instance.Notices{})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if f := instance.Fields(err)["invite"]; f == nil {
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d sign-ups used one invite, want exactly 1", ok)
	}
	var members int
	s.rd.QueryRowContext(context.Background(), "SELECT count(*) FROM members").Scan(&members)
	if members != 2 {
		t.Errorf("members = %d, want 2 (the failed ones rolled back)", members)
	}
	// Expired invites are refused too.
	if err := s.CreateInvite(ctx, &instance.Invite{Code: "old", CreatedBy: admin, CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMember(ctx, member("late", "", instance.StatusActive), "old", t0.Add(time.Hour), instance.Notices{}); instance.Fields(err)["invite"] == nil {
		t.Errorf("expired invite accepted: %v", err)
	}
}

func TestBackupWhileOpen(t *testing.T) {
	sqliteOnly(t, "VACUUM INTO; PostgreSQL is backed up with pg_dump")
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, dst); err == nil {
		t.Error("backup overwrote an existing file")
	}
	b, err := Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if g, err := b.GroupByHandle(ctx, "village"); err != nil || g.Name != "V" {
		t.Errorf("backup content: %v %v", g, err)
	}
}

func TestStatusTransitionsEndSessions(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	id, err := s.CreateMember(ctx, member("ann", "", instance.StatusActive), "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, "h1", id, t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionMember(ctx, "h1", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionMember(ctx, "h1", t0.Add(2*time.Hour)); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("expired session still works: %v", err)
	}
	if err := s.SetStatus(ctx, id, []instance.Status{instance.StatusPending}, instance.StatusRejected, t0, instance.StatusChange{}); !errors.Is(err, instance.ErrConflict) {
		t.Errorf("illegal transition active→rejected: %v", err)
	}
	if err := s.SetStatus(ctx, id, []instance.Status{instance.StatusActive}, instance.StatusSuspended, t0, instance.StatusChange{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionMember(ctx, "h1", t0); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("session survived suspension: %v", err)
	}
}

// A group larger than one statement takes (enqueueRows) is queued whole,
// and an activity repeated across its statements is queued once.
func TestInboxQueueLargeGroup(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	var rows []*instance.InboxRow
	for i := 0; i < 2*enqueueRows+10; i++ {
		rows = append(rows, &instance.InboxRow{ActivityID: fmt.Sprintf("https://a.example/%d", i), Actor: "https://a.example/u", Type: "Create", Body: []byte(`{}`)})
	}
	rows = append(rows, &instance.InboxRow{ActivityID: "https://a.example/3", Actor: "https://a.example/u", Type: "Create", Body: []byte(`{}`)})
	fresh, err := s.EnqueueInboxBatch(ctx, rows, t0)
	if err != nil {
		t.Fatal(err)
	}
	var queued int
	for i, f := range fresh {
		if f {
			queued++
		} else if i != len(rows)-1 {
			t.Errorf("activity %d reported as already queued", i)
		}
	}
	if fresh[len(rows)-1] || queued != len(rows)-1 {
		t.Errorf("%d reported new, last %v; want %d and the repeat not new", queued, fresh[len(rows)-1], len(rows)-1)
	}
	if n := count(t, s, `SELECT count(*) FROM inbox_queue`); n != len(rows)-1 {
		t.Errorf("%d queued, want %d", n, len(rows)-1)
	}
}

func TestInboxQueueBatchAndRetry(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	rows := []*instance.InboxRow{
		{ActivityID: "https://a.example/1", Actor: "https://a.example/u", Type: "Create", Body: []byte(`{}`)},
		{ActivityID: "https://a.example/2", Actor: "https://a.example/u", Type: "Follow", Body: []byte(`{}`)},
		{ActivityID: "https://a.example/3", Actor: "https://a.example/u", Type: "Undo", Body: []byte(`{}`)},
		{ActivityID: "https://a.example/1", Actor: "https://a.example/u", Type: "Create", Body: []byte(`{}`)}, // a redelivery
	}
	fresh, err := s.EnqueueInboxBatch(ctx, rows, t0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, true, false}; len(fresh) != 4 || fresh[0] != want[0] || fresh[1] != want[1] || fresh[2] != want[2] || fresh[3] != want[3] {
		t.Fatalf("fresh = %v, want %v", fresh, want)
	}
	list, err := s.NextInbox(ctx, 10)
	if err != nil || len(list) != 3 {
		t.Fatalf("NextInbox = %d, %v; want 3 queued", len(list), err)
	}
	// The first succeeds, the second fails and will be retried, the third
	// fails for the last time.
	err = s.FinishInbox(ctx, []instance.InboxResult{
		{ID: list[0].ID, Done: true},
		{ID: list[1].ID, Err: "remote actor unreachable"},
		{ID: list[2].ID, Done: true, Err: "gave up"},
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.NextInbox(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || again[0].ActivityID != "https://a.example/2" || again[0].Attempts != 1 {
		t.Fatalf("after the batch: %+v, want only activity 2 with one attempt", again)
	}
	var errText string
	var processed *string
	if err := s.rd.QueryRowContext(ctx, `SELECT error, processed_at FROM inbox_queue WHERE id = ?`, list[2].ID).Scan(&errText, &processed); err != nil {
		t.Fatal(err)
	}
	if errText != "gave up" || processed == nil {
		t.Errorf("activity 3: error %q, processed %v; want the error kept and the row finished", errText, processed)
	}
}

// An approved member joins the main group at the time the caller gives
// (the service's clock), not the wall clock.
func TestApprovalJoinsMainGroupAtGivenTime(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "Village", Main: true, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateMember(ctx, member("ann", "", instance.StatusPending), "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	approved := t0.Add(48 * time.Hour)
	if err := s.SetStatus(ctx, id, []instance.Status{instance.StatusPending}, instance.StatusActive, approved, instance.StatusChange{}); err != nil {
		t.Fatal(err)
	}
	var joined string
	if err := s.rd.QueryRowContext(ctx, `SELECT joined_at FROM group_members WHERE member_id = ?`, id).Scan(&joined); err != nil {
		t.Fatal(err)
	}
	if got := parseTS(joined); !got.Equal(approved) {
		t.Errorf("joined_at = %v, want %v", got, approved)
	}
}

func TestFedEventRetryWaitsAndGiveUpEnds(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for i := int64(1); i <= 2; i++ {
		if _, err := s.wr.ExecContext(ctx, `INSERT INTO fed_events (subject, subject_id, created_at) VALUES ('follow', ?, ?)`, i, ts(t0)); err != nil {
			t.Fatal(err)
		}
	}
	due, err := s.NextFedEvents(ctx, t0, 10)
	if err != nil || len(due) != 2 || due[0].Attempts != 0 || !due[0].CreatedAt.Equal(t0) {
		t.Fatalf("NextFedEvents = %+v, %v; want both, no attempts yet", due, err)
	}
	if err := s.RetryFedEvent(ctx, due[0].ID, "connection refused", t0.Add(time.Minute), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.GiveUpFedEvent(ctx, due[1].ID, "still down", t0, nil); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.NextFedEvents(ctx, t0.Add(59*time.Second), 10); len(due) != 0 {
		t.Fatalf("before its next attempt: %d due, want 0 (and the given-up one never)", len(due))
	}
	due, _ = s.NextFedEvents(ctx, t0.Add(time.Minute), 10)
	if len(due) != 1 || due[0].SubjectID != 1 || due[0].Attempts != 1 {
		t.Fatalf("at its next attempt: %+v, want event 1 after one attempt", due)
	}
	var lastErr string
	var attempts int
	s.rd.QueryRowContext(ctx, `SELECT last_error, attempts FROM fed_events WHERE subject_id = 2`).Scan(&lastErr, &attempts)
	if lastErr != "still down" || attempts != 1 {
		t.Errorf("given up: last_error %q after %d attempts", lastErr, attempts)
	}
}

// Reads go through statements kept prepared; none may keep a read
// transaction open, or SQLite could never checkpoint and the WAL file
// would grow without end. 20,000 queued rows (about 12 MB) with reads in
// between must leave the WAL near its 1,000-page auto-checkpoint size.
func TestPreparedReadsDoNotBlockCheckpoints(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hearth.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seq := 0
	for round := 0; round < 400; round++ {
		for i := 0; i < 10; i++ {
			if _, err := s.ItemByID(ctx, int64(1+i)); !errors.Is(err, instance.ErrNotFound) {
				t.Fatalf("ItemByID on an empty store: %v", err)
			}
			if _, err := s.NextInbox(ctx, 5); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.EnqueueInboxBatch(ctx, benchRows(&seq, 50), t0); err != nil {
			t.Fatal(err)
		}
	}
	wal, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if wal.Size() > 8<<20 {
		t.Fatalf("WAL grew to %d bytes: something holds a read transaction open", wal.Size())
	}
}
