package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/instance"
)

// manyMembers inserts n active members straight into the database (with
// no usable password: hashing a thousand would take a minute).
func (h *harness) manyMembers(n int) {
	h.t.Helper()
	tx, err := h.store.DB().Begin()
	if err != nil {
		h.t.Fatal(err)
	}
	for i := range n {
		handle := fmt.Sprintf("resident_%04d", i)
		if _, err := tx.Exec(h.store.SQL(`INSERT INTO handles (handle, kind) VALUES (?, 'member')`), handle); err != nil {
			h.t.Fatal(err)
		}
		if _, err := tx.Exec(h.store.SQL(`INSERT INTO members (handle, display_name, email, password_hash, status, conduct_accepted_at, created_at)
			VALUES (?, ?, ?, '!', 'active', '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z')`),
			handle, fmt.Sprintf("Resident Number %04d of Mill Lane", i), handle+"@mail.example"); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		h.t.Fatal(err)
	}
}

var memberRowRE = regexp.MustCompile(`<li><a href="/admin/members/\d+">`)

// With a thousand members the Members page shows 25 at a time, one line
// each, well under 30 KB, with links to the other pages; the last page
// has the rest.
func TestMembersPageWithAThousandMembers(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ada", instance.RoleAdmin)
	h.manyMembers(1000)
	ada := h.as("ada")
	r := ada.get("/admin/members")
	if r.status != http.StatusOK {
		t.Fatalf("members: %d", r.status)
	}
	if n := len(memberRowRE.FindAllString(r.body, -1)); n != instance.MembersPerPage {
		t.Errorf("%d members on the first page, want %d", n, instance.MembersPerPage)
	}
	checkPage(t, "/admin/members (1,000 members)", r, cssSize(t))
	t.Logf("/admin/members with 1,002 members: %d bytes of HTML", len(r.body))
	// 1,002: the thousand, ada and the harness's site owner.
	mustContain(t, r.body, h.says("adminmembers.showing", 1, 25, 1002), h.says("adminmembers.page_of", 1, 41), `rel="next"`)
	mustNotContain(t, r.body, `rel="prev"`)
	r = ada.get("/admin/members?page=2")
	mustContain(t, r.body, "Resident Number 0024 of Mill Lane", `href="/admin/members" rel="prev"`, `href="/admin/members?page=3" rel="next"`)
	mustNotContain(t, r.body, "Resident Number 0023 of Mill Lane", "Resident Number 0049 of Mill Lane")
	r = ada.get("/admin/members?page=41")
	if n := len(memberRowRE.FindAllString(r.body, -1)); n != 2 {
		t.Errorf("%d members on the last page, want 2", n)
	}
	mustNotContain(t, r.body, `rel="next"`)
}

// Search finds members by part of their name or username; admins also by
// email, which coordinators do not see; paging keeps the search.
func TestMembersSearch(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ada", instance.RoleAdmin)
	h.member("cora", instance.RoleCoordinator)
	h.manyMembers(60)
	ada, cora := h.as("ada"), h.as("cora")
	found := func(c *client, q string) int {
		t.Helper()
		r := c.get("/admin/members?q=" + url.QueryEscape(q))
		if r.status != http.StatusOK {
			t.Fatalf("search %q: %d", q, r.status)
		}
		return len(memberRowRE.FindAllString(r.body, -1))
	}
	if n := found(cora, "number 0042"); n != 1 {
		t.Errorf("by part of a name: %d found, want 1", n)
	}
	if n := found(cora, "@resident_005"); n != 10 {
		t.Errorf("by part of a username: %d found, want 10", n)
	}
	if n := found(ada, "resident_0007@mail"); n != 1 {
		t.Errorf("admin by email: %d found, want 1", n)
	}
	if n := found(cora, "@mail.example"); n != 0 {
		t.Errorf("coordinator by email: %d found, want 0", n)
	}
	if n := found(cora, "100%_"); n != 0 {
		t.Errorf("LIKE wildcards were not taken literally: %d found", n)
	}
	r := cora.get("/admin/members?q=nobody+by+that+name")
	mustContain(t, r.body, h.says("adminmembers.none_found", "nobody by that name"))
	r = cora.get("/admin/members?q=resident")
	mustContain(t, r.body, `href="/admin/members?page=2&amp;q=resident" rel="next"`)
	if r := h.as("cora").get("/admin/members?status=suspended"); !strings.Contains(r.body, h.says("adminmembers.none_suspended")) {
		t.Error("no suspended members: the page does not say so")
	}
	h.member("pat")
	if r := h.as("pat").get("/admin/members?q=resident"); r.status != http.StatusForbidden {
		t.Errorf("a member searched the members: %d", r.status)
	}
}

// A safety check with a missing date shows the member's page again with
// the error beside the field and what was typed, not a dead end.
func TestSafetyCheckErrorsBesideTheFields(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	ann := h.member("ann")
	r := h.as("cora").post("/admin/members/"+fmtInt(ann.ID)+"/verify", url.Values{"check": {"references"},
		"verified_on_day": {"20"}, "verified_on_month": {"11"}, "verified_on_year": {"2026"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("check without an end date: %d", r.status)
	}
	mustContain(t, r.body, `id="f-expires_on-error"`, `name="verified_on_day" value="20"`, `name="verified_on_year" value="2026"`,
		`value="references" checked`, h.says("error.summary"))
	checkPage(t, "/admin/members/{id}/verify (error)", r, cssSize(t))
}
