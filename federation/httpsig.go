package federation

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Outgoing requests use draft-cavage-12 signatures with rsa-sha256, as
// Mastodon and GoToSocial expect: POST signs (request-target) host date
// digest, GET signs (request-target) host date. Every attempt is signed
// afresh at send time, so a retry hours later carries a current Date.

var (
	postHeaders = []string{httpsig.RequestTarget, "host", "date", "digest"}
	getHeaders  = []string{httpsig.RequestTarget, "host", "date"}
)

// signRequest sets Date, Host and (for a body) Digest, then Signature.
func signRequest(req *http.Request, body []byte, key crypto.PrivateKey, keyID string, now time.Time) error {
	headers := getHeaders
	if body != nil {
		headers = postHeaders
	}
	// httpsig signers are not safe for concurrent use: one per request.
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return err
	}
	req.Header.Del("Signature")
	req.Header.Del("Digest")
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	// Go keeps Host out of req.Header on the client side; httpsig reads
	// only the header map, so without this "host" cannot be signed.
	req.Header.Set("Host", req.URL.Host)
	if err := signer.SignRequest(key, keyID, req, body); err != nil {
		return err
	}
	// go-fed/httpsig writes algorithm="hs2019" whatever the key; say what
	// it really is, which every server accepts.
	req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1))
	return nil
}

// signatureParams parses the Signature header's parameters exactly as
// go-fed/httpsig, which verifies the signature, does: split on commas,
// then at the first "=", quotes trimmed, names case-sensitive. Reading
// them any other way (names in any case, say) would let us check one
// list of signed headers while it verifies another: a signature over
// date alone, checked as one over the body. A part without "=" is
// malformed there, and so here.
func signatureParams(h string) (map[string]string, bool) {
	out := map[string]string{}
	for _, p := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, false
		}
		out[k] = strings.Trim(v, `"`)
	}
	return out, true
}

// signedHeaders is the list of headers= as go-fed/httpsig reads it:
// split on single spaces, lower-cased, "date" when absent.
func signedHeaders(p map[string]string) []string {
	h, ok := p["headers"]
	if !ok {
		return []string{"date"} // the draft's default
	}
	return strings.Split(strings.ToLower(h), " ")
}

// sigCheck is a request whose signature headers have been checked, waiting
// for the key.
type sigCheck struct {
	keyID    string
	verifier httpsig.Verifier
	// verifyFn replaces verifier for RFC 9421 signatures.
	verifyFn func(*rsa.PublicKey) error
}

// checkSignatureHeaders does every check that needs no key: the
// algorithm, which headers are signed ((request-target), host, date and,
// on POST, digest), the Date window and the Digest of the exact body
// (go-fed/httpsig checks none of these). The caller has checked that the
// Host is ours.
func checkSignatureHeaders(r *http.Request, body []byte, window time.Duration, now time.Time) (*sigCheck, error) {
	p, ok := signatureParams(r.Header.Get("Signature"))
	if !ok {
		return nil, refused(refusedSignatureSyntax, "malformed Signature parameters")
	}
	switch strings.ToLower(p["algorithm"]) {
	case "", "rsa-sha256", "hs2019":
	default:
		return nil, refused(refusedAlgorithm, "algorithm %q not accepted", p["algorithm"])
	}
	signed := signedHeaders(p)
	signsDate, signsCreated := slices.Contains(signed, "date"), slices.Contains(signed, "(created)")
	if !signsDate && !signsCreated {
		return nil, refused(refusedDateNotSigned, "neither date nor (created) signed")
	}
	if !slices.Contains(signed, "(request-target)") {
		return nil, refused(refusedTargetNotSigned, "(request-target) not signed")
	}
	if !slices.Contains(signed, "host") {
		return nil, refused(refusedHostNotSigned, "host not signed")
	}
	// The time that counts is the one signed: the Date header only when
	// date is signed, the created parameter when (created) is (an
	// unsigned Date proves nothing).
	if signsDate {
		if d, ok := httpTime(r.Header.Get("Date")); !inWindow(d, ok, now, window, window) {
			return nil, refused(refusedDate, "Date %q missing, unreadable or outside the window", r.Header.Get("Date"))
		}
	}
	if signsCreated {
		// go-fed/httpsig refuses a created more than 10 s ahead; say so here.
		if c, ok := unixTime(p["created"]); !inWindow(c, ok, now, window, createdAhead) {
			return nil, refused(refusedDate, "created %q missing, unreadable or outside the window", p["created"])
		}
	}
	if e, given := p["expires"]; given || slices.Contains(signed, "(expires)") {
		if exp, ok := unixTime(e); !ok || now.After(exp) {
			return nil, refused(refusedExpired, "expires %q missing, unreadable or past", e)
		}
	}
	if r.Method == http.MethodPost {
		if !slices.Contains(signed, "digest") {
			return nil, refused(refusedDigestNotSigned, "digest not signed on POST")
		}
		if err := checkDigest(r.Header.Get("Digest"), body); err != nil {
			return nil, err
		}
	}
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return nil, refused(refusedSignatureSyntax, "unparseable signature: %v", err)
	}
	if strings.TrimSpace(v.KeyId()) == "" {
		return nil, refused(refusedSignatureSyntax, "no keyId")
	}
	return &sigCheck{keyID: v.KeyId(), verifier: v}, nil
}

// checkDigest requires a SHA-256 digest equal to that of the exact body.
func checkDigest(header string, body []byte) error {
	sum := sha256.Sum256(body)
	want := base64.StdEncoding.EncodeToString(sum[:])
	for _, part := range strings.Split(header, ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(alg, "SHA-256") && subtle.ConstantTimeCompare([]byte(val), []byte(want)) == 1 {
			return nil
		}
	}
	return refused(refusedDigest, "Digest %q is not the body's SHA-256", header)
}

// verify checks the signature itself with a public key. The algorithm
// comes from the key, not from the header.
func (c *sigCheck) verify(key *rsa.PublicKey) error {
	if c.verifyFn != nil {
		return c.verifyFn(key)
	}
	if err := c.verifier.Verify(key, httpsig.RSA_SHA256); err != nil {
		return refused(refusedBadSignature, "bad signature: %v", err)
	}
	return nil
}

var errNoKey = errors.New("federation: no usable public key")

// inWindow reports whether a signed time was given (ok) and lies at most
// back in the past and ahead in the future of now.
func inWindow(t time.Time, ok bool, now time.Time, back, ahead time.Duration) bool {
	return ok && now.Sub(t) <= back && t.Sub(now) <= ahead
}

// httpTime reads an HTTP date; unixTime a time in seconds since 1970.
func httpTime(s string) (time.Time, bool) {
	t, err := http.ParseTime(s)
	return t, err == nil
}

func unixTime(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return time.Unix(n, 0), err == nil
}

// createdAhead is how far in the future a draft-cavage created parameter
// may be: go-fed/httpsig's own limit (GoToSocial's too).
const createdAhead = 10 * time.Second
