package federation

import (
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
		Category: "lifts", Area: "Mill Lane"})
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
		Kind: instance.KindNeed, Title: "Sandbags", ContentHTML: "<p>Sandbags</p>", Published: goldenTime, Updated: goldenTime}); err != nil {
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
