package web

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"hearth/instance"
)

// maxFormBytes caps every request body the HTML interface reads, except
// an image upload's (uploadRoute), which maxUploadBytes caps: two images
// and the form around them.
const (
	maxFormBytes   = 64 << 10
	maxUploadBytes = 2*instance.MaxImageBytes + maxFormBytes
)

// uploadRoute reports whether a request posts the images form
// (/groups/{handle}/images), the one form that carries files.
func uploadRoute(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/groups/")
	handle, tail, _ := strings.Cut(rest, "/")
	return ok && r.Method == http.MethodPost && handle != "" && tail == "images"
}

var errTooLarge = errors.New("web: request body too large")

const sessionCookie = "hearth_session"

// contentSecurityPolicy allows only our own stylesheet, images and web
// app manifest: no scripts at all (but on the one page that needs one,
// scriptPolicy), no inline styles, no framing, forms only to ourselves.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; manifest-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// Middleware wraps the whole router: compression, request id, security
// headers, panic recovery, access log, body cap, cross-origin protection
// and the session.
func (s *Server) Middleware(next http.Handler) http.Handler {
	return s.middleware(next)
}

func (s *Server) middleware(next http.Handler) http.Handler {
	inner := s.csrf.Handler(s.authenticate(next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Compress text bodies (outermost, so it runs last: after a
		// recovered panic's error page is written).
		cw := s.compressWriter(w, r)
		defer func() {
			if err := cw.Close(); err != nil {
				s.log.Debug("response not finished", "path", r.URL.Path, "err", err) // the client went away
			}
		}()
		w = cw
		r = withValue(r, requestIDKey, instance.RandomToken(6))
		r = withValue(r, writerKey{}, http.ResponseWriter(w))
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if s.opt.Secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("panic", "request_id", requestID(r), "path", r.URL.Path, "panic", v)
				if !rec.wrote {
					s.errorPage(rec, r, http.StatusInternalServerError, "error.internal")
				}
			}
			s.log.Debug("request", "request_id", requestID(r), "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "duration", time.Since(start))
		}()
		if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
			limit := int64(maxFormBytes)
			if uploadRoute(r) {
				limit = maxUploadBytes
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if err := r.ParseForm(); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					s.errorPage(rec, r, http.StatusRequestEntityTooLarge, "error.too_large")
				} else {
					s.errorPage(rec, r, http.StatusBadRequest, "error.bad_request")
				}
				return
			}
		}
		inner.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// authenticate puts the logged-in member (if any) in the request context.
// A session that ended (logout, password change, suspension) simply finds
// no member and the cookie is cleared.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err == nil && c.Value != "" {
			m, err := s.svc.Authenticate(r.Context(), c.Value)
			switch {
			case err == nil:
				r = withValue(r, viewerKey, m)
			case errors.Is(err, instance.ErrNotFound):
				s.clearSession(w)
			default:
				s.fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.opt.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.svc.SessionLifetime().Seconds())})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.opt.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// clientKey identifies the caller's network for login throttling: the peer
// address, or the nearest untrusted hop in X-Forwarded-For when the peer is
// a configured proxy. IPv6 addresses are grouped by /64, since one home
// connection usually holds a whole /64.
func (s *Server) clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip != nil && s.opt.TrustedProxy(ip) {
		hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop := net.ParseIP(strings.TrimSpace(hops[i]))
			if hop == nil {
				break
			}
			ip = hop
			if !s.opt.TrustedProxy(hop) {
				break
			}
		}
	}
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}
