package instance

import (
	"fmt"
	"testing"
	"time"
)

// A full table forgets the key least recently counted and keeps
// recording: made-up names sprayed at the sign-in form cannot switch the
// throttle off. Before, a full table stopped recording failures at all.
func TestThrottleKeepsCountingWhenFull(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	th := newWindow(func() time.Time { return now }, time.Minute, 100)
	for i := range 100 {
		th.fail(fmt.Sprint("junk", i))
	}
	for i := range 3 {
		if !th.take("victim", 3) {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	if th.take("victim", 3) {
		t.Error("a fourth attempt went through with the table full")
	}
	if len(th.keys) != 100 || th.order.Len() != 100 {
		t.Errorf("table holds %d keys (%d in order), want 100", len(th.keys), th.order.Len())
	}
	if _, ok := th.keys["junk0"]; ok {
		t.Error("the least recently counted key was kept")
	}
	// More spraying pushes out older keys, not the one just counted.
	for i := range 99 {
		th.fail(fmt.Sprint("more", i))
	}
	if th.allow("victim", 3) {
		t.Error("the victim's count was forgotten before older keys")
	}
	// A refund takes one attempt back; the window still slides.
	th.refund("victim")
	if !th.allow("victim", 3) {
		t.Error("refund did not take an attempt back")
	}
	now = now.Add(2 * time.Minute)
	if n := len(th.recent("victim")); n != 0 {
		t.Errorf("%d attempts left after the window", n)
	}
}
