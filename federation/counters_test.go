package federation

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// countRecorder is a Counters that remembers what it was told.
type countRecorder struct {
	mu       sync.Mutex
	refused  map[string]int
	accepted map[string]int
	results  map[string]int
	routes   []string
	down     int
}

func newCountRecorder() *countRecorder {
	return &countRecorder{refused: map[string]int{}, accepted: map[string]int{}, results: map[string]int{}}
}

func (c *countRecorder) Request(route, method string, status int, _ time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.routes = append(c.routes, method+" "+route+" "+http.StatusText(status))
}
func (c *countRecorder) InboxAccepted(r string) { c.mu.Lock(); c.accepted[r]++; c.mu.Unlock() }
func (c *countRecorder) InboxRefused(r string)  { c.mu.Lock(); c.refused[r]++; c.mu.Unlock() }
func (c *countRecorder) Delivered(r string)     { c.mu.Lock(); c.results[r]++; c.mu.Unlock() }
func (c *countRecorder) HostDown()              { c.mu.Lock(); c.down++; c.mu.Unlock() }

// The inbox counts what it accepts and refuses, by result and by reason,
// and requests are counted by route template, not path.
func TestInboxCounters(t *testing.T) {
	rec := newCountRecorder()
	n := newNode(t, func(o *Options) { o.Counters = rec })
	r := fedtest.New(t, "alice")
	it := n.postNeed("public")
	reply := replyTo(r, "alice", "1", n.url+it.Path(), "<p>I can help</p>")
	if resp := r.Send("alice", n.url+"/inbox", reply, fedtest.SendOptions{NoSignature: true}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d", resp.StatusCode)
	}
	if rec.refused["no_signature"] != 1 {
		t.Errorf("refused = %v, want no_signature once", rec.refused)
	}
	for range 2 {
		if resp := r.Send("alice", n.url+"/groups/village/inbox", reply, fedtest.SendOptions{}); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("signed: %d", resp.StatusCode)
		}
	}
	if rec.accepted["queued"] != 1 || rec.accepted["duplicate"] != 1 {
		t.Errorf("accepted = %v, want queued 1 and duplicate 1", rec.accepted)
	}
	if got := strings.Join(rec.routes, "|"); !strings.Contains(got, "POST /groups/{handle}/inbox Accepted") ||
		!strings.Contains(got, "POST /inbox Unauthorized") || strings.Contains(got, "/groups/village") {
		t.Errorf("requests observed: %s", got)
	}
}

// Delivery outcomes are counted, and a host that says it is down is
// counted as marked down.
func TestDeliveryCounters(t *testing.T) {
	rec := newCountRecorder()
	n := newNode(t, func(o *Options) { o.Counters = rec })
	up, down := fedtest.New(t, "alice"), fedtest.New(t, "bob")
	down.Status = http.StatusServiceUnavailable
	var list []*instance.Delivery
	for _, r := range []*fedtest.Remote{up, down} {
		list = append(list, &instance.Delivery{Inbox: r.URL + "/inbox", Host: r.Host(), Signer: "instance",
			ActivityID: n.url + "/activities/x", Body: []byte(`{"id":"x","type":"Like","actor":"` + n.url + `/actor"}`)})
	}
	if err := n.st.EnqueueDeliveries(ctx, list, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := n.fed.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if rec.results["done"] != 1 || rec.results["retry"] != 1 || rec.down != 1 {
		t.Errorf("delivery results = %v, hosts down = %d; want done 1, retry 1 and one host down", rec.results, rec.down)
	}
}

// failingStore is a store whose database goes away: storing inbound
// activities (and, with keys too, reading keys) fails, and so does the
// readiness check.
type failingStore struct {
	Store
	down atomic.Bool
	keys bool // key lookups fail too
}

var errIO = errors.New("disk I/O error")

func (s *failingStore) Ready(c context.Context) error {
	if s.down.Load() {
		return errors.Join(instance.ErrUnavailable, errIO)
	}
	return s.Store.Ready(c)
}

func (s *failingStore) EnqueueInboxBatch(c context.Context, rows []*instance.InboxRow, now time.Time) ([]bool, error) {
	if s.down.Load() {
		return nil, errIO
	}
	return s.Store.EnqueueInboxBatch(c, rows, now)
}

func (s *failingStore) RemoteActorByKeyID(c context.Context, keyID string) (*instance.RemoteActor, error) {
	if s.keys && s.down.Load() {
		return nil, errIO
	}
	return s.Store.RemoteActorByKeyID(c, keyID)
}

func (s *failingStore) SaveRemoteActor(c context.Context, a *instance.RemoteActor) error {
	if s.keys && s.down.Load() {
		return errIO
	}
	return s.Store.SaveRemoteActor(c, a)
}

// While the database cannot store an inbound activity the inbox answers
// 503 with Retry-After (never 202: the sender must keep it), counted as
// "unavailable"; once the database is back the same activity is queued.
func TestInboxUnavailableWhileStoreFails(t *testing.T) {
	for _, keys := range []bool{false, true} {
		rec := newCountRecorder()
		var fs *failingStore
		n := newNode(t, func(o *Options) {
			fs = &failingStore{Store: o.Store, keys: keys}
			o.Store, o.Counters = fs, rec
		})
		r := fedtest.New(t, "alice")
		it := n.postNeed("public")
		reply := replyTo(r, "alice", "1", n.url+it.Path(), "<p>I can help</p>")
		fs.down.Store(true)
		resp := r.Send("alice", n.url+"/inbox", reply, fedtest.SendOptions{})
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("keys failing %v: %d (Retry-After %q), want 503 with Retry-After", keys, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if rec.refused["unavailable"] != 1 || rec.accepted["queued"] != 0 || rec.refused["key_unavailable"] != 0 {
			t.Errorf("keys failing %v: refused %v, accepted %v", keys, rec.refused, rec.accepted)
		}
		fs.down.Store(false)
		if resp := r.Send("alice", n.url+"/inbox", reply, fedtest.SendOptions{}); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("keys failing %v: once the database is back: %d, want 202", keys, resp.StatusCode)
		}
		if rec.accepted["queued"] != 1 {
			t.Errorf("keys failing %v: the activity sent again was not queued: %v", keys, rec.accepted)
		}
		n.settle()
		if len(responses(t, n, it)) != 1 {
			t.Errorf("keys failing %v: the reply was not stored once the database was back", keys)
		}
	}
}

func (s *failingStore) CountMembers(c context.Context, st instance.Status) (int, error) {
	if s.down.Load() {
		return 0, errIO
	}
	return s.Store.CountMembers(c, st)
}

// A document that needs the database answers 503 with Retry-After while
// it is away (not 500), and 200 again once it is back.
func TestDocumentsUnavailableWhileStoreFails(t *testing.T) {
	var fs *failingStore
	n := newNode(t, func(o *Options) {
		fs = &failingStore{Store: o.Store}
		o.Store = fs
	})
	get := func() *http.Response {
		resp, err := http.Get(n.url + "/nodeinfo/2.1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	fs.down.Store(true)
	if resp := get(); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("nodeinfo with the database away: %d (Retry-After %q), want 503", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	fs.down.Store(false)
	if resp := get(); resp.StatusCode != http.StatusOK {
		t.Errorf("nodeinfo once the database is back: %d", resp.StatusCode)
	}
}
