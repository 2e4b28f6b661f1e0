package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"hearth/instance"
)

// mutualNeighbour makes the village group and Nether Wittering's follow
// each other, as two accepted Follows would.
func (h *harness) mutualNeighbour(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	const actor = "https://nether.example/groups/village"
	g, err := h.store.GroupByHandle(ctx, "village")
	if err != nil {
		t.Fatal(err)
	}
	fo := &instance.Following{GroupID: g.ID, Address: "village@nether.example", State: instance.FollowingResolving, CreatedAt: h.clock.now()}
	if err := h.store.AddFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	fo.ActorID, fo.Name, fo.State = actor, "Nether Wittering", instance.FollowingAccepted
	if err := h.store.UpdateFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	if err := h.store.AddFollower(ctx, &instance.Follower{GroupID: g.ID, ActorID: actor, Host: "nether.example",
		Inbox: actor + "/inbox", FollowID: actor + "#f", CreatedAt: h.clock.now()}); err != nil {
		t.Fatal(err)
	}
	return actor
}

// The overflow pages: a coordinator trusts a neighbour on the group page
// (members cannot); the need form then asks "Share with Nether Wittering
// if no one here can help?" (unticked: no), the need page lets the
// requester change their answer, a reply from the neighbour's helper can
// be chosen once the need was offered there, and Needs from nearby is for
// coordinators.
func TestOverflowPages(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	coraM := h.member("cora", instance.RoleCoordinator)
	annM := h.member("ann")
	cora, ann := h.as("cora"), h.as("ann")
	ctx := context.Background()
	actor := h.mutualNeighbour(t)

	mustNotContain(t, ann.get("/needs/new").body, h.says("overflow.heading"))
	r := cora.get("/groups/village")
	mustContain(t, r.body, h.says("overflow.trusted_heading"), "Trust Nether Wittering with")
	checkPage(t, "/groups/village (trusted neighbours)", r, cssSize(t))
	mustNotContain(t, ann.get("/groups/village").body, h.says("overflow.trusted_heading"))
	if r := ann.post("/groups/village/trust", url.Values{"actor": {actor}, "trust": {"needs"}}); r.status != http.StatusForbidden {
		t.Fatalf("a member trusted a neighbour: %d", r.status)
	}
	if r := cora.post("/groups/village/trust", url.Values{"actor": {actor}, "trust": {"needs"}}); r.status != http.StatusSeeOther {
		t.Fatalf("trust: %d", r.status)
	}
	mustContain(t, cora.get("/groups/village").body, `<option value="needs" selected>`, h.says("flash.trust_saved"))

	r = ann.get("/needs/new")
	mustContain(t, r.body, "Share with Nether Wittering if no one here can help?", `name="share_nearby"`)
	checkPage(t, "/needs/new (share with neighbours)", r, cssSize(t))
	shared := needForm()
	shared.Set("share_nearby", "yes")
	sharedPath := postItem(t, ann, "needs", shared)
	keptPath := postItem(t, ann, "needs", needForm())
	items, _ := h.svc.Items(ctx, annM, instance.ItemFilter{})
	consent := map[string]bool{}
	for _, it := range items {
		consent[it.Path()] = it.OverflowConsent
	}
	if !consent[sharedPath] || consent[keptPath] {
		t.Fatalf("consent stored: %v (ticked %s, not ticked %s)", consent, sharedPath, keptPath)
	}

	r = ann.get(keptPath)
	mustContain(t, r.body, h.says("overflow.stays"), h.says("overflow.yes"))
	checkPage(t, keptPath+" (requester, not shared)", r, cssSize(t))
	if r := h.as("cora").post(keptPath+"/nearby", url.Values{"share": {"yes"}}); r.status != http.StatusSeeOther {
		t.Fatalf("a coordinator manages the need too: %d", r.status)
	}
	if r := ann.post(sharedPath+"/nearby", url.Values{"share": {"no"}}); r.status != http.StatusSeeOther {
		t.Fatalf("saying no: %d", r.status)
	}
	mustContain(t, ann.get(sharedPath).body, h.says("overflow.stays"), h.says("flash.nearby_consent"))

	// Offered after 48 hours, the neighbour's helper replies, and the
	// requester chooses them.
	h.advance(48 * time.Hour)
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	var kept *instance.Item
	for _, it := range items {
		if it.Path() == keptPath {
			kept = it
		}
	}
	offers, _ := h.store.ItemOverflows(ctx, kept.ID)
	if len(offers) != 1 {
		t.Fatalf("offers of %s: %v", keptPath, offers)
	}
	if err := h.store.Publish(ctx, &instance.Publication{Overflows: []instance.OverflowChange{{ID: offers[0].ID,
		From: instance.OverflowQueued, To: instance.OverflowSent}}}, h.clock.now()); err != nil {
		t.Fatal(err)
	}
	jo := &instance.RemoteActor{ID: "https://nether.example/members/jo", Host: "nether.example", Username: "jo", Name: "Jo"}
	if err := h.svc.ReceiveReply(ctx, kept.ID, &instance.RemoteNote{ID: "https://nether.example/replies/1", Author: jo,
		HTML: "<p>I can drive you</p>"}); err != nil {
		t.Fatal(err)
	}
	r = ann.get(keptPath)
	mustContain(t, r.body, "Shared with Nether Wittering.", "Choose Jo to help")
	checkPage(t, keptPath+" (shared, a neighbour's reply)", r, cssSize(t))
	resp, _ := h.store.RemoteResponseByAPID(ctx, "https://nether.example/replies/1")
	if r := ann.post(keptPath+"/nearby/choose/"+fmtInt(resp.ID), nil); r.status != http.StatusSeeOther {
		t.Fatalf("choosing jo: %d", r.status)
	}
	mustContain(t, ann.get(keptPath).body, "Jo (@jo@nether.example), from a neighbouring village, is helping.")

	// Needs from nearby: for coordinators.
	if err := h.store.SaveRemoteItem(ctx, &instance.RemoteItem{APID: "https://nether.example/needs/4/nearby", Actor: actor,
		ActorName: "Nether Wittering", Kind: instance.KindNeed, Title: "Dog walking while I recover", Category: "dog walking",
		Area: "High Street", ContentHTML: "<p>Twice a day</p>", URL: "https://nether.example/needs/4/nearby", Published: h.clock.now(),
		Updated: h.clock.now(), Overflow: true}, instance.Notices{}); err != nil {
		t.Fatal(err)
	}
	if r := ann.get("/neighbours/nearby"); r.status != http.StatusForbidden {
		t.Errorf("a member sees needs from nearby: %d", r.status)
	}
	mustNotContain(t, ann.get("/neighbours").body, "Dog walking while I recover")
	r = cora.get("/neighbours/nearby")
	mustContain(t, r.body, "Dog walking while I recover", "From Nether Wittering", h.says("nearby.share"))
	checkPage(t, "/neighbours/nearby", r, cssSize(t))
	mustContain(t, cora.get("/neighbours").body, `href="/neighbours/nearby"`)
	nearby, _ := h.svc.NearbyNeeds(ctx, coraM)
	share := "/neighbours/" + fmtInt(nearby[0].ID) + "/share"
	if r := ann.post(share, nil); r.status != http.StatusForbidden {
		t.Errorf("a member shared a need from nearby: %d", r.status)
	}
	if r := cora.post(share, nil); r.status != http.StatusSeeOther {
		t.Fatalf("share: %d", r.status)
	}
	mustContain(t, cora.get("/neighbours/nearby").body, h.says("flash.nearby_shared"), h.says("nearby.shared"))
	mustContain(t, ann.get("/neighbours").body, "Dog walking while I recover")
}
