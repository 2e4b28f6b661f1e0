package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/instance"
)

func gunzip(t *testing.T, body string) string {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func varies(r *response) bool {
	for _, v := range r.header.Values("Vary") {
		if strings.Contains(v, "Accept-Encoding") {
			return true
		}
	}
	return false
}

// Text responses are gzipped for clients that accept it, say Vary:
// Accept-Encoding either way, and tiny, partial and HEAD answers are sent
// as they are.
func TestCompressedResponses(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	ann := h.as("ann")
	postItem(t, ann, "offers", url.Values{"title": {"Jam jars"}, "category": {"food"}, "visibility": {"public"}})
	gz := map[string]string{"Accept-Encoding": "br;q=1.0, gzip;q=0.8, *;q=0.1"}
	plain := h.client().get("/")
	r := h.client().do(http.MethodGet, "/", nil, gz)
	if r.header.Get("Content-Encoding") != "gzip" || !varies(r) {
		t.Fatalf("home page: Content-Encoding %q, Vary %q", r.header.Get("Content-Encoding"), r.header.Values("Vary"))
	}
	if got := gunzip(t, r.body); got != plain.body {
		t.Errorf("the gzipped page differs from the plain one")
	}
	t.Logf("home page (visitor): %d bytes, %d gzipped", len(plain.body), len(r.body))
	if plain.header.Get("Content-Encoding") != "" || !varies(plain) {
		t.Errorf("without Accept-Encoding: Content-Encoding %q, Vary %q", plain.header.Get("Content-Encoding"), plain.header.Values("Vary"))
	}
	if r := h.client().do(http.MethodGet, "/", nil, map[string]string{"Accept-Encoding": "gzip;q=0"}); r.header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}
	if r := h.client().do(http.MethodHead, "/", nil, gz); r.header.Get("Content-Encoding") != "" {
		t.Errorf("HEAD: Content-Encoding %q", r.header.Get("Content-Encoding"))
	}
	// JSON, and a redirect after a form, and a tiny calendar.
	if r := ann.do(http.MethodGet, "/settings/export.json", nil, gz); r.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("export JSON: %q", r.header.Get("Content-Encoding"))
	}
	r = h.client().do(http.MethodGet, "/calendar.ics", nil, gz)
	if len(r.body) >= minCompress || r.header.Get("Content-Encoding") != "" || !varies(r) {
		t.Errorf("tiny calendar (%d bytes): Content-Encoding %q, Vary %q", len(r.body), r.header.Get("Content-Encoding"), r.header.Values("Vary"))
	}
	if !strings.Contains(r.body, "BEGIN:VCALENDAR") {
		t.Error("tiny calendar lost its body")
	}
	r = ann.do(http.MethodPost, "/settings/break", url.Values{"on": {"yes"}}, gz)
	if r.status != http.StatusSeeOther || r.location() != "/settings/profile" {
		t.Errorf("redirect through the compressor: %d %q", r.status, r.location())
	}
}

// Static files: with the current hash, cached for a year, immutable (and
// gzipped); without it or with an old one, revalidated, with the hash as
// ETag so that costs a 304; unknown names are 404. The icon is hashed too.
func TestStaticCaching(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	page := h.client().get("/").body
	css := regexp.MustCompile(`href="(/static/style\.css\?v=[0-9a-f]{12})"`).FindStringSubmatch(page)
	icon := regexp.MustCompile(`<link rel="icon" href="(/static/icon\.svg\?v=[0-9a-f]{12})" type="image/svg\+xml">`).FindStringSubmatch(page)
	if css == nil || icon == nil {
		t.Fatalf("the page links no hashed CSS (%v) or icon (%v)", css, icon)
	}
	gz := map[string]string{"Accept-Encoding": "gzip"}
	for _, path := range []string{css[1], icon[1]} {
		r := h.client().do(http.MethodGet, path, nil, gz)
		if r.status != http.StatusOK || r.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d, Cache-Control %q", path, r.status, r.header.Get("Cache-Control"))
		}
		// The CSS is gzipped; the icon is smaller than a packet, so not.
		if want := map[bool]string{true: "gzip", false: ""}[path == css[1]]; r.header.Get("Content-Encoding") != want || !varies(r) {
			t.Errorf("%s: Content-Encoding %q, want %q", path, r.header.Get("Content-Encoding"), want)
		}
	}
	hash := strings.SplitN(css[1], "=", 2)[1]
	for _, path := range []string{"/static/style.css", "/static/style.css?v=0123456789ab"} {
		r := h.client().get(path)
		if r.status != http.StatusOK || r.header.Get("Cache-Control") != "public, no-cache" || r.header.Get("ETag") != `"`+hash+`"` {
			t.Errorf("%s: %d, Cache-Control %q, ETag %q", path, r.status, r.header.Get("Cache-Control"), r.header.Get("ETag"))
		}
		r = h.client().do(http.MethodGet, path, nil, map[string]string{"If-None-Match": `"` + hash + `"`})
		if r.status != http.StatusNotModified || r.body != "" {
			t.Errorf("%s revalidated: %d, %d bytes", path, r.status, len(r.body))
		}
	}
	r := h.client().do(http.MethodGet, css[1], nil, map[string]string{"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
	if r.status != http.StatusPartialContent || r.header.Get("Content-Encoding") != "" || len(r.body) != 100 {
		t.Errorf("range: %d %q %d bytes", r.status, r.header.Get("Content-Encoding"), len(r.body))
	}
	for _, path := range []string{"/static/", "/static/nope.css", "/static/sub/style.css"} {
		if r := h.client().get(path); r.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, r.status)
		}
	}
	if !bytes.Contains([]byte(page), []byte(`rel="icon"`)) {
		t.Error("no icon")
	}
}
