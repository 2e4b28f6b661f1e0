package mail

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeSMTP accepts one message and returns what it received.
func fakeSMTP(t *testing.T) (int, <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		w := func(s string) { c.Write([]byte(s + "\r\n")) }
		w("220 fake ESMTP")
		var data strings.Builder
		inData := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if inData {
				if line == ".\r\n" {
					inData = false
					w("250 OK")
					got <- data.String()
					continue
				}
				data.WriteString(line)
				continue
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				w("250 fake")
			case cmd == "DATA":
				inData = true
				w("354 go on")
			case cmd == "QUIT":
				w("221 bye")
				return
			default:
				w("250 OK")
			}
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, got
}

func TestSend(t *testing.T) {
	port, got := fakeSMTP(t)
	s := &SMTP{Host: "127.0.0.1", Port: port, From: "hearth@village.example"}
	if err := s.Send(context.Background(), "ann@example.org", "Confirm your email", "Open this link:\nhttps://village.example/confirm-email?token=abc"); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-got:
		for _, want := range []string{"To: ann@example.org", "Subject: Confirm your email", "confirm-email?token=abc"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message lacks %q:\n%s", want, msg)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no message arrived")
	}
	if err := s.Send(context.Background(), "a@example.org\r\nBcc: x@evil.example", "s", "b"); err == nil {
		t.Error("header injection accepted")
	}
	if err := (&SMTP{}).Send(context.Background(), "a@example.org", "s", "b"); err == nil {
		t.Error("sent without configuration")
	}
}
