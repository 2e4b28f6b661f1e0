package store

import (
	"context"
	"time"

	"hearth/instance"
)

// CalendarToken implements instance.Store.
func (s *Store) CalendarToken(ctx context.Context, memberID int64) (string, error) {
	var tok string
	err := s.rd.QueryRowContext(ctx, `SELECT token FROM calendar_feeds WHERE member_id = ?`, memberID).Scan(&tok)
	return tok, wrapf(notFound(err), "store: calendar token of member %d", memberID)
}

// SetCalendarToken implements instance.Store.
func (s *Store) SetCalendarToken(ctx context.Context, memberID int64, token string, now time.Time) error {
	_, err := s.wr.ExecContext(ctx, `INSERT INTO calendar_feeds (member_id, token, created_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (member_id) DO UPDATE SET token = ?2, created_at = ?3`, memberID, token, ts(now))
	return wrapf(err, "store: set calendar token of member %d", memberID)
}

// DeleteCalendarToken implements instance.Store.
func (s *Store) DeleteCalendarToken(ctx context.Context, memberID int64) error {
	_, err := s.wr.ExecContext(ctx, `DELETE FROM calendar_feeds WHERE member_id = ?`, memberID)
	return wrapf(err, "store: delete calendar token of member %d", memberID)
}

// MemberByCalendarToken implements instance.Store: only an active
// member's feed answers.
func (s *Store) MemberByCalendarToken(ctx context.Context, token string) (*instance.Member, error) {
	return s.memberWhere(ctx, `m.status = 'active' AND m.id = (SELECT member_id FROM calendar_feeds WHERE token = ?)`, token)
}
