package main

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
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// remote is the fake fediverse the benchmark runs beside Hearth: one
// actor whose key signs inbound activities, and many shared inboxes that
// verify every delivery's signature (draft-cavage, rsa-sha256) before
// counting it.
type remote struct {
	url      string
	key      *rsa.PrivateKey
	srv      *http.Server
	mu       sync.Mutex
	groupKey *rsa.PublicKey
	arrived  map[string]map[int]time.Time // object id → inbox → first arrival
	verified atomic.Int64
	rejected atomic.Int64
	repeated atomic.Int64 // deliveries of an object to an inbox that already had it
}

func newRemote() (*remote, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &remote{url: "http://" + l.Addr().String(), key: key, arrived: map[string]map[int]time.Time{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(l)
	return r, nil
}

func (r *remote) actor() string { return r.url + "/users/bench" }

func (r *remote) serve(w http.ResponseWriter, req *http.Request) {
	switch {
	case req.Method == http.MethodGet && req.URL.Path == "/users/bench":
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       r.actor(), "type": "Person", "preferredUsername": "bench", "inbox": r.actor() + "/inbox",
			"endpoints": map[string]any{"sharedInbox": r.url + "/inbox/0"},
			"publicKey": map[string]any{"id": r.actor() + "#main-key", "owner": r.actor(),
				"publicKeyPem": string(publicPEM(&r.key.PublicKey))},
		})
	case req.Method == http.MethodPost && strings.HasPrefix(req.URL.Path, "/inbox/"):
		var n int
		fmt.Sscanf(strings.TrimPrefix(req.URL.Path, "/inbox/"), "%d", &n)
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		key := r.groupKey
		r.mu.Unlock()
		if key == nil || verify(req, body, key) != nil {
			r.rejected.Add(1)
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		r.verified.Add(1)
		var act struct {
			Object struct {
				ID string `json:"id"`
			} `json:"object"`
		}
		json.Unmarshal(body, &act)
		r.mu.Lock()
		if r.arrived[act.Object.ID] == nil {
			r.arrived[act.Object.ID] = map[int]time.Time{}
		}
		if _, ok := r.arrived[act.Object.ID][n]; !ok {
			r.arrived[act.Object.ID][n] = time.Now()
		} else {
			r.repeated.Add(1)
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, req)
	}
}

// arrivals counts the inboxes that received an object, and the last time.
func (r *remote) arrivals(object string) (int, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var last time.Time
	for _, t := range r.arrived[object] {
		if t.After(last) {
			last = t
		}
	}
	return len(r.arrived[object]), last
}

// fetchGroupKey reads the group's public key from Hearth's actor document.
func (r *remote) fetchGroupKey(actor string) error {
	req, _ := http.NewRequest(http.MethodGet, actor, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var doc struct {
		PublicKey struct{ PublicKeyPem string } `json:"publicKey"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return err
	}
	k, err := parsePublicKey([]byte(doc.PublicKey.PublicKeyPem))
	if err != nil {
		return fmt.Errorf("key of %s: %w", actor, err)
	}
	r.mu.Lock()
	r.groupKey = k
	r.mu.Unlock()
	return nil
}

// publicPEM encodes an RSA public key as PEM (PKIX).
func publicPEM(k *rsa.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// parsePublicKey reads an RSA public key from PEM (PKIX).
func parsePublicKey(b []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("not an RSA key")
	}
	return rk, nil
}

// sign signs a POST the way Mastodon does (draft-cavage, rsa-sha256).
func sign(req *http.Request, body []byte, key *rsa.PrivateKey, keyID string) error {
	sum := sha256.Sum256(body)
	req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	s := signingString(req, []string{"(request-target)", "host", "date", "digest"})
	h := sha256.Sum256([]byte(s))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		return err
	}
	req.Header.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="%s"`,
		keyID, base64.StdEncoding.EncodeToString(sig)))
	return nil
}

func signingString(req *http.Request, headers []string) string {
	var b strings.Builder
	for i, h := range headers {
		if i > 0 {
			b.WriteByte('\n')
		}
		switch h {
		case "(request-target)":
			b.WriteString("(request-target): " + strings.ToLower(req.Method) + " " + req.URL.RequestURI())
		case "host":
			host := req.Host
			if host == "" {
				host = req.URL.Host
			}
			b.WriteString("host: " + host)
		default:
			b.WriteString(h + ": " + req.Header.Get(h))
		}
	}
	return b.String()
}

// verify checks a delivery: digest of the body, then the signature.
func verify(req *http.Request, body []byte, key *rsa.PublicKey) error {
	sum := sha256.Sum256(body)
	if req.Header.Get("Digest") != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		return fmt.Errorf("digest")
	}
	params := map[string]string{}
	for _, part := range strings.Split(req.Header.Get("Signature"), ",") {
		k, v, _ := strings.Cut(part, "=")
		params[k] = strings.Trim(v, `"`)
	}
	sig, err := base64.StdEncoding.DecodeString(params["signature"])
	if err != nil {
		return err
	}
	h := sha256.Sum256([]byte(signingString(req, strings.Fields(params["headers"]))))
	return rsa.VerifyPKCS1v15(key, crypto.SHA256, h[:], sig)
}

// rsaRates measures RSA-2048 PKCS#1 v1.5 signatures and verifications per
// second on one goroutine (one core), for d each.
func rsaRates(d time.Duration) (signs, verifies float64) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	h := sha256.Sum256([]byte("hearth"))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	n, start := 0, time.Now()
	for time.Since(start) < d {
		rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
		n++
	}
	signs = float64(n) / time.Since(start).Seconds()
	n, start = 0, time.Now()
	for time.Since(start) < d {
		rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, h[:], sig)
		n++
	}
	return signs, float64(n) / time.Since(start).Seconds()
}

// signedRequest is a POST ready to send.
type signedRequest struct {
	url    string
	body   []byte
	header http.Header
}

// presign builds n signed activities with unique ids, on every core:
// replies (Create{Note}) to the first need of the instance behind inbox,
// which Hearth verifies and queues, or, with likes, Likes of it, which
// Hearth verifies and answers without storing.
func presign(n int, inbox string, r *remote, likes bool) ([]signedRequest, error) {
	out := make([]signedRequest, n)
	workers := runtime.NumCPU()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	need := strings.TrimSuffix(strings.TrimSuffix(inbox, "/"), "/inbox") + "/needs/1"
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				id := fmt.Sprintf("%s/statuses/%d-%d", r.actor(), time.Now().UnixNano(), i)
				act := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id + "/activity", "type": "Create",
					"actor": r.actor(), "to": []string{"https://www.w3.org/ns/activitystreams#Public"},
					"object": map[string]any{"id": id, "type": "Note", "attributedTo": r.actor(), "inReplyTo": need,
						"content": "<p>I can help on Tuesday morning, I have a car.</p>", "to": []string{"https://www.w3.org/ns/activitystreams#Public"}}}
				if likes {
					act = map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id + "/like", "type": "Like",
						"actor": r.actor(), "object": need}
				}
				body, _ := json.Marshal(act)
				req, _ := http.NewRequest(http.MethodPost, inbox, nil)
				req.Header.Set("Content-Type", "application/activity+json")
				if err := sign(req, body, r.key, r.actor()+"#main-key"); err != nil {
					firstErr.Store(err)
					return
				}
				out[i] = signedRequest{url: inbox, body: body, header: req.Header}
			}
		}(w)
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return nil, err
	}
	return out, nil
}

// replay sends the presigned requests on conc connections, each once.
func replay(conc int, reqs []signedRequest, addrs ...string) result {
	var next atomic.Int64
	i := func() int { return int(next.Add(1) - 1) }
	return hammerN(conc, func() (*http.Request, error) {
		k := i()
		if k >= len(reqs) {
			return nil, errDone
		}
		req, err := http.NewRequest(http.MethodPost, reqs[k].url, bytes.NewReader(reqs[k].body))
		if err != nil {
			return nil, err
		}
		req.Header = reqs[k].header.Clone()
		return req, nil
	}, addrs...)
}
