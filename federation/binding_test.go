package federation

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// A signature is bound to the server it was made for: a request signed
// for other.example and replayed to us is refused, on POST and GET, with
// either scheme, and host must be signed on POST as well as GET.
func TestSignaturesAreBoundToOurHost(t *testing.T) {
	log := &refusalLog{}
	n := newNode(t, withRefusals(log))
	r := fedtest.New(t, "alice")
	follow := func(id string) map[string]any { return followOf(r, "alice", n.group(), id) }
	for _, c := range []struct {
		name   string
		send   func() *http.Response
		reason refusal
	}{
		{"POST signed for another host", func() *http.Response {
			return r.Send("alice", n.url+"/inbox", follow("1"), fedtest.SendOptions{Host: "other.example"})
		}, refusedHost},
		{"POST without host signed", func() *http.Response {
			return r.Send("alice", n.url+"/inbox", follow("2"), fedtest.SendOptions{Headers: []string{"(request-target)", "date", "digest"}})
		}, refusedHostNotSigned},
		{"RFC 9421 POST for another authority", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", follow("3"), fedtest.RFC9421Options{Authority: "other.example",
				Components: []string{"@method", "@authority", "@path", "content-digest"}})
		}, refusedHost},
	} {
		if resp := c.send(); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", c.name, resp.StatusCode)
		}
		log.expect(t, c.name, c.reason)
	}
	n.settle()
	if followers(t, n) != 0 {
		t.Fatal("a request signed for another host made a follower")
	}
	// alice follows for real; a followers-only Note is then served to her
	// signed GETs, but not to one signed for another server.
	if resp := r.Send("alice", n.url+"/inbox", follow("ok"), fedtest.SendOptions{}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("follow: %d", resp.StatusCode)
	}
	n.settle()
	it := n.postNeed(string(instance.VisibilityFollowers))
	get := func(resp *http.Response) int {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	iri := n.url + it.Path()
	if code := get(r.Get("alice", iri, activityJSON, fedtest.SendOptions{})); code != http.StatusOK {
		t.Fatalf("a follower's signed GET: %d", code)
	}
	if code := get(r.GetRFC9421("alice", iri, activityJSON, fedtest.RFC9421Options{})); code != http.StatusOK {
		t.Fatalf("a follower's RFC 9421 GET: %d", code)
	}
	log.expect(t, "a follower's GETs")
	for _, c := range []struct {
		name   string
		get    func() *http.Response
		reason refusal
	}{
		{"GET signed for another host", func() *http.Response {
			return r.Get("alice", iri, activityJSON, fedtest.SendOptions{Host: "other.example"})
		}, refusedHost},
		{"GET without host signed", func() *http.Response {
			return r.Get("alice", iri, activityJSON, fedtest.SendOptions{Headers: []string{"(request-target)", "date"}})
		}, refusedHostNotSigned},
		{"RFC 9421 GET for another authority", func() *http.Response {
			return r.GetRFC9421("alice", iri, activityJSON, fedtest.RFC9421Options{Authority: "other.example",
				Components: []string{"@method", "@authority", "@path"}})
		}, refusedHost},
		{"RFC 9421 GET for another target URI", func() *http.Response {
			return r.GetRFC9421("alice", iri, activityJSON, fedtest.RFC9421Options{Authority: "other.example"})
		}, refusedHost},
		{"unsigned GET", func() *http.Response { return r.Get("", iri, activityJSON, fedtest.SendOptions{}) }, refusedNoSignature},
	} {
		if code := get(c.get()); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", c.name, code)
		}
		log.expect(t, c.name, c.reason)
	}
}

func TestAddressedToUs(t *testing.T) {
	u := uris{base: "https://village.example"}
	for host, ok := range map[string]bool{"village.example": true, "Village.Example": true, "village.example:443": true,
		"village.example:8443": false, "other.example": false, "evil@village.example": false, "village.example/x": false, "": false,
		"village.example.": false} {
		if got := u.addressedToUs(host); got != ok {
			t.Errorf("addressedToUs(%q) = %v", host, got)
		}
	}
	if !(uris{base: "http://127.0.0.1:8080"}).addressedToUs("127.0.0.1:8080") {
		t.Error("a base URL with a port")
	}
}

// A signature that signs (created) instead of date is held to the same
// window by its created parameter, and one past its expires is refused,
// with either scheme (an unsigned Date proves nothing).
func TestCreatedAndExpiresAreChecked(t *testing.T) {
	log := &refusalLog{}
	n := newNode(t, withRefusals(log))
	r := fedtest.New(t, "alice")
	now := time.Now()
	created := []string{"(request-target)", "host", "(created)", "digest"}
	expiring := []string{"(request-target)", "host", "(created)", "(expires)", "digest"}
	i := 0
	follow := func() map[string]any { i++; return followOf(r, "alice", n.group(), fmt.Sprint("c", i)) }
	for _, c := range []struct {
		name   string
		send   func() *http.Response
		reason refusal // "" when accepted
	}{
		{"(created) now, no Date", func() *http.Response {
			return r.Send("alice", n.url+"/inbox", follow(), fedtest.SendOptions{Headers: created, Created: now, NoDate: true})
		}, ""},
		{"(created) and (expires) in the future", func() *http.Response {
			return r.Send("alice", n.url+"/inbox", follow(), fedtest.SendOptions{Headers: expiring, Created: now, Expires: now.Add(5 * time.Minute)})
		}, ""},
		{"(created) two hours old, with a fresh unsigned Date", func() *http.Response {
			return r.Send("alice", n.url+"/inbox", follow(), fedtest.SendOptions{Headers: created, Created: now.Add(-2 * time.Hour)})
		}, refusedDate},
		{"(created) two hours ahead", func() *http.Response {
			return r.Send("alice", n.url+"/inbox", follow(), fedtest.SendOptions{Headers: created, Created: now.Add(2 * time.Hour)})
		}, refusedDate},
		{"date signed, expires parameter in the future", func() *http.Response {
			return r.Send("alice", n.url+"/inbox", follow(), fedtest.SendOptions{Headers: []string{"(request-target)", "host", "date", "digest"},
				Expires: now.Add(time.Minute)})
		}, ""},
		{"(created) signed without a created parameter", func() *http.Response {
			return r.Send("alice", n.url+"/inbox", follow(), fedtest.SendOptions{Headers: expiring, Expires: now.Add(time.Minute)})
		}, refusedDate},
		{"(expires) past", func() *http.Response {
			return r.Send("alice", n.url+"/inbox", follow(), fedtest.SendOptions{Headers: expiring, Created: now.Add(-10 * time.Minute), Expires: now.Add(-5 * time.Minute)})
		}, refusedExpired},
		{"expires parameter past, not signed", func() *http.Response {
			return r.Send("alice", n.url+"/inbox", follow(), fedtest.SendOptions{Headers: created, Created: now.Add(-10 * time.Minute), Expires: now.Add(-5 * time.Minute)})
		}, refusedExpired},
		{"RFC 9421 created two hours ahead", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", follow(), fedtest.RFC9421Options{Created: now.Add(2 * time.Hour)})
		}, refusedDate},
		{"RFC 9421 expires past", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", follow(), fedtest.RFC9421Options{Created: now.Add(-10 * time.Minute), Expires: now.Add(-time.Minute)})
		}, refusedExpired},
		{"RFC 9421 expires not a number", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", follow(), fedtest.RFC9421Options{RawExpires: `"tomorrow"`})
		}, refusedExpired},
		{"RFC 9421 no created, date covered", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", follow(), fedtest.RFC9421Options{NoCreated: true,
				Components: []string{"@method", "@target-uri", "content-digest", "date"}})
		}, ""},
		{"RFC 9421 no created, date not covered", func() *http.Response {
			return r.SendRFC9421With("alice", n.url+"/inbox", follow(), fedtest.RFC9421Options{NoCreated: true})
		}, refusedDateNotSigned},
	} {
		want := http.StatusUnauthorized
		if c.reason == "" {
			want = http.StatusAccepted
		}
		if resp := c.send(); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, want)
		}
		if c.reason == "" {
			log.expect(t, c.name)
		} else {
			log.expect(t, c.name, c.reason)
		}
	}
}

// We check the signed headers as go-fed/httpsig, which verifies the
// signature, reads them: a header our parser would read differently
// (a parameter name in capitals, a second Authorization signature) must
// not make a signature over date alone pass for one over the body.
func TestSignatureParametersAreReadAsTheVerifierReadsThem(t *testing.T) {
	log := &refusalLog{}
	n := newNode(t, withRefusals(log))
	r := fedtest.New(t, "alice")
	dateOnly := []string{"date"}
	for _, c := range []struct {
		name   string
		opts   fedtest.SendOptions
		reason refusal
	}{
		{"a second headers parameter in capitals", fedtest.SendOptions{Headers: dateOnly, EditSignature: func(s string) string {
			return s + `,Headers="(request-target) host date digest"`
		}}, refusedTargetNotSigned},
		{"parameter names in capitals", fedtest.SendOptions{Headers: dateOnly, EditSignature: func(s string) string {
			return strings.NewReplacer("keyId=", "KEYID=", "headers=", "HEADERS=", "signature=", "SIGNATURE=").Replace(s) +
				`,HEADERS="(request-target) host date digest"`
		}}, refusedTargetNotSigned},
	} {
		// The body's true Digest, though the signature does not cover it.
		activity := followOf(r, "alice", n.group(), c.name)
		body, _ := json.Marshal(activity)
		sum := sha256.Sum256(body)
		c.opts.Header = http.Header{"Digest": {"SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])}}
		if resp := r.Send("alice", n.url+"/inbox", activity, c.opts); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", c.name, resp.StatusCode)
		}
		log.expect(t, c.name, c.reason)
	}
}
