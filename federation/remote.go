package federation

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"hearth/instance"
)

// errRemoteGone means the remote server answered 410 (the actor or object
// was deleted).
var errRemoteGone = errors.New("federation: remote object is gone")

// statusError is a remote server's answer other than 200 to one of our
// GETs.
type statusError struct {
	what   string
	code   int
	status string
}

func (e *statusError) Error() string { return "federation: " + e.what + ": " + e.status }

// transient reports whether a failed request to a remote server is worth
// trying again later: the server could not be reached, timed out, or
// answered 5xx, 408 or 429. A 4xx, a document that is not what we asked
// for, a blocked or private address is final.
func transient(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.code >= 500 || se.code == http.StatusRequestTimeout || se.code == http.StatusTooManyRequests
	}
	if errors.Is(err, errPrivateAddress) || errors.Is(err, errInsecureScheme) || errors.Is(err, errRemoteGone) {
		return false
	}
	var ue *url.Error // what http.Client.Do returns: DNS, connection, TLS, timeout
	return errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded)
}

// actorCacheTTL is how long a cached remote actor is trusted before a
// routine refetch (a failed signature refetches at once).
const actorCacheTTL = 24 * time.Hour

func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// idOf reads an IRI from a JSON-LD value that is either a string or an
// object with an id.
func idOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		s, _ := t["id"].(string)
		return s
	case []any:
		if len(t) > 0 {
			return idOf(t[0])
		}
	}
	return ""
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// typeOf reads "type", which may be a string or a list (first known wins).
func typeOf(m map[string]any) string {
	switch t := m["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				return s
			}
		}
	}
	return ""
}

// fetch GETs an ActivityPub document, signed by our instance actor (so
// servers in authorized-fetch mode, and GoToSocial, answer).
func (f *Federation) fetch(ctx context.Context, iri string) (map[string]any, error) {
	if ctx.Value(noNetworkKey{}) != nil {
		return nil, errNeedsNetwork
	}
	if !f.allowedScheme(iri) {
		return nil, refused(refusedScheme, "not an https IRI: %q", iri)
	}
	u, _ := url.Parse(iri)
	if f.blockedHost(u.Hostname()) {
		return nil, fmt.Errorf("federation: %s is blocked", u.Hostname())
	}
	ctx, cancel := contextWithTimeout(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, iri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	req.Header.Set("User-Agent", f.userAgent)
	key, err := f.keys.get(ctx, instance.InstanceSigner)
	if err != nil {
		return nil, err
	}
	if err := signRequest(req, nil, key.private, f.uris.keyID(f.uris.instanceActor()), f.now()); err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// A server speaks only for its own URLs: a redirect to another origin
	// (an open redirect, say) would let that origin answer for this one.
	if final := resp.Request.URL.String(); !sameOrigin(final, iri) {
		return nil, refused(refusedCrossOrigin, "GET %s was answered from %s", iri, final)
	}
	switch {
	case resp.StatusCode == http.StatusGone:
		return nil, errRemoteGone
	case resp.StatusCode != http.StatusOK:
		return nil, &statusError{what: "GET " + iri, code: resp.StatusCode, status: resp.Status}
	}
	if ct := resp.Header.Get("Content-Type"); !activityPubType(ct) {
		return nil, refused(refusedContentType, "GET %s: Content-Type %q is not ActivityPub", iri, ct)
	}
	body, err := readBody(resp.Body)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := decodeJSON(body, &m); err != nil {
		return nil, fmt.Errorf("federation: GET %s: %w", iri, err)
	}
	return m, nil
}

// activityPubType reports whether a Content-Type is ActivityPub JSON:
// application/activity+json, or application/ld+json with the
// ActivityStreams profile (Mastodon ignores anything else, and a server
// may serve uploaded files as application/json).
func activityPubType(contentType string) bool {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mediaType {
	case activityJSON:
		return true
	case "application/ld+json":
		return slices.Contains(strings.Fields(params["profile"]), "https://www.w3.org/ns/activitystreams")
	}
	return false
}

// allowedScheme reports whether an id or URL from another server may be
// used or fetched: an absolute https URL, or http when private addresses
// are allowed (tests and development on one machine). file:, gopher:,
// data: and the rest never are.
func (f *Federation) allowedScheme(iri string) bool {
	u, err := url.Parse(iri)
	if err != nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return f.opt.AllowPrivateAddresses
	}
	return false
}

var actorTypes = map[string]bool{"Person": true, "Group": true, "Application": true, "Service": true, "Organization": true}

// parseActor reads the fields we keep from an actor document fetched
// from iri. The document's id must be the IRI we asked for (Mastodon's
// rule: a server speaks only for its own URLs).
func parseActor(iri string, m map[string]any, now time.Time) (*instance.RemoteActor, error) {
	id := str(m, "id")
	if id == "" || stripFragment(id) != stripFragment(iri) {
		return nil, refused(refusedActorDocument, "actor document id %q does not match %q", id, iri)
	}
	a := &instance.RemoteActor{ID: id, Type: typeOf(m), Username: str(m, "preferredUsername"), Host: hostOf(id),
		Inbox: idOf(m["inbox"]), FetchedAt: now}
	if len([]rune(a.Username)) > 64 {
		a.Username = ""
	}
	a.Name = str(m, "name")
	if len([]rune(a.Name)) > 100 {
		a.Name = string([]rune(a.Name)[:100])
	}
	if u := idOf(m["url"]); strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		a.URL = u // a profile link, shown to people: never javascript: or the like
	}
	if ep, ok := m["endpoints"].(map[string]any); ok {
		a.SharedInbox = str(ep, "sharedInbox")
	}
	pk := m["publicKey"]
	if list, ok := pk.([]any); ok && len(list) > 0 {
		pk = list[0]
	}
	if k, ok := pk.(map[string]any); ok {
		a.KeyID, a.PublicKeyPEM = str(k, "id"), str(k, "publicKeyPem")
		if owner := idOf(k["owner"]); owner != "" && owner != id {
			return nil, refused(refusedKeyOwner, "key %s of %s is owned by %s", a.KeyID, id, owner)
		}
		if a.KeyID != "" && !sameOrigin(a.KeyID, id) {
			return nil, refused(refusedKeyOwner, "key %s of %s is on another origin", a.KeyID, id)
		}
	}
	for _, u := range []string{a.Inbox, a.SharedInbox} {
		if u != "" && !sameOrigin(u, id) {
			return nil, refused(refusedActorDocument, "actor %s has an inbox on another origin", id)
		}
	}
	return a, nil
}

// actor returns a remote actor, from the cache when fresh.
func (f *Federation) actor(ctx context.Context, iri string, refresh bool) (*instance.RemoteActor, error) {
	memo, _ := ctx.Value(laneActorKey{}).(*laneActor)
	if memo != nil && memo.iri != iri {
		memo = nil
	}
	if !refresh {
		if memo != nil && memo.a != nil && f.now().Sub(memo.a.FetchedAt) < actorCacheTTL {
			return memo.a, nil
		}
		if a, err := f.store.RemoteActor(ctx, iri); err == nil && f.now().Sub(a.FetchedAt) < actorCacheTTL && a.Inbox != "" {
			if memo != nil {
				memo.a = a
			}
			return a, nil
		}
	}
	m, err := f.fetch(ctx, iri)
	if err != nil {
		return nil, err
	}
	if !actorTypes[typeOf(m)] {
		return nil, refused(refusedActorDocument, "%s is a %q, not an actor", iri, typeOf(m))
	}
	a, err := parseActor(iri, m, f.now())
	if err != nil {
		return nil, err
	}
	if a.Inbox == "" {
		return nil, refused(refusedActorDocument, "actor %s has no inbox", iri)
	}
	if err := f.store.SaveRemoteActor(ctx, a); err != nil {
		return nil, err
	}
	if memo != nil {
		memo.a = a // a refreshed actor is what the lane's next activities see
	}
	return a, nil
}

// keyFor returns the actor owning keyID and its public key. Mastodon key
// ids are actor#main-key; GoToSocial's are actor/main-key, which serves a
// stub actor with the key, so we then fetch the actor itself.
func (f *Federation) keyFor(ctx context.Context, keyID string, refresh bool) (*instance.RemoteActor, *rsa.PublicKey, error) {
	if !refresh {
		if k, ok := f.keyMemo.get(keyID, f.now()); ok {
			return k.actor, k.pub, nil
		}
		if a, err := f.store.RemoteActorByKeyID(ctx, keyID); err == nil && f.now().Sub(a.FetchedAt) < actorCacheTTL {
			pub, err := parsePublicKey(a.PublicKeyPEM)
			if err == nil {
				f.keyMemo.put(keyID, cachedKey{actor: a, pub: pub})
			}
			return a, pub, err
		}
	}
	m, err := f.fetch(ctx, stripFragment(keyID))
	if err != nil {
		return nil, nil, err
	}
	owner := str(m, "id")
	if k, ok := m["publicKey"].(map[string]any); ok && idOf(k["owner"]) != "" {
		owner = idOf(k["owner"])
	} else if o := idOf(m["owner"]); o != "" { // a bare key document
		owner = o
	}
	if owner == "" || !sameOrigin(owner, keyID) {
		return nil, nil, refused(refusedKeyOwner, "key %s has no owner on its own origin (owner %q)", keyID, owner)
	}
	a, err := f.actor(ctx, owner, true)
	if err != nil {
		return nil, nil, err
	}
	if a.KeyID != keyID {
		return nil, nil, refused(refusedKeyOwner, "actor %s does not list key %s", owner, keyID)
	}
	pub, err := parsePublicKey(a.PublicKeyPEM)
	if err == nil {
		f.keyMemo.put(keyID, cachedKey{actor: a, pub: pub})
	}
	return a, pub, err
}

// lookup finds an actor IRI by WebFinger (user@host).
func (f *Federation) lookup(ctx context.Context, user, host string) (string, error) {
	if ctx.Value(noNetworkKey{}) != nil {
		return "", errNeedsNetwork
	}
	if f.blockedHost(host) {
		return "", fmt.Errorf("federation: %s is blocked", host)
	}
	scheme := "https"
	if strings.HasPrefix(f.uris.base, "http://") && f.opt.AllowPrivateAddresses {
		scheme = "http" // tests on loopback
	}
	q := url.Values{"resource": {"acct:" + user + "@" + host}}
	ctx, cancel := contextWithTimeout(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+host+"/.well-known/webfinger?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/jrd+json, application/json")
	req.Header.Set("User-Agent", f.userAgent)
	resp, err := f.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &statusError{what: "webfinger " + user + "@" + host, code: resp.StatusCode, status: resp.Status}
	}
	body, err := readBody(resp.Body)
	if err != nil {
		return "", err
	}
	var jrd struct {
		Links []struct{ Rel, Type, Href string } `json:"links"`
	}
	if err := json.Unmarshal(body, &jrd); err != nil {
		return "", err
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && (l.Type == activityJSON || strings.HasPrefix(l.Type, "application/ld+json")) && l.Href != "" {
			return l.Href, nil
		}
	}
	return "", fmt.Errorf("federation: webfinger %s@%s has no ActivityPub link", user, host)
}
