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
