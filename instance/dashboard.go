package instance

import (
	"context"
	"fmt"
	"time"
)

// Activity is a member's own dashboard ("My activity"): what they asked
// for, offered, asked to have, help with and go to, each with where it
// stands.
type Activity struct {
	// Asked are the needs they asked for (or posted for a neighbour),
	// with the offers of help waiting for their choice.
	Asked []*MyItem
	// Helping are the needs they offered to help with: waiting for the
	// requester, accepted, or released.
	Helping []*MyInterest
	// Offered are their offers, with the requests waiting for their
	// choice; Wanted the offers they asked for.
	Offered []*MyItem
	Wanted  []*MyInterest
	// Organised are their actions; Going the actions they have a place
	// on (or wait for one).
	Organised []*MyItem
	Going     []*MyPlace
	// Expiring are their open needs that close soon ("still needed?").
	Expiring []*Item
}

// MyItem is one of the member's posts, with the offers of help (or
// requests) waiting for their choice.
type MyItem struct {
	*Item
	Interests int
}

// MyInterest is the member's offer of help on a need, or "I'd like this"
// on an offer.
type MyInterest struct {
	Item      *Item
	State     InterestState
	CreatedAt time.Time
}

// MyPlace is the member's place on an action.
type MyPlace struct {
	Item     *Item
	Status   AttendStatus
	SlotName string
	// Position on the waiting list (1: next to get a place).
	Position int
}

// MyActivity gathers the member's dashboard.
func (s *Service) MyActivity(ctx context.Context, m *Member) (*Activity, error) {
	if !m.Has(RoleMember) {
		return nil, ErrForbidden
	}
	a := &Activity{}
	now := s.now()
	lists := []struct {
		dst *[]*MyItem
		f   ItemFilter
	}{
		{&a.Asked, ItemFilter{Kind: KindNeed, AuthorID: m.ID}},
		{&a.Offered, ItemFilter{Kind: KindOffer, AuthorID: m.ID}},
		{&a.Organised, ItemFilter{Kind: KindAction, AuthorID: m.ID}},
	}
	var ids []int64
	for _, l := range lists {
		l.f.Now, l.f.Limit = now, 50
		items, err := s.store.ListItems(ctx, l.f)
		if err != nil {
			return nil, fmt.Errorf("instance: activity of member %d: %w", m.ID, err)
		}
		for _, it := range items {
			*l.dst = append(*l.dst, &MyItem{Item: it})
			ids = append(ids, it.ID)
		}
	}
	counts, err := s.store.InterestCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, list := range [][]*MyItem{a.Asked, a.Offered} {
		for _, it := range list {
			if it.State == StateOpen {
				it.Interests = counts[it.ID]
			}
		}
	}
	for _, it := range a.Asked {
		if it.State == StateOpen && it.ExpiresAt.Sub(now) <= s.remind {
			a.Expiring = append(a.Expiring, it.Item)
		}
	}
	mine, err := s.store.MyInterests(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	for _, in := range mine {
		in.Item.Address, in.Item.Contact, in.Item.OnBehalfPhone = "", "", ""
		if in.Item.Kind == KindNeed {
			a.Helping = append(a.Helping, in)
		} else {
			a.Wanted = append(a.Wanted, in)
		}
	}
	if a.Going, err = s.store.MyPlaces(ctx, m.ID); err != nil {
		return nil, err
	}
	return a, nil
}

// Desk is what waits for a coordinator, a safeguarding lead or an admin
// on their home page. Counts are nil (not zero) for what the viewer may
// not see.
type Desk struct {
	Applications, Reports, Held, Unanswered *int
	Concerns                                *int
	// LeadNeeded: concerns go to admins because nobody is a safeguarding
	// lead yet (admins only).
	LeadNeeded bool
	// Checklist is the admin's first-run list, until every step is done.
	Checklist []ChecklistStep
}

// ChecklistStep is one step of setting up an instance; it ticks itself
// when done.
type ChecklistStep struct {
	Key  string // catalogue: "checklist.<key>" and "checklist.<key>_hint"
	Link string
	Done bool
}

// DeskCounts are the numbers behind a desk, read in one query.
type DeskCounts struct {
	Applications, Reports, Held, Unanswered, Concerns int
	Leads, Coordinators                               int
	MailSent                                          bool
}

// DeskStore counts what waits.
type DeskStore interface {
	// DeskCounts counts pending applications, open reports, held posts,
	// open needs with no offer created before unansweredBefore, open
	// concerns, safeguarding leads and coordinators (not admins), and
	// whether the relay ever accepted an email.
	DeskCounts(ctx context.Context, unansweredBefore time.Time) (*DeskCounts, error)
	// UnansweredNeeds lists open needs with no offer created before.
	UnansweredNeeds(ctx context.Context, before time.Time, limit int) ([]*Item, error)
}

// Desk gathers what waits for the viewer: nothing for plain members.
func (s *Service) Desk(ctx context.Context, m *Member) (*Desk, error) {
	if !m.IsCoordinator() && !m.Has(RoleSafeguardingLead) {
		return nil, nil
	}
	c, err := s.store.DeskCounts(ctx, s.now().Add(-s.unanswered))
	if err != nil {
		return nil, fmt.Errorf("instance: desk: %w", err)
	}
	d := &Desk{}
	if m.IsCoordinator() {
		d.Applications, d.Reports, d.Held, d.Unanswered = &c.Applications, &c.Reports, &c.Held, &c.Unanswered
	}
	if m.Has(RoleSafeguardingLead) {
		d.Concerns = &c.Concerns
	}
	if m.IsAdmin() {
		d.LeadNeeded = c.Leads == 0
		steps := []ChecklistStep{
			{Key: "lead", Link: "/admin/members", Done: c.Leads > 0},
			{Key: "email", Link: "/admin/email", Done: s.mailer != nil && c.MailSent},
			{Key: "coordinators", Link: "/admin/invites", Done: c.Coordinators > 0},
			{Key: "conduct", Link: "/conduct", Done: s.conductWritten},
		}
		for _, st := range steps {
			if !st.Done {
				d.Checklist = steps
				break
			}
		}
	}
	return d, nil
}

// UnansweredNeeds lists open needs nobody offered to help with for
// [notify] unanswered_hours (coordinators only).
func (s *Service) UnansweredNeeds(ctx context.Context, by *Member) ([]*Item, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	items, err := s.store.UnansweredNeeds(ctx, s.now().Add(-s.unanswered), 100)
	for _, it := range items {
		it.Address, it.Contact, it.OnBehalfPhone = "", "", ""
	}
	return items, err
}

// UnansweredAfter is how long a need waits before coordinators hear of it.
func (s *Service) UnansweredAfter() time.Duration { return s.unanswered }
