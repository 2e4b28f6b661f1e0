package federation

import (
	"bytes"
	"errors"
	"hearth/instance/netguard"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
)

func replyTo(r *fedtest.Remote, user, id, inReplyTo, html string) map[string]any {
	note := map[string]any{"id": r.Actor(user) + "/statuses/" + id, "type": "Note", "attributedTo": r.Actor(user),
		"inReplyTo": inReplyTo, "content": html, "to": []any{publicCollection}, "published": time.Now().UTC().Format(time.RFC3339)}
	return map[string]any{"@context": []any{"https://www.w3.org/ns/activitystreams", map[string]any{"sensitive": "as:sensitive"}},
		"id": note["id"].(string) + "/activity", "type": "Create", "actor": r.Actor(user), "object": note, "to": []any{publicCollection}}
}

func responses(t *testing.T, n *node, it *instance.Item) []*instance.Response {
	t.Helper()
	list, err := n.svc.Responses(ctx, it)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// A remote reply becomes a response on the item, sanitised, with the
// author's name and handle; its author may edit and delete it, nobody else.
func TestRemoteReplies(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice", "mallory")
	it := n.postNeed("public")
	create := replyTo(r, "alice", "1", n.url+it.Path(), `<p>I can help! <script>alert(1)</script><a href="javascript:x">x</a> <a href="https://gts.test/@alice">me</a></p>`)
	if resp := r.Send("alice", n.url+"/inbox", create, fedtest.SendOptions{}); resp.StatusCode != 202 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	n.settle()
	list := responses(t, n, it)
	if len(list) != 1 {
		t.Fatalf("responses = %d", len(list))
	}
	got := list[0]
	if got.Author != "Alice Remote" || got.AuthorHandle != "@alice@127.0.0.1" || got.RemoteActor != r.Actor("alice") {
		t.Errorf("author %q %q %q", got.Author, got.AuthorHandle, got.RemoteActor)
	}
	if strings.Contains(got.ContentHTML, "script") || strings.Contains(got.ContentHTML, "javascript") ||
		!strings.Contains(got.ContentHTML, `rel="nofollow noopener ugc"`) || !strings.Contains(got.ContentHTML, "I can help!") {
		t.Errorf("content not sanitised: %s", got.ContentHTML)
	}
	note := create["object"].(map[string]any)
	edits := 0
	update := func(user string, text string) {
		changed := map[string]any{}
		for k, v := range note {
			changed[k] = v
		}
		changed["content"] = text
		edits++
		changed["updated"] = time.Now().Add(time.Duration(edits) * time.Second).UTC().Format(time.RFC3339)
		r.Send(user, n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": r.Actor(user) + "#upd" + text,
			"type": "Update", "actor": r.Actor(user), "object": changed}, fedtest.SendOptions{})
		n.settle()
	}
	update("mallory", "<p>hijacked</p>") // not the author: refused in processing
	if c := responses(t, n, it)[0].ContentHTML; strings.Contains(c, "hijacked") {
		t.Fatal("someone else edited the reply")
	}
	update("alice", "<p>I can help on Tuesday.</p>")
	if c := responses(t, n, it)[0].ContentHTML; c != "<p>I can help on Tuesday.</p>" {
		t.Errorf("after the author's update: %q", c)
	}
	del := func(user string) {
		r.Send(user, n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": r.Actor(user) + "#del",
			"type": "Delete", "actor": r.Actor(user), "object": map[string]any{"id": note["id"], "type": "Tombstone"}}, fedtest.SendOptions{})
		n.settle()
	}
	del("mallory")
	if responses(t, n, it)[0].Deleted {
		t.Fatal("someone else deleted the reply")
	}
	del("alice")
	if !responses(t, n, it)[0].Deleted {
		t.Error("the author's Delete was not honoured")
	}
}

// An object claiming to live on another server is not stored.
func TestForeignObjectHostIgnored(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	it := n.postNeed("public")
	create := replyTo(r, "alice", "1", n.url+it.Path(), "<p>spoof</p>")
	create["object"].(map[string]any)["id"] = "https://elsewhere.example/notes/1"
	r.Send("alice", n.url+"/inbox", create, fedtest.SendOptions{})
	create2 := replyTo(r, "alice", "2", n.url+it.Path(), "<p>spoof</p>")
	create2["object"].(map[string]any)["attributedTo"] = "https://elsewhere.example/users/bob"
	r.Send("alice", n.url+"/inbox", create2, fedtest.SendOptions{})
	n.settle()
	if len(responses(t, n, it)) != 0 {
		t.Error("an object from another host (or author) was stored")
	}
}

// Every rule of signature verification, each refused with a bare 401 (or
// 400/403/413) for the reason it exists, and nothing stored.
func TestInboxRefusals(t *testing.T) {
	log := &refusalLog{}
	n := newNode(t, withRefusals(log), func(o *Options) { o.BlockedDomains = []string{"blocked.example"} })
	r := fedtest.New(t, "alice", "bob", "eve")
	if err := n.st.BlockActor(ctx, r.Actor("eve"), "spam", n.admin.ID, n.fed.now(), &instance.ModLog{Action: "block actor", Subject: r.Actor("eve"), CreatedAt: n.fed.now()}); err != nil {
		t.Fatal(err)
	}
	follow := func(id string) map[string]any { return followOf(r, "alice", n.group(), id) }
	cases := []struct {
		name   string
		body   any
		raw    []byte
		opts   fedtest.SendOptions
		user   string
		status int
		reason refusal
	}{
		{name: "no signature", body: follow("a"), opts: fedtest.SendOptions{NoSignature: true}, status: 401, reason: refusedNoSignature},
		{name: "signed by another key", body: follow("b"), opts: fedtest.SendOptions{KeyUser: "bob", KeyID: r.KeyID("alice")}, status: 401, reason: refusedBadSignature},
		{name: "key owner is not the actor", body: follow("c"), opts: fedtest.SendOptions{KeyUser: "bob"}, status: 401, reason: refusedSignerNotActor},
		{name: "wrong digest", body: follow("d"), opts: fedtest.SendOptions{BadDigest: true}, status: 401, reason: refusedDigest},
		{name: "tampered body", body: follow("e"), opts: fedtest.SendOptions{TamperBody: true}, status: 401, reason: refusedDigest},
		{name: "digest not signed", body: follow("f"), opts: fedtest.SendOptions{Headers: []string{"(request-target)", "host", "date"}}, status: 401, reason: refusedDigestNotSigned},
		{name: "date not signed", body: follow("g"), opts: fedtest.SendOptions{Headers: []string{"(request-target)", "host", "digest"}}, status: 401, reason: refusedDateNotSigned},
		{name: "request target not signed", body: follow("g2"), opts: fedtest.SendOptions{Headers: []string{"host", "date", "digest"}}, status: 401, reason: refusedTargetNotSigned},
		{name: "algorithm not accepted", body: follow("g3"), opts: fedtest.SendOptions{Algorithm: "hmac-sha256"}, status: 401, reason: refusedAlgorithm},
		{name: "no keyId", body: follow("g4"), opts: fedtest.SendOptions{KeyID: " "}, status: 401, reason: refusedSignatureSyntax},
		{name: "malformed Signature", body: follow("g5"), opts: fedtest.SendOptions{EditSignature: func(s string) string { return s + ",junk" }},
			status: 401, reason: refusedSignatureSyntax},
		{name: "stale date", body: follow("h"), opts: fedtest.SendOptions{Date: time.Now().Add(-2 * time.Hour)}, status: 401, reason: refusedDate},
		{name: "future date", body: follow("i"), opts: fedtest.SendOptions{Date: time.Now().Add(2 * time.Hour)}, status: 401, reason: refusedDate},
		{name: "blocked domain", body: follow("j"), opts: fedtest.SendOptions{KeyID: "https://blocked.example/users/x#main-key"}, status: 403, reason: refusedBlockedDomain},
		{name: "actor on a blocked domain", body: map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": "https://blocked.example/follow/1", "type": "Follow", "actor": "https://blocked.example/users/x", "object": n.group()}, status: 403, reason: refusedBlockedDomain},
		{name: "blocked actor", user: "eve", body: followOf(r, "eve", n.group(), "k"), status: 403, reason: refusedBlockedActor},
		{name: "activity id on another host", body: map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": "https://elsewhere.example/follow/1", "type": "Follow", "actor": r.Actor("alice"), "object": n.group()}, status: 401, reason: refusedActivityOrigin},
		{name: "not JSON", raw: []byte("hello"), status: 400, reason: refusedNotJSON},
		{name: "no id", body: map[string]any{"type": "Follow", "actor": r.Actor("alice"), "object": n.group()}, status: 400, reason: refusedIncomplete},
		{name: "oversized body", raw: bytes.Repeat([]byte("x"), maxInboxBytes+10), status: 413, reason: refusedBodyTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			user := c.user
			if user == "" {
				user = "alice"
			}
			var resp *http.Response
			if c.raw != nil {
				resp = r.SendRaw(user, n.url+"/inbox", c.raw, c.opts)
			} else {
				resp = r.Send(user, n.url+"/inbox", c.body, c.opts)
			}
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d", resp.StatusCode, c.status)
			}
			log.expect(t, c.name, c.reason)
		})
	}
	n.settle()
	if followers(t, n) != 0 {
		t.Error("a refused request left a follower")
	}
	if q, _ := n.st.NextInbox(ctx, 10); len(q) != 0 {
		t.Errorf("refused requests were queued: %d", len(q))
	}
	// And the same request, properly signed, works: hs2019 is accepted too.
	if resp := r.Send("alice", n.url+"/inbox", follow("ok"), fedtest.SendOptions{}); resp.StatusCode != 202 {
		t.Errorf("valid request: %d", resp.StatusCode)
	}
	log.expect(t, "valid request")
}

// A GET must sign host (Mastodon's rule for signed fetches).
func TestGetSignatureNeedsHost(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/needs/1", nil)
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("Signature", `keyId="https://x.example/a#k",algorithm="rsa-sha256",headers="(request-target) date",signature="AAAA"`)
	if _, err := checkSignatureHeaders(req, nil, time.Hour, time.Now()); reasonOf(err, "") != refusedHostNotSigned {
		t.Errorf("err = %v", err)
	}
}

// Replays and unknown types: 202, processed at most once, never an error.
func TestReplayAndUnknownTypes(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	f := followOf(r, "alice", n.group(), "1")
	for i := 0; i < 3; i++ {
		if resp := r.Send("alice", n.url+"/inbox", f, fedtest.SendOptions{}); resp.StatusCode != 202 {
			t.Fatalf("replay %d: %d", i, resp.StatusCode)
		}
	}
	n.settle()
	if len(r.OfType("Accept")) != 1 {
		t.Errorf("a replayed Follow was processed %d times", len(r.OfType("Accept")))
	}
	// Types Hearth does nothing with are verified and answered 202 but not
	// stored; a forged one is still refused.
	queued := func() (n0 int) {
		n.st.DB().QueryRow(`SELECT count(*) FROM inbox_queue`).Scan(&n0)
		return n0
	}
	before := queued()
	for _, typ := range []string{"EmojiReact", "QuoteRequest", "Like", "Announce", "Move"} {
		resp := r.Send("alice", n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": r.Actor("alice") + "#" + typ, "type": typ, "actor": r.Actor("alice"), "object": n.group()}, fedtest.SendOptions{})
		if resp.StatusCode != 202 {
			t.Errorf("%s: %d", typ, resp.StatusCode)
		}
	}
	if got := queued(); got != before {
		t.Errorf("ignored types added %d rows to the inbox queue", got-before)
	}
	like := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": r.Actor("alice") + "#forged", "type": "Like",
		"actor": r.Actor("alice"), "object": n.group()}
	if resp := r.Send("alice", n.url+"/inbox", like, fedtest.SendOptions{TamperBody: true}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a forged Like: %d, want 401", resp.StatusCode)
	}
	// A Flag is acted on, so it is queued.
	resp := r.Send("alice", n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": r.Actor("alice") + "#flag", "type": "Flag", "actor": r.Actor("alice"), "object": n.group()}, fedtest.SendOptions{})
	if resp.StatusCode != 202 || queued() != before+1 {
		t.Errorf("Flag: %d, %d rows queued", resp.StatusCode, queued()-before)
	}
	n.settle()
}

// The outgoing client never reaches private addresses, by DNS or redirect,
// unless allowed.
func TestOutgoingClientRefusesPrivateAddresses(t *testing.T) {
	for addr, public := range map[string]bool{"127.0.0.1": false, "10.1.2.3": false, "192.168.0.1": false, "172.16.5.4": false,
		"169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "::1": false, "fe80::1": false, "fc00::1": false,
		"::ffff:127.0.0.1": false, "64:ff9b::7f00:1": false, "2002:7f00:1::": false, "93.184.215.14": true, "2606:4700::1111": true} {
		if got := netguard.Public(netip.MustParseAddr(addr)); got != public {
			t.Errorf("netguard.Public(%s) = %v", addr, got)
		}
	}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) }))
	defer target.Close()
	strict := newClient(false, 5*time.Second)
	if _, err := strict.Get(strings.Replace(target.URL, "http:", "https:", 1)); !errors.Is(err, errPrivateAddress) {
		t.Errorf("loopback fetch: %v", err)
	}
	// A redirect from an allowed server to a private one is refused at
	// connect time.
	redirector := httptest.NewServer(http.RedirectHandler(target.URL+"/x", http.StatusFound))
	defer redirector.Close()
	allowed := netip.MustParseAddrPort(strings.TrimPrefix(redirector.URL, "http://"))
	c := newClientAllowing(func(ap netip.AddrPort) bool { return ap == allowed }, false, 5*time.Second)
	if _, err := c.Get(redirector.URL); err == nil || !strings.Contains(err.Error(), "non-public") {
		t.Errorf("redirect to a private address: %v", err)
	}
	// And federation itself refuses: fetching an actor on loopback fails
	// without allow_private_addresses.
	n := newNode(t, func(o *Options) { o.AllowPrivateAddresses = false; o.Client = nil })
	r := fedtest.New(t, "alice")
	if _, err := n.fed.actor(ctx, r.Actor("alice"), true); err == nil {
		t.Error("fetched an actor on loopback")
	}
}

// RFC 9421 signatures are accepted (so Fedify and Mastodon 4.5+ need no
// fallback), with the same rules: digest of the exact body, a fresh
// creation time, and the key owner as the actor.
func TestRFC9421Signatures(t *testing.T) {
	log := &refusalLog{}
	n := newNode(t, withRefusals(log))
	r := fedtest.New(t, "alice", "bob")
	now := time.Now()
	if resp := r.SendRFC9421("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "9421"), now, false); resp.StatusCode != 202 {
		t.Fatalf("RFC 9421 follow: %d", resp.StatusCode)
	}
	log.expect(t, "RFC 9421 follow")
	n.settle()
	if followers(t, n) != 1 || len(r.OfType("Accept")) != 1 {
		t.Errorf("followers %d, accepts %d", followers(t, n), len(r.OfType("Accept")))
	}
	for _, c := range []struct {
		name   string
		send   func() *http.Response
		reason refusal
	}{
		{"tampered body", func() *http.Response {
			return r.SendRFC9421("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "t"), now, true)
		}, refusedDigest},
		{"stale", func() *http.Response {
			return r.SendRFC9421("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "s"), now.Add(-2*time.Hour), false)
		}, refusedDate},
		{"wrong actor", func() *http.Response {
			return r.SendRFC9421("bob", n.url+"/inbox", followOf(r, "alice", n.group(), "w"), now, false)
		}, refusedSignerNotActor},
		{"no signature for the label", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "l"), fedtest.RFC9421Options{Label: "sig2"})
		}, refusedSignatureSyntax},
		{"another algorithm", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "a"), fedtest.RFC9421Options{Alg: "ed25519"})
		}, refusedAlgorithm},
		{"no keyid", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "k"), fedtest.RFC9421Options{NoKeyID: true})
		}, refusedSignatureSyntax},
		{"method not covered", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "m"), fedtest.RFC9421Options{
				Components: []string{"@target-uri", "@authority", "content-digest"}})
		}, refusedTargetNotSigned},
		{"target not covered", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "tg"), fedtest.RFC9421Options{
				Components: []string{"@method", "@authority", "content-digest"}})
		}, refusedTargetNotSigned},
		{"content-digest not covered", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "d"), fedtest.RFC9421Options{
				Components: []string{"@method", "@target-uri", "@authority"}})
		}, refusedDigestNotSigned},
		{"a covered header that is missing", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "x"), fedtest.RFC9421Options{
				Components: []string{"@method", "@target-uri", "content-digest", "x-absent"}})
		}, refusedSignatureSyntax},
		{"a covered Date two hours old", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "dt"), fedtest.RFC9421Options{
				NoCreated: true, Date: now.Add(-2 * time.Hour), Components: []string{"@method", "@target-uri", "content-digest", "date"}})
		}, refusedDate},
	} {
		if resp := c.send(); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", c.name, resp.StatusCode)
		}
		log.expect(t, c.name, c.reason)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// A body that cannot be read is refused with 400, for that reason.
func TestUnreadableBody(t *testing.T) {
	log := &refusalLog{}
	n := newNode(t, withRefusals(log))
	req := httptest.NewRequest(http.MethodPost, "/inbox", failingReader{})
	w := httptest.NewRecorder()
	n.fed.ServeHTTP(w, req)
	if w.Code != http.StatusBadRequest || w.Body.Len() > 1 {
		t.Errorf("unreadable body: %d %q", w.Code, w.Body.String())
	}
	log.expect(t, "unreadable body", refusedBodyUnreadable)
}
