package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gorilla/mux"

	"hearth/instance"
)

type applicationsPage struct {
	page
	Applicants  []*instance.Member
	Question    string
	Unconfirmed []*instance.UnconfirmedEmail
	MailSetUp   bool
}

func (s *Server) applications(w http.ResponseWriter, r *http.Request) error {
	list, err := s.svc.Members(r.Context(), viewerFrom(r), instance.StatusPending)
	if err != nil {
		return err
	}
	p := &applicationsPage{page: s.pageBase(r, "applications.title"), Applicants: list, Question: s.opt.Question, MailSetUp: s.svc.MailConfigured()}
	if p.Unconfirmed, err = s.svc.Unconfirmed(r.Context(), viewerFrom(r)); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "applications", p)
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		return 0, instance.ErrNotFound
	}
	return id, nil
}

func (s *Server) decideApplication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	by := viewerFrom(r)
	if mux.Vars(r)["decision"] == "approve" {
		err = s.svc.Approve(r.Context(), by, id)
	} else {
		err = s.svc.Reject(r.Context(), by, id)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, "/admin/applications", "flash.application_"+mux.Vars(r)["decision"])
}

type invitesPage struct {
	formPage
	Invites []*instance.Invite
	Link    string
	BaseURL string
}

func (s *Server) invites(w http.ResponseWriter, r *http.Request) error {
	by := viewerFrom(r)
	p := &invitesPage{formPage: formPage{page: s.pageBase(r, "invites.title"), Form: newForm(r)}, BaseURL: s.opt.BaseURL}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		inv, err := s.svc.CreateInvite(r.Context(), by, r.PostForm.Get("note"))
		switch {
		case err == nil:
			p.Link = s.opt.BaseURL + "/join?invite=" + url.QueryEscape(inv.Code)
			p.Form.Values = url.Values{}
		case p.fail(err, "note"):
			status = http.StatusUnprocessableEntity
		default:
			return err
		}
	}
	list, err := s.svc.Invites(r.Context(), by)
	if err != nil {
		return err
	}
	p.Invites = list
	return s.render(w, r, status, "invites", p)
}

func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Host
}
