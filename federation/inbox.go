package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"hearth/instance"
)

// maxInboxBytes caps an inbound activity (Mastodon's limit too).
const maxInboxBytes = 1 << 20

// inbox receives activities on every inbox (shared, groups', members',
// the instance actor's). It caps the body, checks the domain block, the
// signature (algorithm, signed headers, Date, Digest, the key itself with
// one refetch on failure), that the key's owner is the activity's actor,
// records the activity by id, and answers 202 at once; a worker processes
// it. Failures get a bare status; the reason goes to the log only.
func (f *Federation) inbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f.batch.inFlight.Add(1)
	defer f.batch.inFlight.Add(-1)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInboxBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			f.refuse(w, r, http.StatusRequestEntityTooLarge, refusedBodyTooLarge, "body over 1 MiB")
			return
		}
		f.refuse(w, r, http.StatusBadRequest, refusedBodyUnreadable, err.Error())
		return
	}
	// A blocked domain is refused before any key fetch (GoToSocial does so).
	keyID := signatureParams(r.Header.Get("Signature"))["keyid"]
	if in, ok := parseSignatureInput(r.Header.Get("Signature-Input")); ok {
		keyID = in.params["keyid"]
	}
	if keyID != "" {
		if u, err := url.Parse(keyID); err == nil && f.blockedHost(u.Hostname()) {
			f.refuse(w, r, http.StatusForbidden, refusedBlockedDomain, "keyId on "+u.Hostname())
			return
		}
	}
	check, err := f.checkSignature(r, body)
	if err != nil {
		f.refuse(w, r, http.StatusUnauthorized, reasonOf(err, refusedSignatureSyntax), err.Error())
		return
	}
	var m map[string]any
	if err := decodeJSON(body, &m); err != nil {
		f.refuse(w, r, http.StatusBadRequest, refusedNotJSON, "body is not JSON")
		return
	}
	id, typ, actor := str(m, "id"), typeOf(m), idOf(m["actor"])
	if id == "" || typ == "" || actor == "" {
		f.refuse(w, r, http.StatusBadRequest, refusedIncomplete, "activity without id, type or actor")
		return
	}
	if f.blockedHost(hostOf(actor)) {
		f.refuse(w, r, http.StatusForbidden, refusedBlockedDomain, "actor on "+hostOf(actor))
		return
	}
	if _, actors := f.blocks(); actors[actor] {
		f.refuse(w, r, http.StatusForbidden, refusedBlockedActor, actor)
		return
	}
	if !f.perHost.allow(hostOf(actor)) {
		w.Header().Set("Retry-After", "300")
		f.refuse(w, r, http.StatusTooManyRequests, refusedRateHost, "too many activities from "+hostOf(actor))
		return
	}
	owner, err := f.verifyKey(ctx, check)
	if err != nil {
		// A deleted account signs its own Delete with a key that can no
		// longer be fetched; there is nothing of theirs to trust, so
		// accept and do nothing.
		if errors.Is(err, errRemoteGone) && typ == "Delete" && idOf(m["object"]) == actor {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		f.refuse(w, r, http.StatusUnauthorized, reasonOf(err, refusedKeyUnavailable), err.Error())
		return
	}
	if owner.ID != actor {
		f.refuse(w, r, http.StatusUnauthorized, refusedSignerNotActor, "key owner "+owner.ID+" is not the actor "+actor)
		return
	}
	if !sameHost(id, actor) {
		f.refuse(w, r, http.StatusUnauthorized, refusedActivityOrigin, "activity id "+id+" is not on the actor's host")
		return
	}
	if !handles(typ) {
		// Likes, Announces, emoji reactions…: verified like everything
		// else, then answered without being stored, since Hearth shows
		// none of them (and they are most of what a popular post brings).
		f.contacted(ctx, hostOf(actor))
		w.WriteHeader(http.StatusAccepted)
		return
	}
	fresh, err := f.enqueue(ctx, instance.InboxRow{ActivityID: id, Actor: actor, Type: typ, Body: body})
	if err != nil {
		f.internal(w, r, err)
		return
	}
	f.log.Info("activity received", "activity_id", id, "type", typ, "actor", actor, "result", map[bool]string{true: "queued", false: "duplicate"}[fresh])
	w.WriteHeader(http.StatusAccepted)
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
