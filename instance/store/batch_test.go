package store

import (
	"context"
	"errors"
	"hearth/instance"
	"runtime"
	"strings"
	"testing"
	"time"
)

// leaseHeld reports whether a lease row of that name exists, read with
// ctx (through the batch it carries, if any).
func leaseHeld(t *testing.T, s *Store, ctx context.Context, name string) bool {
	t.Helper()
	var n int
	if err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM leases WHERE name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// insertLease writes a lease row in a store transaction (a savepoint in a
// batch); a name already there fails on the primary key.
func insertLease(s *Store, ctx context.Context, name string) error {
	return s.tx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO leases (name, holder, until) VALUES (?, 'test', '')`, name)
		return err
	})
}

// A batch is one transaction: its reads see its own writes, nothing is
// seen outside before it commits, a step that fails is undone alone (a
// failed statement does not spoil the rest, as it would a PostgreSQL
// transaction without a savepoint), a step in which a store transaction
// failed fails even if its caller carried on, and the statements outside
// a store transaction (TakeLease's) are in it too.
func TestBatchIsOneTransaction(t *testing.T) {
	s := newStore(t)
	bg := context.Background()
	now := time.Now()
	errNo := errors.New("the step refuses")
	err := s.Batch(bg, func(ctx context.Context) error {
		if ok, err := s.TakeLease(ctx, "a", "node", now, now.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("take a: %v %v", ok, err)
		}
		if !leaseHeld(t, s, ctx, "a") {
			t.Error("the batch does not see its own write")
		}
		if leaseHeld(t, s, bg, "a") {
			t.Error("a write is seen outside the batch before it commits")
		}
		if err := s.Step(ctx, func(ctx context.Context) error {
			if err := insertLease(s, ctx, "b"); err != nil {
				return err
			}
			return errNo
		}); !errors.Is(err, errNo) {
			t.Errorf("a failing step returned %v, want its own error", err)
		}
		if leaseHeld(t, s, ctx, "b") {
			t.Error("the failed step's write is still there")
		}
		// A step whose caller carries on after a store transaction failed
		// (here after a unique violation) fails all the same, and is undone.
		err := s.Step(ctx, func(ctx context.Context) error {
			if err := insertLease(s, ctx, "d"); err != nil {
				return err
			}
			if err := insertLease(s, ctx, "a"); err == nil {
				t.Error("inserting a again succeeded")
			}
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "a transaction failed in this step") {
			t.Errorf("a step with a failed transaction returned %v", err)
		}
		if leaseHeld(t, s, ctx, "d") {
			t.Error("the step with a failed transaction kept its other write")
		}
		if err := s.Step(ctx, func(ctx context.Context) error { return insertLease(s, ctx, "c") }); err != nil {
			t.Errorf("a step after a failed statement: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	for name, want := range map[string]bool{"a": true, "b": false, "c": true, "d": false} {
		if got := leaseHeld(t, s, bg, name); got != want {
			t.Errorf("after the commit, lease %s held: %v, want %v", name, got, want)
		}
	}
}

// A batch whose function fails, or in which a store transaction failed,
// leaves nothing behind; a batch inside a batch is the same one.
func TestBatchRollsBackWhole(t *testing.T) {
	s := newStore(t)
	bg := context.Background()
	errNo := errors.New("no")
	err := s.Batch(bg, func(ctx context.Context) error {
		if err := insertLease(s, ctx, "a"); err != nil {
			return err
		}
		return s.Batch(ctx, func(inner context.Context) error {
			if !leaseHeld(t, s, inner, "a") {
				t.Error("a batch inside a batch is another transaction")
			}
			if err := insertLease(s, inner, "b"); err != nil {
				return err
			}
			return errNo
		})
	})
	if !errors.Is(err, errNo) {
		t.Fatalf("batch: %v, want the function's error", err)
	}
	if leaseHeld(t, s, bg, "a") || leaseHeld(t, s, bg, "b") {
		t.Error("a failed batch left its writes")
	}
	// Outside a step, a failed store transaction fails the batch.
	err = s.Batch(bg, func(ctx context.Context) error {
		if err := insertLease(s, ctx, "e"); err != nil {
			return err
		}
		_ = insertLease(s, ctx, "e") // a unique violation, ignored by its caller
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "a transaction failed in this batch") {
		t.Errorf("a batch with a failed transaction returned %v", err)
	}
	if leaseHeld(t, s, bg, "e") {
		t.Error("a batch with a failed transaction was committed")
	}
	// Another store's batch is not this one's.
	other := newStore(t)
	if err := other.Batch(bg, func(ctx context.Context) error {
		if err := insertLease(s, ctx, "x"); err != nil {
			return err
		}
		return errNo
	}); !errors.Is(err, errNo) {
		t.Fatal(err)
	}
	if !leaseHeld(t, s, bg, "x") {
		t.Error("a write to one store went into another store's batch")
	}
}

// On PostgreSQL the inbox queues an activity while a batch holds the write
// lock (the inbox worker's, say): a 202 does not wait for the worker. On
// SQLite there is one writer, and the queue waits its turn.
func TestEnqueueInboxDoesNotWaitForTheWriteLock(t *testing.T) {
	s := newStore(t)
	if s.e != postgresEngine {
		t.Skip("SQLite has one writer: queueing waits for the batch there")
	}
	bg := context.Background()
	err := s.Batch(bg, func(ctx context.Context) error {
		if err := insertLease(s, ctx, "held"); err != nil { // the batch has the write lock now
			return err
		}
		// A bound, not a wait: queueing blocks until the batch ends if it
		// takes the write lock, and the batch waits here for it.
		qctx, cancel := context.WithTimeout(bg, 5*time.Second)
		defer cancel()
		rows := []*instance.InboxRow{{ActivityID: "https://a.example/1", Actor: "https://a.example/u", Type: "Create", Body: []byte(`{}`)}}
		if _, err := s.EnqueueInboxBatch(qctx, rows, time.Now()); err != nil {
			t.Errorf("queueing while a batch holds the write lock: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM inbox_queue`); n != 1 {
		t.Errorf("%d activities queued, want 1", n)
	}
}

// waitFor polls cond, for at most ten seconds, and reports whether it held.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// A write transaction waiting for the one a batch holds shows in
// WriterWaiting (the inbox worker then commits after its current step),
// and stops showing once it has its turn; another batch waiting does not
// (two lanes would otherwise make each other's batches one step long).
func TestWriterWaitingForABatch(t *testing.T) {
	s := newStore(t)
	bg := context.Background()
	done := make(chan error, 2)
	err := s.Batch(bg, func(ctx context.Context) error {
		if err := insertLease(s, ctx, "held"); err != nil { // the batch has the write lock now
			return err
		}
		go func() {
			done <- s.Batch(bg, func(ctx context.Context) error { return insertLease(s, ctx, "batch") })
		}()
		if !waitFor(func() bool { return s.waiting[aBatch].Load() == 1 }) {
			t.Fatal("the second batch never waited")
		}
		if s.WriterWaiting() {
			t.Error("another batch waiting counts as a write waiting")
		}
		go func() { done <- insertLease(s, bg, "after") }()
		if !waitFor(s.WriterWaiting) {
			t.Error("a write waiting for the batch does not show")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatalf("a waiting write: %v", err)
		}
	}
	if s.WriterWaiting() {
		t.Error("a writer still shows as waiting after it wrote")
	}
	if !leaseHeld(t, s, bg, "after") || !leaseHeld(t, s, bg, "batch") {
		t.Error("a waiting write was lost")
	}
}

// In a batch, whether a server or an actor is blocked is read once (the
// inbox worker asks for every activity of one actor), and a block made in
// the batch is seen at once.
func TestBatchRemembersBlocks(t *testing.T) {
	s := newStore(t)
	bg := context.Background()
	err := s.Batch(bg, func(ctx context.Context) error {
		for _, check := range []func() (bool, error){
			func() (bool, error) { return s.DomainBlocked(ctx, "spam.example") },
			func() (bool, error) { return s.ActorBlocked(ctx, "https://spam.example/u") },
		} {
			if blocked, err := check(); err != nil || blocked {
				t.Fatalf("before any block: %v %v", blocked, err)
			}
		}
		// Rows written behind the store's back (no one else can, while the
		// batch holds the write lock) are not read again.
		if err := s.tx(ctx, func(tx *Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO blocked_domains (domain, reason, created_at) VALUES ('spam.example', '', '')`); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO blocked_actors (actor, reason, created_at) VALUES ('https://spam.example/u', '', '')`)
			return err
		}); err != nil {
			return err
		}
		if blocked, _ := s.DomainBlocked(ctx, "spam.example"); blocked {
			t.Error("the batch read the domain's block again: it does not remember")
		}
		if err := s.BlockDomain(ctx, "spam.example", "spam", 0, time.Now(), &instance.ModLog{Action: "block domain", Subject: "spam.example", CreatedAt: time.Now()}); err != nil {
			return err
		}
		if blocked, err := s.DomainBlocked(ctx, "spam.example"); err != nil || !blocked {
			t.Errorf("a domain blocked in the batch: blocked %v (%v), want true", blocked, err)
		}
		if blocked, err := s.ActorBlocked(ctx, "https://spam.example/u"); err != nil || !blocked {
			t.Errorf("an actor blocked in the batch: blocked %v (%v), want true", blocked, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
