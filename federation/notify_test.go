package federation

import (
	"encoding/json"
	"strings"
	"testing"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// A village-only item's notifications never leave the instance: offering
// help, accepting, replying and closing it tell its people here, and
// nothing reaches the group's followers; a public item's notifications
// add nothing to what federation sends either (no Note names anyone's
// notification).
func TestNotificationsStayHome(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "1"), fedtest.SendOptions{})
	n.settle()
	helper, err := n.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "hal", DisplayName: "Hal Helper", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	helper, _ = n.svc.MemberByID(ctx, helper.ID)
	before := len(r.Received())
	it := n.postNeed("village")
	if err := n.svc.OfferHelp(ctx, helper, it.ID, "I can drive", false); err != nil {
		t.Fatal(err)
	}
	ins, _ := n.svc.Interests(ctx, n.admin, it)
	if err := n.svc.AcceptHelp(ctx, n.admin, it.ID, ins[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := n.svc.AddResponse(ctx, helper, it.ID, "See you at 9:45"); err != nil {
		t.Fatal(err)
	}
	if err := n.svc.CloseNeed(ctx, n.admin, it.ID, "done"); err != nil {
		t.Fatal(err)
	}
	n.settle()
	if got := r.Received()[before:]; len(got) != 0 {
		t.Errorf("a village-only item's changes reached a follower: %d deliveries", len(got))
	}
	told := 0
	for _, m := range []*instance.Member{n.admin, helper} {
		notes, _ := n.svc.Notifications(ctx, m)
		told += len(notes)
	}
	if told != 4 { // offered, accepted, replied, closed
		t.Errorf("%d notifications here, want 4", told)
	}
	// A public one federates its Create and its reply, and nothing says
	// who was told what.
	pub := n.postNeed("public")
	if err := n.svc.OfferHelp(ctx, helper, pub.ID, "Me too", false); err != nil {
		t.Fatal(err)
	}
	if _, err := n.svc.AddResponse(ctx, helper, pub.ID, "Tuesday works"); err != nil {
		t.Fatal(err)
	}
	n.settle()
	got := r.Received()[before:]
	if len(got) == 0 {
		t.Fatal("the public need was not delivered: the check below would prove nothing")
	}
	for _, a := range got {
		raw, _ := json.Marshal(a.Activity)
		body := string(raw)
		for _, leak := range []string{"offered to help", "notification", "I can drive", "Me too"} {
			if strings.Contains(body, leak) {
				t.Errorf("a delivery contains %q: %s", leak, body)
			}
		}
	}
}
