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

// A member's answer to a neighbour's post with a hold word: the member is
// told it waits, and it waits in the queue with its text until a
// coordinator sends it.
func TestHeldAnswerToANeighbour(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen, func(o *instance.Options) { o.HoldWords = []string{"pills"} })
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	cora, ann := h.as("cora"), h.as("ann")
	ctx := context.Background()
	now := time.Now()
	if err := h.store.SaveRemoteItem(ctx, &instance.RemoteItem{APID: "https://next.example/needs/4", Actor: "https://next.example/groups/village",
		ActorName: "Next Village", Kind: instance.KindNeed, Title: "A lift", ContentHTML: "<p>A lift</p>",
		URL: "https://next.example/needs/4", Published: now, Updated: now}, instance.Notices{}); err != nil {
		t.Fatal(err)
	}
	list, _ := h.svc.Neighbours(ctx, mustMember(t, h, "ann"))
	path := "/neighbours/" + strconv.FormatInt(list[0].ID, 10)
	r := ann.post(path, url.Values{"body": {"Cheap pills, ask me"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("answer: %d", r.status)
	}
	mustContain(t, ann.get(path).body, "Your answer is waiting for a coordinator to check it")
	r = cora.get("/admin/moderation")
	mustContain(t, r.body, "Cheap pills, ask me", "answer to Next Village", `value="release_answer"`, "Send this answer")
	mustNotContain(t, r.body, "Nothing is waiting.")
	checkPage(t, "/admin/moderation (held answer)", r, cssSize(t))
	q, _ := h.svc.Queue(ctx, mustMember(t, h, "cora"))
	if len(q.HeldAnswers) != 1 {
		t.Fatalf("held answers: %d", len(q.HeldAnswers))
	}
	id := strconv.FormatInt(q.HeldAnswers[0].ID, 10)
	if r := cora.post("/admin/moderation", url.Values{"action": {"release_answer"}, "id": {id}}); r.status != http.StatusSeeOther {
		t.Fatalf("release: %d", r.status)
	}
	if q, _ := h.svc.Queue(ctx, mustMember(t, h, "cora")); len(q.HeldAnswers) != 0 {
		t.Error("a released answer is still held")
	}
}
