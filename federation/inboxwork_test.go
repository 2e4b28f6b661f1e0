package federation

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// String is everything logged so far (logBuffer is in domain_test.go).
func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// queue puts an activity in the inbox queue as the inbox does once it has
// verified it (the worker does not verify again).
func queue(t *testing.T, n *node, now time.Time, activity map[string]any) {
	t.Helper()
	body, _ := json.Marshal(activity)
	row := &instance.InboxRow{ActivityID: activity["id"].(string), Actor: activity["actor"].(string), Type: activity["type"].(string), Body: body}
	if _, err := n.st.EnqueueInboxBatch(ctx, []*instance.InboxRow{row}, now); err != nil {
		t.Fatal(err)
	}
}

type inboxRowState struct {
	attempts  int
	next, err string
	processed bool
}

func inboxRow(t *testing.T, n *node, activityID string) inboxRowState {
	t.Helper()
	var s inboxRowState
	var processed sql.NullString
	if err := n.st.DB().QueryRow(n.st.SQL(`SELECT attempts, next_attempt_at, processed_at, error FROM inbox_queue WHERE activity_id = ?`), activityID).
		Scan(&s.attempts, &s.next, &processed, &s.err); err != nil {
		t.Fatal(err)
	}
	s.processed = processed.Valid
	return s
}

func process(t *testing.T, n *node) int {
	t.Helper()
	k, err := n.fed.ProcessInbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func actorUpdate(r *fedtest.Remote, user, id string) map[string]any {
	return map[string]any{"id": r.Actor(user) + "#update-" + id, "type": "Update", "actor": r.Actor(user),
		"object": map[string]any{"id": r.Actor(user), "type": "Person"}}
}

// A failing activity (its actor's server answers 503 when we refetch the
// actor) is retried at 30 s, 2 min, 10 min… of the injected clock, never
// before; it succeeds once the server is back. One that keeps failing is
// given up two days after it arrived, with an error in the log.
func TestInboxRetryBackoff(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	logs := &logBuffer{}
	n := newNode(t, func(o *Options) {
		o.Clock = clock.now
		o.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	})
	r := fedtest.New(t, "alice")
	r.FailGets(http.StatusServiceUnavailable)
	update := actorUpdate(r, "alice", "1")
	id := update["id"].(string)
	queue(t, n, clock.now(), update)
	gets := 0
	step := func(wait time.Duration, wantHandled int, wantAttempts int) {
		t.Helper()
		clock.advance(wait)
		if k := process(t, n); k != wantHandled {
			t.Errorf("after %v more: handled %d, want %d", wait, k, wantHandled)
		}
		if wantHandled > 0 {
			gets++
		}
		if got := len(r.Gets()); got != gets {
			t.Errorf("after %v more: the server got %d fetches, want %d", wait, got, gets)
		}
		if row := inboxRow(t, n, id); row.attempts != wantAttempts || row.processed {
			t.Errorf("after %v more: %+v, want %d attempts and still queued", wait, row, wantAttempts)
		}
	}
	step(0, 1, 1)
	if row := inboxRow(t, n, id); !strings.Contains(row.err, "503") {
		t.Errorf("error kept: %q", row.err)
	}
	step(29*time.Second, 0, 1)
	step(time.Second, 1, 2)
	step(2*time.Minute-time.Second, 0, 2)
	step(time.Second, 1, 3)
	step(10*time.Minute-time.Second, 0, 3)
	r.FailGets(0)
	clock.advance(time.Second)
	if k := process(t, n); k != 1 {
		t.Fatalf("server back: handled %d", k)
	}
	if row := inboxRow(t, n, id); !row.processed || row.err != "" {
		t.Errorf("after success: %+v", row)
	}

	// Given up after two days, not before.
	r.FailGets(http.StatusServiceUnavailable)
	bad := actorUpdate(r, "alice", "2")
	received := clock.now()
	queue(t, n, received, bad)
	for i := 0; i < 30 && !inboxRow(t, n, bad["id"].(string)).processed; i++ {
		row := inboxRow(t, n, bad["id"].(string))
		if next, err := time.Parse(time.RFC3339Nano, row.next); err == nil && next.After(clock.now()) {
			clock.advance(next.Sub(clock.now()))
		}
		process(t, n)
		if row := inboxRow(t, n, bad["id"].(string)); row.processed && clock.now().Sub(received) <= inboxGiveUpAfter {
			t.Fatalf("given up after %v, before two days", clock.now().Sub(received))
		}
	}
	row := inboxRow(t, n, bad["id"].(string))
	if !row.processed || !strings.Contains(row.err, "503") {
		t.Fatalf("not given up: %+v", row)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR","msg":"inbound activity given up"`) ||
		!strings.Contains(logs.String(), bad["id"].(string)) {
		t.Errorf("no error log line for the activity given up:\n%s", logs.String())
	}
}

// An error that retrying cannot fix (a body that is not JSON, an actor
// that is gone) is final at once.
func TestInboxPermanentFailureNotRetried(t *testing.T) {
	n := newNode(t)
	if _, err := n.st.EnqueueInboxBatch(ctx, []*instance.InboxRow{{ActivityID: "https://x.example/1", Actor: "https://x.example/users/x",
		Type: "Create", Body: []byte(`{not json`)}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if k := process(t, n); k != 1 {
		t.Fatalf("handled %d", k)
	}
	if row := inboxRow(t, n, "https://x.example/1"); !row.processed || row.err == "" {
		t.Errorf("unreadable body: %+v, want finished with its error", row)
	}
}

// One actor's activities keep their order: Create, Update and Delete of
// a reply, where the Create fails at first (the author's server is down
// when we fetch the author): the Update and the Delete wait for it, so
// the reply ends deleted, not resurrected by a late Create. Another
// actor's activity is not held by them.
func TestInboxKeepsOneActorsOrder(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	it := n.postNeed("public")
	alice, other := fedtest.New(t, "alice"), fedtest.New(t, "bob")
	alice.FailGets(http.StatusServiceUnavailable)
	note := alice.Actor("alice") + "/statuses/1"
	item := fmt.Sprintf("%s/needs/%d", n.url, it.ID)
	obj := func(content string) map[string]any {
		return map[string]any{"id": note, "type": "Note", "attributedTo": alice.Actor("alice"), "inReplyTo": item, "content": content,
			"to": []string{"https://www.w3.org/ns/activitystreams#Public"}}
	}
	activities := []map[string]any{
		{"id": note + "/create", "type": "Create", "actor": alice.Actor("alice"), "object": obj("<p>I can help.</p>")},
		{"id": note + "/update", "type": "Update", "actor": alice.Actor("alice"), "object": obj("<p>I can help on Tuesday.</p>")},
		{"id": note + "/delete", "type": "Delete", "actor": alice.Actor("alice"), "object": note},
	}
	for _, a := range activities {
		queue(t, n, clock.now(), a)
	}
	accept := map[string]any{"id": other.Actor("bob") + "#accept-1", "type": "Accept", "actor": other.Actor("bob"),
		"object": n.group() + "#follow-1"}
	queue(t, n, clock.now(), accept)
	if k := process(t, n); k != 2 {
		t.Errorf("first round handled %d, want the failing Create and the other actor's Accept", k)
	}
	if row := inboxRow(t, n, accept["id"].(string)); !row.processed {
		t.Errorf("the other actor's activity waited behind the failing one: %+v", row)
	}
	for _, a := range activities[1:] {
		if row := inboxRow(t, n, a["id"].(string)); row.processed || row.attempts != 0 {
			t.Errorf("%s ran before the Create it follows: %+v", a["type"], row)
		}
	}
	alice.FailGets(0)
	clock.advance(30 * time.Second)
	if k := process(t, n); k != 3 {
		t.Errorf("after the backoff: handled %d, want the three in order", k)
	}
	var deleted sql.NullString
	if err := n.st.DB().QueryRow(n.st.SQL(`SELECT deleted_at FROM responses WHERE ap_id = ?`), note).Scan(&deleted); err != nil {
		t.Fatalf("the reply was never stored: %v", err)
	}
	if !deleted.Valid {
		t.Error("the reply is shown: its Delete ran before its Create")
	}
}

// One slow server cannot hold the inbox: its actors get at most half the
// workers (their fetches hang), and another server's activity, arriving
// after, is handled meanwhile. Each activity's fetches end at the
// worker's timeout.
func TestInboxSlowHostDoesNotHoldOthers(t *testing.T) {
	fl := newFleet(t, 2)
	slow := fl.inbox(0)
	slow.setHang(true)
	n := newNode(t, func(o *Options) { o.Client = fl.client })
	now := time.Now()
	for i := 0; i < 10; i++ {
		actor := fmt.Sprintf("http://host0.test/users/u%d", i)
		queue(t, n, now, map[string]any{"id": actor + "#follow", "type": "Follow", "actor": actor, "object": n.group()})
	}
	first, err := n.fed.startLanes(ctx)
	if err != nil || len(first) != defaultInboxWorkers/2 {
		t.Fatalf("slow host: %d lanes (%v), want %d (half the workers)", len(first), err, defaultInboxWorkers/2)
	}
	fl.waitArrivals(len(first), func(a arrival) bool { return a.host == "host0.test" })
	queue(t, n, now, map[string]any{"id": "http://host1.test/users/v#accept", "type": "Accept", "actor": "http://host1.test/users/v",
		"object": n.group() + "#follow-1"})
	second, err := n.fed.startLanes(ctx)
	if err != nil || len(second) != 1 || second[0].host != "host1.test" {
		t.Fatalf("after the slow host took its share: %v (%v), want the other host's lane", second, err)
	}
	waitDone(t, second[0].done, "the other host's activity")
	if row := inboxRow(t, n, "http://host1.test/users/v#accept"); !row.processed {
		t.Errorf("other host's activity: %+v", row)
	}
	if inFlight, _, _ := slow.stats(); inFlight != len(first) {
		t.Errorf("the slow host has %d fetches in flight, want %d still hanging", inFlight, len(first))
	}
	slow.unhang()
	for _, l := range first {
		waitDone(t, l.done, "a slow lane")
	}
	if _, max, _ := slow.stats(); max > defaultInboxWorkers/2 {
		t.Errorf("the slow host had %d fetches at once, more than half the workers", max)
	}
}

// A fetch that hangs ends at the worker's timeout (10 s; 100 ms here): the
// activity is scheduled for its retry and the worker moves on, instead of
// waiting for the fetch's own, longer timeout.
func TestInboxFetchTimeout(t *testing.T) {
	fl := newFleet(t, 1)
	fl.inbox(0).setHang(true)
	n := newNode(t, func(o *Options) { o.Client = fl.client })
	n.fed.inboxTimeout = 100 * time.Millisecond
	actor := "http://host0.test/users/u"
	queue(t, n, time.Now(), map[string]any{"id": actor + "#follow", "type": "Follow", "actor": actor, "object": n.group()})
	done := make(chan struct{})
	go func() { defer close(done); process(t, n) }()
	// A bound far beyond the timeout: the test fails instead of hanging
	// for the fetch's own 20 s if the worker's timeout is missing.
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the worker is still waiting for a fetch that hangs")
	}
	if row := inboxRow(t, n, actor+"#follow"); row.processed || row.attempts != 1 || !strings.Contains(row.err, "deadline exceeded") {
		t.Errorf("after the timeout: %+v, want one attempt, scheduled for retry", row)
	}
	fl.inbox(0).unhang()
}

// An activity that keeps failing holds its actor's later activities only
// for its first four attempts (about twelve minutes), then is retried on
// its own and they go ahead.
func TestInboxFailingActivityHoldsItsActorForMinutes(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	r := fedtest.New(t, "alice")
	r.FailGets(http.StatusServiceUnavailable)
	stuck := actorUpdate(r, "alice", "1")
	later := map[string]any{"id": r.Actor("alice") + "#accept-1", "type": "Accept", "actor": r.Actor("alice"), "object": n.group() + "#follow-1"}
	queue(t, n, clock.now(), stuck)
	queue(t, n, clock.now(), later)
	for i, wait := range []time.Duration{0, 30 * time.Second, 2 * time.Minute, 10 * time.Minute} {
		if row := inboxRow(t, n, later["id"].(string)); row.processed {
			t.Fatalf("the later activity ran while the first had failed only %d times", i)
		}
		clock.advance(wait)
		process(t, n)
	}
	if row := inboxRow(t, n, later["id"].(string)); !row.processed {
		t.Errorf("after four failures of the first, the later activity still waits: %+v", row)
	}
	if row := inboxRow(t, n, stuck["id"].(string)); row.processed || row.attempts != 4 {
		t.Errorf("the failing activity: %+v, want 4 attempts and still retried", row)
	}
}

// A lane reads its actor's cached row once a chunk, and an Update of the
// actor in the middle of the chunk is what the chunk's later activities
// see: the reply after a rename carries the new name.
func TestLaneSeesActorRefreshedMidChunk(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	it := n.postNeed("public")
	r.Send("alice", n.url+"/inbox", replyTo(r, "alice", "1", n.url+it.Path(), "<p>first</p>"), fedtest.SendOptions{})
	r.Send("alice", n.url+"/inbox", actorUpdate(r, "alice", "rename"), fedtest.SendOptions{})
	r.Send("alice", n.url+"/inbox", replyTo(r, "alice", "2", n.url+it.Path(), "<p>second</p>"), fedtest.SendOptions{})
	// Sent, and queued, before the rename is served: the first reply's
	// handling reads the cached actor, the Update refetches it.
	r.Serve("/users/alice", "application/activity+json", map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":       r.Actor("alice"), "type": "Person", "preferredUsername": "alice", "name": "Alice Renamed",
		"inbox": r.Actor("alice") + "/inbox", "endpoints": map[string]any{"sharedInbox": r.URL + "/inbox"},
		"publicKey": map[string]any{"id": r.KeyID("alice"), "owner": r.Actor("alice"), "publicKeyPem": r.PublicKeyPEM("alice")}})
	if got := process(t, n); got != 3 {
		t.Fatalf("handled %d activities, want 3 in one lane", got)
	}
	list := responses(t, n, it)
	if len(list) != 2 {
		t.Fatalf("%d replies stored, want 2", len(list))
	}
	names := map[string]string{}
	for _, resp := range list {
		names[resp.ContentHTML] = resp.Author
	}
	if names["<p>first</p>"] != "Alice Remote" || names["<p>second</p>"] != "Alice Renamed" {
		t.Errorf("authors: %v, want the first reply by Alice Remote and the second by Alice Renamed", names)
	}
}

// watchFinish is a store that notes, each time the inbox worker records a
// batch's results, how many of alice's replies are visible outside the
// worker's transaction (committed).
type watchFinish struct {
	Store
	n       *node
	actor   string
	visible []int
	// waiting, when set, is a write always waiting for the batch.
	waiting bool
}

func (w *watchFinish) WriterWaiting() bool { return w.waiting || w.Store.WriterWaiting() }

func (w *watchFinish) FinishInbox(ctx context.Context, results []instance.InboxResult, now time.Time) error {
	var k int
	if err := w.n.st.DB().QueryRow(w.n.st.SQL(`SELECT count(*) FROM responses WHERE remote_actor = ?`), w.actor).Scan(&k); err != nil {
		return err
	}
	w.visible = append(w.visible, k)
	return w.Store.FinishInbox(ctx, results, now)
}

// A chunk of an actor's activities is handled in one batch: the replies it
// stores and the activities' results commit together (nothing is seen
// before), and a batch that has run inboxBatchFor, or that another write
// is waiting for, commits and the chunk goes on in the next.
func TestInboxChunkCommitsAsOne(t *testing.T) {
	for _, c := range []struct {
		name     string
		batchFor time.Duration
		waiting  bool
		want     []int
	}{
		{"one batch", time.Minute, false, []int{0}},
		{"a batch an activity", time.Nanosecond, false, []int{0, 1, 2}},
		{"a write waiting", time.Minute, true, []int{0, 1, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := fedtest.New(t, "alice")
			var w *watchFinish
			n := newNode(t, func(o *Options) {
				w = &watchFinish{Store: o.Store, actor: r.Actor("alice")}
				o.Store = w
			})
			w.n = n
			n.fed.inboxBatchFor = c.batchFor
			w.waiting = c.waiting
			r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "warm"), fedtest.SendOptions{}) // caches the actor
			n.settle()
			if _, err := n.svc.CreateItem(ctx, n.admin, instance.ItemInput{Kind: instance.KindNeed, Title: "Lifts to the clinic",
				Category: "DIY", Area: "Church Road", Visibility: "public"}); err != nil {
				t.Fatal(err)
			}
			w.visible = nil
			for i := 0; i < 3; i++ {
				queue(t, n, time.Now(), benchReply(r, n, i))
			}
			if k := process(t, n); k != 3 {
				t.Fatalf("handled %d, want 3", k)
			}
			if fmt.Sprint(w.visible) != fmt.Sprint(c.want) {
				t.Errorf("replies visible when each batch recorded its results: %v, want %v", w.visible, c.want)
			}
			var stored int
			n.st.DB().QueryRow(n.st.SQL(`SELECT count(*) FROM responses WHERE remote_actor = ?`), r.Actor("alice")).Scan(&stored)
			if stored != 3 {
				t.Errorf("%d replies stored, want 3", stored)
			}
		})
	}
}

// gatedQueue is a store whose inbox queue writes each wait for a turn on
// gate, and that reports each write's rows on wrote.
type gatedQueue struct {
	Store
	gate  chan struct{}
	wrote chan int
}

func (g *gatedQueue) EnqueueInboxBatch(ctx context.Context, rows []*instance.InboxRow, now time.Time) ([]bool, error) {
	<-g.gate
	g.wrote <- len(rows)
	return g.Store.EnqueueInboxBatch(ctx, rows, now)
}

// The request that leads the inbox's group commit answers once its own
// group is written: a row that arrived meanwhile leads the next group,
// rather than the first request writing group after group while its
// sender waits for its 202.
func TestInboxGroupLeaderAnswersAfterItsGroup(t *testing.T) {
	g := &gatedQueue{gate: make(chan struct{}), wrote: make(chan int, 4)}
	n := newNode(t, func(o *Options) { g.Store = o.Store; o.Store = g })
	row := func(i int) instance.InboxRow {
		id := fmt.Sprintf("https://remote.example/users/a/likes/%d", i)
		return instance.InboxRow{ActivityID: id, Actor: "https://remote.example/users/a", Type: "Create", Body: []byte(`{}`)}
	}
	type answer struct {
		fresh bool
		err   error
	}
	first, second := make(chan answer, 1), make(chan answer, 1)
	go func() { f, err := n.fed.enqueue(ctx, row(1)); first <- answer{f, err} }()
	// The first leads (alone in flight, it does not wait for company) and
	// waits at the gate; the second joins the next group.
	if !waitFor(t, func() bool {
		n.fed.batch.mu.Lock()
		defer n.fed.batch.mu.Unlock()
		return n.fed.batch.flushing && len(n.fed.batch.pending) == 0
	}) {
		t.Fatal("the first request never began writing")
	}
	go func() { f, err := n.fed.enqueue(ctx, row(2)); second <- answer{f, err} }()
	if !waitFor(t, func() bool {
		n.fed.batch.mu.Lock()
		defer n.fed.batch.mu.Unlock()
		return len(n.fed.batch.pending) == 1
	}) {
		t.Fatal("the second request never queued")
	}
	g.gate <- struct{}{}
	if k := <-g.wrote; k != 1 {
		t.Fatalf("the first group had %d rows, want 1", k)
	}
	// The second group's write is now waiting at the gate; the first
	// request must have its answer already.
	select {
	case a := <-first:
		if a.err != nil || !a.fresh {
			t.Errorf("first request: fresh %v, %v", a.fresh, a.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first request is still waiting while the next group is being written")
	}
	g.gate <- struct{}{}
	if a := <-second; a.err != nil || !a.fresh || <-g.wrote != 1 {
		t.Errorf("second request: fresh %v, %v", a.fresh, a.err)
	}
	if n.fed.batch.flushing {
		t.Error("still flushing with nothing left to write")
	}
}

// waitFor polls cond, for at most ten seconds, and reports whether it held.
func waitFor(t *testing.T, cond func() bool) bool {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}
