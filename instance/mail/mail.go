// Package mail sends Hearth's few emails (address confirmation, the
// operator's test message) through an SMTP server, with STARTTLS when the
// server offers it. Standard library only.
package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// SMTP is an SMTP relay.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
}

// Configured reports whether a relay is set up.
func (s *SMTP) Configured() bool { return s != nil && s.Host != "" && s.From != "" }

// Send sends one plain-text message.
func (s *SMTP) Send(ctx context.Context, to, subject, body string) error {
	if !s.Configured() {
		return errors.New("mail: SMTP is not configured")
	}
	if strings.ContainsAny(to+subject, "\r\n") {
		return errors.New("mail: header injection refused")
	}
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	msg := "From: " + s.From + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n")
	var auth smtp.Auth
	if s.Username != "" {
		auth = smtp.PlainAuth("", s.Username, s.Password, s.Host)
	}
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(addr, auth, s.From, []string{to}, []byte(msg)) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("mail: sending to %s through %s: %w", to, addr, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
