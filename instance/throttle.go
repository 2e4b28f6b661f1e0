package instance

import (
	"context"
	"strings"
	"time"
)

// Login throttling, after Mastodon's rack-attack rules but stricter per
// account: at most maxAccountFailures wrong passwords for one account and
// maxClientFailures from one network address in throttleWindow. The window
// slides, so the real owner is never locked out for longer than the window.
const (
	throttleWindow     = 15 * time.Minute
	maxAccountFailures = 10
	maxClientFailures  = 30
	// throttleKept is the longest window of any throttle: older events
	// are pruned by the sweep.
	throttleKept = time.Hour
)

// ThrottleStore keeps the throttles' events, so every node of an instance
// counts the same attempts: a guesser who spreads sign-ins over the nodes
// behind a load balancer gets no more tries than against one. since is
// the start of the caller's sliding window.
type ThrottleStore interface {
	// TakeThrottle records an event for key at now if fewer than max were
	// recorded after since, counting and recording in one step, and
	// reports whether it did.
	TakeThrottle(ctx context.Context, key string, max int, since, now time.Time) (bool, error)
	CountThrottle(ctx context.Context, key string, since time.Time) (int, error)
	RecordThrottle(ctx context.Context, key string, now time.Time) error
	// RefundThrottle takes back key's latest event after since.
	RefundThrottle(ctx context.Context, key string, since time.Time) error
	ResetThrottle(ctx context.Context, key string) error
	PruneThrottles(ctx context.Context, before time.Time) (int, error)
}

// throttle counts recent events per key in a sliding window, in the
// database (ThrottleStore). Its keys are prefixed with its name, so
// throttles with different windows never count each other's events.
type throttle struct {
	store  ThrottleStore
	now    Clock
	name   string
	window time.Duration
}

func newThrottle(store ThrottleStore, now Clock) *throttle {
	return newWindow(store, now, "login", throttleWindow)
}

// newWindow counts events per key in a sliding window.
func newWindow(store ThrottleStore, now Clock, name string, window time.Duration) *throttle {
	return &throttle{store: store, now: now, name: name + "/", window: window}
}

func (t *throttle) since() time.Time { return t.now().Add(-t.window) }

// allow reports whether fewer than max events were counted for key.
func (t *throttle) allow(ctx context.Context, key string, max int) (bool, error) {
	n, err := t.store.CountThrottle(ctx, t.name+key, t.since())
	return n < max, err
}

// fail counts one event for key.
func (t *throttle) fail(ctx context.Context, key string) error {
	return t.store.RecordThrottle(ctx, t.name+key, t.now())
}

// take counts an attempt before it is made, if fewer than max were made
// in the window; it reports whether the attempt may go ahead. Checking and
// counting in one step means that many attempts at once (on any node)
// cannot all slip through before the first is counted.
func (t *throttle) take(ctx context.Context, key string, max int) (bool, error) {
	now := t.now()
	return t.store.TakeThrottle(ctx, t.name+key, max, now.Add(-t.window), now)
}

// refund takes back the latest attempt counted for key (one that turned
// out not to be a failure).
func (t *throttle) refund(ctx context.Context, key string) error {
	return t.store.RefundThrottle(context.WithoutCancel(ctx), t.name+key, t.since())
}

func (t *throttle) reset(ctx context.Context, key string) error {
	return t.store.ResetThrottle(ctx, t.name+key)
}

func normaliseLogin(login string) string {
	return strings.ToLower(strings.TrimSpace(login))
}
