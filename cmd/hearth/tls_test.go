package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/instance/config"
)

// selfSigned writes a certificate for localhost and 127.0.0.1 and its key
// into dir, and returns a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// freeAddr finds a loopback port nobody is listening on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// With cert_file and key_file, Hearth serves HTTPS (TLS 1.2 or later) and
// its http_listen address sends browsers to the https base URL.
func TestServeTLSWithCertificateAndRedirect(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.BaseURL = "https://localhost:8443"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.TLS.CertFile, cfg.TLS.KeyFile = certFile, keyFile
	cfg.TLS.HTTPListen = freeAddr(t)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	addr, stop := startServe(t, &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	resp, err := client.Get("https://" + addr + "/groups/village")
	if err != nil {
		t.Fatalf("HTTPS GET: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Our village") || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("HTTPS GET /groups/village: %d, TLS %v", resp.StatusCode, resp.TLS)
	}
	// Plain HTTP on the TLS port is not answered as a page.
	if resp, err := http.Get("http://" + addr + "/groups/village"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP on the TLS port served the page")
		}
	}
	// TLS 1.1 is refused.
	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: tls.VersionTLS11}}}
	if resp, err := old.Get("https://" + addr + "/"); err == nil {
		resp.Body.Close()
		t.Error("a TLS 1.1 client was served")
	}
	// The plain-HTTP address redirects to the same path on the base URL.
	noFollow := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var redirect *http.Response
	for i := 0; i < 100; i++ { // the redirect listener starts beside the main one
		if redirect, err = noFollow.Get("http://" + cfg.TLS.HTTPListen + "/needs/3?x=1"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET on http_listen: %v", err)
	}
	redirect.Body.Close()
	if redirect.StatusCode != http.StatusMovedPermanently || redirect.Header.Get("Location") != "https://localhost:8443/needs/3?x=1" {
		t.Errorf("http_listen answered %d to %q", redirect.StatusCode, redirect.Header.Get("Location"))
	}
}

// A certificate that cannot be loaded stops the start with a message that
// names the problem, and nothing is served.
func TestServeTLSWithBadCertificateFails(t *testing.T) {
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.BaseURL = "https://localhost:8443"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.TLS.CertFile, cfg.TLS.KeyFile = certFile, filepath.Join(dir, "missing-key.pem")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	err := serveContext(context.Background(), &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "tls: ") {
		t.Fatalf("serve with a bad certificate: %v, want a tls: error", err)
	}
}
