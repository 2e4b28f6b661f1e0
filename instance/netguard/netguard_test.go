package netguard

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// The guarded client refuses plain http and non-public addresses (after
// DNS, on the address dialled); allowing private addresses lets both
// through, for tests.
func TestClientRefusesPrivateAndPlainHTTP(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }))
	defer secure.Close()
	c := Client(Options{})
	if _, err := c.Post(plain.URL, "text/plain", nil); !errors.Is(err, ErrInsecureScheme) {
		t.Errorf("http: %v, want ErrInsecureScheme", err)
	}
	if _, err := c.Post(secure.URL, "text/plain", nil); !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("https to loopback: %v, want ErrPrivateAddress", err)
	}
	resp, err := Client(Options{AllowPrivate: true}).Post(plain.URL, "text/plain", nil)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("allowed: %v", err)
	}
	resp.Body.Close()
	for addr, want := range map[string]bool{"93.184.216.34": true, "2606:4700::1111": true, "127.0.0.1": false, "10.1.2.3": false,
		"192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false, "::1": false, "fd00::1": false, "::ffff:10.0.0.1": false,
		"2002:a00:1::": false, "0.0.0.0": false} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}
