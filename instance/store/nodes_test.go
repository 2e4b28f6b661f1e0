package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/store/pgtest"
)

// twoNodes opens two Store handles on one new database, as two nodes
// would: one SQLite file, or one PostgreSQL database with
// HEARTH_TEST_POSTGRES.
func twoNodes(t *testing.T) (a, b *Store) {
	t.Helper()
	ctx := context.Background()
	var open func() (*Store, error)
	if pgtest.Enabled() {
		dsn := pgtest.NewMigratedDatabase(t, "store", migratePostgresTemplate)
		open = func() (*Store, error) { return OpenPostgres(ctx, dsn) }
	} else {
		path := filepath.Join(t.TempDir(), "hearth.db")
		open = func() (*Store, error) { return Open(ctx, path) }
	}
	var err error
	if a, err = open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// A lease has one holder at a time: another node is refused while it
// runs, the holder renews it, and once it has run out anyone may take it.
func TestLeaseOneHolderUntilItRunsOut(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	take := func(holder string, now time.Time) bool {
		t.Helper()
		ok, err := s.TakeLease(ctx, "sweep:items", holder, now, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take("a", t0) {
		t.Fatal("a free lease was refused")
	}
	if take("b", t0.Add(30*time.Second)) {
		t.Error("b took a lease a holds")
	}
	if !take("a", t0.Add(50*time.Second)) {
		t.Error("a could not renew its own lease")
	}
	// a renewed until t0+110s: b is still refused at t0+100s.
	if take("b", t0.Add(100*time.Second)) {
		t.Error("b took a renewed lease before it ran out")
	}
	if !take("b", t0.Add(110*time.Second)) {
		t.Error("b could not take a lease that ran out")
	}
	if take("a", t0.Add(120*time.Second)) {
		t.Error("a took back the lease b holds now")
	}
	if err := s.ReleaseLease(ctx, "sweep:items", "a"); err != nil {
		t.Fatal(err)
	}
	if take("a", t0.Add(121*time.Second)) {
		t.Error("a released a lease it does not hold")
	}
	if err := s.ReleaseLease(ctx, "sweep:items", "b"); err != nil {
		t.Fatal(err)
	}
	if !take("a", t0.Add(122*time.Second)) {
		t.Error("a released lease was not free")
	}
	got, err := s.TakeLeases(ctx, []string{"sweep:items", "inbox:x"}, "b", t0.Add(123*time.Second), t0.Add(time.Hour))
	if err != nil || len(got) != 1 || got[0] != "inbox:x" {
		t.Errorf("TakeLeases = %v, %v; want only the free inbox:x", got, err)
	}
}

// Many claimers at once, on two Store handles of one database (two
// nodes): each row is claimed by one of them only, and all are claimed.
func TestFedEventClaimsNeverOverlap(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	const events = 60
	if err := a.tx(ctx, func(tx *Tx) error {
		for i := range events {
			if err := fedEvent(ctx, tx, instance.SubjectFollow, int64(i+1), t0); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	claimOnTwoNodes(t, a, b, "event", events, true, func(s *Store, _, _ int) ([]int64, error) {
		got, err := s.ClaimFedEvents(ctx, t0, t0.Add(time.Minute), 4)
		var ids []int64
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		return ids, err
	})
	// Claimed ones are not due again until the lease runs out; a retried
	// one waits for its next attempt, not for the lease.
	if got, _ := a.ClaimFedEvents(ctx, t0.Add(59*time.Second), t0.Add(2*time.Minute), 100); len(got) != 0 {
		t.Errorf("%d events claimed again within the lease", len(got))
	}
	if err := a.RetryFedEvent(ctx, 1, "down", t0.Add(10*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	got, err := a.ClaimFedEvents(ctx, t0.Add(30*time.Second), t0.Add(2*time.Minute), 100)
	if err != nil || len(got) != 1 || got[0].ID != 1 || got[0].Attempts != 1 {
		t.Errorf("after a retry: claimed %+v (%v), want event 1 alone", got, err)
	}
	got, err = b.ClaimFedEvents(ctx, t0.Add(time.Minute), t0.Add(3*time.Minute), 100)
	if err != nil || len(got) != events-1 || got[0].ID != 2 {
		t.Errorf("after the lease ran out: claimed %d (%v), want the %d others, oldest first", len(got), err, events-1)
	}
}

// A block made through one Store handle changes BlocksVersion of another
// handle on the same database within a second (blocksRecheck), so the
// other node's cached blocks reload; the handle that made it sees the
// change at once.
func TestBlocksVersionReachesOtherNodes(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	va, vb := a.BlocksVersion(), b.BlocksVersion()
	if err := a.BlockDomain(ctx, "spam.example", "spam", 0, t0, &instance.ModLog{Action: "block domain", Subject: "spam.example", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if a.BlocksVersion() == va {
		t.Error("the node that made the block did not see it at once")
	}
	deadline := time.Now().Add(time.Second)
	for b.BlocksVersion() == vb {
		if time.Now().After(deadline) {
			t.Fatal("another node's BlocksVersion did not change within a second of a block")
		}
		time.Sleep(10 * time.Millisecond) // polling an observable value, with a deadline
	}
	vb = b.BlocksVersion()
	if err := a.UnblockDomain(ctx, "spam.example", &instance.ModLog{Action: "unblock domain", Subject: "spam.example", CreatedAt: t0}, t0); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(time.Second)
	for b.BlocksVersion() == vb {
		if time.Now().After(deadline) {
			t.Fatal("another node's BlocksVersion did not change within a second of an unblock")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The throttle counts and records in one step: of many attempts at once
// on two handles, exactly max are taken; the window slides; a refund
// takes back one attempt and a reset all.
func TestThrottleTakeIsOneStepAcrossNodes(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	since := t0.Add(-15 * time.Minute)
	var mu sync.Mutex
	took := 0
	var wg sync.WaitGroup
	for i := range 40 {
		s := []*Store{a, b}[i%2]
		wg.Go(func() {
			ok, err := s.TakeThrottle(ctx, "login/acct:ann", 10, since, t0)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				took++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if took != 10 {
		t.Errorf("%d attempts taken, want 10", took)
	}
	if n, err := b.CountThrottle(ctx, "login/acct:ann", since); err != nil || n != 10 {
		t.Errorf("count = %d (%v), want 10", n, err)
	}
	if err := b.RefundThrottle(ctx, "login/acct:ann", since); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.TakeThrottle(ctx, "login/acct:ann", 10, since, t0); !ok {
		t.Error("a refunded attempt was not given back")
	}
	if ok, _ := a.TakeThrottle(ctx, "login/acct:ann", 10, since, t0); ok {
		t.Error("an eleventh attempt was taken")
	}
	// The window slides: 15 minutes later the old attempts no longer count.
	if ok, _ := a.TakeThrottle(ctx, "login/acct:ann", 10, t0, t0.Add(15*time.Minute)); !ok {
		t.Error("an attempt after the window was refused")
	}
	if err := a.ResetThrottle(ctx, "login/acct:ann"); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.CountThrottle(ctx, "login/acct:ann", since); n != 0 {
		t.Errorf("%d attempts left after a reset", n)
	}
	if err := a.RecordThrottle(ctx, "limits/post:1", t0); err != nil {
		t.Fatal(err)
	}
	if n, err := a.PruneThrottles(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("pruned %d (%v), want 1", n, err)
	}
}

// Deliveries claimed at once by workers on two nodes: each is claimed by
// one worker only (the claim re-checks the lease in its own statement;
// on PostgreSQL rows being claimed by another node are skipped).
func TestDeliveryClaimsNeverOverlap(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	const n = 80
	var list []*instance.Delivery
	for i := range n {
		list = append(list, delivery("a.example", i))
	}
	if err := a.EnqueueDeliveries(ctx, list, t0); err != nil {
		t.Fatal(err)
	}
	due, err := a.DueDeliveries(ctx, t0, n)
	if err != nil || len(due) != n {
		t.Fatalf("%d due (%v), want %d", len(due), err, n)
	}
	ids := make([]int64, n)
	for i, d := range due {
		ids[i] = d.ID
	}
	// Every worker asks for every row, in its own order: only the lease
	// decides who gets one.
	claimOnTwoNodes(t, a, b, "delivery", n, false, func(s *Store, w, i int) ([]int64, error) {
		got, err := s.ClaimDeliveries(ctx, []int64{ids[(i*7+w*13)%n]}, t0, t0.Add(time.Minute))
		var claimed []int64
		for _, d := range got {
			claimed = append(claimed, d.ID)
		}
		return claimed, err
	})
}

// Each node's inbox limit counts replace its earlier ones; a node reads
// the others' sums, never its own; counts older than since are forgotten.
func TestShareRateCounts(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	if _, err := a.ShareRateCounts(ctx, "a", map[string]int{"host:x": 3, "host:y": 1}, t0, t0.Add(-5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ShareRateCounts(ctx, "a", map[string]int{"host:x": 2}, t0.Add(time.Second), t0.Add(-5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	others, err := b.ShareRateCounts(ctx, "b", map[string]int{"host:x": 1}, t0.Add(2*time.Second), t0.Add(-5*time.Minute))
	if err != nil || len(others) != 1 || others["host:x"] != 2 {
		t.Errorf("b sees %v (%v), want a's latest: host:x 2", others, err)
	}
	others, err = a.ShareRateCounts(ctx, "a", nil, t0.Add(3*time.Second), t0.Add(-5*time.Minute))
	if err != nil || len(others) != 1 || others["host:x"] != 1 {
		t.Errorf("a sees %v (%v), want b's: host:x 1", others, err)
	}
	others, err = a.ShareRateCounts(ctx, "a", nil, t0.Add(5*time.Minute), t0.Add(3*time.Second))
	if err != nil || len(others) != 0 {
		t.Errorf("a sees %v (%v) after b's counts aged out, want none", others, err)
	}
}

// Mail claimed at once by workers on two nodes: each mail is held by one
// worker only, and a claim whose lease ran out is taken over.
func TestMailClaimsNeverOverlap(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	const n = 60
	var mails []instance.Mail
	for i := range n {
		mails = append(mails, instance.Mail{To: fmt.Sprintf("m%d@example.org", i), Lang: "en", Subject: "s", Text: "t"})
	}
	if err := a.EnqueueMail(ctx, mails, t0); err != nil {
		t.Fatal(err)
	}
	claimOnTwoNodes(t, a, b, "mail", n, true, func(s *Store, _, _ int) ([]int64, error) {
		got, err := s.ClaimMail(ctx, t0, time.Minute, 3)
		var ids []int64
		for _, m := range got {
			ids = append(ids, m.ID)
		}
		return ids, err
	})
	if got, _ := b.ClaimMail(ctx, t0.Add(59*time.Second), time.Minute, 100); len(got) != 0 {
		t.Errorf("%d mails claimed again within the lease", len(got))
	}
	if got, _ := b.ClaimMail(ctx, t0.Add(time.Minute), time.Minute, 100); len(got) != n {
		t.Errorf("%d mails taken over after the lease ran out, want %d", len(got), n)
	}
}

// claimOnTwoNodes runs six claimers at once, alternately on a and b, each
// calling claim want times at most (and stopping at an empty claim if
// stopWhenEmpty: with claims that overlap, that bound still ends the
// test), then checks that want rows were claimed, each once.
func claimOnTwoNodes(t *testing.T, a, b *Store, what string, want int, stopWhenEmpty bool, claim func(s *Store, worker, round int) ([]int64, error)) {
	t.Helper()
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for w := range 6 {
		s := []*Store{a, b}[w%2]
		wg.Go(func() {
			for i := range want {
				got, err := claim(s, w, i)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 && stopWhenEmpty {
					return
				}
				mu.Lock()
				for _, id := range got {
					seen[id]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != want {
		t.Errorf("%d %ss claimed, want %d", len(seen), what, want)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s %d claimed %d times", what, id, k)
		}
	}
}
