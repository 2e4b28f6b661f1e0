package instance_test

import (
	"errors"
	"testing"
	"time"

	"hearth/instance"
)

func inLondon(t *testing.T) func(*instance.Options) {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return func(o *instance.Options) { o.Location = loc }
}

// lunchClub posts a weekly action from day (12:00–14:00 London), with
// the repeat boxes given.
func (f *fixture) lunchClub(t *testing.T, by *instance.Member, day string, rep instance.RepeatInput, slots ...instance.SlotInput) *instance.Item {
	t.Helper()
	it, err := f.svc.CreateItem(ctx, by, instance.ItemInput{Kind: instance.KindAction, Title: "Lunch club", Place: "The hall",
		StartDate: instance.DateOf(day), StartTime: instance.TimeOf("12:00"), EndTime: instance.TimeOf("14:00"),
		Slots: slots, Repeat: rep})
	if err != nil {
		t.Fatal(err)
	}
	return f.reload(t, by, it)
}

// dates lists a series' dates to come (every one, as the store has them).
func (f *fixture) dates(t *testing.T, it *instance.Item) []*instance.Item {
	t.Helper()
	list, err := f.store.ListItems(ctx, instance.ItemFilter{SeriesID: it.SeriesID, Upcoming: true, Now: f.clock.now(), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range list {
		if list[i], err = f.store.ItemByID(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	return list
}

func onDays(list []*instance.Item, loc *time.Location) []string {
	var out []string
	for _, d := range list {
		out = append(out, d.StartsAt.In(loc).Format("2006-01-02 15:04 MST"))
	}
	return out
}

func sweep(t *testing.T, f *fixture) {
	t.Helper()
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
}

// A rule with no end is kept as a rule: its dates are made 8 weeks ahead
// at posting and by each sweep, never further; other servers are sent
// only the next one, and the one after when it has happened.
func TestSeriesIsMadeAWindowAhead(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen, inLondon(t))
	loc := f.svc.Location()
	org := f.member(t, "orla")
	it := f.lunchClub(t, org, "2026-12-01", instance.RepeatInput{How: "weekly"})
	if it.SeriesID == 0 || it.OccursOn != "2026-12-01" || it.Quiet {
		t.Fatalf("first date %+v", it)
	}
	got := onDays(f.dates(t, it), loc)
	want := []string{"2026-12-01 12:00 GMT", "2026-12-08 12:00 GMT", "2026-12-15 12:00 GMT", "2026-12-22 12:00 GMT",
		"2026-12-29 12:00 GMT", "2027-01-05 12:00 GMT", "2027-01-12 12:00 GMT", "2027-01-19 12:00 GMT"}
	if len(got) != len(want) || got[7] != want[7] {
		t.Fatalf("dates %v, want %v", got, want)
	}
	for _, d := range f.dates(t, it)[1:] {
		if !d.Quiet || d.Federates() {
			t.Fatalf("date %s federates", d.OccursOn)
		}
	}
	// Listed once, as its next date.
	listed, err := f.svc.Items(ctx, org, instance.ItemFilter{Upcoming: true})
	if err != nil || len(listed) != 1 || listed[0].ID != it.ID {
		t.Fatalf("upcoming list %d items (%v)", len(listed), err)
	}
	// The same sweep twice makes nothing more; a week on, one more date.
	sweep(t, f)
	if n := len(f.dates(t, it)); n != 8 {
		t.Fatalf("a sweep at once made more dates: %d", n)
	}
	f.clock.advance(7 * 24 * time.Hour)
	sweep(t, f)
	got = onDays(f.dates(t, it), loc)
	if len(got) != 8 || got[7] != "2027-01-26 12:00 GMT" {
		t.Fatalf("a week on: %v", got)
	}
	// 1 December has happened: 8 December is now the date other servers see.
	second := f.dates(t, it)[0]
	if second.OccursOn != "2026-12-08" || second.Quiet {
		t.Fatalf("next date %s quiet %v", second.OccursOn, second.Quiet)
	}
	events, err := f.store.NextFedEvents(ctx, f.clock.now(), 100)
	if err != nil {
		t.Fatal(err)
	}
	sent := map[int64]int{}
	for _, e := range events {
		if e.Subject == instance.SubjectItem {
			sent[e.SubjectID]++
		}
	}
	if len(sent) != 2 || sent[it.ID] == 0 || sent[second.ID] == 0 {
		t.Fatalf("federation events for %v, want the first and the second date only", sent)
	}
}

// The clocks go forward on 28 March 2027: the lunch club stays at noon.
// "The fifth Tuesday" happens only in months that have one.
func TestSeriesAcrossDSTAndMonthEnds(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen, inLondon(t))
	loc := f.svc.Location()
	org := f.member(t, "orla")
	weekly := f.lunchClub(t, org, "2027-03-16", instance.RepeatInput{How: "weekly"})
	fifth := f.lunchClub(t, org, "2026-12-29", instance.RepeatInput{How: "monthly_weekday"})
	f.clock.advance(time.Date(2027, 3, 10, 10, 0, 0, 0, time.UTC).Sub(f.clock.now()))
	sweep(t, f)
	got := onDays(f.dates(t, weekly), loc)
	if got[0] != "2027-03-16 12:00 GMT" || got[2] != "2027-03-30 12:00 BST" {
		t.Fatalf("across the change: %v", got)
	}
	if d := f.dates(t, weekly)[2]; d.StartsAt.UTC().Hour() != 11 || d.EndsAt.Sub(d.StartsAt) != 2*time.Hour {
		t.Fatalf("30 March at %v–%v UTC", d.StartsAt.UTC(), d.EndsAt.UTC())
	}
	got = onDays(f.dates(t, fifth), loc)
	if len(got) != 1 || got[0] != "2027-03-30 12:00 BST" {
		t.Fatalf("fifth Tuesdays to come: %v (January and February have none)", got)
	}
}

// Skipping a date is cancelling it: it is never made again. Moving a date
// keeps the rule's date it stands for. A number of times ends the series.
func TestSeriesExceptionsAndEnds(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen, inLondon(t))
	org := f.member(t, "orla")
	it := f.lunchClub(t, org, "2026-12-01", instance.RepeatInput{How: "weekly", Times: "3"})
	list := f.dates(t, it)
	if len(list) != 3 {
		t.Fatalf("3 times made %d dates", len(list))
	}
	if err := f.svc.CancelAction(ctx, org, list[1].ID, "Hall closed"); err != nil {
		t.Fatal(err)
	}
	moved := instance.ItemInput{Title: "Lunch club", Place: "The hall", StartDate: instance.DateOf("2026-12-16"),
		StartTime: instance.TimeOf("12:00"), EndTime: instance.TimeOf("14:00")}
	if err := f.svc.UpdateItem(ctx, org, list[2].ID, moved); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(10 * 24 * time.Hour)
	sweep(t, f)
	list = f.dates(t, it)
	if len(list) != 1 || list[0].OccursOn != "2026-12-15" || list[0].StartsAt.Day() != 16 {
		t.Fatalf("after the skip and the move: %v", onDays(list, f.svc.Location()))
	}
	skipped, _ := f.store.ItemByID(ctx, it.ID+1)
	if skipped.State != instance.StateCancelled || skipped.OccursOn != "2026-12-08" {
		t.Fatalf("the skipped date is %s %s", skipped.State, skipped.OccursOn)
	}
}

func TestRepeatBadInput(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen, inLondon(t))
	org := f.member(t, "orla")
	base := instance.ItemInput{Kind: instance.KindAction, Title: "Lunch club", Place: "The hall",
		StartDate: instance.DateOf("2026-12-01"), StartTime: instance.TimeOf("12:00"), EndTime: instance.TimeOf("14:00")}
	for _, c := range []struct {
		name  string
		rep   instance.RepeatInput
		field string
		code  string
	}{
		{"until before start", instance.RepeatInput{How: "weekly", Until: instance.DateOf("2026-11-30")}, "repeat_until", "err.repeat_until_before_start"},
		{"two ends", instance.RepeatInput{How: "weekly", Until: instance.DateOf("2027-01-30"), Times: "4"}, "repeat_times", "err.repeat_one_end"},
		{"once is not a repeat", instance.RepeatInput{How: "weekly", Times: "1"}, "repeat_times", "err.number_range"},
		{"every 13 weeks", instance.RepeatInput{How: "weekly", Every: "13"}, "repeat_every", "err.number_range"},
		{"unknown", instance.RepeatInput{How: "daily"}, "repeat", "err.choice"},
		{"no such day", instance.RepeatInput{How: "weekly", Days: []string{"7"}}, "repeat_days", "err.choice"},
	} {
		in := base
		in.Repeat = c.rep
		_, err := f.svc.CreateItem(ctx, org, in)
		if fe := instance.Fields(err)[c.field]; fe == nil || fe.Code != c.code {
			t.Errorf("%s: %v, want %s on %s", c.name, err, c.code, c.field)
		}
	}
	if list, _ := f.svc.Items(ctx, org, instance.ItemFilter{}); len(list) != 0 {
		t.Fatalf("a refused series stored %d items", len(list))
	}
}

// One date, or every week: a standing place is on every date made and
// every date to be made, and is released with a week's notice.
func TestJoinOneDateOrEveryWeek(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen, inLondon(t))
	org, ann, bob, cat := f.member(t, "orla"), f.member(t, "ann"), f.member(t, "bob"), f.member(t, "cat")
	it := f.lunchClub(t, org, "2026-12-01", instance.RepeatInput{How: "weekly"}, instance.SlotInput{Name: "cooks", Capacity: "1"})
	list := f.dates(t, it)
	if _, err := f.svc.JoinAction(ctx, ann, list[1].ID, list[1].Slots[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.JoinSeries(ctx, bob, it.ID, it.Slots[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.JoinSeries(ctx, bob, it.ID, 0); !hasCode(err, "series.already_regular") {
		t.Fatalf("second standing place: %v", err)
	}
	places := func(m *instance.Member) map[string]instance.AttendStatus {
		out := map[string]instance.AttendStatus{}
		for _, d := range f.dates(t, it) {
			people, _ := f.store.ListAttendees(ctx, d.ID)
			for _, a := range people {
				if a.MemberID == m.ID {
					out[d.OccursOn] = a.Status
				}
			}
		}
		return out
	}
	if p := places(ann); len(p) != 1 || p["2026-12-08"] != instance.AttendGoing {
		t.Fatalf("ann (one date): %v", p)
	}
	p := places(bob)
	if len(p) != 8 || p["2026-12-01"] != instance.AttendGoing || p["2026-12-08"] != instance.AttendWaiting {
		t.Fatalf("bob (every week): %v", p)
	}
	// Cat waits for the cook's place on 15 December; a date made later
	// has bob on it as it is made.
	if _, err := f.svc.JoinAction(ctx, cat, list[2].ID, list[2].Slots[0].ID); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(24 * time.Hour)
	sweep(t, f)
	f.clock.advance(6 * 24 * time.Hour)
	sweep(t, f)
	if p := places(bob); p["2027-01-26"] != instance.AttendGoing {
		t.Fatalf("bob on the new date: %v", p)
	}
	// Bob stops on 4 December: he keeps 8 December (within the week's
	// notice), the later ones go, and cat gets 15 December.
	if err := f.svc.LeaveSeries(ctx, bob, it.ID); err != nil {
		t.Fatal(err)
	}
	if p := places(bob); len(p) != 1 || p["2026-12-08"] == "" {
		t.Fatalf("bob after stopping: %v", p)
	}
	if p := places(cat); p["2026-12-15"] != instance.AttendGoing {
		t.Fatalf("cat not promoted: %v", p)
	}
	notes, _ := f.svc.Notifications(ctx, org)
	if !hasNote(notes, instance.NoteSeriesJoined) || !hasNote(notes, instance.NoteSeriesLeft) {
		t.Fatalf("organiser not told: %v", notes)
	}
	if err := f.svc.LeaveSeries(ctx, bob, it.ID); !hasCode(err, "series.not_regular") {
		t.Fatalf("stopping twice: %v", err)
	}
}

// A change that would put someone in two places at once is refused, with
// where they already are.
func TestDoubleBookingRefused(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen, inLondon(t))
	org, bob := f.member(t, "orla"), f.member(t, "bob")
	club := f.lunchClub(t, org, "2026-12-01", instance.RepeatInput{How: "weekly"}, instance.SlotInput{Name: "cooks", Capacity: "2"})
	quiz, err := f.svc.CreateItem(ctx, org, instance.ItemInput{Kind: instance.KindAction, Title: "Quiz", Place: "The pub",
		StartDate: instance.DateOf("2026-12-08"), StartTime: instance.TimeOf("13:30"), EndTime: instance.TimeOf("15:00")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.JoinAction(ctx, bob, quiz.ID, 0); err != nil {
		t.Fatal(err)
	}
	err = f.svc.JoinSeries(ctx, bob, club.ID, 0)
	var pr *instance.Problem
	if !errors.As(err, &pr) || pr.Code != "action.double_booked" || pr.Args[0] != "Quiz" {
		t.Fatalf("every week over the quiz: %v", err)
	}
	if regs, _ := f.store.Regulars(ctx, club.SeriesID); len(regs) != 0 {
		t.Fatal("the refused standing place was kept")
	}
	if p, _ := f.store.ListAttendees(ctx, club.ID); len(p) != 0 {
		t.Fatal("the refused standing place left bob on 1 December")
	}
	eighth := f.dates(t, club)[1]
	if err := f.svc.AssignRota(ctx, org, eighth.ID, "cooks", "bob"); !hasCode(err, "action.double_booked") {
		t.Fatalf("rota change over the quiz: %v", err)
	}
	if _, err := f.svc.JoinAction(ctx, bob, eighth.ID, 0); !hasCode(err, "action.double_booked") {
		t.Fatalf("joining 8 December over the quiz: %v", err)
	}
	// Another date is fine, and the rota shows it.
	first := f.dates(t, club)[0]
	if err := f.svc.AssignRota(ctx, org, first.ID, "cooks", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AssignRota(ctx, bob, first.ID, "cooks", "orla"); !errors.Is(err, instance.ErrForbidden) {
		t.Fatalf("a member changed the rota: %v", err)
	}
	rota, err := f.svc.Rota(ctx, org, club.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rota.Dates) != 8 || rota.Dates[0].Roles[0].People[0] != "Bob" || rota.Dates[0].Roles[0].Free != 1 || !rota.Dates[1].Gap {
		t.Fatalf("rota %+v", rota.Dates[0])
	}
	if _, err := f.svc.Rota(ctx, bob, club.ID); !errors.Is(err, instance.ErrForbidden) {
		t.Fatalf("a member saw the rota: %v", err)
	}
}

// A date within a week that still has a free role tells the regulars who
// are not on it, once.
func TestRotaGapTellsRegulars(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen, inLondon(t))
	org, ann, bob := f.member(t, "orla"), f.member(t, "ann"), f.member(t, "bob")
	club := f.lunchClub(t, org, "2026-12-08", instance.RepeatInput{How: "weekly"}, instance.SlotInput{Name: "cooks", Capacity: "2"})
	if err := f.svc.JoinSeries(ctx, ann, club.ID, club.Slots[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.JoinSeries(ctx, bob, club.ID, club.Slots[0].ID); err != nil {
		t.Fatal(err)
	}
	sweep(t, f) // 8 December is 11 days away: nobody told yet
	if notes, _ := f.svc.Notifications(ctx, ann); hasNote(notes, instance.NoteRotaGap) {
		t.Fatal("told of a gap too early")
	}
	if err := f.svc.LeaveAction(ctx, ann, club.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(5 * 24 * time.Hour)
	sweep(t, f)
	sweep(t, f)
	notes, _ := f.svc.Notifications(ctx, ann)
	count := 0
	for _, n := range notes {
		if n.Kind == instance.NoteRotaGap {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("ann told %d times of the gap on 8 December", count)
	}
	if notes, _ := f.svc.Notifications(ctx, bob); hasNote(notes, instance.NoteRotaGap) {
		t.Fatal("bob, already on that date, was told of its gap")
	}
}

func hasCode(err error, code string) bool {
	var pr *instance.Problem
	return errors.As(err, &pr) && pr.Code == code
}

func hasNote(list []*instance.Notification, k instance.NoteKind) bool {
	for _, n := range list {
		if n.Kind == k {
			return true
		}
	}
	return false
}
