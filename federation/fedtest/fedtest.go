// Package fedtest is a fake remote fediverse server for tests: it serves
// WebFinger and Person actors with real RSA keys, verifies every request
// we send as strictly as Mastodon does (federation-interop.md §11.1:
// rsa-sha256 or hs2019; (request-target), host, date and digest signed on
// POST; Date within an hour; Digest equal to the body's SHA-256; the key
// fetched from its owner; key owner = activity actor), records what it
// receives, and signs the activities it sends us.
package fedtest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

// Received is one request our server sent to the fake.
type Received struct {
	Path     string
	Header   http.Header
	Activity map[string]any
}

// Remote is the fake server.
type Remote struct {
	Server *httptest.Server
	URL    string
	t      testing.TB
	keys   map[string]*rsa.PrivateKey
	mu     sync.Mutex
	got    []Received
	fails  []string
	// Status, when set, is answered to inbox POSTs instead of 202
	// (after verifying), to test retries.
	Status int
	// NoSharedInbox makes actors without endpoints.sharedInbox (like
	// GoToSocial).
	NoSharedInbox bool
	// ContentType, when set, is the Content-Type actor documents are
	// served with (instead of application/activity+json).
	ContentType string
	docs        map[string]servedDoc
	gets        []string
	// getStatus, when set (FailGets), is answered to every GET instead
	// of the document.
	getStatus atomic.Int32
}

type servedDoc struct {
	contentType string
	body        []byte
}

// FailGets makes every GET (actor documents, WebFinger) answer status
// instead of the document, as a server that is down does; 0 restores them.
func (r *Remote) FailGets(status int) { r.getStatus.Store(int32(status)) }

// New starts a fake server with the given users.
func New(t testing.TB, users ...string) *Remote {
	t.Helper()
	r := &Remote{t: t, keys: map[string]*rsa.PrivateKey{}, docs: map[string]servedDoc{}}
	for _, u := range users {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		r.keys[u] = k
	}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.Server.URL
	t.Cleanup(r.Server.Close)
	return r
}

// Host is host:port of the fake.
func (r *Remote) Host() string { return strings.TrimPrefix(r.URL, "http://") }

// Actor is a user's actor IRI.
func (r *Remote) Actor(user string) string { return r.URL + "/users/" + user }

// KeyID is a user's key id (Mastodon style).
func (r *Remote) KeyID(user string) string { return r.Actor(user) + "#main-key" }

// Received returns what arrived so far.
func (r *Remote) Received() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// Failures lists requests the fake refused, with the reason.
func (r *Remote) Failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.fails)
}

// OfType returns the received activities of one type.
func (r *Remote) OfType(typ string) []map[string]any {
	var out []map[string]any
	for _, g := range r.Received() {
		if g.Activity["type"] == typ {
			out = append(out, g.Activity)
		}
	}
	return out
}

func (r *Remote) fail(w http.ResponseWriter, format string, args ...any) {
	r.mu.Lock()
	r.fails = append(r.fails, fmt.Sprintf(format, args...))
	r.mu.Unlock()
	http.Error(w, "", http.StatusUnauthorized)
}

// Serve makes the fake answer GET path with doc (JSON-encoded unless it
// is a []byte), as contentType.
func (r *Remote) Serve(path, contentType string, doc any) {
	body, ok := doc.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(doc); err != nil {
			r.t.Fatal(err)
		}
	}
	r.mu.Lock()
	r.docs[path] = servedDoc{contentType: contentType, body: body}
	r.mu.Unlock()
}

// Redirect returns a URL on the fake that redirects (302) to target: an
// open redirect, as many servers have one.
func (r *Remote) Redirect(target string) string {
	return r.URL + "/redirect?to=" + url.QueryEscape(target)
}

// PublicKeyPEM is a user's public key, for documents served with Serve.
func (r *Remote) PublicKeyPEM(user string) string {
	der, err := x509.MarshalPKIXPublicKey(&r.keys[user].PublicKey)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Gets lists the paths of the GET requests the fake has answered.
func (r *Remote) Gets() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.gets)
}

func (r *Remote) serve(w http.ResponseWriter, req *http.Request) {
	p := req.URL.Path
	r.mu.Lock()
	doc, custom := r.docs[p]
	if req.Method == http.MethodGet {
		r.gets = append(r.gets, p)
	}
	r.mu.Unlock()
	if req.Method == http.MethodGet {
		if st := r.getStatus.Load(); st != 0 {
			http.Error(w, "", int(st))
			return
		}
	}
	switch {
	case custom && req.Method == http.MethodGet:
		w.Header().Set("Content-Type", doc.contentType)
		w.Write(doc.body)
	case p == "/redirect":
		http.Redirect(w, req, req.URL.Query().Get("to"), http.StatusFound)
	case p == "/.well-known/webfinger":
		user, _, _ := strings.Cut(strings.TrimPrefix(req.URL.Query().Get("resource"), "acct:"), "@")
		if _, ok := r.keys[user]; !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(map[string]any{"subject": "acct:" + user + "@" + r.Host(),
			"links": []any{map[string]any{"rel": "self", "type": "application/activity+json", "href": r.Actor(user)}}})
	case req.Method == http.MethodGet && strings.HasPrefix(p, "/users/"):
		user := strings.TrimPrefix(p, "/users/")
		key, ok := r.keys[user]
		if !ok {
			http.NotFound(w, req)
			return
		}
		der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
		actor := map[string]any{
			"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":                r.Actor(user),
			"type":              "Person",
			"preferredUsername": user,
			"name":              strings.ToUpper(user[:1]) + user[1:] + " Remote",
			"inbox":             r.Actor(user) + "/inbox",
			"outbox":            r.Actor(user) + "/outbox",
			"publicKey": map[string]any{"id": r.KeyID(user), "owner": r.Actor(user),
				"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
		}
		if !r.NoSharedInbox {
			actor["endpoints"] = map[string]any{"sharedInbox": r.URL + "/inbox"}
		}
		ct := "application/activity+json"
		if r.ContentType != "" {
			ct = r.ContentType
		}
		w.Header().Set("Content-Type", ct)
		json.NewEncoder(w).Encode(actor)
	case req.Method == http.MethodPost && (p == "/inbox" || strings.HasSuffix(p, "/inbox")):
		r.inbox(w, req)
	default:
		http.NotFound(w, req)
	}
}

// inbox verifies like Mastodon and records the activity.
func (r *Remote) inbox(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.fail(w, "read: %v", err)
		return
	}
	sig := params(req.Header.Get("Signature"))
	switch strings.ToLower(sig["algorithm"]) {
	case "rsa-sha256", "hs2019":
	default:
		r.fail(w, "algorithm %q", sig["algorithm"])
		return
	}
	signed := strings.Fields(sig["headers"])
	for _, h := range []string{"(request-target)", "host", "date", "digest"} {
		if !slices.Contains(signed, h) {
			r.fail(w, "%s not signed", h)
			return
		}
	}
	date, err := http.ParseTime(req.Header.Get("Date"))
	if err != nil || time.Since(date) > time.Hour || time.Until(date) > time.Hour {
		r.fail(w, "bad Date %q", req.Header.Get("Date"))
		return
	}
	sum := sha256.Sum256(body)
	if req.Header.Get("Digest") != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		r.fail(w, "digest mismatch")
		return
	}
	if ct := req.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/activity+json") && !strings.HasPrefix(ct, "application/ld+json") {
		r.fail(w, "content type %q", ct)
		return
	}
	var activity map[string]any
	if err := json.Unmarshal(body, &activity); err != nil {
		r.fail(w, "json: %v", err)
		return
	}
	v, err := httpsig.NewVerifier(req)
	if err != nil {
		r.fail(w, "verifier: %v", err)
		return
	}
	pub, owner, err := fetchKey(v.KeyId())
	if err != nil {
		r.fail(w, "key: %v", err)
		return
	}
	if err := v.Verify(pub, httpsig.RSA_SHA256); err != nil {
		r.fail(w, "signature: %v", err)
		return
	}
	if actor, _ := activity["actor"].(string); actor != owner {
		r.fail(w, "key owner %s is not the actor %v", owner, activity["actor"])
		return
	}
	r.mu.Lock()
	r.got = append(r.got, Received{Path: req.URL.Path, Header: req.Header.Clone(), Activity: activity})
	r.mu.Unlock()
	if r.Status != 0 {
		w.WriteHeader(r.Status)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// fetchKey gets the signer's key from its actor document, unsigned (our
// actor documents must not require a signature).
func fetchKey(keyID string) (*rsa.PublicKey, string, error) {
	iri, _, _ := strings.Cut(keyID, "#")
	req, _ := http.NewRequest(http.MethodGet, iri, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/activity+json") {
		return nil, "", fmt.Errorf("GET %s: %d %s", iri, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		ID        string `json:"id"`
		PublicKey struct {
			ID, Owner, PublicKeyPem string
		} `json:"publicKey"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, "", err
	}
	if doc.ID != iri || doc.PublicKey.ID != keyID || doc.PublicKey.Owner != doc.ID {
		return nil, "", fmt.Errorf("actor %s: id %q, key %q owned by %q", iri, doc.ID, doc.PublicKey.ID, doc.PublicKey.Owner)
	}
	block, _ := pem.Decode([]byte(doc.PublicKey.PublicKeyPem))
	if block == nil {
		return nil, "", fmt.Errorf("no PEM")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, "", err
	}
	return k.(*rsa.PublicKey), doc.ID, nil
}

func params(h string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			out[strings.ToLower(k)] = strings.Trim(v, `"`)
		}
	}
	return out
}

// SendOptions change how a request is signed, for negative tests.
type SendOptions struct {
	KeyUser     string    // sign with this user's key (default: the actor's)
	KeyID       string    // claim this keyId
	Date        time.Time // sign with this Date (default now)
	Headers     []string  // sign these headers (default (request-target) host date digest)
	BadDigest   bool      // send a Digest that does not match the body
	TamperBody  bool      // change the body after signing
	NoSignature bool
	Algorithm   string // claim this algorithm= (not covered by the signature)
	// Host, when set, is sent and signed as the Host header instead of the
	// URL's: a request signed for another server, replayed to ours.
	Host string
	// Created and Expires, when set, are the created and expires
	// parameters (sign "(created)" and "(expires)" in Headers to cover
	// them); the request is then signed by hand, since go-fed/httpsig
	// only signs created as "now".
	Created, Expires time.Time
	NoDate           bool // send no Date header
	// Header is added to the request (X-Forwarded-For, say).
	Header http.Header
	// EditSignature, when set, rewrites the Signature header after
	// signing (parameters the signature does not cover).
	EditSignature func(string) string
}

// Send POSTs a signed activity from one of the fake's users to inbox.
func (r *Remote) Send(user, inbox string, activity any, o SendOptions) *http.Response {
	r.t.Helper()
	body, err := json.Marshal(activity)
	if err != nil {
		r.t.Fatal(err)
	}
	return r.SendRaw(user, inbox, body, o)
}

// SendRaw POSTs a body signed by user.
func (r *Remote) SendRaw(user, inbox string, body []byte, o SendOptions) *http.Response {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	for k, v := range o.Header {
		req.Header[k] = v
	}
	r.sign(req, body, user, o)
	return r.do(req, body, o.TamperBody)
}

// do sends a signed request, first changing its body if tamper is set
// (the signature then no longer matches), and returns the closed response.
func (r *Remote) do(req *http.Request, body []byte, tamper bool) *http.Response {
	if tamper {
		tampered := bytes.Replace(body, []byte(`"`), []byte(`" `), 1)
		req.Body = io.NopCloser(bytes.NewReader(tampered))
		req.ContentLength = int64(len(tampered))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Get makes a GET signed by user (nil body), with the same options.
func (r *Remote) Get(user, iri, accept string, o SendOptions) *http.Response {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodGet, iri, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	if user != "" {
		r.sign(req, nil, user, o)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp
}

func (r *Remote) sign(req *http.Request, body []byte, user string, o SendOptions) {
	r.t.Helper()
	if o.NoSignature {
		return
	}
	keyUser := user
	if o.KeyUser != "" {
		keyUser = o.KeyUser
	}
	keyID := r.KeyID(keyUser)
	if o.KeyID != "" {
		keyID = o.KeyID
	}
	headers := o.Headers
	if headers == nil {
		headers = []string{httpsig.RequestTarget, "host", "date"}
		if body != nil {
			headers = append(headers, "digest")
		}
	}
	date := o.Date
	if date.IsZero() {
		date = time.Now()
	}
	if !o.NoDate {
		req.Header.Set("Date", date.UTC().Format(http.TimeFormat))
	}
	req.Host = req.URL.Host
	if o.Host != "" {
		req.Host = o.Host
	}
	req.Header.Set("Host", req.Host)
	if !o.Created.IsZero() || !o.Expires.IsZero() {
		r.signByHand(req, body, keyUser, keyID, headers, o)
		return
	}
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	signBody := body
	if !slices.Contains(headers, "digest") {
		signBody = nil
	}
	if err := signer.SignRequest(r.keys[keyUser], keyID, req, signBody); err != nil {
		r.t.Fatal(err)
	}
	if o.EditSignature != nil {
		req.Header.Set("Signature", o.EditSignature(req.Header.Get("Signature")))
	}
	if o.Algorithm != "" {
		req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="`+o.Algorithm+`"`, 1))
	}
	if o.BadDigest {
		req.Header.Set("Digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	}
}

// signByHand writes a draft-cavage signature with the created and
// expires parameters of o.
func (r *Remote) signByHand(req *http.Request, body []byte, keyUser, keyID string, headers []string, o SendOptions) {
	r.t.Helper()
	if body != nil {
		sum := sha256.Sum256(body)
		req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
	}
	var lines []string
	for _, h := range headers {
		switch h {
		case httpsig.RequestTarget:
			lines = append(lines, h+": "+strings.ToLower(req.Method)+" "+req.URL.RequestURI())
		case "(created)":
			lines = append(lines, fmt.Sprintf("%s: %d", h, o.Created.Unix()))
		case "(expires)":
			lines = append(lines, fmt.Sprintf("%s: %d", h, o.Expires.Unix()))
		case "host":
			lines = append(lines, "host: "+req.Host)
		default:
			lines = append(lines, h+": "+req.Header.Get(h))
		}
	}
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	sig, err := rsa.SignPKCS1v15(rand.Reader, r.keys[keyUser], crypto.SHA256, sum[:])
	if err != nil {
		r.t.Fatal(err)
	}
	v := fmt.Sprintf(`keyId="%s",algorithm="hs2019"`, keyID)
	if !o.Created.IsZero() {
		v += fmt.Sprintf(",created=%d", o.Created.Unix())
	}
	if !o.Expires.IsZero() {
		v += fmt.Sprintf(",expires=%d", o.Expires.Unix())
	}
	v += fmt.Sprintf(`,headers="%s",signature="%s"`, strings.Join(headers, " "), base64.StdEncoding.EncodeToString(sig))
	req.Header.Set("Signature", v)
}

// SignedRequest builds a signed POST without sending it (for benchmarks
// that must not time the signing).
func (r *Remote) SignedRequest(user, inbox string, body []byte) *http.Request {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	r.sign(req, body, user, SendOptions{})
	return req
}

// RFC9421Options change an RFC 9421 signature, for negative tests.
type RFC9421Options struct {
	Created   time.Time // the created parameter (default now)
	NoCreated bool      // leave created out
	Expires   time.Time // the expires parameter, when set
	// RawExpires, when set, is written as the expires parameter as is.
	RawExpires string
	// Authority, when set, is sent and signed as the Host instead of the
	// URL's: a request signed for another server, replayed to ours.
	Authority string
	// Components are the covered components (default "@method"
	// "@target-uri" "@authority", and "content-digest" with a body).
	Components []string
	Tamper     bool      // change the body after signing
	Label      string    // the label in Signature (default sig1, as in Signature-Input)
	Alg        string    // the alg parameter (default rsa-v1_5-sha256)
	NoKeyID    bool      // leave keyid out
	Date       time.Time // the Date header (default now)
}

// SendRFC9421 POSTs an activity signed with an RFC 9421 HTTP Message
// Signature (rsa-v1_5-sha256, covering @method, @target-uri, @authority
// and content-digest), as Fedify and Mastodon 4.5+ send them. created
// shifts the creation time; tamper changes the body after signing.
func (r *Remote) SendRFC9421(user, inbox string, activity any, created time.Time, tamper bool) *http.Response {
	r.t.Helper()
	return r.SendRFC9421With(user, inbox, activity, RFC9421Options{Created: created, Tamper: tamper})
}

// SendRFC9421With POSTs an activity signed with an RFC 9421 signature
// made as o says.
func (r *Remote) SendRFC9421With(user, inbox string, activity any, o RFC9421Options) *http.Response {
	r.t.Helper()
	body, _ := json.Marshal(activity)
	req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	sum := sha256.Sum256(body)
	req.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
	r.signRFC9421(req, user, o)
	return r.do(req, body, o.Tamper)
}

// GetRFC9421 makes a GET signed with an RFC 9421 signature made as o says.
func (r *Remote) GetRFC9421(user, iri, accept string, o RFC9421Options) *http.Response {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, iri, nil)
	req.Header.Set("Accept", accept)
	r.signRFC9421(req, user, o)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp
}

func (r *Remote) signRFC9421(req *http.Request, user string, o RFC9421Options) {
	r.t.Helper()
	req.Host = req.URL.Host
	if o.Authority != "" {
		req.Host = o.Authority
	}
	components := o.Components
	if components == nil {
		components = []string{"@method", "@target-uri", "@authority"}
		if req.Header.Get("Content-Digest") != "" {
			components = append(components, "content-digest")
		}
	}
	date := o.Date
	if date.IsZero() {
		date = time.Now()
	}
	req.Header.Set("Date", date.UTC().Format(http.TimeFormat))
	quoted := make([]string, len(components))
	var lines []string
	for i, c := range components {
		quoted[i] = `"` + c + `"`
		var v string
		switch c {
		case "@method":
			v = req.Method
		case "@target-uri":
			v = req.URL.Scheme + "://" + req.Host + req.URL.RequestURI()
		case "@authority", "host":
			v = req.Host
		case "@path":
			v = req.URL.EscapedPath()
		case "@request-target":
			v = req.URL.RequestURI()
		default:
			v = req.Header.Get(c)
		}
		lines = append(lines, `"`+c+`": `+v)
	}
	params := "(" + strings.Join(quoted, " ") + ")"
	created := o.Created
	if created.IsZero() {
		created = time.Now()
	}
	if !o.NoCreated {
		params += fmt.Sprintf(";created=%d", created.Unix())
	}
	if !o.Expires.IsZero() {
		params += fmt.Sprintf(";expires=%d", o.Expires.Unix())
	}
	if o.RawExpires != "" {
		params += ";expires=" + o.RawExpires
	}
	if !o.NoKeyID {
		params += fmt.Sprintf(`;keyid="%s"`, r.KeyID(user))
	}
	alg := o.Alg
	if alg == "" {
		alg = "rsa-v1_5-sha256"
	}
	params += `;alg="` + alg + `"`
	lines = append(lines, `"@signature-params": `+params)
	h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	sig, err := rsa.SignPKCS1v15(rand.Reader, r.keys[user], crypto.SHA256, h[:])
	if err != nil {
		r.t.Fatal(err)
	}
	label := o.Label
	if label == "" {
		label = "sig1"
	}
	req.Header.Set("Signature-Input", "sig1="+params)
	req.Header.Set("Signature", label+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
}
