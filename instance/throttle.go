package instance

import (
	"strings"
	"sync"
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
	throttleMaxKeys    = 100_000
)

// throttle counts recent failures per key in memory. Throttling is a
// speed bump for one process; it needs no durability.
type throttle struct {
	mu     sync.Mutex
	now    Clock
	window time.Duration
	fails  map[string][]time.Time
}

func newThrottle(now Clock) *throttle { return newWindow(now, throttleWindow) }

// newWindow counts events per key in a sliding window.
func newWindow(now Clock, window time.Duration) *throttle {
	return &throttle{now: now, window: window, fails: map[string][]time.Time{}}
}

func (t *throttle) recent(key string) []time.Time {
	cutoff := t.now().Add(-t.window)
	list := t.fails[key]
	i := 0
	for i < len(list) && !list[i].After(cutoff) {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(t.fails, key)
	} else {
		t.fails[key] = list
	}
	return list
}

func (t *throttle) allow(key string, max int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.recent(key)) < max
}

func (t *throttle) fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) >= throttleMaxKeys {
		for k := range t.fails { // drop expired entries to bound memory
			t.recent(k)
		}
		if len(t.fails) >= throttleMaxKeys {
			return
		}
	}
	t.fails[key] = append(t.recent(key), t.now())
}

func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

func normaliseLogin(login string) string {
	return strings.ToLower(strings.TrimSpace(login))
}
