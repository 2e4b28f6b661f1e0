package federation

import (
	"net"
	"net/http"
	"testing"

	"hearth/federation/fedtest"
)

// Requests that do not verify are counted against the address they come
// from, never against the server they name: anonymous POSTs claiming to be
// from a server cannot get that server's real traffic refused. Verified
// activities count against their server.
func TestRefusedRequestsDoNotChargeTheServerTheyName(t *testing.T) {
	log := &refusalLog{}
	loopback := net.ParseIP("127.0.0.1")
	n := newNode(t, withRefusals(log), func(o *Options) {
		o.InboundPerHost = 5
		o.TrustedProxy = func(ip net.IP) bool { return ip.Equal(loopback) } // as behind a reverse proxy on this machine
	})
	r := fedtest.New(t, "alice", "bob")
	attacker := http.Header{"X-Forwarded-For": {"203.0.113.9"}}
	for i := range 20 {
		opts := fedtest.SendOptions{KeyUser: "bob", KeyID: r.KeyID("alice"), Header: attacker} // alice's keyId, bob's key
		if i%2 == 1 {
			opts = fedtest.SendOptions{NoSignature: true, Header: attacker}
		}
		resp := r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "forged"), opts)
		want, reason := http.StatusUnauthorized, refusedBadSignature
		if i%2 == 1 {
			reason = refusedNoSignature
		}
		if i >= 5 {
			want, reason = http.StatusTooManyRequests, refusedRateClient
		}
		if resp.StatusCode != want {
			t.Errorf("forged request %d: %d, want %d", i, resp.StatusCode, want)
		}
		log.expect(t, "forged request", reason)
	}
	// alice's server itself, from its own address, is unaffected.
	for i := range 5 {
		resp := r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), string(rune('a'+i))), fedtest.SendOptions{Header: http.Header{"X-Forwarded-For": {"198.51.100.7"}}})
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("alice's genuine activity %d after the flood: %d", i, resp.StatusCode)
		}
	}
	log.expect(t, "alice's genuine activities")
	// Her sixth in the window is over her server's limit.
	resp := r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "f"), fedtest.SendOptions{Header: http.Header{"X-Forwarded-For": {"198.51.100.7"}}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("over the server's limit: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	log.expect(t, "over the server's limit", refusedRateHost)
}
