package instance_test

import (
	"fmt"
	"testing"

	"hearth/instance"
)

// A noticeboard is pinned up where anyone passes: whoever gathers it
// (even a coordinator, who may see every private detail), its posts carry
// no address, contact, phone or name; visitors get public posts only, and
// a member may ask for public ones only; it holds BoardLimit of each kind
// and says when there are more.
func TestNoticeboardPrivacyAndLimits(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ann := f.member(t, "ann")
	f.need(t, ann, "lifts")
	behalf, err := f.svc.CreateItem(ctx, cora, instance.ItemInput{Kind: instance.KindNeed, Title: "Shopping", Category: "shopping",
		Area: "Church Row", Address: "2 Church Row", Contact: "after 10", OnBehalf: true, OnBehalfName: "Edith Crane",
		OnBehalfPhone: "01234 999888", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	if full := f.reload(t, cora, behalf); full.OnBehalfName != "Edith Crane" || full.Address == "" {
		t.Fatalf("the coordinator should see the details on the need itself: %+v", full)
	}
	if _, err := f.svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindNeed, Title: "Hedge", Category: "DIY", Area: "Mill Lane",
		Visibility: "village"}); err != nil {
		t.Fatal(err)
	}
	f.action(t, cora, "4")

	b, err := f.svc.Noticeboard(ctx, cora, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Needs) != 3 || len(b.Actions) != 1 || !b.MembersOnly || b.MoreNeeds {
		t.Fatalf("board: %d needs, %d actions, members only %v, more %v", len(b.Needs), len(b.Actions), b.MembersOnly, b.MoreNeeds)
	}
	for _, it := range append(b.Needs, b.Actions...) {
		if it.Address != "" || it.Contact != "" || it.OnBehalfName != "" || it.OnBehalfPhone != "" || it.Author != "" ||
			it.AuthorHandle != "" || it.AuthorID != 0 || it.ClaimedByName != "" || it.TakenByName != "" {
			t.Errorf("%q on the board keeps a private detail: %+v", it.Title, it)
		}
	}
	if b.Actions[0].PlacesLeft() != 4 {
		t.Errorf("places left: %d", b.Actions[0].PlacesLeft())
	}
	for _, c := range []struct {
		name       string
		viewer     *instance.Member
		publicOnly bool
	}{{"visitor", nil, false}, {"member, public only", ann, true}} {
		b, err := f.svc.Noticeboard(ctx, c.viewer, "", c.publicOnly)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Needs) != 2 || b.MembersOnly {
			t.Errorf("%s: %d needs (members only %v), want the 2 public ones", c.name, len(b.Needs), b.MembersOnly)
		}
	}
	for i := range instance.BoardLimit {
		if _, err := f.svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindOffer, Title: fmt.Sprintf("Offer %d", i),
			Category: "lending", Visibility: "public"}); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ = f.svc.Noticeboard(ctx, nil, "", false); len(b.Offers) != instance.BoardLimit || b.MoreOffers {
		t.Errorf("%d offers: %d on the board, more %v", instance.BoardLimit, len(b.Offers), b.MoreOffers)
	}
	f.svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindOffer, Title: "One more", Category: "lending", Visibility: "public"})
	if b, _ = f.svc.Noticeboard(ctx, nil, "", false); len(b.Offers) != instance.BoardLimit || !b.MoreOffers || b.Offers[0].Title != "One more" {
		t.Errorf("one offer too many: %d on the board, more %v", len(b.Offers), b.MoreOffers)
	}
	if _, err := f.svc.Noticeboard(ctx, nil, "nope", false); err != instance.ErrNotFound {
		t.Errorf("unknown group: %v", err)
	}
}
