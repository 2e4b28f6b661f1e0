package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// BenchmarkActorDocument: GET of a group actor, through the router.
func BenchmarkActorDocument(b *testing.B) {
	n := newNode(&testing.T{})
	defer n.st.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodGet, n.url+"/groups/village", nil)
		req.Header.Set("Accept", activityJSON)
		rec := httptest.NewRecorder()
		n.fed.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkInboxVerifyAndQueue: a signed activity through the whole inbox
// handler (signature checks, key from cache, durable queueing), with the
// requests signed before the timer starts.
func BenchmarkInboxVerifyAndQueue(b *testing.B) {
	t := &testing.T{}
	n := newNode(t, func(o *Options) { o.InboundPerHost = 1 << 30 })
	r := fedtest.New(t, "alice")
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "warm"), fedtest.SendOptions{}) // warms the key cache
	reqs := make([]*http.Request, b.N)
	bodies := make([][]byte, b.N)
	for i := range reqs {
		bodies[i], _ = json.Marshal(benchReply(r, n, i))
		reqs[i] = r.SignedRequest("alice", n.url+"/inbox", bodies[i])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/inbox", bytes.NewReader(bodies[i]))
		req.Header = reqs[i].Header
		req.Host = reqs[i].Host
		rec := httptest.NewRecorder()
		n.fed.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// benchReply is a reply to one of the node's needs: a type the inbox
// queues (Likes are verified and answered without being stored).
func benchReply(r *fedtest.Remote, n *node, i int) map[string]any {
	id := fmt.Sprintf("%s/statuses/%d", r.Actor("alice"), i)
	return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id + "/activity", "type": "Create",
		"actor": r.Actor("alice"), "object": map[string]any{"id": id, "type": "Note", "attributedTo": r.Actor("alice"),
			"inReplyTo": n.url + "/needs/1", "content": "<p>I can help on Tuesday morning.</p>",
			"to": []string{"https://www.w3.org/ns/activitystreams#Public"}}}
}

// BenchmarkSignatureVerification: the checks on one signed POST (headers,
// Date, Digest) and the RSA verification, with the key in hand.
func BenchmarkSignatureVerification(b *testing.B) {
	t := &testing.T{}
	r := fedtest.New(t, "alice")
	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://x.example/1","type":"Like","actor":"` + r.Actor("alice") + `"}`)
	signed := r.SignedRequest("alice", r.URL+"/inbox", body)
	n := newNode(t)
	_, pub, err := n.fed.keyFor(ctx, r.KeyID("alice"), true)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/inbox", nil)
		req.Header, req.Host = signed.Header, signed.Host
		check, err := checkSignatureHeaders(req, body, time.Hour, now)
		if err != nil {
			b.Fatal(err)
		}
		if err := check.verify(pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNote: reading an inbound Create's Note (GoToSocial's
// captured reply) through go-fed's streams.
func BenchmarkParseNote(b *testing.B) {
	raw, err := os.ReadFile("testdata/remote/gotosocial/create-reply.json")
	if err != nil {
		b.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		b.Fatal(err)
	}
	obj := m["object"].(map[string]any)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var doc map[string]any
		if err := decodeJSON(raw, &doc); err != nil {
			b.Fatal(err)
		}
		if n, err := parseNote(ctx, "https://gts.test/users/alice", obj); err != nil || n == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliverBatch: the delivery worker's batch step, 64 deliveries
// to a local inbox that answers at once (each re-signed).
func BenchmarkDeliverBatch(b *testing.B) {
	t := &testing.T{}
	n := newNode(t)
	inbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	defer inbox.Close()
	body := []byte(`{"id":"x","type":"Create"}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var list []*instance.Delivery
		for k := 0; k < 64; k++ {
			list = append(list, &instance.Delivery{Inbox: fmt.Sprintf("%s/inbox/%d", inbox.URL, k), Host: "127.0.0.1", Signer: "group:village",
				ActivityID: fmt.Sprintf("a-%d-%d", i, k), Body: body})
		}
		n.st.EnqueueDeliveries(ctx, list, time.Now())
		b.StartTimer()
		if got, err := n.fed.Deliver(ctx); err != nil || got != 64 {
			b.Fatalf("%d %v", got, err)
		}
	}
}

// BenchmarkInboxParallel: the inbox under concurrent load (group commit
// at work), requests signed before the timer starts.
func BenchmarkInboxParallel(b *testing.B) { benchInboxParallel(b, false) }

// BenchmarkInboxBurst is BenchmarkInboxParallel with the federation's
// workers running, as in hearth serve: the inbox worker stores the replies
// while the burst goes on and shares the cores and the writer with it, as
// in hearth-bench's ingest phase. The clock measures acceptance (202s);
// cpu-us/op is the process's CPU time (both cores, the worker's share
// during the burst included) per accepted reply, which depends less on
// what else the machine runs than ns/op does.
func BenchmarkInboxBurst(b *testing.B) { benchInboxParallel(b, true) }

func benchInboxParallel(b *testing.B, workers bool) {
	t := &testing.T{}
	n := newNode(t, func(o *Options) { o.InboundPerHost = 1 << 30 })
	defer n.st.Close()
	r := fedtest.New(t, "alice")
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "warm"), fedtest.SendOptions{})
	// The need the replies answer (benchReply's /needs/1), so the worker
	// stores them.
	if _, err := n.svc.CreateItem(ctx, n.admin, instance.ItemInput{Kind: instance.KindNeed, Title: "Lifts to the clinic",
		Category: "DIY", Area: "Church Road", Visibility: "public"}); err != nil {
		b.Fatal(err)
	}
	type pre struct {
		body []byte
		req  *http.Request
	}
	reqs := make([]pre, b.N)
	for i := range reqs {
		body, _ := json.Marshal(benchReply(r, n, i))
		reqs[i] = pre{body, r.SignedRequest("alice", n.url+"/inbox", body)}
	}
	if workers {
		wctx, stop := context.WithCancel(ctx)
		go n.fed.Run(wctx)
		defer func() { stop(); n.fed.Wait() }()
	}
	var next atomic.Int64
	b.SetParallelism(16)
	cpu0 := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p := reqs[next.Add(1)-1]
			req := httptest.NewRequest(http.MethodPost, "/inbox", bytes.NewReader(p.body))
			req.Header, req.Host = p.req.Header, p.req.Host
			rec := httptest.NewRecorder()
			n.fed.ServeHTTP(rec, req)
			if rec.Code != http.StatusAccepted {
				b.Errorf("status %d", rec.Code)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
	if workers {
		reportDrain(b, n, b.Elapsed())
	}
}

// reportDrain waits for the inbox worker to store the burst's backlog and
// reports it: the replies still queued when the burst ended, how long the
// worker took to store them after, and its rate during the burst.
func reportDrain(b *testing.B, n *node, burst time.Duration) {
	left := func() int {
		var k int
		if err := n.st.DB().QueryRow(`SELECT COUNT(*) FROM inbox_queue WHERE processed_at IS NULL`).Scan(&k); err != nil {
			b.Fatal(err)
		}
		return k
	}
	backlog, t0 := left(), time.Now()
	for k := backlog; k > 0; k = left() {
		time.Sleep(5 * time.Millisecond) // a benchmark's poll, not a test's synchronisation
	}
	b.ReportMetric(float64(backlog)/float64(b.N)*100, "backlog-%")
	b.ReportMetric(float64(time.Since(t0).Milliseconds()), "drain-ms")
	b.ReportMetric(float64(b.N-backlog)/burst.Seconds(), "stored/s-in-burst")
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkInboxWorker: the inbox worker storing queued replies to one
// need from one remote actor (one lane, as in hearth-bench's ingest
// phase), per reply: parsing the Note, the domain's checks, the reply and
// its notifications, the queue's bookkeeping. The replies are queued
// before the timer starts (the worker does not verify signatures).
func BenchmarkInboxWorker(b *testing.B) {
	t := &testing.T{}
	n := newNode(t)
	defer n.st.Close()
	r := fedtest.New(t, "alice")
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "warm"), fedtest.SendOptions{}) // caches the actor
	n.settle()
	if _, err := n.svc.CreateItem(ctx, n.admin, instance.ItemInput{Kind: instance.KindNeed, Title: "Lifts to the clinic",
		Category: "DIY", Area: "Church Road", Visibility: "public"}); err != nil {
		b.Fatal(err)
	}
	var rows []*instance.InboxRow
	for i := 0; i < b.N; i++ {
		act := benchReply(r, n, i)
		body, _ := json.Marshal(act)
		rows = append(rows, &instance.InboxRow{ActivityID: act["id"].(string), Actor: r.Actor("alice"), Type: "Create", Body: body})
		if len(rows) == 500 || i == b.N-1 {
			if _, err := n.st.EnqueueInboxBatch(ctx, rows, time.Now()); err != nil {
				b.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	cpu0 := processCPU()
	b.ResetTimer()
	got, err := n.fed.ProcessInbox(ctx)
	b.StopTimer()
	if err != nil || got != b.N {
		b.Fatalf("handled %d of %d: %v", got, b.N, err)
	}
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
	var stored int
	n.st.DB().QueryRow(n.st.SQL(`SELECT count(*) FROM responses WHERE remote_actor = ?`), r.Actor("alice")).Scan(&stored)
	if stored != b.N {
		b.Fatalf("%d replies stored, want %d", stored, b.N)
	}
}
