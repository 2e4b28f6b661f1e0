package federation

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// Counters is told what federation does, for the operator's metrics: cmd
// wires Prometheus to it, and this package never imports a metrics
// library. Every method must be cheap and safe for concurrent use.
type Counters interface {
	// Request is a finished request to a federation route, by its route
	// template ("unmatched" when none matched).
	Request(route, method string, status int, elapsed time.Duration)
	// InboxAccepted is an inbound activity answered 202, by result:
	// "queued", "duplicate", "repeated" (a Follow seen again), "ignored"
	// (a type Hearth does not keep) or "gone_delete".
	InboxAccepted(result string)
	// InboxRefused is an inbound POST refused, by its reason (the log's
	// "reason" field; "unavailable" when the database could not store it).
	InboxRefused(reason string)
	// Delivered is a finished delivery attempt, by result: "done",
	// "retry" (tried again later) or "failed" (given up, or refused).
	Delivered(result string)
	// HostDown is a host marked unavailable for a while: it timed out,
	// refused the connection or said it was down, so its circuit opened.
	HostDown()
}

// noCounters counts nothing (Options.Counters unset).
type noCounters struct{}

func (noCounters) Request(string, string, int, time.Duration) {}
func (noCounters) InboxAccepted(string)                       {}
func (noCounters) InboxRefused(string)                        {}
func (noCounters) Delivered(string)                           {}
func (noCounters) HostDown()                                  {}

// refusedUnavailable: the database could not store the activity (or
// check its key); the sender is asked to try again later.
const refusedUnavailable refusal = "unavailable"

// retryUnavailable is the Retry-After, in seconds, of an inbox answer
// while the database is away.
const retryUnavailable = "60"

// storeDown reports whether err came from a database that is away: it
// says so, or the database does not answer now (asked only after a
// failure).
func (f *Federation) storeDown(ctx context.Context, err error) bool {
	return errors.Is(err, instance.ErrUnavailable) || f.store.Ready(ctx) != nil
}

// unavailable answers an inbox POST that could not be stored: 503 with
// Retry-After, never 202, so the sender keeps it and sends it again.
func (f *Federation) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	f.count.InboxRefused(string(refusedUnavailable))
	f.log.Error("inbound activity not stored: answering 503", "reason", string(refusedUnavailable), "path", r.URL.Path,
		"remote", r.RemoteAddr, "err", err)
	w.Header().Set("Retry-After", retryUnavailable)
	http.Error(w, "", http.StatusServiceUnavailable)
}

// refuseInbox refuses an inbound POST and counts why.
func (f *Federation) refuseInbox(w http.ResponseWriter, r *http.Request, reason refusal, detail string) {
	f.count.InboxRefused(string(reason))
	f.refuse(w, r, reason.status(), reason, detail)
}

// accepted answers 202 and counts the result.
func (f *Federation) accepted(w http.ResponseWriter, result string) {
	f.count.InboxAccepted(result)
	f.burst.add(f.now())
	w.WriteHeader(http.StatusAccepted)
}

// fedRoute carries the matched route's template out of the router.
type fedRoute struct{ template string }

type fedRouteKey struct{}

// noteRoute is the router's middleware that records the matched route.
func noteRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slot, ok := r.Context().Value(fedRouteKey{}).(*fedRoute); ok {
			if route := mux.CurrentRoute(r); route != nil {
				slot.template, _ = route.GetPathTemplate()
			}
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
