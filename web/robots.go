package web

import (
	"net/http"
	"strings"
)

// robots answers /robots.txt. Needs are never for search engines (a
// request for help is about a person, often their health or their home):
// /needs/ is always disallowed. The rest of the public pages are open to
// crawlers only when the operator says so ([instance] search_engines).
func (s *Server) robots(w http.ResponseWriter, r *http.Request) error {
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	if s.opt.SearchEngines {
		b.WriteString("Disallow: /needs/\n")
	} else {
		b.WriteString("Disallow: /\n")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err := w.Write([]byte(b.String()))
	return err
}
