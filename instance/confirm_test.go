package instance_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"hearth/instance"
	"hearth/instance/store"
)

// fakeMailer records what the queue hands it, as "to|subject|text".
type fakeMailer struct {
	mu   sync.Mutex
	sent []string
}

func (f *fakeMailer) Send(_ context.Context, e *instance.Email) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, e.To+"|"+e.Subject+"|"+e.Text)
	return nil
}

// drain runs a mail worker over the queue until it is empty.
func drain(t *testing.T, st instance.MailStore, m instance.Mailer, now instance.Clock) {
	t.Helper()
	w := instance.NewMailWorker(instance.MailWorkerOptions{Store: st, Mailer: m, Clock: now})
	for {
		n, err := w.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func TestEmailConfirmation(t *testing.T) {
	for _, withMail := range []bool{false, true} {
		st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hearth.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		mailer := &fakeMailer{}
		o := instance.Options{Store: st, Registration: instance.RegistrationOpen, RequireEmailConfirmation: true, BaseURL: "https://village.example"}
		if withMail {
			o.Mailer = mailer
		}
		svc, _ := instance.New(o)
		svc.EnsureMainGroup(ctx, "village", "V")
		coord, _ := svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "cora", DisplayName: "Cora", Password: goodPassword, Roles: []instance.Role{instance.RoleCoordinator}})
		coord, _ = svc.MemberByID(ctx, coord.ID)
		if _, err := svc.SignUp(ctx, signUp("ann")); err != nil {
			t.Fatal(err)
		}
		_, _, err = svc.Login(ctx, "ann", goodPassword, "1.1.1.1")
		var p *instance.Problem
		if !errors.As(err, &p) || p.Code != "login.email_unconfirmed" {
			t.Fatalf("login before confirming: %v", err)
		}
		list, err := svc.Unconfirmed(ctx, coord)
		if err != nil || len(list) != 1 || !strings.HasPrefix(list[0].Link, "https://village.example/confirm-email?token=") {
			t.Fatalf("unconfirmed: %+v %v", list, err)
		}
		drain(t, st, mailer, instance.SystemClock)
		if withMail {
			if len(mailer.sent) != 1 || !strings.Contains(mailer.sent[0], list[0].Link) || !strings.HasPrefix(mailer.sent[0], "ann@example.org|") {
				t.Errorf("mail: %v", mailer.sent)
			}
		} else if len(mailer.sent) != 0 {
			t.Error("mail sent without a mailer")
		}
		if err := svc.ConfirmEmail(ctx, "wrong"); !errors.Is(err, instance.ErrNotFound) {
			t.Errorf("bad token: %v", err)
		}
		token := list[0].Link[strings.Index(list[0].Link, "token=")+6:]
		if err := svc.ConfirmEmail(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Login(ctx, "ann", goodPassword, "1.1.1.1"); err != nil {
			t.Errorf("login after confirming: %v", err)
		}
		if err := svc.ConfirmEmail(ctx, token); err == nil {
			t.Error("a confirmation link worked twice")
		}
	}
}

// On a French-speaking instance new members start in French, and their
// confirmation email is written from the catalogue in their language.
func TestInstanceLanguageForNewMembersAndEmail(t *testing.T) {
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mailer := &fakeMailer{}
	translate := func(lang, key string, args ...any) string {
		return lang + ":" + key + ":" + fmt.Sprint(args...)
	}
	svc, err := instance.New(instance.Options{Store: st, Registration: instance.RegistrationOpen, RequireEmailConfirmation: true,
		BaseURL: "https://village.example", Mailer: mailer, Language: "fr", Translate: translate})
	if err != nil {
		t.Fatal(err)
	}
	svc.EnsureMainGroup(ctx, "village", "V")
	ann, err := svc.SignUp(ctx, signUp("ann"))
	if err != nil {
		t.Fatal(err)
	}
	if ann.Language != "fr" {
		t.Errorf("a member who signed up speaks %q, want the instance's fr", ann.Language)
	}
	cora, err := svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "cora", DisplayName: "Cora", Password: goodPassword})
	if err != nil || cora.Language != "fr" {
		t.Errorf("a member made by the operator: %v %v", cora, err)
	}
	drain(t, st, mailer, instance.SystemClock)
	if len(mailer.sent) != 1 || !strings.HasPrefix(mailer.sent[0], "ann@example.org|fr:mail.confirm_subject:|fr:mail.hello:Someone") ||
		!strings.Contains(mailer.sent[0], "https://village.example/confirm-email?token=") {
		t.Errorf("confirmation email: %q", mailer.sent)
	}
}
