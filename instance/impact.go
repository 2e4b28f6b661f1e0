package instance

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Impact figures: what the village did, per month and year, for its
// parish council or funder, without profiling anyone. Every figure counts
// the distinct people behind it, and one that rests on fewer than
// MinPeople is not given at all (the page says "fewer than 5"): five
// needs met by one helper are a figure about that helper. No figure names
// anyone, and none is broken down further than category or group.

// MinPeople is the fewest people a figure may rest on.
const MinPeople = 5

// ImpactStore reads what the figures count.
type ImpactStore interface {
	// ImpactRecords returns the needs asked or met, the offers given, the
	// attendances at actions and the members who joined in [from, to).
	ImpactRecords(ctx context.Context, from, to time.Time) (*ImpactRecords, error)
}

// ImpactRecords are the raw rows behind the figures: ids of people and
// times, never a name or a text.
type ImpactRecords struct {
	Needs       []NeedRecord
	Offers      []OfferRecord
	Attendances []AttendanceRecord
	Joins       []JoinRecord
}

// NeedRecord is a need: when it was asked, first offered help and done.
type NeedRecord struct {
	AskedAt, FirstOfferAt, DoneAt time.Time
	// Requester is who posted it; OnBehalf the name of whom it was posted
	// for (a coordinator posts for several people), so the two together
	// are one person.
	Requester int64
	OnBehalf  string
	Helper    int64
	// RemoteHelper is the account, on a neighbouring village's server,
	// of the helper chosen when the need overflowed ("" for a member).
	RemoteHelper string
	Category     string
	GroupID      int64
}

// OfferRecord is an offer given.
type OfferRecord struct {
	GivenAt      time.Time
	Giver, Taker int64
	Category     string
	GroupID      int64
}

// AttendanceRecord is one place taken at an action (a member's or a
// guest's).
type AttendanceRecord struct {
	StartsAt, EndsAt time.Time
	Member, Guest    int64
	Category         string
	GroupID          int64
}

// JoinRecord is a member who joined.
type JoinRecord struct {
	Member   int64
	JoinedAt time.Time
}

// FigureKind names one of the figures.
type FigureKind string

// The figures, in the order pages show them.
const (
	FigNeedsAsked     FigureKind = "needs_asked"
	FigNeedsMet       FigureKind = "needs_met"
	FigNeedsMetNearby FigureKind = "needs_met_nearby" // by a helper from a neighbouring village
	FigToFirstOffer   FigureKind = "to_first_offer"   // median, hours
	FigToHelped       FigureKind = "to_helped"        // median, hours
	FigOffersGiven    FigureKind = "offers_given"
	FigAttendances    FigureKind = "attendances"
	FigVolunteerHours FigureKind = "volunteer_hours"
	FigNewMembers     FigureKind = "new_members"
)

// FigureKinds lists every figure in order.
var FigureKinds = []FigureKind{FigNeedsAsked, FigNeedsMet, FigNeedsMetNearby, FigToFirstOffer, FigToHelped, FigOffersGiven, FigAttendances,
	FigVolunteerHours, FigNewMembers}

// Median reports whether a figure is a median time (in hours) rather
// than a count or a sum.
func (k FigureKind) Median() bool { return k == FigToFirstOffer || k == FigToHelped }

// Figure is one number. Shown is false when it rests on fewer than
// MinPeople people (Value is then 0: it never leaves the domain); Empty
// when there was nothing to count (a median of nothing).
type Figure struct {
	Value  float64
	Shown  bool
	Empty  bool
	people int
}

// Period is the figures of a month, or of the whole year.
type Period struct {
	Start   time.Time
	Figures map[FigureKind]Figure
}

// ImpactFilter narrows the figures to a category or a group: for
// coordinators only. New members belong to no category, so they are not
// counted when one is chosen.
type ImpactFilter struct {
	Category string
	GroupID  int64
}

func (f ImpactFilter) Empty() bool { return f.Category == "" && f.GroupID == 0 }

// Impact is a year's figures.
type Impact struct {
	Year   int
	Filter ImpactFilter
	Months []Period // January to the current month (all twelve for a past year)
	Total  Period
	// Years are the years there are figures for, newest first.
	Years []int
}

// ImpactFirstYear is the earliest year the page offers.
const ImpactFirstYear = 2020

// Impact computes a year's figures (year 0 is this year). Anyone may see
// the village's; only a coordinator may narrow them to a category or a
// group.
func (s *Service) Impact(ctx context.Context, viewer *Member, year int, f ImpactFilter) (*Impact, error) {
	if !f.Empty() && !viewer.IsCoordinator() {
		return nil, ErrForbidden
	}
	now := s.now().In(s.loc)
	if year == 0 {
		year = now.Year()
	}
	if year < ImpactFirstYear || year > now.Year() {
		return nil, ErrNotFound
	}
	from := time.Date(year, time.January, 1, 0, 0, 0, 0, s.loc)
	to := from.AddDate(1, 0, 0)
	recs, err := s.store.ImpactRecords(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("instance: impact figures of %d: %w", year, err)
	}
	imp := &Impact{Year: year, Filter: f}
	for y := now.Year(); y >= ImpactFirstYear && y >= now.Year()-9; y-- {
		imp.Years = append(imp.Years, y)
	}
	months := 12
	if year == now.Year() {
		months = int(now.Month())
	}
	for m := range months {
		start := from.AddDate(0, m, 0)
		imp.Months = append(imp.Months, figures(recs, f, start, start.AddDate(0, 1, 0), now))
	}
	imp.Total = figures(recs, f, from, to, now)
	return imp, nil
}

// people counts distinct people.
type people map[string]bool

func (p people) add(kind string, id int64, extra string) {
	p[kind+":"+strconv.FormatInt(id, 10)+":"+extra] = true
}

// figures computes the figures of [from, to).
func figures(recs *ImpactRecords, f ImpactFilter, from, to, now time.Time) Period {
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	match := func(category string, group int64) bool {
		return (f.Category == "" || category == f.Category) && (f.GroupID == 0 || group == f.GroupID)
	}
	p := Period{Start: from, Figures: map[FigureKind]Figure{}}
	asked, askers := 0, people{}
	met, metAskers, helpers := 0, people{}, people{}
	nearby, nearbyAskers, nearbyHelpers := 0, people{}, people{}
	var toOffer, toHelped []float64
	offerAskers, helpedAskers := people{}, people{}
	for _, n := range recs.Needs {
		if !match(n.Category, n.GroupID) {
			continue
		}
		if in(n.AskedAt) {
			asked++
			askers.add("m", n.Requester, n.OnBehalf)
			if !n.FirstOfferAt.IsZero() {
				toOffer = append(toOffer, n.FirstOfferAt.Sub(n.AskedAt).Hours())
				offerAskers.add("m", n.Requester, n.OnBehalf)
			}
		}
		if in(n.DoneAt) {
			met++
			metAskers.add("m", n.Requester, n.OnBehalf)
			if n.RemoteHelper != "" {
				helpers.add("r", 0, n.RemoteHelper)
				nearby++
				nearbyAskers.add("m", n.Requester, n.OnBehalf)
				nearbyHelpers.add("r", 0, n.RemoteHelper)
			} else {
				helpers.add("m", n.Helper, "")
			}
			toHelped = append(toHelped, n.DoneAt.Sub(n.AskedAt).Hours())
			helpedAskers.add("m", n.Requester, n.OnBehalf)
		}
	}
	p.Figures[FigNeedsAsked] = count(float64(asked), len(askers))
	// A need met involves who asked and who helped: both must be many.
	p.Figures[FigNeedsMet] = count(float64(met), min(len(metAskers), len(helpers)))
	p.Figures[FigNeedsMetNearby] = count(float64(nearby), min(len(nearbyAskers), len(nearbyHelpers)))
	p.Figures[FigToFirstOffer] = median(toOffer, len(offerAskers))
	p.Figures[FigToHelped] = median(toHelped, min(len(helpedAskers), len(helpers)))

	given, givers, takers := 0, people{}, people{}
	for _, o := range recs.Offers {
		if match(o.Category, o.GroupID) && in(o.GivenAt) {
			given++
			givers.add("m", o.Giver, "")
			takers.add("m", o.Taker, "")
		}
	}
	p.Figures[FigOffersGiven] = count(float64(given), min(len(givers), len(takers)))

	went, hours, goers := 0, 0.0, people{}
	for _, a := range recs.Attendances {
		// Only actions that have ended: a place taken is not yet attendance.
		if match(a.Category, a.GroupID) && in(a.StartsAt) && !a.EndsAt.After(now) {
			went++
			hours += max(a.EndsAt.Sub(a.StartsAt).Hours(), 0)
			if a.Guest != 0 {
				goers.add("g", a.Guest, "")
			} else {
				goers.add("m", a.Member, "")
			}
		}
	}
	p.Figures[FigAttendances] = count(float64(went), len(goers))
	p.Figures[FigVolunteerHours] = count(hours, len(goers))

	if f.Empty() {
		joined := 0
		for _, j := range recs.Joins {
			if in(j.JoinedAt) {
				joined++
			}
		}
		p.Figures[FigNewMembers] = count(float64(joined), joined)
	} else {
		p.Figures[FigNewMembers] = Figure{Empty: true}
	}
	return p
}

// count is a count or sum that rests on n people: none is a plain 0
// (nobody to identify), one to four is not given.
func count(v float64, n int) Figure {
	if n == 0 {
		return Figure{Shown: true, people: 0}
	}
	if n < MinPeople {
		return Figure{people: n}
	}
	return Figure{Value: v, Shown: true, people: n}
}

// median is the median of values, resting on n people.
func median(values []float64, n int) Figure {
	if len(values) == 0 {
		return Figure{Empty: true}
	}
	if n < MinPeople {
		return Figure{people: n}
	}
	v := slices.Clone(values)
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return Figure{Value: m, Shown: true, people: n}
}
