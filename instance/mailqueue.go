package instance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Email is one message as it goes to the SMTP relay: a plain-text part,
// an HTML part, and for mail that belongs to a member the one-click
// unsubscribe link (RFC 8058). instance/mail sends it.
type Email struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// MessageID is fixed when the mail is queued ("<…@host>"), so a
	// message sent again after a crash carries the same id and mail
	// programs can tell it is the same message.
	MessageID string
	// Unsubscribe is the signed https link of List-Unsubscribe; empty for
	// transactional mail (address confirmation, password reset).
	Unsubscribe string
	// Lang is the language of the text (Content-Language).
	Lang string
}

// Mailer sends one email. instance/mail implements it over SMTP. An error
// that wraps ErrAddressRefused means the relay refused the address for
// good (a 5xx answer); any other error is worth trying again later.
type Mailer interface {
	Send(ctx context.Context, e *Email) error
}

// ErrAddressRefused is wrapped by a Mailer's error when the relay answered
// the recipient (or the message for it) with a permanent 5xx failure: mail
// to that address stops until its owner changes or re-confirms it.
var ErrAddressRefused = errors.New("mail: address refused")

// Mail is an email the domain wants sent, written to the mail queue in the
// same transaction as the change that causes it (see Service.composeMail).
type Mail struct {
	MemberID int64 // 0 when the mail belongs to no member
	To       string
	// Kind is the kind of notification (its unsubscribe and preference);
	// empty for transactional mail.
	Kind        NoticeKind
	Lang        string
	Subject     string
	Text        string
	HTML        string
	Unsubscribe string
	// MessageID is made when the mail is composed and kept for every
	// attempt.
	MessageID string
}

// MailState is where a queued mail is.
type MailState string

// Mail states: queued (waiting or being tried), sent, failed (given up),
// or suppressed (not sent because its address is known to be bouncing).
const (
	MailQueued     MailState = "queued"
	MailSent       MailState = "sent"
	MailFailed     MailState = "failed"
	MailSuppressed MailState = "suppressed"
)

// QueuedMail is one row of the mail queue, as the worker sees it.
type QueuedMail struct {
	ID        int64
	Mail      Mail
	MessageID string
	Attempts  int
	State     MailState
	// Claim is the worker's lease token: only the claim holder may mark
	// the row sent or failed.
	Claim     string
	CreatedAt time.Time
	LastError string
}

// Bounce is an address that the relay refused for good.
type Bounce struct {
	Address   string
	Code      int
	Reason    string
	CreatedAt time.Time
}

// MailStore is the persistence of the mail queue. Enqueueing happens
// inside the domain's own transactions (ItemChange.Mail, SaveEmailToken,
// SavePasswordReset…); EnqueueMail is for mail that stands alone.
type MailStore interface {
	EnqueueMail(ctx context.Context, mails []Mail, now time.Time) error
	// ClaimMail leases up to limit queued mails that are due (next attempt
	// passed, no live lease) until now+lease, under a new claim token.
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*QueuedMail, error)
	// MarkMailSent records that the relay accepted the mail. It succeeds
	// only for the claim holder; ErrConflict otherwise.
	MarkMailSent(ctx context.Context, id int64, claim string, now time.Time) error
	// RetryMail gives the lease up and schedules the next attempt
	// (counting one attempt), or gives up (failed) when next is zero.
	RetryMail(ctx context.Context, id int64, claim string, next time.Time, lastError string) error
	// ReleaseMail gives the lease up without counting an attempt.
	ReleaseMail(ctx context.Context, id int64, claim string) error
	// BounceMail marks the mail failed and its address bouncing, in one
	// transaction.
	BounceMail(ctx context.Context, id int64, claim string, b Bounce) error
	// SuppressMail marks a mail not sent because its address bounces.
	SuppressMail(ctx context.Context, id int64, claim string) error
	// ClearBounce forgets that an address bounced.
	ClearBounce(ctx context.Context, address string) error
	// BounceFor returns the bounce recorded for an address, or ErrNotFound.
	BounceFor(ctx context.Context, address string) (*Bounce, error)
	// PurgeMail deletes sent, failed and suppressed mail finished before
	// before (the texts of messages are not kept for ever).
	PurgeMail(ctx context.Context, before time.Time) (int, error)
}

// retrySchedule is the wait before each new attempt after a temporary
// failure: a relay that is down for maintenance is retried within
// minutes, one down for a day still gets the message. After the last
// step the mail is given up (about three days in all).
var retrySchedule = []time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour,
	6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 24 * time.Hour,
}

// nextAttempt returns when to try again after attempts failed attempts,
// or the zero time when the mail should be given up.
func nextAttempt(now time.Time, attempts int) time.Time {
	if attempts < 1 || attempts > len(retrySchedule) {
		return time.Time{}
	}
	return now.Add(retrySchedule[attempts-1])
}

// MailWorkerOptions configures a MailWorker.
type MailWorkerOptions struct {
	Store  MailStore
	Mailer Mailer
	Clock  Clock
	Logger *slog.Logger
	// Lease is how long a claimed mail is reserved for one attempt
	// (default 10 minutes, well beyond the relay's timeouts). A worker
	// that died holding a claim delays that mail by at most this long.
	Lease time.Duration
	// Batch is how many mails one step claims (default 20).
	Batch int
	// Interval is how often Run looks for due mail (default 10 s).
	Interval time.Duration
}

// MailWorker sends the mail queue.
//
// Delivery guarantee: a mail is claimed (leased) before it is sent and
// marked sent as soon as the relay accepts it, so a crash loses nothing
// (an unsent claimed mail is sent by the next worker once the lease runs
// out) and sends nothing twice, except the one message in flight when
// the process died after the relay accepted it and before the mark was
// written. That message is sent again with the same Message-ID. When
// only the mark fails (the database was busy or full), the worker keeps
// the sent mail in memory and writes the mark again before it claims
// anything, so that case sends no duplicate.
type MailWorker struct {
	store    MailStore
	mailer   Mailer
	now      Clock
	log      *slog.Logger
	lease    time.Duration
	batch    int
	interval time.Duration
	wake     chan struct{}

	mu       sync.Mutex
	unmarked []*QueuedMail // accepted by the relay, mark not yet written
}

// NewMailWorker builds a worker.
func NewMailWorker(o MailWorkerOptions) *MailWorker {
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 20
	}
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	return &MailWorker{store: o.Store, mailer: o.Mailer, now: o.Clock, log: o.Logger, lease: o.Lease, batch: o.Batch,
		interval: o.Interval, wake: make(chan struct{}, 1)}
}

// Wake makes a running worker look at the queue now (after a mail was
// queued), instead of at its next tick.
func (w *MailWorker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends due mail until ctx ends.
func (w *MailWorker) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		for {
			n, err := w.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				w.log.Error("mail queue", "err", err)
			}
			if err != nil || n < w.batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// RunOnce writes any marks still owed, then claims one batch of due mail
// and tries each. It returns how many mails it claimed.
func (w *MailWorker) RunOnce(ctx context.Context) (int, error) {
	if err := w.markOwed(ctx); err != nil {
		return 0, err
	}
	list, err := w.store.ClaimMail(ctx, w.now(), w.lease, w.batch)
	if err != nil {
		return 0, fmt.Errorf("mail queue: claim: %w", err)
	}
	for i, q := range list {
		if err := w.attempt(ctx, q); err != nil {
			// The relay or the database is in trouble: give the rest
			// of the batch back for the next step.
			for _, rest := range list[i+1:] {
				if rerr := w.store.ReleaseMail(ctx, rest.ID, rest.Claim); rerr != nil {
					w.log.Error("mail queue: release", "mail", rest.ID, "err", rerr)
				}
			}
			return len(list), err
		}
	}
	return len(list), nil
}

// markOwed writes the sent marks that failed before.
func (w *MailWorker) markOwed(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.unmarked) > 0 {
		q := w.unmarked[0]
		if err := w.store.MarkMailSent(ctx, q.ID, q.Claim, w.now()); err != nil && !errors.Is(err, ErrConflict) {
			return fmt.Errorf("mail queue: mark mail %d sent (again): %w", q.ID, err)
		}
		w.unmarked = w.unmarked[1:]
	}
	return nil
}

// attempt sends one claimed mail and records the outcome. It returns an
// error only when the rest of the batch should wait.
func (w *MailWorker) attempt(ctx context.Context, q *QueuedMail) error {
	m := &q.Mail
	if b, err := w.store.BounceFor(ctx, m.To); err == nil {
		w.log.Info("mail not sent: the address is bouncing", "mail", q.ID, "member", m.MemberID, "since", b.CreatedAt)
		return w.store.SuppressMail(ctx, q.ID, q.Claim)
	} else if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("mail queue: bounce check for mail %d: %w", q.ID, err)
	}
	err := w.mailer.Send(ctx, &Email{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, MessageID: q.MessageID,
		Unsubscribe: m.Unsubscribe, Lang: m.Lang})
	now := w.now()
	switch {
	case err == nil:
		if merr := w.store.MarkMailSent(ctx, q.ID, q.Claim, now); merr != nil {
			w.mu.Lock()
			w.unmarked = append(w.unmarked, q)
			w.mu.Unlock()
			return fmt.Errorf("mail queue: mark mail %d sent: %w", q.ID, merr)
		}
		w.log.Info("mail sent", "mail", q.ID, "member", m.MemberID, "kind", m.Kind, "attempt", q.Attempts+1)
		return nil
	case errors.Is(err, ErrAddressRefused):
		w.log.Warn("mail refused for good: mail to this address stops until the member changes or re-confirms it",
			"mail", q.ID, "member", m.MemberID, "err", err)
		return w.store.BounceMail(ctx, q.ID, q.Claim, Bounce{Address: m.To, Code: smtpCode(err), Reason: err.Error(), CreatedAt: now})
	case ctx.Err() != nil:
		_ = w.store.ReleaseMail(context.WithoutCancel(ctx), q.ID, q.Claim) // shutting down; the lease covers a failure here
		return ctx.Err()
	default:
		next := nextAttempt(now, q.Attempts+1)
		if next.IsZero() {
			w.log.Error("mail given up after repeated failures", "mail", q.ID, "member", m.MemberID, "attempts", q.Attempts+1, "err", err)
		} else {
			w.log.Warn("mail not sent; will try again", "mail", q.ID, "member", m.MemberID, "attempt", q.Attempts+1,
				"next_attempt_at", next, "err", err)
		}
		if rerr := w.store.RetryMail(ctx, q.ID, q.Claim, next, err.Error()); rerr != nil {
			return fmt.Errorf("mail queue: reschedule mail %d: %w", q.ID, rerr)
		}
		return nil
	}
}

// SMTPCoder is implemented by Mailer errors that carry the relay's reply
// code.
type SMTPCoder interface{ SMTPCode() int }

func smtpCode(err error) int {
	var c SMTPCoder
	if errors.As(err, &c) {
		return c.SMTPCode()
	}
	return 0
}
