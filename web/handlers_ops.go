package web

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// retryUnavailable is the Retry-After, in seconds, of a page answered
// while the database cannot be reached.
const retryUnavailable = "30"

// registerOps adds the load balancer's checks and the admins' federation
// health page.
func (s *Server) registerOps(r *mux.Router) {
	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/admin/federation", s.handle(s.federationHealth)).Methods(http.MethodGet)
}

// healthz says the process is up and serving; it reads nothing, so a
// load balancer does not restart a process whose database is away.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, "ok\n") // nothing to do if the client went away
}

// readyz says whether this process can serve requests now: the database
// answers and is migrated to this build's schema. The reason stays in the
// log; the answer is a bare word.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.svc.Ready(r.Context()); err != nil {
		s.log.Warn("not ready", "request_id", requestID(r), "err", err)
		w.Header().Set("Retry-After", retryUnavailable)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready\n")
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

// unavailable reports whether a failed request failed because the
// database is away: the error says so, or the database does not answer
// now. It is asked only after a failure, so it costs nothing otherwise.
func (s *Server) unavailable(r *http.Request, err error) bool {
	return errors.Is(err, instance.ErrUnavailable) || s.svc.Ready(r.Context()) != nil
}

// unavailablePage is the plain 503 page while the database is away. It
// reads nothing from the database (no unread count, no "being set up").
func (s *Server) unavailablePage(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("database unavailable: answering 503", "request_id", requestID(r), "method", r.Method, "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", retryUnavailable)
	p := &errorPage{page: s.plainPage(r, "error.unavailable_title")}
	p.Message = p.T("error.unavailable")
	p.RequestID = requestID(r)
	if err := s.render(w, r, http.StatusServiceUnavailable, "error", p); err != nil {
		s.log.Error("render unavailable page", "err", err)
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
	}
}

type federationHealthPage struct {
	page
	Health *instance.FederationHealth
}

// QueueName is a queue's name in the page's words.
func (p *federationHealthPage) QueueName(q string) string { return p.T("fedhealth.queue." + q) }

// Waiting says how much waits in a queue and since when ("3 waiting,
// the oldest since …"), or that nothing does.
func (p *federationHealthPage) Waiting(q instance.QueueStat) string {
	if q.Depth == 0 {
		return p.T("fedhealth.none_waiting")
	}
	return p.T("fedhealth.depth", q.Depth) + p.T("fedhealth.waiting_since", p.DateTime(q.Oldest))
}

// NextTry says when a failing server is tried next.
func (p *federationHealthPage) NextTry(h instance.FailingHost) string {
	next := h.NextAttempt
	if h.RetryAt.After(next) {
		next = h.RetryAt
	}
	switch {
	case h.Unavailable(p.Health.Now):
		return p.T("fedhealth.unavailable")
	case h.Pending == 0:
		return p.T("fedhealth.nothing_pending")
	case !next.After(p.Health.Now):
		return p.T("fedhealth.retry_now")
	}
	return p.DateTime(next)
}

// federationHealth shows admins the queues and the servers that are
// failing, with their last error and when they are tried next.
func (s *Server) federationHealth(w http.ResponseWriter, r *http.Request) error {
	h, err := s.svc.FederationHealth(r.Context(), viewerFrom(r))
	if err != nil {
		return err
	}
	p := &federationHealthPage{page: s.pageBase(r, "fedhealth.title"), Health: h}
	return s.render(w, r, http.StatusOK, "federation_health", p)
}

// routeSlot carries the matched route's template out of the router to the
// middleware that observes the request.
type routeSlot struct{ template string }

type routeSlotKey struct{}

// observe reports a finished request to Options.Observe, by its route
// template (never the raw path: that would name every item).
func (s *Server) observe(r *http.Request, slot *routeSlot, status int, elapsed time.Duration) {
	if s.opt.Observe == nil {
		return
	}
	route := slot.template
	if route == "" {
		route = "unmatched"
	}
	s.opt.Observe(route, r.Method, status, elapsed)
}
