package federation

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"hearth/instance"
)

// A member's reply on a public item and their answer to a neighbour's
// item, as published (golden): each names the account it answers with a
// Mention tag and an h-card, is addressed to it, and the group Announces
// the reply on its own item to its followers, then takes the Announce
// back with the reply's Delete.
func TestGoldenReplies(t *testing.T) {
	f, svc, st, ann := goldenFed(t)
	need, err := svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindNeed, Title: "A lift to the surgery on Tuesday",
		Category: "lifts", Area: "Mill Lane", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.AddResponse(ctx, ann, need.ID, "I can drive.\n\nSee you then.")
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.publishResponse(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Outbox == nil || p.Outbox.Type != "Create" || len(p.Also) != 1 || p.Also[0].Type != "Announce" {
		t.Fatalf("a reply's first publication: %+v", p)
	}
	golden(t, "create-reply", p.Outbox.Body)
	golden(t, "announce-reply", p.Also[0].Body)
	sameShapeAsCaptured(t, p.Also[0].Body)
	if err := st.Publish(ctx, p, goldenTime); err != nil {
		t.Fatal(err)
	}
	code, _, body := serveGet(t, f, "/responses/1", "application/activity+json")
	if code != 200 {
		t.Fatalf("GET the reply: %d", code)
	}
	golden(t, "note-reply", body)

	if _, err := svc.DeleteResponse(ctx, ann, r.ID); err != nil {
		t.Fatal(err)
	}
	p, err = f.publishResponse(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Outbox == nil || p.Outbox.Type != "Delete" || len(p.Also) != 1 || p.Also[0].Type != "Undo" {
		t.Fatalf("a deleted reply: %+v", p)
	}
	golden(t, "undo-announce-reply", p.Also[0].Body)

	// An answer to a neighbour group's need, on another server.
	alice := &instance.RemoteActor{ID: "https://hearth.example/groups/mill", Type: "Group", Username: "mill", Host: "hearth.example",
		Name: "Mill Lane", URL: "https://hearth.example/groups/mill", Inbox: "https://hearth.example/groups/mill/inbox",
		SharedInbox: "https://hearth.example/inbox", FetchedAt: goldenTime}
	if err := st.SaveRemoteActor(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveRemoteItem(ctx, &instance.RemoteItem{APID: "https://hearth.example/needs/9", Actor: alice.ID, ActorName: alice.Name,
		Kind: instance.KindNeed, Title: "Sandbags", ContentHTML: "<p>Sandbags</p>", Published: goldenTime, Updated: goldenTime}, instance.Notices{}); err != nil {
		t.Fatal(err)
	}
	list, _ := svc.Neighbours(ctx, ann)
	answer, err := svc.AnswerNeighbour(ctx, ann, list[0].ID, "I have a van.")
	if err != nil {
		t.Fatal(err)
	}
	p, err = f.publishNeighbourReply(ctx, answer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Outbox == nil || len(p.Deliveries) != 1 || p.Deliveries[0].Inbox != alice.SharedInbox {
		t.Fatalf("an answer to a neighbour: %+v", p)
	}
	golden(t, "create-answer", p.Outbox.Body)
}

// sameShapeAsCaptured checks our Announce against the one a capture
// server sent GoToSocial 0.20, which showed it in a follower's home
// timeline as the group boosting the post
// (rendered-group-boost-in-bob-home.json: reblog set, account the group):
// the same fields, the object as a bare id, to Public, cc the group's
// followers and the author.
func sameShapeAsCaptured(t *testing.T, ours []byte) {
	t.Helper()
	read := func(b []byte) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "payloads", "gotosocial-0.20", "sent-announce.json"))
	if err != nil {
		t.Fatal(err)
	}
	captured, got := read(raw), read(ours)
	for k := range captured {
		if _, ok := got[k]; !ok {
			t.Errorf("our Announce has no %q", k)
		}
	}
	if _, bare := got["object"].(string); !bare {
		t.Errorf("object is not a bare id: %v", got["object"])
	}
	to, _ := got["to"].([]any)
	cc, _ := got["cc"].([]any)
	if len(to) != 1 || to[0] != publicCollection || len(cc) != 2 || cc[0] != got["actor"].(string)+"/followers" {
		t.Errorf("addressing: to %v, cc %v", got["to"], got["cc"])
	}
	rendered, err := os.ReadFile(filepath.Join("testdata", "payloads", "gotosocial-0.20", "rendered-group-boost-in-bob-home.json"))
	if err != nil {
		t.Fatal(err)
	}
	if boost := read(rendered); boost["reblog"] == nil || boost["uri"] != captured["id"] {
		t.Errorf("the captured rendering is not a boost of the captured Announce")
	}
}
