package instance

import (
	"container/list"
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

// throttle counts recent events per key in memory, in a sliding window.
// Throttling is a speed bump for one process; it needs no durability. Its
// table holds at most maxKeys keys: when it is full, the key least
// recently counted is forgotten, so the throttle keeps recording (someone
// who fills the table with made-up names cannot switch it off).
type throttle struct {
	mu      sync.Mutex
	now     Clock
	window  time.Duration
	maxKeys int
	keys    map[string]*list.Element // of *throttleEntry
	order   *list.List               // most recently counted first
}

type throttleEntry struct {
	key   string
	times []time.Time
}

func newThrottle(now Clock) *throttle { return newWindow(now, throttleWindow, throttleMaxKeys) }

// newWindow counts events per key in a sliding window.
func newWindow(now Clock, window time.Duration, maxKeys int) *throttle {
	return &throttle{now: now, window: window, maxKeys: maxKeys, keys: map[string]*list.Element{}, order: list.New()}
}

// recent returns the key's events inside the window, dropping the older
// ones (and the key, when none is left).
func (t *throttle) recent(key string) []time.Time {
	el, ok := t.keys[key]
	if !ok {
		return nil
	}
	e := el.Value.(*throttleEntry)
	cutoff := t.now().Add(-t.window)
	i := 0
	for i < len(e.times) && !e.times[i].After(cutoff) {
		i++
	}
	e.times = e.times[i:]
	if len(e.times) == 0 {
		t.order.Remove(el)
		delete(t.keys, key)
		return nil
	}
	return e.times
}

// record counts one event for key now. A new key in a full table pushes
// out the key least recently counted (whose events may all have fallen
// out of the window already).
func (t *throttle) record(key string) {
	now := t.now()
	if el, ok := t.keys[key]; ok {
		e := el.Value.(*throttleEntry)
		e.times = append(t.recent(key), now)
		if el, ok = t.keys[key]; ok {
			t.order.MoveToFront(el)
			return
		}
	}
	for len(t.keys) >= t.maxKeys {
		oldest := t.order.Back()
		t.order.Remove(oldest)
		delete(t.keys, oldest.Value.(*throttleEntry).key)
	}
	t.keys[key] = t.order.PushFront(&throttleEntry{key: key, times: []time.Time{now}})
}

func (t *throttle) allow(key string, max int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.recent(key)) < max
}

func (t *throttle) fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.record(key)
}

// take counts an attempt before it is made, if fewer than max were made
// in the window; it reports whether the attempt may go ahead. Checking and
// counting in one step means that many attempts at once cannot all slip
// through before the first is counted.
func (t *throttle) take(key string, max int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.recent(key)) >= max {
		return false
	}
	t.record(key)
	return true
}

// refund takes back the latest attempt counted for key (one that turned
// out not to be a failure).
func (t *throttle) refund(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if times := t.recent(key); len(times) > 0 {
		t.keys[key].Value.(*throttleEntry).times = times[:len(times)-1]
		t.recent(key) // drops the key if that was its only event
	}
}

func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.keys[key]; ok {
		t.order.Remove(el)
		delete(t.keys, key)
	}
}

func normaliseLogin(login string) string {
	return strings.ToLower(strings.TrimSpace(login))
}
