package federation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// followState follows B's group from A and returns the follow after
// each call of step.
func followFrom(t *testing.T, a *node, address string) func() *instance.Following {
	t.Helper()
	if _, err := a.svc.FollowGroup(ctx, a.admin, "village", address); err != nil {
		t.Fatal(err)
	}
	g, _ := a.st.GroupByHandle(ctx, "village")
	return func() *instance.Following {
		t.Helper()
		list, err := a.svc.Following(ctx, g)
		if err != nil || len(list) != 1 {
			t.Fatalf("following: %d %v", len(list), err)
		}
		return list[0]
	}
}

func TestFollowWaitsForAnUnreachableServerAndThenSucceeds(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	a := newNode(t, func(o *Options) { o.Clock = clock.now })
	b := newNode(t)
	b.down.Store(true)
	follow := followFrom(t, a, "@village@"+strings.TrimPrefix(b.url, "http://"))

	a.settle()
	if f := follow(); f.State != "resolving" || f.Error != "unreachable" {
		t.Fatalf("while B answers 503: %s/%s, want resolving/unreachable", f.State, f.Error)
	}
	// Not retried on every tick: nothing is due until the backoff ends.
	hits := b.hits.Load()
	a.settle()
	clock.advance(30 * time.Second)
	a.settle()
	if got := b.hits.Load(); got != hits {
		t.Fatalf("B got %d more requests within the first minute; want none", got-hits)
	}
	clock.advance(31 * time.Second)
	a.settle()
	if b.hits.Load() == hits {
		t.Fatal("the follow was not tried again after a minute")
	}

	b.down.Store(false)
	clock.advance(5 * time.Minute) // the second retry
	for i := 0; i < 3; i++ {
		a.settle()
		b.settle()
	}
	if f := follow(); f.State != "accepted" || f.Error != "" || f.ActorID != b.group() {
		t.Fatalf("after B came back: %+v", f)
	}
	if followers(t, b) != 1 {
		t.Fatalf("B has %d followers", followers(t, b))
	}
}

func TestFollowGivesUpAfterThreeDaysOfSilence(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	a := newNode(t, func(o *Options) { o.Clock = clock.now })
	b := newNode(t)
	b.down.Store(true)
	follow := followFrom(t, a, "@village@"+strings.TrimPrefix(b.url, "http://"))
	tries := 0
	for elapsed := time.Duration(0); elapsed < 80*time.Hour; elapsed += time.Hour {
		before := b.hits.Load()
		a.settle()
		if b.hits.Load() > before {
			tries++
		}
		clock.advance(time.Hour)
	}
	if f := follow(); f.State != "failed" || f.Error != "unreachable" {
		t.Fatalf("after 80 hours of 503: %s/%s, want failed/unreachable", f.State, f.Error)
	}
	// 1 min, 5, 15, 1 h, 3 h, 6 h, then every 12 h: about a dozen tries,
	// not one a tick.
	if tries < 6 || tries > 15 {
		t.Errorf("tried %d times in 80 hours", tries)
	}
	before := b.hits.Load()
	clock.advance(24 * time.Hour)
	a.settle()
	if b.hits.Load() != before {
		t.Error("a follow given up was tried again")
	}
}

func TestFollowOfAGroupThatDoesNotExistFailsAtOnce(t *testing.T) {
	a, b := newNode(t), newNode(t)
	follow := followFrom(t, a, "@nobody@"+strings.TrimPrefix(b.url, "http://"))
	a.settle()
	if f := follow(); f.State != "failed" || f.Error != "not_found" {
		t.Fatalf("following a group B does not have: %s/%s, want failed/not_found", f.State, f.Error)
	}
}

func TestTransientErrors(t *testing.T) {
	netErr := &url.Error{Op: "Get", URL: "https://x.example/", Err: errors.New("connection refused")}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{netErr, true},
		{fmt.Errorf("following: %w", netErr), true},
		{context.DeadlineExceeded, true},
		{&statusError{code: 503}, true},
		{&statusError{code: 500}, true},
		{&statusError{code: 429}, true},
		{&statusError{code: 408}, true},
		{&statusError{code: 404}, false},
		{&statusError{code: 401}, false},
		{errRemoteGone, false},
		{&url.Error{Op: "Get", URL: "http://10.0.0.1/", Err: errPrivateAddress}, false},
		{errors.New("federation: webfinger x@y has no ActivityPub link"), false},
	} {
		if got := transient(c.err); got != c.want {
			t.Errorf("transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// A server marked as failing (our deliveries to it kept failing) that
// sends us a Like is back: unqueued activities still count as contact,
// checked at most once a minute per host.
func TestUnqueuedActivityMarksHostBack(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	r := fedtest.New(t, "alice")
	host := hostOf(r.Actor("alice"))
	fail := func() {
		t.Helper()
		if _, err := n.st.DB().Exec(n.st.SQL(`INSERT INTO hosts (host, failing_since) VALUES (?1, ?2)
			ON CONFLICT (host) DO UPDATE SET failing_since = ?2`), host, clock.now().Add(-96*time.Hour).Format(time.RFC3339Nano)); err != nil {
			t.Fatal(err)
		}
	}
	failing := func() bool {
		since, err := n.st.HostFailingSince(ctx, host)
		if err != nil {
			t.Fatal(err)
		}
		return !since.IsZero()
	}
	like := func(i int) {
		t.Helper()
		resp := r.Send("alice", n.url+"/inbox", map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
			"id": fmt.Sprintf("%s#like-%d", r.Actor("alice"), i), "type": "Like", "actor": r.Actor("alice"), "object": n.group()},
			fedtest.SendOptions{Date: clock.now()})
		if resp.StatusCode != 202 {
			t.Fatalf("Like: %d", resp.StatusCode)
		}
	}
	fail()
	if !failing() {
		t.Fatal("test set-up: the host is not marked failing")
	}
	like(1)
	if failing() {
		t.Fatal("a Like from a failing host did not mark it back")
	}
	fail()
	like(2)
	if !failing() {
		t.Error("the host was checked again within the minute")
	}
	clock.advance(61 * time.Second)
	like(3)
	if failing() {
		t.Error("a Like a minute later did not mark the host back")
	}
}
