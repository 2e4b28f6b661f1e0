package federation

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
	"hearth/instance/store"
)

// A delivery that fails with 503 stays queued with its error and next
// attempt; it survives a restart (a new store and federation on the same
// file) and is delivered, re-signed with a fresh Date, once the server is
// back. 4xx other than 408/429 is final.
func TestDeliveryRetryAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.db")
	r := fedtest.New(t, "alice")
	r.Status = http.StatusServiceUnavailable
	now := time.Now()
	clock := func() time.Time { return now }

	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := instance.New(instance.Options{Store: st, Clock: clock})
	svc.EnsureMainGroup(ctx, "village", "Village")
	// The fake fetches our actor to verify our signature: serve it.
	var current *Federation
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { current.ServeHTTP(w, r) }))
	defer srv.Close()
	fed := New(Options{Store: st, Service: svc, BaseURL: srv.URL, Clock: clock, AllowPrivateAddresses: true})
	current = fed
	if err := st.EnqueueDeliveries(ctx, []*instance.Delivery{{Inbox: r.URL + "/inbox", Host: "127.0.0.1", Signer: "instance",
		ActivityID: srv.URL + "/activities/x", Body: []byte(`{"id":"x","type":"Like","actor":"` + srv.URL + `/actor"}`)}}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := fed.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	stats, _ := st.DeliveryStats(ctx)
	due, _ := st.DueDeliveries(ctx, now.Add(2*time.Minute), 10)
	if stats["pending"] != 1 || len(due) != 1 || !strings.Contains(due[0].LastError, "503") || due[0].Attempts != 1 {
		t.Fatalf("after a 503: %v, due %v", stats, due)
	}
	firstDate := r.Received()[0].Header.Get("Date")
	st.Close()

	// Restart: new store, new federation, the server is back.
	st, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now = now.Add(2 * time.Minute)
	r.Status = 0
	svc, _ = instance.New(instance.Options{Store: st, Clock: clock})
	fed = New(Options{Store: st, Service: svc, BaseURL: srv.URL, Clock: clock, AllowPrivateAddresses: true})
	current = fed
	if n, err := fed.Deliver(ctx); err != nil || n != 1 {
		t.Fatalf("deliver after restart: %d %v", n, err)
	}
	stats, _ = st.DeliveryStats(ctx)
	if stats["done"] != 1 {
		t.Fatalf("after restart: %v; fake failures %v", stats, r.Failures())
	}
	got := r.Received()
	if len(got) != 2 || got[1].Header.Get("Date") == firstDate {
		t.Errorf("retry not re-signed: %d requests, dates %q %q", len(got), firstDate, got[len(got)-1].Header.Get("Date"))
	}

	// A 410 is final.
	r.Status = http.StatusGone
	st.EnqueueDeliveries(ctx, []*instance.Delivery{{Inbox: r.URL + "/inbox", Host: "127.0.0.1", Signer: "instance",
		ActivityID: "y", Body: []byte(`{"id":"y","type":"Like","actor":"` + srv.URL + `/actor"}`)}}, now)
	fed.Deliver(ctx)
	stats, _ = st.DeliveryStats(ctx)
	if stats["failed"] != 1 {
		t.Errorf("after a 410: %v", stats)
	}
}

// deliveryStatus reads one delivery's status.
func deliveryStatus(t *testing.T, st *store.Store, id int64) string {
	t.Helper()
	var s string
	if err := st.DB().QueryRow(st.SQL(`SELECT status FROM deliveries WHERE id = ?`), id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// A post to 20 servers, 4 of which hang: each healthy server's delivery
// is recorded done as soon as it answers, while the hung ones are still
// in flight (the worker used to record a batch only when its slowest POST
// ended, 20 s later).
func TestHealthyDeliveryRecordedWhileHungHostsHang(t *testing.T) {
	fl := newFleet(t, 20)
	hung := map[string]bool{}
	for h := 0; h < 4; h++ {
		fl.inbox(h).setHang(true)
		hung[fl.inbox(h).host] = true
	}
	n := newNode(t, func(o *Options) { o.Client = fl.client })
	if err := n.st.EnqueueDeliveries(ctx, fl.deliveries("https://example.test/a", seq(0, 20)...), time.Now()); err != nil {
		t.Fatal(err)
	}
	started, err := n.fed.startDeliveries(ctx)
	if err != nil || len(started) != 20 {
		t.Fatalf("started %d deliveries (%v), want all 20 at once", len(started), err)
	}
	for _, s := range started {
		if !hung[s.d.Host] {
			waitDone(t, s.done, "a healthy delivery to be recorded")
		}
	}
	// The hung attempts have reached their servers (on a busy machine one
	// may still be connecting when the healthy ones are done).
	fl.waitArrivals(len(hung), func(a arrival) bool { return hung[a.host] })
	for _, s := range started {
		inFlight, _, _ := fl.inboxes[s.d.Host].stats()
		switch got := deliveryStatus(t, n.st, s.d.ID); {
		case hung[s.d.Host] && (got != "pending" || inFlight != 1):
			t.Errorf("%s: %s with %d in flight, want pending and still in flight", s.d.Host, got, inFlight)
		case !hung[s.d.Host] && got != "done":
			t.Errorf("%s answered but its delivery is %q while the hung hosts hang", s.d.Host, got)
		}
	}
	for _, in := range fl.inboxes {
		in.unhang()
	}
	for _, s := range started {
		waitDone(t, s.done, "a released delivery")
		if got := deliveryStatus(t, n.st, s.d.ID); got != "done" {
			t.Errorf("%s after release: %s", s.d.Host, got)
		}
	}
}

// Twelve followers on one server without a shared inbox: their personal
// inboxes are delivered in parallel, but never more than the per-host
// limit (4) at once, and another server's follower is not held up by them.
func TestDeliveryPerHostLimit(t *testing.T) {
	fl := newFleet(t, 2)
	slow := fl.inbox(0)
	slow.setHang(true)
	n := newNode(t, func(o *Options) { o.Client = fl.client })
	var list []*instance.Delivery
	for i := 0; i < 12; i++ {
		list = append(list, &instance.Delivery{Inbox: fmt.Sprintf("http://host0.test/users/u%d/inbox", i), Host: "host0.test",
			Signer: "group:village", ActivityID: "https://example.test/a", Body: []byte(`{"id":"https://example.test/a"}`)})
	}
	list = append(list, fl.deliveries("https://example.test/a", 1)...)
	if err := n.st.EnqueueDeliveries(ctx, list, time.Now()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var delivered int
	go func() {
		defer close(done)
		delivered, _ = n.fed.Deliver(ctx)
	}()
	// The other server's follower and four of the twelve arrive while the
	// slow server holds every request it gets.
	fl.waitArrivals(5, func(arrival) bool { return true })
	if _, _, got := fl.inbox(1).stats(); got != 1 {
		t.Fatalf("the other server got %d deliveries, want 1", got)
	}
	for i := 0; i < 12; i++ {
		slow.step <- struct{}{} // let one hanging request answer; the next starts
	}
	waitDone(t, done, "Deliver")
	if _, max, got := slow.stats(); max != 4 || got != 12 {
		t.Errorf("slow server: %d received, at most %d at once; want 12, at most 4 (and 4 reached)", got, max)
	}
	if stats, _ := n.st.DeliveryStats(ctx); delivered != 13 || stats["done"] != 13 {
		t.Errorf("delivered %d, stats %v; want 13 done", delivered, stats)
	}
}

// A host that answers 503 (or refuses connections) has its circuit
// opened: deliveries queued for it wait until its backoff ends instead of
// each trying it, then one probe goes; when a probe succeeds the rest
// follow. Other hosts are delivered meanwhile.
func TestHostCircuitBackoff(t *testing.T) {
	fl := newFleet(t, 3)
	down := fl.inbox(0)
	down.setStatus(http.StatusServiceUnavailable)
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Client = fl.client; o.Clock = clock.now })
	t0 := clock.now()
	received := func() int { _, _, got := down.stats(); return got }
	deliver := func() int {
		t.Helper()
		k, err := n.fed.Deliver(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	n.st.EnqueueDeliveries(ctx, fl.deliveries("https://example.test/1", 0), t0)
	if k := deliver(); k != 1 || received() != 1 {
		t.Fatalf("first attempt: %d attempted, %d received", k, received())
	}
	if st, _ := n.st.HostState(ctx, "host0.test"); st.Failures != 1 || !st.RetryAt.Equal(t0.Add(30*time.Second).Truncate(time.Millisecond)) {
		t.Fatalf("after a 503: host state %+v, want 1 failure and the circuit open for 30 s", st)
	}
	// A new post: five followers on the down host, one elsewhere.
	var list []*instance.Delivery
	for i := 0; i < 5; i++ {
		list = append(list, &instance.Delivery{Inbox: fmt.Sprintf("http://host0.test/users/u%d/inbox", i), Host: "host0.test",
			Signer: "group:village", ActivityID: "https://example.test/2", Body: []byte(`{}`)})
	}
	n.st.EnqueueDeliveries(ctx, append(list, fl.deliveries("https://example.test/2", 1)...), t0)
	if k := deliver(); k != 1 || received() != 1 {
		t.Errorf("during the backoff: %d attempted (want only the healthy host's), the down host received %d (want 1)", k, received())
	}
	clock.advance(29 * time.Second)
	if k := deliver(); k != 0 || received() != 1 {
		t.Errorf("1 s before the backoff ends: %d attempted, down host received %d", k, received())
	}
	clock.advance(2 * time.Second)
	if k := deliver(); k != 1 || received() != 2 {
		t.Errorf("backoff over: %d attempted, down host received %d; want one probe", k, received())
	}
	if st, _ := n.st.HostState(ctx, "host0.test"); st.Failures != 2 || !st.RetryAt.After(clock.now().Add(59*time.Second)) {
		t.Errorf("after a failed probe: %+v, want 2 failures and a minute's backoff", st)
	}
	down.setStatus(0)
	clock.advance(61 * time.Second)
	if k := deliver(); k != 6 || received() != 8 {
		t.Errorf("host back: %d attempted (want the 6 waiting), received %d (want 8)", k, received())
	}
	if stats, _ := n.st.DeliveryStats(ctx); stats["done"] != 7 || stats["pending"] != 0 {
		t.Errorf("at the end: %v, want 7 done", stats)
	}
	if st, _ := n.st.HostState(ctx, "host0.test"); st.Failures != 0 || !st.RetryAt.IsZero() || !st.FailingSince.IsZero() {
		t.Errorf("a success did not close the circuit: %+v", st)
	}

	// A refused connection opens the circuit too.
	fl.inbox(2).srv.Close()
	n.st.EnqueueDeliveries(ctx, fl.deliveries("https://example.test/3", 2), clock.now())
	deliver()
	if st, _ := n.st.HostState(ctx, "host2.test"); st.Failures != 1 || st.RetryAt.IsZero() {
		t.Errorf("after a refused connection: %+v, want the circuit open", st)
	}
}

// A crash in the middle of a post's deliveries: what had finished is
// recorded and not sent again; only what was in flight is. Both when the
// worker is stopped (its context ends: the hung attempts give their claims
// back) and when the process vanishes (kill -9: nothing more is written,
// the claims run out).
func TestCrashMidDeliveryResendsOnlyInFlight(t *testing.T) {
	for _, vanish := range []bool{false, true} {
		t.Run(map[bool]string{false: "stopped", true: "vanished"}[vanish], func(t *testing.T) {
			fl := newFleet(t, 20)
			hung := map[string]bool{}
			for h := 0; h < 4; h++ {
				fl.inbox(h).setHang(true)
				hung[fl.inbox(h).host] = true
			}
			clock := &testClock{t: time.Now().UTC()}
			n := newNode(t, func(o *Options) { o.Client = fl.client; o.Clock = clock.now })
			n.st.EnqueueDeliveries(ctx, fl.deliveries("https://example.test/a", seq(0, 20)...), clock.now())
			// The process that crashes has its own connections to the file.
			if n.st.Postgres() {
				t.Skip("two stores on one SQLite file; on PostgreSQL two nodes share the database (the multi-node test)")
			}
			var path string
			if err := n.st.DB().QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
				t.Fatal(err)
			}
			st1, err := store.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer st1.Close()
			old := New(Options{Store: st1, Service: n.svc, BaseURL: n.url, Client: fl.client, Clock: clock.now})
			runCtx, crash := context.WithCancel(ctx)
			defer crash()
			started, err := old.startDeliveries(runCtx)
			if err != nil || len(started) != 20 {
				t.Fatalf("started %d (%v)", len(started), err)
			}
			for _, s := range started {
				if !hung[s.d.Host] {
					waitDone(t, s.done, "a healthy delivery")
				}
			}
			// The crash comes only once the hung attempts are at their
			// servers: an attempt still connecting would never be counted.
			fl.waitArrivals(4, func(a arrival) bool { return hung[a.host] })
			if vanish {
				st1.Close() // from here on the old process writes nothing
			}
			crash()
			for _, s := range started {
				waitDone(t, s.done, "the old process's attempts to end")
			}
			// The restarted instance: same database, the servers all answer now.
			for _, in := range fl.inboxes {
				in.unhang()
			}
			restarted := New(Options{Store: n.st, Service: n.svc, BaseURL: n.url, Client: fl.client, Clock: clock.now})
			if vanish {
				if k, err := restarted.Deliver(ctx); err != nil || k != 0 {
					t.Errorf("while the dead process's claims last: %d attempted (%v), want none", k, err)
				}
				clock.advance(deliveryLease + time.Second) // its claims run out
			}
			if k, err := restarted.Deliver(ctx); err != nil || k != 4 {
				t.Errorf("after the crash: %d attempted (%v), want only the 4 that were in flight", k, err)
			}
			for h, in := range fl.inboxes {
				_, _, got := in.stats()
				want := 1
				if hung[h] {
					want = 2
				}
				if got != want {
					t.Errorf("%s received %d, want %d", h, got, want)
				}
			}
			if stats, _ := n.st.DeliveryStats(ctx); stats["done"] != 20 {
				t.Errorf("at the end: %v", stats)
			}
		})
	}
}
