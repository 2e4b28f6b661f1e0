package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hearth/instance"
)

// Suspending from the Members page withdraws the member's posts, as the
// moderation queue does: a visitor no longer finds their offer.
func TestSuspendFromMembersPageWithdrawsPosts(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	dan := h.member("dan")
	path := postItem(t, h.as("dan"), "offers", url.Values{"title": {"Cheap watches"}, "category": {"lending"}, "visibility": {"public"}})
	visitor := h.client()
	if r := visitor.get(path); r.status != http.StatusOK {
		t.Fatalf("offer before: %d", r.status)
	}
	if r := h.as("cora").post("/admin/members/"+fmtInt(dan.ID)+"/suspend", url.Values{"reason": {"selling"}}); r.status != http.StatusSeeOther {
		t.Fatalf("suspend: %d", r.status)
	}
	if r := visitor.get(path); r.status != http.StatusNotFound {
		t.Errorf("the suspended member's offer: %d, want 404", r.status)
	}
	mustNotContain(t, visitor.get("/").body, "Cheap watches")
}

// Suspending asks first: the Members page links to a page that says what
// a suspension does and asks why; without a reason nothing happens and the
// reason field says so. Suspension, reinstatement, role changes,
// approvals and rejections are all written in the moderation log.
func TestSuspendAsksWhyAndEverythingIsLogged(t *testing.T) {
	h := newHarness(t, instance.RegistrationApproval)
	h.member("ada", instance.RoleAdmin)
	dan := h.member("dan")
	ada := h.as("ada")
	mustContain(t, ada.get("/admin/members/"+fmtInt(dan.ID)).body, `href="/admin/members/`+fmtInt(dan.ID)+`/suspend"`)
	mustNotContain(t, ada.get("/admin/members/"+fmtInt(dan.ID)).body, `action="/admin/members/`+fmtInt(dan.ID)+`/suspend"`)
	r := ada.get("/admin/members/" + fmtInt(dan.ID) + "/suspend")
	mustContain(t, r.body, h.says("suspend.title", "Name dan"), h.says("suspend.what"), h.says("field.suspend_reason"))
	checkPage(t, "/admin/members/{id}/suspend", r, cssSize(t))
	if m, _ := h.svc.MemberByID(context.Background(), dan.ID); m.Status != instance.StatusActive {
		t.Fatal("opening the page suspended him")
	}
	r = ada.post("/admin/members/"+fmtInt(dan.ID)+"/suspend", url.Values{"reason": {"  "}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("suspend without a reason: %d", r.status)
	}
	mustContain(t, r.body, `id="f-reason-error"`, h.says("err.suspend_reason"))
	checkPage(t, "/admin/members/{id}/suspend (error)", r, cssSize(t))
	if m, _ := h.svc.MemberByID(context.Background(), dan.ID); m.Status != instance.StatusActive {
		t.Fatal("suspended without a reason")
	}
	if r := ada.post("/admin/members/"+fmtInt(dan.ID)+"/suspend", url.Values{"reason": {"Repeated abuse after a warning"}}); r.status != http.StatusSeeOther {
		t.Fatalf("suspend: %d", r.status)
	}
	if r := ada.post("/admin/members/"+fmtInt(dan.ID)+"/reinstate", nil); r.status != http.StatusSeeOther {
		t.Fatalf("reinstate: %d", r.status)
	}
	if r := ada.post("/admin/members/"+fmtInt(dan.ID)+"/roles", url.Values{"role": {"helper"}}); r.status != http.StatusSeeOther {
		t.Fatalf("roles: %d", r.status)
	}
	applicant := func(handle string) int64 {
		h.client().post("/join", url.Values{"handle": {handle}, "display_name": {"Name " + handle}, "email": {handle + "@example.org"},
			"password": {pw}, "password_confirm": {pw}, "answer": {"Mill Lane"}, "conduct": {"yes"}})
		m, err := h.svc.Member(context.Background(), handle)
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	ada.post("/admin/applications/"+fmtInt(applicant("eve"))+"/approve", nil)
	ada.post("/admin/applications/"+fmtInt(applicant("fay"))+"/reject", nil)
	log, err := h.svc.ModerationLog(context.Background(), instance.Operator())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range log {
		got = append(got, l.Action+" "+l.Subject+" "+l.Reason)
	}
	want := []string{"reject application @fay ", "approve application @eve ", "set roles @dan helper",
		"reinstate member @dan ", "suspend member @dan Repeated abuse after a warning"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("moderation log:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Verified helper comes only from a recorded safety check: the Members
// page has no box for it, a hand-made request to grant it is refused (and
// changes nothing), editing other roles keeps it, and recording a check
// grants it.
func TestVerifiedHelperOnlyFromACheck(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ada", instance.RoleAdmin)
	ann := h.member("ann")
	ada := h.as("ada")
	mustNotContain(t, ada.get("/admin/members/"+fmtInt(ann.ID)).body, `value="verified_helper"`)
	r := ada.post("/admin/members/"+fmtInt(ann.ID)+"/roles", url.Values{"role": {"verified_helper", "helper"}})
	if r.status != http.StatusForbidden {
		t.Fatalf("granting verified helper by hand: %d", r.status)
	}
	mustContain(t, r.body, h.says("members.verified_by_check"))
	if m, _ := h.svc.MemberByID(context.Background(), ann.ID); m.Has(instance.RoleVerifiedHelper) || m.Has(instance.RoleHelper) {
		t.Fatalf("roles changed: %v", m.Roles)
	}
	if r := ada.post("/admin/members/"+fmtInt(ann.ID)+"/verify", checkForm("dbs", "2026-11-01", "2027-11-01")); r.status != http.StatusSeeOther {
		t.Fatalf("record a check: %d", r.status)
	}
	if r := ada.post("/admin/members/"+fmtInt(ann.ID)+"/roles", url.Values{"role": {"coordinator"}}); r.status != http.StatusSeeOther {
		t.Fatalf("roles: %d", r.status)
	}
	m, _ := h.svc.MemberByID(context.Background(), ann.ID)
	if !m.Has(instance.RoleVerifiedHelper) || !m.IsCoordinator() {
		t.Errorf("after a check and a role change: %v, want verified helper and coordinator", m.Roles)
	}
	if _, err := h.svc.CreateMemberDirect(context.Background(), instance.NewMemberInput{Handle: "vic", DisplayName: "Vic", Password: pw,
		Roles: []instance.Role{instance.RoleVerifiedHelper}}); !isProblem(err, "members.verified_by_check") {
		t.Errorf("creating a verified helper directly: %v", err)
	}
}

func isProblem(err error, code string) bool {
	var p *instance.Problem
	return errors.As(err, &p) && p.Code == code
}
