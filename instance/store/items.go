package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hearth/instance"
)

const itemColumns = `i.id, i.kind, i.group_id, g.handle, g.name, i.author_id, a.display_name, a.handle, i.title, i.description,
	i.category, i.area, i.visibility, i.state, i.state_reason, i.created_at, i.updated_at, COALESCE(i.deleted_at, ''),
	COALESCE(i.needed_by, ''), COALESCE(i.expires_at, ''), i.address, i.contact, i.on_behalf_name, i.on_behalf_phone,
	COALESCE(i.claimed_by, 0), COALESCE(c.display_name, ''), COALESCE(i.claim_expires_at, ''), COALESCE(i.reminded_at, ''),
	COALESCE(i.available_until, ''), COALESCE(i.taken_by, 0), COALESCE(t.display_name, ''),
	COALESCE(i.starts_at, ''), COALESCE(i.ends_at, ''), i.place, i.capacity,
	(SELECT count(*) FROM attendees x WHERE x.item_id = i.id AND x.status = 'going'),
	(SELECT count(*) FROM attendees x WHERE x.item_id = i.id AND x.status = 'waiting'),
	i.held, COALESCE(i.hidden_reason, ''), COALESCE(i.done_at, ''), i.thanks, COALESCE(i.thanked_at, ''), a.language,
	COALESCE(i.series_id, 0), COALESCE(i.occurs_on, ''), i.quiet, i.overflow_consent, COALESCE(i.overflowed_at, ''), i.claimed_remote, i.claimed_remote_name`

const itemFrom = ` FROM items i JOIN groups g ON g.id = i.group_id JOIN members a ON a.id = i.author_id
	LEFT JOIN members c ON c.id = i.claimed_by LEFT JOIN members t ON t.id = i.taken_by`

func scanItem(row scanner) (*instance.Item, error) {
	var it instance.Item
	var kind, vis, state, created, updated, deleted, neededBy, expires, claimExp, reminded, avail, starts, ends, done, thanked, overflowed string
	err := row.Scan(&it.ID, &kind, &it.GroupID, &it.GroupHandle, &it.GroupName, &it.AuthorID, &it.Author, &it.AuthorHandle,
		&it.Title, &it.Description, &it.Category, &it.Area, &vis, &state, &it.StateReason, &created, &updated, &deleted,
		&neededBy, &expires, &it.Address, &it.Contact, &it.OnBehalfName, &it.OnBehalfPhone,
		&it.ClaimedBy, &it.ClaimedByName, &claimExp, &reminded, &avail, &it.TakenBy, &it.TakenByName,
		&starts, &ends, &it.Place, &it.Capacity, &it.Going, &it.Waiting, &it.Held, &it.HiddenReason, &done, &it.Thanks, &thanked, &it.AuthorLanguage,
		&it.SeriesID, &it.OccursOn, &it.Quiet,
		&it.OverflowConsent, &overflowed, &it.ClaimedRemote, &it.ClaimedRemoteName)
	if err != nil {
		return nil, err
	}
	it.Kind, it.Visibility, it.State = instance.Kind(kind), instance.Visibility(vis), instance.ItemState(state)
	it.CreatedAt, it.UpdatedAt, it.DeletedAt = parseTS(created), parseTS(updated), parseTS(deleted)
	it.NeededBy, it.ExpiresAt, it.ClaimExpiresAt, it.RemindedAt = parseTS(neededBy), parseTS(expires), parseTS(claimExp), parseTS(reminded)
	it.AvailableUntil, it.StartsAt, it.EndsAt = parseTS(avail), parseTS(starts), parseTS(ends)
	it.DoneAt, it.ThankedAt, it.OverflowedAt = parseTS(done), parseTS(thanked), parseTS(overflowed)
	return &it, nil
}

// CreateItem implements instance.Store: the item and its role slots in one
// transaction.
func (s *Store) CreateItem(ctx context.Context, it *instance.Item, n instance.Notices) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO items (kind, group_id, author_id, title, description, category, area,
			visibility, state, created_at, updated_at, needed_by, expires_at, address, contact, on_behalf_name, on_behalf_phone,
			available_until, starts_at, ends_at, place, capacity, held, overflow_consent)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			string(it.Kind), it.GroupID, it.AuthorID, it.Title, it.Description, it.Category, it.Area,
			string(it.Visibility), string(it.State), ts(it.CreatedAt), ts(it.UpdatedAt), nullTS(it.NeededBy), nullTS(it.ExpiresAt),
			it.Address, it.Contact, it.OnBehalfName, it.OnBehalfPhone,
			nullTS(it.AvailableUntil), nullTS(it.StartsAt), nullTS(it.EndsAt), it.Place, it.Capacity, it.Held, it.OverflowConsent).Scan(&id); err != nil {
			return err
		}
		for i, sl := range it.Slots {
			if _, err := tx.ExecContext(ctx, `INSERT INTO action_slots (item_id, name, capacity, position) VALUES (?, ?, ?, ?)`,
				id, sl.Name, sl.Capacity, i); err != nil {
				return err
			}
		}
		if err := s.tell(ctx, tx, n, it.CreatedAt); err != nil {
			return err
		}
		return fedEvent(ctx, tx, instance.SubjectItem, id, it.CreatedAt)
	})
	if err != nil {
		return 0, fmt.Errorf("store: create item: %w", err)
	}
	return id, nil
}

// UpdateItem implements instance.Store: the item, an action's roles, and
// the waiting list's promotions (with what promoted holds for each) and
// n in one transaction. it.Held holds the item (false leaves it as it
// was: an edit never releases one).
func (s *Store) UpdateItem(ctx context.Context, it *instance.Item, n instance.Notices, promotedNotices map[int64]instance.Notices) ([]int64, error) {
	var promoted []int64
	err := s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE items SET title = ?, description = ?, category = ?, area = ?, visibility = ?, updated_at = ?,
			needed_by = ?, address = ?, contact = ?, on_behalf_name = ?, on_behalf_phone = ?, available_until = ?,
			starts_at = ?, ends_at = ?, place = ?, capacity = ?, held = CASE WHEN ? <> 0 THEN 1 ELSE held END
			WHERE id = ? AND deleted_at IS NULL`,
			it.Title, it.Description, it.Category, it.Area, string(it.Visibility), ts(it.UpdatedAt),
			nullTS(it.NeededBy), it.Address, it.Contact, it.OnBehalfName, it.OnBehalfPhone, nullTS(it.AvailableUntil),
			nullTS(it.StartsAt), nullTS(it.EndsAt), it.Place, it.Capacity, it.Held, it.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrNotFound
		}
		if it.Kind == instance.KindAction {
			if err := saveSlots(ctx, tx, it.ID, it.Slots); err != nil {
				return err
			}
			if promoted, err = promoteWaiting(ctx, tx, it.ID); err != nil {
				return err
			}
		}
		if err := s.tell(ctx, tx, n, it.UpdatedAt); err != nil {
			return err
		}
		if err := s.tell(ctx, tx, conditional(promotedNotices, promoted), it.UpdatedAt); err != nil {
			return err
		}
		return fedEvent(ctx, tx, instance.SubjectItem, it.ID, it.UpdatedAt)
	})
	return promoted, wrapf(err, "store: update item %d", it.ID)
}

// saveSlots makes an action's roles the given list, in its order. A role
// left out is removed only if nobody has signed up for it; a role is never
// made smaller than the places taken in it (instance.ErrConflict).
func saveSlots(ctx context.Context, tx *Tx, itemID int64, slots []instance.Slot) error {
	keep := []any{itemID}
	marks := ""
	for i, sl := range slots {
		if sl.ID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO action_slots (item_id, name, capacity, position) VALUES (?, ?, ?, ?) RETURNING id`,
				itemID, sl.Name, sl.Capacity, i).Scan(&sl.ID); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE action_slots SET name = ?1, capacity = ?2, position = ?3
				WHERE id = ?4 AND item_id = ?5
				AND ?2 >= (SELECT count(*) FROM attendees WHERE slot_id = ?4 AND status = 'going')`,
				sl.Name, sl.Capacity, i, sl.ID, itemID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return instance.ErrConflict
			}
		}
		keep = append(keep, sl.ID)
		marks += ", ?"
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM action_slots WHERE item_id = ? AND id NOT IN (0`+marks+`)
		AND NOT EXISTS (SELECT 1 FROM attendees a WHERE a.slot_id = action_slots.id)`, keep...); err != nil {
		return err
	}
	// A role someone signed up for meanwhile is not removed, and the
	// action's places are not fewer than those taken: say so.
	var left, capacity, going int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM action_slots WHERE item_id = ?1), capacity,
		(SELECT count(*) FROM attendees WHERE item_id = ?1 AND status = 'going') FROM items WHERE id = ?1`, itemID).Scan(&left, &capacity, &going); err != nil {
		return err
	}
	if left != len(slots) || (capacity > 0 && going > capacity) {
		return instance.ErrConflict
	}
	return nil
}

// ItemByID implements instance.Store.
func (s *Store) ItemByID(ctx context.Context, id int64) (*instance.Item, error) {
	it, err := scanItem(s.rd.QueryRowContext(ctx, `SELECT `+itemColumns+itemFrom+` WHERE i.id = ?`, id))
	if err != nil {
		return nil, notFound(err)
	}
	if it.Kind == instance.KindAction {
		rows, err := s.rd.QueryContext(ctx, `SELECT s.id, s.name, s.capacity,
			(SELECT count(*) FROM attendees x WHERE x.slot_id = s.id AND x.status = 'going'),
			(SELECT count(*) FROM attendees x WHERE x.slot_id = s.id AND x.status = 'waiting')
			FROM action_slots s WHERE s.item_id = ? ORDER BY s.position`, id)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var sl instance.Slot
			if err := rows.Scan(&sl.ID, &sl.Name, &sl.Capacity, &sl.Going, &sl.Waiting); err != nil {
				return nil, err
			}
			it.Slots = append(it.Slots, sl)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return it, nil
}

// ListItems implements instance.Store.
func (s *Store) ListItems(ctx context.Context, f instance.ItemFilter) ([]*instance.Item, error) {
	where := []string{"i.deleted_at IS NULL"}
	if f.AuthorID == 0 {
		// Held and hidden items are listed only to their authors.
		where = append(where, "i.held = 0", "i.hidden_reason IS NULL")
	}
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.Kind != "" {
		add("i.kind = ?", string(f.Kind))
	}
	if f.Category != "" {
		add("i.category = ?", f.Category)
	}
	if f.GroupID != 0 {
		add("i.group_id = ?", f.GroupID)
	}
	if f.PublicOnly {
		add("i.visibility = 'public'")
	}
	if f.Current {
		add(`(i.state = 'open' OR (i.state = 'scheduled' AND i.ends_at > ?))`, ts(f.Now))
	}
	if f.Upcoming {
		add(`i.kind = 'action' AND i.state = 'scheduled' AND i.ends_at > ?`, ts(f.Now))
	}
	if f.AuthorID != 0 {
		add("i.author_id = ?", f.AuthorID)
	}
	if f.ClaimedBy != 0 {
		add("i.claimed_by = ?", f.ClaimedBy)
	}
	if f.TakenBy != 0 {
		add("i.taken_by = ?", f.TakenBy)
	}
	if f.AttendeeID != 0 {
		add("i.id IN (SELECT item_id FROM attendees WHERE member_id = ?)", f.AttendeeID)
	}
	if cond, q, err := s.searchMatch(ctx, f.Query); err != nil {
		return nil, err
	} else if cond != "" {
		add(cond, q)
	} else if strings.TrimSpace(f.Query) != "" {
		return nil, nil // only punctuation: nothing can match
	}
	if f.BeforeID != 0 {
		add("i.id < ?", f.BeforeID)
	}
	if f.SeriesID != 0 {
		add("i.series_id = ?", f.SeriesID)
	} else if !f.EveryDate && f.AuthorID == 0 && f.AttendeeID == 0 {
		// A series is listed once: its next date (its last when it has
		// none to come).
		add(`(i.series_id IS NULL OR i.id = COALESCE(
			(SELECT j.id FROM items j WHERE j.series_id = i.series_id AND j.deleted_at IS NULL AND j.state = 'scheduled'
				AND j.ends_at > ? ORDER BY j.starts_at LIMIT 1),
			(SELECT j.id FROM items j WHERE j.series_id = i.series_id AND j.deleted_at IS NULL ORDER BY j.starts_at DESC LIMIT 1)))`, ts(f.Now))
	}
	order := "i.id DESC"
	if f.Upcoming || f.SeriesID != 0 {
		order = "i.starts_at, i.id"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	query := `SELECT ` + itemColumns + itemFrom + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` LIMIT ?`
	rows, err := s.rd.QueryContext(ctx, query, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: list items: %w", err)
	}
	defer rows.Close()
	var out []*instance.Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// DeleteItem implements instance.Store. The tombstone keeps the row (so
// the URL can answer 410) but erases the text and the private details.
func (s *Store) DeleteItem(ctx context.Context, id int64, now time.Time) error {
	return wrapf(s.execOneEvent(ctx, instance.SubjectItem, id, now, `UPDATE items SET deleted_at = ?, updated_at = ?, description = '', address = '', contact = '',
		on_behalf_phone = '', on_behalf_name = CASE WHEN on_behalf_name <> '' THEN '-' ELSE '' END
		WHERE id = ? AND deleted_at IS NULL`, ts(now), ts(now), id), "store: delete item %d", id)
}

// TransitionItem implements instance.Store.
func (s *Store) TransitionItem(ctx context.Context, id int64, from []instance.ItemState, ch instance.ItemChange) error {
	set := []string{"state = ?", "state_reason = ?", "updated_at = ?"}
	args := []any{string(ch.State), ch.Reason, ts(ch.Now)}
	if ch.SetClaim {
		set = append(set, "claimed_by = ?", "claim_expires_at = ?")
		var who any
		if ch.ClaimedBy != 0 {
			who = ch.ClaimedBy
		}
		args = append(args, who, nullTS(ch.ClaimExpiresAt))
		switch {
		case ch.RemoteClaim != "":
			set = append(set, "claimed_remote = ?", "claimed_remote_name = ?")
			args = append(args, ch.RemoteClaim, ch.RemoteClaimName)
		case ch.State == instance.StateOpen:
			set = append(set, "claimed_remote = ''", "claimed_remote_name = ''")
		}
	}
	if ch.SetExpiry {
		set = append(set, "expires_at = ?")
		args = append(args, nullTS(ch.ExpiresAt))
	}
	if ch.SetTaken {
		set = append(set, "taken_by = ?")
		var who any
		if ch.TakenBy != 0 {
			who = ch.TakenBy
		}
		args = append(args, who)
	}
	if ch.ClearReminder {
		set = append(set, "reminded_at = NULL")
	}
	if ch.State == instance.StateDone || ch.State == instance.StateTaken {
		// When a need was done, or an offer given (the impact figures).
		set = append(set, "done_at = ?")
		args = append(args, ts(ch.Now))
	}
	states := make([]string, len(from))
	for i, st := range from {
		states[i] = "'" + string(st) + "'" // from a fixed set of constants, never user input
	}
	query := `UPDATE items SET ` + strings.Join(set, ", ") + ` WHERE id = ? AND deleted_at IS NULL AND state IN (` + strings.Join(states, ", ") + `)`
	args = append(args, id)
	if ch.OnlyIfClaimedBy != 0 {
		query += ` AND claimed_by = ?`
		args = append(args, ch.OnlyIfClaimedBy)
	}
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return instance.ErrConflict
		}
		if err := fedEvent(ctx, tx, instance.SubjectItem, id, ch.Now); err != nil {
			return err
		}
		if ch.InterestOf != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE interests SET state = ? WHERE item_id = ? AND member_id = ?`,
				string(ch.InterestState), id, ch.InterestOf); err != nil {
				return err
			}
		}
		return s.tell(ctx, tx, ch.Notices, ch.Now)
	}), "store: move item %d to %s", id, ch.State)
}

// Thank implements instance.Store: the requester's thank-you note on a
// done need, once, and the helper's notification in the same transaction.
// It changes nothing another server sees, so it queues no activity.
func (s *Store) Thank(ctx context.Context, id int64, note string, now time.Time, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE items SET thanks = ?, thanked_at = ? WHERE id = ? AND kind = 'need' AND state = 'done'
			AND thanked_at IS NULL AND deleted_at IS NULL`, note, ts(now), id)
		if err != nil {
			return err
		}
		if rows, _ := res.RowsAffected(); rows != 1 {
			return instance.ErrConflict
		}
		return s.tell(ctx, tx, n, now)
	}), "store: thank for need %d", id)
}

// CountHelped implements instance.Store.
func (s *Store) CountHelped(ctx context.Context, since time.Time, publicOnly bool) (int, error) {
	q := `SELECT count(*) FROM items WHERE state = 'done' AND deleted_at IS NULL AND done_at >= ? AND kind = 'need'
		AND held = 0 AND hidden_reason IS NULL`
	if publicOnly {
		q += ` AND visibility = 'public'`
	}
	var n int
	err := s.rd.QueryRowContext(ctx, q, ts(since)).Scan(&n)
	return n, wrapf(err, "store: count needs helped since %s", ts(since))
}

// fedEvent records, in the caller's transaction, that something must be
// federated: the transactional outbox that the federation worker reads.
//
// Every change of an item queues it; one offered to neighbouring villages
// also queues the check of its offers (sent while it overflows, withdrawn
// once it is claimed, closed, done, deleted, held or hidden), so no change
// can leave an offer standing.
func fedEvent(ctx context.Context, tx *Tx, subject instance.EventSubject, id int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO fed_events (subject, subject_id, created_at) VALUES (?, ?, ?)`, subject, id, ts(now))
	if err != nil || subject != instance.SubjectItem {
		return err
	}
	return overflowEvent(ctx, tx, id, now)
}

// overflowEvent queues the check of a need's offers to neighbours, if it
// has any that were not withdrawn.
func overflowEvent(ctx context.Context, tx *Tx, id int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO fed_events (subject, subject_id, created_at) SELECT ?, ?, ?
		WHERE EXISTS (SELECT 1 FROM overflows WHERE item_id = ? AND state <> 'withdrawn')`, instance.SubjectOverflow, id, ts(now), id)
	return err
}

// execOneEvent runs a statement that must change exactly one row and
// records a federation event with it, in one transaction.
func (s *Store) execOneEvent(ctx context.Context, subject instance.EventSubject, id int64, now time.Time, query string, args ...any) error {
	return s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrNotFound
		}
		return fedEvent(ctx, tx, subject, id, now)
	})
}
