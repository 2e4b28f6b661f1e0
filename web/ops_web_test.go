package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hearth/instance"
)

// flakyStore is a store whose database can be taken away and given back:
// while down, readiness and the reads of the home page fail.
type flakyStore struct {
	instance.Store
	down atomic.Bool
}

var errDiskGone = errors.New("disk I/O error")

func (f *flakyStore) Ready(ctx context.Context) error {
	if f.down.Load() {
		return errors.Join(instance.ErrUnavailable, errDiskGone)
	}
	return f.Store.Ready(ctx)
}

func (f *flakyStore) ListGroups(ctx context.Context) ([]*instance.Group, error) {
	if f.down.Load() {
		return nil, errDiskGone // what a driver says: no ErrUnavailable in it
	}
	return f.Store.ListGroups(ctx)
}

// /healthz answers while the process runs, whatever the database does;
// /readyz only while the database answers at the right schema. Both are
// open to visitors (load balancers do not sign in).
func TestHealthAndReadiness(t *testing.T) {
	var flaky *flakyStore
	h := newHarness(t, instance.RegistrationOpen, func(o *instance.Options) {
		flaky = &flakyStore{Store: o.Store}
		o.Store = flaky
	})
	c := h.client()
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := c.get(path); r.status != http.StatusOK {
			t.Errorf("%s: %d %q, want 200", path, r.status, r.body)
		}
	}
	flaky.down.Store(true)
	if r := c.get("/healthz"); r.status != http.StatusOK || r.body != "ok\n" {
		t.Errorf("/healthz with the database away: %d %q, want 200 ok", r.status, r.body)
	}
	r := c.get("/readyz")
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || strings.Contains(r.body, "disk") {
		t.Errorf("/readyz with the database away: %d %q (Retry-After %q), want a bare 503", r.status, r.body, r.header.Get("Retry-After"))
	}
	flaky.down.Store(false)
	if r := c.get("/readyz"); r.status != http.StatusOK {
		t.Errorf("/readyz once the database is back: %d", r.status)
	}
	h.store.Close()
	if r := c.get("/readyz"); r.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database closed: %d, want 503", r.status)
	}
}

// Losing the database gives a plain 503 page from the catalogue with
// Retry-After (not "something went wrong", 500), and pages work again by
// themselves once it is back.
func TestDatabaseLostGives503AndRecovers(t *testing.T) {
	var flaky *flakyStore
	h := newHarness(t, instance.RegistrationOpen, func(o *instance.Options) {
		flaky = &flakyStore{Store: o.Store}
		o.Store = flaky
	})
	c := h.client()
	if r := c.get("/"); r.status != http.StatusOK {
		t.Fatalf("home: %d", r.status)
	}
	flaky.down.Store(true)
	r := c.get("/")
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != retryUnavailable {
		t.Fatalf("home with the database away: %d (Retry-After %q), want 503", r.status, r.header.Get("Retry-After"))
	}
	checkPage(t, "unavailable", r, 0)
	mustContain(t, r.body, "The site cannot reach its database at the moment.")
	if strings.Contains(r.body, "disk I/O") {
		t.Error("the page shows the internal error")
	}
	flaky.down.Store(false)
	if r := c.get("/"); r.status != http.StatusOK {
		t.Errorf("home once the database is back: %d, want 200", r.status)
	}
	// Any other failure, with the database answering, is still ours: 500.
	h.store.Close()
	if r := c.get("/"); r.status != http.StatusServiceUnavailable {
		t.Errorf("home with the database closed: %d, want 503", r.status)
	}
}

// The federation health page: admins see the queues and each failing
// server with its last error and next try; a coordinator is refused by
// the domain.
func TestFederationHealthPage(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ada", instance.RoleAdmin)
	h.member("cora", instance.RoleCoordinator)
	ctx := context.Background()
	now := h.clock.now()
	d := &instance.Delivery{Inbox: "https://down.example/inbox", Host: "down.example", Signer: "group:village",
		ActivityID: "https://127.0.0.1:8080/a/1", Body: []byte(`{}`)}
	if err := h.store.EnqueueDeliveries(ctx, []*instance.Delivery{d}, now); err != nil {
		t.Fatal(err)
	}
	due, err := h.store.DueDeliveries(ctx, now, 1)
	if err != nil || len(due) != 1 {
		t.Fatal(due, err)
	}
	if err := h.store.FinishDelivery(ctx, instance.DeliveryResult{ID: due[0].ID, Host: "down.example", Status: "pending",
		Next: now.Add(time.Minute), Error: "HTTP 503", HostDown: true, HostRetryAt: now.Add(30 * time.Second)}, now); err != nil {
		t.Fatal(err)
	}
	r := h.as("ada").get("/admin/federation")
	if r.status != http.StatusOK {
		t.Fatalf("admin: %d %s", r.status, r.body)
	}
	checkPage(t, "federation health", r, 0)
	mustContain(t, r.body, "Federation health", "To send to other servers", "down.example", "<code>HTTP 503</code>",
		"1 message", "Friday 27 November 2026, 10:01 GMT", "1 waiting, the oldest since Friday 27 November 2026, 10:00 GMT", "nothing waiting")
	if r := h.as("cora").get("/admin/federation"); r.status != http.StatusForbidden || !strings.Contains(r.body, "You do not have permission") {
		t.Errorf("coordinator: %d, want 403", r.status)
	}
	if r := h.as("ada").get("/coordinate"); !strings.Contains(r.body, `href="/admin/federation"`) {
		t.Error("the Coordinate page does not link to federation health")
	}
}

// Every request is observed once, by its route template, never its path.
func TestRequestsObservedByRoute(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	var mu sync.Mutex
	var seen []string
	o := h.web.opt
	o.Observe = func(route, method string, status int, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, method+" "+route+" "+http.StatusText(status))
	}
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.h = w.Handler()
	c := h.client()
	c.get("/groups/village")
	c.get("/no-such-page")
	c.get("/healthz")
	want := []string{"GET /groups/{handle} OK", "GET unmatched Not Found", "GET /healthz OK"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("observed %q, want %q", seen, want)
	}
}
