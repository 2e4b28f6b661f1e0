package main

import (
	"context"
	"testing"
	"time"

	"hearth/instance/config"
)

// A periodic sweep runs on one node at a time: while node a holds its
// lease, node b (another process on the same database, here a second app
// with another name) is refused; a renews it by running; once a stops
// and the lease runs out, b takes it over.
func TestSweepRunsOnOneNodeAtATime(t *testing.T) {
	a, _ := testApp(t, func(*config.Config) {})
	b := &app{store: a.store, node: "other-node"}
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	runs := map[string]int{}
	sweep := func(who string) func(context.Context) error {
		return func(context.Context) error { runs[who]++; return nil }
	}
	step := func(n *app, who string, at time.Time) bool {
		t.Helper()
		ran, err := n.runIfMine(ctx, "items", time.Minute, at, sweep(who))
		if err != nil {
			t.Fatal(err)
		}
		return ran
	}
	if !step(a, "a", t0) {
		t.Fatal("the first node could not take a free sweep")
	}
	if step(b, "b", t0.Add(30*time.Second)) {
		t.Error("a second node ran the sweep while the first held it")
	}
	if !step(a, "a", t0.Add(time.Minute)) {
		t.Error("the holder could not run its sweep again")
	}
	// a last ran at t0+1m, holding the lease for two intervals.
	if step(b, "b", t0.Add(2*time.Minute+59*time.Second)) {
		t.Error("the second node took the sweep before the lease ran out")
	}
	if !step(b, "b", t0.Add(3*time.Minute)) {
		t.Error("the second node did not take over a sweep whose holder stopped")
	}
	if step(a, "a", t0.Add(3*time.Minute+time.Second)) {
		t.Error("the first node took the sweep back from its new holder")
	}
	if runs["a"] != 2 || runs["b"] != 1 {
		t.Errorf("runs = %v, want a twice and b once", runs)
	}
}
