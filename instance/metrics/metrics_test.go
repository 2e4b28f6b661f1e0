package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

type source struct {
	queues []instance.QueueStat
	hosts  []instance.FailingHost
	err    error
}

func (s *source) QueueStats(context.Context) ([]instance.QueueStat, error) { return s.queues, s.err }
func (s *source) FailingHosts(context.Context, int) ([]instance.FailingHost, error) {
	return s.hosts, s.err
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler("").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d", rec.Code)
	}
	return rec.Body.String()
}

// Queue gauges are read at scrape time: depth, the oldest item's age, the
// failing servers by state; a database that cannot be read leaves them
// out and says so (hearth_database_up 0) while the rest is still served.
func TestQueueCollector(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	src := &source{
		queues: []instance.QueueStat{{Queue: "deliveries", Depth: 3, Oldest: now.Add(-90 * time.Second)}, {Queue: "mail"}},
		hosts: []instance.FailingHost{{Host: "a.example", FailingSince: now.Add(-time.Hour), RetryAt: now.Add(time.Minute)},
			{Host: "b.example", FailingSince: now.Add(-100 * time.Hour)}},
	}
	m := New(Options{Source: src, Clock: func() time.Time { return now }, Version: "test"})
	body := scrape(t, m)
	for _, want := range []string{`hearth_database_up 1`, `hearth_queue_depth{queue="deliveries"} 3`,
		`hearth_queue_oldest_age_seconds{queue="deliveries"} 90`, `hearth_queue_oldest_age_seconds{queue="mail"} 0`,
		`hearth_federation_hosts_failing{state="failing"} 2`, `hearth_federation_hosts_failing{state="circuit_open"} 1`,
		`hearth_federation_hosts_failing{state="unavailable"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	src.err = errors.New("disk I/O error")
	body = scrape(t, m)
	if !strings.Contains(body, "hearth_database_up 0") || strings.Contains(body, "hearth_queue_depth") ||
		!strings.Contains(body, "go_goroutines") {
		t.Errorf("with the database away: %s", body[:min(len(body), 400)])
	}
}

// Counted events show under their labels; unknown methods share one.
func TestCounters(t *testing.T) {
	m := New(Options{})
	f := m.Federation()
	f.InboxRefused("bad_signature")
	f.InboxRefused("bad_signature")
	f.InboxAccepted("queued")
	f.Delivered("retry")
	f.HostDown()
	m.Web("/groups/{handle}", "PROPFIND", 404, time.Millisecond)
	body := scrape(t, m)
	for _, want := range []string{`hearth_inbox_refused_total{reason="bad_signature"} 2`, `hearth_inbox_accepted_total{result="queued"} 1`,
		`hearth_deliveries_total{result="retry"} 1`, `hearth_federation_hosts_marked_down_total 1`,
		`hearth_http_request_duration_seconds_count{code="404",method="other",route="/groups/{handle}",surface="web"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}
