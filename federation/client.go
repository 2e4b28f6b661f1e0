package federation

import (
	"context"
	"errors"
	"fmt"
	"hearth/instance/netguard"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// maxResponseBytes caps every document we read from another server.
const maxResponseBytes = 1 << 20

// errPrivateAddress is returned when a fetch or delivery would reach a
// loopback, private, link-local or otherwise non-public address.
var errPrivateAddress = errors.New("federation: refusing to connect to a non-public address")

// newClient builds the one HTTP client used for every fetch and delivery.
// The address check runs in the dialer's Control hook on the address
// actually dialled, after DNS resolution and for every connection
// (redirects included), so neither a redirect nor DNS rebinding can reach
// an internal address. Unless private addresses are allowed it also
// speaks https only, redirects included.
func newClient(allowPrivate bool, timeout time.Duration) *http.Client {
	if allowPrivate {
		return newClientAllowing(nil, false, timeout)
	}
	return newClientAllowing(func(ap netip.AddrPort) bool { return netguard.Public(ap.Addr()) }, true, timeout)
}

// errInsecureScheme is returned for a request (or a redirect) to a URL
// that is not https, from a client that speaks https only.
var errInsecureScheme = errors.New("federation: refusing a URL that is not https")

// httpsOnly refuses every request that is not https before it is sent.
type httpsOnly struct{ next *http.Transport }

func (h *httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.EqualFold(req.URL.Scheme, "https") {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper must close the body, even on error
		}
		return nil, fmt.Errorf("%w: %s", errInsecureScheme, req.URL.Redacted())
	}
	return h.next.RoundTrip(req)
}

// newClientAllowing builds the client with an address check (nil: allow
// everything), and https only when secure is set. Tests use it to allow
// exactly one loopback port.
func newClientAllowing(allow func(netip.AddrPort) bool, secure bool, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if allow != nil {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !allow(ap) {
				return fmt.Errorf("%w: %s", errPrivateAddress, address)
			}
			return nil
		}
	}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 20 * time.Second,
		Proxy:                 nil, // never route through an environment proxy: it would bypass the check
	}
	var rt http.RoundTripper = transport
	if secure {
		rt = &httpsOnly{next: transport}
	}
	return &http.Client{
		Transport: rt,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("federation: too many redirects")
			}
			return nil
		},
	}
}

// readBody reads at most maxResponseBytes, failing (not truncating) above.
func readBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxResponseBytes {
		return nil, errors.New("federation: response larger than 1 MiB")
	}
	return b, nil
}

// contextWithTimeout bounds one remote operation.
func contextWithTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 20*time.Second)
}
