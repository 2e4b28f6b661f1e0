package federation

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
)

func count(t *testing.T, n *node, query string, args ...any) int {
	t.Helper()
	var k int
	if err := n.st.DB().QueryRow(n.st.SQL(query), args...).Scan(&k); err != nil {
		t.Fatal(err)
	}
	return k
}

func prune(t *testing.T, n *node) {
	t.Helper()
	if _, err := n.fed.Prune(ctx); err != nil {
		t.Fatal(err)
	}
}

// After the retention a processed activity's body is gone but its id is
// kept: the same Create sent again (a replay, or its server re-sending it,
// signed afresh) is refused as a duplicate, and the reply its Delete
// removed does not come back. Thirty days later the id goes too.
func TestPrunedInboxStillRefusesReplays(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	logs := &logBuffer{}
	n := newNode(t, func(o *Options) {
		o.Clock = clock.now
		o.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	})
	it := n.postNeed("public")
	r := fedtest.New(t, "alice")
	note := r.Actor("alice") + "/statuses/1"
	create := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": note + "/activity", "type": "Create",
		"actor": r.Actor("alice"), "object": map[string]any{"id": note, "type": "Note", "attributedTo": r.Actor("alice"),
			"inReplyTo": fmt.Sprintf("%s/needs/%d", n.url, it.ID), "content": "<p>I can help.</p>",
			"to": []string{"https://www.w3.org/ns/activitystreams#Public"}}}
	del := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": note + "/delete", "type": "Delete",
		"actor": r.Actor("alice"), "object": note}
	send := func(a map[string]any) {
		t.Helper()
		resp := r.Send("alice", n.url+"/inbox", a, fedtest.SendOptions{Date: clock.now()})
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: %d", a["type"], resp.StatusCode)
		}
		n.settle()
	}
	replyDeleted := func() bool {
		var deleted sql.NullString
		if err := n.st.DB().QueryRow(n.st.SQL(`SELECT deleted_at FROM responses WHERE ap_id = ?`), note).Scan(&deleted); err != nil {
			t.Fatal(err)
		}
		return deleted.Valid
	}
	send(create)
	send(del)
	if !replyDeleted() {
		t.Fatal("set-up: the reply was not deleted")
	}

	clock.advance(defaultRetention + 24*time.Hour)
	prune(t, n)
	if k := count(t, n, `SELECT count(*) FROM inbox_queue WHERE activity_id IN (?, ?) AND body = ''`, create["id"], del["id"]); k != 2 {
		t.Errorf("%d of the 2 processed activities have lost their body, want both", k)
	}
	send(create)
	if !replyDeleted() {
		t.Error("a replayed Create brought back a deleted reply")
	}
	if k := count(t, n, `SELECT count(*) FROM inbox_queue`); k != 2 {
		t.Errorf("%d rows in the inbox queue after the replay, want the 2 ids", k)
	}
	if !strings.Contains(logs.String(), `"result":"duplicate"`) {
		t.Error("the replay was not reported as a duplicate")
	}

	clock.advance(idsKeptFor)
	prune(t, n)
	if k := count(t, n, `SELECT count(*) FROM inbox_queue`); k != 0 {
		t.Errorf("%d inbox rows left after the id window, want none", k)
	}
}

// The outbox collection keeps every activity it serves; finished
// deliveries, processed events and the outbox rows no collection serves
// (a followers-only post, a deleted post's activities) go after the
// retention. Nothing younger than the retention goes.
func TestPruneKeepsWhatTheOutboxServes(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	r := fedtest.New(t, "alice")
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "1"), fedtest.SendOptions{Date: clock.now()})
	n.settle()
	kept := n.postNeed("public")
	n.postNeed("followers")
	gone := n.postNeed("public")
	n.settle()
	if err := n.svc.DeleteItem(ctx, n.admin, gone.ID); err != nil {
		t.Fatal(err)
	}
	n.settle()
	outbox := func() (int, []string) {
		t.Helper()
		resp := r.Get("", n.group()+"/outbox?page=true", activityJSON, fedtest.SendOptions{})
		defer resp.Body.Close()
		var page struct {
			OrderedItems []struct {
				Type   string
				Object json.RawMessage
			}
		}
		json.NewDecoder(resp.Body).Decode(&page)
		var objects []string
		for _, a := range page.OrderedItems {
			objects = append(objects, a.Type+" "+string(a.Object))
		}
		return count(t, n, `SELECT count(*) FROM outbox`), objects
	}
	rowsBefore, servedBefore := outbox()
	if len(servedBefore) != 1 || !strings.Contains(servedBefore[0], kept.Path()) || rowsBefore < 4 {
		t.Fatalf("set-up: outbox serves %v from %d rows", servedBefore, rowsBefore)
	}
	stats := func() (deliveries, events int) {
		return count(t, n, `SELECT count(*) FROM deliveries`), count(t, n, `SELECT count(*) FROM fed_events`)
	}
	if d, e := stats(); d == 0 || e == 0 {
		t.Fatalf("set-up: %d deliveries, %d events", d, e)
	}

	clock.advance(defaultRetention - time.Hour)
	prune(t, n)
	if rows, _ := outbox(); rows != rowsBefore {
		t.Errorf("before the retention: %d outbox rows, want all %d", rows, rowsBefore)
	}
	if d, e := stats(); d == 0 || e == 0 {
		t.Errorf("before the retention: %d deliveries, %d events left, want them kept", d, e)
	}

	clock.advance(2 * time.Hour)
	prune(t, n)
	rows, served := outbox()
	if fmt.Sprint(served) != fmt.Sprint(servedBefore) || rows != 1 {
		t.Errorf("after the retention the outbox serves %v from %d rows; want %v from 1", served, rows, servedBefore)
	}
	if d, e := stats(); d != 0 || e != 0 {
		t.Errorf("after the retention: %d deliveries and %d events left, want none", d, e)
	}
}

// The sweep works in batches and finishes the job however many rows there
// are; an unprocessed activity or a pending delivery is never touched.
func TestPruneInBatches(t *testing.T) {
	n := newNode(t)
	old := time.Now().Add(-60 * 24 * time.Hour)
	var rows []*instance.InboxRow
	for i := 0; i < 7; i++ {
		rows = append(rows, &instance.InboxRow{ActivityID: fmt.Sprintf("https://x.example/%d", i), Actor: "https://x.example/u",
			Type: "Follow", Body: []byte(`{}`)})
	}
	n.st.EnqueueInboxBatch(ctx, rows, old)
	if _, err := n.st.DB().Exec(`UPDATE inbox_queue SET processed_at = received_at WHERE activity_id <> 'https://x.example/6'`); err != nil {
		t.Fatal(err)
	}
	n.st.EnqueueDeliveries(ctx, []*instance.Delivery{{Inbox: "https://x.example/inbox", Host: "x.example", Signer: "group:village",
		ActivityID: "a", Body: []byte(`{}`)}}, old)
	got, err := n.st.PruneFederation(ctx, instance.PruneCutoffs{InboxBodies: time.Now(), InboxIDs: time.Now(), Deliveries: time.Now(), Batch: 2})
	if err != nil || got.InboxIDs != 6 {
		t.Fatalf("pruned %+v (%v), want the 6 processed rows in batches of 2", got, err)
	}
	if k := count(t, n, `SELECT count(*) FROM inbox_queue WHERE processed_at IS NULL AND body = '{}'`); k != 1 {
		t.Errorf("the unprocessed activity was touched")
	}
	if k := count(t, n, `SELECT count(*) FROM deliveries WHERE status = 'pending'`); k != 1 {
		t.Errorf("a pending delivery was pruned")
	}
}

// retention_days = 0 (Retention < 0) keeps everything.
func TestPruneOff(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now; o.Retention = -1 })
	n.st.EnqueueDeliveries(ctx, []*instance.Delivery{{Inbox: "https://x.example/inbox", Host: "x.example", Signer: "group:village",
		ActivityID: "a", Body: []byte(`{}`)}}, clock.now())
	n.st.DB().Exec(`UPDATE deliveries SET status = 'failed'`)
	clock.advance(365 * 24 * time.Hour)
	prune(t, n)
	if k := count(t, n, `SELECT count(*) FROM deliveries`); k != 1 {
		t.Errorf("with pruning off a year-old delivery went")
	}
}
