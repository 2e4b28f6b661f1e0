package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"hearth/instance"
	"hearth/instance/repeat"
)

// insertDate stores one date of a series (an action and its roles).
func insertDate(ctx context.Context, tx *Tx, seriesID int64, it *instance.Item) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO items (kind, group_id, author_id, title, description, category, area,
		visibility, state, created_at, updated_at, starts_at, ends_at, place, capacity, held, series_id, occurs_on, quiet)
		VALUES ('action', ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (series_id, occurs_on) WHERE series_id IS NOT NULL DO NOTHING RETURNING id`,
		it.GroupID, it.AuthorID, it.Title, it.Description, it.Category, it.Area, string(it.Visibility),
		ts(it.CreatedAt), ts(it.UpdatedAt), ts(it.StartsAt), ts(it.EndsAt), it.Place, it.Capacity, it.Held,
		seriesID, it.OccursOn, it.Quiet).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // made before
	}
	if err != nil {
		return 0, err
	}
	for i, sl := range it.Slots {
		if _, err := tx.ExecContext(ctx, `INSERT INTO action_slots (item_id, name, capacity, position) VALUES (?, ?, ?, ?)`,
			id, sl.Name, sl.Capacity, i); err != nil {
			return 0, err
		}
	}
	if !it.Quiet {
		if err := fedEvent(ctx, tx, instance.SubjectItem, id, it.CreatedAt); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// CreateSeries implements instance.Store.
func (s *Store) CreateSeries(ctx context.Context, se *instance.Series, dates []*instance.Item, n instance.Notices) (int64, []int64, error) {
	var id int64
	var ids []int64
	err := s.tx(ctx, func(tx *Tx) error {
		now := dates[0].CreatedAt
		if err := tx.QueryRowContext(ctx, `INSERT INTO action_series (rule, first_at, minutes, made_until, ended, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, se.Rule.String(), ts(se.FirstAt), int(se.Length/time.Minute), ts(se.MadeUntil), se.Ended, ts(now)).Scan(&id); err != nil {
			return err
		}
		for _, d := range dates {
			did, err := insertDate(ctx, tx, id, d)
			if err != nil {
				return err
			}
			ids = append(ids, did)
		}
		return s.tell(ctx, tx, n, now)
	})
	if err != nil {
		return 0, nil, fmt.Errorf("store: create series: %w", err)
	}
	return id, ids, nil
}

const seriesColumns = `id, rule, first_at, minutes, made_until, ended`

func scanSeries(row scanner) (*instance.Series, error) {
	var se instance.Series
	var rule, first, made string
	var minutes int
	if err := row.Scan(&se.ID, &rule, &first, &minutes, &made, &se.Ended); err != nil {
		return nil, err
	}
	r, err := repeat.Parse(rule)
	if err != nil {
		return nil, fmt.Errorf("series %d: %w", se.ID, err)
	}
	se.Rule, se.FirstAt, se.Length, se.MadeUntil = r, parseTS(first), time.Duration(minutes)*time.Minute, parseTS(made)
	return &se, nil
}

// SeriesByID implements instance.Store.
func (s *Store) SeriesByID(ctx context.Context, id int64) (*instance.Series, error) {
	se, err := scanSeries(s.rd.QueryRowContext(ctx, `SELECT `+seriesColumns+` FROM action_series WHERE id = ?`, id))
	return se, wrapf(notFound(err), "store: series %d", id)
}

// SeriesToMake implements instance.Store: a series whose dates are all
// deleted (the action was deleted) makes no more.
func (s *Store) SeriesToMake(ctx context.Context, horizon time.Time, limit int) ([]*instance.Series, error) {
	list, err := queryAll(ctx, s.rd, scanSeries, `SELECT `+seriesColumns+` FROM action_series s WHERE ended = 0 AND made_until < ?
		AND EXISTS (SELECT 1 FROM items i WHERE i.series_id = s.id AND i.deleted_at IS NULL) ORDER BY id LIMIT ?`, ts(horizon), limit)
	return list, wrapf(err, "store: series to make")
}

// LastDate implements instance.Store.
func (s *Store) LastDate(ctx context.Context, seriesID int64) (int64, error) {
	var id int64
	err := s.rd.QueryRowContext(ctx, `SELECT id FROM items WHERE series_id = ? AND deleted_at IS NULL
		ORDER BY occurs_on DESC LIMIT 1`, seriesID).Scan(&id)
	return id, wrapf(notFound(err), "store: last date of series %d", seriesID)
}

// clash finds a going place of the member's on another live action that
// overlaps [start, end).
func clash(ctx context.Context, tx *Tx, memberID, itemID int64) error {
	var c instance.Clash
	var starts string
	err := tx.QueryRowContext(ctx, `SELECT o.id, o.title, o.starts_at FROM items me
		JOIN items o ON o.id != me.id AND o.kind = 'action' AND o.state = 'scheduled' AND o.deleted_at IS NULL
			AND o.starts_at < me.ends_at AND o.ends_at > me.starts_at
		JOIN attendees a ON a.item_id = o.id AND a.member_id = ?1 AND a.status = 'going'
		WHERE me.id = ?2 ORDER BY o.starts_at LIMIT 1`, memberID, itemID).Scan(&c.ItemID, &c.Title, &starts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	c.StartsAt = parseTS(starts)
	return &c
}

// joinDate puts a member on a date (in the role of that name, if the date
// has it), going when a place is free, waiting otherwise.
func joinDate(ctx context.Context, tx *Tx, itemID, memberID int64, slotName string, now time.Time) error {
	var slot int64
	if slotName != "" {
		err := tx.QueryRowContext(ctx, `SELECT id FROM action_slots WHERE item_id = ? AND name = ?`, itemID, slotName).Scan(&slot)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	fits, err := placeFree(ctx, tx, itemID, slot)
	if err != nil {
		return err
	}
	status := instance.AttendWaiting
	if fits {
		status = instance.AttendGoing
	}
	var slotArg any
	if slot != 0 {
		slotArg = slot
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO attendees (item_id, slot_id, member_id, status, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (item_id, member_id) DO NOTHING`, itemID, slotArg, memberID, string(status), ts(now))
	return err
}

// AddDates implements instance.Store.
func (s *Store) AddDates(ctx context.Context, seriesID int64, dates []*instance.Item, madeUntil time.Time, ended bool, now time.Time) (int, error) {
	added := 0
	err := s.tx(ctx, func(tx *Tx) error {
		regulars, err := queryAll(ctx, tx, func(row scanner) (instance.Regular, error) {
			var r instance.Regular
			return r, row.Scan(&r.MemberID, &r.SlotName)
		}, `SELECT member_id, slot_name FROM series_regulars WHERE series_id = ? ORDER BY created_at, member_id`, seriesID)
		if err != nil {
			return err
		}
		for _, d := range dates {
			id, err := insertDate(ctx, tx, seriesID, d)
			if err != nil || id == 0 {
				if err != nil {
					return err
				}
				continue
			}
			added++
			for _, r := range regulars {
				var c *instance.Clash
				if err := clash(ctx, tx, r.MemberID, id); errors.As(err, &c) {
					continue // elsewhere then: the rota shows the gap
				} else if err != nil {
					return err
				}
				if err := joinDate(ctx, tx, id, r.MemberID, r.SlotName, now); err != nil {
					return err
				}
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE action_series SET made_until = ?, ended = ? WHERE id = ?`, ts(madeUntil), ended, seriesID)
		return err
	})
	return added, wrapf(err, "store: add dates to series %d", seriesID)
}

// RollSeries implements instance.Store.
func (s *Store) RollSeries(ctx context.Context, now time.Time) (int, error) {
	rolled := 0
	err := s.tx(ctx, func(tx *Tx) error {
		ids, err := queryAll(ctx, tx, func(row scanner) (int64, error) {
			var id int64
			return id, row.Scan(&id)
		}, `UPDATE items SET quiet = 0, updated_at = ?1 WHERE id IN (
			SELECT (SELECT j.id FROM items j WHERE j.series_id = s.id AND j.deleted_at IS NULL AND j.state = 'scheduled'
				AND j.ends_at > ?1 ORDER BY j.starts_at LIMIT 1)
			FROM action_series s WHERE NOT EXISTS (SELECT 1 FROM items k WHERE k.series_id = s.id AND k.quiet = 0
				AND k.deleted_at IS NULL AND k.state = 'scheduled' AND k.ends_at > ?1)) RETURNING id`, ts(now))
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := fedEvent(ctx, tx, instance.SubjectItem, id, now); err != nil {
				return err
			}
		}
		rolled = len(ids)
		return nil
	})
	return rolled, wrapf(err, "store: roll series")
}

// Regulars implements instance.Store.
func (s *Store) Regulars(ctx context.Context, seriesID int64) ([]*instance.Regular, error) {
	list, err := queryAll(ctx, s.rd, func(row scanner) (*instance.Regular, error) {
		var r instance.Regular
		return &r, row.Scan(&r.MemberID, &r.Member, &r.SlotName)
	}, `SELECT r.member_id, m.display_name, r.slot_name FROM series_regulars r JOIN members m ON m.id = r.member_id
		WHERE r.series_id = ? AND m.status = 'active' ORDER BY m.display_name, r.member_id`, seriesID)
	return list, wrapf(err, "store: regulars of series %d", seriesID)
}

// JoinSeries implements instance.Store.
func (s *Store) JoinSeries(ctx context.Context, seriesID, memberID int64, slotName string, dates []int64, now time.Time, n instance.Notices) error {
	err := s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO series_regulars (series_id, member_id, slot_name, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, seriesID, memberID, slotName, ts(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		for _, id := range dates {
			var on int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM attendees WHERE item_id = ? AND member_id = ?`, id, memberID).Scan(&on)
			if err != nil {
				return err
			}
			if on > 0 {
				continue
			}
			if err := clash(ctx, tx, memberID, id); err != nil {
				return err
			}
			if err := joinDate(ctx, tx, id, memberID, slotName, now); err != nil {
				return err
			}
		}
		return s.tell(ctx, tx, n, now)
	})
	return wrapf(err, "store: join series %d (member %d)", seriesID, memberID)
}

// LeaveSeries implements instance.Store.
func (s *Store) LeaveSeries(ctx context.Context, seriesID, memberID int64, releaseFrom, now time.Time, n instance.Notices, promoted map[int64]map[int64]instance.Notices) error {
	err := s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM series_regulars WHERE series_id = ? AND member_id = ?`, seriesID, memberID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrNotFound
		}
		ids, err := queryAll(ctx, tx, func(row scanner) (int64, error) {
			var id int64
			return id, row.Scan(&id)
		}, `DELETE FROM attendees WHERE member_id = ?1 AND item_id IN (SELECT id FROM items WHERE series_id = ?2
			AND deleted_at IS NULL AND starts_at > ?3) RETURNING item_id`, memberID, seriesID, ts(releaseFrom))
		if err != nil {
			return err
		}
		for _, id := range ids {
			up, err := promoteWaiting(ctx, tx, id)
			if err != nil {
				return err
			}
			if err := s.tell(ctx, tx, conditional(promoted[id], up), now); err != nil {
				return err
			}
		}
		return s.tell(ctx, tx, n, now)
	})
	return wrapf(err, "store: leave series %d (member %d)", seriesID, memberID)
}

// GapDates implements instance.Store.
func (s *Store) GapDates(ctx context.Context, from, to time.Time, limit int) ([]*instance.Item, error) {
	list, err := queryAll(ctx, s.rd, scanItem, `SELECT `+itemColumns+itemFrom+` WHERE i.series_id IS NOT NULL
		AND i.deleted_at IS NULL AND i.state = 'scheduled' AND i.gap_told_at IS NULL AND i.starts_at >= ? AND i.starts_at < ?
		AND EXISTS (SELECT 1 FROM action_slots sl WHERE sl.item_id = i.id
			AND sl.capacity > (SELECT count(*) FROM attendees x WHERE x.slot_id = sl.id AND x.status = 'going'))
		ORDER BY i.starts_at LIMIT ?`, ts(from), ts(to), limit)
	return list, wrapf(err, "store: rota gaps")
}

// MarkGapTold implements instance.Store.
func (s *Store) MarkGapTold(ctx context.Context, itemID int64, now time.Time, n instance.Notices) (bool, error) {
	done := false
	err := s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE items SET gap_told_at = ? WHERE id = ? AND gap_told_at IS NULL`, ts(now), itemID)
		if err != nil {
			return err
		}
		if c, _ := res.RowsAffected(); c == 0 {
			return nil
		}
		done = true
		return s.tell(ctx, tx, n, now)
	})
	return done, wrapf(err, "store: rota gap told for action %d", itemID)
}
