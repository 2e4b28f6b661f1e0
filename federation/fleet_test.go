package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"hearth/instance"
)

// fleet is a set of fake inboxes, each on its own host name
// (host0.test, host1.test…), all served on loopback: the client it hands
// out dials each name's own server, so per-host rules see distinct hosts.
// An inbox answers 202 at once, or hangs (blocks on a channel the test
// controls) until released or until our request is cancelled. It counts
// the requests in flight per host and reports every arrival on a channel,
// so tests wait on events instead of sleeping.
type fleet struct {
	t        testing.TB
	mu       sync.Mutex
	inboxes  map[string]*fakeInbox
	arrivals chan arrival
	client   *http.Client
}

type arrival struct {
	host, path, activity string
}

type fakeInbox struct {
	host     string
	srv      *httptest.Server
	mu       sync.Mutex
	hang     bool
	release  chan struct{} // closed to let hanging requests answer
	step     chan struct{} // a send lets one hanging request answer
	status   int           // answered when not hanging (0: 202)
	inFlight int
	max      int // most requests in flight at once
	got      []arrival
}

func newFleet(t testing.TB, n int) *fleet {
	fl := &fleet{t: t, inboxes: map[string]*fakeInbox{}, arrivals: make(chan arrival, 100000)}
	addrs := map[string]string{}
	for i := 0; i < n; i++ {
		in := &fakeInbox{host: fmt.Sprintf("host%d.test", i), release: make(chan struct{}), step: make(chan struct{})}
		in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fl.serve(in, w, r) }))
		fl.inboxes[in.host] = in
		addrs[in.host] = in.srv.Listener.Addr().String()
	}
	t.Cleanup(func() {
		for _, in := range fl.inboxes {
			in.unhang()
			in.srv.Close()
		}
	})
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	fl.client = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			target, ok := addrs[host]
			if !ok {
				return nil, fmt.Errorf("fleet: no host %s", host)
			}
			return dialer.DialContext(ctx, network, target)
		},
		MaxIdleConnsPerHost: 64,
	}}
	return fl
}

func (fl *fleet) serve(in *fakeInbox, w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	id, _ := m["id"].(string)
	a := arrival{host: in.host, path: r.URL.Path, activity: id}
	in.mu.Lock()
	in.inFlight++
	in.max = max(in.max, in.inFlight)
	in.got = append(in.got, a)
	hang, release, status := in.hang, in.release, in.status
	in.mu.Unlock()
	defer func() {
		in.mu.Lock()
		in.inFlight--
		in.mu.Unlock()
	}()
	fl.arrivals <- a
	if hang {
		select {
		case <-release:
		case <-in.step:
		case <-r.Context().Done():
			return
		}
	}
	if status == 0 {
		status = http.StatusAccepted
	}
	w.WriteHeader(status)
}

func (fl *fleet) inbox(i int) *fakeInbox { return fl.inboxes[fmt.Sprintf("host%d.test", i)] }

// setHang makes an inbox hang (true) or answer (false, releasing the
// requests hanging now).
func (in *fakeInbox) setHang(h bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.hang && !h {
		close(in.release)
		in.release = make(chan struct{})
	}
	in.hang = h
}

func (in *fakeInbox) unhang() { in.setHang(false) }

func (in *fakeInbox) hanging() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.hang
}

func (in *fakeInbox) setStatus(code int) {
	in.mu.Lock()
	in.status = code
	in.mu.Unlock()
}

func (in *fakeInbox) stats() (inFlight, max, received int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.inFlight, in.max, len(in.got)
}

// waitArrivals waits until want(a) has held for count arrivals, or fails
// after a generous bound (a hang, not a timing assertion).
func (fl *fleet) waitArrivals(count int, want func(arrival) bool) {
	fl.t.Helper()
	fl.waitArrivalsFor(30*time.Second, count, want)
}

func (fl *fleet) waitArrivalsFor(bound time.Duration, count int, want func(arrival) bool) {
	fl.t.Helper()
	deadline := time.After(bound)
	for count > 0 {
		select {
		case a := <-fl.arrivals:
			if want(a) {
				count--
			}
		case <-deadline:
			fl.t.Fatalf("fleet: still waiting for %d arrivals", count)
		}
	}
}

// waitDone waits for a channel to close, failing after a generous bound
// (a hang, not a timing assertion).
func waitDone(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("still waiting for %s", what)
	}
}

// deliveries builds one delivery of activity to the shared inbox of each
// of hosts.
func (fl *fleet) deliveries(activity string, hosts ...int) []*instance.Delivery {
	var out []*instance.Delivery
	for _, i := range hosts {
		h := fmt.Sprintf("host%d.test", i)
		out = append(out, &instance.Delivery{Inbox: "http://" + h + "/inbox", Host: h, Signer: "group:village", ActivityID: activity,
			Body: []byte(`{"id":"` + activity + `","type":"Create"}`)})
	}
	return out
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// BenchmarkHealthyWhileFourOfTwentyHang: a post goes to 20 inboxes on 20
// hosts, 4 of which hang (they never answer; our request times out);
// while those attempts are in flight a second post is made. The metric is
// how long the second post takes to reach all 16 healthy inboxes through
// the running worker. Each iteration has a fresh instance and fleet.
func BenchmarkHealthyWhileFourOfTwentyHang(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fl := newFleet(b, 20)
		for h := 0; h < 4; h++ {
			fl.inbox(h).setHang(true)
		}
		n := newNode(&testing.T{}, func(o *Options) { o.Client = fl.client })
		runCtx, stop := context.WithCancel(ctx)
		n.fed.Run(runCtx)
		if err := n.st.EnqueueDeliveries(ctx, fl.deliveries("https://example.test/a", seq(0, 20)...), time.Now()); err != nil {
			b.Fatal(err)
		}
		fl.waitArrivals(20, func(a arrival) bool { return a.activity == "https://example.test/a" })
		b.StartTimer()
		t0 := time.Now()
		if err := n.st.EnqueueDeliveries(ctx, fl.deliveries("https://example.test/b", seq(0, 20)...), time.Now()); err != nil {
			b.Fatal(err)
		}
		fl.waitArrivals(16, func(a arrival) bool { return a.activity == "https://example.test/b" && !fl.inboxes[a.host].hanging() })
		total += time.Since(t0)
		b.StopTimer()
		stop()
		for _, in := range fl.inboxes {
			in.unhang()
		}
		n.st.Close()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-healthy")
}

// BenchmarkHealthyBehind64SilentFollowers: a post goes to 64 followers on
// one server that never answers (personal inboxes, no shared inbox) and
// to one follower on a healthy server, queued after them. The metric is
// how long the healthy follower waits, through the running worker.
func BenchmarkHealthyBehind64SilentFollowers(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fl := newFleet(b, 2)
		fl.inbox(0).setHang(true)
		n := newNode(&testing.T{}, func(o *Options) { o.Client = fl.client })
		var list []*instance.Delivery
		for k := 0; k < 64; k++ {
			list = append(list, &instance.Delivery{Inbox: fmt.Sprintf("http://host0.test/users/u%d/inbox", k), Host: "host0.test",
				Signer: "group:village", ActivityID: "https://example.test/a", Body: []byte(`{"id":"https://example.test/a"}`)})
		}
		list = append(list, fl.deliveries("https://example.test/a", 1)...)
		if _, err := n.fed.keys.get(ctx, "group:village"); err != nil { // the group's key exists before the post
			b.Fatal(err)
		}
		runCtx, stop := context.WithCancel(ctx)
		n.fed.Run(runCtx)
		b.StartTimer()
		t0 := time.Now()
		if err := n.st.EnqueueDeliveries(ctx, list, time.Now()); err != nil {
			b.Fatal(err)
		}
		fl.waitArrivalsFor(20*time.Minute, 1, func(a arrival) bool { return a.host == "host1.test" })
		total += time.Since(t0)
		b.StopTimer()
		stop()
		fl.inbox(0).unhang()
		n.st.Close()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-healthy")
}
