package web

import (
	"net/http"

	"hearth/instance"
)

type verifyPage struct {
	formPage
	Member *instance.Member
	Checks []*instance.Verification
	Types  []option
}

// verify is the page that records a safety check on a helper: its own
// page, so that a mistake (a missing date) brings the form back with
// what was typed, beside the field, instead of a dead end.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	by := viewerFrom(r)
	if !s.svc.CanRecordVerification(by) {
		return instance.ErrForbidden
	}
	m, err := s.svc.MemberByID(r.Context(), id)
	if err != nil {
		return err
	}
	checks, err := s.svc.Verifications(r.Context(), by, id)
	if err != nil {
		return err
	}
	p := &verifyPage{formPage: formPage{page: s.pageBase(r, "verify.page_title", m.DisplayName), Form: newForm(r)}, Member: m, Checks: checks}
	p.labels = map[string]labelRef{"check": label("verify.check"), "verified_on": label("verify.verified_on"), "expires_on": label("verify.expires_on")}
	for _, c := range instance.CheckTypes {
		p.Types = append(p.Types, option{Value: c, Label: p.T("verify.check." + c)})
	}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "verify", p)
	}
	f := r.PostForm
	err = s.svc.RecordVerification(r.Context(), by, id, f.Get("check"), dateIn(f, "verified_on"), dateIn(f, "expires_on"))
	if err == nil {
		return s.redirect(w, r, "/admin/members", "flash.verified")
	}
	if !p.fail(err, "check", "verified_on", "expires_on") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "verify", p)
}
