package federation

import (
	"net/http"
	"strings"
	"testing"

	"hearth/federation/fedtest"
)

// forgedActor makes evil serve, at its own path /forged, an actor document
// whose id is iri (a URL on another server), with mallory's key.
func forgedActor(evil *fedtest.Remote, iri, inbox string) {
	evil.Serve("/forged", activityJSON, map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":       iri, "type": "Person", "preferredUsername": "alice", "name": "Alice", "inbox": inbox,
		"publicKey": map[string]any{"id": iri + "#main-key", "owner": iri, "publicKeyPem": evil.PublicKeyPEM("mallory")},
	})
}

// An open redirect on a server must not let another server speak for it:
// a document is used only if it was served from the origin of the URL we
// asked for (FEP-fe34). Here evil signs a reply as an "actor" whose id is
// a redirect on victim to evil's own document; it would be shown as
// @alice@victim.
func TestActorBehindCrossOriginRedirect(t *testing.T) {
	log := &refusalLog{}
	n := newNode(t, withRefusals(log))
	victim, evil := fedtest.New(t), fedtest.New(t, "mallory")
	it := n.postNeed("public")
	forged := victim.Redirect(evil.URL + "/forged")
	forgedActor(evil, forged, victim.URL+"/inbox")
	note := map[string]any{"id": victim.URL + "/notes/1", "type": "Note", "attributedTo": forged, "inReplyTo": n.url + it.Path(),
		"content": "<p>It is me, Alice</p>", "to": []any{publicCollection}}
	create := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": victim.URL + "/notes/1/activity",
		"type": "Create", "actor": forged, "object": note, "to": []any{publicCollection}}
	resp := evil.Send("mallory", n.url+"/inbox", create, fedtest.SendOptions{KeyID: forged + "#main-key"})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reply through an open redirect: %d, want 401", resp.StatusCode)
	}
	log.expect(t, "reply through an open redirect", refusedCrossOrigin)
	n.settle()
	if list := responses(t, n, it); len(list) != 0 {
		t.Errorf("the forged reply was stored as %s", list[0].AuthorHandle)
	}
	if _, err := n.st.RemoteActor(ctx, forged); err == nil {
		t.Error("the forged actor was cached")
	}
}

// A redirect within one origin is fine (a server moving a document), but
// the document still has to be the one we asked for.
func TestActorFetchRedirects(t *testing.T) {
	n := newNode(t)
	r, evil := fedtest.New(t, "alice"), fedtest.New(t, "mallory")
	moved := r.Redirect(r.URL + "/moved")
	r.Serve("/moved", activityJSON, map[string]any{"id": moved, "type": "Person", "inbox": r.URL + "/inbox"})
	if a, err := n.fed.actor(ctx, moved, true); err != nil || a.ID != moved {
		t.Errorf("same-origin redirect: %v, %v", a, err)
	}
	away := r.Redirect(evil.URL + "/forged")
	forgedActor(evil, away, r.URL+"/inbox")
	if _, err := n.fed.actor(ctx, away, true); reasonOf(err, "") != refusedCrossOrigin {
		t.Errorf("cross-origin redirect: %v", err)
	}
	// The same host on another port is another origin.
	other := fedtest.New(t)
	if _, err := n.fed.actor(ctx, other.Redirect(r.Actor("alice")), true); reasonOf(err, "") != refusedCrossOrigin {
		t.Errorf("redirect to another port: %v", err)
	}
}

// A key speaks for an actor only if the actor, on the key's own origin,
// lists it (FEP-fe34's reciprocal claim; security-catalogue T6, T7).
func TestKeyMustBeOwnedByTheActor(t *testing.T) {
	log := &refusalLog{}
	n := newNode(t, withRefusals(log))
	victim, evil := fedtest.New(t, "alice"), fedtest.New(t, "mallory")
	follow := func(actor string) map[string]any {
		return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": actor + "#follow", "type": "Follow",
			"actor": actor, "object": n.group()}
	}
	// A bare key document on evil claiming to belong to victim's alice.
	evil.Serve("/keys/1", activityJSON, map[string]any{"id": evil.URL + "/keys/1", "type": "Key",
		"owner": victim.Actor("alice"), "publicKeyPem": evil.PublicKeyPEM("mallory")})
	resp := evil.Send("mallory", n.url+"/inbox", follow(victim.Actor("alice")), fedtest.SendOptions{KeyID: evil.URL + "/keys/1"})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("key owned by an actor on another server: %d", resp.StatusCode)
	}
	log.expect(t, "key owned by an actor on another server", refusedKeyOwner)
	// A key document owned by mallory, which mallory's actor does not list.
	evil.Serve("/keys/2", activityJSON, map[string]any{"id": evil.URL + "/keys/2", "type": "Key",
		"owner": evil.Actor("mallory"), "publicKeyPem": evil.PublicKeyPEM("mallory")})
	resp = evil.Send("mallory", n.url+"/inbox", follow(evil.Actor("mallory")), fedtest.SendOptions{KeyID: evil.URL + "/keys/2"})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("key not listed by its owner: %d", resp.StatusCode)
	}
	log.expect(t, "key not listed by its owner", refusedKeyOwner)
	// An actor whose key says it belongs to someone else.
	evil.Serve("/users/eve", activityJSON, map[string]any{"id": evil.URL + "/users/eve", "type": "Person", "inbox": evil.URL + "/inbox",
		"publicKey": map[string]any{"id": evil.URL + "/users/eve#main-key", "owner": evil.Actor("mallory"), "publicKeyPem": evil.PublicKeyPEM("mallory")}})
	resp = evil.Send("mallory", n.url+"/inbox", follow(evil.URL+"/users/eve"), fedtest.SendOptions{KeyID: evil.URL + "/users/eve#main-key"})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("actor whose key is someone else's: %d", resp.StatusCode)
	}
	log.expect(t, "actor whose key is someone else's", refusedKeyOwner)
	n.settle()
	if followers(t, n) != 0 {
		t.Error("a follower was added with a key its actor does not own")
	}
}

func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://remote.example/users/a", "https://remote.example/notes/1", true},
		{"https://REMOTE.example:443/users/a", "https://remote.example/x", true},
		{"http://remote.example:80/a", "http://remote.example/b", true},
		{"http://remote.example/a", "https://remote.example/a", false},
		{"https://remote.example:8443/a", "https://remote.example/a", false},
		{"https://remote.example/a", "https://other.example/a", false},
		{"https://xn--remote-9dg.example/a", "https://remote.example/a", false},
		{"https://[2001:db8::1]/a", "https://[2001:db8::1]:443/b", true},
		{"https://alice@evil.example/a", "https://evil.example/b", true},
		{"remote.example/a", "remote.example/a", false},
		{"", "", false},
	} {
		if got := sameOrigin(c.a, c.b); got != c.same {
			t.Errorf("sameOrigin(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// Fetched documents must be ActivityPub JSON (Mastodon's rule, and
// CVE-2024-25623: an uploaded file served as application/json must not
// become an actor).
func TestFetchedDocumentsNeedTheActivityPubType(t *testing.T) {
	log := &refusalLog{}
	n := newNode(t, withRefusals(log))
	for _, c := range []struct {
		contentType string
		ok          bool
	}{
		{"application/activity+json", true},
		{"application/activity+json; charset=utf-8", true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{`application/ld+json;profile="https://www.w3.org/ns/activitystreams http://www.w3.org/ns/json-ld#compacted"`, true},
		{"application/json", false},
		{"text/html; charset=utf-8", false},
		{"image/png", false},
		{"application/ld+json", false},
		{`application/ld+json; profile="https://example.org/other"`, false},
		{"application/activity+jsonp", false},
	} {
		r := fedtest.New(t, "alice")
		r.ContentType = c.contentType
		_, err := n.fed.actor(ctx, r.Actor("alice"), true)
		if c.ok && err != nil {
			t.Errorf("%q refused: %v", c.contentType, err)
		}
		if !c.ok && reasonOf(err, "") != refusedContentType {
			t.Errorf("%q: %v, want refused for its content type", c.contentType, err)
		}
	}
	// Through the inbox: the key of a server answering application/json
	// is not used.
	r := fedtest.New(t, "alice")
	r.ContentType = "application/json"
	if resp := r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "1"), fedtest.SendOptions{}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("follow signed with a key served as application/json: %d", resp.StatusCode)
	}
	log.expect(t, "follow signed with a key served as application/json", refusedContentType)
}

// An actor document speaks only for itself: its id is the URL we asked
// for, it is an actor with an inbox, and its inboxes and key are on its
// own origin and its own.
func TestActorDocumentRules(t *testing.T) {
	n := newNode(t)
	r, other := fedtest.New(t, "alice"), fedtest.New(t, "bob")
	pem := r.PublicKeyPEM("alice")
	actor := func(path string, change func(m map[string]any)) string {
		id := r.URL + path
		m := map[string]any{"id": id, "type": "Person", "inbox": id + "/inbox", "endpoints": map[string]any{"sharedInbox": r.URL + "/inbox"},
			"publicKey": map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": pem}}
		change(m)
		r.Serve(path, activityJSON, m)
		return id
	}
	for _, c := range []struct {
		name   string
		change func(m map[string]any)
		reason refusal
	}{
		{"well formed", func(map[string]any) {}, ""},
		{"id of another actor", func(m map[string]any) { m["id"] = r.Actor("alice") }, refusedActorDocument},
		{"not an actor", func(m map[string]any) { m["type"] = "Note" }, refusedActorDocument},
		{"no inbox", func(m map[string]any) { delete(m, "inbox") }, refusedActorDocument},
		{"inbox on another origin", func(m map[string]any) { m["inbox"] = other.URL + "/inbox" }, refusedActorDocument},
		{"shared inbox on another origin", func(m map[string]any) { m["endpoints"] = map[string]any{"sharedInbox": other.URL + "/inbox"} }, refusedActorDocument},
		{"key owned by another actor", func(m map[string]any) { m["publicKey"].(map[string]any)["owner"] = r.Actor("alice") }, refusedKeyOwner},
		{"key on another origin", func(m map[string]any) { m["publicKey"].(map[string]any)["id"] = other.KeyID("bob") }, refusedKeyOwner},
	} {
		id := actor("/actors/"+strings.ReplaceAll(c.name, " ", "-"), c.change)
		_, err := n.fed.actor(ctx, id, true)
		if c.reason == "" && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.reason != "" && reasonOf(err, "") != c.reason {
			t.Errorf("%s: %v, want refused for %s", c.name, err, c.reason)
		}
	}
}

// A key document naming an owner on another origin is refused without
// fetching that owner (we do not fetch what a stranger points us at).
func TestKeyOwnerOnAnotherOriginIsNotFetched(t *testing.T) {
	n := newNode(t)
	victim, evil := fedtest.New(t, "alice"), fedtest.New(t, "mallory")
	evil.Serve("/keys/1", activityJSON, map[string]any{"id": evil.URL + "/keys/1", "type": "Key",
		"owner": victim.Actor("alice"), "publicKeyPem": evil.PublicKeyPEM("mallory")})
	if _, _, err := n.fed.keyFor(ctx, evil.URL+"/keys/1", true); reasonOf(err, "") != refusedKeyOwner {
		t.Errorf("key owned on another origin: %v", err)
	}
	if gets := victim.Gets(); len(gets) != 0 {
		t.Errorf("the named owner's server was fetched: %v", gets)
	}
}
