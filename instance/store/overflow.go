package store

import (
	"context"
	"net/url"
	"strings"
	"time"

	"hearth/instance"
)

// mutual is the condition on following f (of group ?1) that its actor
// follows that group back.
const mutual = `f.group_id = ?1 AND f.state = 'accepted' AND f.actor_id <> ''
	AND EXISTS (SELECT 1 FROM followers r WHERE r.group_id = f.group_id AND r.actor_id = f.actor_id)`

// MutualNeighbours implements instance.Store.
func (s *Store) MutualNeighbours(ctx context.Context, groupID int64) ([]*instance.Following, error) {
	list, err := queryAll(ctx, s.rd, scanFollowing, `SELECT f.id, f.group_id, f.address, f.actor_id, f.name, f.follow_id, f.state, f.error, f.created_at
		FROM following f WHERE `+mutual+` ORDER BY f.id`, groupID)
	return list, wrapf(err, "store: mutual neighbours of group %d", groupID)
}

func scanTrusted(row scanner) (*instance.TrustedNeighbour, error) {
	var n instance.TrustedNeighbour
	var created string
	err := row.Scan(&n.ID, &n.GroupID, &n.ActorID, &n.Name, &n.Sensitive, &created)
	n.CreatedAt = parseTS(created)
	return &n, err
}

// TrustedNeighbours implements instance.Store: only those still mutual.
func (s *Store) TrustedNeighbours(ctx context.Context, groupID int64) ([]*instance.TrustedNeighbour, error) {
	list, err := queryAll(ctx, s.rd, scanTrusted, `SELECT t.id, t.group_id, t.actor_id, t.name, t.sensitive, t.created_at
		FROM overflow_neighbours t WHERE t.group_id = ?1 AND EXISTS (SELECT 1 FROM following f WHERE f.actor_id = t.actor_id AND `+mutual+`)
		ORDER BY t.name, t.id`, groupID)
	return list, wrapf(err, "store: trusted neighbours of group %d", groupID)
}

// SaveTrustedNeighbour implements instance.Store.
func (s *Store) SaveTrustedNeighbour(ctx context.Context, n *instance.TrustedNeighbour) error {
	_, err := s.wr.ExecContext(ctx, `INSERT INTO overflow_neighbours (group_id, actor_id, name, sensitive, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (group_id, actor_id) DO UPDATE SET name = excluded.name, sensitive = excluded.sensitive`,
		n.GroupID, n.ActorID, n.Name, n.Sensitive, ts(n.CreatedAt))
	return wrapf(err, "store: trust neighbour %s for group %d", n.ActorID, n.GroupID)
}

// RemoveTrustedNeighbour implements instance.Store.
func (s *Store) RemoveTrustedNeighbour(ctx context.Context, groupID int64, actorID string) error {
	_, err := s.wr.ExecContext(ctx, `DELETE FROM overflow_neighbours WHERE group_id = ? AND actor_id = ?`, groupID, actorID)
	return wrapf(err, "store: stop trusting neighbour %s for group %d", actorID, groupID)
}

// overflowCandidate is the condition of a need that may be offered to
// neighbours (?1: created at or before).
const overflowCandidate = `i.kind = 'need' AND i.state = 'open' AND i.overflow_consent = 1 AND i.overflowed_at IS NULL
	AND i.deleted_at IS NULL AND i.held = 0 AND i.hidden_reason IS NULL AND i.created_at <= ?1
	AND NOT EXISTS (SELECT 1 FROM interests x WHERE x.item_id = i.id)`

// OverflowCandidates implements instance.Store: only needs of groups
// that trust a neighbour, so a village without any costs the sweep one
// empty query.
func (s *Store) OverflowCandidates(ctx context.Context, createdBefore time.Time, afterID int64, limit int) ([]*instance.Item, error) {
	items, err := queryAll(ctx, s.rd, scanItem, `SELECT `+itemColumns+itemFrom+` WHERE `+overflowCandidate+` AND i.id > ?2
		AND EXISTS (SELECT 1 FROM overflow_neighbours t WHERE t.group_id = i.group_id) ORDER BY i.id LIMIT ?3`,
		ts(createdBefore), afterID, limit)
	return items, wrapf(err, "store: needs to offer to neighbours")
}

// ApplyOverflow implements instance.Store.
func (s *Store) ApplyOverflow(ctx context.Context, itemID int64, createdBefore time.Time, to []*instance.Overflow, now time.Time, n instance.Notices) (bool, error) {
	err := s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE items SET overflowed_at = ?2 WHERE id = ?3 AND id IN
			(SELECT i.id FROM items i WHERE `+overflowCandidate+`)`, ts(createdBefore), ts(now), itemID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return errNotApplied
		}
		for _, o := range to {
			if _, err := tx.ExecContext(ctx, `INSERT INTO overflows (item_id, actor_id, name, state, created_at) VALUES (?, ?, ?, ?, ?)`,
				itemID, o.ActorID, o.Name, instance.OverflowQueued, ts(now)); err != nil {
				return err
			}
		}
		if err := overflowEvent(ctx, tx, itemID, now); err != nil {
			return err
		}
		return s.tell(ctx, tx, n, now)
	})
	if err == errNotApplied {
		return false, nil
	}
	return err == nil, wrapf(err, "store: offer need %d to neighbours", itemID)
}

// SetOverflowConsent implements instance.Store.
func (s *Store) SetOverflowConsent(ctx context.Context, itemID int64, consent bool, now time.Time) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE items SET overflow_consent = ? WHERE id = ? AND kind = 'need' AND deleted_at IS NULL`, consent, itemID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return instance.ErrNotFound
		}
		return overflowEvent(ctx, tx, itemID, now)
	}), "store: overflow consent of need %d", itemID)
}

func scanOverflow(row scanner) (*instance.Overflow, error) {
	var o instance.Overflow
	var state, created, withdrawn string
	err := row.Scan(&o.ID, &o.ItemID, &o.ActorID, &o.Name, &state, &created, &withdrawn)
	o.State, o.CreatedAt, o.WithdrawnAt = instance.OverflowState(state), parseTS(created), parseTS(withdrawn)
	return &o, err
}

// ItemOverflows implements instance.Store.
func (s *Store) ItemOverflows(ctx context.Context, itemID int64) ([]*instance.Overflow, error) {
	list, err := queryAll(ctx, s.rd, scanOverflow, `SELECT id, item_id, actor_id, name, state, created_at, COALESCE(withdrawn_at, '')
		FROM overflows WHERE item_id = ? ORDER BY id`, itemID)
	return list, wrapf(err, "store: offers of need %d", itemID)
}

// OverflowSentTo implements instance.Store.
func (s *Store) OverflowSentTo(ctx context.Context, itemID int64, host string) (bool, error) {
	list, err := s.ItemOverflows(ctx, itemID)
	if err != nil {
		return false, err
	}
	for _, o := range list {
		if u, err := url.Parse(o.ActorID); err == nil && o.State == instance.OverflowSent && host != "" && strings.EqualFold(u.Hostname(), host) {
			return true, nil
		}
	}
	return false, nil
}

// NearbyNeeds implements instance.Store.
func (s *Store) NearbyNeeds(ctx context.Context, limit int) ([]*instance.RemoteItem, error) {
	list, err := queryAll(ctx, s.rd, scanRemoteItem, `SELECT `+remoteItemColumns+` FROM remote_items WHERE overflow = 1 AND deleted_at IS NULL
		ORDER BY id DESC LIMIT ?`, limit)
	return list, wrapf(err, "store: needs from nearby")
}

// ShareNearbyNeed implements instance.Store.
func (s *Store) ShareNearbyNeed(ctx context.Context, id int64, now time.Time, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE remote_items SET shared_at = ? WHERE id = ? AND overflow = 1 AND shared_at IS NULL
			AND deleted_at IS NULL`, ts(now), id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return instance.ErrConflict
		}
		return writeLog(ctx, tx, log)
	}), "store: share nearby need %d", id)
}
