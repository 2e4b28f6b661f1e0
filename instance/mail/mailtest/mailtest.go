// Package mailtest runs a real SMTP server in a test (built on
// github.com/emersion/go-smtp) that receives and parses every message:
// headers, the plain-text and HTML parts. It can require STARTTLS or speak
// implicit TLS with a certificate of its own, require a login, and answer
// the recipient with scripted failures (451 once, 550). Imported only by
// tests.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options choose how the server behaves.
type Options struct {
	// TLS is "none" (default), "starttls" (offers STARTTLS) or "implicit".
	TLS string
	// Username and Password, when set, are required (AUTH PLAIN).
	Username, Password string
}

// Message is one received message.
type Message struct {
	From    string   // envelope sender
	To      []string // envelope recipients
	Header  mail.Header
	Raw     string
	Text    string // the decoded text/plain part
	HTML    string // the decoded text/html part
	TLS     bool   // received over an encrypted connection
	Authed  string // the user that logged in, if any
	Content string // the top-level Content-Type
}

// Subject decodes the Subject header (RFC 2047).
func (m *Message) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return m.Header.Get("Subject")
	}
	return s
}

// Server is a running test SMTP server.
type Server struct {
	Host string
	Port int
	srv  *smtp.Server
	cert *x509.Certificate

	mu       sync.Mutex
	script   []int // reply codes for the next RCPTs (0: accept)
	received []*Message
	arrived  chan *Message
	rcpts    int
}

// Start starts a server on loopback; it stops when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{Host: "127.0.0.1", arrived: make(chan *Message, 100)}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c, opt: o}, nil
	})
	s.srv = smtp.NewServer(be)
	s.srv.Domain = "mx.test"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	var tlsConf *tls.Config
	if o.TLS == "starttls" || o.TLS == "implicit" {
		cert, leaf, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		s.cert = leaf
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.srv.TLSConfig = tlsConf
	}
	s.srv.AllowInsecureAuth = o.TLS == "none" || o.TLS == ""
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	if o.TLS == "implicit" {
		l = tls.NewListener(l, tlsConf)
	}
	go func() { _ = s.srv.Serve(l) }() // ends with Close below
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// ClientTLS is a TLS configuration that trusts this server's certificate.
func (s *Server) ClientTLS() *tls.Config {
	pool := x509.NewCertPool()
	if s.cert != nil {
		pool.AddCert(s.cert)
	}
	return &tls.Config{RootCAs: pool, ServerName: s.Host, MinVersion: tls.VersionTLS12}
}

// Answer makes the next RCPT commands fail with these codes, in order
// (451: try again later; 550: no such mailbox). 0 accepts.
func (s *Server) Answer(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, codes...)
}

// Received returns the messages received so far.
func (s *Server) Received() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.received...)
}

// Recipients counts RCPT commands, accepted or not.
func (s *Server) Recipients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcpts
}

// Next waits for the next message (the server goroutine delivers it
// before the client's DATA is answered, so after a successful send it is
// already here).
func (s *Server) Next(t testing.TB) *Message {
	t.Helper()
	select {
	case m := <-s.arrived:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("mailtest: no message arrived")
		return nil
	}
}

type session struct {
	srv    *Server
	conn   *smtp.Conn
	opt    Options
	from   string
	to     []string
	authed string
}

func (se *session) AuthMechanisms() []string {
	if se.opt.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != se.opt.Username || password != se.opt.Password {
			return smtp.ErrAuthFailed
		}
		se.authed = username
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.opt.Username != "" && se.authed == "" {
		return smtp.ErrAuthRequired
	}
	if se.opt.TLS == "starttls" {
		if _, ok := se.conn.TLSConnectionState(); !ok {
			return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
		}
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s := se.srv
	s.mu.Lock()
	s.rcpts++
	code := 0
	if len(s.script) > 0 {
		code, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	switch {
	case code >= 500:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
	case code >= 400:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "Unparseable message: " + err.Error()}
	}
	m.From, m.To, m.Authed = se.from, se.to, se.authed
	_, m.TLS = se.conn.TLSConnectionState()
	s := se.srv
	s.mu.Lock()
	s.received = append(s.received, m)
	s.mu.Unlock()
	s.arrived <- m
	return nil
}

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

// parse reads a message and decodes its text and HTML parts.
func parse(raw []byte) (*Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m := &Message{Header: msg.Header, Raw: string(raw)}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	m.Content = mt
	if !strings.HasPrefix(mt, "multipart/") {
		body, err := decode(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		if err != nil {
			return nil, err
		}
		m.Text = body
		return m, nil
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		body, err := decode(p.Header.Get("Content-Transfer-Encoding"), p)
		if err != nil {
			return nil, err
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch pt {
		case "text/plain":
			m.Text = body
		case "text/html":
			m.HTML = body
		}
	}
	return m, nil
}

func decode(cte string, r io.Reader) (string, error) {
	if strings.EqualFold(cte, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	return strings.ReplaceAll(string(b), "\r\n", "\n"), err // SMTP lines end in CRLF
}

func selfSigned() (tls.Certificate, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf, nil
}
