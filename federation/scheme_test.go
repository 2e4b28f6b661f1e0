package federation

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"hearth/federation/fedtest"
)

// Ids and URLs from other servers must be https; plain http only when
// private addresses are allowed (tests and development on one machine),
// and never any other scheme.
func TestOnlyHTTPSIdsAreAccepted(t *testing.T) {
	log := &refusalLog{}
	// A production node (no private addresses) whose client can still
	// reach the fake on loopback: the scheme rule, not the address rule,
	// must refuse its http:// ids.
	strict := newNode(t, withRefusals(log), func(o *Options) {
		o.AllowPrivateAddresses = false
		o.Client = newClientAllowing(nil, false, 5*time.Second)
	})
	r := fedtest.New(t, "alice")
	if resp := r.Send("alice", strict.url+"/inbox", followOf(r, "alice", strict.group(), "1"), fedtest.SendOptions{}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an http:// actor on a production node: %d", resp.StatusCode)
	}
	log.expect(t, "an http:// actor on a production node", refusedScheme)
	if _, err := strict.fed.actor(ctx, r.Actor("alice"), true); reasonOf(err, "") != refusedScheme {
		t.Errorf("fetching an http:// actor on a production node: %v", err)
	}
	strict.settle()
	if followers(t, strict) != 0 {
		t.Error("an http:// actor became a follower")
	}

	n := newNode(t, withRefusals(log))
	for _, iri := range []string{"gopher://127.0.0.1:70/users/alice", "file:///etc/passwd", "ftp://127.0.0.1/x", "data:,{}", "//127.0.0.1/x"} {
		if _, err := n.fed.actor(ctx, iri, true); reasonOf(err, "") != refusedScheme {
			t.Errorf("fetching %s: %v", iri, err)
		}
	}
	it := n.postNeed("public")
	for name, mutate := range map[string]func(m map[string]any){
		"actor":  func(m map[string]any) { m["actor"] = strings.Replace(r.Actor("alice"), "http:", "gopher:", 1) },
		"id":     func(m map[string]any) { m["id"] = strings.Replace(m["id"].(string), "http:", "ftp:", 1) },
		"key id": nil,
	} {
		create := replyTo(r, "alice", "s-"+strings.ReplaceAll(name, " ", ""), n.url+it.Path(), "<p>hi</p>")
		opts := fedtest.SendOptions{}
		if mutate != nil {
			mutate(create)
		} else {
			opts.KeyID = strings.Replace(r.KeyID("alice"), "http:", "file:", 1)
		}
		if resp := r.Send("alice", n.url+"/inbox", create, opts); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with another scheme: %d", name, resp.StatusCode)
		}
		log.expect(t, name+" with another scheme", refusedScheme)
	}
	// An object on the actor's host and port but another scheme is not
	// the actor's.
	create := replyTo(r, "alice", "gopher", n.url+it.Path(), "<p>from gopher</p>")
	create["object"].(map[string]any)["id"] = strings.Replace(r.Actor("alice"), "http:", "gopher:", 1) + "/statuses/9"
	if resp := r.Send("alice", n.url+"/inbox", create, fedtest.SendOptions{}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	n.settle()
	if list := responses(t, n, it); len(list) != 0 {
		t.Errorf("an object with a gopher: id was stored: %s", list[0].APID)
	}
}

// The production client speaks https only, so no redirect can take a
// fetch or a delivery to plain http; and its address check runs on the
// address it dials (after DNS), so a name that resolves to loopback is
// refused like the address itself.
func TestOutgoingClientIsHTTPSOnly(t *testing.T) {
	strict := newClient(false, 5*time.Second)
	if _, err := strict.Get("http://localhost:1/"); !errors.Is(err, errInsecureScheme) {
		t.Errorf("plain http: %v", err)
	}
	if _, err := strict.Get("https://localhost:1/"); !errors.Is(err, errPrivateAddress) {
		t.Errorf("a name resolving to loopback: %v", err)
	}
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) }))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/x", http.StatusFound))
	defer secure.Close()
	allowed := map[netip.AddrPort]bool{}
	for _, u := range []string{plain.URL, secure.URL} {
		allowed[netip.MustParseAddrPort(u[strings.LastIndex(u, "/")+1:])] = true
	}
	c := newClientAllowing(func(ap netip.AddrPort) bool { return allowed[ap] }, true, 5*time.Second)
	pool := x509.NewCertPool()
	pool.AddCert(secure.Certificate())
	c.Transport.(*httpsOnly).next.TLSClientConfig = &tls.Config{RootCAs: pool}
	resp, err := c.Get(secure.URL)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, errInsecureScheme) {
		t.Errorf("https redirecting to http: %v", err)
	}
	// Refusals are final, not worth retrying.
	if transient(err) {
		t.Error("an insecure scheme counted as transient")
	}
}
