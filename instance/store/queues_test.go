package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"hearth/instance"
)

func delivery(host string, i int) *instance.Delivery {
	return &instance.Delivery{Inbox: fmt.Sprintf("https://%s/users/u%d/inbox", host, i), Host: host, Signer: "group:village",
		ActivityID: "https://here.example/activities/1", Body: []byte(`{}`)}
}

func candidateIDs(t *testing.T, s *Store, now time.Time, perHost int) map[int64]string {
	t.Helper()
	list, err := s.DeliveryCandidates(context.Background(), now, perHost, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, c := range list {
		out[c.ID] = c.Host
	}
	return out
}

// A claim holds a delivery until its lease ends: nobody else can claim it
// or see it as a candidate meanwhile; afterwards it is free again.
func TestDeliveryClaimLease(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.EnqueueDeliveries(ctx, []*instance.Delivery{delivery("a.example", 1), delivery("a.example", 2)}, t0); err != nil {
		t.Fatal(err)
	}
	due, _ := s.DueDeliveries(ctx, t0, 10)
	ids := []int64{due[0].ID, due[1].ID}
	if _, _, pending, err := s.FederationBacklog(ctx); err != nil || pending != 2 {
		t.Errorf("backlog: %d deliveries pending (%v), want 2", pending, err)
	}
	got, err := s.ClaimDeliveries(ctx, ids, t0, t0.Add(time.Minute))
	if err != nil || len(got) != 2 || got[0].Inbox == "" {
		t.Fatalf("first claim: %v %v", got, err)
	}
	if again, err := s.ClaimDeliveries(ctx, ids, t0.Add(59*time.Second), t0.Add(2*time.Minute)); err != nil || len(again) != 0 {
		t.Errorf("second claim within the lease: %d rows (%v), want none", len(again), err)
	}
	if c := candidateIDs(t, s, t0.Add(59*time.Second), 4); len(c) != 0 {
		t.Errorf("claimed deliveries offered as candidates: %v", c)
	}
	if later, err := s.ClaimDeliveries(ctx, ids[:1], t0.Add(time.Minute), t0.Add(3*time.Minute)); err != nil || len(later) != 1 {
		t.Errorf("claim after the lease ran out: %d rows (%v), want 1", len(later), err)
	}
	if err := s.ReleaseDeliveries(ctx, ids[1:]); err != nil {
		t.Fatal(err)
	}
	if c := candidateIDs(t, s, t0.Add(time.Second), 4); len(c) != 1 || c[ids[1]] == "" {
		t.Errorf("a released delivery is not offered again: %v", c)
	}
}

// Candidates: at most perHost per host, the hosts in turn (a host with a
// backlog does not fill the list).
func TestDeliveryCandidatesShareHosts(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	var list []*instance.Delivery
	for i := 0; i < 50; i++ {
		list = append(list, delivery("busy.example", i))
	}
	list = append(list, delivery("quiet.example", 0), delivery("other.example", 0))
	if err := s.EnqueueDeliveries(ctx, list, t0); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeliveryCandidates(ctx, t0, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]int{}
	for _, c := range got {
		hosts[c.Host]++
	}
	if len(got) != 3 || hosts["busy.example"] != 1 || hosts["quiet.example"] != 1 || hosts["other.example"] != 1 {
		t.Errorf("3 candidates: %v, want one of each host", hosts)
	}
	if all := candidateIDs(t, s, t0, 4); len(all) != 6 {
		t.Errorf("with room: %d candidates, want 4 of the busy host and 2 others", len(all))
	}
}

// A host-level failure opens the host's circuit once (attempts in flight
// together count once), moves its waiting deliveries to the end of the
// backoff, schedules new ones for then too, and keeps it out of the
// candidates until then; a success closes it.
func TestDeliveryCircuit(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.EnqueueDeliveries(ctx, []*instance.Delivery{delivery("down.example", 1), delivery("down.example", 2),
		delivery("down.example", 3)}, t0); err != nil {
		t.Fatal(err)
	}
	due, _ := s.DueDeliveries(ctx, t0, 10)
	first, second, waiting := due[0], due[1], due[2]
	if _, err := s.ClaimDeliveries(ctx, []int64{first.ID, second.ID}, t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	retry := t0.Add(30 * time.Second)
	fail := func(d *instance.Delivery, until time.Time) {
		t.Helper()
		if err := s.FinishDelivery(ctx, instance.DeliveryResult{ID: d.ID, Host: d.Host, Status: "pending", Next: t0.Add(time.Minute),
			Error: "timeout", HostDown: true, HostRetryAt: until}, t0); err != nil {
			t.Fatal(err)
		}
	}
	fail(first, retry)
	fail(second, t0.Add(time.Hour)) // in flight at the same time: must not count again
	st, err := s.HostState(ctx, "down.example")
	if err != nil || st.Failures != 1 || !st.RetryAt.Equal(retry) || !st.FailingSince.Equal(t0) {
		t.Fatalf("host state %+v (%v), want one failure, open until %v, failing since %v", st, err, retry, t0)
	}
	if rows, _ := s.DueDeliveries(ctx, retry.Add(-time.Millisecond), 10); len(rows) != 0 {
		t.Errorf("the host's waiting delivery is still due before the circuit closes: %v", rows)
	}
	if err := s.EnqueueDeliveries(ctx, []*instance.Delivery{delivery("down.example", 4)}, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	rows, _ := s.DueDeliveries(ctx, retry, 10)
	if len(rows) != 2 || !rows[0].NextAttemptAt.Equal(retry) || !rows[1].NextAttemptAt.Equal(retry) {
		t.Errorf("at the circuit's end: %d due (want the waiting one and the new one, both at %v)", len(rows), retry)
	}
	// Even a row made due by other means is not offered while it is open.
	if _, err := s.wr.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ? WHERE id = ?`, ts(t0), waiting.ID); err != nil {
		t.Fatal(err)
	}
	if c := candidateIDs(t, s, t0.Add(time.Second), 4); len(c) != 0 {
		t.Errorf("candidates while the circuit is open: %v", c)
	}
	if c := candidateIDs(t, s, retry, 4); len(c) != 2 {
		t.Errorf("candidates when it closes: %v, want 2", c)
	}
	if err := s.FinishDelivery(ctx, instance.DeliveryResult{ID: waiting.ID, Host: "down.example", Status: "done", Success: true}, retry); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.HostState(ctx, "down.example"); st != (instance.HostState{}) {
		t.Errorf("after a success: %+v, want a closed circuit and no failing streak", st)
	}
}

// The inbox worker's reads: hosts with work (one step per host, however
// long its queue), a host's window, an actor's lane after an id, and
// results with a retry time.
func TestInboxLanes(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	var rows []*instance.InboxRow
	for i := 0; i < 5; i++ {
		rows = append(rows, &instance.InboxRow{ActivityID: fmt.Sprintf("https://big.example/a/%d", i), Actor: "https://big.example/users/x",
			Type: "Create", Body: []byte(`{}`)})
	}
	rows = append(rows, &instance.InboxRow{ActivityID: "https://Small.example:8443/a/1", Actor: "https://Small.example:8443/users/y", Type: "Follow",
		Body: []byte(`{}`)})
	if _, err := s.EnqueueInboxBatch(ctx, rows, t0); err != nil {
		t.Fatal(err)
	}
	if inbox, events, deliveries, err := s.FederationBacklog(ctx); err != nil || inbox != 6 || events != 0 || deliveries != 0 {
		t.Errorf("backlog = %d inbound, %d events, %d deliveries (%v); want 6, 0, 0", inbox, events, deliveries, err)
	}
	hosts, err := s.InboxHosts(ctx, 10)
	if err != nil || len(hosts) != 2 || hosts[0] != "big.example" || hosts[1] != "small.example:8443" {
		t.Fatalf("hosts = %v (%v)", hosts, err)
	}
	window, err := s.InboxWindow(ctx, "big.example", 3)
	if err != nil || len(window) != 3 || window[0].Actor != "https://big.example/users/x" {
		t.Fatalf("window = %v (%v)", window, err)
	}
	lane, err := s.InboxLane(ctx, "https://big.example/users/x", window[0].ID, 10)
	if err != nil || len(lane) != 4 || lane[0].ID != window[1].ID || !lane[0].ReceivedAt.Equal(t0) {
		t.Fatalf("lane after the first = %d rows (%v)", len(lane), err)
	}
	next := t0.Add(30 * time.Second)
	if err := s.FinishInbox(ctx, []instance.InboxResult{{ID: window[0].ID, Done: true}, {ID: window[1].ID, Err: "timeout", Next: next}}, t0); err != nil {
		t.Fatal(err)
	}
	window, _ = s.InboxWindow(ctx, "big.example", 10)
	if len(window) != 4 || window[0].Attempts != 1 || !window[0].NextAttemptAt.Equal(next) || !window[1].NextAttemptAt.IsZero() {
		t.Errorf("after the results: %d left, first %+v", len(window), window[0])
	}
}

// Upgrading a database with queued activities (schema 5) gives each its
// actor's host, so the inbox worker finds them; processed rows keep
// theirs empty (the worker never reads them again).
func TestQueueMigrationFillsInboxHosts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hearth.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:5] {
		if _, err := db.ExecContext(ctx, m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	if _, err := db.ExecContext(ctx, `PRAGMA user_version = 5;
		INSERT INTO inbox_queue (activity_id, actor, type, body, received_at) VALUES
			('https://a.example/1', 'https://A.example:8443/users/x', 'Create', '{}', '2026-11-27T10:00:00.000Z'),
			('https://b.example/1', 'https://b.example/users/y', 'Follow', '{}', '2026-11-27T10:00:00.000Z');
		INSERT INTO inbox_queue (activity_id, actor, type, body, received_at, processed_at) VALUES
			('https://c.example/1', 'https://c.example/users/z', 'Follow', '{}', '2026-11-27T10:00:00.000Z', '2026-11-27T10:00:01.000Z');
		INSERT INTO deliveries (inbox, host, signer, activity_id, body, status, next_attempt_at, created_at) VALUES
			('https://d.example/inbox', 'd.example', 'group:village', 'x', '{}', 'pending', '2026-11-27T10:00:00.000Z', '2026-11-27T10:00:00.000Z');
		INSERT INTO hosts (host, failing_since) VALUES ('d.example', '2026-11-27T09:00:00.000Z')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hosts, err := s.InboxHosts(ctx, 10)
	if err != nil || fmt.Sprint(hosts) != "[a.example:8443 b.example]" {
		t.Errorf("hosts after the upgrade = %v (%v), want the two with queued activities", hosts, err)
	}
	if c := candidateIDs(t, s, t0, 4); len(c) != 1 {
		t.Errorf("the pending delivery is not a candidate after the upgrade: %v", c)
	}
	if st, err := s.HostState(ctx, "d.example"); err != nil || st.FailingSince.IsZero() || st.Failures != 0 || !st.RetryAt.IsZero() {
		t.Errorf("host after the upgrade: %+v (%v)", st, err)
	}
	// The activities recorded before keep their ids as keys (migration
	// 10): a replay of one is still refused, while an Update under the id
	// of one, with a version in its key, is new.
	fresh, err := s.EnqueueInboxBatch(ctx, []*instance.InboxRow{
		{ActivityID: "https://c.example/1", Actor: "https://c.example/users/z", Type: "Follow", Body: []byte("{}")},
		{ActivityID: "https://a.example/1", Key: "https://a.example/1 updated:2026-11-27T11:00:00Z", Actor: "https://A.example:8443/users/x",
			Type: "Update", Body: []byte("{}")},
	}, t0)
	if err != nil || fmt.Sprint(fresh) != "[false true]" {
		t.Errorf("after the upgrade: fresh %v (%v), want a replay refused and a new version queued", fresh, err)
	}
}
