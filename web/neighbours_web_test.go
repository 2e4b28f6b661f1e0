package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"hearth/instance"
)

func TestRemoteReplyAndNeighbourPages(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	cora, ann := h.as("cora"), h.as("ann")
	path := postItem(t, ann, "needs", needForm())
	ctx := context.Background()
	items, _ := h.svc.Items(ctx, nil, instance.ItemFilter{})
	now := time.Now()
	// A stored remote reply whose HTML would be dangerous if not sanitised
	// again at render, with a bidi override in the name.
	if err := h.store.SaveRemoteResponse(ctx, &instance.Response{ItemID: items[0].ID, RemoteActor: "https://gts.example/users/alice",
		Author: "Alice \u202eevil", AuthorHandle: "@alice@gts.example", APID: "https://gts.example/statuses/1",
		ContentHTML: `<p>I can help<img src=x onerror=alert(1)></p>`, CreatedAt: now, UpdatedAt: now}, instance.Notices{}); err != nil {
		t.Fatal(err)
	}
	page := ann.get(path).body
	mustContain(t, page, "<bdi>Alice \u202eevil</bdi>", "@alice@gts.example", h.says("response.fediverse"), "<p>I can help</p>")
	mustNotContain(t, page, "onerror", "<img")

	if err := h.store.SaveRemoteItem(ctx, &instance.RemoteItem{APID: "https://next.example/needs/4", Actor: "https://next.example/groups/village",
		ActorName: "Next Village", Kind: instance.KindNeed, Title: "Dog walking while I recover", Category: "dog walking",
		Area: "High Street", ContentHTML: "<p>Twice a day</p>", URL: "https://next.example/needs/4", Published: now, Updated: now}, instance.Notices{}); err != nil {
		t.Fatal(err)
	}
	if r := h.client().get("/neighbours"); r.status != http.StatusSeeOther {
		t.Errorf("visitor sees neighbours: %d", r.status)
	}
	r := ann.get("/neighbours")
	mustContain(t, r.body, "Dog walking while I recover", "Next Village", "High Street")
	checkPage(t, "/neighbours", r, cssSize(t))
	list, _ := h.svc.Neighbours(ctx, &instance.Member{Status: instance.StatusActive})
	detail := "/neighbours/" + fmtInt(list[0].ID)
	r = ann.get(detail)
	mustContain(t, r.body, "Twice a day", "Can you help?", "I can help")
	checkPage(t, detail, r, cssSize(t))
	r = ann.post(detail, url.Values{"body": {""}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("empty answer: %d", r.status)
	}
	mustContain(t, r.body, `id="f-body-error"`)
	if r := ann.post(detail, url.Values{"body": {"I walk my own dog on the High Street anyway."}}); r.status != http.StatusSeeOther {
		t.Fatalf("answer: %d", r.status)
	}

	// Following another group: coordinators only, a clear error for a bad
	// address, the state shown on the group page.
	mustNotContain(t, ann.get("/groups/village").body, "Address of the group to follow")
	if r := ann.post("/groups/village/follow", url.Values{"address": {"@lunch@next.example"}}); r.status != http.StatusForbidden {
		t.Errorf("member followed a group: %d", r.status)
	}
	r = cora.post("/groups/village/follow", url.Values{"address": {"not an address"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad address: %d", r.status)
	}
	mustContain(t, r.body, "Enter an address like @lunchclub@next.village.example.")
	checkPage(t, "/groups/village (follow error)", r, cssSize(t))
	if r := cora.post("/groups/village/follow", url.Values{"address": {"@Lunch@Next.Example"}}); r.status != http.StatusSeeOther {
		t.Fatalf("follow: %d", r.status)
	}
	mustContain(t, cora.get("/groups/village").body, "@lunch@next.example", "looking it up")
	r = cora.post("/groups/village/follow", url.Values{"address": {"lunch@next.example"}})
	mustContain(t, r.body, "This group already follows that address.")
	// The worker could not reach their server: the page says so, and that
	// Hearth keeps trying; after three days it says the follow failed.
	g, _ := h.store.GroupByHandle(ctx, "village")
	fo, _ := h.svc.Following(ctx, g)
	fo[0].Error = "unreachable"
	if err := h.store.UpdateFollowing(ctx, fo[0]); err != nil {
		t.Fatal(err)
	}
	mustContain(t, cora.get("/groups/village").body, h.says("following.resolving_unreachable"))
	fo[0].State = "failed"
	if err := h.store.UpdateFollowing(ctx, fo[0]); err != nil {
		t.Fatal(err)
	}
	mustContain(t, cora.get("/groups/village").body, "their server did not answer for three days")
	fo[0].Error = "not_found"
	if err := h.store.UpdateFollowing(ctx, fo[0]); err != nil {
		t.Fatal(err)
	}
	mustContain(t, cora.get("/groups/village").body, "@lunch@next.example</code> – could not be found")
}
