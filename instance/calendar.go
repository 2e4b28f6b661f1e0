package instance

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CalendarStore keeps members' calendar feed tokens.
type CalendarStore interface {
	// CalendarToken returns the member's feed token, or ErrNotFound.
	CalendarToken(ctx context.Context, memberID int64) (string, error)
	// SetCalendarToken gives the member a feed token, replacing any
	// other (the old link stops working).
	SetCalendarToken(ctx context.Context, memberID int64, token string, now time.Time) error
	DeleteCalendarToken(ctx context.Context, memberID int64) error
	// MemberByCalendarToken returns the active member whose feed token
	// it is, or ErrNotFound.
	MemberByCalendarToken(ctx context.Context, token string) (*Member, error)
}

// CalendarToken returns the member's calendar feed token ("" when they
// have none).
func (s *Service) CalendarToken(ctx context.Context, m *Member) (string, error) {
	if !m.Has(RoleMember) {
		return "", ErrForbidden
	}
	tok, err := s.store.CalendarToken(ctx, m.ID)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("instance: calendar token of member %d: %w", m.ID, err)
	}
	return tok, nil
}

// NewCalendarToken makes the member a new calendar feed link; an old one
// stops working.
func (s *Service) NewCalendarToken(ctx context.Context, m *Member) (string, error) {
	if !m.Has(RoleMember) {
		return "", ErrForbidden
	}
	tok := RandomToken(24)
	if err := s.store.SetCalendarToken(ctx, m.ID, tok, s.now()); err != nil {
		return "", fmt.Errorf("instance: new calendar token for member %d: %w", m.ID, err)
	}
	s.log.Info("calendar link made", "member", m.Handle)
	return tok, nil
}

// StopCalendarToken ends the member's calendar feed link.
func (s *Service) StopCalendarToken(ctx context.Context, m *Member) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	if err := s.store.DeleteCalendarToken(ctx, m.ID); err != nil {
		return fmt.Errorf("instance: stop calendar token of member %d: %w", m.ID, err)
	}
	s.log.Info("calendar link stopped", "member", m.Handle)
	return nil
}

// CalendarFor returns the member behind a feed token and the upcoming
// actions they are going to, waiting for or organising, as that member
// may see them (village-only ones included: the feed is theirs). An
// unknown or stopped token, or a member no longer active, gives
// ErrNotFound.
func (s *Service) CalendarFor(ctx context.Context, token string) (*Member, []*Item, error) {
	if len(token) != 32 {
		return nil, nil, ErrNotFound
	}
	m, err := s.store.MemberByCalendarToken(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	going, err := s.Items(ctx, m, ItemFilter{Upcoming: true, AttendeeID: m.ID, Limit: 100})
	if err != nil {
		return nil, nil, err
	}
	organised, err := s.Items(ctx, m, ItemFilter{Upcoming: true, AuthorID: m.ID, Limit: 100})
	if err != nil {
		return nil, nil, err
	}
	seen := map[int64]bool{}
	var out []*Item
	for _, it := range append(going, organised...) {
		if !seen[it.ID] && !it.Held && it.HiddenReason == "" {
			seen[it.ID] = true
			out = append(out, it)
		}
	}
	return m, out, nil
}
