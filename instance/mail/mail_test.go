package mail_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/mail"
	"hearth/instance/mail/mailtest"
)

var ctx = context.Background()

func email() *instance.Email {
	return &instance.Email{To: "ann@example.org", Subject: "Confirmez votre adresse électronique",
		Text: "Bonjour Ann,\n\nOuvrez ce lien : https://village.example/confirm-email?token=abc\n",
		HTML: "<!doctype html><html lang=\"fr\"><p>Bonjour Ann,</p></html>", MessageID: "<42.abc@village.example>",
		Unsubscribe: "https://village.example/unsubscribe?t=xyz", Lang: "fr"}
}

func relay(s *mailtest.Server, tlsMode string) *mail.SMTP {
	return &mail.SMTP{Host: s.Host, Port: s.Port, From: "hearth@village.example", TLS: tlsMode, Timeout: 5 * time.Second, TLSConfig: s.ClientTLS()}
}

// Every way of reaching a relay works, with the headers a good sender
// writes: an encoded subject, our Message-ID, a Date, both parts, and the
// RFC 8058 unsubscribe pair.
func TestSendOverEachTLSMode(t *testing.T) {
	for _, tc := range []struct {
		server, client string
		auth, wantTLS  bool
	}{
		{"starttls", mail.TLSStartTLS, true, true},
		{"starttls", mail.TLSOpportunistic, false, true},
		{"implicit", mail.TLSImplicit, true, true},
		{"none", mail.TLSNone, false, false},
		{"none", mail.TLSOpportunistic, false, false},
	} {
		t.Run(tc.server+"/"+tc.client, func(t *testing.T) {
			o := mailtest.Options{TLS: tc.server}
			if tc.auth {
				o.Username, o.Password = "hearth", "s3cret"
			}
			s := mailtest.Start(t, o)
			r := relay(s, tc.client)
			if tc.auth {
				r.Username, r.Password = "hearth", "s3cret"
			}
			if err := r.Send(ctx, email()); err != nil {
				t.Fatal(err)
			}
			m := s.Next(t)
			if m.TLS != tc.wantTLS {
				t.Errorf("encrypted = %v, want %v", m.TLS, tc.wantTLS)
			}
			if tc.auth && m.Authed != "hearth" {
				t.Errorf("logged in as %q", m.Authed)
			}
			if m.Subject() != "Confirmez votre adresse électronique" || !strings.HasPrefix(m.Header.Get("Subject"), "=?UTF-8?") {
				t.Errorf("subject %q decodes to %q", m.Header.Get("Subject"), m.Subject())
			}
			for h, want := range map[string]string{
				"From": "<hearth@village.example>", "To": "<ann@example.org>", "Message-Id": "<42.abc@village.example>",
				"List-Unsubscribe": "<https://village.example/unsubscribe?t=xyz>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
				"Content-Language": "fr", "Auto-Submitted": "auto-generated",
			} {
				if got := m.Header.Get(h); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			if d, err := m.Header.Date(); err != nil || time.Since(d) > time.Hour {
				t.Errorf("Date: %v %v", d, err)
			}
			if m.Content != "multipart/alternative" || !strings.Contains(m.Text, "Ouvrez ce lien : https://village.example/confirm-email?token=abc") ||
				!strings.Contains(m.HTML, `<p>Bonjour Ann,</p>`) {
				t.Errorf("body: %s\ntext %q\nhtml %q", m.Content, m.Text, m.HTML)
			}
		})
	}
}

// Required STARTTLS never sends in the clear to a relay that does not
// offer it; a wrong password is not the address's fault.
func TestSendRefusesWithoutRequiredTLSOrLogin(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{})
	err := relay(s, mail.TLSStartTLS).Send(ctx, email())
	if err == nil || errors.Is(err, instance.ErrAddressRefused) {
		t.Fatalf("sent without STARTTLS: %v", err)
	}
	if len(s.Received()) != 0 {
		t.Fatal("a message went out in the clear")
	}
	a := mailtest.Start(t, mailtest.Options{TLS: "starttls", Username: "hearth", Password: "right"})
	r := relay(a, mail.TLSStartTLS)
	r.Username, r.Password = "hearth", "wrong"
	if err := r.Send(ctx, email()); err == nil || errors.Is(err, instance.ErrAddressRefused) {
		t.Fatalf("wrong password: %v", err)
	}
}

// A 4xx is temporary; a 5xx to the recipient refuses the address.
func TestSendClassifiesReplies(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{})
	r := relay(s, mail.TLSNone)
	s.Answer(451)
	err := r.Send(ctx, email())
	var me *mail.Error
	if err == nil || errors.Is(err, instance.ErrAddressRefused) || !errors.As(err, &me) || me.Code != 451 || !me.Temporary {
		t.Fatalf("451: %v", err)
	}
	s.Answer(550)
	err = r.Send(ctx, email())
	if !errors.Is(err, instance.ErrAddressRefused) || !errors.As(err, &me) || me.Code != 550 {
		t.Fatalf("550: %v", err)
	}
	if err := r.Send(ctx, email()); err != nil {
		t.Fatalf("after the script: %v", err)
	}
	if n := len(s.Received()); n != 1 {
		t.Errorf("%d messages received, want 1", n)
	}
	down := &mail.SMTP{Host: "127.0.0.1", Port: 1, From: "hearth@village.example", TLS: mail.TLSNone, Timeout: time.Second}
	if err := down.Send(ctx, email()); err == nil || errors.Is(err, instance.ErrAddressRefused) {
		t.Errorf("relay down: %v", err)
	}
}

func TestSendRefusesHeaderInjection(t *testing.T) {
	s := mailtest.Start(t, mailtest.Options{})
	e := email()
	e.To = "a@example.org\r\nBcc: x@evil.example"
	if err := relay(s, mail.TLSNone).Send(ctx, e); err == nil {
		t.Error("header injection accepted")
	}
	e = email()
	e.Subject = "hi\nBcc: x@evil.example"
	if err := relay(s, mail.TLSNone).Send(ctx, e); err == nil {
		t.Error("header injection in the subject accepted")
	}
	if err := (&mail.SMTP{}).Send(ctx, email()); err == nil {
		t.Error("sent without configuration")
	}
}
