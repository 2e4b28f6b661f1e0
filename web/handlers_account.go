package web

import (
	"crypto/subtle"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"hearth/instance"
)

type homePage struct {
	page
	Groups       []*instance.Group
	Registration string
	Items        []*instance.Item
	Kind         string
	Category     string
	Group        string
	Query        string
	Finished     bool // include what is done, closed or past
	Categories   []instance.Category
	Kinds        []instance.Kind
	More         string // link to the next page of older items
	MailOff      bool   // shown to admins: email is not set up
	// Desk is what waits for a coordinator or lead (nil for others);
	// DeskRows its counts as links.
	Desk     *instance.Desk
	DeskRows []deskRow
	// Needs says what is true when no open need is listed.
	Needs *needsNote
}

// Filtered reports whether the list is narrowed by a filter or search.
func (p *homePage) Filtered() bool {
	return p.Kind != "" || p.Category != "" || p.Group != "" || p.Query != "" || p.Finished
}

// home lists open needs, current offers and upcoming actions, newest
// first, with filters by kind, category and group, and full-text search.
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &homePage{page: s.pageBase(r, "home.title"), Registration: string(s.svc.Registration()),
		Kind: q.Get("kind"), Category: q.Get("category"), Group: q.Get("group"), Query: q.Get("q"), Finished: q.Get("finished") != "",
		Categories: s.svc.Categories(), Kinds: instance.Kinds}
	p.Feeds = []feedLink{s.villageFeedLink(&p.page)}
	groups, err := s.svc.Groups(r.Context())
	if err != nil {
		return err
	}
	p.Groups = groups
	f := instance.ItemFilter{Current: !p.Finished, Category: p.Category, Query: p.Query, Limit: 30}
	switch instance.Kind(p.Kind) {
	case instance.KindNeed, instance.KindOffer, instance.KindAction:
		f.Kind = instance.Kind(p.Kind)
	default:
		p.Kind = ""
	}
	for _, g := range groups {
		if g.Handle == p.Group {
			f.GroupID = g.ID
		}
	}
	if f.GroupID == 0 {
		p.Group = ""
	}
	f.BeforeID, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	if p.Items, err = s.svc.Items(r.Context(), p.Viewer, f); err != nil {
		return err
	}
	if len(p.Items) == f.Limit {
		next := url.Values{}
		for k, v := range map[string]string{"kind": p.Kind, "category": p.Category, "group": p.Group, "q": p.Query} {
			if v != "" {
				next.Set(k, v)
			}
		}
		if p.Finished {
			next.Set("finished", "yes")
		}
		next.Set("before", strconv.FormatInt(p.Items[len(p.Items)-1].ID, 10))
		p.More = "/?" + next.Encode()
	}
	if p.Needs, err = s.noOpenNeeds(r, p); err != nil {
		return err
	}
	p.MailOff = p.Viewer.IsAdmin() && !s.svc.MailConfigured()
	if p.Desk, err = s.svc.Desk(r.Context(), p.Viewer); err != nil {
		return err
	}
	if p.Desk != nil {
		p.DeskRows = s.deskRows(&p.page, p.Desk)
	}
	return s.render(w, r, http.StatusOK, "home", p)
}

type conductPage struct {
	page
	Conduct string
}

func (s *Server) conduct(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "conduct", &conductPage{page: s.pageBase(r, "conduct.title"), Conduct: s.opt.Conduct})
}

type setupPage struct {
	formPage
	Token string
}

// setup creates the first admin. It is open only while no admin exists and
// only with the token printed in the server log at start, so whoever
// reaches a new instance first cannot take it over.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) error {
	has, err := s.svc.HasAdmin(r.Context())
	if err != nil {
		return err
	}
	token := r.FormValue("token")
	if has || s.opt.SetupToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.opt.SetupToken)) != 1 {
		return instance.ErrNotFound
	}
	p := &setupPage{formPage: formPage{page: s.pageBase(r, "setup.title"), Form: newForm(r)}, Token: token}
	if r.Method == http.MethodPost {
		f := r.PostForm
		in := instance.NewMemberInput{Handle: f.Get("handle"), DisplayName: f.Get("display_name"), Email: f.Get("email"),
			Password: f.Get("password"), Roles: []instance.Role{instance.RoleAdmin}}
		var m *instance.Member
		if f.Get("password") != f.Get("password_confirm") {
			err = &instance.FieldError{Field: "password_confirm", Code: "err.password_mismatch"}
		} else {
			m, err = s.svc.CreateMemberDirect(r.Context(), in)
		}
		if err == nil {
			tok, _, err := s.svc.Login(r.Context(), m.Handle, in.Password, s.clientKey(r))
			if errors.Is(err, instance.ErrBusy) {
				return s.redirect(w, r, "/login", "flash.sign_in_now") // the account is made
			}
			if err != nil {
				return err
			}
			s.setSession(w, tok)
			return s.redirect(w, r, "/", "flash.setup_done")
		}
		if !p.fail(err, "handle", "display_name", "email", "password", "password_confirm") {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "setup", p)
	}
	return s.render(w, r, http.StatusOK, "setup", p)
}

type joinPage struct {
	formPage
	Mode     string
	Question string
	Invite   string
	Conduct  string
	Done     bool
}

func (s *Server) join(w http.ResponseWriter, r *http.Request) error {
	if viewerFrom(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	mode := s.svc.Registration()
	p := &joinPage{formPage: formPage{page: s.pageBase(r, "join.title"), Form: newForm(r)}, Mode: string(mode),
		Question: s.opt.Question, Invite: r.FormValue("invite"), Conduct: s.opt.Conduct}
	if p.SettingUp || (mode == instance.RegistrationInvite && p.Invite == "" && r.Method == http.MethodGet) {
		// Until an administrator exists nobody could approve anyone, so
		// nobody is asked to join yet.
		return s.render(w, r, http.StatusOK, "join_closed", p)
	}
	if p.Invite != "" {
		// An invite works the same in every mode: the invitee joins at
		// once, without the application question.
		p.Mode = string(instance.RegistrationInvite)
		if r.Method == http.MethodGet {
			if err := s.svc.CheckInvite(r.Context(), p.Invite); err != nil {
				return err
			}
		}
	}
	if r.Method == http.MethodPost {
		f := r.PostForm
		m, err := s.svc.SignUp(r.Context(), instance.SignUpInput{
			Handle: f.Get("handle"), DisplayName: f.Get("display_name"), Email: f.Get("email"),
			Password: f.Get("password"), PasswordConfirm: f.Get("password_confirm"), Answer: f.Get("answer"),
			AcceptConduct: f.Get("conduct") != "", InviteCode: f.Get("invite"),
		})
		if err == nil {
			if m.Status == instance.StatusPending {
				return s.statusPage(w, r, m)
			}
			tok, _, err := s.svc.Login(r.Context(), m.Handle, f.Get("password"), s.clientKey(r))
			if errors.Is(err, instance.ErrBusy) {
				return s.redirect(w, r, "/login", "flash.sign_in_now") // the account is made
			}
			if err != nil {
				return err
			}
			s.setSession(w, tok)
			return s.redirect(w, r, "/", "flash.welcome")
		}
		if !p.fail(err, "invite", "handle", "display_name", "email", "password", "password_confirm", "answer", "conduct") {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "join", p)
	}
	return s.render(w, r, http.StatusOK, "join", p)
}

type confirmEmailPage struct {
	page
	Token string
}

// confirmEmail shows a button (GET, so a mail scanner following the link
// does not confirm by itself) and confirms on POST.
func (s *Server) confirmEmail(w http.ResponseWriter, r *http.Request) error {
	token := r.FormValue("token")
	if r.Method == http.MethodPost {
		if err := s.svc.ConfirmEmail(r.Context(), token); err != nil {
			return err
		}
		return s.redirect(w, r, "/login", "flash.email_confirmed")
	}
	if err := s.svc.CheckEmailToken(r.Context(), token); err != nil {
		return err // a bad link says so at once, before any button
	}
	return s.render(w, r, http.StatusOK, "confirm_email", &confirmEmailPage{page: s.pageBase(r, "confirm.title"), Token: token})
}

type statusPage struct {
	page
	Member *instance.Member
}

// statusPage tells an applicant where their application stands.
func (s *Server) statusPage(w http.ResponseWriter, r *http.Request, m *instance.Member) error {
	p := &statusPage{page: s.pageBase(r, "status.title"), Member: m}
	return s.render(w, r, http.StatusOK, "status", p)
}

type loginPage struct {
	formPage
	Next    string
	Message string
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.FormValue("next"))
	if viewerFrom(r) != nil && r.Method == http.MethodGet {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	p := &loginPage{formPage: formPage{page: s.pageBase(r, "login.title"), Form: newForm(r)}, Next: next}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "login", p)
	}
	tok, m, err := s.svc.Login(r.Context(), r.PostForm.Get("login"), r.PostForm.Get("password"), s.clientKey(r))
	var pr *instance.Problem
	switch {
	case err == nil:
		s.setSession(w, tok)
		return s.redirect(w, r, next, "")
	case errors.Is(err, instance.ErrBusy):
		p.Message = p.T("login.busy")
		p.Title = p.T("error.title_prefix") + " " + p.Title
		p.Form.Values.Del("password")
		w.Header().Set("Retry-After", retryBusy)
		return s.render(w, r, http.StatusServiceUnavailable, "login", p)
	case errors.As(err, &pr) && m != nil && (m.Status == instance.StatusPending || m.Status == instance.StatusRejected):
		return s.statusPage(w, r, m)
	case errors.As(err, &pr):
		p.Message = p.T(pr.Code, pr.Args...)
	case errors.Is(err, instance.ErrBadCredentials):
		p.Message = p.T("login.bad")
	case errors.Is(err, instance.ErrThrottled):
		p.Message = p.T("login.throttled")
		p.Title = p.T("error.title_prefix") + " " + p.Title
		return s.render(w, r, http.StatusTooManyRequests, "login", p)
	default:
		return err
	}
	p.Title = p.T("error.title_prefix") + " " + p.Title
	p.Form.Values.Del("password")
	return s.render(w, r, http.StatusUnauthorized, "login", p)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.svc.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	s.clearSession(w)
	return s.redirect(w, r, "/", "flash.logged_out")
}

type profilePage struct {
	formPage
	Languages    []string
	Contacts     []string
	EmailProblem *instance.Bounce // mail to the member's address stopped
	// CalendarURL is the member's own calendar feed ("" when they have
	// none), CalendarWebcal the same for calendar apps.
	CalendarURL    string
	CalendarWebcal template.URL
}

func (s *Server) profile(w http.ResponseWriter, r *http.Request) error {
	m := viewerFrom(r)
	p := &profilePage{formPage: formPage{page: s.pageBase(r, "profile.title"), Form: newForm(r)},
		Languages: instance.Languages, Contacts: []string{"site", "email", "phone"}}
	var err error
	if p.EmailProblem, err = s.svc.EmailProblem(r.Context(), m); err != nil {
		return err
	}
	tok, err := s.svc.CalendarToken(r.Context(), m)
	if err != nil {
		return err
	}
	if tok != "" {
		p.CalendarURL = s.feedURL(tok)
		p.CalendarWebcal = webcal(p.CalendarURL)
	}
	if r.Method == http.MethodGet {
		v := p.Form.Values
		v.Set("display_name", m.DisplayName)
		v.Set("pronouns", m.Pronouns)
		v.Set("language", m.Language)
		v.Set("contact_preference", string(m.ContactPreference))
		v.Set("phone", m.Phone)
		return s.render(w, r, http.StatusOK, "profile", p)
	}
	f := r.PostForm
	err = s.svc.UpdateProfile(r.Context(), m, instance.Profile{DisplayName: f.Get("display_name"), Pronouns: f.Get("pronouns"),
		Language: f.Get("language"), ContactPreference: f.Get("contact_preference"), Phone: f.Get("phone")})
	if err == nil {
		return s.redirect(w, r, "/settings/profile", "flash.saved")
	}
	if !p.fail(err, "display_name", "pronouns", "language", "contact_preference", "phone") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "profile", p)
}

func (s *Server) password(w http.ResponseWriter, r *http.Request) error {
	p := &formPage{page: s.pageBase(r, "password.title"), Form: newForm(r)}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "password", p)
	}
	f := r.PostForm
	tok, err := s.svc.ChangePassword(r.Context(), viewerFrom(r), instance.PasswordChange{Current: f.Get("current"), New: f.Get("new"), Confirm: f.Get("confirm")})
	if err == nil {
		s.setSession(w, tok)
		return s.redirect(w, r, "/settings/profile", "flash.password_changed")
	}
	if !p.fail(err, "current", "new", "confirm") {
		return err
	}
	p.Form.Values = nil // never echo passwords back
	return s.render(w, r, http.StatusUnprocessableEntity, "password", p)
}

// AnswerField is the applicant's answer to the instance's own question,
// which is the field's label.
func (p *joinPage) AnswerField() field {
	f := p.Field("answer", "textarea", "field.answer", "field.answer_hint")
	f.Label = p.Question
	return f
}

// langCookie holds a visitor's choice of language (members choose theirs
// on their profile).
const langCookie = "hearth_lang"

// language is the footer's language buttons: it remembers a visitor's
// choice for a year and goes back to the page they were on. A member's
// language is on their profile, so for them it changes that.
func (s *Server) language(w http.ResponseWriter, r *http.Request) error {
	lang := r.PostForm.Get("lang")
	if !slices.Contains(instance.Languages, lang) || !s.cat.has(lang) {
		return &instance.Problem{Kind: instance.ErrInvalid, Code: "err.choice"}
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", HttpOnly: true, Secure: s.opt.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}
