package instance_test

import (
	"testing"

	"hearth/instance"
)

// A new need is village only unless its requester chooses otherwise,
// whatever the configured default (which offers and actions follow); an
// edit that does not say keeps the visibility the post has.
func TestNeedVisibilityDefaults(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen, func(o *instance.Options) { o.DefaultVisibility = instance.VisibilityPublic })
	ann := f.member(t, "ann")
	need, err := f.svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindNeed, Title: "Help getting dressed", Category: "food", Area: "Orchard Close"})
	if err != nil || need.Visibility != instance.VisibilityVillage {
		t.Fatalf("a new need: %v %v", need.Visibility, err)
	}
	offer, err := f.svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindOffer, Title: "Eggs", Category: "food"})
	if err != nil || offer.Visibility != instance.VisibilityPublic {
		t.Fatalf("a new offer: %v %v", offer.Visibility, err)
	}
	public := f.need(t, ann, "food")
	if err := f.svc.UpdateItem(ctx, ann, public.ID, instance.ItemInput{Title: "Lift, please", Category: "food", Area: "Mill Lane"}); err != nil {
		t.Fatal(err)
	}
	if got := f.reload(t, ann, public); got.Visibility != instance.VisibilityPublic {
		t.Errorf("an edit without a visibility made a public need %s", got.Visibility)
	}
}
