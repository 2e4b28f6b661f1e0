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

// settableRoles are the roles an admin sets by hand: not member (everyone
// is one) and not verified helper, which only a recorded safety check
// grants.
var settableRoles = []instance.Role{instance.RoleHelper, instance.RoleCoordinator, instance.RoleSafeguardingLead, instance.RoleAdmin}

type adminMembersPage struct {
	page
	Active        []*instance.Member
	Suspended     []*instance.Member
	Roles         []instance.Role
	Verifications map[int64][]*instance.Verification
	CheckTypes    []string
}

func (s *Server) adminMembers(w http.ResponseWriter, r *http.Request) error {
	by := viewerFrom(r)
	active, err := s.svc.Members(r.Context(), by, instance.StatusActive)
	if err != nil {
		return err
	}
	suspended, err := s.svc.Members(r.Context(), by, instance.StatusSuspended)
	if err != nil {
		return err
	}
	p := &adminMembersPage{page: s.pageBase(r, "adminmembers.title"), Active: active, Suspended: suspended, Roles: settableRoles,
		Verifications: map[int64][]*instance.Verification{}, CheckTypes: instance.CheckTypes}
	for _, m := range active {
		if p.Verifications[m.ID], err = s.svc.Verifications(r.Context(), by, m.ID); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "admin_members", p)
}

// HasRole is used by the roles form to tick the member's current roles.
func (p *adminMembersPage) HasRole(m *instance.Member, r instance.Role) bool {
	for _, x := range m.Roles {
		if x == r {
			return true
		}
	}
	return false
}

func (s *Server) setRoles(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var roles []instance.Role
	for _, v := range r.PostForm["role"] {
		role, ok := instance.ParseRole(v)
		if !ok {
			return &instance.Problem{Kind: instance.ErrInvalid, Code: "members.unknown_role"}
		}
		roles = append(roles, role)
	}
	if err := s.svc.SetRoles(r.Context(), viewerFrom(r), id, roles); err != nil {
		return err
	}
	return s.redirect(w, r, "/admin/members", "flash.roles_saved")
}

type suspendPage struct {
	formPage
	Member *instance.Member
}

// suspend asks first: a suspension signs the member out and withdraws
// their posts, so it has its own page that says so and asks why (the
// reason goes in the moderation log).
func (s *Server) suspend(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	by := viewerFrom(r)
	if !by.IsCoordinator() {
		return instance.ErrForbidden
	}
	m, err := s.svc.MemberByID(r.Context(), id)
	if err != nil {
		return err
	}
	p := &suspendPage{formPage: formPage{page: s.pageBase(r, "suspend.title", m.DisplayName), Form: newForm(r)}, Member: m}
	if r.Method == http.MethodGet {
		if m.Status != instance.StatusActive {
			return &instance.Problem{Kind: instance.ErrConflict, Code: "members.state_changed"}
		}
		return s.render(w, r, http.StatusOK, "suspend", p)
	}
	err = s.svc.Suspend(r.Context(), by, id, r.PostForm.Get("reason"))
	if err == nil {
		return s.redirect(w, r, "/admin/members", "flash.member_suspend")
	}
	if !p.fail(err, "reason") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "suspend", p)
}

func (s *Server) reinstate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Reinstate(r.Context(), viewerFrom(r), id); err != nil {
		return err
	}
	return s.redirect(w, r, "/admin/members", "flash.member_reinstate")
}

func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Host
}

func (s *Server) helperFriend(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.SetHelperFriend(r.Context(), viewerFrom(r), id, r.PostForm.Get("on") != ""); err != nil {
		return err
	}
	return s.redirect(w, r, "/admin/members", "flash.saved")
}
