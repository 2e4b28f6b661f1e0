package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// registerMail adds the pages of email: unsubscribe (public, signed
// link), email choices, password reset by link and by code.
func (s *Server) registerMail(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	r.Handle("/unsubscribe", h(s.unsubscribe)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/settings/notifications", h(s.notificationSettings)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/settings/email-retry", h(s.emailRetry)).Methods(http.MethodPost)
	r.Handle("/forgot-password", h(s.forgotPassword)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/reset-password", h(s.resetPassword)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/reset-code", h(s.resetCode)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/members/{handle}/reset-code", h(s.makeResetCode)).Methods(http.MethodPost)
	r.Handle("/admin/email", h(s.mailHelp)).Methods(http.MethodGet)
}

type unsubscribePage struct {
	page
	Token string
	What  string
}

// unsubscribe: GET shows a button (a link scanner following it changes
// nothing); POST, from that button or from a mail program's one-click
// request, sets "never" and answers 200.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	token := r.FormValue("t")
	p := &unsubscribePage{page: s.pageBase(r, "unsubscribe.title"), Token: token}
	if r.Method == http.MethodPost {
		u, err := s.svc.Unsubscribe(r.Context(), token)
		if err != nil {
			return err
		}
		p.What = s.kindName(&p.page, u.Kind)
		p.Title = p.T("unsubscribe.done_title")
		return s.render(w, r, http.StatusOK, "unsubscribe_done", p)
	}
	u, err := s.svc.CheckUnsubscribe(r.Context(), token)
	if err != nil {
		return err
	}
	p.What = s.kindName(&p.page, u.Kind)
	return s.render(w, r, http.StatusOK, "unsubscribe", p)
}

func (s *Server) kindName(p *page, k instance.NoticeKind) string {
	return p.T("prefs.kind." + string(k))
}

type notificationsPage struct {
	formPage
	Prefs   []instance.NoticePref
	MailOff bool
	NoEmail bool
	// Categories are the checkboxes of the categories the member hears
	// about; CategoriesError is the problem with them, if any.
	Categories      []option
	CategoriesError string
	// DigestWhen says when the summaries go out.
	DigestWhen string
	// Devices are those the member turned phone notifications on for.
	Devices []*instance.PushSubscription
}

// Radios builds one kind's radio group.
func (p *notificationsPage) Radios(pref instance.NoticePref) field {
	var opts []option
	for _, f := range instance.Frequencies {
		label := p.T("prefs.freq." + string(f))
		if f == pref.Default {
			label += " " + p.T("prefs.default")
		}
		opts = append(opts, option{Value: string(f), Label: label})
	}
	k := string(pref.Kind)
	return p.Choice(k, "radios", "prefs.kind."+k, opts, "prefs.kind."+k+"_hint")
}

func (s *Server) notificationSettings(w http.ResponseWriter, r *http.Request) error {
	m := viewerFrom(r)
	prefs, err := s.svc.NoticePrefs(r.Context(), m)
	if err != nil {
		return err
	}
	p := &notificationsPage{formPage: formPage{page: s.pageBase(r, "prefs.title"), Form: newForm(r)}, Prefs: prefs,
		MailOff: !s.svc.MailConfigured(), NoEmail: m.Email == ""}
	if p.Devices, err = s.svc.PushDevices(r.Context(), m); err != nil {
		return err
	}
	hour, day := s.svc.DigestSchedule()
	p.DigestWhen = p.T("prefs.digest_when", fmt.Sprintf("%02d", hour), p.T(fmt.Sprintf("date.weekday.%d", day)))
	followed, err := s.svc.FollowedCategories(r.Context(), m)
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		followed = r.PostForm["categories"]
	}
	for _, c := range s.svc.Categories() {
		p.Categories = append(p.Categories, option{Value: c.Name, Label: c.Name, Selected: slices.Contains(followed, c.Name)})
	}
	if r.Method == http.MethodGet {
		for _, pr := range prefs {
			p.Form.Values.Set(string(pr.Kind), string(pr.Frequency))
		}
		return s.render(w, r, http.StatusOK, "notifications", p)
	}
	in := map[string]string{}
	for _, pr := range prefs {
		if v, ok := r.PostForm[string(pr.Kind)]; ok && len(v) > 0 {
			in[string(pr.Kind)] = v[0]
		}
	}
	err = s.svc.SetNoticePrefs(r.Context(), m, in)
	if err == nil {
		err = s.svc.SetFollowedCategories(r.Context(), m, followed)
	}
	if err == nil {
		return s.redirect(w, r, "/settings/notifications", "flash.prefs_saved")
	}
	if !p.fail(err) {
		return err
	}
	if fe := p.Form.Errs["categories"]; fe != nil {
		p.CategoriesError = p.T(fe.Code, fe.Args...)
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "notifications", p)
}

func (s *Server) emailRetry(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.RetryEmail(r.Context(), viewerFrom(r)); err != nil {
		return err
	}
	return s.redirect(w, r, "/settings/profile", "flash.email_retry")
}

type forgotPage struct {
	formPage
	MailOff bool
	Message string
}

// forgotPassword answers every well-formed request with the same page and
// status, whether or not the address belongs to anyone.
func (s *Server) forgotPassword(w http.ResponseWriter, r *http.Request) error {
	p := &forgotPage{formPage: formPage{page: s.pageBase(r, "forgot.title"), Form: newForm(r)}, MailOff: !s.svc.MailConfigured()}
	if r.Method == http.MethodGet || p.MailOff {
		return s.render(w, r, http.StatusOK, "forgot", p)
	}
	err := s.svc.RequestPasswordReset(r.Context(), r.PostForm.Get("login"), s.clientKey(r))
	var pr *instance.Problem
	switch {
	case err == nil:
		p.Title = p.T("forgot.sent_title")
		return s.render(w, r, http.StatusOK, "forgot_sent", p)
	case errors.As(err, &pr) && errors.Is(err, instance.ErrThrottled):
		p.Message = p.T(pr.Code)
		p.Title = p.T("error.title_prefix") + " " + p.Title
		return s.render(w, r, http.StatusTooManyRequests, "forgot", p)
	case p.fail(err, "login"):
		return s.render(w, r, http.StatusUnprocessableEntity, "forgot", p)
	}
	return err
}

type resetPage struct {
	formPage
	Token string
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	token := r.FormValue("t")
	if err := s.svc.CheckResetLink(r.Context(), token); err != nil {
		return err
	}
	p := &resetPage{formPage: formPage{page: s.pageBase(r, "reset.title"), Form: newForm(r)}, Token: token}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "reset_password", p)
	}
	err := s.svc.ResetPassword(r.Context(), token, r.PostForm.Get("password"), r.PostForm.Get("password_confirm"))
	if err == nil {
		s.clearSession(w)
		return s.redirect(w, r, "/login", "flash.password_reset")
	}
	if !p.fail(err, "password", "password_confirm") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "reset_password", p)
}

type resetCodePage struct {
	formPage
	Message string
}

func (s *Server) resetCode(w http.ResponseWriter, r *http.Request) error {
	p := &resetCodePage{formPage: formPage{page: s.pageBase(r, "resetcode.title"), Form: newForm(r)}}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "reset_code", p)
	}
	f := r.PostForm
	err := s.svc.ResetWithCode(r.Context(), instance.CodeReset{Handle: f.Get("handle"), Code: f.Get("code"),
		Password: f.Get("password"), Confirm: f.Get("password_confirm")}, s.clientKey(r))
	var pr *instance.Problem
	switch {
	case err == nil:
		s.clearSession(w)
		return s.redirect(w, r, "/login", "flash.password_reset")
	case errors.As(err, &pr) && errors.Is(err, instance.ErrThrottled):
		p.Message = p.T(pr.Code)
		p.Title = p.T("error.title_prefix") + " " + p.Title
		return s.render(w, r, http.StatusTooManyRequests, "reset_code", p)
	case p.fail(err, "handle", "code", "password", "password_confirm"):
		return s.render(w, r, http.StatusUnprocessableEntity, "reset_code", p)
	}
	return err
}

type resetMadePage struct {
	page
	Code *instance.ResetCode
}

// makeResetCode shows the code once, in the answer to the POST.
func (s *Server) makeResetCode(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.svc.MakeResetCode(r.Context(), viewerFrom(r), mux.Vars(r)["handle"])
	if err != nil {
		return err
	}
	p := &resetMadePage{page: s.pageBase(r, "resetmade.title", rc.Member.DisplayName), Code: rc}
	return s.render(w, r, http.StatusOK, "reset_code_made", p)
}

type mailHelpPage struct {
	page
	Relay string
}

func (s *Server) mailHelp(w http.ResponseWriter, r *http.Request) error {
	relay, err := s.svc.MailRelay(r.Context(), viewerFrom(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "mail_help", &mailHelpPage{page: s.pageBase(r, "mailhelp.title"), Relay: relay})
}
