package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"hearth/instance"
)

// Held content from other servers waits in the moderation queue with its
// text (a remote reply has HTML, not a local body), and a coordinator can
// publish a held neighbour's post.
func TestHeldRemoteContentInTheQueue(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	cora, ann := h.as("cora"), h.as("ann")
	postItem(t, ann, "needs", needForm())
	ctx := context.Background()
	items, _ := h.svc.Items(ctx, nil, instance.ItemFilter{})
	now := time.Now()
	if err := h.store.SaveRemoteResponse(ctx, &instance.Response{ItemID: items[0].ID, RemoteActor: "https://gts.example/users/alice",
		Author: "Alice", AuthorHandle: "@alice@gts.example", APID: "https://gts.example/statuses/1",
		ContentHTML: `<p>Cheap pills<img src=x onerror=alert(1)></p>`, CreatedAt: now, UpdatedAt: now, Held: true}, instance.Notices{}); err != nil {
		t.Fatal(err)
	}
	if err := h.store.SaveRemoteItem(ctx, &instance.RemoteItem{APID: "https://next.example/needs/4", Actor: "https://next.example/groups/village",
		ActorName: "Next Village", Kind: instance.KindNeed, Title: "Pills for sale", ContentHTML: "<p>Pills for sale</p>",
		URL: "https://next.example/needs/4", Published: now, Updated: now, Held: true}, instance.Notices{}); err != nil {
		t.Fatal(err)
	}
	r := cora.get("/admin/moderation")
	mustContain(t, r.body, "<p>Cheap pills</p>", "@alice@gts.example", "Pills for sale", h.says("moderation.neighbour_post"),
		`value="release_neighbour"`, h.says("moderation.release_neighbour", "Pills for sale"))
	mustNotContain(t, r.body, "onerror", "Nothing is waiting.")
	checkPage(t, "/admin/moderation (held remote content)", r, cssSize(t))
	mustNotContain(t, ann.get("/neighbours").body, "Pills for sale")
	q, err := h.svc.Queue(ctx, mustMember(t, h, "cora"))
	if err != nil || len(q.HeldNeighbourItems) != 1 {
		t.Fatalf("queue: %+v %v", q, err)
	}
	id := strconv.FormatInt(q.HeldNeighbourItems[0].ID, 10)
	if r := cora.post("/admin/moderation", url.Values{"action": {"release_neighbour"}, "id": {id}}); r.status != http.StatusSeeOther {
		t.Fatalf("release: %d", r.status)
	}
	mustContain(t, ann.get("/neighbours").body, "Pills for sale")
}

func mustMember(t *testing.T, h *harness, handle string) *instance.Member {
	t.Helper()
	m, err := h.store.MemberByHandle(context.Background(), handle)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
