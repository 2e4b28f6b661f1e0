package web

import (
	"context"
	"testing"
	"time"

	"hearth/instance"
)

// A reply from another server is shown as written when its author
// published it, and "· edited" only after an Update changed it.
func TestRemoteReplyIsNotShownAsEdited(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	ann := h.as("ann")
	path := postItem(t, ann, "needs", needForm())
	ctx := context.Background()
	items, _ := h.svc.Items(ctx, nil, instance.ItemFilter{})
	alice := &instance.RemoteActor{ID: "https://gts.example/users/alice", Host: "gts.example", Username: "alice", Name: "Alice"}
	published := time.Date(2026, 11, 27, 9, 15, 0, 0, time.UTC)
	note := &instance.RemoteNote{ID: alice.ID + "/statuses/1", Author: alice, HTML: "<p>I can help</p>", Published: published}
	if err := h.svc.ReceiveReply(ctx, items[0].ID, note); err != nil {
		t.Fatal(err)
	}
	page := ann.get(path).body
	mustContain(t, page, "I can help", "27 November 2026")
	mustNotContain(t, page, "· edited")
	note.HTML, note.Updated = "<p>I can help on Tuesday</p>", published.Add(10*time.Minute)
	if ok, err := h.svc.ReceiveReplyEdit(ctx, note); !ok || err != nil {
		t.Fatal(ok, err)
	}
	mustContain(t, ann.get(path).body, "I can help on Tuesday", "· edited")
}
