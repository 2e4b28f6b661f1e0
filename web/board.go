package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"
	qr "github.com/piglig/go-qr"

	"hearth/instance"
	"hearth/instance/markup"
)

// registerBoard adds what reaches beyond the site's pages: the printable
// noticeboards, the QR codes on them and the Atom feeds.
func (s *Server) registerBoard(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	r.Handle("/noticeboard", h(s.noticeboard)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/groups/{handle}/noticeboard", h(s.noticeboard)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/qr/{kinds:needs|offers|actions}/{id:[0-9]+}.svg", h(s.itemQR)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/feed.atom", h(s.publicFeed)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/groups/{handle}/feed.atom", h(s.publicFeed)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/feeds/{token:[A-Za-z0-9_-]{32}}.atom", h(s.privateFeed)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/settings/feed", h(s.feedSettings)).Methods(http.MethodGet, http.MethodPost)
}

// Paper sizes a noticeboard is laid out for (print CSS names a page for
// each: @page a4, @page a5).
var papers = []string{"a4", "a5"}

type boardPage struct {
	formPage
	Board *instance.Noticeboard
	// Paper is the chosen size; Action is the page's own address, for the
	// form that chooses it.
	Paper, Action string
	// SiteURL is the site's address as people type it (no https://).
	SiteURL string
	// SetContact tells a coordinator the sheet cannot say whom to ring.
	SetContact bool
	Printed    time.Time
}

// Short is a post's address as printed under its QR code, for those who
// type it instead.
func (p *boardPage) Short(it *instance.Item) string { return p.SiteURL + it.Path() }

// Excerpt is the start of a post's description as plain text, to fit the
// sheet.
func (p *boardPage) Excerpt(it *instance.Item) string {
	text := strings.Join(strings.Fields(markup.TextOf(string(markup.Markdown(it.Description)))), " ")
	const max = 100
	if utf8.RuneCountInString(text) <= max {
		return text
	}
	cut, n := 0, 0
	for i := range text {
		if n == max {
			cut = i
			break
		}
		n++
	}
	if sp := strings.LastIndex(text[:cut], " "); sp > max/2 {
		cut = sp
	}
	return text[:cut] + "…"
}

// Clock is an action's time of day ("14:30") in the instance's zone.
func (p *boardPage) Clock(t time.Time) string { return t.In(p.location).Format("15:04") }

// QR is the address of a post's QR code.
func (p *boardPage) QR(it *instance.Item) string { return "/qr" + it.Path() + ".svg" }

// noticeboard is a page to print and pin up: the village's (or a group's)
// open needs and offers and its coming actions, each with a QR code to
// its page, and how to answer without a computer.
func (s *Server) noticeboard(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	handle := mux.Vars(r)["handle"]
	viewer := viewerFrom(r)
	publicOnly := q.Get("public") != ""
	b, err := s.svc.Noticeboard(r.Context(), viewer, handle, publicOnly)
	if err != nil {
		return err
	}
	p := &boardPage{formPage: formPage{page: s.pageBase(r, "board.title_village", s.opt.SiteName), Form: newForm(r)}, Board: b,
		Paper: "a4", Action: "/noticeboard", SiteURL: strings.TrimPrefix(strings.TrimPrefix(s.opt.BaseURL, "https://"), "http://"),
		SetContact: s.opt.Contact == "" && viewer.IsCoordinator(), Printed: s.svc.Now()}
	p.Sheets = []string{s.static.url("noticeboard.css")}
	if b.Group != nil && !b.Group.Main {
		p.Title, p.Action = p.T("board.title_group", b.Group.Name), "/groups/"+b.Group.Handle+"/noticeboard"
	}
	for _, size := range papers {
		if q.Get("paper") == size {
			p.Paper = size
		}
	}
	p.Form.Values.Set("paper", p.Paper)
	if publicOnly {
		p.Form.Values.Set("public", "yes")
	}
	return s.render(w, r, http.StatusOK, "board", p)
}

// PaperField is the choice of paper size.
func (p *boardPage) PaperField() field {
	f := p.Field("paper", "radios", "board.paper")
	for _, size := range papers {
		f.Options = append(f.Options, option{Value: size, Label: p.T("board.paper_" + size), Selected: size == p.Paper})
	}
	return f
}

// itemQR is a post's QR code, as an SVG, pointing at its page. Whoever may
// not see the post (a visitor, for a post for members only) is told it is
// not found, as on its page: the code would give away that it exists.
func (s *Server) itemQR(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	it, err := s.svc.Item(r.Context(), viewerFrom(r), kindOf(r), id)
	if err != nil {
		return err
	}
	svg, err := qrSVG(s.opt.BaseURL + it.Path())
	if err != nil {
		return fmt.Errorf("web: QR code of item %d: %w", id, err)
	}
	// The code depends only on the address, which never changes; but a
	// post can stop being public, so a shared cache keeps only public ones.
	cache := "private, max-age=86400"
	if it.Visibility == instance.VisibilityPublic {
		cache = "public, max-age=86400"
	}
	sum := sha256.Sum256(svg)
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	if match := r.Header.Get("If-None-Match"); match != "" && match == w.Header().Get("ETag") {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if r.Method == http.MethodHead {
		return nil
	}
	_, err = w.Write(svg)
	return err
}

// qrSVG draws a QR code of text as a compact SVG (one path, no size of its
// own: the page sizes it). Medium error correction (15%) survives a
// creased or smudged sheet; the quiet zone is the standard 4 modules.
func qrSVG(text string) ([]byte, error) {
	code, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		return nil, err
	}
	return code.ToSVGBytes(qr.NewQrCodeImgConfig(1, 4, qr.WithOptimalSVG()))
}
