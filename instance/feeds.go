package instance

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// FeedStore keeps members' private Atom feed tokens.
type FeedStore interface {
	// FeedToken returns the member's feed token and when it was made, or
	// ErrNotFound.
	FeedToken(ctx context.Context, memberID int64) (string, time.Time, error)
	// SetFeedToken gives the member a feed token, replacing any other
	// (the old address stops working).
	SetFeedToken(ctx context.Context, memberID int64, token string, now time.Time) error
	DeleteFeedToken(ctx context.Context, memberID int64) error
	// MemberByFeedToken returns the active member whose feed token it
	// is, or ErrNotFound.
	MemberByFeedToken(ctx context.Context, token string) (*Member, error)
}

// FeedTokenLength is the length of a private feed token (24 random bytes,
// base64url).
const FeedTokenLength = 32

// FeedToken returns the member's private feed token and when it was made
// ("" when they have none).
func (s *Service) FeedToken(ctx context.Context, m *Member) (string, time.Time, error) {
	if !m.Has(RoleMember) {
		return "", time.Time{}, ErrForbidden
	}
	tok, made, err := s.store.FeedToken(ctx, m.ID)
	if errors.Is(err, ErrNotFound) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("instance: feed token of member %d: %w", m.ID, err)
	}
	return tok, made, nil
}

// NewFeedToken makes the member a new private feed address; an old one
// stops working.
func (s *Service) NewFeedToken(ctx context.Context, m *Member) (string, error) {
	if !m.Has(RoleMember) {
		return "", ErrForbidden
	}
	tok := RandomToken(24)
	if err := s.store.SetFeedToken(ctx, m.ID, tok, s.now()); err != nil {
		return "", fmt.Errorf("instance: new feed token for member %d: %w", m.ID, err)
	}
	s.log.Info("private feed made", "member", m.Handle)
	return tok, nil
}

// StopFeedToken ends the member's private feed.
func (s *Service) StopFeedToken(ctx context.Context, m *Member) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	if err := s.store.DeleteFeedToken(ctx, m.ID); err != nil {
		return fmt.Errorf("instance: stop feed token of member %d: %w", m.ID, err)
	}
	s.log.Info("private feed stopped", "member", m.Handle)
	return nil
}

// FeedFor returns the member behind a private feed token and what
// concerns them: their latest notifications, newest first, as on their
// notifications page. Reading the feed marks nothing read. An unknown or
// stopped token, or a member no longer active, gives ErrNotFound.
func (s *Service) FeedFor(ctx context.Context, token string) (*Member, []*Notification, error) {
	if len(token) != FeedTokenLength {
		return nil, nil, ErrNotFound
	}
	m, err := s.store.MemberByFeedToken(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	list, err := s.store.ListNotifications(ctx, m.ID, 50)
	if err != nil {
		return nil, nil, fmt.Errorf("instance: private feed of member %d: %w", m.ID, err)
	}
	return m, list, nil
}
