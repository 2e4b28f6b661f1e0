package federation

import (
	"context"
	"sync"
	"time"
)

// The inbox worker's pace. During a burst of inbound POSTs the requests
// get the CPU first and the durable queue absorbs the burst, as Mastodon's
// Puma accepts while Sidekiq catches up: while the inbox has accepted at
// least burstActivities in the last burstWindow, the worker runs at most
// burstLanes lanes (never fewer than one, so a steady heavy stream still
// drains), and each lane rests burstRest times as long as its last chunk
// took before the next (it works at least a tenth of the time), and at
// its full InboxWorkers and speed again once the rate falls. A lane that
// is more than burstBehind behind (the oldest activity of its chunk waited
// that long) does not rest: a burst that goes on delays replies by about
// that much, not by as long as it lasts. A lane
// running over the limit when a burst starts ends after its chunk; its
// actor's next activities are started again in order, by the same node
// (its lease is kept).
const (
	burstSlot       = 50 * time.Millisecond
	burstSlots      = 5 // burstWindow = burstSlots × burstSlot
	burstWindow     = burstSlots * burstSlot
	burstActivities = 100 // in burstWindow: 400 activities a second
	burstLanes      = 1
	burstRest       = 9
	burstRestMax    = 250 * time.Millisecond
	burstBehind     = 10 * time.Second
)

// burstMeter counts the activities the inbox accepted, in slots of
// burstSlot of the injected clock.
type burstMeter struct {
	mu    sync.Mutex
	slots [burstSlots]struct {
		at int64 // the slot's number: UnixNano / burstSlot
		n  int
	}
}

// add counts one accepted activity at now.
func (m *burstMeter) add(now time.Time) {
	k := now.UnixNano() / int64(burstSlot)
	m.mu.Lock()
	s := &m.slots[k%burstSlots]
	if s.at != k {
		s.at, s.n = k, 0
	}
	s.n++
	m.mu.Unlock()
}

// count is how many were accepted in the burstWindow up to now.
func (m *burstMeter) count(now time.Time) int {
	k := now.UnixNano() / int64(burstSlot)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.slots {
		if s.at <= k && k-s.at < burstSlots {
			n += s.n
		}
	}
	return n
}

// inboxLimit is how many lanes the inbox worker may run now: burstLanes
// during a burst of inbound POSTs, InboxWorkers otherwise.
func (f *Federation) inboxLimit() int {
	if f.burst.count(f.now()) >= burstActivities {
		return max(1, min(f.inboxWorkers, burstLanes))
	}
	return f.inboxWorkers
}

// laneYields reports whether a running lane should end after its chunk,
// since a burst lowered the limit below the lanes running; the lanes over
// the limit end, the others go on.
func (f *Federation) laneYields(l *lane) bool {
	limit := f.inboxLimit()
	p := &f.inboxLanes
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.total-p.yielding <= limit {
		return false
	}
	p.yielding++
	l.yielded = true
	return true
}

// chunkRest is how long a lane waits before its next chunk, whose last
// took worked and whose oldest activity had waited behind: burstRest times
// worked during a burst (at most burstRestMax), nothing otherwise or when
// the lane is burstBehind behind or more.
func (f *Federation) chunkRest(worked, behind time.Duration) time.Duration {
	if worked <= 0 || behind >= burstBehind || f.burst.count(f.now()) < burstActivities {
		return 0
	}
	return min(burstRest*worked, burstRestMax)
}

// pace makes a lane rest after a chunk (see chunkRest), or until ctx
// ends.
func (f *Federation) pace(ctx context.Context, worked, behind time.Duration) {
	if d := f.chunkRest(worked, behind); d > 0 {
		f.rest(ctx, d)
	}
}

// restFor waits d or until ctx ends: Federation.rest, which tests replace.
func restFor(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
