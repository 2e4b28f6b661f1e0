package web

import (
	"net/http"
	"net/url"
	"strconv"

	"hearth/instance"
)

// settableRoles are the roles an admin sets by hand: not member (everyone
// is one) and not verified helper, which only a recorded safety check
// grants.
var settableRoles = []instance.Role{instance.RoleHelper, instance.RoleCoordinator, instance.RoleSafeguardingLead, instance.RoleAdmin}

type adminMembersPage struct {
	page
	Result *instance.MemberPage
	Query  string
	Status string
	Prev   string // link to the previous page, if any
	Next   string // link to the next page, if any
	First  int    // position of the first member shown (from 1)
	Last   int
}

// adminMembers is the Members list: a search box (name, username and, for
// admins, email), active or suspended, 25 to a page, one line a member;
// each member's own page holds what can be done about them. A page stays
// small however many members there are.
func (s *Server) adminMembers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pageNo, _ := strconv.Atoi(q.Get("page"))
	status := instance.StatusActive
	if q.Get("status") == string(instance.StatusSuspended) {
		status = instance.StatusSuspended
	}
	res, err := s.svc.SearchMembers(r.Context(), viewerFrom(r), instance.MemberSearch{Status: status, Text: q.Get("q"), Page: pageNo})
	if err != nil {
		return err
	}
	p := &adminMembersPage{page: s.pageBase(r, "adminmembers.title"), Result: res, Query: q.Get("q"), Status: string(status)}
	if len(res.Members) > 0 {
		p.First = (res.Page-1)*instance.MembersPerPage + 1
		p.Last = p.First + len(res.Members) - 1
	}
	link := func(n int) string {
		v := url.Values{}
		if p.Query != "" {
			v.Set("q", p.Query)
		}
		if status != instance.StatusActive {
			v.Set("status", string(status))
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/admin/members"
		}
		return "/admin/members?" + v.Encode()
	}
	if res.Page > 1 {
		p.Prev = link(min(res.Page-1, res.Pages))
	}
	if res.Page < res.Pages {
		p.Next = link(res.Page + 1)
	}
	return s.render(w, r, http.StatusOK, "admin_members", p)
}

type memberAdminPage struct {
	formPage
	Member        *instance.Member
	Roles         []instance.Role
	Verifications []*instance.Verification
	CheckTypes    []option
	Groups        []*instance.Group
}

// HasRole is used by the roles form to tick the member's current roles.
func (p *memberAdminPage) HasRole(r instance.Role) bool {
	for _, x := range p.Member.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// ShownRoles are the member's roles as badges: those set by hand (being a
// member and a verified helper are said in words).
func (p *memberAdminPage) ShownRoles() []instance.Role {
	var out []instance.Role
	for _, r := range settableRoles {
		if p.HasRole(r) {
			out = append(out, r)
		}
	}
	return out
}

// memberAdmin is one member's page for coordinators: their roles (set by
// admins), safety checks, helper-friend, a reset code, and suspending or
// reinstating them.
func (s *Server) memberAdmin(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.renderMemberAdmin(w, r, id, nil)
}

// renderMemberAdmin shows a member's page; formErr is a problem with the
// safety-check form, shown beside its fields with what was typed.
func (s *Server) renderMemberAdmin(w http.ResponseWriter, r *http.Request, id int64, formErr error) error {
	by := viewerFrom(r)
	m, err := s.svc.MemberForStaff(r.Context(), by, id)
	if err != nil {
		return err
	}
	p := &memberAdminPage{formPage: formPage{page: s.pageBase(r, "memberadmin.title", m.DisplayName), Form: newForm(r)}, Member: m,
		Roles: settableRoles}
	for _, c := range instance.CheckTypes {
		p.CheckTypes = append(p.CheckTypes, option{Value: c, Label: p.T("verify.check." + c)})
	}
	if p.Verifications, err = s.svc.Verifications(r.Context(), by, m.ID); err != nil {
		return err
	}
	if p.Groups, err = s.svc.MemberGroups(r.Context(), m); err != nil {
		return err
	}
	status := http.StatusOK
	if formErr != nil {
		p.labels = map[string]labelRef{"check": label("verify.check"), "verified_on": label("verify.verified_on"),
			"expires_on": label("verify.expires_on")}
		if !p.fail(formErr, "check", "verified_on", "expires_on") {
			return formErr
		}
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "member_admin", p)
}

// memberPath is where a member's page for coordinators is.
func memberPath(id int64) string { return "/admin/members/" + fmtInt(id) }

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
	return s.redirect(w, r, memberPath(id), "flash.roles_saved")
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
	m, err := s.svc.MemberForStaff(r.Context(), by, id)
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
		return s.redirect(w, r, memberPath(id), "flash.member_suspend")
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
	return s.redirect(w, r, memberPath(id), "flash.member_reinstate")
}

func (s *Server) helperFriend(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.SetHelperFriend(r.Context(), viewerFrom(r), id, r.PostForm.Get("on") != ""); err != nil {
		return err
	}
	return s.redirect(w, r, memberPath(id), "flash.saved")
}
