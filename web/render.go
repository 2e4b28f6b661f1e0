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

// templates holds one parsed template set per page: the layout, the shared
// partials and that page, so block names cannot collide between pages.
type templates map[string]*template.Template

func parseTemplates() (templates, error) {
	pages, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	out := templates{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html", "templates/contact.html", p)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

var funcs = template.FuncMap{
	"join":  strings.Join,
	"lines": func(s string) []string { return strings.Split(s, "\n") },
}

// page is what every page struct embeds: the layout's data and the
// translation method templates call as {{.T "key"}}.
type page struct {
	Title  string
	Lang   string
	Site   string
	Viewer *instance.Member
	Flash  string
	CSSURL string
	Errors []summaryItem
	Path   string
	// Unread is the viewer's count of unread notifications, shown in the
	// header of every page.
	Unread   int
	cat      *catalogue
	location *time.Location
	now      time.Time
}

type summaryItem struct {
	ID      string
	Message string
}

// T translates a catalogue key in the page's language.
func (p *page) T(key string, args ...any) string { return p.cat.text(p.Lang, key, args...) }

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

// Note translates a notification: what happened (who did it, the item)
// and a coordinator's reason.
func (p *page) Note(n *instance.Notification) string {
	title := n.ItemTitle
	if title == "" && n.ItemID != 0 {
		title = p.T("notes.gone")
	}
	msg := p.T("note."+string(n.Kind), n.Actor, title)
	if n.Detail != "" {
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

// RoleName translates a role.
func (p *page) RoleName(r instance.Role) string { return p.T("role." + string(r)) }

// pageBase returns the common page data for a request.
func (s *Server) pageBase(r *http.Request, titleKey string, args ...any) page {
	viewer := viewerFrom(r)
	lang := s.opt.Language
	if viewer != nil && s.cat.has(viewer.Language) {
		lang = viewer.Language
	}
	if !s.cat.has(lang) {
		lang = "en"
	}
	p := page{Lang: lang, Site: s.opt.SiteName, Viewer: viewer, CSSURL: s.cssURL, Path: r.URL.Path, cat: s.cat, location: s.opt.Location, now: s.svc.Now()}
	if viewer != nil {
		// One indexed count per page; a failure shows no count rather
		// than no page.
		n, err := s.svc.UnreadCount(r.Context(), viewer)
		if err != nil {
			s.log.Error("counting unread notifications", "request_id", requestID(r), "member_id", viewer.ID, "err", err)
		}
		p.Unread = n
	}
	p.Title = p.T(titleKey, args...)
	p.Flash = s.takeFlash(r, &p)
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

// staticFiles serves the embedded CSS with a content-hash query string and
// a long cache lifetime.
func staticHash(name string) (string, error) {
	data, err := assets.ReadFile("static/" + name)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return "/static/" + name + "?v=" + hex.EncodeToString(sum[:6]), nil
}

func serveStatic() http.Handler {
	sub, _ := fs.Sub(assets, "static") // "static" exists: it is embedded above
	files := http.FileServerFS(sub)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
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
