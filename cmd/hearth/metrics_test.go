package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"hearth/instance/config"
	"hearth/instance/store"
)

const metricsToken = "0123456789abcdef0123456789abcdef"

// testApp opens an instance with cfg changed by edit, and its handler.
func testApp(t *testing.T, edit func(*config.Config)) (*app, http.Handler) {
	t.Helper()
	cfg := config.Default()
	cfg.BaseURL = "http://127.0.0.1:8080"
	cfg.DataDir = t.TempDir()
	edit(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := openApp(context.Background(), &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	a.metrics = a.newMetrics()
	h, err := a.handler("", a.federation())
	if err != nil {
		t.Fatal(err)
	}
	return a, h
}

func get(h http.Handler, path, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = "127.0.0.1:8080"
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// /metrics is never on the public listener by default: without
// configuration there are none; with only metrics_listen, the main
// listener does not serve them either.
func TestMetricsNotPublicByDefault(t *testing.T) {
	for name, edit := range map[string]func(*config.Config){
		"unconfigured":          func(*config.Config) {},
		"on a separate address": func(c *config.Config) { c.MetricsListen = "127.0.0.1:0" },
	} {
		_, h := testApp(t, edit)
		rec := get(h, "/metrics", "")
		if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "hearth_") {
			t.Errorf("%s: GET /metrics on the main listener: %d, want 404 and no metrics", name, rec.Code)
		}
		if rec := get(h, "/metrics", "Bearer "+metricsToken); rec.Code != http.StatusNotFound {
			t.Errorf("%s: with a token: %d, want 404", name, rec.Code)
		}
	}
}

// With metrics_token, /metrics on the main listener needs that token:
// none or a wrong one gets 401 and no metrics; the right one gets them.
func TestMetricsBehindToken(t *testing.T) {
	_, h := testApp(t, func(c *config.Config) { c.MetricsToken = metricsToken })
	for _, auth := range []string{"", "Bearer wrong", "Bearer " + metricsToken + "x", "Basic " + metricsToken, metricsToken} {
		rec := get(h, "/metrics", auth)
		if rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "hearth_") ||
			!strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("Authorization %q: %d %q, want 401", auth, rec.Code, rec.Body.String())
		}
	}
	rec := get(h, "/metrics", "Bearer "+metricsToken)
	if rec.Code != http.StatusOK {
		t.Fatalf("right token: %d", rec.Code)
	}
	for _, want := range []string{`hearth_database_up 1`, `hearth_queue_depth{queue="deliveries"} 0`,
		`hearth_queue_oldest_age_seconds{queue="inbox"} 0`, `go_sql_open_connections{db_name="writer"}`,
		`hearth_federation_hosts_failing{state="failing"} 0`, `hearth_build_info{version=`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// A metric moves when its event happens: an unsigned inbox POST is
// refused (no_signature) and counted under that reason; a page is timed
// under its route template, not its path.
func TestMetricsMove(t *testing.T) {
	_, h := testApp(t, func(c *config.Config) { c.MetricsToken = metricsToken })
	refused := regexp.MustCompile(`hearth_inbox_refused_total\{reason="no_signature"\} (\d+)`)
	count := func() string {
		m := refused.FindStringSubmatch(get(h, "/metrics", "Bearer "+metricsToken).Body.String())
		if m == nil {
			return "0"
		}
		return m[1]
	}
	if got := count(); got != "0" {
		t.Fatalf("before: %s refused", got)
	}
	req := httptest.NewRequest(http.MethodPost, "/groups/village/inbox", strings.NewReader(`{}`))
	req.Host = "127.0.0.1:8080"
	req.Header.Set("Content-Type", "application/activity+json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("unsigned POST: %d", rec.Code)
	}
	if got := count(); got != "1" {
		t.Errorf("after an unsigned POST: no_signature counted %s times, want 1", got)
	}
	get(h, "/groups/village", "")
	body := get(h, "/metrics", "Bearer "+metricsToken).Body.String()
	for _, want := range []string{`surface="web",le="+Inf"`, `route="/groups/{handle}"`, `route="/groups/{handle}/inbox"`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, `route="/groups/village"`) {
		t.Error("a raw path became a route label")
	}
}

// serveMetrics starts hearth serve with metrics on a separate address
// (cfg changed by edit) and returns the main and the metrics base URLs.
func serveMetrics(t *testing.T, edit func(*config.Config)) (main, metrics string) {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.BaseURL = "http://127.0.0.1:8080"
	cfg.DataDir = t.TempDir()
	cfg.MetricsListen = "127.0.0.1:0"
	edit(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	addr, stop := startServe(t, &cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { stop() })
	m := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)/metrics`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no metrics address in the log: %s", logs.String())
	}
	return "http://" + addr, m[1]
}

// getURL GETs url with an optional Authorization header.
func getURL(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// metrics_listen serves /metrics (and nothing else) on its own address.
func TestMetricsListener(t *testing.T) {
	_, m := serveMetrics(t, func(*config.Config) {})
	if code, body := getURL(t, m+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, "hearth_queue_depth") {
		t.Errorf("metrics listener: %d", code)
	}
	for _, path := range []string{"/groups/village", "/debug/pprof/"} {
		if code, _ := getURL(t, m+path, ""); code != http.StatusNotFound {
			t.Errorf("the metrics listener serves %s without metrics_profiling: %d", path, code)
		}
	}
}

// metrics_profiling puts Go's profiles on the metrics address only, and
// behind metrics_token when there is one; the main listener never has
// them.
func TestMetricsProfiling(t *testing.T) {
	main, m := serveMetrics(t, func(c *config.Config) { c.MetricsProfiling = true })
	if code, body := getURL(t, m+"/debug/pprof/", ""); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("GET /debug/pprof/ on the metrics address: %d, want 200 and the profile index", code)
	}
	if code, body := getURL(t, m+"/debug/pprof/cmdline", ""); code != http.StatusOK || body == "" {
		t.Errorf("GET /debug/pprof/cmdline: %d %q", code, body)
	}
	if code, _ := getURL(t, main+"/debug/pprof/", ""); code != http.StatusNotFound {
		t.Errorf("the main listener serves profiles: %d", code)
	}

	_, m = serveMetrics(t, func(c *config.Config) { c.MetricsProfiling = true; c.MetricsToken = metricsToken })
	for _, auth := range []string{"", "Bearer wrong"} {
		if code, body := getURL(t, m+"/debug/pprof/", auth); code != http.StatusUnauthorized || strings.Contains(body, "goroutine") {
			t.Errorf("profiles with Authorization %q: %d, want 401 and no index", auth, code)
		}
	}
	if code, _ := getURL(t, m+"/debug/pprof/", "Bearer "+metricsToken); code != http.StatusOK {
		t.Errorf("profiles with the token: %d, want 200", code)
	}
}

// A database written by a newer Hearth (migrations ahead of this build)
// stops start-up with one line that names the problem, and is left as it
// was.
func TestNewerDatabaseRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ahead := store.SchemaVersion() + 1
	if _, err := st.DB().Exec(fmt.Sprintf("PRAGMA user_version = %d", ahead)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, _, errs := hearth(t, dir, "", "serve")
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	last := lines[len(lines)-1]
	if code != 1 || !strings.Contains(last, "database is from a newer version of Hearth") ||
		!strings.Contains(last, fmt.Sprintf("database schema %d", ahead)) || strings.Contains(errs, "goroutine") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if !strings.HasPrefix(last, "hearth: ") {
		t.Errorf("not a one-line error: %q", errs)
	}
	st, err = store.Open(context.Background(), path)
	if err == nil {
		st.Close()
		t.Fatal("the newer database was opened (migrated down?)")
	}
	var v int
	raw, _ := os.ReadFile(path)
	if len(raw) >= 64 {
		v = int(raw[60])<<24 | int(raw[61])<<16 | int(raw[62])<<8 | int(raw[63])
	}
	if v != ahead {
		t.Errorf("schema version on disk = %d, want %d untouched", v, ahead)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
