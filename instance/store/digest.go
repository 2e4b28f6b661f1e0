package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"hearth/instance"
)

// MemberCategories implements instance.Store.
func (s *Store) MemberCategories(ctx context.Context, memberID int64) ([]string, error) {
	cats, err := queryAll(ctx, s.rd, func(row scanner) (string, error) {
		var c string
		return c, row.Scan(&c)
	}, `SELECT category FROM member_categories WHERE member_id = ? ORDER BY category`, memberID)
	return cats, wrapf(err, "store: categories of member %d", memberID)
}

// SetMemberCategories implements instance.Store.
func (s *Store) SetMemberCategories(ctx context.Context, memberID int64, categories []string) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM member_categories WHERE member_id = ?`, memberID); err != nil {
			return err
		}
		for _, c := range categories {
			if _, err := tx.ExecContext(ctx, `INSERT INTO member_categories (member_id, category) VALUES (?, ?) ON CONFLICT DO NOTHING`, memberID, c); err != nil {
				return err
			}
		}
		return nil
	}), "store: set categories of member %d", memberID)
}

// Unannounced implements instance.Store: new posts on the partial index
// of unannounced rows, oldest first.
func (s *Store) Unannounced(ctx context.Context, limit int) ([]*instance.Item, error) {
	// Held posts wait for a coordinator; hidden and deleted ones are
	// marked announced with no mail by Announce (they are not open).
	items, err := queryAll(ctx, s.rd, scanItem, `SELECT `+itemColumns+itemFrom+` WHERE i.announced_at IS NULL AND i.held = 0
		ORDER BY i.id LIMIT ?`, limit)
	return items, wrapf(err, "store: unannounced items")
}

// follows is the condition that member ?M follows item i: a member of its
// group, and its category among theirs (or they chose none, or it has
// none).
const follows = `EXISTS (SELECT 1 FROM group_members gm WHERE gm.member_id = m.id AND gm.group_id = i.group_id)
	AND (i.category = '' OR NOT EXISTS (SELECT 1 FROM member_categories mc WHERE mc.member_id = m.id)
		OR EXISTS (SELECT 1 FROM member_categories mc WHERE mc.member_id = m.id AND mc.category = i.category))`

// Subscribers implements instance.Store.
func (s *Store) Subscribers(ctx context.Context, it *instance.Item, kind instance.NoticeKind, def instance.Frequency) ([]*instance.Member, error) {
	list, err := s.members(ctx, `SELECT `+memberColumns[s.e]+` FROM members m JOIN items i ON i.id = ?
		LEFT JOIN notice_prefs p ON p.member_id = m.id AND p.kind = ?
		WHERE m.status = 'active' AND m.deleted_at IS NULL AND m.email IS NOT NULL AND m.email <> '' AND m.id <> i.author_id
		AND COALESCE(p.frequency, ?) = 'now' AND `+follows+` ORDER BY m.id`, it.ID, string(kind), string(def))
	return list, wrapf(err, "store: subscribers of item %d", it.ID)
}

// Announce implements instance.Store.
func (s *Store) Announce(ctx context.Context, itemID int64, mails []instance.Mail, now time.Time) (bool, error) {
	done := false
	err := s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE items SET announced_at = ? WHERE id = ? AND announced_at IS NULL`, ts(now), itemID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		done = true
		return s.enqueue(ctx, tx, mails, now)
	})
	return done, wrapf(err, "store: announce item %d", itemID)
}

// DigestMembers implements instance.Store.
func (s *Store) DigestMembers(ctx context.Context, f instance.Frequency, upTo time.Time) ([]*instance.DigestMember, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT `+memberColumns[s.e]+`, COALESCE(d.sent_for, '') FROM members m
		LEFT JOIN digests d ON d.member_id = m.id AND d.frequency = ?
		WHERE m.status = 'active' AND m.deleted_at IS NULL AND m.email IS NOT NULL AND m.email <> ''
		AND (d.sent_for IS NULL OR d.sent_for < ?) ORDER BY m.id`, string(f), ts(upTo))
	if err != nil {
		return nil, fmt.Errorf("store: %s digest members: %w", f, err)
	}
	defer rows.Close()
	var out []*instance.DigestMember
	for rows.Next() {
		var last string
		m, err := scanMember(scanWith{rows, []any{&last}})
		if err != nil {
			return nil, err
		}
		out = append(out, &instance.DigestMember{Member: *m, LastSent: parseTS(last)})
	}
	return out, rows.Err()
}

// DigestItems implements instance.Store.
func (s *Store) DigestItems(ctx context.Context, memberID int64, kind instance.Kind, from, to, now time.Time, limit int) ([]*instance.Item, error) {
	items, err := queryAll(ctx, s.rd, scanItem, `SELECT `+itemColumns+itemFrom+` JOIN members m ON m.id = ?
		WHERE i.kind = ? AND i.created_at > ? AND i.created_at <= ? AND i.author_id <> m.id
		AND i.deleted_at IS NULL AND i.held = 0 AND i.hidden_reason IS NULL
		AND (i.state = 'open' OR (i.state = 'scheduled' AND i.ends_at > ?)) AND `+follows+`
		ORDER BY i.id LIMIT ?`, memberID, string(kind), ts(from), ts(to), ts(now), limit)
	return items, wrapf(err, "store: digest items of member %d", memberID)
}

// DigestNotes implements instance.Store.
func (s *Store) DigestNotes(ctx context.Context, memberID int64, kinds []instance.NoteKind, from, to time.Time, limit int) ([]*instance.Notification, error) {
	all, err := s.ListNotifications(ctx, memberID, 200)
	if err != nil {
		return nil, err
	}
	want := map[instance.NoteKind]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	var out []*instance.Notification
	for i := len(all) - 1; i >= 0; i-- { // oldest first
		n := all[i]
		if !n.Read && want[n.Kind] && n.CreatedAt.After(from) && !n.CreatedAt.After(to) && len(out) < limit {
			out = append(out, n)
		}
	}
	return out, nil
}

// RecordDigest implements instance.Store: the row moves on only from the
// time it was read at, so two sweeps cannot both queue the same digest.
func (s *Store) RecordDigest(ctx context.Context, memberID int64, f instance.Frequency, prev, upTo time.Time, mails []instance.Mail, now time.Time) (bool, error) {
	done := false
	err := s.tx(ctx, func(tx *Tx) error {
		var res sql.Result
		var err error
		if prev.IsZero() {
			res, err = tx.ExecContext(ctx, `INSERT INTO digests (member_id, frequency, sent_for) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				memberID, string(f), ts(upTo))
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE digests SET sent_for = ? WHERE member_id = ? AND frequency = ? AND sent_for = ?`,
				ts(upTo), memberID, string(f), ts(prev))
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		done = true
		return s.enqueue(ctx, tx, mails, now)
	})
	return done, wrapf(err, "store: record %s digest of member %d", f, memberID)
}

// MyInterests implements instance.Store.
func (s *Store) MyInterests(ctx context.Context, memberID int64) ([]*instance.MyInterest, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT `+itemColumns+`, n.state, n.created_at`+itemFrom+`
		JOIN interests n ON n.item_id = i.id WHERE n.member_id = ? AND i.deleted_at IS NULL ORDER BY n.id DESC LIMIT 50`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: interests of member %d: %w", memberID, err)
	}
	defer rows.Close()
	var out []*instance.MyInterest
	for rows.Next() {
		var state, created string
		it, err := scanItem(scanWith{rows, []any{&state, &created}})
		if err != nil {
			return nil, err
		}
		out = append(out, &instance.MyInterest{Item: it, State: instance.InterestState(state), CreatedAt: parseTS(created)})
	}
	return out, rows.Err()
}

// scanWith scans a row followed by more columns.
type scanWith struct {
	row   scanner
	extra []any
}

func (s scanWith) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

// MyPlaces implements instance.Store.
func (s *Store) MyPlaces(ctx context.Context, memberID int64) ([]*instance.MyPlace, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT `+itemColumns+`, p.status, COALESCE(sl.name, ''),
		CASE p.status WHEN 'waiting' THEN (SELECT count(*) FROM attendees w WHERE w.item_id = p.item_id AND w.status = 'waiting' AND w.id <= p.id) ELSE 0 END
		`+itemFrom+` JOIN attendees p ON p.item_id = i.id LEFT JOIN action_slots sl ON sl.id = p.slot_id
		WHERE p.member_id = ? AND i.deleted_at IS NULL ORDER BY i.starts_at DESC LIMIT 50`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: places of member %d: %w", memberID, err)
	}
	defer rows.Close()
	var out []*instance.MyPlace
	for rows.Next() {
		var p instance.MyPlace
		var status string
		if p.Item, err = scanItem(scanWith{rows, []any{&status, &p.SlotName, &p.Position}}); err != nil {
			return nil, err
		}
		p.Status = instance.AttendStatus(status)
		out = append(out, &p)
	}
	return out, rows.Err()
}

// InterestCounts implements instance.Store.
func (s *Store) InterestCounts(ctx context.Context, itemIDs []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(itemIDs) == 0 {
		return out, nil
	}
	rows, err := s.rd.QueryContext(ctx, `SELECT item_id, count(*) FROM interests WHERE state = 'waiting' AND item_id IN (`+
		s.e.idsIn("?")+`) GROUP BY item_id`, jsonIDs(itemIDs))
	if err != nil {
		return nil, fmt.Errorf("store: interest counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
