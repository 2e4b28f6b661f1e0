package store

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// Ready: a migrated database is ready; one whose schema is not this
// build's, or a closed one, is not, and says so with ErrUnavailable.
func TestReady(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("fresh database not ready: %v", err)
	}
	setSchemaVersion(t, s, SchemaVersion()-1)
	if err := s.Ready(ctx); !errors.Is(err, instance.ErrUnavailable) {
		t.Errorf("schema behind the build: Ready = %v, want ErrUnavailable", err)
	}
	setSchemaVersion(t, s, SchemaVersion())
	s.Close()
	if err := s.Ready(ctx); !errors.Is(err, instance.ErrUnavailable) {
		t.Errorf("closed database: Ready = %v, want ErrUnavailable", err)
	}
}

// A database file deleted (or replaced) under a running instance still
// answers through its open connections; Ready says it is not the file
// at the path any more.
func TestReadyNoticesAFileRemoved(t *testing.T) {
	sqliteOnly(t, "a database file removed")
	s := newStore(t)
	if err := os.Remove(s.path); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(context.Background()); !errors.Is(err, instance.ErrUnavailable) || !strings.Contains(err.Error(), "removed or replaced") {
		t.Errorf("file removed: Ready = %v, want ErrUnavailable naming it", err)
	}
}

// QueueStats counts what waits in each queue and dates its oldest item;
// finished work does not count.
func TestQueueStats(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	stats := func() map[string]instance.QueueStat {
		t.Helper()
		list, err := s.QueueStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]instance.QueueStat{}
		for _, q := range list {
			out[q.Queue] = q
		}
		return out
	}
	empty := stats()
	for _, q := range []string{instance.QueueInbox, instance.QueueDeliveries, instance.QueueFedEvents, instance.QueueMail, instance.QueuePush} {
		if got, ok := empty[q]; !ok || got.Depth != 0 || !got.Oldest.IsZero() {
			t.Errorf("empty %s queue: %+v (listed %v)", q, got, ok)
		}
	}
	if err := s.EnqueueDeliveries(ctx, []*instance.Delivery{delivery("a.example", 1), delivery("b.example", 2)}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.EnqueueDeliveries(ctx, []*instance.Delivery{delivery("a.example", 3)}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	rows := []*instance.InboxRow{{ActivityID: "https://a.example/1", Actor: "https://a.example/u", Type: "Create", Body: []byte(`{}`)}}
	if _, err := s.EnqueueInboxBatch(ctx, rows, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.EnqueueMail(ctx, []instance.Mail{{To: "a@example.org", Subject: "s", Text: "t"}}, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	memberID, err := s.CreateMember(ctx, member("pat", "pat@example.org", instance.StatusActive), "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.SavePushSubscription(ctx, &instance.PushSubscription{MemberID: memberID, Endpoint: "https://push.example/1",
		P256dh: "k", Auth: "a", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.tx(ctx, func(tx *Tx) error {
		return s.enqueuePush(ctx, tx, []instance.Push{{SubscriptionID: sub, MemberID: memberID, Kind: "x", Payload: "{}"}}, t0.Add(4*time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	due, _ := s.DueDeliveries(ctx, t0.Add(time.Hour), 10)
	if err := s.FinishDelivery(ctx, instance.DeliveryResult{ID: due[0].ID, Host: due[0].Host, Status: "done", Success: true}, t0); err != nil {
		t.Fatal(err)
	}
	got := stats()
	if d := got[instance.QueueDeliveries]; d.Depth != 2 || !d.Oldest.Equal(t0) {
		t.Errorf("deliveries: %+v, want 2 waiting, the oldest from %v", d, t0)
	}
	if d := got[instance.QueueInbox]; d.Depth != 1 || !d.Oldest.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("inbox: %+v", d)
	}
	if d := got[instance.QueueMail]; d.Depth != 1 || !d.Oldest.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("mail: %+v", d)
	}
	if d := got[instance.QueuePush]; d.Depth != 1 || !d.Oldest.Equal(t0.Add(4*time.Hour)) {
		t.Errorf("push: %+v", d)
	}
}

// FailingHosts lists the hosts in a failing streak with their pending
// deliveries, next attempt and latest error; a host that answered again
// leaves the list.
func TestFailingHosts(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.EnqueueDeliveries(ctx, []*instance.Delivery{delivery("down.example", 1), delivery("down.example", 2), delivery("up.example", 3)}, t0); err != nil {
		t.Fatal(err)
	}
	due, _ := s.DueDeliveries(ctx, t0, 10)
	retry := t0.Add(30 * time.Second)
	for _, d := range due {
		r := instance.DeliveryResult{ID: d.ID, Host: d.Host, Status: "pending", Next: t0.Add(time.Minute), Error: "HTTP 503", HostDown: true, HostRetryAt: retry}
		if d.Host == "up.example" {
			r = instance.DeliveryResult{ID: d.ID, Host: d.Host, Status: "done", Success: true}
		}
		if err := s.FinishDelivery(ctx, r, t0); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.FailingHosts(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("failing hosts = %+v, want down.example only", list)
	}
	h := list[0]
	if h.Host != "down.example" || h.Pending != 2 || h.LastError != "HTTP 503" || !h.FailingSince.Equal(t0) ||
		!h.RetryAt.Equal(retry) || h.NextAttempt.Before(retry) || h.Failures != 1 {
		t.Errorf("down.example = %+v", h)
	}
	if err := s.FinishDelivery(ctx, instance.DeliveryResult{ID: due[0].ID, Host: "down.example", Status: "done", Success: true}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if list, err := s.FailingHosts(ctx, 10); err != nil || len(list) != 0 {
		t.Errorf("after it answered: %+v (%v), want none", list, err)
	}
}
