// Package netguard builds the HTTP client for requests the domain sends to
// addresses that members (or their browsers) chose: Web Push endpoints.
// It speaks https only and never connects to a loopback, private,
// link-local or otherwise non-public address, checked on the address
// actually dialled (after DNS, for every connection and redirect), so
// neither a crafted endpoint, a redirect nor DNS rebinding reaches the
// instance's own network. Tests allow private addresses (and plain http)
// explicitly.
//
// It follows federation's client guard (federation/client.go), which
// instance may not import.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrPrivateAddress is returned for a connection to a non-public address.
var ErrPrivateAddress = errors.New("netguard: refusing to connect to a non-public address")

// ErrInsecureScheme is returned for a request (or redirect) that is not
// https.
var ErrInsecureScheme = errors.New("netguard: refusing a URL that is not https")

// Options configures a client.
type Options struct {
	// AllowPrivate lets requests reach loopback and private addresses
	// over plain http too ([federation] allow_private_addresses, for
	// tests and closed networks).
	AllowPrivate bool
	// Timeout bounds one whole request (default 30 s).
	Timeout time.Duration
}

// Client builds the guarded client.
func Client(o Options) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !Public(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
			}
			return nil
		}
	}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          50,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
		Proxy:                 nil, // an environment proxy would bypass the address check
	}
	var rt http.RoundTripper = transport
	if !o.AllowPrivate {
		rt = httpsOnly{next: transport}
	}
	return &http.Client{
		Transport: rt,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("netguard: too many redirects")
			}
			return nil
		},
	}
}

// httpsOnly refuses every request that is not https before it is sent.
type httpsOnly struct{ next http.RoundTripper }

func (h httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.EqualFold(req.URL.Scheme, "https") {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper must close the body, even on error
		}
		return nil, fmt.Errorf("%w: %s", ErrInsecureScheme, req.URL.Redacted())
	}
	return h.next.RoundTrip(req)
}

// Public reports whether ip is a public unicast address.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// reserved are ranges netip's predicates do not cover: carrier-grade
// NAT, benchmarking, documentation, "this network", broadcast, NAT64 and
// the tunnels that can embed a private IPv4 address.
var reserved = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32", "64:ff9b::/96", "2001::/32",
		"2001:db8::/32", "2002::/16", "100::/64"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()
