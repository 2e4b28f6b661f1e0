package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// Options configures the web interface.
type Options struct {
	Service  *instance.Service
	Logger   *slog.Logger
	SiteName string
	BaseURL  string
	// Secure marks cookies Secure (the instance is served over https).
	Secure   bool
	Language string
	Location *time.Location
	// Question is asked of applicants in approval mode.
	Question string
	Conduct  string
	// Contact says how to reach a coordinator ([instance] contact), for
	// the footer and the invite-only join page.
	Contact string
	// SetupToken, when non-empty, unlocks /setup to create the first admin.
	SetupToken string
	// TrustedProxy says whether a peer address is a reverse proxy whose
	// X-Forwarded-For header may be believed.
	TrustedProxy func(net.IP) bool
	// SearchEngines lets search engines crawl the public pages other than
	// needs (robots.txt).
	SearchEngines bool
	// Observe, when set, is told of every finished request: its route
	// template ("unmatched" for none), method, status and duration (cmd
	// wires it to the metrics).
	Observe func(route, method string, status int, elapsed time.Duration)
}

// Server is the HTML interface.
type Server struct {
	opt    Options
	svc    *instance.Service
	log    *slog.Logger
	tmpl   templates
	cat    *catalogue
	cssURL string
	// pushJS is the hashed URL of the notifications page's script; icons
	// the home-screen icons by size, drawn at start.
	pushJS string
	icons  map[int][]byte
	csrf   *http.CrossOriginProtection
	gzip   *gzipPool
	static *staticFiles
	// rendered, when set (by tests), is given every page rendered: its
	// template, data and HTML.
	rendered func(name string, data any, html []byte)
}

// New parses the templates and the message catalogue; it fails on any
// template error, so a broken template never reaches a running instance.
func New(o Options) (*Server, error) {
	if o.Service == nil {
		return nil, errors.New("web: no service")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Language == "" {
		o.Language = "en"
	}
	if o.TrustedProxy == nil {
		o.TrustedProxy = func(net.IP) bool { return false }
	}
	t, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	cat, err := loadCatalogue()
	if err != nil {
		return nil, err
	}
	static, err := hashStatic()
	if err != nil {
		return nil, err
	}
	js := static.url("push-toggle.js")
	icons, err := makeIcons(192, 512)
	if err != nil {
		return nil, err
	}
	s := &Server{opt: o, svc: o.Service, log: o.Logger, tmpl: t, cat: cat, cssURL: static.url("style.css"), gzip: newGzipPool(),
		static: static, pushJS: js, icons: icons}
	s.csrf = http.NewCrossOriginProtection()
	// RFC 8058: mail programs POST "List-Unsubscribe=One-Click" to the
	// link from their own servers, with no token and possibly with a
	// cross-site Sec-Fetch-Site. The signed link is the authority, and
	// unsubscribing is all it can do, so this one route is exempt from
	// the cross-origin check. (Here, not in Register: a pattern may be
	// added only once, and Register can run more than once.)
	s.csrf.AddInsecureBypassPattern("POST /unsubscribe")
	s.csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		s.errorPage(w, r, http.StatusForbidden, "error.cross_origin")
	}))
	return s, nil
}

// Handler returns a complete handler with only the HTML routes: the router
// wrapped in the middleware. cmd uses Register and Middleware to share a
// router with federation.
func (s *Server) Handler() http.Handler {
	r := mux.NewRouter()
	s.Register(r)
	return s.Middleware(r)
}

// handlerFunc is a handler that returns its error; handle turns errors into
// pages in one place.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// fail maps a domain error to a friendly page. Internal errors are logged
// with the request id and never shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var p *instance.Problem
	switch {
	case errors.As(err, &p):
		s.problemPage(w, r, p)
	case errors.Is(err, instance.ErrNotFound):
		s.errorPage(w, r, http.StatusNotFound, "error.not_found")
	case errors.Is(err, instance.ErrGone):
		s.errorPage(w, r, http.StatusGone, "error.gone")
	case errors.Is(err, instance.ErrForbidden):
		if viewerFrom(r) == nil {
			s.toLogin(w, r)
			return
		}
		s.errorPage(w, r, http.StatusForbidden, "error.forbidden")
	case errors.Is(err, errTooLarge):
		s.errorPage(w, r, http.StatusRequestEntityTooLarge, "error.too_large")
	default:
		if s.unavailable(r, err) {
			s.unavailablePage(w, r, err)
			return
		}
		s.log.Error("request failed", "request_id", requestID(r), "method", r.Method, "path", r.URL.Path, "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "error.internal")
	}
}

// retryBusy is the Retry-After, in seconds, of a "too many people are
// signing in" answer.
const retryBusy = "60"

type errorPage struct {
	page
	Message   string
	RequestID string
}

// errorPage shows a plain page for a status. Only a fault of ours (5xx)
// shows the request's reference, which the person can quote to whoever
// runs the site; on "not found", "not allowed" or "removed" it means
// nothing to them, so it stays in the log.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, key string) {
	p := &errorPage{page: s.pageBase(r, key+"_title")}
	p.Message = p.T(key)
	if status >= 500 {
		p.RequestID = requestID(r)
	} else {
		level := slog.LevelInfo
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			level = slog.LevelDebug // every crawler's guess would fill the log
		}
		s.log.Log(r.Context(), level, "page refused", "request_id", requestID(r), "status", status, "method", r.Method,
			"path", r.URL.Path, "reason", key)
	}
	if err := s.render(w, r, status, "error", p); err != nil {
		s.log.Error("render error page", "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}

func (s *Server) problemPage(w http.ResponseWriter, r *http.Request, pr *instance.Problem) {
	status := http.StatusConflict
	switch {
	case errors.Is(pr, instance.ErrBusy):
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", retryBusy)
	case errors.Is(pr, instance.ErrThrottled):
		status = http.StatusTooManyRequests
	case errors.Is(pr, instance.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(pr, instance.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(pr, instance.ErrInvalid):
		status = http.StatusBadRequest
	}
	p := &errorPage{page: s.pageBase(r, "error.problem_title")}
	p.Message = p.T(pr.Code, pr.Args...)
	if status >= 500 {
		p.RequestID = requestID(r)
	}
	if err := s.render(w, r, status, "error", p); err != nil {
		s.log.Error("render problem page", "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}

// flash: a one-time message after a redirect, carried in a cookie as a
// catalogue key (never free text, so it cannot be used to inject content).
const flashCookie = "hearth_flash"

func (s *Server) setFlash(w http.ResponseWriter, key string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: key, Path: "/", HttpOnly: true, Secure: s.opt.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

func (s *Server) takeFlash(r *http.Request, p *page) string {
	c, err := r.Cookie(flashCookie)
	if err != nil || !strings.HasPrefix(c.Value, "flash.") {
		return ""
	}
	if w, ok := r.Context().Value(writerKey{}).(http.ResponseWriter); ok {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1})
	}
	return p.T(c.Value)
}

// redirect sends the browser on after a successful POST, with a message.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to, flashKey string) error {
	if flashKey != "" {
		s.setFlash(w, flashKey)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// safeNext keeps only a path on this site for ?next=, against open
// redirects; anything else becomes "/". Browsers forgive a lot in a
// Location header: they drop tabs and newlines ("/\t/evil.example" becomes
// "//evil.example"), read "\" as "/", and some decode before they look. So
// it refuses every control character, any backslash, "//" anywhere, and
// any scheme or host, in the text as given and after percent-decoding it
// (repeatedly, so "%2509" is caught too).
func safeNext(next string) string {
	if !localPath(next) {
		return "/"
	}
	return next
}

func localPath(next string) bool {
	if !strings.HasPrefix(next, "/") {
		return false
	}
	text := next
	for round := 0; ; round++ {
		if strings.Contains(text, "//") || strings.ContainsRune(text, '\\') || !utf8.ValidString(text) ||
			strings.ContainsFunc(text, unicode.IsControl) {
			return false
		}
		decoded, err := url.PathUnescape(text)
		if err != nil || round == 3 && decoded != text {
			return false // badly encoded, or still encoded after four rounds
		}
		if decoded == text {
			break
		}
		text = decoded
	}
	u, err := url.Parse(next)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == ""
}

type ctxKey int

const (
	viewerKey ctxKey = iota
	requestIDKey
)

type writerKey struct{}

func viewerFrom(r *http.Request) *instance.Member {
	m, _ := r.Context().Value(viewerKey).(*instance.Member)
	return m
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

func withValue(r *http.Request, k, v any) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), k, v))
}

// fmtInt is used for ids in URLs.
func fmtInt(id int64) string { return fmt.Sprint(id) }
