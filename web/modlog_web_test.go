package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hearth/instance"
)

// The moderation log is written in sentences that name people and posts
// by their names, link to them, and say why; it is a list that reflows on
// a phone (no table), 50 lines to a page.
func TestModerationLogInSentences(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("priya", instance.RoleAdmin)
	dave := h.member("dave")
	priya := h.as("priya")
	ctx := context.Background()
	by, _ := h.svc.Member(ctx, "priya")
	dan := postItem(t, h.as("dave"), "offers", url.Values{"title": {"Cheap pills"}, "category": {"lending"}, "visibility": {"public"}})
	id := dan[strings.LastIndex(dan, "/")+1:]
	priya.post("/admin/moderation", url.Values{"action": {"hide"}, "id": {id}, "reason": {"spam"}})
	priya.post("/admin/members/"+fmtInt(dave.ID)+"/roles", url.Values{"role": {"helper", "coordinator"}})
	priya.post("/admin/members/"+fmtInt(dave.ID)+"/verify", checkForm("dbs", "2026-11-01", "2027-11-01"))
	v, err := h.svc.Verifications(ctx, by, dave.ID)
	if err != nil || len(v) != 1 {
		t.Fatalf("verifications: %v %v", v, err)
	}
	priya.post("/admin/verifications/"+fmtInt(v[0].ID)+"/revoke", url.Values{"reason": {"moved away"}, "member": {fmtInt(dave.ID)}})
	priya.post("/admin/members/"+fmtInt(dave.ID)+"/suspend", url.Values{"reason": {"abuse"}})
	priya.post("/admin/moderation", url.Values{"action": {"block_domain"}, "target": {"spam.example"}, "reason": {"spam server"}})

	r := priya.get("/admin/log")
	checkPage(t, "/admin/log", r, cssSize(t))
	who := `<a href="/admin/members/` + fmtInt(by.ID) + `"><bdi>Name priya</bdi></a>`
	dv := `<a href="/admin/members/` + fmtInt(dave.ID) + `"><bdi>Name dave</bdi></a>`
	for _, want := range []string{
		who + " hid " + `<a href="` + dan + `"><bdi>` + h.says("modlog.item", "Cheap pills", "Name dave") + `</bdi></a>` + h.says("modlog.reason", "spam"),
		h.says("modlog.do.set_roles", who, dv, "Helper, Coordinator"),
		h.says("modlog.do.record_verification", who, dv, "DBS (background) check", "Monday 1 November 2027"),
		h.says("modlog.do.revoke_verification", who, dv, "DBS (background) check") + h.says("modlog.reason", "moved away"),
		h.says("modlog.do.suspend_member", who, dv) + h.says("modlog.reason", "abuse"),
		h.says("modlog.do.block_domain", who, "<bdi>spam.example</bdi>") + h.says("modlog.reason", "spam server"),
	} {
		// says() escaped the links too: put them back.
		want = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`).Replace(want)
		if !strings.Contains(r.body, want) {
			t.Errorf("log lacks\n  %s", want)
		}
	}
	mustNotContain(t, r.body, "<table", "hide item", "verification 1", "item "+id)

	// Fifty lines to a page, then a link to older ones.
	for i := 0; i < instance.ModLogPerPage; i++ {
		if err := h.svc.Moderate(ctx, by, instance.ModerationAction{Action: "unblock_domain", Target: "spam.example"}); err != nil {
			t.Fatal(err)
		}
	}
	r = priya.get("/admin/log")
	if n := strings.Count(r.body, "<li><p class=\"meta\">"); n != instance.ModLogPerPage {
		t.Errorf("%d lines on the first page, want %d", n, instance.ModLogPerPage)
	}
	checkPage(t, "/admin/log (full page)", r, cssSize(t))
	older := regexpFind(t, `/admin/log\?before=\d+`, r.body)
	r = priya.get(older)
	mustContain(t, r.body, "Cheap pills")
	h.member("pat")
	if r := h.as("pat").get("/admin/log"); r.status != http.StatusForbidden {
		t.Errorf("a member read the log: %d", r.status)
	}
}
