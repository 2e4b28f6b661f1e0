package federation

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// Times other servers are told are true, and an item made public again
// reaches its followers as new: village-only → public after a Delete went
// out is a Create of a new object id (Mastodon ignores a Create of an id
// it has, and refuses one it has a Tombstone for) with `published` the
// time it went out, not the item's creation (Mastodon keeps posts older
// than a few hours out of home timelines). Tombstones say when the
// object went, not when they were fetched.
func TestTimesAndRepublishing(t *testing.T) {
	// The fake remote checks our signatures' Date against its own clock,
	// so the injected one starts now and moves on less than an hour.
	start := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: start}
	at := func(d time.Duration) string { return start.Add(d).Format(time.RFC3339) }
	n := newNodeWith(t, func(o *instance.Options) { o.Clock = clock.now }, func(o *Options) { o.Clock = clock.now })
	r := fedtest.New(t, "alice")
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "1"), fedtest.SendOptions{Date: clock.now()})
	n.settle()
	it, err := n.svc.CreateItem(ctx, n.admin, instance.ItemInput{Kind: instance.KindNeed, Title: "A lift", Category: "lifts",
		Area: "Mill Lane", Visibility: "village"})
	if err != nil {
		t.Fatal(err)
	}
	n.settle()
	setVisibility := func(v string) {
		t.Helper()
		if err := n.svc.UpdateItem(ctx, n.admin, it.ID, instance.ItemInput{Title: "A lift", Category: "lifts", Area: "Mill Lane", Visibility: v}); err != nil {
			t.Fatal(err)
		}
		n.settle()
	}
	get := func(iri string) (int, map[string]any) {
		t.Helper()
		resp := r.Get("", iri, activityJSON, fedtest.SendOptions{})
		defer resp.Body.Close()
		var m map[string]any
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	creates := func() []map[string]any {
		var out []map[string]any
		for _, c := range r.OfType("Create") {
			out = append(out, c["object"].(map[string]any))
		}
		return out
	}
	first := n.url + it.Path()

	// Village-only for a while, then public: published when it went out.
	clock.advance(20 * time.Minute)
	setVisibility("public")
	if c := creates(); len(c) != 1 || c[0]["id"] != first || c[0]["published"] != at(20*time.Minute) || c[0]["updated"] != nil {
		t.Fatalf("first publication: %v", c)
	}
	if code, note := get(first); code != 200 || note["published"] != at(20*time.Minute) {
		t.Errorf("the Note served: %d %v", code, note)
	}

	// Village-only again: a Delete; then public again: a new object id.
	clock.advance(5 * time.Minute)
	setVisibility("village")
	if d := r.OfType("Delete"); len(d) != 1 || d[0]["object"].(map[string]any)["id"] != first ||
		d[0]["object"].(map[string]any)["deleted"] != at(25*time.Minute) {
		t.Fatalf("deletes: %v", d)
	}
	clock.advance(5 * time.Minute)
	setVisibility("public")
	second := first + "?r=1"
	if c := creates(); len(c) != 2 || c[1]["id"] != second || c[1]["url"] != first || c[1]["published"] != at(30*time.Minute) ||
		c[1]["updated"] != nil {
		t.Fatalf("re-publication: %v", c)
	}
	if len(r.OfType("Update")) != 0 {
		t.Errorf("the re-publication went as an Update: %v", r.OfType("Update"))
	}
	if code, note := get(second); code != 200 || note["id"] != second {
		t.Errorf("the new revision served: %d %v", code, note)
	}
	clock.advance(5 * time.Minute)
	if code, gone := get(first); code != http.StatusGone || gone["id"] != first || gone["deleted"] != at(25*time.Minute) {
		t.Errorf("the first revision: %d %v", code, gone)
	}
	if code, _ := get(first + "?r=2"); code != http.StatusNotFound {
		t.Errorf("a revision to come: %d", code)
	}
	// An edit is an Update of the current revision; a reply to it lands on
	// the item.
	if err := n.svc.UpdateItem(ctx, n.admin, it.ID, instance.ItemInput{Title: "A lift, please", Category: "lifts", Area: "Mill Lane",
		Visibility: "public"}); err != nil {
		t.Fatal(err)
	}
	n.settle()
	if u := r.OfType("Update"); len(u) != 1 || u[0]["object"].(map[string]any)["id"] != second ||
		u[0]["object"].(map[string]any)["published"] != at(30*time.Minute) || u[0]["object"].(map[string]any)["updated"] != at(35*time.Minute) {
		t.Errorf("updates: %v", u)
	}
	r.Send("alice", n.url+"/inbox", replyTo(r, "alice", "1", second, "<p>I can drive</p>"), fedtest.SendOptions{Date: clock.now()})
	n.settle()
	if list := responses(t, n, it); len(list) != 1 {
		t.Errorf("a reply to the new revision: %d replies", len(list))
	}
	// A member's reply answers the revision its followers have; deleted,
	// its Tombstone says when.
	mine, err := n.svc.AddResponse(ctx, n.admin, it.ID, "I can drive too")
	if err != nil {
		t.Fatal(err)
	}
	n.settle()
	if c := creates(); c[len(c)-1]["inReplyTo"] != second {
		t.Errorf("a member's reply answers %v, not %s", c[len(c)-1]["inReplyTo"], second)
	}
	if _, err := n.svc.DeleteResponse(ctx, n.admin, mine.ID); err != nil {
		t.Fatal(err)
	}
	replyDeleted := clock.now()
	n.settle()
	clock.advance(time.Minute)
	if code, gone := get(n.url + "/responses/" + itoa(mine.ID)); code != http.StatusGone || gone["deleted"] != replyDeleted.Format(time.RFC3339) {
		t.Errorf("a deleted reply's Tombstone: %d %v", code, gone)
	}

	// Deleted: the Tombstone says when, however much later it is fetched.
	if err := n.svc.DeleteItem(ctx, n.admin, it.ID); err != nil {
		t.Fatal(err)
	}
	deletedAt := clock.now()
	n.settle()
	clock.advance(10 * time.Minute)
	if code, gone := get(second); code != http.StatusGone || gone["deleted"] != deletedAt.Format(time.RFC3339) {
		t.Errorf("a deleted item's Tombstone: %d %v", code, gone)
	}
}

// A remote reply is shown as made when its author published it, and as
// edited only once an Update changed it.
func TestRemoteReplyTimes(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	it := n.postNeed("public")
	r.SendRaw("alice", n.url+"/inbox", loadCapturedReply(t, n, r, it, "gotosocial/create-reply.json"), fedtest.SendOptions{})
	n.settle()
	published := time.Date(2026, 11, 24, 7, 19, 55, 0, time.UTC)
	if got := responses(t, n, it); len(got) != 1 || !got[0].CreatedAt.Equal(published) || !got[0].UpdatedAt.Equal(got[0].CreatedAt) {
		t.Fatalf("a new remote reply: %+v", got)
	}
	r.SendRaw("alice", n.url+"/inbox", loadCapturedReply(t, n, r, it, "gotosocial/update-note.json"), fedtest.SendOptions{})
	n.settle()
	if got := responses(t, n, it)[0]; !got.CreatedAt.Equal(published) || !got.UpdatedAt.Equal(time.Date(2026, 11, 24, 7, 20, 23, 0, time.UTC)) {
		t.Errorf("an edited remote reply: created %v, updated %v", got.CreatedAt, got.UpdatedAt)
	}
}
