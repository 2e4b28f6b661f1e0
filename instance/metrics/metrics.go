// Package metrics gathers Hearth's Prometheus metrics
// (github.com/prometheus/client_golang, the reference client, so the
// exposition format, histograms and the Go runtime and database/sql
// collectors are not written by hand here). The domain and federation do
// not import it: web takes an Observe function, federation declares a
// Counters interface, and cmd/hearth wires this package to both. Queue
// depths are read from the database at each scrape by a collector, not by
// a goroutine polling it.
package metrics

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hearth/instance"
)

// Source is what the scrape-time collector reads (instance/store
// implements it).
type Source interface {
	QueueStats(ctx context.Context) ([]instance.QueueStat, error)
	FailingHosts(ctx context.Context, limit int) ([]instance.FailingHost, error)
}

// Options configures the metrics.
type Options struct {
	Source Source
	// Pools are the database connection pools, by name ("reader",
	// "writer"), for their database/sql statistics.
	Pools   map[string]*sql.DB
	Version string
	Clock   instance.Clock
	Logger  *slog.Logger
}

// Metrics holds the registry and the instruments Hearth updates.
type Metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.HistogramVec
	inboxAccepted *prometheus.CounterVec
	inboxRefused  *prometheus.CounterVec
	deliveries    *prometheus.CounterVec
	hostsDown     prometheus.Counter
	log           *slog.Logger
}

// New registers every metric in a registry of its own (no global state).
func New(o Options) *Metrics {
	if o.Clock == nil {
		o.Clock = instance.SystemClock
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry(), log: o.Logger}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hearth_http_request_duration_seconds",
		Help: "Time to answer HTTP requests, by surface (web, federation), route template, method and status code.",
		// From 1 ms (a cached page) to 10 s (a slow remote key fetch).
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"surface", "route", "method", "code"})
	m.inboxAccepted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hearth_inbox_accepted_total",
		Help: "Inbound activities answered 202, by result (queued, duplicate, repeated, ignored, gone_delete).",
	}, []string{"result"})
	m.inboxRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hearth_inbox_refused_total",
		Help: "Inbound POSTs refused, by reason (as in the log's reason field; unavailable: the database could not store it).",
	}, []string{"reason"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hearth_deliveries_total",
		Help: "Finished delivery attempts, by result (done, retry, failed).",
	}, []string{"result"})
	m.hostsDown = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hearth_federation_hosts_marked_down_total",
		Help: "Times a remote server was marked unavailable for a while (timed out, refused the connection, or answered 429/502/503/504).",
	})
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "hearth_build_info", Help: "Always 1; the version is a label.",
		ConstLabels: prometheus.Labels{"version": o.Version}})
	build.Set(1)
	m.reg.MustRegister(m.requests, m.inboxAccepted, m.inboxRefused, m.deliveries, m.hostsDown, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for name, db := range o.Pools {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
	if o.Source != nil {
		m.reg.MustRegister(&queueCollector{src: o.Source, now: o.Clock, log: o.Logger})
	}
	return m
}

// Web observes a finished request to the web interface (web.Options.Observe).
func (m *Metrics) Web(route, method string, status int, elapsed time.Duration) {
	m.request("web", route, method, status, elapsed)
}

func (m *Metrics) request(surface, route, method string, status int, elapsed time.Duration) {
	m.requests.WithLabelValues(surface, route, methodLabel(method), strconv.Itoa(status)).Observe(elapsed.Seconds())
}

// methodLabel keeps the method label to the methods Hearth serves, so a
// client inventing methods cannot grow the label set.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		return m
	}
	return "other"
}

// Federation returns the counters federation reports to
// (federation.Options.Counters).
func (m *Metrics) Federation() FederationCounters { return FederationCounters{m} }

// FederationCounters implements federation.Counters.
type FederationCounters struct{ m *Metrics }

func (c FederationCounters) Request(route, method string, status int, elapsed time.Duration) {
	c.m.request("federation", route, method, status, elapsed)
}
func (c FederationCounters) InboxAccepted(result string) {
	c.m.inboxAccepted.WithLabelValues(result).Inc()
}
func (c FederationCounters) InboxRefused(reason string) {
	c.m.inboxRefused.WithLabelValues(reason).Inc()
}
func (c FederationCounters) Delivered(result string) { c.m.deliveries.WithLabelValues(result).Inc() }
func (c FederationCounters) HostDown()               { c.m.hostsDown.Inc() }

// Handler serves the metrics in Prometheus's text format. With a token,
// only a request carrying "Authorization: Bearer TOKEN" gets them; any
// other gets 401 and nothing else.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A metric that fails (the database is away) is left out and the
		// rest are still served: hearth_database_up says what happened.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	})
	return m.Guard(token, h)
}

// Guard puts h behind the bearer token (none: h as it is), as /metrics
// is: a missing or wrong token gets 401 and a log line saying which.
func (m *Metrics) Guard(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) != 1 {
			m.log.Info("metrics request refused", "reason", refusalReason(ok), "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="hearth metrics"`)
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func refusalReason(hadToken bool) string {
	if hadToken {
		return "wrong_token"
	}
	return "no_token"
}

// queueCollector reads the queues at scrape time.
type queueCollector struct {
	src Source
	now instance.Clock
	log *slog.Logger
}

var (
	descUp = prometheus.NewDesc("hearth_database_up",
		"1 when the last scrape could read the queues from the database, 0 when it could not.", nil, nil)
	descDepth = prometheus.NewDesc("hearth_queue_depth",
		"Items waiting in each queue (inbox, deliveries, fed_events, mail, push).", []string{"queue"}, nil)
	descAge = prometheus.NewDesc("hearth_queue_oldest_age_seconds",
		"Age of the oldest item waiting in each queue (0 when it is empty).", []string{"queue"}, nil)
	descFailing = prometheus.NewDesc("hearth_federation_hosts_failing",
		"Remote servers that deliveries are failing to, by state: failing (every one), circuit_open (skipped until their backoff ends), unavailable (failing for over three days: deliveries to them are given up).",
		[]string{"state"}, nil)
)

// maxFailingCounted bounds the hosts read for the failing gauges.
const maxFailingCounted = 10000

// scrapeTimeout bounds the collector's database reads.
const scrapeTimeout = 5 * time.Second

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descDepth, descAge, descFailing} {
		ch <- d
	}
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	now := c.now()
	queues, err := c.src.QueueStats(ctx)
	var hosts []instance.FailingHost
	if err == nil {
		hosts, err = c.src.FailingHosts(ctx, maxFailingCounted)
	}
	if err != nil {
		c.log.Warn("metrics: reading the queues", "err", err)
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for _, q := range queues {
		age := 0.0
		if q.Depth > 0 && !q.Oldest.IsZero() {
			age = max(0, now.Sub(q.Oldest).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(descDepth, prometheus.GaugeValue, float64(q.Depth), q.Queue)
		ch <- prometheus.MustNewConstMetric(descAge, prometheus.GaugeValue, age, q.Queue)
	}
	var open, gone int
	for _, h := range hosts {
		if h.RetryAt.After(now) {
			open++
		}
		if h.Unavailable(now) {
			gone++
		}
	}
	ch <- prometheus.MustNewConstMetric(descFailing, prometheus.GaugeValue, float64(len(hosts)), "failing")
	ch <- prometheus.MustNewConstMetric(descFailing, prometheus.GaugeValue, float64(open), "circuit_open")
	ch <- prometheus.MustNewConstMetric(descFailing, prometheus.GaugeValue, float64(gone), "unavailable")
}
