package store

import (
	"context"
	"time"

	"hearth/instance"
)

// FeedToken implements instance.Store.
func (s *Store) FeedToken(ctx context.Context, memberID int64) (string, time.Time, error) {
	var tok, made string
	err := s.rd.QueryRowContext(ctx, `SELECT token, created_at FROM atom_feeds WHERE member_id = ?`, memberID).Scan(&tok, &made)
	if err != nil {
		return "", time.Time{}, wrapf(notFound(err), "store: feed token of member %d", memberID)
	}
	return tok, parseTS(made), nil
}

// SetFeedToken implements instance.Store.
func (s *Store) SetFeedToken(ctx context.Context, memberID int64, token string, now time.Time) error {
	_, err := s.wr.ExecContext(ctx, `INSERT INTO atom_feeds (member_id, token, created_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (member_id) DO UPDATE SET token = ?2, created_at = ?3`, memberID, token, ts(now))
	return wrapf(err, "store: set feed token of member %d", memberID)
}

// DeleteFeedToken implements instance.Store.
func (s *Store) DeleteFeedToken(ctx context.Context, memberID int64) error {
	_, err := s.wr.ExecContext(ctx, `DELETE FROM atom_feeds WHERE member_id = ?`, memberID)
	return wrapf(err, "store: delete feed token of member %d", memberID)
}

// MemberByFeedToken implements instance.Store: only an active member's
// feed answers.
func (s *Store) MemberByFeedToken(ctx context.Context, token string) (*instance.Member, error) {
	return s.memberWhere(ctx, `m.status = 'active' AND m.id = (SELECT member_id FROM atom_feeds WHERE token = ?)`, token)
}
