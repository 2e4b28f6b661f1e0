package instance_test

import (
	"testing"
	"time"

	"hearth/instance"
)

// The sweep's reminders and warnings come with the injected clock, each
// once: a second sweep, and a sweep after a restart, tell nobody again.
// Each is written in the transaction of the change it records.
func TestSweepTellsOnceAtTheRightTime(t *testing.T) {
	f := newNoteFixture(t)
	m := f.m
	open := f.post(t, "rita", needInput("A lift to the surgery"))
	in := needInput("Prescription from the chemist")
	in.NeededBy = instance.DateOf("2026-11-28") // tomorrow
	claimed := f.post(t, "rita", in)
	if err := f.svc.OfferHelp(ctx, m["hal"], claimed.ID, "", false); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AcceptHelp(ctx, m["rita"], claimed.ID, f.interest(t, claimed, "hal")); err != nil {
		t.Fatal(err)
	}
	action := f.post(t, "rita", instance.ItemInput{Kind: instance.KindAction, Title: "Litter-pick", Place: "The green",
		StartDate: instance.DateOf("2026-11-28"), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf("2026-11-28"), EndTime: instance.TimeOf("12:00")})
	f.post(t, "rita", instance.ItemInput{Kind: instance.KindAction, Title: "Lunch club", Place: "The hall",
		StartDate: instance.DateOf("2026-11-30"), StartTime: instance.TimeOf("12:00"), EndDate: instance.DateOf("2026-11-30"), EndTime: instance.TimeOf("14:00")})
	for _, who := range []string{"hal", "olly"} {
		if _, err := f.svc.JoinAction(ctx, m[who], action.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	sweep := func() error { return f.svc.Sweep(ctx) }
	once := func(name string, want ...string) {
		t.Helper()
		f.check(t, step{name, sweep, want})
		f.check(t, step{name + ", swept again", sweep, nil})
		f.restart(t)
		f.check(t, step{name + ", after a restart", sweep, nil})
	}
	f.clock.advance(time.Minute) // Friday 27 November, 10:01
	once("tomorrow's action and need", "rita:action_tomorrow", "hal:action_tomorrow", "olly:action_tomorrow", "hal:need_tomorrow")
	f.clock.advance(48 * time.Hour) // Sunday 10:01: two days without an offer
	// …and Monday's lunch club is tomorrow.
	once("a need nobody answered", "cora:need_unanswered", "ada:need_unanswered", "rita:action_tomorrow")
	f.clock.advance(4*24*time.Hour + 30*time.Minute) // Thursday 3 December: the claim lapses within a day
	once("the claim lapses tomorrow", "hal:claim_lapsing")
	f.clock.advance(24 * time.Hour) // Friday 4 December 10:31: it lapsed
	once("the claim lapsed", "rita:claim_lapsed", "hal:claim_lapsed_helper")
	f.clock.advance(4 * 24 * time.Hour) // Tuesday 8 December: three days before expiry
	once("still needed?", "rita:still_needed", "rita:still_needed")
	f.clock.advance(3 * 24 * time.Hour) // Friday 11 December 10:31: both expired
	once("expired", "rita:need_expired", "rita:need_expired")
	if got := f.reload(t, m["rita"], open); got.State != instance.StateClosed || got.StateReason != instance.ReasonExpired {
		t.Errorf("need after expiry: %s %s", got.State, got.StateReason)
	}
	// The helper's offer was released with the lapsed claim.
	a, err := f.svc.MyActivity(ctx, m["hal"])
	if err != nil || len(a.Helping) != 1 || a.Helping[0].State != instance.InterestReleased {
		t.Errorf("helper's dashboard after the lapse: %+v %v", a, err)
	}
}

// A moved action is reminded of again for its new day.
func TestTomorrowAgainAfterTheDateMoves(t *testing.T) {
	f := newNoteFixture(t)
	in := instance.ItemInput{Kind: instance.KindAction, Title: "Litter-pick", Place: "The green",
		StartDate: instance.DateOf("2026-11-28"), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf("2026-11-28"), EndTime: instance.TimeOf("12:00")}
	action := f.post(t, "rita", in)
	sweep := func() error { return f.svc.Sweep(ctx) }
	f.check(t, step{"tomorrow", sweep, []string{"rita:action_tomorrow"}})
	in.StartDate, in.EndDate = instance.DateOf("2026-11-29"), instance.DateOf("2026-11-29")
	if err := f.svc.UpdateItem(ctx, f.m["rita"], action.ID, in); err != nil {
		t.Fatal(err)
	}
	f.check(t, step{"moved to the day after", sweep, nil})
	f.clock.advance(24 * time.Hour)
	f.check(t, step{"its new eve", sweep, []string{"rita:action_tomorrow"}})
}
