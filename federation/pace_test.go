package federation

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hearth/federation/fedtest"
)

// burstAt makes the inbox's meter see a burst at now, as burstActivities
// accepted POSTs would.
func burstAt(f *Federation, now time.Time) {
	for range burstActivities {
		f.burst.add(now)
	}
}

// During a burst of inbound POSTs the dispatcher starts at most burstLanes
// lanes, never none, and the queue still drains while the burst goes on;
// once the burst is older than burstWindow it starts every due lane again.
func TestInboxPaceUnderBurst(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	users := []string{"alice", "bob", "carol", "dave"}
	r := fedtest.New(t, users...)
	queueAll := func(round int) {
		for _, u := range users {
			queue(t, n, clock.now(), actorUpdate(r, u, fmt.Sprint(round)))
		}
	}

	queueAll(1)
	burstAt(n.fed, clock.now())
	if got := n.fed.inboxLimit(); got != burstLanes {
		t.Fatalf("limit during a burst = %d, want %d", got, burstLanes)
	}
	started, err := n.fed.startLanes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n.fed.inboxLanes.wg.Wait()
	if len(started) != burstLanes {
		t.Fatalf("lanes started during a burst = %d, want %d (the reduced pace, never none)", len(started), burstLanes)
	}
	// The burst goes on: the rest still drains, one lane at a time.
	if got := process(t, n); got != len(users)-burstLanes {
		t.Fatalf("handled during the burst = %d, want %d", got, len(users)-burstLanes)
	}

	clock.advance(burstWindow)
	queueAll(2)
	if got := n.fed.inboxLimit(); got != defaultInboxWorkers {
		t.Fatalf("limit after the burst = %d, want %d", got, defaultInboxWorkers)
	}
	started, err = n.fed.startLanes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n.fed.inboxLanes.wg.Wait()
	if len(started) != len(users) {
		t.Fatalf("lanes started after the burst = %d, want %d (full pace)", len(started), len(users))
	}
}

// A burst that starts while more lanes than burstLanes run makes the
// surplus end after their chunk (the others go on); with no burst none
// ends early.
func TestLanesYieldToBurst(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	p := &n.fed.inboxLanes
	p.mu.Lock()
	p.total = 3 // three lanes running (the pool's count, as startLane keeps it)
	p.mu.Unlock()
	lanes := []*lane{{}, {}, {}}
	if n.fed.laneYields(lanes[0]) {
		t.Fatal("a lane yielded with no burst")
	}
	burstAt(n.fed, clock.now())
	var yielded int
	for _, l := range lanes {
		if n.fed.laneYields(l) {
			yielded++
		}
	}
	if yielded != 3-burstLanes {
		t.Fatalf("lanes yielding in a burst = %d, want %d", yielded, 3-burstLanes)
	}
	p.mu.Lock()
	p.total, p.yielding = 0, 0
	p.mu.Unlock()
}

// The meter counts what fell within burstWindow of now, and forgets the rest.
func TestBurstMeterWindow(t *testing.T) {
	var m burstMeter
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 10 {
		m.add(t0.Add(time.Duration(i) * 10 * time.Millisecond)) // 0–90 ms
	}
	if got := m.count(t0.Add(90 * time.Millisecond)); got != 10 {
		t.Fatalf("count = %d, want 10", got)
	}
	if got := m.count(t0.Add(burstWindow + 60*time.Millisecond)); got != 0 {
		t.Fatalf("count a window later = %d, want 0", got)
	}
	m.add(t0.Add(time.Second))
	if got := m.count(t0.Add(time.Second)); got != 1 {
		t.Fatalf("count after a reused slot = %d, want 1", got)
	}
}

// Every activity the inbox accepts is counted by the meter the worker's
// pace reads; a refused one is not.
func TestInboxCountsAcceptedForPace(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	r := fedtest.New(t, "alice")
	if resp := r.Send("alice", n.url+"/inbox", actorUpdate(r, "alice", "1"), fedtest.SendOptions{}); resp.StatusCode != 202 {
		t.Fatalf("status = %d, want 202", resp.StatusCode)
	}
	if resp := r.SendRaw("alice", n.url+"/inbox", []byte(`{"id":`), fedtest.SendOptions{}); resp.StatusCode == 202 {
		t.Fatal("a broken body was accepted")
	}
	if got := n.fed.burst.count(clock.now()); got != 1 {
		t.Fatalf("meter = %d, want 1 (the accepted activity only)", got)
	}
}

// During a burst a lane rests burstRest times as long as its chunk took
// (at most burstRestMax) before the next, unless it is burstBehind behind;
// with no burst it does not rest.
func TestChunkRestDuringBurst(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	worked, behind := 4*time.Millisecond, time.Second
	if got := n.fed.chunkRest(worked, behind); got != 0 {
		t.Fatalf("rest with no burst = %v, want 0", got)
	}
	burstAt(n.fed, clock.now())
	if got := n.fed.chunkRest(worked, behind); got != burstRest*worked {
		t.Fatalf("rest during a burst = %v, want %v", got, burstRest*worked)
	}
	if got := n.fed.chunkRest(time.Hour, behind); got != burstRestMax {
		t.Fatalf("rest after a long chunk = %v, want the cap %v", got, burstRestMax)
	}
	if got := n.fed.chunkRest(worked, burstBehind); got != 0 {
		t.Fatalf("rest of a lane %v behind = %v, want 0: the burst would delay replies as long as it lasts", burstBehind, got)
	}
	clock.advance(burstWindow)
	if got := n.fed.chunkRest(worked, behind); got != 0 {
		t.Fatalf("rest after the burst = %v, want 0", got)
	}
}

// A running lane, when a burst finds more lanes running than burstLanes,
// ends after its chunk: its actor's later activities stay queued, in
// order, for the next lane.
func TestRunningLaneEndsAfterChunkInBurst(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	r := fedtest.New(t, "alice")
	for i := range inboxChunk + 10 {
		queue(t, n, clock.now(), actorUpdate(r, "alice", fmt.Sprint(i)))
	}
	var head int64
	if err := n.st.DB().QueryRow(`SELECT MIN(id) FROM inbox_queue`).Scan(&head); err != nil {
		t.Fatal(err)
	}
	p := &n.fed.inboxLanes
	p.mu.Lock()
	p.total = 2 // this lane and another
	p.mu.Unlock()
	burstAt(n.fed, clock.now())
	l := &lane{actor: r.Actor("alice"), host: hostOf(r.Actor("alice")), head: head, done: make(chan struct{})}
	if err := n.fed.runLane(ctx, l); err != nil {
		t.Fatal(err)
	}
	if l.handled != inboxChunk {
		t.Fatalf("handled before ending = %d, want one chunk (%d)", l.handled, inboxChunk)
	}
	p.mu.Lock()
	p.total, p.yielding = 0, 0
	p.mu.Unlock()
	if got := process(t, n); got != 10 {
		t.Fatalf("handled by the next lane = %d, want the 10 left", got)
	}
}

// A lane rests between its chunks during a burst, unless the oldest
// activity of the chunk it just did had waited burstBehind or more: then
// it goes on without resting, so a long burst does not hold replies back
// for as long as it lasts.
func TestLaneBehindDoesNotRest(t *testing.T) {
	for _, c := range []struct {
		name   string
		waited time.Duration
		rests  bool
	}{{"up to date", 0, true}, {"behind", burstBehind, false}} {
		t.Run(c.name, func(t *testing.T) {
			clock := &testClock{t: time.Now().UTC()}
			// Time moves as the worker reads the clock, so a chunk takes
			// some time.
			tick := func() time.Time { clock.advance(time.Microsecond); return clock.now() }
			n := newNode(t, func(o *Options) { o.Clock = tick })
			var rests []time.Duration
			n.fed.rest = func(_ context.Context, d time.Duration) { rests = append(rests, d) }
			r := fedtest.New(t, "alice")
			for i := range inboxChunk + 1 {
				queue(t, n, clock.now(), actorUpdate(r, "alice", fmt.Sprint(i)))
			}
			clock.advance(c.waited)
			burstAt(n.fed, clock.now())
			if _, err := n.fed.startLanes(ctx); err != nil {
				t.Fatal(err)
			}
			n.fed.inboxLanes.wg.Wait()
			if got := process(t, n); got != 0 {
				t.Fatalf("%d activities left after the lane", got)
			}
			if c.rests && len(rests) == 0 {
				t.Error("an up-to-date lane did not rest between its chunks during a burst")
			}
			if !c.rests && len(rests) > 0 {
				t.Errorf("a lane %v behind rested %v during a burst", c.waited, rests)
			}
		})
	}
}
