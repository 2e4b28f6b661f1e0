// Package repeat reads, writes and expands an action's repeat rule, as an
// RFC 5545 RRULE. It wraps github.com/teambition/rrule-go (a port of
// python-dateutil's rrule, the reference most calendar software follows),
// so that the dates Hearth makes are the dates a calendar app makes from
// the same RRULE in an .ics feed: the fifth Tuesday of a month with four
// is skipped, not moved, and the 31st only happens in months that have
// one. Every expansion is bounded: a rule with no end is kept as a rule,
// and only a window of its dates is ever made.
package repeat

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Freq is how a rule repeats.
type Freq string

// Weekly (on chosen days, every Interval weeks) or monthly (on the Week'th
// Weekday, or on MonthDay, every Interval months).
const (
	Weekly  Freq = "weekly"
	Monthly Freq = "monthly"
)

// Limits a rule is held to.
const (
	MaxInterval = 12
	MaxCount    = 200
)

// Rule is an action's repeat rule.
type Rule struct {
	Freq Freq
	// Interval is every how many weeks or months (1 = every one).
	Interval int
	// Weekdays are the days of a weekly rule; a monthly rule by weekday
	// has one.
	Weekdays []time.Weekday
	// Week is, for a monthly rule by weekday, which one in the month: 1
	// to 5, or -1 for the last.
	Week int
	// MonthDay is, for a monthly rule by date, the day of the month.
	MonthDay int
	// Until is the last moment a date may start (zero: no end date);
	// Count is how many dates in all (0: no number). A rule with neither
	// goes on, and is only ever expanded a window at a time.
	Until time.Time
	Count int
}

// ErrRule is a rule that cannot be used.
var ErrRule = errors.New("repeat: bad rule")

// Ends reports whether the rule has an end (a date or a number of times).
func (r Rule) Ends() bool { return !r.Until.IsZero() || r.Count > 0 }

var ruleDays = []rrule.Weekday{rrule.SU, rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA}

// Check reports what is wrong with a rule, if anything.
func (r Rule) Check() error {
	if r.Interval < 1 || r.Interval > MaxInterval {
		return fmt.Errorf("%w: interval %d not in 1..%d", ErrRule, r.Interval, MaxInterval)
	}
	if r.Count < 0 || r.Count > MaxCount {
		return fmt.Errorf("%w: count %d not in 0..%d", ErrRule, r.Count, MaxCount)
	}
	switch r.Freq {
	case Weekly:
		if len(r.Weekdays) == 0 {
			return fmt.Errorf("%w: weekly with no day", ErrRule)
		}
	case Monthly:
		switch {
		case r.Week != 0 && r.MonthDay != 0, r.Week == 0 && r.MonthDay == 0:
			return fmt.Errorf("%w: monthly needs either a weekday or a date", ErrRule)
		case r.Week != 0 && (len(r.Weekdays) != 1 || r.Week < -1 || r.Week > 5):
			return fmt.Errorf("%w: monthly week %d", ErrRule, r.Week)
		case r.MonthDay < 0 || r.MonthDay > 31:
			return fmt.Errorf("%w: month day %d", ErrRule, r.MonthDay)
		}
	default:
		return fmt.Errorf("%w: frequency %q", ErrRule, r.Freq)
	}
	return nil
}

func (r Rule) option(start time.Time) (rrule.ROption, error) {
	if err := r.Check(); err != nil {
		return rrule.ROption{}, err
	}
	o := rrule.ROption{Dtstart: start, Interval: r.Interval, Count: r.Count, Until: r.Until, Wkst: rrule.MO}
	if !o.Until.IsZero() {
		o.Until = o.Until.UTC()
	}
	switch r.Freq {
	case Weekly:
		o.Freq = rrule.WEEKLY
		wd := slices.Clone(r.Weekdays)
		slices.Sort(wd)
		for _, d := range slices.Compact(wd) {
			o.Byweekday = append(o.Byweekday, ruleDays[d])
		}
	case Monthly:
		o.Freq = rrule.MONTHLY
		if r.Week != 0 {
			o.Byweekday = []rrule.Weekday{ruleDays[r.Weekdays[0]].Nth(r.Week)}
		} else {
			o.Bymonthday = []int{r.MonthDay}
		}
	}
	return o, nil
}

// String is the rule as an RRULE value (without DTSTART), as stored and
// as written in .ics feeds: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH".
func (r Rule) String() string {
	o, err := r.option(time.Time{})
	if err != nil {
		return ""
	}
	if o.Interval == 1 {
		o.Interval = 0 // the default, left out
	}
	return o.RRuleString()
}

// Parse reads an RRULE value written by String (or by a calendar app, as
// far as it stays within what Rule can say).
func Parse(s string) (Rule, error) {
	o, err := rrule.StrToROption(strings.TrimPrefix(strings.TrimSpace(s), "RRULE:"))
	if err != nil {
		return Rule{}, fmt.Errorf("%w: %v", ErrRule, err)
	}
	if len(o.Bysetpos)+len(o.Bymonth)+len(o.Byyearday)+len(o.Byweekno)+len(o.Byhour)+len(o.Byminute)+len(o.Bysecond)+len(o.Byeaster) > 0 {
		return Rule{}, fmt.Errorf("%w: %q says more than a repeat rule can", ErrRule, s)
	}
	r := Rule{Interval: max(o.Interval, 1), Count: o.Count, Until: o.Until}
	switch o.Freq {
	case rrule.WEEKLY:
		r.Freq = Weekly
	case rrule.MONTHLY:
		r.Freq = Monthly
	default:
		return Rule{}, fmt.Errorf("%w: frequency %v", ErrRule, o.Freq)
	}
	for _, d := range o.Byweekday {
		r.Weekdays = append(r.Weekdays, time.Weekday((d.Day()+1)%7))
		if r.Freq == Monthly {
			r.Week = d.N()
		}
	}
	if len(o.Bymonthday) > 1 {
		return Rule{}, fmt.Errorf("%w: more than one month day", ErrRule)
	}
	if len(o.Bymonthday) == 1 {
		r.MonthDay = o.Bymonthday[0]
	}
	return r, r.Check()
}

// Between returns the starts of the rule's dates from first (the first
// date's start, whose clock time and time zone every date keeps, whatever
// the clocks do in between) that fall in [from, to), at most limit of
// them. A date that lands in the hour the clocks skip is moved on by that
// hour, as Go's time.Date does.
func (r Rule) Between(first, from, to time.Time, limit int) ([]time.Time, error) {
	o, err := r.option(first)
	if err != nil {
		return nil, err
	}
	rr, err := rrule.NewRRule(o)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRule, err)
	}
	var out []time.Time
	next := rr.Iterator()
	for len(out) < limit {
		t, ok := next()
		if !ok || !t.Before(to) {
			break
		}
		if !t.Before(from) {
			out = append(out, t)
		}
	}
	return out, nil
}

// Matches reports whether start is one of the rule's own dates counted
// from itself: a weekly rule's days include start's weekday, a monthly
// rule's weekday and week (or date) are start's.
func (r Rule) Matches(start time.Time) bool {
	got, err := r.Between(start, start, start.Add(time.Minute), 1)
	return err == nil && len(got) == 1 && got[0].Equal(start)
}

// WeekOf is which week of its month t's weekday is in: 1 to 5 (the fifth
// Tuesday), and last reports whether it is also the last one.
func WeekOf(t time.Time) (n int, last bool) {
	return (t.Day()-1)/7 + 1, t.AddDate(0, 0, 7).Month() != t.Month()
}
