package web

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"hearth/instance"
	"hearth/instance/markup"
)

// Atom (RFC 4287) feeds, written with encoding/xml from the typed structs
// below. Every id is a tag: URI (RFC 4151) made of our host name, the day
// the thing was made and what it is ("tag:village.example,2026-11-27:
// needs/12"), so it never changes, whatever changes in the post.

type atomFeed struct {
	XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang     string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	ID       string      `xml:"id"`
	Title    atomText    `xml:"title"`
	Subtitle *atomText   `xml:"subtitle,omitempty"`
	Updated  string      `xml:"updated"`
	Author   *atomPerson `xml:"author,omitempty"`
	Links    []atomLink  `xml:"link"`
	Entries  []atomEntry `xml:"entry"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomLink struct {
	Rel   string `xml:"rel,attr,omitempty"`
	Type  string `xml:"type,attr,omitempty"`
	Href  string `xml:"href,attr"`
	Title string `xml:"title,attr,omitempty"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      atomText       `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published,omitempty"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Summary    *atomText      `xml:"summary,omitempty"`
	Content    *atomText      `xml:"content,omitempty"`
}

// feedLink is a feed named in a page's head, for browsers and feed
// readers to find.
type feedLink struct {
	Title, Href string
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// tagURI is a stable id: our host (without a port, which a tag may not
// have), the day something was made, and what it is.
func (s *Server) tagURI(made time.Time, specific string) string {
	host := hostOf(s.opt.BaseURL)
	if u, err := url.Parse(s.opt.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "tag:" + host + "," + made.UTC().Format("2006-01-02") + ":" + specific
}

// writeAtom sends a feed. Its updated time is its newest entry's (or
// since, the day the feed began, when it has none), so an unchanged feed
// is byte for byte the same.
func writeAtom(w http.ResponseWriter, r *http.Request, f *atomFeed, since time.Time, cache string) error {
	updated := since
	for _, e := range f.Entries {
		if t, err := time.Parse(time.RFC3339, e.Updated); err == nil && t.After(updated) {
			updated = t
		}
	}
	f.Updated = atomTime(updated)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return err
	}
	buf.WriteByte('\n')
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("Last-Modified", updated.UTC().Format(http.TimeFormat))
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := buf.WriteTo(w)
	return err
}

// itemEntry is a post as an entry: its title with its kind, the facts a
// reader needs (category, area, when and where, places left) as text and
// its description as HTML (sanitised, as on its page). Never an address,
// a contact or anyone's name.
func (s *Server) itemEntry(p *page, it *instance.Item) atomEntry {
	e := atomEntry{ID: s.tagURI(it.CreatedAt, strings.TrimPrefix(it.Path(), "/")),
		Title:   atomText{Type: "text", Body: p.T("feed.entry_title", p.KindName(it.Kind), it.Title)},
		Updated: atomTime(it.UpdatedAt), Published: atomTime(it.CreatedAt),
		Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: s.opt.BaseURL + it.Path()}}}
	var facts []string
	if it.Category != "" {
		e.Categories = []atomCategory{{Term: it.Category, Label: p.CategoryName(it.Category)}}
		facts = append(facts, p.CategoryName(it.Category))
	}
	switch it.Kind {
	case instance.KindAction:
		facts = append(facts, p.DateTime(it.StartsAt), it.Place)
		if it.Capacity > 0 {
			facts = append(facts, p.T("board.places_left", it.PlacesLeft()))
		}
	default:
		if it.Area != "" {
			facts = append(facts, it.Area)
		}
		if !it.NeededBy.IsZero() {
			facts = append(facts, p.T("board.needed_by", p.Date(it.NeededBy)))
		}
	}
	e.Summary = &atomText{Type: "text", Body: strings.Join(facts, " · ")}
	if it.Description != "" {
		e.Content = &atomText{Type: "html", Body: string(markup.Markdown(it.Description))}
	}
	return e
}

// publicFeed is /feed.atom (the whole village) or /groups/{handle}/feed.atom:
// the open needs and offers and coming actions that are public (a feed
// reader cannot sign in), newest first.
func (s *Server) publicFeed(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	groups, err := s.svc.Groups(ctx)
	if err != nil {
		return err
	}
	var g *instance.Group
	handle := mux.Vars(r)["handle"]
	for _, x := range groups {
		if (handle == "" && x.Main) || (handle != "" && x.Handle == handle) {
			g = x
		}
	}
	if g == nil {
		return instance.ErrNotFound
	}
	f := instance.ItemFilter{Current: true, Limit: 50}
	p := s.pageBase(r, "feed.title_village", s.opt.SiteName)
	feed := &atomFeed{Lang: p.Lang, ID: s.tagURI(g.CreatedAt, "feed"), Subtitle: &atomText{Type: "text", Body: p.T("feed.subtitle")},
		Author: &atomPerson{Name: s.opt.SiteName, URI: s.opt.BaseURL + "/"},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: s.opt.BaseURL + "/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: s.opt.BaseURL + "/"}}}
	if handle != "" {
		f.GroupID = g.ID
		p.Title = p.T("feed.title_group", g.Name, s.opt.SiteName)
		feed.ID = s.tagURI(g.CreatedAt, "groups/"+g.Handle+"/feed")
		feed.Links[0].Href = s.opt.BaseURL + "/groups/" + g.Handle + "/feed.atom"
		feed.Links[1].Href = s.opt.BaseURL + "/groups/" + g.Handle
	}
	feed.Title = atomText{Type: "text", Body: p.Title}
	items, err := s.svc.Items(ctx, nil, f)
	if err != nil {
		return err
	}
	for _, it := range items {
		feed.Entries = append(feed.Entries, s.itemEntry(&p, it))
	}
	return writeAtom(w, r, feed, g.CreatedAt, "public, max-age=900")
}

// villageFeedLink and groupFeedLink name the public feeds in a page's head.
func (s *Server) villageFeedLink(p *page) feedLink {
	return feedLink{Title: p.T("feed.title_village", s.opt.SiteName), Href: "/feed.atom"}
}

func (s *Server) groupFeedLink(p *page, g *instance.Group) feedLink {
	return feedLink{Title: p.T("feed.title_group", g.Name, s.opt.SiteName), Href: "/groups/" + g.Handle + "/feed.atom"}
}

// privateFeed is /feeds/{token}.atom: what concerns a member (their
// notifications, as on their page, in their language) for a feed reader,
// behind the secret token in its address. An unknown or stopped token is
// not found. Like email, an entry never carries the words someone wrote
// (a thank-you note): only what happened, and a link to sign in and read.
func (s *Server) privateFeed(w http.ResponseWriter, r *http.Request) error {
	tok := mux.Vars(r)["token"]
	m, notes, err := s.svc.FeedFor(r.Context(), tok)
	if err != nil {
		return err
	}
	p := s.pageBase(r, "feed.title_mine", s.opt.SiteName)
	if s.cat.has(m.Language) {
		p.Lang = m.Language
		p.Title = p.T("feed.title_mine", s.opt.SiteName)
	}
	feed := &atomFeed{Lang: p.Lang, ID: s.tagURI(m.CreatedAt, "members/"+strconv.FormatInt(m.ID, 10)+"/feed"),
		Title: atomText{Type: "text", Body: p.Title}, Author: &atomPerson{Name: s.opt.SiteName, URI: s.opt.BaseURL + "/"},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: s.opt.BaseURL + "/feeds/" + tok + ".atom"},
			{Rel: "alternate", Type: "text/html", Href: s.opt.BaseURL + "/notifications"}}}
	for _, n := range notes {
		title := n.ItemTitle
		if title == "" && n.ItemID != 0 {
			title = p.T("notes.gone")
		}
		e := atomEntry{ID: s.tagURI(n.CreatedAt, "notifications/"+strconv.FormatInt(n.ID, 10)),
			Title:   atomText{Type: "text", Body: p.T("note."+string(n.Kind), n.Actor, title)},
			Updated: atomTime(n.CreatedAt), Published: atomTime(n.CreatedAt),
			Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: s.opt.BaseURL + n.Link()}}}
		if next := p.NoteNext(n); next != "" {
			e.Summary = &atomText{Type: "text", Body: next}
		}
		feed.Entries = append(feed.Entries, e)
	}
	return writeAtom(w, r, feed, m.CreatedAt, "private, max-age=300")
}

type feedPage struct {
	page
	// URL is the member's private feed address ("" when they have none);
	// Made is when it was made.
	URL  string
	Made time.Time
}

// feedSettings is the page where a member sees their private feed's
// address, makes one, renews it (the old address stops working) or stops
// it.
func (s *Server) feedSettings(w http.ResponseWriter, r *http.Request) error {
	m := viewerFrom(r)
	if r.Method == http.MethodPost {
		switch {
		case r.PostForm.Get("stop") != "":
			if err := s.svc.StopFeedToken(r.Context(), m); err != nil {
				return err
			}
			return s.redirect(w, r, "/settings/feed", "flash.feed_stopped")
		default:
			if _, err := s.svc.NewFeedToken(r.Context(), m); err != nil {
				return err
			}
			return s.redirect(w, r, "/settings/feed", "flash.feed_made")
		}
	}
	p := &feedPage{page: s.pageBase(r, "feedpage.title")}
	tok, made, err := s.svc.FeedToken(r.Context(), m)
	if err != nil {
		return err
	}
	if tok != "" {
		p.URL, p.Made = s.opt.BaseURL+"/feeds/"+tok+".atom", made
	}
	return s.render(w, r, http.StatusOK, "feed", p)
}
