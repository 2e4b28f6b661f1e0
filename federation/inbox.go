package federation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hearth/instance"
)

// maxInboxBytes caps an inbound activity (Mastodon's limit too).
const maxInboxBytes = 1 << 20

// inbox receives activities on every inbox (shared, groups', members',
// the instance actor's). admit verifies the request; a verified activity
// is then charged to its server's limit, recorded by id, and answered 202
// at once; a worker processes it. Failures get a bare status; the reason
// goes to the log only.
func (f *Federation) inbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f.batch.inFlight.Add(1)
	defer f.batch.inFlight.Add(-1)
	// Until a request is verified, it proves nothing about the server it
	// names: a refused one is counted against the address it came from,
	// so anonymous requests cannot spend a real server's limit.
	client := f.clientKey(r)
	if f.perClient.full(client) {
		w.Header().Set("Retry-After", "300")
		f.refuseInbox(w, r, refusedRateClient, "too many refused requests from "+client)
		return
	}
	in, err := f.admit(ctx, w, r)
	if err != nil {
		reason := reasonOf(err, refusedKeyUnavailable)
		// A key we could not check may be our database's fault, not the
		// sender's: then it is asked to send again, and not charged.
		if reason == refusedKeyUnavailable && f.storeDown(ctx, err) {
			f.unavailable(w, r, err)
			return
		}
		f.perClient.add(client)
		f.refuseInbox(w, r, reason, err.Error())
		return
	}
	if in.goneDelete {
		// A deleted account signs its own Delete with a key that can no
		// longer be fetched; there is nothing of theirs to trust, so
		// accept and do nothing.
		f.accepted(w, "gone_delete")
		return
	}
	host := hostOf(in.actor)
	if !f.perHost.allow(host) {
		w.Header().Set("Retry-After", "300")
		f.refuseInbox(w, r, refusedRateHost, "too many activities from "+host)
		return
	}
	if !handles(in.typ) {
		// Likes, Announces, emoji reactions…: verified like everything
		// else, then answered without being stored, since Hearth shows
		// none of them (and they are most of what a popular post brings).
		f.contacted(ctx, host)
		f.accepted(w, "ignored")
		return
	}
	row := instance.InboxRow{ActivityID: in.id, Actor: in.actor, Type: in.typ, Body: in.body}
	if in.version != "" {
		row.Key = in.id + " " + in.version
	}
	// Nothing was stored when enqueue fails, whatever the cause: the
	// sender is asked to try again (503), never told 202.
	fresh, err := f.enqueue(ctx, row)
	if err != nil {
		f.unavailable(w, r, err)
		return
	}
	result := "queued"
	if !fresh {
		result = "duplicate"
	}
	if !fresh && in.typ == "Follow" {
		if result, err = f.followAgain(ctx, row); err != nil {
			f.unavailable(w, r, err)
			return
		}
	}
	if f.log.Enabled(ctx, slog.LevelInfo) { // its arguments cost allocations even when the level is off
		f.log.Info("activity received", "activity_id", in.id, "type", in.typ, "actor", in.actor, "object", in.object, "result", result)
	}
	f.accepted(w, result)
}

// followAgain handles a Follow whose id we have seen. Mastodon answers a
// repeated Follow with a fresh Accept (follow.rb: "fast-forward repeat
// follow requests"): the other server may have missed the first and
// would show the follow as requested for ever. So while the follow it
// made is current (its actor still follows us with that Follow id), it is
// queued again, at most once a minute (the key names the minute), and
// answered; one that was undone since is a replay, and stays refused.
func (f *Federation) followAgain(ctx context.Context, row instance.InboxRow) (string, error) {
	current, err := f.store.FollowIsCurrent(ctx, row.ActivityID, row.Actor)
	if err != nil || !current {
		return "duplicate", err
	}
	row.Key = row.ActivityID + " again " + f.now().UTC().Truncate(time.Minute).Format(time.RFC3339)
	fresh, err := f.enqueue(ctx, row)
	if err != nil || !fresh {
		return "duplicate", err
	}
	return "repeated", nil
}

// envelope is what the inbox reads of an activity before queueing it.
type envelope struct {
	id, typ, actor string
	object         string // the object's id, when it has one
	// version tells apart two Updates under one id (GoToSocial sends
	// every edit of a status as …/activity#Update): the object's
	// `updated`, or, without one, a hash of the object.
	version string
}

// parseEnvelope reads an inbound body: a JSON object with an id, a type
// and an actor.
func parseEnvelope(body []byte) (*envelope, error) {
	var m map[string]any
	if err := decodeJSON(body, &m); err != nil {
		return nil, refused(refusedNotJSON, "body is not a JSON object: %v", err)
	}
	e := &envelope{id: str(m, "id"), typ: typeOf(m), actor: idOf(m["actor"]), object: idOf(m["object"])}
	if e.id == "" || e.typ == "" || e.actor == "" {
		return nil, refused(refusedIncomplete, "activity without id, type or actor")
	}
	if obj, ok := m["object"].(map[string]any); ok && e.typ == "Update" {
		e.version = objectVersion(obj)
	}
	return e, nil
}

// objectVersion names a version of an embedded object: "updated:" and
// its `updated` time (in UTC, so one instant has one name), or "sha256:"
// and the hash of the object (encoding/json writes map keys sorted, so
// the same object has the same hash however its keys were ordered).
func objectVersion(obj map[string]any) string {
	if t, err := time.Parse(time.RFC3339Nano, str(obj, "updated")); err == nil {
		return "updated:" + t.UTC().Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(obj)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// inbound is a verified activity.
type inbound struct {
	*envelope
	body []byte
	// goneDelete is an actor's Delete of itself signed with a key that is
	// gone: accepted, and nothing done.
	goneDelete bool
}

// admit reads and verifies an inbound activity, in this order: the body
// cap, the domain block, the signature (bound to our host; algorithm,
// signed headers, time, digest), the envelope, the blocks, the key itself
// (one refetch on failure), that the key's owner is the activity's actor
// and that the activity is on the actor's origin. Every error is a
// *refusedError.
func (f *Federation) admit(ctx context.Context, w http.ResponseWriter, r *http.Request) (*inbound, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInboxBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, refused(refusedBodyTooLarge, "body over 1 MiB")
		}
		return nil, refused(refusedBodyUnreadable, "%v", err)
	}
	// A blocked domain is refused before any key fetch (GoToSocial does so).
	params, _ := signatureParams(r.Header.Get("Signature"))
	keyID := params["keyId"]
	if in, ok := parseSignatureInput(r.Header.Get("Signature-Input")); ok {
		keyID = in.params["keyid"]
	}
	if keyID != "" {
		if u, err := url.Parse(keyID); err == nil && f.blockedHost(u.Hostname()) {
			return nil, refused(refusedBlockedDomain, "keyId on %s", u.Hostname())
		}
	}
	check, err := f.checkSignature(r, body)
	if err != nil {
		return nil, err
	}
	env, err := parseEnvelope(body)
	if err != nil {
		return nil, err
	}
	for _, c := range [...]struct{ what, iri string }{{"keyId", check.keyID}, {"actor", env.actor}, {"activity id", env.id}} {
		if !f.allowedScheme(c.iri) {
			return nil, refused(refusedScheme, "%s %q is not https", c.what, c.iri)
		}
	}
	if f.blockedHost(hostOf(env.actor)) {
		return nil, refused(refusedBlockedDomain, "actor on %s", hostOf(env.actor))
	}
	if _, actors := f.blocks(); actors[env.actor] {
		return nil, refused(refusedBlockedActor, "%s", env.actor)
	}
	owner, err := f.verifyKey(ctx, check)
	if err != nil {
		if errors.Is(err, errRemoteGone) && env.typ == "Delete" && env.object == env.actor {
			return &inbound{envelope: env, body: body, goneDelete: true}, nil
		}
		if reasonOf(err, "") == "" {
			return nil, &refusedError{reason: refusedKeyUnavailable, detail: err.Error(), err: err}
		}
		return nil, err
	}
	if owner.ID != env.actor {
		return nil, refused(refusedSignerNotActor, "key owner %s is not the actor %s", owner.ID, env.actor)
	}
	if !sameOrigin(env.id, env.actor) {
		return nil, refused(refusedActivityOrigin, "activity id %s is not on the actor's origin", env.id)
	}
	return &inbound{envelope: env, body: body}, nil
}

// clientKey identifies the network a request comes from, for the limit on
// refused requests: the peer address, or the nearest untrusted hop in
// X-Forwarded-For when the peer is a trusted proxy; IPv6 addresses are
// grouped by /64 (as web's sign-in throttle does).
func (f *Federation) clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip != nil && f.opt.TrustedProxy != nil && f.opt.TrustedProxy(ip) {
		hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop := net.ParseIP(strings.TrimSpace(hops[i]))
			if hop == nil {
				break
			}
			ip = hop
			if !f.opt.TrustedProxy(hop) {
				break
			}
		}
	}
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// checkSignature picks the scheme: RFC 9421 when Signature-Input is
// present, draft-cavage otherwise.
func (f *Federation) checkSignature(r *http.Request, body []byte) (*sigCheck, error) {
	rfc9421 := r.Header.Get("Signature-Input") != ""
	if !rfc9421 && r.Header.Get("Signature") == "" {
		return nil, refused(refusedNoSignature, "no Signature header")
	}
	// A signature binds a request to the server it was made for (the
	// signed host, @authority or @target-uri): one made for another
	// server and replayed to us must not count, so the Host it names has
	// to be ours. Both schemes then require the host to be covered.
	if !f.uris.addressedToUs(r.Host) {
		return nil, refused(refusedHost, "addressed to %q, not to %s", r.Host, f.uris.base)
	}
	if rfc9421 {
		return checkRFC9421(r, body, f.uris.base, f.window, f.now())
	}
	return checkSignatureHeaders(r, body, f.window, f.now())
}

// verifyKey checks the signature with the signer's key, refetching the key
// once if the cached one fails (the actor may have rotated it).
func (f *Federation) verifyKey(ctx context.Context, check *sigCheck) (*instance.RemoteActor, error) {
	owner, pub, err := f.keyFor(ctx, check.keyID, false)
	if err == nil {
		if err = check.verify(pub); err == nil {
			return owner, nil
		}
	}
	if errors.Is(err, errRemoteGone) {
		return nil, err
	}
	owner, pub, err = f.keyFor(ctx, check.keyID, true)
	if err != nil {
		return nil, err
	}
	if err := check.verify(pub); err != nil {
		return nil, err
	}
	return owner, nil
}

// signedByFollower reports whether a GET carries a valid signature from a
// follower of the group (for followers-only objects).
func (f *Federation) signedByFollower(r *http.Request, groupID int64) bool {
	check, err := f.checkSignature(r, nil)
	if err != nil {
		f.logRefusal(r, http.StatusNotFound, reasonOf(err, refusedSignatureSyntax), err.Error())
		return false
	}
	owner, err := f.verifyKey(r.Context(), check)
	if err != nil {
		f.logRefusal(r, http.StatusNotFound, reasonOf(err, refusedKeyUnavailable), err.Error())
		return false
	}
	list, err := f.store.ListFollowers(r.Context(), groupID, 0, 1<<30)
	if err != nil {
		f.log.Error("listing followers for a signed fetch", "group_id", groupID, "err", err)
		return false
	}
	for _, fo := range list {
		if fo.ActorID == owner.ID || fo.Host == owner.Host {
			return true
		}
	}
	f.logRefusal(r, http.StatusNotFound, refusedNotFollower, fmt.Sprintf("%s does not follow group %d", owner.ID, groupID))
	return false
}
