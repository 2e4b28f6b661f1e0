package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"hearth/instance/metrics"
)

// newMetrics builds the metrics when [metrics_listen or metrics_token] is
// configured; without either there are none (nil), anywhere.
func (a *app) newMetrics() *metrics.Metrics {
	if !a.cfg.MetricsOn() {
		return nil
	}
	return metrics.New(metrics.Options{Source: a.store, Pools: a.store.Pools(),
		Version: versionString(), Logger: a.log})
}

// observe is what the web interface reports requests to (nil: nothing).
func (a *app) observe() func(route, method string, status int, elapsed time.Duration) {
	if a.metrics == nil {
		return nil
	}
	return a.metrics.Web
}

// metricsOnMain returns the /metrics handler for the main listener: only
// with a token and no metrics_listen (then the token is the only way in).
func (a *app) metricsOnMain() http.Handler {
	if a.metrics == nil || a.cfg.MetricsListen != "" {
		return nil
	}
	return a.metrics.Handler(a.cfg.MetricsToken)
}

// metricsServer is the separate listener of metrics_listen, serving
// /metrics, with metrics_profiling Go's profiles, and nothing else; nil
// without one.
func (a *app) metricsServer() (*http.Server, net.Listener, error) {
	if a.metrics == nil || a.cfg.MetricsListen == "" {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", a.cfg.MetricsListen)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics_listen: listen on %s: %w", a.cfg.MetricsListen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler(a.cfg.MetricsToken))
	write := 30 * time.Second
	if a.cfg.MetricsProfiling {
		write = 2 * time.Minute // a CPU profile's default 30 s, or a longer trace
		// Go's own profile handlers, registered here by hand: importing
		// net/http/pprof also puts them on http.DefaultServeMux, which no
		// Hearth listener serves.
		for path, h := range map[string]http.HandlerFunc{
			"/debug/pprof/": pprof.Index, "/debug/pprof/cmdline": pprof.Cmdline,
			"/debug/pprof/profile": pprof.Profile, "/debug/pprof/symbol": pprof.Symbol,
			"/debug/pprof/trace": pprof.Trace,
		} {
			mux.Handle("GET "+path, a.metrics.Guard(a.cfg.MetricsToken, h))
		}
	}
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: write}, ln, nil
}
