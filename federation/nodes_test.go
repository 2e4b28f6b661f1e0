package federation

import (
	"testing"
	"time"

	"hearth/federation/fedtest"
)

// With several nodes on one database, an actor's lane is leased: while
// another node holds it, this node leaves the actor's activities alone
// (and handles other actors'); once that lease runs out (the node died),
// this node takes the lane over. Two nodes never handle one actor's
// activities at once, so they stay in order.
func TestInboxLaneLeasedAcrossNodes(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now; o.SharedDatabase = true; o.Node = "node-a" })
	alice, bob := fedtest.New(t, "alice"), fedtest.New(t, "bob")
	held := actorUpdate(alice, "alice", "1")
	free := actorUpdate(bob, "bob", "1")
	queue(t, n, clock.now(), held)
	queue(t, n, clock.now(), free)
	if ok, err := n.st.TakeLease(ctx, laneLease(alice.Actor("alice")), "node-b", clock.now(), clock.now().Add(inboxLaneLease)); err != nil || !ok {
		t.Fatalf("node-b could not take alice's lane: %v %v", ok, err)
	}
	if k := process(t, n); k != 1 {
		t.Errorf("handled %d, want bob's only", k)
	}
	if row := inboxRow(t, n, held["id"].(string)); row.processed || row.attempts != 0 {
		t.Errorf("alice's activity was handled while node-b held her lane: %+v", row)
	}
	if row := inboxRow(t, n, free["id"].(string)); !row.processed {
		t.Errorf("bob's activity waited: %+v", row)
	}
	clock.advance(inboxLaneLease)
	if k := process(t, n); k != 1 {
		t.Errorf("after node-b's lease ran out: handled %d, want alice's", k)
	}
	if row := inboxRow(t, n, held["id"].(string)); !row.processed {
		t.Errorf("alice's lane was not taken over: %+v", row)
	}
	// This node keeps the lane it ran: node-b cannot take it before it
	// runs out.
	if ok, _ := n.st.TakeLease(ctx, laneLease(alice.Actor("alice")), "node-b", clock.now(), clock.now().Add(inboxLaneLease)); ok {
		t.Error("node-b took alice's lane while node-a held it")
	}
}

// Periodic pruning runs on the node holding its lease only.
func TestPruneRunsOnOneNode(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now; o.Node = "node-a" })
	if ok, err := n.st.TakeLease(ctx, "sweep:federation-prune", "node-b", clock.now(), clock.now().Add(time.Hour)); err != nil || !ok {
		t.Fatalf("node-b could not take the prune lease: %v %v", ok, err)
	}
	ran, err := n.fed.pruneOnce(ctx, time.Hour)
	if err != nil || ran {
		t.Errorf("node-a pruned while node-b held the lease (ran %v, %v)", ran, err)
	}
	clock.advance(time.Hour)
	if ran, err := n.fed.pruneOnce(ctx, time.Hour); err != nil || !ran {
		t.Errorf("node-a did not take over an expired prune lease (ran %v, %v)", ran, err)
	}
}

// Two nodes on one database share their inbox limits: what one node let
// through from a server counts on the other after they share (once a
// second when running), so spreading requests over the nodes gets a
// server no more than the limit. A node's counts are replaced at each
// share, and a stopped node's are forgotten after the window.
func TestInboxLimitsSharedAcrossNodes(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	mk := func(name string) *Federation {
		return New(Options{Store: n.st, Service: n.svc, BaseURL: n.url, Clock: clock.now, Node: name, SharedDatabase: true, InboundPerHost: 4})
	}
	a, b := mk("node-a"), mk("node-b")
	for i := range 3 {
		if !a.perHost.allow("remote.example") {
			t.Fatalf("node a refused activity %d of 4", i+1)
		}
	}
	if err := a.ShareRates(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.ShareRates(ctx); err != nil {
		t.Fatal(err)
	}
	if !b.perHost.allow("remote.example") {
		t.Error("node b refused the fourth activity")
	}
	if b.perHost.allow("remote.example") {
		t.Error("node b let a fifth activity through: node a's three were not counted")
	}
	if !b.perHost.allow("other.example") {
		t.Error("another server was limited by remote.example's count")
	}
	// b's two reach a at the next share; a's own are not counted twice.
	if err := b.ShareRates(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.ShareRates(ctx); err != nil {
		t.Fatal(err)
	}
	if a.perHost.allow("remote.example") {
		t.Error("node a let a fifth activity through")
	}
	if !a.perHost.allow("other.example") || !a.perClient.allow("203.0.113.9") {
		t.Error("a's other keys were limited")
	}
	// After the window, nothing counts: a's own events have slid out and
	// b (which shares no more: it stopped) is forgotten.
	clock.advance(5*time.Minute + time.Second)
	if err := a.ShareRates(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if !a.perHost.allow("remote.example") {
			t.Fatalf("after the window, node a refused activity %d", i+1)
		}
	}
}
