package federation

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// A server blocked by a coordinator is refused with 403 before anything is
// stored, its followers are severed and nothing more is sent to it.
func TestCoordinatorDomainBlock(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "1"), fedtest.SendOptions{})
	n.settle()
	if followers(t, n) != 1 {
		t.Fatal("no follower")
	}
	if err := n.svc.Moderate(ctx, n.admin, instance.ModerationAction{Action: "block_domain", Target: "127.0.0.1", Reason: "spam"}); err == nil {
		t.Fatal("an IP address was accepted as a domain")
	}
	// The fake runs on 127.0.0.1, which is not a domain name; block it
	// through the store the same way Moderate does.
	if err := n.st.BlockDomain(ctx, "127.0.0.1", "spam", n.admin.ID, n.fed.now(), &instance.ModLog{Action: "block domain", Subject: "127.0.0.1", CreatedAt: n.fed.now()}); err != nil {
		t.Fatal(err)
	}
	if followers(t, n) != 0 {
		t.Error("followers on the blocked server were kept")
	}
	resp := r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "2"), fedtest.SendOptions{})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("blocked server's activity: %d", resp.StatusCode)
	}
	if q, _ := n.st.NextInbox(ctx, 10); len(q) != 0 {
		t.Error("a blocked server's activity was stored")
	}
	sent := len(r.Received())
	n.postNeed("public")
	n.settle()
	if len(r.Received()) != sent {
		t.Error("something was delivered to a blocked server")
	}
}

// Hiding an item takes it off lists and the outbox and sends a Delete to
// followers; its Note answers 410.
func TestHiddenItemIsRetracted(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "1"), fedtest.SendOptions{})
	n.settle()
	it := n.postNeed("public")
	n.settle()
	if len(r.OfType("Create")) != 1 {
		t.Fatal("not published")
	}
	outbox := func() int {
		resp := r.Get("", n.group()+"/outbox?page=true", activityJSON, fedtest.SendOptions{})
		defer resp.Body.Close()
		var page struct{ OrderedItems []any }
		json.NewDecoder(resp.Body).Decode(&page)
		return len(page.OrderedItems)
	}
	if outbox() != 1 {
		t.Fatalf("outbox before: %d", outbox())
	}
	if err := n.svc.Moderate(ctx, n.admin, instance.ModerationAction{Action: "hide", ID: it.ID, Reason: "Selling"}); err != nil {
		t.Fatal(err)
	}
	n.settle()
	if d := r.OfType("Delete"); len(d) != 1 || d[0]["object"].(map[string]any)["id"] != n.url+it.Path() {
		t.Fatalf("deletes: %v", d)
	}
	// The id its followers were sent a Delete for is gone (if the item is
	// shown again, it is published under a new id).
	resp := r.Get("", n.url+it.Path(), activityJSON, fedtest.SendOptions{})
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Errorf("hidden note: %d", resp.StatusCode)
	}
	if outbox() != 0 {
		t.Errorf("outbox after hiding: %d", outbox())
	}
	if items, _ := n.svc.Items(ctx, n.admin, instance.ItemFilter{}); len(items) != 0 {
		t.Error("still listed")
	}
}

// A Flag from another server's instance actor becomes a report; a report
// forwarded by a member goes out as a Flag from our instance actor,
// without the reporter's name.
func TestFlagsBothWays(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "instance", "alice")
	it := n.postNeed("public")
	resp := r.Send("instance", n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": r.URL + "/flags/1",
		"type": "Flag", "actor": r.Actor("instance"), "object": []any{n.url + "/members/cora", n.url + it.Path()}, "content": "Looks like a scam"},
		fedtest.SendOptions{})
	if resp.StatusCode != 202 {
		t.Fatalf("flag: %d", resp.StatusCode)
	}
	n.settle()
	reports, _ := n.svc.Reports(ctx, n.admin, "open")
	if len(reports) != 1 || reports[0].Subject != "item" || reports[0].ItemID != it.ID || reports[0].RemoteReporter != r.Actor("instance") ||
		reports[0].Details != "Looks like a scam" {
		t.Fatalf("reports: %+v", reports)
	}
	// A reply from alice; a member reports it and asks to forward.
	r.Send("alice", n.url+"/inbox", replyTo(r, "alice", "9", n.url+it.Path(), "<p>Buy cheap pills</p>"), fedtest.SendOptions{})
	n.settle()
	list := responses(t, n, it)
	reporter, _ := n.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "rosie", DisplayName: "Rosie Reporter", Password: "correct horse battery"})
	reporter, _ = n.svc.MemberByID(ctx, reporter.ID)
	if _, err := n.svc.FileReport(ctx, reporter, instance.ReportInput{Subject: "response", ID: list[0].ID, Category: "spam", Details: "pills", Forward: true}); err != nil {
		t.Fatal(err)
	}
	n.settle()
	flags := r.OfType("Flag")
	if len(flags) != 1 {
		t.Fatalf("flags sent: %d, failures %v", len(flags), r.Failures())
	}
	raw, _ := json.Marshal(flags[0])
	if flags[0]["actor"] != n.url+"/actor" || !strings.Contains(string(raw), r.Actor("alice")) || !strings.Contains(string(raw), "/statuses/9") {
		t.Errorf("flag: %s", raw)
	}
	if strings.Contains(string(raw), "rosie") || strings.Contains(string(raw), "Rosie") {
		t.Error("the reporter's identity left the instance")
	}
}

// Too many activities from one server get 429; replies stuffed with links
// or mentions are dropped.
func TestInboundLimits(t *testing.T) {
	log := &refusalLog{}
	n := newNode(t, withRefusals(log), func(o *Options) { o.InboundPerHost = 3 })
	r := fedtest.New(t, "alice")
	it := n.postNeed("public")
	links := `<p>` + strings.Repeat(`<a href="https://spam.example/x">x</a> `, 6) + `</p>`
	statuses := []int{}
	for i, body := range []string{"<p>ok</p>", links, "<p>third</p>", "<p>fourth</p>"} {
		resp := r.Send("alice", n.url+"/inbox", replyTo(r, "alice", string(rune('a'+i)), n.url+it.Path(), body), fedtest.SendOptions{})
		statuses = append(statuses, resp.StatusCode)
	}
	if statuses[3] != http.StatusTooManyRequests || statuses[0] != 202 {
		t.Errorf("statuses %v, want the fourth refused with 429", statuses)
	}
	log.expect(t, "the fourth activity", refusedRateHost)
	n.settle()
	list := responses(t, n, it)
	if len(list) != 2 {
		t.Fatalf("replies stored: %d, want 2 (the link-stuffed one dropped)", len(list))
	}
	for _, x := range list {
		if strings.Contains(x.ContentHTML, "spam.example") {
			t.Error("the link-stuffed reply was kept")
		}
	}
}
