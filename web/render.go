package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"hearth/instance"
)

//go:embed templates static
var assets embed.FS

// templates maps a page's name ("board", from templates/pages/board.html)
// to its entry in one template set shared by every page. The set holds the
// layout's two halves, the partials, each page's "content" renamed to
// "content:board", the page's other templates under their own names, and
// an entry "page:board" that calls layout:top, content:board and
// layout:bottom. One set, so the layout and partials are parsed once, and
// html/template escapes each of them once per context for all pages,
// instead of every page keeping its own parsed and escaped copy (15.9 MB of
// heap with 74 pages; template.Clone would not help: it copies the trees).
type templates map[string]*template.Template

// shared are the files every page uses.
var shared = []string{"templates/layout.html", "templates/partials.html", "templates/contact.html"}

func parseTemplates() (templates, error) {
	set, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, shared...)
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	pages, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		if err := addPage(set, p); err != nil {
			return nil, err
		}
	}
	out := templates{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		entry := "page:" + name
		if set.Lookup(entry) != nil {
			return nil, fmt.Errorf("web: template %s: %q is defined by a page", name, entry)
		}
		t, err := set.New(entry).Parse(`{{template "layout:top" .}}{{template "content:` + name + `" .}}{{template "layout:bottom" .}}`)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// addPage parses one page's file on its own and adds its templates to the
// shared set: its "content" as "content:NAME", the others as they are
// named, which must be new to the set (a page can no longer redefine a
// partial or reuse another page's name, as separate sets allowed).
func addPage(set *template.Template, file string) error {
	src, err := assets.ReadFile(file)
	if err != nil {
		return err
	}
	return addPageSource(set, strings.TrimSuffix(path.Base(file), ".html"), string(src))
}

func addPageSource(set *template.Template, name, src string) error {
	own, err := template.New(name + ".html").Funcs(funcs).Parse(src)
	if err != nil {
		return fmt.Errorf("web: template %s: %w", name, err)
	}
	hasContent := false
	for _, t := range own.Templates() {
		as := t.Name()
		switch {
		case t == own || t.Tree == nil:
			continue // the text outside {{define}}s, never shown
		case as == "content":
			as, hasContent = "content:"+name, true
		case set.Lookup(as) != nil:
			return fmt.Errorf("web: template %s: %q is already defined by the partials or another page", name, as)
		}
		if _, err := set.AddParseTree(as, t.Tree); err != nil {
			return fmt.Errorf("web: template %s: %w", name, err)
		}
	}
	if !hasContent {
		return fmt.Errorf("web: template %s: no {{define \"content\"}}", name)
	}
	return nil
}

var funcs = template.FuncMap{
	"join":  strings.Join,
	"lines": func(s string) []string { return strings.Split(s, "\n") },
}

// page is what every page struct embeds: the layout's data and the
// translation method templates call as {{.T "key"}}.
type page struct {
	Title string
	// Heading is the page's h1 when it is the title: it stays the same
	// when the form comes back with errors ("Error:" is only in <title>).
	Heading string
	Lang    string
	Site    string
	Viewer  *instance.Member
	Flash   string
	CSSURL  string
	// IconURL is the site's icon (a favicon), with its hash.
	IconURL string
	Errors  []summaryItem
	Path    string
	// Unread is the viewer's count of unread notifications, shown in the
	// header of every page.
	Unread int
	// Contact is how to reach a coordinator ([instance] contact).
	Contact string
	// Here is this page's address, for the footer's language buttons to
	// come back to; Languages are the ones offered.
	Here      string
	Languages []string
	// Feeds are the Atom feeds named in the page's head.
	Feeds []feedLink
	// Sheets are stylesheets only this page needs (static/noticeboard.css), so
	// every other page stays within its size.
	Sheets []string
	// SettingUp is true for visitors while the site has no administrator:
	// they are told it is being set up instead of being asked to join.
	SettingUp bool
	cat       *catalogue
	location  *time.Location
	now       time.Time
	cats      []instance.Category
}

type summaryItem struct {
	ID      string
	Message string
}

// T translates a catalogue key in the page's language.
func (p *page) T(key string, args ...any) string {
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			// A moment in a refusal's arguments (where someone already
			// is at that time) is said as the pages say it.
			args = append(args[:i:i], append([]any{p.DateTime(t)}, args[i+1:]...)...)
		}
	}
	return p.cat.text(p.Lang, key, args...)
}

// lookup translates a key that may not exist: ok is false when no
// catalogue has it.
func (p *page) lookup(key string, args ...any) (string, bool) {
	if !p.cat.exists(key) {
		return "", false
	}
	return p.T(key, args...), true
}

// Date shows a day in the instance's time zone, unambiguously
// ("Friday 27 November 2026").
func (p *page) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(p.location)
	return p.T("date.day", p.T(fmt.Sprintf("date.weekday.%d", t.Weekday())), t.Day(), p.T(fmt.Sprintf("date.month.%d", t.Month())), t.Year())
}

// DateTime shows a moment with its time zone ("Friday 27 November 2026,
// 14:30 GMT"), in the page's language.
func (p *page) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(p.location)
	return p.T("date.day_time", p.Date(t), t.Format("15:04"), t.Format("MST"))
}

// KindName translates a kind ("Need").
func (p *page) KindName(k instance.Kind) string { return p.T("kind." + string(k)) }

// StateName translates an item's state for its kind ("Open", "Taken").
func (p *page) StateName(it *instance.Item) string {
	if it.Kind == instance.KindAction && it.State == instance.StateScheduled && it.Happened(p.now) {
		return p.T("state.happened")
	}
	return p.T("state." + string(it.State))
}

// VisName translates a visibility.
func (p *page) VisName(v instance.Visibility) string { return p.T("visibility." + string(v)) }

// VisLong says in plain words who sees a post ("Only members of Little
// Wittering").
func (p *page) VisLong(v instance.Visibility) string {
	if v == instance.VisibilityVillage {
		return p.T("visibility.village_long", p.Site)
	}
	return p.T("visibility." + string(v) + "_long")
}

// Note translates a notification: what happened (who did it, the item)
// and a coordinator's reason, or the words someone wrote to the reader.
func (p *page) Note(n *instance.Notification) string {
	title := n.ItemTitle
	if title == "" && n.ItemID != 0 {
		title = p.T("notes.gone")
	}
	msg := p.T("note."+string(n.Kind), n.Actor, title)
	if n.Detail != "" {
		if n.Kind.Spec().Words {
			// "Ann said thank you for … She wrote: …"
			return p.T("note."+string(n.Kind)+"_detail", n.Actor, title, n.Detail)
		}
		msg += " " + p.T("note.reason", n.Detail)
	}
	return msg
}

// NoteNext is a notification's next step ("Choose a helper"), or "".
func (p *page) NoteNext(n *instance.Notification) string {
	if !n.Kind.Spec().Next {
		return ""
	}
	return p.T("note." + string(n.Kind) + "_next")
}

// CategoryName is a category's name in the page's language
// ([[categories]] names), or as posts store it.
func (p *page) CategoryName(name string) string {
	for _, c := range p.cats {
		if c.Name == name {
			return c.Label(p.Lang)
		}
	}
	return name
}

// RoleName translates a role.
func (p *page) RoleName(r instance.Role) string { return p.T("role." + string(r)) }

// pageBase returns the common page data for a request.
func (s *Server) pageBase(r *http.Request, titleKey string, args ...any) page {
	p := s.plainPage(r, titleKey, args...)
	viewer := p.Viewer
	if viewer != nil {
		// One indexed count per page; a failure shows no count rather
		// than no page.
		n, err := s.svc.UnreadCount(r.Context(), viewer)
		if err != nil {
			s.log.Error("counting unread notifications", "request_id", requestID(r), "member_id", viewer.ID, "err", err)
		}
		p.Unread = n
	}
	if viewer == nil {
		has, err := s.svc.HasAdmin(r.Context())
		if err != nil {
			s.log.Error("is there an admin", "request_id", requestID(r), "err", err) // the page still shows; Join is offered
		}
		p.SettingUp = err == nil && !has
	}
	p.Flash = s.takeFlash(r, &p)
	return p
}

// plainPage is a page's frame without anything read from the database
// (no unread count, no "being set up"): for the page that says the
// database cannot be reached.
func (s *Server) plainPage(r *http.Request, titleKey string, args ...any) page {
	viewer := viewerFrom(r)
	lang := s.opt.Language
	if viewer != nil && s.cat.has(viewer.Language) {
		lang = viewer.Language
	} else if c, err := r.Cookie(langCookie); viewer == nil && err == nil && s.cat.has(c.Value) {
		lang = c.Value // a visitor's choice, from the footer
	}
	if !s.cat.has(lang) {
		lang = "en"
	}
	p := page{Lang: lang, Site: s.opt.SiteName, Viewer: viewer, CSSURL: s.cssURL, Path: r.URL.Path, cat: s.cat, location: s.opt.Location, now: s.svc.Now(),
		Contact: s.opt.Contact, Here: safeNext(r.URL.RequestURI()), Languages: instance.Languages, cats: s.svc.Categories(),
		IconURL: s.static.url("icon.svg")}
	p.Title = p.T(titleKey, args...)
	p.Heading = p.Title
	return p
}

// render executes one page into a buffer first, so that a template error
// gives a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	t, ok := s.tmpl[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	if s.rendered != nil {
		s.rendered(name, data, buf.Bytes())
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if b, ok := data.(interface{ Busy() bool }); ok && b.Busy() {
		// A form sent back because its password could not be checked yet.
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", retryBusy)
	}
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// staticFiles are the embedded files under static/, each with a short
// hash of its content. Pages link them as /static/NAME?v=HASH: a changed
// file gets a new address, so the old one can be cached for ever.
type staticFiles struct {
	hash map[string]string
}

func hashStatic() (*staticFiles, error) {
	entries, err := fs.ReadDir(assets, "static")
	if err != nil {
		return nil, err
	}
	sf := &staticFiles{hash: map[string]string{}}
	for _, e := range entries {
		data, err := assets.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		sf.hash[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return sf, nil
}

// url is the cache-busting address of a static file.
func (sf *staticFiles) url(name string) string {
	return "/static/" + name + "?v=" + sf.hash[name]
}

// serveStatic serves the embedded files. With the current hash in ?v= a
// file is cached for a year and never revalidated (immutable); any other
// request for it (no hash, or an old one, from a page cached before an
// upgrade) must revalidate, and its ETag (the hash) makes that a 304.
func (s *Server) serveStatic() http.Handler {
	sub, _ := fs.Sub(assets, "static") // "static" exists: it is embedded above
	files := http.FileServerFS(sub)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash, ok := s.static.hash[r.URL.Path]
		if !ok || strings.Contains(r.URL.Path, "/") {
			s.errorPage(w, r, http.StatusNotFound, "error.not_found")
			return
		}
		if r.URL.Query().Get("v") == hash {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, no-cache")
		}
		w.Header().Set("ETag", `"`+hash+`"`)
		files.ServeHTTP(w, r)
	}))
}

// card pairs an item with its page for the "itemcard" partial.
type card struct {
	P    *page
	Item *instance.Item
}

// Card is used as {{template "itemcard" $.Card .}}.
func (p *page) Card(it *instance.Item) card { return card{P: p, Item: it} }

// itemList is a titled list for the "mylist" partial.
type itemList struct {
	P     *page
	Key   string
	Items []*instance.Item
}

// List is used as {{template "mylist" ($.List "key" .Items)}}.
func (p *page) List(key string, items []*instance.Item) itemList {
	return itemList{P: p, Key: key, Items: items}
}
