package federation

import (
	"context"
	"crypto/rsa"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"hearth/instance"
)

// docCache keeps encoded actor and WebFinger documents for a short time.
// One popular post brings hundreds of servers to fetch the same actor at
// once; building it each time (a database query and go-fed's reflective
// serializer) made those GETs cost ten times a plain handler. A group's
// changed name or description shows after at most docTTL.
type docCache struct {
	mu sync.Mutex
	m  map[string]cachedDoc
}

type cachedDoc struct {
	status      int
	contentType string
	body        []byte
	until       time.Time
}

const docTTL = 30 * time.Second

func (c *docCache) get(key string, now time.Time) (cachedDoc, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.m[key]
	if !ok || now.After(d.until) {
		return cachedDoc{}, false
	}
	return d, true
}

func (c *docCache) put(key string, d cachedDoc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]cachedDoc{}
	}
	c.m[key] = d
}

// cached serves a document from the cache, or builds it with fn (which
// writes to a recorder) and caches a successful answer.
func (f *Federation) cached(w http.ResponseWriter, r *http.Request, key string, fn func(http.ResponseWriter, *http.Request)) {
	now := f.now()
	if d, ok := f.docs.get(key, now); ok {
		w.Header().Set("Content-Type", d.contentType)
		w.Header().Set("Vary", "Accept")
		w.WriteHeader(d.status)
		_, _ = w.Write(d.body) // the client may have gone
		return
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	fn(rec, r)
	if rec.status == http.StatusOK {
		f.docs.put(key, cachedDoc{status: rec.status, contentType: rec.header.Get("Content-Type"), body: rec.body, until: now.Add(docTTL)})
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body)
}

type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(s int)           { r.status = s }
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }

// keyCache keeps parsed remote public keys in memory (the database row
// is the durable copy).
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedKey
}

type cachedKey struct {
	actor *instance.RemoteActor
	pub   *rsa.PublicKey
}

func (c *keyCache) get(keyID string, now time.Time) (cachedKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[keyID]
	if !ok || now.Sub(k.actor.FetchedAt) >= actorCacheTTL {
		return cachedKey{}, false
	}
	return k, true
}

func (c *keyCache) put(keyID string, k cachedKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]cachedKey{}
	}
	c.m[keyID] = k
}

// blockCache keeps the coordinators' domain and actor blocks in memory,
// reloaded every few seconds (and at once after a block made here).
type blockCache struct {
	mu      sync.Mutex
	loaded  time.Time
	version uint64
	domains []string
	actors  map[string]bool
}

const blockTTL = 5 * time.Second

func (f *Federation) blocks() ([]string, map[string]bool) {
	b := &f.blockList
	b.mu.Lock()
	defer b.mu.Unlock()
	version := f.store.BlocksVersion()
	if time.Since(b.loaded) < blockTTL && b.actors != nil && version == b.version {
		return b.domains, b.actors
	}
	ctx := context.Background()
	domains, err1 := f.store.BlockedDomains(ctx)
	actors, err2 := f.store.BlockedActors(ctx)
	if err1 != nil || err2 != nil {
		f.log.Error("loading blocks", "err", err1, "err2", err2)
		return b.domains, b.actors // keep the last known list
	}
	b.domains, b.actors, b.loaded, b.version = domains, map[string]bool{}, time.Now(), version
	for _, a := range actors {
		b.actors[a] = true
	}
	return b.domains, b.actors
}

// inboxBatcher commits inbound activities in groups: the first request to
// arrive leads, waits a moment for others, and writes them all in one
// transaction; every request returns only after its row is committed, so
// a 202 still means "durably queued". Rows that arrived during a write are
// the next group: the leader hands the lead to the first of them and
// answers its own sender, so under a steady stream no request leads for
// ever (one did: it wrote group after group while its sender waited).
type inboxBatcher struct {
	mu       sync.Mutex
	pending  []*queued
	flushing bool
	// inFlight counts inbox requests being handled: a lone request does
	// not wait for company.
	inFlight atomic.Int64
}

type queued struct {
	row   instance.InboxRow
	fresh bool
	// done carries the write's outcome, or errLead first when the request
	// is to lead the next group.
	done chan error
}

// errLead tells a waiting request that its row is the first of the next
// group and that it writes that group.
var errLead = errors.New("federation: lead the next group")

func (f *Federation) enqueue(ctx context.Context, row instance.InboxRow) (bool, error) {
	q := &queued{row: row, done: make(chan error, 1)}
	b := &f.batch
	b.mu.Lock()
	b.pending = append(b.pending, q)
	lead := !b.flushing
	if lead {
		b.flushing = true
	}
	b.mu.Unlock()
	if lead {
		if b.inFlight.Load() > 1 {
			time.Sleep(500 * time.Microsecond) // let concurrent requests join this batch
		}
	} else if err := <-q.done; err != errLead {
		return q.fresh, err
	}
	b.mu.Lock()
	batch := b.pending
	b.pending = nil
	b.mu.Unlock()
	rows := make([]*instance.InboxRow, len(batch))
	for i, x := range batch {
		rows[i] = &x.row
	}
	fresh, err := f.store.EnqueueInboxBatch(context.WithoutCancel(ctx), rows, f.now())
	for i, x := range batch {
		if err == nil {
			x.fresh = fresh[i]
		}
		x.done <- err
	}
	b.mu.Lock()
	if len(b.pending) == 0 {
		b.flushing = false
	} else {
		b.pending[0].done <- errLead
	}
	b.mu.Unlock()
	err = <-q.done
	return q.fresh, err
}

// contactLog remembers when we last checked whether a host that sent us
// an unqueued activity (a Like, say) was marked as failing, so such
// traffic still tells the delivery worker the host is back — "until it
// contacts us" — at the cost of one read per host a minute, not a write
// per activity.
type contactLog struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

const contactRecheck = time.Minute

// contacted records that host sent a verified activity now.
func (f *Federation) contacted(ctx context.Context, host string) {
	c := &f.contacts
	now := f.now()
	c.mu.Lock()
	if c.seen == nil || len(c.seen) > 10000 {
		c.seen = map[string]time.Time{} // forget, rather than grow without end
	}
	last, ok := c.seen[host]
	if ok && now.Sub(last) < contactRecheck {
		c.mu.Unlock()
		return
	}
	c.seen[host] = now
	c.mu.Unlock()
	if since, err := f.store.HostFailingSince(ctx, host); err == nil && !since.IsZero() {
		_ = f.store.HostAnswered(ctx, host, now) // best effort, as in the inbox worker
	}
}

// hostLimiter counts events per key (a remote host, a client address) in
// a sliding window, in memory: a speed bump for one process.
type hostLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    instance.Clock
	seen   map[string][]time.Time
	// others is what the other nodes on the database counted per key in
	// their windows, as last shared (ratelimits.go); empty on one node.
	others map[string]int
}

func newHostLimiter(max int, window time.Duration, now instance.Clock) *hostLimiter {
	if max <= 0 {
		max = 300
	}
	return &hostLimiter{max: max, window: window, now: now, seen: map[string][]time.Time{}}
}

// allow records one event for key unless key is already at the limit.
func (h *hostLimiter) allow(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.recent(key)
	if len(list)+h.others[key] >= h.max {
		return false
	}
	h.record(key, list)
	return true
}

// full reports whether key is at the limit, without recording anything.
func (h *hostLimiter) full(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.recent(key))+h.others[key] >= h.max
}

// add records one event for key, even over the limit.
func (h *hostLimiter) add(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.record(key, h.recent(key))
}

// recent drops key's events older than the window and returns the rest.
func (h *hostLimiter) recent(key string) []time.Time {
	now := h.now()
	list := h.seen[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) > h.window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(h.seen, key) // a key only asked about takes no memory
	} else {
		h.seen[key] = list
	}
	return list
}

func (h *hostLimiter) record(key string, list []time.Time) {
	now := h.now()
	if len(h.seen) > 10000 { // bound memory: forget quiet keys
		for k, v := range h.seen {
			if len(v) == 0 || now.Sub(v[len(v)-1]) > h.window {
				delete(h.seen, k)
			}
		}
	}
	if len(list) >= 2*h.max { // over the limit: keep the window's newest
		list = list[1:]
	}
	h.seen[key] = append(list, now)
}
