package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gorilla/mux"

	"hearth/instance"
)

func (s *Server) registerModeration(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	r.Handle("/report", h(s.report)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/admin/moderation", h(s.moderation)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/admin/log", h(s.modLog)).Methods(http.MethodGet)
	r.Handle("/admin/members/{id:[0-9]+}/verify", h(s.verify)).Methods(http.MethodPost)
	r.Handle("/admin/verifications/{id:[0-9]+}/revoke", h(s.revoke)).Methods(http.MethodPost)
	r.Handle("/concerns/new", h(s.concernNew)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/safeguarding", h(s.safeguarding)).Methods(http.MethodGet)
	r.Handle("/safeguarding/{id:[0-9]+}", h(s.concern)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/settings/break", h(s.onBreak)).Methods(http.MethodPost)
	r.Handle("/settings/export", h(s.export)).Methods(http.MethodGet)
	r.Handle("/settings/export.json", h(s.exportJSON)).Methods(http.MethodGet)
	r.Handle("/settings/delete", h(s.deleteAccount)).Methods(http.MethodGet, http.MethodPost)
}

type reportPage struct {
	formPage
	Subject    string
	ID         int64
	Actor      string
	Remote     bool
	Categories []option
}

// report is the "report this" form for an item, a reply or a member.
func (s *Server) report(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.PostForm
	}
	id, _ := strconv.ParseInt(q.Get("id"), 10, 64)
	p := &reportPage{formPage: formPage{page: s.pageBase(r, "report.title"), Form: newForm(r)}, Subject: q.Get("subject"), ID: id,
		Actor: q.Get("actor")}
	switch p.Subject {
	case "item", "response", "member":
	case "remote_actor":
		p.Remote = true
	default:
		return instance.ErrNotFound
	}
	if p.Subject == "response" {
		resp, err := s.svc.ResponseForReport(r.Context(), id)
		if err != nil {
			return err
		}
		p.Remote = resp.RemoteActor != ""
	}
	for _, c := range instance.ReportCategories {
		p.Categories = append(p.Categories, option{Value: c, Label: p.T("report.category." + c)})
	}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "report", p)
	}
	_, err := s.svc.FileReport(r.Context(), viewerFrom(r), instance.ReportInput{Subject: p.Subject, ID: id, RemoteActor: p.Actor,
		Category: r.PostForm.Get("category"),
		Details:  r.PostForm.Get("details"), Forward: r.PostForm.Get("forward") != ""})
	if err == nil {
		return s.redirect(w, r, "/", "flash.reported")
	}
	if !p.fail(err, "category", "details") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "report", p)
}

type moderationPage struct {
	formPage
	Queue   *instance.ModerationQueue
	Actions []string
	// A report's own form that failed: its error and what was typed go
	// beside that report's reason field, not on the block-a-server form
	// further down (both forms have a "reason").
	FailedReport int64
	ReportError  string
	ReportReason string
	ReportAction string
	ActionError  string
}

// moderation is the coordinators' queue: open reports, held posts and
// blocked domains, with the actions they can take.
func (s *Server) moderation(w http.ResponseWriter, r *http.Request) error {
	by := viewerFrom(r)
	p := &moderationPage{formPage: formPage{page: s.pageBase(r, "moderation.title"), Form: newForm(r)},
		Actions: []string{"dismiss", "resolve", "hide", "remove_response", "warn", "suspend", "block_actor", "block_domain"}}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		f := r.PostForm
		report, _ := strconv.ParseInt(f.Get("report"), 10, 64)
		id, _ := strconv.ParseInt(f.Get("id"), 10, 64)
		err := s.svc.Moderate(r.Context(), by, instance.ModerationAction{Action: f.Get("action"), ReportID: report, ID: id,
			Target: f.Get("target"), Reason: f.Get("reason")})
		if err == nil {
			return s.redirect(w, r, "/admin/moderation", "flash.moderated")
		}
		if !p.fail(err, "reason", "target") {
			return err
		}
		status = http.StatusUnprocessableEntity
		if report != 0 {
			p.reportFailed(report)
		}
	}
	q, err := s.svc.Queue(r.Context(), by)
	if err != nil {
		return err
	}
	p.Queue = q
	return s.render(w, r, status, "moderation", p)
}

// reportFailed moves a failed report action's error from the shared form
// state to that report's card.
func (p *moderationPage) reportFailed(report int64) {
	p.FailedReport = report
	p.ReportReason = p.Form.Values.Get("reason")
	p.ReportAction = p.Form.Values.Get("action")
	for name, fe := range p.Form.Errs {
		if name == "reason" {
			p.ReportError = p.T(fe.Code, fe.Args...)
		} else {
			// The card's other fields are hidden (which post, which
			// account); the error goes beside the action that used them.
			p.ActionError = p.T(fe.Code, fe.Args...)
		}
	}
	for i := range p.Errors {
		if p.Errors[i].ID == "f-reason" {
			p.Errors[i].ID = fmt.Sprintf("reason-%d", report)
		} else {
			p.Errors[i].ID = fmt.Sprintf("action-%d", report)
		}
	}
	p.Form = form{Values: url.Values{}, Errs: map[string]*instance.FieldError{}}
}

// Chosen reports whether action was the one picked on a report's form
// that failed, so the form comes back as it was sent.
func (p *moderationPage) Chosen(report int64, action string) bool {
	return report == p.FailedReport && action == p.ReportAction
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	err = s.svc.RecordVerification(r.Context(), viewerFrom(r), id, f.Get("check"), dateIn(f, "verified_on"), dateIn(f, "expires_on"))
	if fields := instance.Fields(err); len(fields) > 0 {
		return s.renderMemberAdmin(w, r, id, err) // the form again, with what was typed
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, memberPath(id), "flash.verified")
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	err = s.svc.RevokeVerification(r.Context(), viewerFrom(r), id, r.PostForm.Get("reason"))
	if fields := instance.Fields(err); len(fields) > 0 {
		return &instance.Problem{Kind: instance.ErrInvalid, Code: "verify.reason_needed"}
	}
	if err != nil {
		return err
	}
	// Back to the member's page (the form names them; the check's id is in
	// the path).
	if member, err := strconv.ParseInt(r.PostForm.Get("member"), 10, 64); err == nil && member > 0 {
		return s.redirect(w, r, memberPath(member), "flash.revoked")
	}
	return s.redirect(w, r, "/admin/members", "flash.revoked")
}

// concernNew is the safeguarding concern form: about a person's welfare,
// for safeguarding leads only.
func (s *Server) concernNew(w http.ResponseWriter, r *http.Request) error {
	p := &formPage{page: s.pageBase(r, "concern.title"), Form: newForm(r)}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "concern_new", p)
	}
	err := s.svc.RaiseConcern(r.Context(), viewerFrom(r), r.PostForm.Get("about"), r.PostForm.Get("details"))
	if err == nil {
		return s.redirect(w, r, "/", "flash.concern_raised")
	}
	if !p.fail(err, "about", "details") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "concern_new", p)
}

type safeguardingPage struct {
	page
	Concerns []*instance.Concern
}

func (s *Server) safeguarding(w http.ResponseWriter, r *http.Request) error {
	list, err := s.svc.Concerns(r.Context(), viewerFrom(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "safeguarding", &safeguardingPage{page: s.pageBase(r, "safeguarding.title"), Concerns: list})
}

type concernPage struct {
	formPage
	Concern *instance.Concern
}

func (s *Server) concern(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	by := viewerFrom(r)
	p := &concernPage{formPage: formPage{page: s.pageBase(r, "safeguarding.concern_title"), Form: newForm(r)}}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		err := s.svc.HandleConcern(r.Context(), by, id, r.PostForm.Get("note"), r.PostForm.Get("close") != "")
		if err == nil {
			return s.redirect(w, r, "/safeguarding/"+mux.Vars(r)["id"], "flash.saved")
		}
		if !p.fail(err, "note") {
			return err
		}
		status = http.StatusUnprocessableEntity
	}
	if p.Concern, err = s.svc.Concern(r.Context(), by, id); err != nil {
		return err
	}
	return s.render(w, r, status, "concern", p)
}

func (s *Server) onBreak(w http.ResponseWriter, r *http.Request) error {
	on := r.PostForm.Get("on") != ""
	if err := s.svc.SetOnBreak(r.Context(), viewerFrom(r), on); err != nil {
		return err
	}
	return s.redirect(w, r, "/settings/profile", map[bool]string{true: "flash.break_on", false: "flash.break_off"}[on])
}

// deleteAccount asks for the password, then deletes the account.
func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	p := &formPage{page: s.pageBase(r, "deleteaccount.title"), Form: newForm(r)}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "delete_account", p)
	}
	err := s.svc.DeleteAccount(r.Context(), viewerFrom(r), r.PostForm.Get("password"))
	if err == nil {
		s.clearSession(w)
		return s.redirect(w, r, "/", "flash.account_deleted")
	}
	if !p.fail(err, "password") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "delete_account", p)
}
