package federation

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// WebFinger: case-insensitive user part, self link of the AP type, 404 for
// unknown names and for members without a public Person actor.
func TestWebFingerAndActors(t *testing.T) {
	n := newNode(t)
	host := strings.TrimPrefix(n.url, "http://")
	get := func(path, accept string) (int, string, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, n.url+path, nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &m)
		return resp.StatusCode, resp.Header.Get("Content-Type"), m
	}
	for _, res := range []string{"acct:village@" + host, "acct:VILLAGE@" + host, "acct:Village@" + strings.ToUpper(host)} {
		code, ct, m := get("/.well-known/webfinger?resource="+res, "application/jrd+json")
		if code != 200 || ct != "application/jrd+json" {
			t.Errorf("%s: %d %s", res, code, ct)
			continue
		}
		links, _ := m["links"].([]any)
		self := links[0].(map[string]any)
		if self["rel"] != "self" || self["type"] != activityJSON || self["href"] != n.group() {
			t.Errorf("%s: self link %v", res, self)
		}
	}
	for _, res := range []string{"acct:nobody@" + host, "acct:village@other.example", "acct:cora@" + host, "https://elsewhere.example/x"} {
		if code, _, _ := get("/.well-known/webfinger?resource="+res, "application/jrd+json"); code != 404 {
			t.Errorf("%s: %d, want 404", res, code)
		}
	}
	// The group actor: id byte-equal to the URL, the AP content type, a key
	// owned by the group, endpoints.sharedInbox; served unsigned.
	code, ct, m := get("/groups/village", "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")
	if code != 200 || ct != activityJSON || m["id"] != n.group() || m["type"] != "Group" || m["preferredUsername"] != "village" {
		t.Fatalf("group actor: %d %s %v", code, ct, m["id"])
	}
	pk := m["publicKey"].(map[string]any)
	if pk["owner"] != n.group() || pk["id"] != n.group()+"#main-key" || !strings.Contains(pk["publicKeyPem"].(string), "BEGIN PUBLIC KEY") {
		t.Errorf("publicKey = %v", pk)
	}
	if ep := m["endpoints"].(map[string]any); ep["sharedInbox"] != n.url+"/inbox" {
		t.Errorf("endpoints = %v", ep)
	}
	// The key stays the same across requests (it is stored, not regenerated).
	_, _, again := get("/groups/village", activityJSON)
	if again["publicKey"].(map[string]any)["publicKeyPem"] != pk["publicKeyPem"] {
		t.Error("the group's key changed between requests")
	}
	// A signed fetch works too.
	r := fedtest.New(t, "alice")
	resp := r.Get("alice", n.group(), activityJSON, fedtest.SendOptions{})
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("signed actor fetch: %d", resp.StatusCode)
	}
	// Members have no Person actor until they reply in public.
	if code, _, _ := get("/members/cora", activityJSON); code != 404 {
		t.Errorf("member without public replies: %d", code)
	}
	it := n.postNeed("public")
	if _, err := n.svc.AddResponse(ctx, n.admin, it.ID, "I'll ask around."); err != nil {
		t.Fatal(err)
	}
	code, _, pm := get("/members/cora", activityJSON)
	if code != 200 || pm["type"] != "Person" || pm["id"] != n.url+"/members/cora" {
		t.Errorf("member actor: %d %v", code, pm["type"])
	}
	if code, _, _ := get("/.well-known/webfinger?resource=acct:cora@"+host, "application/jrd+json"); code != 200 {
		t.Errorf("member webfinger: %d", code)
	}
	code, _, ni := get("/nodeinfo/2.1", "application/json")
	if sw := ni["software"].(map[string]any); code != 200 || sw["name"] != "hearth" {
		t.Errorf("nodeinfo: %d %v", code, ni)
	}
}

// Two instances in one process: group A follows group B by its address,
// B posts a need, A shows it in Neighbours with its fields rebuilt (and
// says so in its log, refusing nothing), a member of A answers, and B
// shows the answer on the need.
func TestTwoInstances(t *testing.T) {
	logs := &logBuffer{}
	a := newNodeWith(t, func(o *instance.Options) { o.Logger = newJSONLogger(logs) }, func(o *Options) { o.Logger = newJSONLogger(logs) })
	b := newNode(t)
	bHost := strings.TrimPrefix(b.url, "http://")
	if _, err := a.svc.FollowGroup(ctx, a.admin, "village", "@village@"+bHost); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		a.settle()
		b.settle()
	}
	g, _ := a.st.GroupByHandle(ctx, "village")
	follows, _ := a.svc.Following(ctx, g)
	if len(follows) != 1 || follows[0].State != "accepted" || follows[0].ActorID != b.group() {
		t.Fatalf("A's follow of B: %+v", follows[0])
	}
	if followers(t, b) != 1 {
		t.Fatalf("B has %d followers", followers(t, b))
	}
	need, err := b.svc.CreateItem(ctx, b.admin, instance.ItemInput{Kind: instance.KindNeed, Title: "Help moving a sofa",
		Description: "Saturday morning", Category: "DIY", Area: "Church Road", Address: "9 Church Road PRIVATE", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	b.settle()
	a.settle()
	list, err := a.svc.Neighbours(ctx, a.admin)
	if err != nil || len(list) != 1 {
		t.Fatalf("A's neighbours: %d %v", len(list), err)
	}
	ni := list[0]
	if ni.Kind != instance.KindNeed || ni.Title != "Help moving a sofa" || ni.Area != "Church Road" || ni.Category != "DIY" ||
		ni.APID != b.url+need.Path() || strings.Contains(ni.ContentHTML, "PRIVATE") {
		t.Errorf("neighbour item: %+v", ni)
	}
	if kept := logs.find("neighbour's post kept"); len(kept) != 1 || kept[0]["object"] != ni.APID || kept[0]["actor"] != b.group() {
		t.Errorf("A's log of the kept post: %v", kept)
	}
	if refused := logs.find("remote activity refused"); len(refused) != 0 {
		t.Errorf("A logged a refusal for what it kept: %v", refused)
	}
	if _, err := a.svc.AnswerNeighbour(ctx, a.admin, ni.ID, "I can help on Saturday."); err != nil {
		t.Fatal(err)
	}
	a.settle()
	b.settle()
	resps, _ := b.svc.Responses(ctx, need)
	if len(resps) != 1 || !strings.Contains(resps[0].ContentHTML, "I can help on Saturday.") || resps[0].Author != "Cora Coordinator" ||
		resps[0].RemoteActor != a.url+"/members/cora" {
		t.Fatalf("B's responses: %+v", resps)
	}
	// B edits the need: A sees the change; B deletes it: A drops it.
	if err := b.svc.UpdateItem(ctx, b.admin, need.ID, instance.ItemInput{Title: "Help moving a sofa (heavy)", Category: "DIY", Area: "Church Road"}); err != nil {
		t.Fatal(err)
	}
	b.settle()
	a.settle()
	if list, _ := a.svc.Neighbours(ctx, a.admin); len(list) != 1 || list[0].Title != "Help moving a sofa (heavy)" {
		t.Errorf("after B's edit: %+v", list)
	}
	b.svc.DeleteItem(ctx, b.admin, need.ID)
	b.settle()
	a.settle()
	if list, _ := a.svc.Neighbours(ctx, a.admin); len(list) != 0 {
		t.Errorf("after B's delete A still lists %d", len(list))
	}
	// A unfollows: B loses the follower.
	if err := a.svc.Unfollow(ctx, a.admin, follows[0].ID); err != nil {
		t.Fatal(err)
	}
	a.settle()
	b.settle()
	if followers(t, b) != 0 {
		t.Errorf("after Undo B still has %d followers", followers(t, b))
	}
}
