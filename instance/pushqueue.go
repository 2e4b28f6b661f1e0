package instance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// pushRetrySchedule is the wait before each new attempt after a push
// service failed (5xx, 429, or could not be reached). A phone
// notification a day late is no use (the page has it anyway), so pushes
// are given up after a few hours.
var pushRetrySchedule = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour}

// nextPushAttempt is when to try again after attempts failed attempts, or
// zero to give up.
func nextPushAttempt(now time.Time, attempts int) time.Time {
	if attempts < 1 || attempts > len(pushRetrySchedule) {
		return time.Time{}
	}
	return now.Add(pushRetrySchedule[attempts-1])
}

// PushWorkerOptions configures a PushWorker.
type PushWorkerOptions struct {
	Store  PushStore
	Pusher Pusher
	Clock  Clock
	Logger *slog.Logger
	// Lease is how long a claimed push is reserved for one attempt
	// (default 2 minutes, beyond the client's timeout).
	Lease time.Duration
	// Batch is how many pushes one step claims (default 50).
	Batch int
	// Interval is how often Run looks for due pushes (default 5 s).
	Interval time.Duration
}

// PushWorker sends the push queue.
//
// Delivery guarantee, as for mail: a push is leased before it is sent and
// marked sent once the push service accepts it, so a crash loses nothing
// (the next worker sends it once the lease runs out) and sends nothing
// twice, except a push in flight at the very moment the process died.
type PushWorker struct {
	store    PushStore
	pusher   Pusher
	now      Clock
	log      *slog.Logger
	lease    time.Duration
	batch    int
	interval time.Duration
}

// NewPushWorker builds a worker.
func NewPushWorker(o PushWorkerOptions) *PushWorker {
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 50
	}
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	return &PushWorker{store: o.Store, pusher: o.Pusher, now: o.Clock, log: o.Logger, lease: o.Lease, batch: o.Batch, interval: o.Interval}
}

// Run sends due pushes until ctx ends.
func (w *PushWorker) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		for {
			n, err := w.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				w.log.Error("push queue", "err", err)
			}
			if err != nil || n < w.batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce claims one batch of due pushes and tries each; it returns how
// many it claimed.
func (w *PushWorker) RunOnce(ctx context.Context) (int, error) {
	list, err := w.store.ClaimPush(ctx, w.now(), w.lease, w.batch)
	if err != nil {
		return 0, fmt.Errorf("push queue: claim: %w", err)
	}
	for _, q := range list {
		if err := w.attempt(ctx, q); err != nil {
			return len(list), err // the rest wait for their lease to run out
		}
	}
	return len(list), nil
}

// attempt sends one claimed push and records what became of it. It
// returns an error only when the database failed or ctx ended.
func (w *PushWorker) attempt(ctx context.Context, q *QueuedPush) error {
	err := w.pusher.Push(ctx, &q.Subscription, []byte(q.Push.Payload))
	now := w.now()
	log := w.log.With("push", q.ID, "member", q.Push.MemberID, "device", q.Subscription.ID, "kind", q.Push.Kind, "attempt", q.Attempts+1)
	switch {
	case err == nil:
		if err := w.store.MarkPushSent(ctx, q.ID, q.Claim, now); err != nil {
			return fmt.Errorf("push queue: mark push %d sent: %w", q.ID, err)
		}
		log.Debug("push sent")
		return nil
	case errors.Is(err, ErrPushGone):
		log.Info("device no longer subscribed: removed", "err", err)
		return w.store.DropPushSubscription(ctx, q.Subscription.ID)
	case errors.Is(err, ErrPushRefused):
		log.Warn("push refused by the push service; not tried again", "err", err)
		return w.store.RetryPush(ctx, q.ID, q.Claim, time.Time{}, err.Error())
	case ctx.Err() != nil:
		return ctx.Err() // shutting down: the lease gives it back
	default:
		next := nextPushAttempt(now, q.Attempts+1)
		if next.IsZero() {
			log.Warn("push given up after repeated failures", "err", err)
		} else {
			log.Info("push not sent; will try again", "next_attempt_at", next, "err", err)
		}
		return w.store.RetryPush(ctx, q.ID, q.Claim, next, err.Error())
	}
}
