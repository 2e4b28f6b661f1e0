package repeat

import (
	"errors"
	"testing"
	"time"
)

func london(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func days(list []time.Time) []string {
	var out []string
	for _, t := range list {
		out = append(out, t.Format("2006-01-02 15:04 MST"))
	}
	return out
}

func same(t *testing.T, got []time.Time, want ...string) {
	t.Helper()
	g := days(got)
	if len(g) != len(want) {
		t.Fatalf("got %d dates %v, want %v", len(g), g, want)
	}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("date %d: got %s, want %s (all: %v)", i, g[i], want[i], g)
		}
	}
}

// The clocks go back on 25 October 2026 in London: a 10:00 lunch club
// stays at 10:00 on the wall (BST, then GMT), an hour later in UTC.
func TestWeeklyKeepsTheClockTimeAcrossDST(t *testing.T) {
	loc := london(t)
	first := time.Date(2026, 10, 13, 10, 0, 0, 0, loc)
	r := Rule{Freq: Weekly, Interval: 1, Weekdays: []time.Weekday{time.Tuesday}}
	got, err := r.Between(first, first, first.AddDate(0, 0, 22), 10)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, "2026-10-13 10:00 BST", "2026-10-20 10:00 BST", "2026-10-27 10:00 GMT", "2026-11-03 10:00 GMT")
	if d := got[2].Sub(got[1]); d != 7*24*time.Hour+time.Hour {
		t.Fatalf("across the change the gap is %v, want 7 days and an hour", d)
	}
	// And forwards, on 28 March 2027.
	first = time.Date(2027, 3, 23, 10, 0, 0, 0, loc)
	got, _ = r.Between(first, first, first.AddDate(0, 0, 8), 10)
	same(t, got, "2027-03-23 10:00 GMT", "2027-03-30 10:00 BST")
}

func TestEveryOtherWeekOnTwoDays(t *testing.T) {
	loc := london(t)
	first := time.Date(2026, 12, 1, 18, 30, 0, 0, loc) // a Tuesday
	r := Rule{Freq: Weekly, Interval: 2, Weekdays: []time.Weekday{time.Thursday, time.Tuesday}}
	got, err := r.Between(first, first, first.AddDate(0, 0, 28), 10)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, "2026-12-01 18:30 GMT", "2026-12-03 18:30 GMT", "2026-12-15 18:30 GMT", "2026-12-17 18:30 GMT")
	if r.String() != "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH" {
		t.Fatalf("rule %q", r.String())
	}
}

// "The fifth Tuesday" only happens in months that have five; the 31st
// only in months of 31 days. Both are skipped, not moved, elsewhere (as
// calendar apps do with the same RRULE).
func TestMonthEnds(t *testing.T) {
	loc := london(t)
	first := time.Date(2026, 12, 29, 14, 0, 0, 0, loc) // the fifth Tuesday of December 2026
	if n, _ := WeekOf(first); n != 5 {
		t.Fatalf("week of %v = %d", first, n)
	}
	fifth := Rule{Freq: Monthly, Interval: 1, Weekdays: []time.Weekday{time.Tuesday}, Week: 5}
	got, err := fifth.Between(first, first, first.AddDate(1, 0, 0), 10)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, "2026-12-29 14:00 GMT", "2027-03-30 14:00 BST", "2027-06-29 14:00 BST", "2027-08-31 14:00 BST", "2027-11-30 14:00 GMT")

	first = time.Date(2027, 1, 31, 9, 0, 0, 0, loc)
	thirtyFirst := Rule{Freq: Monthly, Interval: 1, MonthDay: 31}
	got, _ = thirtyFirst.Between(first, first, first.AddDate(0, 7, 0), 10)
	same(t, got, "2027-01-31 09:00 GMT", "2027-03-31 09:00 BST", "2027-05-31 09:00 BST", "2027-07-31 09:00 BST")

	last := Rule{Freq: Monthly, Interval: 1, Weekdays: []time.Weekday{time.Friday}, Week: -1}
	first = time.Date(2027, 1, 29, 9, 0, 0, 0, loc)
	got, _ = last.Between(first, first, first.AddDate(0, 2, 1), 10)
	same(t, got, "2027-01-29 09:00 GMT", "2027-02-26 09:00 GMT", "2027-03-26 09:00 GMT")
	if last.String() != "FREQ=MONTHLY;BYDAY=-1FR" {
		t.Fatalf("rule %q", last.String())
	}
}

func TestEndsByCountOrDate(t *testing.T) {
	loc := london(t)
	first := time.Date(2026, 12, 1, 10, 0, 0, 0, loc)
	r := Rule{Freq: Weekly, Interval: 1, Weekdays: []time.Weekday{time.Tuesday}, Count: 3}
	got, _ := r.Between(first, first, first.AddDate(1, 0, 0), 100)
	same(t, got, "2026-12-01 10:00 GMT", "2026-12-08 10:00 GMT", "2026-12-15 10:00 GMT")
	// Counted from the first date, not from the window.
	got, _ = r.Between(first, first.AddDate(0, 0, 10), first.AddDate(1, 0, 0), 100)
	same(t, got, "2026-12-15 10:00 GMT")

	r = Rule{Freq: Weekly, Interval: 1, Weekdays: []time.Weekday{time.Tuesday}, Until: time.Date(2026, 12, 16, 0, 0, 0, 0, loc)}
	got, _ = r.Between(first, first, first.AddDate(1, 0, 0), 100)
	same(t, got, "2026-12-01 10:00 GMT", "2026-12-08 10:00 GMT", "2026-12-15 10:00 GMT")
	if r.String() != "FREQ=WEEKLY;UNTIL=20261216T000000Z;BYDAY=TU" {
		t.Fatalf("rule %q", r.String())
	}
}

// A rule with no end gives no more dates than asked for, however far the
// window.
func TestNoEndIsBounded(t *testing.T) {
	loc := london(t)
	first := time.Date(2026, 12, 1, 10, 0, 0, 0, loc)
	r := Rule{Freq: Weekly, Interval: 1, Weekdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday}}
	got, err := r.Between(first, first, first.AddDate(100, 0, 0), 24)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 24 || r.Ends() {
		t.Fatalf("got %d dates (ends %v)", len(got), r.Ends())
	}
}

func TestParseRoundTrip(t *testing.T) {
	loc := london(t)
	for _, r := range []Rule{
		{Freq: Weekly, Interval: 1, Weekdays: []time.Weekday{time.Tuesday}},
		{Freq: Weekly, Interval: 3, Weekdays: []time.Weekday{time.Sunday, time.Saturday}, Count: 10},
		{Freq: Monthly, Interval: 1, Weekdays: []time.Weekday{time.Tuesday}, Week: 1},
		{Freq: Monthly, Interval: 2, MonthDay: 31, Until: time.Date(2027, 6, 1, 0, 0, 0, 0, loc)},
	} {
		back, err := Parse(r.String())
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		if back.String() != r.String() {
			t.Fatalf("%s came back as %s", r, back)
		}
	}
	for _, bad := range []string{"FREQ=DAILY", "FREQ=WEEKLY;BYHOUR=3;BYDAY=MO", "FREQ=MONTHLY", "nonsense", "FREQ=WEEKLY;INTERVAL=99;BYDAY=MO"} {
		if _, err := Parse(bad); !errors.Is(err, ErrRule) {
			t.Fatalf("%q: %v, want ErrRule", bad, err)
		}
	}
}

func TestMatches(t *testing.T) {
	loc := london(t)
	tue := time.Date(2026, 12, 1, 10, 0, 0, 0, loc)
	if !(Rule{Freq: Monthly, Interval: 1, Weekdays: []time.Weekday{time.Tuesday}, Week: 1}).Matches(tue) {
		t.Fatal("1 December 2026 is the first Tuesday")
	}
	if (Rule{Freq: Weekly, Interval: 1, Weekdays: []time.Weekday{time.Wednesday}}).Matches(tue) {
		t.Fatal("a Tuesday is not on a Wednesday rule")
	}
}
