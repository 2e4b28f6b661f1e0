// Package mail sends Hearth's emails through an SMTP relay with
// github.com/wneessen/go-mail: timeouts, a Message-ID, encoded subjects,
// STARTTLS (required or opportunistic) or implicit TLS, authentication,
// and a plain-text and an HTML part. It implements instance.Mailer and
// says which failures are the address's fault (5xx) and which are worth
// trying again. It knows nothing of the queue: instance.MailWorker calls
// it.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"hearth/instance"
)

// TLS modes of the [smtp] tls key.
const (
	// TLSStartTLS upgrades the connection with STARTTLS and refuses to
	// send if the relay does not offer it (port 587).
	TLSStartTLS = "starttls"
	// TLSOpportunistic uses STARTTLS when the relay offers it and sends
	// in the clear otherwise (a relay on the same machine).
	TLSOpportunistic = "opportunistic"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit = "implicit"
	// TLSNone never encrypts (a relay on the same machine only).
	TLSNone = "none"
)

// TLSModes lists the accepted values of [smtp] tls.
var TLSModes = []string{TLSStartTLS, TLSOpportunistic, TLSImplicit, TLSNone}

// SMTP is an SMTP relay.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	// TLS is one of TLSModes (default starttls).
	TLS string
	// Timeout bounds connecting and each command (default 30 s).
	Timeout time.Duration
	// TLSConfig overrides the TLS settings (tests use it to trust their
	// own certificate); nil verifies the relay against the system roots.
	TLSConfig *tls.Config
}

var _ instance.Mailer = (*SMTP)(nil)

// Configured reports whether a relay is set up.
func (s *SMTP) Configured() bool { return s != nil && s.Host != "" && s.From != "" }

// String names the relay for the operator (never the password).
func (s *SMTP) String() string {
	mode := s.TLS
	if mode == "" {
		mode = TLSStartTLS
	}
	return fmt.Sprintf("%s:%d (%s)", s.Host, s.Port, mode)
}

// Error is a failed send, with the relay's reply code when there was one.
type Error struct {
	Code      int
	Temporary bool
	err       error
}

func (e *Error) Error() string { return e.err.Error() }
func (e *Error) Unwrap() error { return e.err }

// SMTPCode implements instance.SMTPCoder.
func (e *Error) SMTPCode() int { return e.Code }

// Send sends one message. A 5xx answer to the recipient or to the message
// gives an error wrapping instance.ErrAddressRefused; anything else
// (4xx, a relay that is down, a timeout) is temporary.
func (s *SMTP) Send(ctx context.Context, e *instance.Email) error {
	if !s.Configured() {
		return errors.New("mail: SMTP is not configured")
	}
	msg, err := s.message(e)
	if err != nil {
		return err
	}
	client, err := s.client()
	if err != nil {
		return err
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return s.classify(e.To, err)
	}
	return nil
}

func (s *SMTP) client() (*gomail.Client, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []gomail.Option{gomail.WithPort(s.Port), gomail.WithTimeout(timeout)}
	tc := s.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	}
	opts = append(opts, gomail.WithTLSConfig(tc))
	switch s.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.Username != "" {
		// The strongest mechanism the relay offers; go-mail refuses
		// PLAIN and LOGIN over an unencrypted connection.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: relay %s:%d: %w", s.Host, s.Port, err)
	}
	return c, nil
}

func (s *SMTP) message(e *instance.Email) (*gomail.Msg, error) {
	if strings.ContainsAny(e.To+e.Subject+e.MessageID+e.Unsubscribe, "\r\n") {
		return nil, errors.New("mail: header injection refused")
	}
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	if err := msg.From(s.From); err != nil {
		return nil, fmt.Errorf("mail: from %q: %w", s.From, err)
	}
	if err := msg.To(e.To); err != nil {
		return nil, &Error{err: fmt.Errorf("mail: to %q: %w: %w", e.To, instance.ErrAddressRefused, err)}
	}
	msg.Subject(e.Subject) // go-mail encodes non-ASCII subjects (RFC 2047)
	if id := strings.Trim(e.MessageID, "<>"); id != "" {
		msg.SetMessageIDWithValue(id)
	} else {
		msg.SetMessageID()
	}
	msg.SetDate()
	msg.SetUserAgent("Hearth")
	if e.Lang != "" {
		msg.SetGenHeader(gomail.HeaderContentLang, e.Lang)
	}
	// Automatic mail: no out-of-office replies to it.
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetGenHeaderPreformatted("Auto-Submitted", "auto-generated")
	if e.Unsubscribe != "" {
		// RFC 8058 one-click unsubscribe: mail programs POST
		// "List-Unsubscribe=One-Click" to the link.
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe, "<"+e.Unsubscribe+">")
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(gomail.TypeTextPlain, e.Text)
	if e.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	}
	return msg, nil
}

// classify turns go-mail's error into ours: a permanent failure of the
// recipient or of the message is the address's (ErrAddressRefused); a
// refused sender or login, a 4xx, or no connection at all is temporary
// or the operator's, and is tried again.
func (s *SMTP) classify(to string, err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		permanent := code >= 500 && code < 600
		if permanent && (se.Reason == gomail.ErrSMTPRcptTo || se.Reason == gomail.ErrSMTPDataClose || se.Reason == gomail.ErrSMTPData) {
			return &Error{Code: code, err: fmt.Errorf("mail: relay %s refused %s (%d): %w: %w", s.Host, to, code, instance.ErrAddressRefused, err)}
		}
		return &Error{Code: code, Temporary: !permanent, err: fmt.Errorf("mail: sending to %s through %s (%d): %w", to, s.Host, code, err)}
	}
	return &Error{Temporary: true, err: fmt.Errorf("mail: sending to %s through %s:%d: %w", to, s.Host, s.Port, err)}
}
