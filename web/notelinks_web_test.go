package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// Every notification lands on its place: each member follows the link of
// what they were just told, and the page it opens has the element the
// link names (the item page shows each viewer only their own part, so an
// anchor could otherwise vanish with the part that held it). Every anchor
// the kinds use is landed on at least once, so a new one is checked here.
func TestNotificationsLandOnTheirPlace(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	ctx := context.Background()
	members := map[string]*instance.Member{}
	for _, handle := range []string{"rita", "hal", "bob", "orla", "ann"} {
		members[handle] = h.member(handle)
	}
	members["cora"] = h.member("cora", instance.RoleCoordinator)
	as := map[string]*client{}
	for handle := range members {
		as[handle] = h.as(handle)
	}
	landed := map[string]bool{}
	land := func(who string, kind instance.NoteKind) {
		t.Helper()
		notes, err := h.svc.Notifications(ctx, members[who])
		if err != nil {
			t.Fatal(err)
		}
		var n *instance.Notification
		for _, x := range notes {
			if x.Kind == kind {
				n = x
				break
			}
		}
		if n == nil {
			t.Fatalf("%s was not told %s", who, kind)
		}
		link := n.Link()
		path, anchor, ok := strings.Cut(link, "#")
		if !ok {
			t.Fatalf("%s: %q names no place on the page", kind, link)
		}
		page := as[who].get(path).body
		if !strings.Contains(page, `id="`+anchor+`"`) {
			t.Errorf("%s: %s opens %s, which has no id=%q", who, kind, path, anchor)
		}
		landed[strings.TrimRight(anchor, "0123456789")] = true
	}
	sweep := func(d time.Duration) {
		t.Helper()
		h.advance(d)
		if err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}

	need := postItem(t, as["rita"], "needs", needForm())
	as["hal"].post(need+"/help", url.Values{"message": {"I can drive"}})
	land("rita", instance.NoteHelpOffered)
	accept := regexp.MustCompile(`action="(/needs/\d+/accept/\d+)"`).FindStringSubmatch(as["rita"].get(need).body)
	as["rita"].post(accept[1], nil)
	land("hal", instance.NoteHelpAccepted)
	as["hal"].post(need+"/messages", url.Values{"message_body": {"I will pick you up at 9:45"}})
	land("rita", instance.NoteMessage)
	as["bob"].post(need+"/responses", url.Values{"body": {"Good luck"}})
	land("rita", instance.NoteReply)
	reply := regexp.MustCompile(`action="/responses/(\d+)/remove"`).FindStringSubmatch(as["cora"].get(need).body)
	as["cora"].post("/admin/moderation", url.Values{"action": {"remove_response"}, "id": {reply[1]}, "reason": {"Off topic"}})
	land("bob", instance.NoteResponseRemoved)
	it, err := h.svc.Item(ctx, members["hal"], instance.KindNeed, itemID(t, need))
	if err != nil {
		t.Fatal(err)
	}
	sweep(it.ClaimExpiresAt.Sub(h.svc.Now()) - 12*time.Hour)
	land("hal", instance.NoteClaimLapsing)
	mustContain(t, as["hal"].get(need).body, `href="`+need+`/change#more-time-h"`)
	as["hal"].post(need+"/done", nil)
	as["rita"].post(need+"/thanks", url.Values{"thanks": {"Thank you"}})
	land("hal", instance.NoteThanked)

	offer := postItem(t, as["orla"], "offers", url.Values{"title": {"Ladder"}, "category": {"lending"}, "visibility": {"public"}})
	as["ann"].post(offer+"/want", nil)
	land("orla", instance.NoteOfferWanted)
	action := postItem(t, as["orla"], "actions", h.actionForm("Litter-pick", "10"))
	as["ann"].post(action+"/join", nil)
	land("orla", instance.NoteActionJoined)

	postItem(t, as["rita"], "needs", needForm())
	sweep(12 * 24 * time.Hour)
	land("rita", instance.NoteStillNeeded)
	sweep(5 * 24 * time.Hour)
	land("rita", instance.NoteNeedExpired)

	// A poll: opened, closing tomorrow (to who has not voted), results.
	closes := h.svc.Now().In(h.svc.Location()).AddDate(0, 0, 3)
	poll := postItemAt(t, as["rita"], "/polls/new", pollForm(closes))
	land("bob", instance.NotePollOpened)
	decide := func(d time.Duration) {
		t.Helper()
		h.advance(d)
		if err := h.svc.SweepDecide(ctx); err != nil {
			t.Fatal(err)
		}
	}
	decide(2*24*time.Hour + time.Hour)
	land("ann", instance.NotePollClosing)
	decide(24 * time.Hour)
	land("bob", instance.NotePollResults)
	mustContain(t, as["bob"].get(poll).body, `id="results"`)

	for _, spec := range instance.NoteSpecs {
		if spec.Anchor != "" && !landed[spec.Anchor] {
			t.Errorf("no notification landed on #%s (%s): add a step", spec.Anchor, spec.Kind)
		}
	}
	if !landed["response-"] {
		t.Error("no reply notification landed on its reply")
	}
}

// A notification about a reply on an earlier page of a long thread lands
// on the page that holds it, not on the latest page without it; one on
// the latest page stays on the latest page.
func TestReplyNotificationOnAnEarlierPage(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	rita := h.member("rita")
	h.member("bob")
	ritaC, bob := h.as("rita"), h.as("bob")
	path := postItem(t, ritaC, "needs", needForm())
	first := regexp.MustCompile(`#response-(\d+)$`).FindStringSubmatch(bob.post(path+"/responses", url.Values{"body": {"The very first reply"}}).location())
	if first == nil {
		t.Fatal("no reply")
	}
	h.addReplies(t, itemID(t, path), rita.ID, 120, "Reply number %d")
	latest := regexp.MustCompile(`#response-(\d+)$`).FindStringSubmatch(bob.post(path+"/responses", url.Values{"body": {"The latest reply"}}).location())
	if mustNotContain(t, ritaC.get(path).body, `id="response-`+first[1]+`"`); t.Failed() {
		t.Fatal("the first reply is on the latest page: the thread is too short to test")
	}
	body := ritaC.get("/notifications").body
	for _, id := range []string{first[1], latest[1]} {
		link := path + "?reply=" + id + "#response-" + id
		mustContain(t, body, `href="`+link+`"`)
		page := ritaC.get(strings.TrimSuffix(link, "#response-"+id)).body
		mustContain(t, page, `id="response-`+id+`"`)
		if id == latest[1] {
			mustNotContain(t, page, h.msg(t, "item.later_replies"))
		}
	}
	mustContain(t, ritaC.get(path+"?reply="+first[1]).body, "The very first reply", h.msg(t, "item.later_replies"))
}
