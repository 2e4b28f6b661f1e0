package federation

import (
	"strings"
	"testing"

	"hearth/instance"
)

// Private messages on a need never leave the instance: writing them
// queues no activity and no delivery, and the need's ActivityPub document
// (and the group's outbox) never contains them.
func TestPrivateMessagesAreNeverFederated(t *testing.T) {
	n := newNode(t)
	it := n.postNeed("public")
	helper, err := n.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "hal", DisplayName: "Hal", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.svc.OfferHelp(ctx, helper, it.ID, "", false); err != nil {
		t.Fatal(err)
	}
	list, _ := n.st.ListInterests(ctx, it.ID)
	if err := n.svc.AcceptHelp(ctx, n.admin, it.ID, list[0].ID); err != nil {
		t.Fatal(err)
	}
	n.settle()
	count := func(table string) int {
		var c int
		if err := n.st.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	events, deliveries := count("fed_events"), count("deliveries")
	if _, err := n.svc.SendMessage(ctx, n.admin, it.ID, "The key is under the PRIVATEMAT"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.svc.SendMessage(ctx, helper, it.ID, "Blue PRIVATEFORD Galaxy at 9:45"); err != nil {
		t.Fatal(err)
	}
	n.settle()
	if e, d := count("fed_events"), count("deliveries"); e != events || d != deliveries {
		t.Fatalf("messages queued %d events and %d deliveries, want none", e-events, d-deliveries)
	}
	for _, path := range []string{it.Path(), "/groups/village/outbox?page=true"} {
		code, _, body := serveGet(t, n.fed, path, "application/activity+json")
		if code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		if strings.Contains(string(body), "PRIVATE") {
			t.Errorf("%s contains a private message: %s", path, body)
		}
	}
}
