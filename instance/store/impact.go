package store

import (
	"context"
	"database/sql"
	"time"

	"hearth/instance"
)

// ImpactRecords implements instance.Store: one row per need, given offer,
// attendance and new member in [from, to), each with the ids of the
// people behind it and nothing else about them (never a name, a title or
// a description). Posts a coordinator removed or holds are not counted.
func (s *Store) ImpactRecords(ctx context.Context, from, to time.Time) (*instance.ImpactRecords, error) {
	out := &instance.ImpactRecords{}
	f, t := ts(from), ts(to)
	err := s.readAll(ctx, func(rows *sql.Rows) error {
		var r instance.NeedRecord
		var created string
		var done, first sql.NullString
		var helper sql.NullInt64
		if err := rows.Scan(&created, &done, &first, &r.Requester, &r.OnBehalf, &helper, &r.RemoteHelper, &r.Category, &r.GroupID); err != nil {
			return err
		}
		r.AskedAt = parseTS(created)
		if done.Valid {
			r.DoneAt = parseTS(done.String)
		}
		if first.Valid {
			r.FirstOfferAt = parseTS(first.String)
		}
		r.Helper = helper.Int64
		out.Needs = append(out.Needs, r)
		return nil
	}, `SELECT i.created_at, CASE WHEN i.state = 'done' THEN i.done_at END,
		(SELECT min(n.created_at) FROM interests n WHERE n.item_id = i.id), i.author_id, i.on_behalf_name, i.claimed_by, i.claimed_remote, i.category, i.group_id
		FROM items i WHERE i.kind = 'need' AND i.held = 0 AND i.hidden_reason IS NULL
		AND ((i.created_at >= ?1 AND i.created_at < ?2) OR (i.state = 'done' AND i.done_at >= ?1 AND i.done_at < ?2))`, f, t)
	if err != nil {
		return nil, wrapf(err, "store: impact needs %s to %s", f, t)
	}
	err = s.readAll(ctx, func(rows *sql.Rows) error {
		var r instance.OfferRecord
		var given string
		if err := rows.Scan(&given, &r.Giver, &r.Taker, &r.Category, &r.GroupID); err != nil {
			return err
		}
		r.GivenAt = parseTS(given)
		out.Offers = append(out.Offers, r)
		return nil
	}, `SELECT COALESCE(i.done_at, i.updated_at) AS given, i.author_id, i.taken_by, i.category, i.group_id
		FROM items i WHERE i.kind = 'offer' AND i.taken_by IS NOT NULL AND i.held = 0 AND i.hidden_reason IS NULL
		AND COALESCE(i.done_at, i.updated_at) >= ? AND COALESCE(i.done_at, i.updated_at) < ?`, f, t)
	if err != nil {
		return nil, wrapf(err, "store: impact offers %s to %s", f, t)
	}
	err = s.readAll(ctx, func(rows *sql.Rows) error {
		var r instance.AttendanceRecord
		var starts, ends string
		var member, guest sql.NullInt64
		if err := rows.Scan(&starts, &ends, &member, &guest, &r.Category, &r.GroupID); err != nil {
			return err
		}
		r.StartsAt, r.EndsAt = parseTS(starts), parseTS(ends)
		r.Member, r.Guest = member.Int64, guest.Int64
		out.Attendances = append(out.Attendances, r)
		return nil
	}, `SELECT i.starts_at, i.ends_at, a.member_id, a.guest_id, i.category, i.group_id
		FROM attendees a JOIN items i ON i.id = a.item_id
		WHERE i.kind = 'action' AND a.status = 'going' AND i.state <> 'cancelled' AND i.deleted_at IS NULL AND i.held = 0
		AND i.hidden_reason IS NULL AND i.starts_at >= ? AND i.starts_at < ?`, f, t)
	if err != nil {
		return nil, wrapf(err, "store: impact attendances %s to %s", f, t)
	}
	err = s.readAll(ctx, func(rows *sql.Rows) error {
		var r instance.JoinRecord
		var joined string
		if err := rows.Scan(&r.Member, &joined); err != nil {
			return err
		}
		r.JoinedAt = parseTS(joined)
		out.Joins = append(out.Joins, r)
		return nil
	}, `SELECT id, created_at FROM members WHERE status IN ('active', 'suspended') AND created_at >= ? AND created_at < ?`, f, t)
	if err != nil {
		return nil, wrapf(err, "store: impact members %s to %s", f, t)
	}
	return out, nil
}

// readAll runs a query and hands each row to scan.
func (s *Store) readAll(ctx context.Context, scan func(*sql.Rows) error, query string, args ...any) error {
	rows, err := s.rd.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
