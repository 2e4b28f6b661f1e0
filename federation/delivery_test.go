package federation

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
	"hearth/instance/store"
)

// A delivery that fails with 503 stays queued with its error and next
// attempt; it survives a restart (a new store and federation on the same
// file) and is delivered, re-signed with a fresh Date, once the server is
// back. 4xx other than 408/429 is final.
func TestDeliveryRetryAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.db")
	r := fedtest.New(t, "alice")
	r.Status = http.StatusServiceUnavailable
	now := time.Now()
	clock := func() time.Time { return now }

	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := instance.New(instance.Options{Store: st, Clock: clock})
	svc.EnsureMainGroup(ctx, "village", "Village")
	// The fake fetches our actor to verify our signature: serve it.
	var current *Federation
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { current.ServeHTTP(w, r) }))
	defer srv.Close()
	fed := New(Options{Store: st, Service: svc, BaseURL: srv.URL, Clock: clock, AllowPrivateAddresses: true})
	current = fed
	if err := st.EnqueueDeliveries(ctx, []*instance.Delivery{{Inbox: r.URL + "/inbox", Host: "127.0.0.1", Signer: "instance",
		ActivityID: srv.URL + "/activities/x", Body: []byte(`{"id":"x","type":"Like","actor":"` + srv.URL + `/actor"}`)}}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := fed.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	stats, _ := st.DeliveryStats(ctx)
	due, _ := st.DueDeliveries(ctx, now.Add(2*time.Minute), 10)
	if stats["pending"] != 1 || len(due) != 1 || !strings.Contains(due[0].LastError, "503") || due[0].Attempts != 1 {
		t.Fatalf("after a 503: %v, due %v", stats, due)
	}
	firstDate := r.Received()[0].Header.Get("Date")
	st.Close()

	// Restart: new store, new federation, the server is back.
	st, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now = now.Add(2 * time.Minute)
	r.Status = 0
	svc, _ = instance.New(instance.Options{Store: st, Clock: clock})
	fed = New(Options{Store: st, Service: svc, BaseURL: srv.URL, Clock: clock, AllowPrivateAddresses: true})
	current = fed
	time.Sleep(1100 * time.Millisecond) // so the re-signed Date differs at one-second resolution
	if n, err := fed.Deliver(ctx); err != nil || n != 1 {
		t.Fatalf("deliver after restart: %d %v", n, err)
	}
	stats, _ = st.DeliveryStats(ctx)
	if stats["done"] != 1 {
		t.Fatalf("after restart: %v; fake failures %v", stats, r.Failures())
	}
	got := r.Received()
	if len(got) != 2 || got[1].Header.Get("Date") == firstDate {
		t.Errorf("retry not re-signed: %d requests, dates %q %q", len(got), firstDate, got[len(got)-1].Header.Get("Date"))
	}

	// A 410 is final.
	r.Status = http.StatusGone
	st.EnqueueDeliveries(ctx, []*instance.Delivery{{Inbox: r.URL + "/inbox", Host: "127.0.0.1", Signer: "instance",
		ActivityID: "y", Body: []byte(`{"id":"y","type":"Like","actor":"` + srv.URL + `/actor"}`)}}, now)
	fed.Deliver(ctx)
	stats, _ = st.DeliveryStats(ctx)
	if stats["failed"] != 1 {
		t.Errorf("after a 410: %v", stats)
	}
}
