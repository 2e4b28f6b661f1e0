package main

import (
	"fmt"
	"net"
	"net/http"
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
// /metrics and nothing else; nil without one.
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
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}, ln, nil
}
