package instance_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/mail"
	"hearth/instance/mail/mailtest"
	"hearth/instance/store"
	"hearth/web"
)

// mailFixture is an instance with email on, sending to a real SMTP server
// in the test, with the real message catalogue and a test clock.
type mailFixture struct {
	*fixture
	smtp  *mailtest.Server
	relay *mail.SMTP
}

func newMailFixture(t *testing.T, requireConfirmation ...bool) *mailFixture {
	t.Helper()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := mailtest.Start(t, mailtest.Options{TLS: "starttls"})
	relay := &mail.SMTP{Host: srv.Host, Port: srv.Port, From: "hearth@village.example", TLS: mail.TLSStartTLS,
		Timeout: 5 * time.Second, TLSConfig: srv.ClientTLS()}
	tr, err := web.Translator()
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	svc, err := instance.New(instance.Options{Store: st, Clock: c.now, Registration: instance.RegistrationOpen,
		RequireEmailConfirmation: len(requireConfirmation) > 0, Mailer: relay, BaseURL: "https://village.example", Translate: tr, SiteName: "Our village"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureMainGroup(ctx, "village", "Our village"); err != nil {
		t.Fatal(err)
	}
	return &mailFixture{fixture: &fixture{svc: svc, store: st, clock: c}, smtp: srv, relay: relay}
}

func (f *mailFixture) worker(st instance.MailStore) *instance.MailWorker {
	if st == nil {
		st = f.store
	}
	return instance.NewMailWorker(instance.MailWorkerOptions{Store: st, Mailer: f.relay, Clock: f.clock.now, Lease: 10 * time.Minute})
}

func runOnce(t *testing.T, w *instance.MailWorker) int {
	t.Helper()
	n, err := w.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *mailFixture) states(t *testing.T) map[instance.MailState]int {
	t.Helper()
	s, err := f.store.MailStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// withEmail makes a member with an address, in a language.
func (f *mailFixture) withEmail(t *testing.T, handle, lang string) *instance.Member {
	t.Helper()
	m, err := f.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: handle, DisplayName: "Name " + handle,
		Email: handle + "@example.org", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	if lang != "" {
		if err := f.svc.UpdateProfile(ctx, m, instance.Profile{DisplayName: m.DisplayName, Language: lang}); err != nil {
			t.Fatal(err)
		}
	}
	m, err = f.svc.MemberByID(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// notice queues an "about me" email to m, as the notification code will.
func (f *mailFixture) notice(t *testing.T, m *instance.Member) {
	t.Helper()
	ml, err := f.svc.ComposeMail(ctx, m, instance.NoticeAboutMe, instance.MailContent{
		Subject: instance.Say("prefs.kind.new_needs"), Before: []instance.MailText{instance.Say("mail.hello", m.DisplayName)},
		Link: "/needs/1", LinkText: instance.Say("unsubscribe.settings")})
	if err != nil || ml == nil {
		t.Fatalf("compose: %v %v", ml, err)
	}
	if err := f.store.EnqueueMail(ctx, []instance.Mail{*ml}, f.clock.now()); err != nil {
		t.Fatal(err)
	}
}

// The confirmation email goes through the queue to a real SMTP server,
// in the member's language, with the headers of a well-formed message and
// no unsubscribe (it is transactional).
func TestConfirmationEmailThroughTheQueue(t *testing.T) {
	f := newMailFixture(t, true)
	in := signUp("amelie")
	if _, err := f.svc.SignUp(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got := f.states(t); got[instance.MailQueued] != 1 {
		t.Fatalf("after sign-up the queue holds %v, want one queued mail (nothing is sent in the request)", got)
	}
	if len(f.smtp.Received()) != 0 {
		t.Fatal("mail was sent inside the request")
	}
	if n := runOnce(t, f.worker(nil)); n != 1 {
		t.Fatalf("claimed %d", n)
	}
	m := f.smtp.Next(t)
	if m.Subject() != "Confirm your email address" || m.To[0] != "amelie@example.org" || m.Header.Get("From") != "<hearth@village.example>" {
		t.Errorf("subject %q to %v from %q", m.Subject(), m.To, m.Header.Get("From"))
	}
	if !strings.HasSuffix(m.Header.Get("Message-Id"), "@village.example>") || m.Header.Get("Date") == "" {
		t.Errorf("Message-ID %q Date %q", m.Header.Get("Message-Id"), m.Header.Get("Date"))
	}
	if m.Header.Get("List-Unsubscribe") != "" {
		t.Error("a transactional email carries an unsubscribe link")
	}
	if m.Content != "multipart/alternative" || !strings.Contains(m.Text, "https://village.example/confirm-email?token=") ||
		!strings.Contains(m.HTML, `href="https://village.example/confirm-email?token=`) || !strings.Contains(m.HTML, `<html lang="en">`) {
		t.Errorf("parts: %s\n%s\n%s", m.Content, m.Text, m.HTML)
	}
	if strings.Contains(m.HTML, "<img") || strings.Contains(m.HTML, "src=") {
		t.Error("the HTML part loads something")
	}
	if got := f.states(t); got[instance.MailSent] != 1 || got[instance.MailQueued] != 0 {
		t.Errorf("states %v", got)
	}
	if n := runOnce(t, f.worker(nil)); n != 0 {
		t.Errorf("a sent mail was claimed again")
	}
}

// A French member's notification is in French, with a working one-click
// unsubscribe link and the settings link; choices other than "at once"
// queue nothing.
func TestNotificationEmailLanguageAndUnsubscribe(t *testing.T) {
	f := newMailFixture(t)
	fr := f.withEmail(t, "amelie", "fr")
	f.notice(t, fr)
	runOnce(t, f.worker(nil))
	m := f.smtp.Next(t)
	if m.Subject() != "Nouveaux besoins dans mes catégories" || !strings.HasPrefix(m.Header.Get("Subject"), "=?UTF-8?") {
		t.Errorf("subject %q (%q)", m.Subject(), m.Header.Get("Subject"))
	}
	if !strings.Contains(m.Text, "Bonjour Name amelie,") || !strings.Contains(m.HTML, `<html lang="fr">`) ||
		!strings.Contains(m.Text, "Ne plus recevoir ces e-mails\nhttps://village.example/unsubscribe?t=") ||
		!strings.Contains(m.Text, "https://village.example/settings/notifications") || m.Header.Get("Content-Language") != "fr" {
		t.Errorf("lang %q text:\n%s\nhtml:\n%s", m.Header.Get("Content-Language"), m.Text, m.HTML)
	}
	lu := m.Header.Get("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<https://village.example/unsubscribe?t=") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe %q", lu)
	}
	token := strings.TrimSuffix(lu[strings.Index(lu, "t=")+2:], ">")
	// Damage a character inside the signature (the last one of unpadded
	// base64 carries spare bits, so changing it may decode the same).
	damaged := []byte(token)
	if i := len(damaged) - 5; damaged[i] == 'A' {
		damaged[i] = 'B'
	} else {
		damaged[i] = 'A'
	}
	if _, err := f.svc.CheckUnsubscribe(ctx, string(damaged)); !isProblem(err, "unsubscribe.bad_link") {
		t.Errorf("a damaged link: %v", err)
	}
	if _, err := f.svc.CheckUnsubscribe(ctx, forge(token, fr.ID+1)); !isProblem(err, "unsubscribe.bad_link") {
		t.Errorf("a link made for someone else: %v", err)
	}
	u, err := f.svc.Unsubscribe(ctx, token)
	if err != nil || u.MemberID != fr.ID || u.Kind != instance.NoticeAboutMe {
		t.Fatalf("unsubscribe: %+v %v", u, err)
	}
	if ml, err := f.svc.ComposeMail(ctx, fr, instance.NoticeAboutMe, instance.MailContent{Subject: instance.Say("mail.hello")}); err != nil || ml != nil {
		t.Errorf("after unsubscribing a mail was still written: %v %v", ml, err)
	}
	// New needs default to the weekly digest: nothing is queued at once.
	if ml, err := f.svc.ComposeMail(ctx, fr, instance.NoticeNewNeeds, instance.MailContent{Subject: instance.Say("mail.hello")}); err != nil || ml != nil {
		t.Errorf("a weekly kind was queued at once: %v %v", ml, err)
	}
}

// forge swaps the member id in a token's payload, keeping the signature.
func forge(token string, id int64) string {
	_, sig, _ := strings.Cut(token, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d:about_me", id))) + "." + sig
}

func isProblem(err error, code string) bool {
	var p *instance.Problem
	return errors.As(err, &p) && p.Code == code
}

// A 451 is tried again after the backoff, which survives a restart of the
// worker; the message then arrives once.
func TestTemporaryFailureIsRetriedAfterBackoff(t *testing.T) {
	f := newMailFixture(t)
	ann := f.withEmail(t, "ann", "")
	f.notice(t, ann)
	f.smtp.Answer(451)
	runOnce(t, f.worker(nil))
	if len(f.smtp.Received()) != 0 || f.smtp.Recipients() != 1 {
		t.Fatalf("after a 451: %d received, %d tries", len(f.smtp.Received()), f.smtp.Recipients())
	}
	restarted := f.worker(nil) // a new process: the backoff is in the database
	if n := runOnce(t, restarted); n != 0 {
		t.Fatal("tried again before the backoff")
	}
	f.clock.advance(time.Minute)
	if n := runOnce(t, restarted); n != 1 {
		t.Fatalf("claimed %d after the backoff", n)
	}
	f.smtp.Next(t)
	if got := f.states(t); got[instance.MailSent] != 1 {
		t.Errorf("states %v", got)
	}
	if b, _ := f.svc.EmailProblem(ctx, ann); b != nil {
		t.Errorf("a 4xx marked the address bouncing: %+v", b)
	}
}

// A relay that keeps failing: the mail is given up after about three days.
func TestMailGivenUpAfterRepeatedFailures(t *testing.T) {
	f := newMailFixture(t)
	f.notice(t, f.withEmail(t, "ann", ""))
	w := f.worker(nil)
	for i := 0; i < 20; i++ {
		f.smtp.Answer(421)
		runOnce(t, w)
		f.clock.advance(25 * time.Hour)
	}
	if got := f.states(t); got[instance.MailFailed] != 1 || got[instance.MailQueued] != 0 {
		t.Errorf("states %v", got)
	}
	if n := f.smtp.Recipients(); n != 10 {
		t.Errorf("%d tries, want 10 (the first and nine retries)", n)
	}
}

// A 550 stops mail to the address: later mail is not sent, the member is
// told on their profile, and re-confirming the address starts it again.
func TestPermanentFailureStopsMailToTheAddress(t *testing.T) {
	f := newMailFixture(t)
	ann := f.withEmail(t, "ann", "")
	f.notice(t, ann)
	f.smtp.Answer(550)
	runOnce(t, f.worker(nil))
	b, err := f.svc.EmailProblem(ctx, ann)
	if err != nil || b == nil || b.Code != 550 {
		t.Fatalf("bounce: %+v %v", b, err)
	}
	f.notice(t, ann)
	runOnce(t, f.worker(nil))
	if n := f.smtp.Recipients(); n != 1 {
		t.Fatalf("mail went to a bouncing address (%d tries)", n)
	}
	if got := f.states(t); got[instance.MailFailed] != 1 || got[instance.MailSuppressed] != 1 {
		t.Errorf("states %v", got)
	}
	// "My address works again": a confirmation link is sent to it, and
	// confirming clears the mark for good.
	if err := f.svc.RetryEmail(ctx, ann); err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.worker(nil))
	m := f.smtp.Next(t)
	if !strings.Contains(m.Text, "/confirm-email?token=") {
		t.Fatalf("retry sent %q", m.Text)
	}
	token := m.Text[strings.Index(m.Text, "token=")+6:]
	token = token[:strings.IndexAny(token, "\r\n")]
	if err := f.svc.ConfirmEmail(ctx, token); err != nil {
		t.Fatal(err)
	}
	if b, _ := f.svc.EmailProblem(ctx, ann); b != nil {
		t.Errorf("still bouncing after confirming: %+v", b)
	}
}

// A worker that claimed a mail and died: nothing is lost, and the next
// worker sends it exactly once, after the lease.
func TestCrashBetweenClaimAndSendSendsExactlyOnce(t *testing.T) {
	f := newMailFixture(t)
	f.notice(t, f.withEmail(t, "ann", ""))
	claimed, err := f.store.ClaimMail(ctx, f.clock.now(), 10*time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	// The claiming worker is gone. A new one must wait for the lease.
	w := f.worker(nil)
	if n := runOnce(t, w); n != 0 {
		t.Fatal("a live claim was taken over")
	}
	f.clock.advance(10 * time.Minute)
	if n := runOnce(t, w); n != 1 {
		t.Fatalf("claimed %d after the lease", n)
	}
	for i := 0; i < 3; i++ {
		f.clock.advance(time.Hour)
		runOnce(t, w)
	}
	if n := len(f.smtp.Received()); n != 1 {
		t.Errorf("%d messages, want exactly 1", n)
	}
	// The dead worker's claim is spent: it cannot mark the mail.
	if err := f.store.MarkMailSent(ctx, claimed[0].ID, claimed[0].Claim, f.clock.now()); !errors.Is(err, instance.ErrConflict) {
		t.Errorf("stale claim marked the mail: %v", err)
	}
}

// failMark is a store whose first MarkMailSent fails after the relay
// accepted the mail.
type failMark struct {
	instance.MailStore
	failed atomic.Bool
}

func (s *failMark) MarkMailSent(ctx context.Context, id int64, claim string, now time.Time) error {
	if s.failed.CompareAndSwap(false, true) {
		return errors.New("database is locked")
	}
	return s.MailStore.MarkMailSent(ctx, id, claim, now)
}

// The relay accepted the mail but marking it failed: the worker writes the
// mark again before claiming anything, so no duplicate goes out even once
// the lease has run out.
func TestFailedMarkIsReplayedNotResent(t *testing.T) {
	f := newMailFixture(t)
	f.notice(t, f.withEmail(t, "ann", ""))
	st := &failMark{MailStore: f.store}
	w := f.worker(st)
	if _, err := w.RunOnce(ctx); err == nil {
		t.Fatal("the failed mark was not reported")
	}
	f.smtp.Next(t)
	f.clock.advance(time.Hour) // the lease is long gone
	runOnce(t, w)
	runOnce(t, w)
	if n := len(f.smtp.Received()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
	if got := f.states(t); got[instance.MailSent] != 1 {
		t.Errorf("states %v", got)
	}
}

// Without [smtp] nothing is queued at all: turning email on later must
// not send a backlog of stale links.
func TestNoMailerQueuesNothing(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	if _, err := f.svc.SignUp(ctx, signUp("ann")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RequestPasswordReset(ctx, "ann@example.org", "1.2.3.4"); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.MailStates(ctx)
	if err != nil || len(got) != 0 {
		t.Errorf("queue without a mailer: %v %v", got, err)
	}
}

// Deleting an account deletes its queued mail too: nothing more is sent
// to someone who left.
func TestDeletedAccountGetsNoQueuedMail(t *testing.T) {
	f := newMailFixture(t)
	ann := f.withEmail(t, "ann", "")
	f.notice(t, ann)
	if err := f.svc.DeleteAccount(ctx, ann, goodPassword); err != nil {
		t.Fatal(err)
	}
	if n := runOnce(t, f.worker(nil)); n != 0 || len(f.smtp.Received()) != 0 {
		t.Errorf("mail to a deleted account: claimed %d", n)
	}
}

// The mail settings page names the relay: only admins may see it.
func TestMailRelayIsForAdmins(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	ctx := context.Background()
	ann := f.member(t, "ann")
	coord := f.member(t, "cora", instance.RoleCoordinator)
	for _, by := range []*instance.Member{nil, ann, coord} {
		if _, err := f.svc.MailRelay(ctx, by); !errors.Is(err, instance.ErrForbidden) {
			t.Errorf("MailRelay as %v: %v, want ErrForbidden", by, err)
		}
	}
	if _, err := f.svc.MailRelay(ctx, f.member(t, "ada", instance.RoleAdmin)); err != nil {
		t.Errorf("an admin: %v", err)
	}
}
