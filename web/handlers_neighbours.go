package web

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"hearth/instance"
	"hearth/instance/markup"
)

// RemoteHTML shows HTML that came from another server. It was sanitised
// when it arrived and is sanitised again here, so a change to the
// allow-list also protects what is already stored.
func (p *page) RemoteHTML(s string) template.HTML {
	return template.HTML(markup.Remote(s)) // sanitised by markup.Remote
}

// PostBy names a plain post from another server by its author ("Post by
// Alice").
func (p *page) PostBy(author string) string { return p.T("neighbours.post_by", author) }

// PostByHTML is PostBy for a heading, the name isolated in <bdi> so that
// right-to-left characters in it cannot reorder the words around it.
func (p *page) PostByHTML(author string) template.HTML {
	before, after, _ := strings.Cut(p.T("neighbours.post_by", "\x00"), "\x00")
	return template.HTML(template.HTMLEscapeString(before) + "<bdi>" + template.HTMLEscapeString(author) + "</bdi>" +
		template.HTMLEscapeString(after)) // every part escaped
}

type neighboursPage struct {
	page
	Items []*instance.RemoteItem
}

// neighbours lists what the groups we follow have posted.
func (s *Server) neighbours(w http.ResponseWriter, r *http.Request) error {
	items, err := s.svc.Neighbours(r.Context(), viewerFrom(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "neighbours", &neighboursPage{page: s.pageBase(r, "neighbours.title"), Items: items})
}

type neighbourPage struct {
	formPage
	Item *instance.RemoteItem
}

// neighbour shows one item from a followed group, with a form to answer
// it (the answer goes to the group's server as a reply).
func (s *Server) neighbour(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	viewer := viewerFrom(r)
	it, err := s.svc.Neighbour(r.Context(), viewer, id)
	if err != nil {
		return err
	}
	p := &neighbourPage{formPage: formPage{page: s.pageBase(r, "neighbours.title"), Form: newForm(r)}, Item: it}
	switch {
	case it.Kind == "":
		// A plain post from Mastodon or GoToSocial has no title: its
		// first line would only repeat the text below it.
		p.Title = p.PostBy(it.ActorName)
	case it.Title != "":
		p.Title = it.Title
	}
	if r.Method == http.MethodPost {
		answer, err := s.svc.AnswerNeighbour(r.Context(), viewer, id, r.PostForm.Get("body"))
		if err == nil {
			flash := "flash.answer_sent"
			if answer.Held {
				flash = "flash.answer_held"
			}
			return s.redirect(w, r, "/neighbours/"+mux.Vars(r)["id"], flash)
		}
		if !p.fail(err, "body") {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "neighbour", p)
	}
	return s.render(w, r, http.StatusOK, "neighbour", p)
}

// followGroup makes a local group follow a remote one by its address.
func (s *Server) followGroup(w http.ResponseWriter, r *http.Request) error {
	handle := mux.Vars(r)["handle"]
	_, err := s.svc.FollowGroup(r.Context(), viewerFrom(r), handle, r.PostForm.Get("address"))
	if len(instance.Fields(err)) > 0 {
		return s.renderGroup(w, r, handle, err)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, "/groups/"+handle, "flash.follow_requested")
}

func (s *Server) unfollowGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Unfollow(r.Context(), viewerFrom(r), id); err != nil {
		return err
	}
	return s.redirect(w, r, "/groups/"+mux.Vars(r)["handle"], "flash.unfollowed")
}
