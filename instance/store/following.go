package store

import (
	"context"
	"time"

	"hearth/instance"
)

// AddFollowing implements instance.Store.
func (s *Store) AddFollowing(ctx context.Context, f *instance.Following) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO following (group_id, address, follow_id, state, created_at) VALUES (?, ?, '', ?, ?) RETURNING id`,
			f.GroupID, f.Address, f.State, ts(f.CreatedAt)).Scan(&f.ID)
		if uniqueViolation(err, "following.group_id, following.address") {
			return &instance.FieldError{Field: "address", Code: "err.already_following"}
		}
		if err != nil {
			return err
		}
		return fedEvent(ctx, tx, instance.SubjectFollow, f.ID, f.CreatedAt)
	}), "store: add follow of %s by group %d", f.Address, f.GroupID)
}

const followingColumns = `id, group_id, address, actor_id, name, follow_id, state, error, created_at`

func scanFollowing(row scanner) (*instance.Following, error) {
	var f instance.Following
	var created string
	if err := row.Scan(&f.ID, &f.GroupID, &f.Address, &f.ActorID, &f.Name, &f.FollowID, &f.State, &f.Error, &created); err != nil {
		return nil, err
	}
	f.CreatedAt = parseTS(created)
	return &f, nil
}

// ListFollowing implements instance.Store.
func (s *Store) ListFollowing(ctx context.Context, groupID int64) ([]*instance.Following, error) {
	return queryAll(ctx, s.rd, scanFollowing, `SELECT `+followingColumns+` FROM following WHERE group_id = ? AND state <> ? ORDER BY id`,
		groupID, instance.FollowingRemoving)
}

// FollowingByID returns one follow of a remote actor.
func (s *Store) FollowingByID(ctx context.Context, id int64) (*instance.Following, error) {
	f, err := scanFollowing(s.rd.QueryRowContext(ctx, `SELECT `+followingColumns+` FROM following WHERE id = ?`, id))
	return f, notFound(err)
}

// FollowingByActor lists our follows of a remote actor (any group).
func (s *Store) FollowingByActor(ctx context.Context, actorID string) ([]*instance.Following, error) {
	return queryAll(ctx, s.rd, scanFollowing, `SELECT `+followingColumns+` FROM following WHERE actor_id = ?`, actorID)
}

// RemoveFollowing implements instance.Store: the row is marked and the
// worker sends Undo{Follow} and then deletes it.
func (s *Store) RemoveFollowing(ctx context.Context, id int64, now time.Time) error {
	return wrapf(s.execOneEvent(ctx, instance.SubjectUnfollow, id, now, `UPDATE following SET state = ? WHERE id = ?`, instance.FollowingRemoving, id), "store: remove follow %d", id)
}

// UpdateFollowing saves a follow's progress (tests set up states with it;
// the federation worker's progress is saved by Publish and the fed event
// retries, in their transactions).
func (s *Store) UpdateFollowing(ctx context.Context, f *instance.Following) error {
	return wrapf(s.execOne(ctx, `UPDATE following SET actor_id = ?, name = ?, follow_id = ?, state = ?, error = ? WHERE id = ?`,
		f.ActorID, f.Name, f.FollowID, f.State, f.Error, f.ID), "store: update follow %d", f.ID)
}

// updateFollowing saves f (nil: nothing) in tx.
func updateFollowing(ctx context.Context, tx *Tx, f *instance.Following) error {
	if f == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE following SET actor_id = ?, name = ?, follow_id = ?, state = ?, error = ? WHERE id = ?`,
		f.ActorID, f.Name, f.FollowID, f.State, f.Error, f.ID)
	return err
}

// SetFollowingState moves our follow with the given Follow id (answered
// by Accept or Reject from actorID).
func (s *Store) SetFollowingState(ctx context.Context, followID, actorID string, state instance.FollowingState) (bool, error) {
	res, err := s.wr.ExecContext(ctx, `UPDATE following SET state = ? WHERE follow_id = ? AND actor_id = ? AND state IN (?, ?)`,
		state, followID, actorID, instance.FollowingPending, instance.FollowingAccepted)
	if err != nil {
		return false, wrapf(err, "store: follow %s %s", followID, state)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

const remoteItemColumns = `id, ap_id, actor, actor_name, kind, title, content_html, category, area, state, url,
	COALESCE(starts_at, ''), COALESCE(ends_at, ''), place, published_at, updated_at, deleted_at IS NOT NULL, held,
	overflow, COALESCE(shared_at, '')`

func scanRemoteItem(row scanner) (*instance.RemoteItem, error) {
	var it instance.RemoteItem
	var kind, starts, ends, published, updated, shared string
	if err := row.Scan(&it.ID, &it.APID, &it.Actor, &it.ActorName, &kind, &it.Title, &it.ContentHTML, &it.Category, &it.Area,
		&it.State, &it.URL, &starts, &ends, &it.Place, &published, &updated, &it.Deleted, &it.Held, &it.Overflow, &shared); err != nil {
		return nil, err
	}
	it.SharedAt = parseTS(shared)
	it.Kind = instance.Kind(kind)
	it.StartsAt, it.EndsAt, it.Published, it.Updated = parseTS(starts), parseTS(ends), parseTS(published), parseTS(updated)
	return &it, nil
}

// ListRemoteItems implements instance.Store.
func (s *Store) ListRemoteItems(ctx context.Context, limit int) ([]*instance.RemoteItem, error) {
	return queryAll(ctx, s.rd, scanRemoteItem, `SELECT `+remoteItemColumns+` FROM remote_items WHERE deleted_at IS NULL AND held = 0
		AND (overflow = 0 OR shared_at IS NOT NULL) ORDER BY id DESC LIMIT ?`, limit)
}

// RemoteItemByID implements instance.Store.
func (s *Store) RemoteItemByID(ctx context.Context, id int64) (*instance.RemoteItem, error) {
	it, err := scanRemoteItem(s.rd.QueryRowContext(ctx, `SELECT `+remoteItemColumns+` FROM remote_items WHERE id = ?`, id))
	return it, notFound(err)
}

// RemoteItemByAPID finds a neighbour's item by its ActivityPub id.
func (s *Store) RemoteItemByAPID(ctx context.Context, apID string) (*instance.RemoteItem, error) {
	it, err := scanRemoteItem(s.rd.QueryRowContext(ctx, `SELECT `+remoteItemColumns+` FROM remote_items WHERE ap_id = ?`, apID))
	return it, notFound(err)
}

// SaveRemoteItem inserts or updates a neighbour's item (only its own
// author may update it: the caller checks, and the WHERE repeats it; an
// older version never replaces a newer one).
func (s *Store) SaveRemoteItem(ctx context.Context, it *instance.RemoteItem, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		var again bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM remote_items WHERE ap_id = ?)`, it.APID).Scan(&again); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO remote_items (ap_id, actor, actor_name, kind, title, content_html, category, area, state,
		url, starts_at, ends_at, place, published_at, updated_at, held, overflow) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (ap_id) DO UPDATE SET actor_name = excluded.actor_name, kind = excluded.kind, title = excluded.title,
		content_html = excluded.content_html, category = excluded.category, area = excluded.area, state = excluded.state,
		url = excluded.url, starts_at = excluded.starts_at, ends_at = excluded.ends_at, place = excluded.place,
		updated_at = excluded.updated_at, held = CASE WHEN excluded.held <> 0 THEN 1 ELSE remote_items.held END
		WHERE remote_items.actor = excluded.actor AND remote_items.deleted_at IS NULL AND remote_items.updated_at <= excluded.updated_at`,
			it.APID, it.Actor, it.ActorName, string(it.Kind), it.Title, it.ContentHTML, it.Category, it.Area, it.State, it.URL,
			nullTS(it.StartsAt), nullTS(it.EndsAt), it.Place, ts(it.Published), ts(it.Updated), it.Held, it.Overflow)
		if err != nil || again {
			return err
		}
		return s.tell(ctx, tx, n, it.Updated)
	}), "store: save neighbour item %s", it.APID)
}

// HeldRemoteItems implements instance.Store.
func (s *Store) HeldRemoteItems(ctx context.Context) ([]*instance.RemoteItem, error) {
	return queryAll(ctx, s.rd, scanRemoteItem, `SELECT `+remoteItemColumns+` FROM remote_items WHERE held = 1 AND deleted_at IS NULL ORDER BY id`)
}

// ReleaseRemoteItem implements instance.Store.
func (s *Store) ReleaseRemoteItem(ctx context.Context, id int64, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE remote_items SET held = 0 WHERE id = ? AND held = 1 AND deleted_at IS NULL`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		return writeLog(ctx, tx, log)
	}), "store: release neighbour item %d", id)
}

// RemoveRemoteItem implements instance.Store.
func (s *Store) RemoveRemoteItem(ctx context.Context, id int64, now time.Time, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE remote_items SET deleted_at = ?, content_html = '' WHERE id = ? AND deleted_at IS NULL`, ts(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrNotFound
		}
		return writeLog(ctx, tx, log)
	}), "store: remove neighbour item %d", id)
}

// DeleteRemoteItem marks a neighbour's item deleted, if actor owns it.
func (s *Store) DeleteRemoteItem(ctx context.Context, apID, actor string, now time.Time) (bool, error) {
	res, err := s.wr.ExecContext(ctx, `UPDATE remote_items SET deleted_at = ?, content_html = '' WHERE ap_id = ? AND actor = ? AND deleted_at IS NULL`,
		ts(now), apID, actor)
	if err != nil {
		return false, wrapf(err, "store: delete neighbour item %s", apID)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// AddNeighbourReply implements instance.Store.
func (s *Store) AddNeighbourReply(ctx context.Context, r *instance.NeighbourReply) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO neighbour_replies (remote_item_id, member_id, body, created_at, held) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			r.Item.ID, r.MemberID, r.Body, ts(r.CreatedAt), r.Held).Scan(&id); err != nil {
			return err
		}
		if r.Held {
			return nil // sent when a coordinator releases it
		}
		return fedEvent(ctx, tx, instance.SubjectNeighbourReply, id, r.CreatedAt)
	})
	return id, wrapf(err, "store: add answer to neighbour item %d by member %d", r.Item.ID, r.MemberID)
}

const neighbourReplyColumns = `nr.id, nr.remote_item_id, nr.member_id, m.display_name, nr.body, nr.created_at, nr.held
	FROM neighbour_replies nr JOIN members m ON m.id = nr.member_id`

// scanNeighbourReplies reads answers, each with the item it answers.
func (s *Store) scanNeighbourReplies(ctx context.Context, query string, args ...any) ([]*instance.NeighbourReply, error) {
	var items []int64
	list, err := queryAll(ctx, s.rd, func(row scanner) (*instance.NeighbourReply, error) {
		var r instance.NeighbourReply
		var itemID int64
		var created string
		err := row.Scan(&r.ID, &itemID, &r.MemberID, &r.MemberName, &r.Body, &created, &r.Held)
		r.CreatedAt = parseTS(created)
		items = append(items, itemID)
		return &r, err
	}, `SELECT `+neighbourReplyColumns+` `+query, args...)
	if err != nil {
		return nil, err
	}
	for i, r := range list {
		if r.Item, err = s.RemoteItemByID(ctx, items[i]); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// NeighbourReplyByID loads a member's answer with the item it answers.
func (s *Store) NeighbourReplyByID(ctx context.Context, id int64) (*instance.NeighbourReply, error) {
	list, err := s.scanNeighbourReplies(ctx, `WHERE nr.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, instance.ErrNotFound
	}
	return list[0], nil
}

// HeldNeighbourReplies implements instance.Store.
func (s *Store) HeldNeighbourReplies(ctx context.Context) ([]*instance.NeighbourReply, error) {
	return s.scanNeighbourReplies(ctx, `WHERE nr.held = 1 ORDER BY nr.id`)
}

// ReleaseNeighbourReply implements instance.Store: the answer is queued
// for delivery in the transaction that releases it.
func (s *Store) ReleaseNeighbourReply(ctx context.Context, id int64, now time.Time, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE neighbour_replies SET held = 0 WHERE id = ? AND held = 1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		if err := fedEvent(ctx, tx, instance.SubjectNeighbourReply, id, now); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: release answer %d", id)
}

// RemoveNeighbourReply implements instance.Store: only a held answer (one
// that never left) can be removed.
func (s *Store) RemoveNeighbourReply(ctx context.Context, id int64, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM neighbour_replies WHERE id = ? AND held = 1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		return writeLog(ctx, tx, log)
	}), "store: remove answer %d", id)
}
