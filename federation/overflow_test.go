package federation

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// secrets are the private details of the needs below: none may be in
// anything that leaves.
var overflowSecrets = []string{"4 Mill Lane SECRET", "01234 567890", "Mrs Private", "07700 900123"}

// mutualWith makes a's village group follow actor (accepted) and actor
// follow it back, as a Follow/Accept each way would.
func (n *node) mutualWith(t *testing.T, actor, inbox, host, name string) {
	t.Helper()
	g, err := n.st.GroupByHandle(ctx, "village")
	if err != nil {
		t.Fatal(err)
	}
	fo := &instance.Following{GroupID: g.ID, Address: "x@" + host, State: instance.FollowingResolving, CreatedAt: time.Now()}
	if err := n.st.AddFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	fo.ActorID, fo.Name, fo.FollowID, fo.State = actor, name, n.url+"/activities/follow-1", instance.FollowingAccepted
	if err := n.st.UpdateFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	if err := n.st.AddFollower(ctx, &instance.Follower{GroupID: g.ID, ActorID: actor, Host: host, Inbox: inbox, FollowID: actor + "#follow",
		CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// The document that offers a need to a neighbour: a Create of a Note
// from the group, addressed to the neighbour alone (no Public, no
// followers) with a Mention of it, readable for Mastodon, with Hearth's
// fields and hearth:overflow: true, and none of the need's private details; it
// is signed (the fake verifies as Mastodon does). A need whose requester
// did not agree never leaves, nor one closed before the worker sent it.
// Claiming the need sends a Delete of the same id to the same neighbour.
func TestOverflowNoteHasNoPrivateDetails(t *testing.T) {
	c := &testClock{t: time.Now()}
	n := newNodeWith(t, func(o *instance.Options) { o.Clock = c.now })
	remote := fedtest.New(t, "nether")
	n.mutualWith(t, remote.Actor("nether"), remote.URL+"/users/nether/inbox", remote.Host(), "Nether Wittering")
	if err := n.svc.TrustNeighbour(ctx, n.admin, "village", remote.Actor("nether"), instance.TrustNeeds); err != nil {
		t.Fatal(err)
	}
	in := instance.ItemInput{Kind: instance.KindNeed, Title: "A lift to the surgery", Description: "Tuesday at *10:30*",
		Category: "lifts", Area: "Mill Lane", Address: "4 Mill Lane SECRET", Contact: "01234 567890",
		OnBehalf: true, OnBehalfName: "Mrs Private", OnBehalfPhone: "07700 900123", ShareNearby: true}
	need, err := n.svc.CreateItem(ctx, n.admin, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Title, in.ShareNearby = "A lift to the dentist", false
	if _, err := n.svc.CreateItem(ctx, n.admin, in); err != nil {
		t.Fatal(err)
	}
	// A third is offered by the sweep but closed before the worker runs:
	// it never leaves, and there is nothing to take back.
	in.Title, in.ShareNearby = "A lift to the station", true
	closed, err := n.svc.CreateItem(ctx, n.admin, in)
	if err != nil {
		t.Fatal(err)
	}
	c.advance(48 * time.Hour)
	if err := n.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.svc.CloseNeed(ctx, n.admin, closed.ID, ""); err != nil {
		t.Fatal(err)
	}
	n.settle()
	creates := remote.OfType("Create")
	if len(creates) != 1 {
		t.Fatalf("the neighbour received %d Creates, want 1 (the open need whose requester said yes): %v", len(creates), remote.Failures())
	}
	body, _ := json.Marshal(creates[0])
	for _, s := range overflowSecrets {
		if strings.Contains(string(body), s) {
			t.Errorf("the offer carries the private %q: %s", s, body)
		}
	}
	if strings.Contains(string(body), "Public") || strings.Contains(string(body), "/followers") {
		t.Errorf("the offer is addressed beyond the neighbour: %s", body)
	}
	note := creates[0]["object"].(map[string]any)
	tags, _ := note["tag"].([]any)
	if note["id"] != n.url+need.Path()+"/nearby" || note["hearth:overflow"] != true || note["kind"] != "need" || note["category"] != "lifts" ||
		len(tags) != 1 || tags[0].(map[string]any)["href"] != remote.Actor("nether") {
		t.Errorf("the offer's Note: %s", body)
	}
	if to, _ := note["to"].([]any); len(to) != 1 || to[0] != remote.Actor("nether") {
		t.Errorf("the Note is to %v, want the neighbour alone", note["to"])
	}
	content, _ := note["content"].(string)
	for _, want := range []string{"A lift to the surgery", "Testham village", "Posted on behalf of a neighbour.", "Reply to this post"} {
		if !strings.Contains(content, want) {
			t.Errorf("the Note's readable content lacks %q: %s", want, content)
		}
	}
	// Claimed here: the offer is withdrawn, once.
	helper, err := n.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "hal", DisplayName: "Hal", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.svc.OfferHelp(ctx, helper, need.ID, "", false); err != nil {
		t.Fatal(err)
	}
	interests, _ := n.st.ListInterests(ctx, need.ID)
	if err := n.svc.AcceptHelp(ctx, n.admin, need.ID, interests[0].ID); err != nil {
		t.Fatal(err)
	}
	n.settle()
	n.settle()
	deletes := remote.OfType("Delete")
	if len(deletes) != 1 || idOf(deletes[0]["object"]) != n.url+need.Path()+"/nearby" {
		t.Fatalf("after the claim the neighbour received %v, want one Delete of the offer", deletes)
	}
	if len(remote.Failures()) != 0 {
		t.Errorf("the fake refused: %v", remote.Failures())
	}
}

// Two Hearths: Upper Wittering (a) and Nether Wittering (b) follow each
// other and a trusts b. A need in a nobody offered to help with for 48
// hours (its requester said yes) reaches b's coordinators under Needs
// from nearby, not its members; a coordinator shares it, a member of b
// answers, a's requester chooses that helper, and the offer is withdrawn
// from b.
func TestOverflowTwoInstances(t *testing.T) {
	c := &testClock{t: time.Now()}
	a := newNodeWith(t, func(o *instance.Options) { o.Clock = c.now })
	b := newNode(t)
	aHost, bHost := strings.TrimPrefix(a.url, "http://"), strings.TrimPrefix(b.url, "http://")
	if _, err := a.svc.FollowGroup(ctx, a.admin, "village", "@village@"+bHost); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.FollowGroup(ctx, b.admin, "village", "@village@"+aHost); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		a.settle()
		b.settle()
	}
	ga, _ := a.st.GroupByHandle(ctx, "village")
	mutual, _, err := a.svc.MutualNeighbours(ctx, a.admin, ga)
	if err != nil || len(mutual) != 1 || mutual[0].ActorID != b.group() {
		t.Fatalf("a's mutual neighbours: %v %v", mutual, err)
	}
	if err := a.svc.TrustNeighbour(ctx, a.admin, "village", b.group(), instance.TrustNeeds); err != nil {
		t.Fatal(err)
	}
	rita, err := a.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "rita", DisplayName: "Rita", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	need, err := a.svc.CreateItem(ctx, rita, instance.ItemInput{Kind: instance.KindNeed, Title: "A lift to the surgery",
		Category: "lifts", Area: "Mill Lane", Address: "4 Mill Lane SECRET", Contact: "01234 567890", ShareNearby: true})
	if err != nil {
		t.Fatal(err)
	}
	c.advance(47 * time.Hour)
	if err := a.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	a.settle()
	b.settle()
	if list, _ := b.svc.NearbyNeeds(ctx, b.admin); len(list) != 0 {
		t.Fatalf("offered after 47 hours: %v", list)
	}
	c.advance(time.Hour)
	if err := a.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	a.settle()
	b.settle()
	nearby, err := b.svc.NearbyNeeds(ctx, b.admin)
	if err != nil || len(nearby) != 1 || nearby[0].Title != "A lift to the surgery" || !nearby[0].Overflow {
		t.Fatalf("b's needs from nearby: %v %v", nearby, err)
	}
	if strings.Contains(nearby[0].ContentHTML, "SECRET") || strings.Contains(nearby[0].ContentHTML, "01234") {
		t.Errorf("the private details reached b: %s", nearby[0].ContentHTML)
	}
	notes, err := b.svc.Notifications(ctx, b.admin)
	told := false
	for _, n := range notes {
		told = told || n.Kind == instance.NoteNearbyNeed
	}
	if err != nil || !told {
		t.Errorf("b's coordinator was not told of the need from nearby: %v %v", notes, err)
	}
	jo, err := b.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "jo", DisplayName: "Jo", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if list, _ := b.svc.Neighbours(ctx, jo); len(list) != 0 {
		t.Errorf("b's members see the offered need before a coordinator shared it: %v", list)
	}
	if _, err := b.svc.NearbyNeeds(ctx, jo); err == nil {
		t.Error("a member of b sees the coordinators' Needs from nearby")
	}
	if err := b.svc.ShareNearbyNeed(ctx, b.admin, nearby[0].ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.svc.Neighbours(ctx, jo); len(list) != 1 {
		t.Fatalf("after sharing, b's members see %d neighbours' posts, want 1", len(list))
	}
	if _, err := b.svc.AnswerNeighbour(ctx, jo, nearby[0].ID, "I can drive you on Tuesday"); err != nil {
		t.Fatal(err)
	}
	b.settle()
	a.settle()
	replies, err := a.svc.Responses(ctx, need)
	if err != nil {
		t.Fatal(err)
	}
	var answer *instance.Response
	for _, r := range replies {
		if r.RemoteActor == b.url+"/members/jo" {
			answer = r
		}
	}
	if answer == nil {
		t.Fatalf("a did not keep jo's answer: %+v", replies)
	}
	it, _ := a.svc.Item(ctx, rita, instance.KindNeed, need.ID)
	if !a.svc.MayAcceptRemote(ctx, rita, it, answer) {
		t.Fatal("the requester is not offered jo as a helper")
	}
	if err := a.svc.AcceptRemoteHelper(ctx, rita, need.ID, answer.ID); err != nil {
		t.Fatal(err)
	}
	if it, _ = a.svc.Item(ctx, rita, instance.KindNeed, need.ID); it.State != instance.StateClaimed || it.ClaimedRemote != b.url+"/members/jo" {
		t.Errorf("after choosing jo: %s %q", it.State, it.ClaimedRemote)
	}
	a.settle()
	b.settle()
	if list, _ := b.svc.NearbyNeeds(ctx, b.admin); len(list) != 0 {
		t.Errorf("the offer was not withdrawn from b once claimed: %v", list)
	}
	if list, _ := b.svc.Neighbours(ctx, jo); len(list) != 0 {
		t.Errorf("b's members still see the claimed need: %v", list)
	}
}

// The offer to neighbours and its withdrawal, as reviewed golden files
// (create-overflow.json, delete-overflow.json).
func TestGoldenOverflow(t *testing.T) {
	f, svc, st, ann := goldenFed(t)
	g, _ := st.GroupByHandle(ctx, "village")
	need, err := svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindNeed, Title: "A lift to the surgery on Tuesday",
		Description: "Appointment at *10:30*, back by noon.", Category: "lifts", Area: "Mill Lane", NeededBy: instance.DateOf("2026-12-01"),
		Address: "4 Mill Lane", Contact: "01234 567890", ShareNearby: true})
	if err != nil {
		t.Fatal(err)
	}
	neighbour := "https://nether.example/groups/village"
	m := mention{href: neighbour, url: "https://nether.example/@village", user: "village", name: "@village@nether.example"}
	note, extra := f.overflowNote(need, g, []string{neighbour}, []mention{m})
	doc, err := f.wrap("Create", f.newActivityID(), f.uris.groupActor("village"), note, extra, []string{neighbour}, nil, goldenTime)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := encode(doc)
	golden(t, "create-overflow", b)
	doc, err = f.wrap("Delete", f.newActivityID(), f.uris.groupActor("village"), tombstone(f.uris.overflowObject(need), goldenTime), nil,
		[]string{neighbour}, nil, goldenTime)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = encode(doc)
	golden(t, "delete-overflow", b)
}
