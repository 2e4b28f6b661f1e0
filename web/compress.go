package web

import (
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// minCompress is the smallest body worth compressing: below about one
// network packet, gzip's header and the work save nothing.
const minCompress = 1024

// compressible reports whether a content type is text that compresses
// well (HTML, CSS, JSON, calendars, SVG, Atom); images and the like are
// compressed already.
func compressible(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "image/svg+xml" || mt == "application/atom+xml"
}

// acceptsGzip reports whether the request accepts a gzip body (an
// Accept-Encoding listing gzip, or *, without q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			q, _ = strconv.ParseFloat(v, 64)
		}
		if q > 0 {
			return true
		}
	}
	return false
}

// gzipPool reuses gzip writers (each holds a few hundred KB of tables).
type gzipPool struct{ p sync.Pool }

func newGzipPool() *gzipPool {
	return &gzipPool{p: sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression) // the level is valid
		return w
	}}}
}

// compressWriter holds back the start of a response until it knows
// whether to compress it: text of at least minCompress bytes, to a client
// that accepts gzip, not a partial or empty answer. Every compressible
// response says Vary: Accept-Encoding, so that caches keep the two forms
// apart.
type compressWriter struct {
	http.ResponseWriter
	pool    *gzipPool
	accepts bool
	status  int
	buf     []byte
	decided bool
	gz      *gzip.Writer
}

func (s *Server) compressWriter(w http.ResponseWriter, r *http.Request) *compressWriter {
	return &compressWriter{ResponseWriter: w, pool: s.gzip,
		accepts: acceptsGzip(r) && r.Method != http.MethodHead && r.Header.Get("Range") == ""}
}

func (c *compressWriter) WriteHeader(code int) {
	if c.status != 0 || c.decided {
		return
	}
	c.status = code
	if code < 200 || code == http.StatusNoContent || code == http.StatusNotModified || code == http.StatusPartialContent {
		c.decide(false)
	}
}

func (c *compressWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.decided {
		if c.gz != nil {
			return c.gz.Write(p)
		}
		return c.ResponseWriter.Write(p)
	}
	c.buf = append(c.buf, p...)
	if len(c.buf) >= minCompress {
		if err := c.flushBuffer(true); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// decide sends the header, compressed or not; big says the body is large
// enough to be worth it.
func (c *compressWriter) decide(big bool) {
	c.decided = true
	h := c.Header()
	text := compressible(h.Get("Content-Type"))
	if text {
		h.Add("Vary", "Accept-Encoding")
	}
	if big && text && c.accepts && h.Get("Content-Encoding") == "" {
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		if etag := h.Get("ETag"); etag != "" && strings.HasSuffix(etag, `"`) {
			h.Set("ETag", strings.TrimSuffix(etag, `"`)+`-gzip"`) // another body, another tag
		}
		c.gz = c.pool.p.Get().(*gzip.Writer)
		c.gz.Reset(c.ResponseWriter)
	}
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.ResponseWriter.WriteHeader(c.status)
}

func (c *compressWriter) flushBuffer(big bool) error {
	c.decide(big)
	buf := c.buf
	c.buf = nil
	if len(buf) == 0 {
		return nil
	}
	var err error
	if c.gz != nil {
		_, err = c.gz.Write(buf)
	} else {
		_, err = c.ResponseWriter.Write(buf)
	}
	return err
}

// Close sends what is held back and ends the compressed stream. It must
// be called once the handler has returned.
func (c *compressWriter) Close() error {
	if !c.decided {
		if c.status == 0 && len(c.buf) == 0 {
			return nil // the handler wrote nothing: net/http sends its 200
		}
		if err := c.flushBuffer(false); err != nil {
			return err
		}
	}
	if c.gz == nil {
		return nil
	}
	err := c.gz.Close()
	c.gz.Reset(io.Discard)
	c.pool.p.Put(c.gz)
	c.gz = nil
	return err
}
