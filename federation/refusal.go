package federation

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// refusal is why an inbound request (or a document fetched for one) was
// refused. It goes to our log as the "reason" field, so an operator can
// count and act on it and a test can assert it; the remote server only
// ever sees a bare status code.
type refusal string

const (
	refusedBodyTooLarge    refusal = "body_too_large"
	refusedBodyUnreadable  refusal = "body_unreadable"
	refusedNotJSON         refusal = "not_json"
	refusedIncomplete      refusal = "incomplete"        // no id, type or actor
	refusedBlockedDomain   refusal = "blocked_domain"    // keyId or actor on a blocked domain
	refusedBlockedActor    refusal = "blocked_actor"     // actor blocked by a coordinator
	refusedNoSignature     refusal = "no_signature"      // no Signature header
	refusedSignatureSyntax refusal = "signature_syntax"  // unparseable, no keyId, no value
	refusedAlgorithm       refusal = "algorithm"         // not rsa-sha256 / hs2019 / rsa-v1_5-sha256
	refusedTargetNotSigned refusal = "target_not_signed" // (request-target), or @method and the target
	refusedHostNotSigned   refusal = "host_not_signed"
	refusedDateNotSigned   refusal = "date_not_signed" // neither date nor (created)
	refusedDigestNotSigned refusal = "digest_not_signed"
	refusedDigest          refusal = "digest"  // Digest / Content-Digest missing or not the body's
	refusedDate            refusal = "date"    // Date or created missing, unparseable or outside the window
	refusedExpired         refusal = "expired" // expires missing when signed, unparseable or past
	refusedHost            refusal = "host"    // the request is not addressed to our host
	refusedKeyUnavailable  refusal = "key_unavailable"
	refusedKeyOwner        refusal = "key_owner"        // the key is not its actor's, on the actor's origin
	refusedBadSignature    refusal = "bad_signature"    // the signature does not verify with the key
	refusedSignerNotActor  refusal = "signer_not_actor" // the key's owner is not the activity's actor
	refusedActivityOrigin  refusal = "activity_origin"  // the activity id is not on the actor's origin
	refusedScheme          refusal = "scheme"           // an id or URL that is not https
	refusedCrossOrigin     refusal = "cross_origin"     // a document served from another origin than its URL
	refusedContentType     refusal = "content_type"     // a fetched document that is not ActivityPub JSON
	refusedActorDocument   refusal = "actor_document"   // an actor document that does not speak for itself
	refusedRateHost        refusal = "rate_host"        // too many verified activities from one server
	refusedRateClient      refusal = "rate_client"      // too many failed requests from one address
	refusedNotFollower     refusal = "not_follower"     // a signed GET of a followers-only object
)

// status is the bare status code a remote server gets for a refusal.
func (r refusal) status() int {
	switch r {
	case refusedBodyTooLarge:
		return http.StatusRequestEntityTooLarge
	case refusedBodyUnreadable, refusedNotJSON, refusedIncomplete:
		return http.StatusBadRequest
	case refusedBlockedDomain, refusedBlockedActor:
		return http.StatusForbidden
	case refusedRateHost, refusedRateClient:
		return http.StatusTooManyRequests
	}
	return http.StatusUnauthorized
}

// refusedError carries a refusal reason with the detail for our log, and
// the underlying error (errRemoteGone, say) when there is one.
type refusedError struct {
	reason refusal
	detail string
	err    error
}

func (e *refusedError) Error() string {
	return "federation: refused (" + string(e.reason) + "): " + e.detail
}

func (e *refusedError) Unwrap() error { return e.err }

// refused builds a refusedError.
func refused(reason refusal, format string, args ...any) error {
	return &refusedError{reason: reason, detail: fmt.Sprintf(format, args...)}
}

// reasonOf returns the refusal carried by err, or fallback when it
// carries none.
func reasonOf(err error, fallback refusal) refusal {
	var re *refusedError
	if errors.As(err, &re) {
		return re.reason
	}
	return fallback
}

// refuse answers a remote server with a bare status and logs why.
func (f *Federation) refuse(w http.ResponseWriter, r *http.Request, status int, reason refusal, detail string) {
	f.logRefusal(r, status, reason, detail)
	http.Error(w, "", status)
}

// logRefusal records a refusal; GETs (a signed fetch of a followers-only
// object that did not qualify) are answered 404 by their handler.
func (f *Federation) logRefusal(r *http.Request, status int, reason refusal, detail string) {
	level := slog.LevelWarn
	if r.Method != http.MethodPost {
		level = slog.LevelInfo
	}
	f.log.Log(r.Context(), level, "inbound request refused", "status", status, "reason", string(reason), "detail", detail,
		"path", r.URL.Path, "remote", r.RemoteAddr, "user_agent", r.UserAgent())
}
