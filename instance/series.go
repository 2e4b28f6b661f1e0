package instance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"hearth/instance/repeat"
)

// A repeating action is a series: its rule, and its dates, each an
// ordinary action with its own places, roles and waiting list. Dates are
// made SeriesWindow ahead (at posting, then by the sweep), so a rule with
// no end is stored as a rule and never expanded without bound. Skipping a
// date is cancelling it (it stays, cancelled, as the rule's exception, and
// is never made again); moving a date is editing its day or time (it keeps
// the rule's date it stands for).
const (
	// SeriesWindow is how far ahead a series' dates are made.
	SeriesWindow = 8 * 7 * 24 * time.Hour
	// maxDatesAtOnce bounds one expansion, whatever the rule.
	maxDatesAtOnce = 100
	// StandingNotice is the notice a standing place ("every week") is
	// released with: whoever stops keeps their places on the dates in the
	// next week (they can leave those one by one), and the later ones go
	// to whoever waits.
	StandingNotice = 7 * 24 * time.Hour
	// RotaGapNotice is how long before a date with a free role its
	// regulars are told.
	RotaGapNotice = 7 * 24 * time.Hour
)

// Series is a repeating action's rule. FirstAt is its first date's start,
// whose clock time (in the instance's time zone) every date keeps.
type Series struct {
	ID        int64
	Rule      repeat.Rule
	FirstAt   time.Time
	Length    time.Duration
	MadeUntil time.Time
	Ended     bool
}

// Regular is a member with a standing place on a series.
type Regular struct {
	MemberID int64
	Member   string
	SlotName string
}

// Clash is a refused change that would put a member in two places at
// once: the action they are already going to at that time.
type Clash struct {
	ItemID   int64
	Title    string
	StartsAt time.Time
}

func (c *Clash) Error() string {
	return fmt.Sprintf("clashes with action %d at %s", c.ItemID, c.StartsAt.Format(time.RFC3339))
}

// SeriesStore keeps series, their dates and their regulars.
type SeriesStore interface {
	// CreateSeries stores a series and its first dates (the first
	// federates; the others are quiet) with n, in one transaction, and
	// returns their ids.
	CreateSeries(ctx context.Context, se *Series, dates []*Item, n Notices) (int64, []int64, error)
	SeriesByID(ctx context.Context, id int64) (*Series, error)
	// SeriesToMake lists series with more dates to make before horizon.
	SeriesToMake(ctx context.Context, horizon time.Time, limit int) ([]*Series, error)
	// LastDate is the id of a series' latest date (the template of the
	// next ones).
	LastDate(ctx context.Context, seriesID int64) (int64, error)
	// AddDates stores dates the sweep made (quiet), with each regular
	// put on each (in the role of their slot name, going or waiting;
	// not on a date that clashes with another place of theirs), and
	// records how far the series is made. A date already made is left.
	AddDates(ctx context.Context, seriesID int64, dates []*Item, madeUntil time.Time, ended bool, now time.Time) (int, error)
	// RollSeries makes the next date of each series that has no
	// federated date to come federate (with its federation event).
	RollSeries(ctx context.Context, now time.Time) (int, error)
	Regulars(ctx context.Context, seriesID int64) ([]*Regular, error)
	// JoinSeries makes the member a regular and puts them on each of
	// dates (not one they are already on), in one transaction; a date
	// that clashes with another of their places refuses it all with a
	// *Clash; a member already regular gets ErrConflict.
	JoinSeries(ctx context.Context, seriesID, memberID int64, slotName string, dates []int64, now time.Time, n Notices) error
	// LeaveSeries ends the member's standing place (ErrNotFound if they
	// had none) and takes them off the dates starting after releaseFrom,
	// promoting whoever waits (told with promoted[date][member]).
	LeaveSeries(ctx context.Context, seriesID, memberID int64, releaseFrom, now time.Time, n Notices, promoted map[int64]map[int64]Notices) error
	// GapDates lists series dates starting in [from, to) with a role
	// that has a free place, whose regulars have not been told.
	GapDates(ctx context.Context, from, to time.Time, limit int) ([]*Item, error)
	// MarkGapTold records that a date's regulars were told, with n; it
	// reports false when another sweep did it first.
	MarkGapTold(ctx context.Context, itemID int64, now time.Time, n Notices) (bool, error)
}

// RepeatInput is the "Repeat" part of the action form.
type RepeatInput struct {
	// How is "" (does not repeat), "weekly", "monthly_weekday" (the
	// first Tuesday, as the start date is) or "monthly_day" (the 8th).
	How   string
	Every string   // every N weeks or months; empty is 1
	Days  []string // weekly: weekday numbers, 0 Sunday to 6 Saturday
	Until DateInput
	Times string
}

// cleanRepeat reads the repeat boxes for an action starting at start (nil
// when it does not repeat). A weekly rule always includes the start's
// weekday; a monthly one is the start's week and weekday, or its date.
func cleanRepeat(v *ValidationErrors, in RepeatInput, start time.Time, loc *time.Location) *repeat.Rule {
	how := strings.TrimSpace(in.How)
	if how == "" {
		return nil
	}
	r := &repeat.Rule{}
	var fe *FieldError
	if r.Interval, fe = parseCount("repeat_every", in.Every, 1, repeat.MaxInterval, false); fe != nil {
		v.add(fe)
	}
	r.Interval = max(r.Interval, 1)
	local := start.In(loc)
	switch how {
	case "weekly":
		r.Freq = repeat.Weekly
		seen := map[time.Weekday]bool{local.Weekday(): true}
		r.Weekdays = []time.Weekday{local.Weekday()}
		for _, d := range in.Days {
			n, ok := number(strings.TrimSpace(d))
			if !ok || n > 6 {
				v.add(&FieldError{Field: "repeat_days", Code: "err.choice"})
				break
			}
			if !seen[time.Weekday(n)] {
				seen[time.Weekday(n)] = true
				r.Weekdays = append(r.Weekdays, time.Weekday(n))
			}
		}
	case "monthly_weekday":
		r.Freq, r.Weekdays = repeat.Monthly, []time.Weekday{local.Weekday()}
		r.Week, _ = repeat.WeekOf(local)
	case "monthly_day":
		r.Freq, r.MonthDay = repeat.Monthly, local.Day()
	default:
		v.add(&FieldError{Field: "repeat", Code: "err.choice"})
		return nil
	}
	until, fe := parseDate("repeat_until", in.Until, loc, false)
	if fe == nil && !until.IsZero() && until.Before(startOfDay(local)) {
		fe = &FieldError{Field: "repeat_until", Code: "err.repeat_until_before_start"}
	}
	v.add(fe)
	if !until.IsZero() {
		r.Until = until.AddDate(0, 0, 1).Add(-time.Second) // the whole of that day
	}
	times, fe := parseCount("repeat_times", in.Times, 2, repeat.MaxCount, false)
	if fe == nil && times > 0 && !r.Until.IsZero() {
		fe = &FieldError{Field: "repeat_times", Code: "err.repeat_one_end"}
	}
	v.add(fe)
	r.Count = times
	return r
}

// seriesDates makes the dates of a series that start in [from, to) from
// a template date (its text, place, places and roles): at most
// maxDatesAtOnce, and how far that made it.
func (s *Service) seriesDates(se *Series, tpl *Item, from, to time.Time) ([]*Item, time.Time, bool, error) {
	starts, err := se.Rule.Between(se.FirstAt.In(s.loc), from, to, maxDatesAtOnce)
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("instance: series %d: %w", se.ID, err)
	}
	made := to
	if len(starts) == maxDatesAtOnce {
		made = starts[len(starts)-1].Add(time.Minute)
	}
	ended := false
	if se.Rule.Ends() {
		more, err := se.Rule.Between(se.FirstAt.In(s.loc), made, made.AddDate(50, 0, 0), 1)
		if err != nil {
			return nil, time.Time{}, false, err
		}
		ended = len(more) == 0
	}
	now := s.now()
	var out []*Item
	for _, start := range starts {
		d := *tpl
		d.ID, d.Going, d.Waiting, d.State, d.StateReason = 0, 0, 0, StateScheduled, ""
		d.CreatedAt, d.UpdatedAt, d.DeletedAt = now, now, time.Time{}
		d.StartsAt, d.EndsAt = start, start.Add(se.Length)
		d.OccursOn, d.Quiet = start.In(s.loc).Format(time.DateOnly), true
		d.Slots = nil
		for _, sl := range tpl.Slots {
			d.Slots = append(d.Slots, Slot{Name: sl.Name, Capacity: sl.Capacity})
		}
		out = append(out, &d)
	}
	return out, made, ended, nil
}

// createSeries stores a new repeating action: the series and its dates
// in the window ahead (the first is it, and the only one other servers
// are sent).
func (s *Service) createSeries(ctx context.Context, it *Item, rule *repeat.Rule, n Notices) error {
	se := &Series{Rule: *rule, FirstAt: it.StartsAt, Length: it.EndsAt.Sub(it.StartsAt)}
	if !rule.Matches(it.StartsAt.In(s.loc)) {
		return ValidationErrors{{Field: "repeat", Code: "err.repeat_not_start"}}
	}
	dates, made, ended, err := s.seriesDates(se, it, it.StartsAt, s.now().Add(SeriesWindow))
	if err != nil {
		return err
	}
	if len(dates) == 0 || !dates[0].StartsAt.Equal(it.StartsAt) {
		// The first date is always made, however far ahead it is.
		first, m, e, err := s.seriesDates(se, it, it.StartsAt, it.StartsAt.Add(time.Minute))
		if err != nil || len(first) != 1 {
			return fmt.Errorf("instance: series from %s: first date not made (%v)", it.StartsAt, err)
		}
		dates, made, ended = first, m, e
	}
	dates[0].Quiet = false
	se.MadeUntil, se.Ended = made, ended
	id, ids, err := s.store.CreateSeries(ctx, se, dates, n)
	if err != nil {
		return err
	}
	it.ID, it.SeriesID, it.OccursOn = ids[0], id, dates[0].OccursOn
	s.log.Info("series posted", "series", id, "rule", rule.String(), "dates", len(ids), "first", it.ID)
	return nil
}

// makeSeriesDates is the sweep's step for series: each one's dates up
// to the window ahead, then the next date of each made the one other
// servers see.
func (s *Service) makeSeriesDates(ctx context.Context) (made, rolled int, err error) {
	now := s.now()
	horizon := now.Add(SeriesWindow)
	// A day's slack: the sweep runs every minute, and a series is made
	// again once a day, not once a minute.
	list, err := s.store.SeriesToMake(ctx, horizon.Add(-24*time.Hour), sweepBatch)
	if err != nil {
		return 0, 0, err
	}
	for _, se := range list {
		last, err := s.store.LastDate(ctx, se.ID)
		if err != nil {
			return made, 0, fmt.Errorf("instance: series %d: last date: %w", se.ID, err)
		}
		tpl, err := s.store.ItemByID(ctx, last)
		if err != nil {
			return made, 0, err
		}
		dates, until, ended, err := s.seriesDates(se, tpl, se.MadeUntil, horizon)
		if err != nil {
			return made, 0, err
		}
		n, err := s.store.AddDates(ctx, se.ID, dates, until, ended, now)
		if err != nil {
			return made, 0, err
		}
		made += n
	}
	rolled, err = s.store.RollSeries(ctx, now)
	return made, rolled, err
}

// SeriesView is what an action page shows of its series.
type SeriesView struct {
	Series *Series
	// Next are its dates to come (the window made so far).
	Next []*Item
	// Regular says the viewer has a standing place; RegularSlot is its
	// role's name.
	Regular     bool
	RegularSlot string
	Regulars    []*Regular
}

// SeriesOf returns the series a date belongs to as the viewer may see it
// (nil for a one-off action). Only organisers see who the regulars are.
func (s *Service) SeriesOf(ctx context.Context, viewer *Member, it *Item) (*SeriesView, error) {
	if it.SeriesID == 0 {
		return nil, nil
	}
	se, err := s.store.SeriesByID(ctx, it.SeriesID)
	if err != nil {
		return nil, fmt.Errorf("instance: series of action %d: %w", it.ID, err)
	}
	v := &SeriesView{Series: se}
	if v.Next, err = s.Items(ctx, viewer, ItemFilter{SeriesID: se.ID, Upcoming: true, Limit: 12}); err != nil {
		return nil, err
	}
	regs, err := s.store.Regulars(ctx, se.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range regs {
		if viewer != nil && r.MemberID == viewer.ID {
			v.Regular, v.RegularSlot = true, r.SlotName
		}
	}
	if s.CanManage(viewer, it) {
		v.Regulars = regs
	}
	return v, nil
}

// seriesDate loads a date of a series the member may join.
func (s *Service) seriesDate(ctx context.Context, by *Member, itemID int64) (*Item, error) {
	it, err := s.liveItem(ctx, itemID)
	if err != nil {
		return nil, err
	}
	if err := requireKind(it, KindAction); err != nil {
		return nil, err
	}
	if !by.Has(RoleMember) || !s.CanSee(by, it) {
		return nil, ErrForbidden
	}
	if it.SeriesID == 0 {
		return nil, problem(ErrInvalid, "series.not_repeating")
	}
	return it, nil
}

// clashProblem words a refused double booking.
func clashProblem(err error) error {
	var c *Clash
	if errors.As(err, &c) {
		return problem(ErrConflict, "action.double_booked", c.Title, c.StartsAt)
	}
	return err
}

// JoinSeries gives the member a standing place ("every week") from this
// date on: a place on each date made so far that has not started (in the
// role of slotID's name, when not 0), and on each new date as it is made.
// A date whose time clashes with another place of theirs refuses the
// whole change, saying which.
func (s *Service) JoinSeries(ctx context.Context, by *Member, itemID, slotID int64) error {
	it, err := s.seriesDate(ctx, by, itemID)
	if err != nil {
		return err
	}
	slotName := ""
	if slotID != 0 {
		for _, sl := range it.Slots {
			if sl.ID == slotID {
				slotName = sl.Name
			}
		}
		if slotName == "" {
			return problem(ErrInvalid, "action.no_such_slot")
		}
	}
	dates, err := s.store.ListItems(ctx, ItemFilter{SeriesID: it.SeriesID, Upcoming: true, Now: s.now(), Limit: maxDatesAtOnce})
	if err != nil {
		return err
	}
	var ids []int64
	for _, d := range dates {
		if !d.StartsAt.Before(it.StartsAt) && d.StartsAt.After(s.now()) {
			ids = append(ids, d.ID)
		}
	}
	n, err := s.tell(ctx, event{kind: NoteSeriesJoined, item: it, by: by}, it.AuthorID)
	if err != nil {
		return err
	}
	err = s.store.JoinSeries(ctx, it.SeriesID, by.ID, slotName, ids, s.now(), n)
	if errors.Is(err, ErrConflict) && !errors.As(err, new(*Clash)) {
		return problem(ErrConflict, "series.already_regular")
	}
	if err != nil {
		return clashProblem(err)
	}
	s.log.Info("standing place taken", "series", it.SeriesID, "member", by.Handle, "dates", len(ids))
	return nil
}

// LeaveSeries ends the member's standing place, with notice: they stay on
// the dates starting within StandingNotice, and are taken off the later
// ones (whoever waits first gets each place, and is told). The organiser
// is told.
func (s *Service) LeaveSeries(ctx context.Context, by *Member, itemID int64) error {
	it, err := s.seriesDate(ctx, by, itemID)
	if err != nil {
		return err
	}
	releaseFrom := s.now().Add(StandingNotice)
	dates, err := s.store.ListItems(ctx, ItemFilter{SeriesID: it.SeriesID, Upcoming: true, Now: releaseFrom, Limit: maxDatesAtOnce})
	if err != nil {
		return err
	}
	promoted := map[int64]map[int64]Notices{}
	for _, d := range dates {
		if promoted[d.ID], err = s.waitingNotices(ctx, d); err != nil {
			return err
		}
	}
	n, err := s.tell(ctx, event{kind: NoteSeriesLeft, item: it, by: by}, it.AuthorID)
	if err != nil {
		return err
	}
	err = s.store.LeaveSeries(ctx, it.SeriesID, by.ID, releaseFrom, s.now(), n, promoted)
	if errors.Is(err, ErrNotFound) {
		return problem(ErrConflict, "series.not_regular")
	}
	if err == nil {
		s.log.Info("standing place released", "series", it.SeriesID, "member", by.Handle, "from", releaseFrom)
	}
	return err
}

// tellRotaGaps is the sweep's step that tells a series' regulars, once a
// date within RotaGapNotice still has a role with a free place, that it
// does (not those already on that date).
func (s *Service) tellRotaGaps(ctx context.Context) (int, error) {
	now := s.now()
	dates, err := s.store.GapDates(ctx, now, now.Add(RotaGapNotice), sweepBatch)
	if err != nil {
		return 0, err
	}
	told := 0
	for _, d := range dates {
		regs, err := s.store.Regulars(ctx, d.SeriesID)
		if err != nil {
			return told, err
		}
		people, err := s.store.ListAttendees(ctx, d.ID)
		if err != nil {
			return told, err
		}
		on := map[int64]bool{}
		for _, a := range people {
			on[a.MemberID] = true
		}
		var to []int64
		for _, r := range regs {
			if !on[r.MemberID] {
				to = append(to, r.MemberID)
			}
		}
		n, err := s.tell(ctx, event{kind: NoteRotaGap, item: d}, to...)
		if err != nil {
			return told, err
		}
		ok, err := s.store.MarkGapTold(ctx, d.ID, now, n)
		if err != nil {
			return told, err
		}
		if ok {
			told++
		}
	}
	return told, nil
}
