package federation

import (
	"io"
	"net/http"
	"testing"

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
