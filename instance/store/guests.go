package store

import (
	"context"
	"time"

	"hearth/instance"
)

// AddGuest implements instance.Store.
func (s *Store) AddGuest(ctx context.Context, g *instance.GuestPlace, compose func(id int64) ([]instance.Mail, error)) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO guest_places (item_id, slot_id, name, email, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?) RETURNING id`,
			g.ItemID, nullID(g.SlotID), g.Name, g.Email, ts(g.CreatedAt)).Scan(&id); err != nil {
			return err
		}
		mails, err := compose(id)
		if err != nil {
			return err
		}
		return s.enqueue(ctx, tx, mails, g.CreatedAt)
	})
	return id, wrapf(err, "store: guest place on action %d", g.ItemID)
}

const guestColumns = `g.id, g.item_id, COALESCE(g.slot_id, 0), COALESCE(sl.name, ''), g.name, g.email, g.status, g.created_at`

func scanGuest(row scanner) (*instance.GuestPlace, error) {
	var g instance.GuestPlace
	var status, created string
	if err := row.Scan(&g.ID, &g.ItemID, &g.SlotID, &g.SlotName, &g.Name, &g.Email, &status, &created); err != nil {
		return nil, err
	}
	g.Status, g.CreatedAt = instance.GuestStatus(status), parseTS(created)
	return &g, nil
}

// GuestByID implements instance.Store.
func (s *Store) GuestByID(ctx context.Context, id int64) (*instance.GuestPlace, error) {
	g, err := scanGuest(s.rd.QueryRowContext(ctx, `SELECT `+guestColumns+` FROM guest_places g
		LEFT JOIN action_slots sl ON sl.id = g.slot_id WHERE g.id = ?`, id))
	return g, notFound(err)
}

// ConfirmGuest implements instance.Store: the check for a free place and
// the insert are in one immediate transaction, so a guest and a member
// racing for the last place cannot both get it.
func (s *Store) ConfirmGuest(ctx context.Context, id int64, since, now time.Time, n instance.Notices) error {
	err := s.tx(ctx, func(tx *Tx) error {
		var itemID, slotID int64
		err := tx.QueryRowContext(ctx, `SELECT item_id, COALESCE(slot_id, 0) FROM guest_places
			WHERE id = ? AND status = 'pending' AND created_at > ?`, id, ts(since)).Scan(&itemID, &slotID)
		if err != nil {
			return notFound(err)
		}
		fits, err := placeFree(ctx, tx, itemID, slotID)
		if err != nil {
			return err
		}
		if !fits {
			return instance.ErrConflict
		}
		if _, err := tx.ExecContext(ctx, `UPDATE guest_places SET status = 'going' WHERE id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO attendees (item_id, slot_id, guest_id, status, created_at) VALUES (?, ?, ?, 'going', ?)`,
			itemID, nullID(slotID), id, ts(now)); err != nil {
			return err
		}
		return s.tell(ctx, tx, n, now)
	})
	return wrapf(err, "store: confirm guest place %d", id)
}

// CancelGuest implements instance.Store.
func (s *Store) CancelGuest(ctx context.Context, id int64, now time.Time, n instance.Notices, promotedNotices map[int64]instance.Notices) ([]int64, error) {
	var promoted []int64
	err := s.tx(ctx, func(tx *Tx) error {
		var itemID int64
		err := tx.QueryRowContext(ctx, `UPDATE guest_places SET status = 'cancelled' WHERE id = ? AND status IN ('pending', 'going')
			RETURNING item_id`, id).Scan(&itemID)
		if err != nil {
			return notFound(err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM attendees WHERE guest_id = ?`, id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k > 0 {
			if promoted, err = promoteWaiting(ctx, tx, itemID); err != nil {
				return err
			}
		}
		if err := s.tell(ctx, tx, n, now); err != nil {
			return err
		}
		return s.tell(ctx, tx, conditional(promotedNotices, promoted), now)
	})
	return promoted, wrapf(err, "store: cancel guest place %d", id)
}

// ListGuests implements instance.Store.
func (s *Store) ListGuests(ctx context.Context, itemID int64) ([]*instance.GuestPlace, error) {
	list, err := queryAll(ctx, s.rd, scanGuest, `SELECT `+guestColumns+` FROM guest_places g
		LEFT JOIN action_slots sl ON sl.id = g.slot_id WHERE g.item_id = ? AND g.status = 'going' AND g.erased_at IS NULL ORDER BY g.id`, itemID)
	return list, wrapf(err, "store: guests of action %d", itemID)
}

// ExpireGuests implements instance.Store: a place not confirmed in time
// goes, name and address with it.
func (s *Store) ExpireGuests(ctx context.Context, before time.Time) (int, error) {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM guest_places WHERE status = 'pending' AND created_at <= ?`, ts(before))
	if err != nil {
		return 0, wrapf(err, "store: expire guest places")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// EraseGuests implements instance.Store: the place stays (the action's
// counts do not change), who it was goes.
func (s *Store) EraseGuests(ctx context.Context, before, now time.Time) (int, error) {
	res, err := s.wr.ExecContext(ctx, `UPDATE guest_places SET name = '', email = '', erased_at = ?2
		WHERE erased_at IS NULL AND item_id IN (SELECT id FROM items WHERE (kind = 'action' AND ends_at < ?1) OR deleted_at IS NOT NULL)`,
		ts(before), ts(now))
	if err != nil {
		return 0, wrapf(err, "store: erase guests")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
