package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"time"

	"hearth/instance"
)

// AddInterest implements instance.Store; a second "I can help" from the
// same member updates the message (and waits again, if it was released),
// and tells nobody again.
func (s *Store) AddInterest(ctx context.Context, in *instance.Interest, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		var again bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM interests WHERE item_id = ? AND member_id = ?)`,
			in.ItemID, in.MemberID).Scan(&again); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO interests (item_id, member_id, message, buddy, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (item_id, member_id) DO UPDATE SET message = excluded.message, buddy = excluded.buddy, state = 'waiting'`,
			in.ItemID, in.MemberID, in.Message, in.Buddy, ts(in.CreatedAt)); err != nil {
			return err
		}
		if again {
			return nil
		}
		return s.tell(ctx, tx, n, in.CreatedAt)
	}), "store: add interest of member %d in item %d", in.MemberID, in.ItemID)
}

// DeleteInterest implements instance.Store.
func (s *Store) DeleteInterest(ctx context.Context, itemID, memberID int64, now time.Time, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM interests WHERE item_id = ? AND member_id = ?`, itemID, memberID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return instance.ErrNotFound
		}
		return s.tell(ctx, tx, n, now)
	}), "store: delete interest of member %d in item %d", memberID, itemID)
}

const interestColumns = `n.id, n.item_id, n.member_id, m.display_name, m.handle,
	EXISTS (SELECT 1 FROM member_roles r WHERE r.member_id = m.id AND r.role = 'verified_helper'),
	n.message, n.buddy, n.state, n.created_at`

func scanInterest(row scanner) (*instance.Interest, error) {
	var in instance.Interest
	var state, created string
	if err := row.Scan(&in.ID, &in.ItemID, &in.MemberID, &in.Member, &in.Handle, &in.Verified, &in.Message, &in.Buddy, &state, &created); err != nil {
		return nil, err
	}
	in.State, in.CreatedAt = instance.InterestState(state), parseTS(created)
	return &in, nil
}

// InterestByID implements instance.Store.
func (s *Store) InterestByID(ctx context.Context, id int64) (*instance.Interest, error) {
	in, err := scanInterest(s.rd.QueryRowContext(ctx, `SELECT `+interestColumns+` FROM interests n JOIN members m ON m.id = n.member_id WHERE n.id = ?`, id))
	return in, notFound(err)
}

// ListInterests implements instance.Store.
func (s *Store) ListInterests(ctx context.Context, itemID int64) ([]*instance.Interest, error) {
	return queryAll(ctx, s.rd, scanInterest, `SELECT `+interestColumns+` FROM interests n JOIN members m ON m.id = n.member_id
		WHERE n.item_id = ? ORDER BY n.id`, itemID)
}

// JoinAction implements instance.Store. The immediate transaction holds the
// write lock from the first count to the insert, so two members racing for
// the last place cannot both get it.
func (s *Store) JoinAction(ctx context.Context, itemID, slotID, memberID int64, now time.Time, n instance.Notices) (instance.AttendStatus, error) {
	var status instance.AttendStatus
	err := s.tx(ctx, func(tx *Tx) error {
		var exists int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM attendees WHERE item_id = ? AND member_id = ?`, itemID, memberID).Scan(&exists)
		if err == nil {
			return instance.ErrConflict
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := clash(ctx, tx, memberID, itemID); err != nil {
			return err
		}
		fits, err := placeFree(ctx, tx, itemID, slotID)
		if err != nil {
			return err
		}
		status = instance.AttendWaiting
		if fits {
			status = instance.AttendGoing
		}
		var slot any
		if slotID != 0 {
			slot = slotID
		}
		if _, err = tx.ExecContext(ctx, `INSERT INTO attendees (item_id, slot_id, member_id, status, created_at) VALUES (?, ?, ?, ?, ?)`,
			itemID, slot, memberID, string(status), ts(now)); err != nil {
			return err
		}
		return s.tell(ctx, tx, n, now)
	})
	return status, wrapf(err, "store: join action %d (member %d)", itemID, memberID)
}

// placeFree reports whether one more person fits on the action overall and
// in the slot (0: no particular slot).
func placeFree(ctx context.Context, tx *Tx, itemID, slotID int64) (bool, error) {
	var capacity, going int
	if err := tx.QueryRowContext(ctx, `SELECT capacity, (SELECT count(*) FROM attendees WHERE item_id = ?1 AND status = 'going')
		FROM items WHERE id = ?1`, itemID).Scan(&capacity, &going); err != nil {
		return false, notFound(err)
	}
	if capacity > 0 && going >= capacity {
		return false, nil
	}
	if slotID == 0 {
		return true, nil
	}
	var slotCap, slotGoing int
	if err := tx.QueryRowContext(ctx, `SELECT capacity, (SELECT count(*) FROM attendees WHERE slot_id = ?1 AND status = 'going')
		FROM action_slots WHERE id = ?1`, slotID).Scan(&slotCap, &slotGoing); err != nil {
		return false, notFound(err)
	}
	return slotGoing < slotCap, nil
}

// LeaveAction implements instance.Store.
func (s *Store) LeaveAction(ctx context.Context, itemID, memberID int64, now time.Time, n instance.Notices, promotedNotices map[int64]instance.Notices) ([]int64, error) {
	var promoted []int64
	err := s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM attendees WHERE item_id = ? AND member_id = ?`, itemID, memberID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrNotFound
		}
		if promoted, err = promoteWaiting(ctx, tx, itemID); err != nil {
			return err
		}
		if err := s.tell(ctx, tx, n, now); err != nil {
			return err
		}
		return s.tell(ctx, tx, conditional(promotedNotices, promoted), now)
	})
	return promoted, wrapf(err, "store: leave action %d (member %d)", itemID, memberID)
}

// promoteWaiting gives free places to waiting members, first come first
// served (each takes a place if one is free for them now: in their role,
// and on the action); the caller tells them.
func promoteWaiting(ctx context.Context, tx *Tx, itemID int64) ([]int64, error) {
	type waiter struct{ id, member, slot int64 }
	waiting, err := queryAll(ctx, tx, func(row scanner) (waiter, error) {
		var w waiter
		return w, row.Scan(&w.id, &w.member, &w.slot)
	}, `SELECT id, member_id, COALESCE(slot_id, 0) FROM attendees WHERE item_id = ? AND status = 'waiting' ORDER BY id`, itemID)
	if err != nil {
		return nil, err
	}
	var promoted []int64
	for _, w := range waiting {
		fits, err := placeFree(ctx, tx, itemID, w.slot)
		if err != nil {
			return nil, err
		}
		if !fits {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE attendees SET status = 'going' WHERE id = ?`, w.id); err != nil {
			return nil, err
		}
		promoted = append(promoted, w.member)
	}
	return promoted, nil
}

// ListAttendees implements instance.Store.
func (s *Store) ListAttendees(ctx context.Context, itemID int64) ([]*instance.Attendee, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT a.member_id, m.display_name, m.handle, COALESCE(a.slot_id, 0), COALESCE(s.name, ''),
		a.status, a.created_at
		FROM attendees a JOIN members m ON m.id = a.member_id LEFT JOIN action_slots s ON s.id = a.slot_id
		WHERE a.item_id = ? ORDER BY a.status, a.id`, itemID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*instance.Attendee
	for rows.Next() {
		var a instance.Attendee
		var status, created string
		if err := rows.Scan(&a.MemberID, &a.Member, &a.Handle, &a.SlotID, &a.SlotName, &status, &created); err != nil {
			return nil, err
		}
		a.Status, a.CreatedAt = instance.AttendStatus(status), parseTS(created)
		out = append(out, &a)
	}
	return out, rows.Err()
}

// AddResponse implements instance.Store (a local member's reply; it is
// queued for federation in the same transaction).
func (s *Store) AddResponse(ctx context.Context, r *instance.Response, n instance.Notices) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO responses (item_id, author_id, body, created_at, updated_at, held) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			r.ItemID, r.AuthorID, r.Body, ts(r.CreatedAt), ts(r.UpdatedAt), r.Held).Scan(&id); err != nil {
			return err
		}
		if err := s.tell(ctx, tx, withAnchor(n, instance.AnchorNewResponse, id), r.CreatedAt); err != nil {
			return err
		}
		return fedEvent(ctx, tx, instance.SubjectResponse, id, r.CreatedAt)
	})
	return id, wrapf(err, "store: add response on item %d", r.ItemID)
}

// UpdateResponse implements instance.Store.
func (s *Store) UpdateResponse(ctx context.Context, id int64, body string, held bool, now time.Time) error {
	return wrapf(s.execOneEvent(ctx, instance.SubjectResponse, id, now, `UPDATE responses SET body = ?, updated_at = ?, held = CASE WHEN ? <> 0 THEN 1 ELSE held END
		WHERE id = ? AND deleted_at IS NULL`, body, ts(now), held, id), "store: update response %d", id)
}

// DeleteResponse implements instance.Store.
func (s *Store) DeleteResponse(ctx context.Context, id, removedBy int64, now time.Time) error {
	var by any
	if removedBy != 0 {
		by = removedBy
	}
	return wrapf(s.execOneEvent(ctx, instance.SubjectResponse, id, now, `UPDATE responses SET deleted_at = ?, removed_by = ?, body = '', content_html = ''
		WHERE id = ? AND deleted_at IS NULL`, ts(now), by, id), "store: delete response %d", id)
}

const responseColumns = `r.id, r.item_id, COALESCE(r.author_id, 0), COALESCE(m.display_name, r.remote_name), COALESCE(m.handle, r.remote_handle),
	COALESCE(r.remote_actor, ''), COALESCE(r.ap_id, ''), r.content_html,
	r.body, r.created_at, r.updated_at, r.deleted_at IS NOT NULL AND r.removed_by IS NULL, r.removed_by IS NOT NULL, COALESCE(r.deleted_at, ''), r.held`

func scanResponse(row scanner) (*instance.Response, error) {
	var r instance.Response
	var created, updated, deleted string
	if err := row.Scan(&r.ID, &r.ItemID, &r.AuthorID, &r.Author, &r.AuthorHandle, &r.RemoteActor, &r.APID, &r.ContentHTML,
		&r.Body, &created, &updated, &r.Deleted, &r.Removed, &deleted, &r.Held); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt, r.DeletedAt = parseTS(created), parseTS(updated), parseTS(deleted)
	return &r, nil
}

// ResponseByID implements instance.Store.
func (s *Store) ResponseByID(ctx context.Context, id int64) (*instance.Response, error) {
	r, err := scanResponse(s.rd.QueryRowContext(ctx, `SELECT `+responseColumns+` FROM responses r LEFT JOIN members m ON m.id = r.author_id WHERE r.id = ?`, id))
	return r, notFound(err)
}

// The queries of a page of replies. A test checks that SQLite answers them
// from the responses_item index, walked from one end, never by scanning or
// sorting the thread.
// INDEXED BY holds the page queries to it: with statistics of a small
// database SQLite would rather walk the rowids, which for a short thread
// among many long ones reads every reply in between.
var (
	responsesBefore = [...]string{sqliteEngine: responsesBeforeOf(sqliteEngine), postgresEngine: responsesBeforeOf(postgresEngine)}
	responsesAfter  = [...]string{sqliteEngine: responsesAfterOf(sqliteEngine), postgresEngine: responsesAfterOf(postgresEngine)}
)

func responsesBeforeOf(e engine) string {
	return `SELECT ` + responseColumns + ` FROM responses r` + e.indexedBy("responses_item") + ` LEFT JOIN members m ON m.id = r.author_id
		WHERE r.item_id = ? AND r.id < ? ORDER BY r.id DESC LIMIT ?`
}

func responsesAfterOf(e engine) string {
	return `SELECT ` + responseColumns + ` FROM responses r` + e.indexedBy("responses_item") + ` LEFT JOIN members m ON m.id = r.author_id
		WHERE r.item_id = ? AND r.id > ? ORDER BY r.id LIMIT ?`
}

// ResponsePage implements instance.Store: keyset paging by id, so a page
// costs the same with ten replies or a hundred thousand (no OFFSET).
func (s *Store) ResponsePage(ctx context.Context, itemID, before, after int64, limit int) ([]*instance.Response, error) {
	if after > 0 {
		list, err := queryAll(ctx, s.rd, scanResponse, responsesAfter[s.e], itemID, after, limit)
		return list, wrapf(err, "store: replies on item %d after %d", itemID, after)
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	list, err := queryAll(ctx, s.rd, scanResponse, responsesBefore[s.e], itemID, before, limit)
	slices.Reverse(list)
	return list, wrapf(err, "store: replies on item %d before %d", itemID, before)
}

// CountResponses implements instance.Store: the count the triggers of
// migration 13 (0013_items_ux.sql) keep on the item.
func (s *Store) CountResponses(ctx context.Context, itemID int64) (int, error) {
	var n int
	err := s.rd.QueryRowContext(ctx, `SELECT reply_count FROM items WHERE id = ?`, itemID).Scan(&n)
	return n, wrapf(notFound(err), "store: count replies on item %d", itemID)
}

// ListResponses implements instance.Store.
func (s *Store) ListResponses(ctx context.Context, itemID int64) ([]*instance.Response, error) {
	return queryAll(ctx, s.rd, scanResponse, `SELECT `+responseColumns+` FROM responses r LEFT JOIN members m ON m.id = r.author_id
		WHERE r.item_id = ? ORDER BY r.id`, itemID)
}
