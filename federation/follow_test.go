package federation

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
)

func followOf(r *fedtest.Remote, user, group, id string) map[string]any {
	return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": r.Actor(user) + "/follow/" + id,
		"type": "Follow", "actor": r.Actor(user), "object": group, "to": group}
}

func followers(t *testing.T, n *node) int {
	t.Helper()
	g, _ := n.st.GroupByHandle(ctx, "village")
	c, err := n.st.CountFollowers(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Follow → Accept signed by the group with the Follow embedded; a repeated
// Follow is accepted again with one follower row; Undo (embedded or by id)
// and Block remove the follower.
func TestFollowAcceptUndoBlock(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	follow := followOf(r, "alice", n.group(), "1")
	if resp := r.Send("alice", n.group()+"/inbox", follow, fedtest.SendOptions{}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("follow: %d", resp.StatusCode)
	}
	n.settle()
	accepts := r.OfType("Accept")
	if len(accepts) != 1 {
		t.Fatalf("accepts = %d, failures %v", len(accepts), r.Failures())
	}
	acc := accepts[0]
	obj, _ := acc["object"].(map[string]any)
	if acc["actor"] != n.group() || obj["id"] != follow["id"] || obj["type"] != "Follow" || obj["actor"] != r.Actor("alice") {
		t.Errorf("accept = %v", acc)
	}
	if got := r.Received()[0]; got.Path != "/users/alice/inbox" || !strings.Contains(got.Header.Get("Signature"), `keyId="`+n.group()+`#main-key"`) {
		t.Errorf("delivered to %s with %s", got.Path, got.Header.Get("Signature"))
	}
	if followers(t, n) != 1 {
		t.Fatalf("followers = %d", followers(t, n))
	}
	// A second Follow: accepted again, still one row.
	follow2 := followOf(r, "alice", n.group(), "2")
	r.Send("alice", n.url+"/inbox", follow2, fedtest.SendOptions{})
	n.settle()
	if len(r.OfType("Accept")) != 2 || followers(t, n) != 1 {
		t.Errorf("after a second Follow: %d accepts, %d followers", len(r.OfType("Accept")), followers(t, n))
	}
	// Undo with the Follow embedded (GoToSocial's shape).
	r.Send("alice", n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": r.Actor("alice") + "#undo1",
		"type": "Undo", "actor": r.Actor("alice"), "object": follow2}, fedtest.SendOptions{})
	n.settle()
	if followers(t, n) != 0 {
		t.Fatal("embedded Undo did not remove the follower")
	}
	// That Follow again, after its Undo, is a replay: not accepted.
	r.Send("alice", n.url+"/inbox", follow2, fedtest.SendOptions{})
	n.settle()
	if len(r.OfType("Accept")) != 2 || followers(t, n) != 0 {
		t.Fatalf("an undone Follow replayed: %d accepts, %d followers", len(r.OfType("Accept")), followers(t, n))
	}
	// Undo by id (Mastodon sometimes sends only the id).
	follow3 := followOf(r, "alice", n.group(), "3")
	r.Send("alice", n.url+"/inbox", follow3, fedtest.SendOptions{})
	n.settle()
	r.Send("alice", n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": r.Actor("alice") + "#undo2",
		"type": "Undo", "actor": r.Actor("alice"), "object": follow3["id"]}, fedtest.SendOptions{})
	n.settle()
	if followers(t, n) != 0 {
		t.Fatal("Undo by id did not remove the follower")
	}
	// Block removes too.
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "4"), fedtest.SendOptions{})
	n.settle()
	r.Send("alice", n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": r.Actor("alice") + "#block",
		"type": "Block", "actor": r.Actor("alice"), "object": n.group()}, fedtest.SendOptions{})
	n.settle()
	if followers(t, n) != 0 {
		t.Fatal("Block did not remove the follower")
	}
	// Someone else's Undo of alice's follow does nothing.
	r2 := fedtest.New(t, "mallory")
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "5"), fedtest.SendOptions{})
	n.settle()
	r2.Send("mallory", n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": r2.Actor("mallory") + "#undo",
		"type": "Undo", "actor": r2.Actor("mallory"), "object": r.Actor("alice") + "/follow/5"}, fedtest.SendOptions{})
	n.settle()
	if followers(t, n) != 1 {
		t.Error("a third party's Undo removed a follower")
	}
	if f := r.Failures(); len(f) > 0 {
		t.Errorf("the fake refused our requests: %v", f)
	}
}

// Publishing: Create with readable content and extension fields to
// followers (on shared inboxes, once per server), Update on edit, Delete
// with a Tombstone and then 410; village-only never leaves.
func TestPublishCreateUpdateDelete(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice", "bob")
	for _, u := range []string{"alice", "bob"} {
		r.Send(u, n.url+"/inbox", followOf(r, u, n.group(), u), fedtest.SendOptions{})
	}
	n.settle()
	before := len(r.Received())
	it := n.postNeed("public")
	n.settle()
	creates := r.OfType("Create")
	if len(creates) != 1 {
		t.Fatalf("creates = %d (two followers on one server share one inbox), failures %v", len(creates), r.Failures())
	}
	if got := r.Received()[before]; got.Path != "/inbox" {
		t.Errorf("delivered to %s, want the shared inbox", got.Path)
	}
	c := creates[0]
	obj := c["object"].(map[string]any)
	content, _ := obj["content"].(string)
	for _, want := range []string{"<strong>Need</strong>", "lifts", "Mill Lane", "A lift to the surgery", "<em>10:30</em>", it.Path()} {
		if !strings.Contains(content, want) {
			t.Errorf("content lacks %q: %s", want, content)
		}
	}
	raw, _ := json.Marshal(c)
	for _, secret := range []string{"SECRET", "01234 567890"} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("private detail %q left the instance", secret)
		}
	}
	if obj["kind"] != "need" || obj["purpose"] != "request" || obj["area"] != "Mill Lane" || obj["category"] != "lifts" {
		t.Errorf("extension fields: %v", obj)
	}
	if _, ok := obj["summary"]; ok {
		t.Error("Note has a summary (it would become a content warning)")
	}
	if to := c["to"].([]any); len(to) != 1 || to[0] != publicCollection {
		t.Errorf("to = %v", c["to"])
	}
	if cc := c["cc"].([]any); len(cc) != 1 || cc[0] != n.group()+"/followers" {
		t.Errorf("cc = %v", c["cc"])
	}
	// Edit → Update with a newer updated.
	if err := n.svc.UpdateItem(ctx, n.admin, it.ID, instance.ItemInput{Title: "A lift to the surgery, please", Category: "lifts", Area: "Mill Lane"}); err != nil {
		t.Fatal(err)
	}
	n.settle()
	updates := r.OfType("Update")
	if len(updates) != 1 {
		t.Fatalf("updates = %d", len(updates))
	}
	uobj := updates[0]["object"].(map[string]any)
	if uobj["id"] != obj["id"] || uobj["updated"] == nil || !strings.Contains(uobj["content"].(string), "please") {
		t.Errorf("update object: %v", uobj)
	}
	// The Note is fetchable, signed or not, with the AP content type.
	for _, user := range []string{"", "alice"} {
		resp := r.Get(user, n.url+it.Path(), "application/activity+json", fedtest.SendOptions{})
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != activityJSON || !strings.Contains(string(body), `"id":"`+n.url+it.Path()+`"`) {
			t.Errorf("GET note (signed by %q): %d %s", user, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	// Delete → Delete{Tombstone}, then 410.
	if err := n.svc.DeleteItem(ctx, n.admin, it.ID); err != nil {
		t.Fatal(err)
	}
	n.settle()
	deletes := r.OfType("Delete")
	if len(deletes) != 1 {
		t.Fatalf("deletes = %d", len(deletes))
	}
	if d := deletes[0]["object"].(map[string]any); d["type"] != "Tombstone" || d["id"] != obj["id"] {
		t.Errorf("delete object: %v", d)
	}
	resp := r.Get("", n.url+it.Path(), "application/activity+json", fedtest.SendOptions{})
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Errorf("deleted note: %d", resp.StatusCode)
	}
	// Village-only: nothing goes out and remote fetches get 404.
	sent := len(r.Received())
	v := n.postNeed("village")
	n.settle()
	if len(r.Received()) != sent {
		t.Error("a village-only item was delivered")
	}
	resp = r.Get("alice", n.url+v.Path(), "application/activity+json", fedtest.SendOptions{})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("village-only note: %d", resp.StatusCode)
	}
	// Followers-only: followers in "to".
	n.postNeed("followers")
	n.settle()
	creates = r.OfType("Create")
	last := creates[len(creates)-1]
	if to := last["to"].([]any); len(to) != 1 || to[0] != n.group()+"/followers" {
		t.Errorf("followers-only to = %v", last["to"])
	}
	if f := r.Failures(); len(f) > 0 {
		t.Errorf("the fake refused our requests: %v", f)
	}
}

// After an Undo, later posts are not delivered to that follower.
func TestUnfollowedGetNothing(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	follow := followOf(r, "alice", n.group(), "1")
	r.Send("alice", n.url+"/inbox", follow, fedtest.SendOptions{})
	n.settle()
	r.Send("alice", n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": r.Actor("alice") + "#u",
		"type": "Undo", "actor": r.Actor("alice"), "object": follow}, fedtest.SendOptions{})
	n.settle()
	n.postNeed("public")
	n.settle()
	if len(r.OfType("Create")) != 0 {
		t.Error("an unfollowed server still got a post")
	}
}

// A Follow with an id we have seen, while its follow is current, is
// answered with a fresh Accept, as Mastodon does (the other server may
// have missed the first and would stay "requested"): the inbox does not
// drop it as a duplicate. Repeats within a minute get one Accept.
func TestRepeatedFollowIsAcceptedAgain(t *testing.T) {
	logs := &logBuffer{}
	clock := &testClock{t: time.Now().UTC().Truncate(time.Minute)}
	n := newNode(t, func(o *Options) { o.Logger = newJSONLogger(logs); o.Clock = clock.now })
	r := fedtest.New(t, "alice")
	follow := followOf(r, "alice", n.group(), "1")
	send := func() {
		t.Helper()
		if resp := r.Send("alice", n.group()+"/inbox", follow, fedtest.SendOptions{Date: clock.now()}); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("follow: %d", resp.StatusCode)
		}
		n.settle()
	}
	send()
	send() // the same Follow, the same id
	accepts := r.OfType("Accept")
	if len(accepts) != 2 || followers(t, n) != 1 {
		t.Fatalf("a repeated Follow: %d accepts, %d followers", len(accepts), followers(t, n))
	}
	if accepts[0]["id"] == accepts[1]["id"] || accepts[1]["object"].(map[string]any)["id"] != follow["id"] {
		t.Errorf("the second Accept: %v", accepts[1])
	}
	received := logs.find("activity received")
	if len(received) != 2 || received[1]["result"] != "repeated" {
		t.Errorf("the inbox's record of it: %v", received)
	}
	clock.advance(10 * time.Second)
	send() // again within the minute: nothing more
	if len(r.OfType("Accept")) != 2 {
		t.Errorf("repeats within a minute: %d accepts", len(r.OfType("Accept")))
	}
	clock.advance(50 * time.Second)
	send()
	if len(r.OfType("Accept")) != 3 {
		t.Errorf("a minute later: %d accepts", len(r.OfType("Accept")))
	}
}

// Join and Leave of an action (Mobilizon's) are verified and answered 202
// but not acted on or stored: a remote attendee does not fit the model
// (FEDERATION.md, Known limitations).
func TestJoinOfAnActionIsNotActedOn(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	it := n.postNeed("public")
	for _, typ := range []string{"Join", "Leave"} {
		resp := r.Send("alice", n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": r.Actor("alice") + "/" + typ, "type": typ, "actor": r.Actor("alice"), "object": n.url + it.Path()}, fedtest.SendOptions{})
		if resp.StatusCode != http.StatusAccepted {
			t.Errorf("%s: %d", typ, resp.StatusCode)
		}
	}
	if q, _ := n.st.NextInbox(ctx, 10); len(q) != 0 {
		t.Errorf("queued: %d", len(q))
	}
}
