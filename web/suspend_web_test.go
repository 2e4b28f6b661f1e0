package web

import (
	"net/http"
	"net/url"
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
	if r := h.as("cora").post("/admin/members/"+fmtInt(dan.ID)+"/suspend", nil); r.status != http.StatusSeeOther {
		t.Fatalf("suspend: %d", r.status)
	}
	if r := visitor.get(path); r.status != http.StatusNotFound {
		t.Errorf("the suspended member's offer: %d, want 404", r.status)
	}
	mustNotContain(t, visitor.get("/").body, "Cheap watches")
}
