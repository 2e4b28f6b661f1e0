package web

import (
	"bytes"
	"errors"
	"html/template"
	"io"
	"net/url"
	"runtime"
	"testing"

	"hearth/instance"
)

// Every page's entry is in one set: the layout's halves and the partials
// are the same parsed (and, once rendered, escaped) trees for all pages, not
// a copy each (which is what separate sets, or template.Clone, would give).
func TestPagesShareTheLayout(t *testing.T) {
	tmpl, err := parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	if len(tmpl) < 70 {
		t.Fatalf("only %d pages", len(tmpl))
	}
	first := tmpl["home"]
	for name, entry := range tmpl {
		for _, shared := range []string{"layout:top", "layout:bottom", "itemcard", "contact"} {
			if got, want := entry.Lookup(shared), first.Lookup(shared); got == nil || got.Tree != want.Tree {
				t.Errorf("page %s has its own copy of %q", name, shared)
			}
		}
	}
}

// A page may not define a template the partials (or another page) already
// define: in the shared set it would silently replace it for every page.
func TestPageCannotRedefineAPartial(t *testing.T) {
	set := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(assets, shared...))
	err := addPageSource(set, "clash", `{{define "content"}}x{{end}}{{define "itemcard"}}y{{end}}`)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(`"itemcard" is already defined`)) {
		t.Errorf("got %v", err)
	}
	if err := addPageSource(set, "bare", `{{define "other"}}x{{end}}`); err == nil || !bytes.Contains([]byte(err.Error()), []byte("no {{define")) {
		t.Errorf("a page without content: got %v", err)
	}
}

// isolated parses one page the way pages were parsed before they shared a
// set: the layout, the partials and that page alone.
func isolated(t *testing.T, name string) *template.Template {
	t.Helper()
	set := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(assets, append(shared, "templates/pages/"+name+".html")...))
	return template.Must(set.New("page").Parse(`{{template "layout:top" .}}{{template "content" .}}{{template "layout:bottom" .}}`))
}

// Pages rendered from the shared set are byte for byte what the page's own
// set gives, on the first render and the next (html/template escapes each
// template of the set once, whichever page uses it first).
func TestSharedSetRendersLikeOwnSet(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	seen := map[string]int{}
	h.web.rendered = func(name string, data any, got []byte) {
		var want bytes.Buffer
		if err := isolated(t, name).Execute(&want, data); err != nil {
			t.Errorf("%s in its own set: %v", name, err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s (render %d) differs from its own set's:\n%s\nwant:\n%s", name, seen[name]+1, got, want.Bytes())
		}
		seen[name]++
	}
	visitor, ann := h.client(), h.as("ann")
	item := postItem(t, ann, "needs", needForm())
	for range 2 {
		for _, c := range []*client{visitor, ann} {
			for _, p := range []string{"/", "/login", "/join", "/groups", "/conduct", "/impact", item, "/nowhere"} {
				c.get(p)
			}
		}
		ann.get("/needs/new")
		ann.post("/needs/new", url.Values{"title": {""}})
		ann.get("/notifications")
		ann.get("/settings/profile")
	}
	for _, name := range []string{"home", "login", "join", "item", "item_form", "error", "notes", "profile"} {
		if seen[name] < 2 {
			t.Errorf("%s rendered %d times, want at least 2", name, seen[name])
		}
	}
}

// BenchmarkTemplates parses every page's templates and reports the heap
// they keep: after parsing (as at start), and after every page has been
// escaped (as once each page has been shown).
func BenchmarkTemplates(b *testing.B) {
	var kept templates
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	kept, err := parseTemplates()
	if err != nil {
		b.Fatal(err)
	}
	parsed := heap()
	for name, t := range kept {
		// Executing with no data escapes the set's templates first; the
		// execution itself then fails, which is expected.
		var escErr *template.Error
		if err := t.Execute(io.Discard, nil); errors.As(err, &escErr) {
			b.Fatalf("%s: %v", name, err)
		}
	}
	escaped := heap()
	runtime.KeepAlive(kept)
	for b.Loop() {
		if _, err := parseTemplates(); err != nil {
			b.Fatal(err)
		}
	}
	// After the loop: b.Loop's first call resets the timer, and with it
	// any metric reported before.
	b.ReportMetric(float64(parsed-before)/1e6, "MB-parsed")
	b.ReportMetric(float64(escaped-before)/1e6, "MB-escaped")
}
