package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hearth/instance"
)

// A coordinator takes a need over the phone: the short form, an error
// beside the phone number in its label's words when it is missing (and
// nothing posted), then the read-back text with what was posted, who sees
// what and the need's number. The caller's name, phone and address stay
// off the need's public page and the noticeboard. Only coordinators reach
// the form and the read-back.
func TestPhoneIntake(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	cora, ann, visitor := h.as("cora"), h.as("ann"), h.client()

	r := cora.get("/intake")
	checkPage(t, "/intake", r, cssSize(t))
	mustContain(t, r.body, h.says("intake.name"), h.says("intake.phone"), h.says("intake.what"), `name="needed_by_day"`)
	mustContain(t, cora.get("/coordinate").body, `href="/intake"`)

	form := url.Values{"on_behalf_name": {"Edith Crane"}, "title": {"Shopping on Thursday"}, "category": {"shopping"},
		"area": {"Church Row"}, "address": {"2 Church Row"}}
	r = cora.post("/intake", form)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("no phone: %d", r.status)
	}
	mustContain(t, r.body, `id="f-on_behalf_phone-error">`+h.says("intake.phone.required"), `value="Edith Crane"`)
	checkPage(t, "/intake (errors)", r, cssSize(t))
	if mustNotContain(t, visitor.get("/noticeboard").body, "Shopping on Thursday"); t.Failed() {
		t.Fatal("a need was posted without a phone number")
	}

	form.Set("on_behalf_phone", "01234 999888")
	r = cora.post("/intake", form)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/intake/") {
		t.Fatalf("intake: %d %q", r.status, r.header.Get("Location"))
	}
	back := r.header.Get("Location")
	r = cora.get(back)
	checkPage(t, back, r, cssSize(t))
	id := strings.TrimPrefix(back, "/intake/")
	mustContain(t, r.body, h.says("intake.readback_intro", "Edith Crane"), h.says("intake.readback_what", "Shopping on Thursday"),
		h.says("intake.readback_area", "Church Row"), h.says("intake.readback_private", "01234 999888"),
		h.says("intake.readback_number", idOf("/needs/"+id)), `href="/needs/`+id+`"`)

	// Posted on Edith's behalf: her details for the coordinator only.
	mustContain(t, cora.get("/needs/"+id).body, "Edith Crane", "01234 999888", "2 Church Row")
	for _, c := range []*client{ann, visitor} {
		page := c.get("/needs/" + id)
		if c == visitor && page.status == http.StatusNotFound {
			continue // village-only, as needs are by default
		}
		mustContain(t, page.body, "Shopping on Thursday")
		mustNotContain(t, page.body, "Edith Crane", "01234 999888", "2 Church Row")
	}
	mustContain(t, ann.get("/noticeboard").body, "Shopping on Thursday")
	mustNotContain(t, ann.get("/noticeboard").body, "Edith Crane", "01234 999888", "2 Church Row")

	// Only coordinators.
	for _, path := range []string{"/intake", back} {
		if r := ann.get(path); r.status != http.StatusForbidden || !strings.Contains(r.body, h.says("error.forbidden")) {
			t.Errorf("a member's %s: %d", path, r.status)
		}
	}
	if r := ann.post("/intake", form); r.status != http.StatusForbidden {
		t.Errorf("a member's intake: %d", r.status)
	}
	// A need not taken for someone has no read-back.
	own := postItem(t, cora, "needs", needForm())
	if r := cora.get("/intake/" + strings.TrimPrefix(own, "/needs/")); r.status != http.StatusNotFound {
		t.Errorf("read-back of an ordinary need: %d", r.status)
	}
}
