package federation

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"
)

// RFC 9421 HTTP Message Signatures, as Fedify and Mastodon 4.5+ send them
// first: Signature-Input names the covered components and parameters,
// Signature carries the value, Content-Digest the body's hash. We accept
// rsa-v1_5-sha256 (the keys the fediverse uses) and require @method, the
// target (@target-uri, or @authority with @path; both derived from our
// base URL, so a signature made for another server does not verify),
// content-digest on POST, and a creation time (created, or a signed date)
// within the window.

// sfInnerList is a parsed Signature-Input member.
type sfInnerList struct {
	label      string
	components []string
	params     map[string]string
	raw        string // the member's value after "label=", exactly as sent
}

// parseSignatureInput reads the first member of Signature-Input.
func parseSignatureInput(h string) (*sfInnerList, bool) {
	label, rest, ok := strings.Cut(strings.TrimSpace(h), "=")
	if !ok || !strings.HasPrefix(rest, "(") {
		return nil, false
	}
	end := strings.IndexByte(rest, ')')
	if end < 0 {
		return nil, false
	}
	l := &sfInnerList{label: strings.TrimSpace(label), params: map[string]string{}}
	for _, item := range strings.Fields(rest[1:end]) {
		name, _, _ := strings.Cut(item, ";") // component parameters are not supported
		l.components = append(l.components, strings.Trim(name, `"`))
	}
	params := rest[end+1:]
	// Another member may follow after a top-level comma: keep only ours.
	if i := strings.Index(params, ","); i >= 0 && !strings.Contains(params[:i], `"`) {
		params = params[:i]
	}
	l.raw = rest[:end+1] + strings.TrimRight(params, " ")
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok {
			l.params[k] = strings.Trim(v, `"`)
		}
	}
	return l, true
}

// signatureValue reads label=:base64: from Signature.
func signatureValue(h, label string) ([]byte, bool) {
	for _, member := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(member), "=")
		if !ok || strings.TrimSpace(k) != label {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) < 2 || v[0] != ':' || v[len(v)-1] != ':' {
			return nil, false
		}
		b, err := base64.StdEncoding.DecodeString(v[1 : len(v)-1])
		return b, err == nil
	}
	return nil, false
}

// checkRFC9421 does every check that needs no key, and returns a sigCheck
// that verifies the signature base with the key.
func checkRFC9421(r *http.Request, body []byte, base string, window time.Duration, now time.Time) (*sigCheck, error) {
	in, ok := parseSignatureInput(r.Header.Get("Signature-Input"))
	if !ok {
		return nil, refused(refusedSignatureSyntax, "unparseable Signature-Input")
	}
	sig, ok := signatureValue(r.Header.Get("Signature"), in.label)
	if !ok {
		return nil, refused(refusedSignatureSyntax, "no signature for %q", in.label)
	}
	if alg := in.params["alg"]; alg != "" && alg != "rsa-v1_5-sha256" {
		return nil, refused(refusedAlgorithm, "alg %q not accepted", alg)
	}
	keyID := in.params["keyid"]
	if keyID == "" {
		return nil, refused(refusedSignatureSyntax, "no keyid")
	}
	has := func(c string) bool { return slices.Contains(in.components, c) }
	if !has("@method") || !(has("@target-uri") || (has("@authority") && (has("@path") || has("@request-target")))) {
		return nil, refused(refusedTargetNotSigned, "method and target not signed")
	}
	// created and expires are covered by @signature-params; a covered
	// date may stand in for a missing created. Each one given is checked.
	created, hasCreated := in.params["created"]
	if !hasCreated && !has("date") {
		return nil, refused(refusedDateNotSigned, "no creation time")
	}
	if hasCreated {
		if c, ok := unixTime(created); !inWindow(c, ok, now, window, window) {
			return nil, refused(refusedDate, "created %q unreadable or outside the window", created)
		}
	}
	if has("date") {
		if d, ok := httpTime(r.Header.Get("Date")); !inWindow(d, ok, now, window, window) {
			return nil, refused(refusedDate, "Date %q missing, unreadable or outside the window", r.Header.Get("Date"))
		}
	}
	if e, given := in.params["expires"]; given {
		if exp, ok := unixTime(e); !ok || now.After(exp) {
			return nil, refused(refusedExpired, "expires %q unreadable or past", e)
		}
	}
	if r.Method == http.MethodPost {
		if !has("content-digest") {
			return nil, refused(refusedDigestNotSigned, "content-digest not signed on POST")
		}
		if err := checkContentDigest(r.Header.Get("Content-Digest"), body); err != nil {
			return nil, err
		}
	}
	var lines []string
	for _, c := range in.components {
		v, ok := componentValue(r, c, base)
		if !ok {
			return nil, refused(refusedSignatureSyntax, "component %q missing", c)
		}
		lines = append(lines, `"`+c+`": `+v)
	}
	lines = append(lines, `"@signature-params": `+in.raw)
	signatureBase := []byte(strings.Join(lines, "\n"))
	return &sigCheck{keyID: keyID, verifyFn: func(pub *rsa.PublicKey) error {
		h := sha256.Sum256(signatureBase)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
			return refused(refusedBadSignature, "bad RFC 9421 signature")
		}
		return nil
	}}, nil
}

// componentValue derives a covered component of the request.
func componentValue(r *http.Request, c, base string) (string, bool) {
	switch c {
	case "@method":
		return strings.ToUpper(r.Method), true
	case "@target-uri":
		return base + r.URL.RequestURI(), true
	case "@authority":
		// The caller checked that the Host is ours: compare the
		// signature with our authority, normalised as RFC 9421 §2.2.3
		// says (lower case, no default port).
		_, authority, _ := strings.Cut(origin(base), "://")
		return authority, true
	case "@path":
		return r.URL.EscapedPath(), true
	case "@query":
		return "?" + r.URL.RawQuery, true
	case "@request-target":
		return r.URL.RequestURI(), true
	case "@scheme":
		return strings.SplitN(base, ":", 2)[0], true
	}
	if strings.HasPrefix(c, "@") {
		return "", false
	}
	if c == "host" { // Go's server keeps Host out of the header map
		return r.Host, r.Host != ""
	}
	vals := r.Header.Values(c)
	if len(vals) == 0 {
		return "", false
	}
	for i := range vals {
		vals[i] = strings.TrimSpace(vals[i])
	}
	return strings.Join(vals, ", "), true
}

// checkContentDigest requires sha-256 equal to the exact body's hash.
func checkContentDigest(h string, body []byte) error {
	sum := sha256.Sum256(body)
	want := base64.StdEncoding.EncodeToString(sum[:])
	for _, member := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(member), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "sha-256") {
			v = strings.Trim(strings.TrimSpace(v), ":")
			if subtle.ConstantTimeCompare([]byte(v), []byte(want)) == 1 {
				return nil
			}
		}
	}
	return refused(refusedDigest, "Content-Digest %q has no sha-256 of the body", h)
}
