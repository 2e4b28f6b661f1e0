package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"hearth/instance"
)

// tell writes a change's notices (notifications, their emails and their
// pushes) in the change's transaction.
func (s *Store) tell(ctx context.Context, tx *Tx, n instance.Notices, now time.Time) error {
	if err := s.notify(ctx, tx, n.Notify, now); err != nil {
		return err
	}
	if err := s.enqueuePush(ctx, tx, n.Push, now); err != nil {
		return err
	}
	return s.enqueue(ctx, tx, n.Mail, now)
}

// insertNotification is prepared at Open: every change that tells
// someone runs it inside its transaction.
const insertNotification = `INSERT INTO notifications (member_id, item_id, code, actor_id, actor_name, anchor, detail, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

func (s *Store) notify(ctx context.Context, tx *Tx, list []instance.Notification, now time.Time) error {
	if len(list) == 0 {
		return nil
	}
	stmt, err := s.wr.inTx(ctx, tx, insertNotification)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, n := range list {
		if _, err := stmt.ExecContext(ctx, n.MemberID, nullID(n.ItemID), string(n.Kind), nullID(n.ActorID), n.Actor, n.Anchor, n.Detail,
			ts(now)); err != nil {
			return fmt.Errorf("notify member %d of %s: %w", n.MemberID, n.Kind, err)
		}
	}
	return nil
}

// withAnchor sets the anchor of notifications that point at something
// made in the same transaction (a reply's element, "response-12").
func withAnchor(n instance.Notices, prefix string, id int64) instance.Notices {
	out := n
	out.Notify = make([]instance.Notification, len(n.Notify))
	for i, x := range n.Notify {
		if x.Anchor == prefix {
			x.Anchor = fmt.Sprintf("%s%d", prefix, id)
		}
		out.Notify[i] = x
	}
	return out
}

// conditional picks the notices of the members a transaction chose
// (those promoted from a waiting list).
func conditional(m map[int64]instance.Notices, members []int64) instance.Notices {
	var out instance.Notices
	for _, id := range members {
		out.Notify = append(out.Notify, m[id].Notify...)
		out.Mail = append(out.Mail, m[id].Mail...)
		out.Push = append(out.Push, m[id].Push...)
	}
	return out
}

// MembersWithRole implements instance.Store.
func (s *Store) MembersWithRole(ctx context.Context, r instance.Role) ([]int64, error) {
	roles := []string{string(r)}
	if r == instance.RoleCoordinator {
		roles = append(roles, string(instance.RoleAdmin))
	}
	ids, err := queryAll(ctx, s.rd, scanID, `SELECT DISTINCT r.member_id FROM member_roles r JOIN members m ON m.id = r.member_id
		WHERE m.status = 'active' AND m.deleted_at IS NULL AND r.role IN (?, ?) ORDER BY r.member_id`, roles[0], roles[len(roles)-1])
	return ids, wrapf(err, "store: members with role %s", r)
}

// ListNotifications implements instance.Store.
func (s *Store) ListNotifications(ctx context.Context, memberID int64, limit int) ([]*instance.Notification, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT n.id, n.member_id, COALESCE(n.item_id, 0), COALESCE(i.title, ''), COALESCE(i.kind, ''),
		i.deleted_at IS NOT NULL, n.code, COALESCE(n.actor_id, 0), COALESCE(a.display_name, n.actor_name), n.anchor, n.detail,
		n.created_at, n.read_at IS NOT NULL
		FROM notifications n LEFT JOIN items i ON i.id = n.item_id LEFT JOIN members a ON a.id = n.actor_id
		WHERE n.member_id = ? ORDER BY n.id DESC LIMIT ?`, memberID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: notifications of member %d: %w", memberID, err)
	}
	defer rows.Close()
	var out []*instance.Notification
	for rows.Next() {
		var n instance.Notification
		var kind, code, created string
		var gone sql.NullBool
		if err := rows.Scan(&n.ID, &n.MemberID, &n.ItemID, &n.ItemTitle, &kind, &gone, &code, &n.ActorID, &n.Actor, &n.Anchor,
			&n.Detail, &created, &n.Read); err != nil {
			return nil, err
		}
		n.Kind, n.CreatedAt = instance.NoteKind(code), parseTS(created)
		if n.ItemID != 0 && !gone.Bool {
			n.ItemPath = (&instance.Item{Kind: instance.Kind(kind), ID: n.ItemID}).Path()
		}
		out = append(out, &n)
	}
	return out, rows.Err()
}

// UnreadNotifications implements instance.Store: a count over the partial
// index of unread rows.
func (s *Store) UnreadNotifications(ctx context.Context, memberID int64) (int, error) {
	var n int
	err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE member_id = ? AND read_at IS NULL`, memberID).Scan(&n)
	return n, wrapf(err, "store: unread notifications of member %d", memberID)
}

// HasUnreadAbout implements instance.Store.
func (s *Store) HasUnreadAbout(ctx context.Context, memberID, itemID int64) (bool, error) {
	var n bool
	err := s.rd.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM notifications WHERE member_id = ? AND item_id = ? AND read_at IS NULL)`,
		memberID, itemID).Scan(&n)
	return n, wrapf(err, "store: unread notifications of member %d about item %d", memberID, itemID)
}

// MarkNotificationsRead implements instance.Store.
func (s *Store) MarkNotificationsRead(ctx context.Context, memberID, itemID int64, now time.Time) error {
	query, args := `UPDATE notifications SET read_at = ? WHERE member_id = ? AND read_at IS NULL`, []any{ts(now), memberID}
	if itemID != 0 {
		query, args = query+` AND item_id = ?`, append(args, itemID)
	}
	_, err := s.wr.ExecContext(ctx, query, args...)
	return wrapf(err, "store: mark notifications of member %d read", memberID)
}

// ThreadRepliers implements instance.Store, on the partial index of local
// replies.
func (s *Store) ThreadRepliers(ctx context.Context, itemID int64) ([]int64, error) {
	ids, err := queryAll(ctx, s.rd, scanID, `SELECT DISTINCT author_id FROM responses`+s.e.indexedBy("responses_local_authors")+`
		WHERE item_id = ? AND author_id IS NOT NULL AND deleted_at IS NULL`, itemID)
	return ids, wrapf(err, "store: repliers on item %d", itemID)
}

// dueRules are the sweep's changes: which items each applies to (?1 is
// now, ?2 and ?3 the window's start and end) and what it sets. Columns
// are those of items i.
var dueRules = map[instance.Due]struct{ where, set string }{
	instance.DueExpire: {
		where: `i.kind = 'need' AND i.state = 'open' AND i.expires_at <= ?1`,
		set:   `state = 'closed', state_reason = 'expired', updated_at = ?1`,
	},
	instance.DueLapse: {
		where: `i.kind = 'need' AND i.state = 'claimed' AND i.claim_expires_at <= ?1`,
		set:   `state = 'open', claimed_by = NULL, claim_expires_at = NULL, updated_at = ?1`,
	},
	instance.DueStillNeeded: {
		where: `i.kind = 'need' AND i.state = 'open' AND i.reminded_at IS NULL AND i.expires_at <= ?3 AND i.expires_at > ?1`,
		set:   `reminded_at = ?1`,
	},
	instance.DueLapsing: {
		where: `i.kind = 'need' AND i.state = 'claimed' AND i.claim_expires_at > ?1 AND i.claim_expires_at <= ?3
			AND i.lapse_warned_for IS DISTINCT FROM i.claim_expires_at`,
		set: `lapse_warned_for = claim_expires_at`,
	},
	instance.DueTomorrow: {
		where: `i.hidden_reason IS NULL AND ((i.kind = 'action' AND i.state = 'scheduled' AND i.starts_at >= ?2 AND i.starts_at < ?3
			AND i.tomorrow_for IS DISTINCT FROM i.starts_at) OR (i.kind = 'need' AND i.state = 'claimed' AND i.needed_by >= ?2 AND i.needed_by < ?3
			AND i.tomorrow_for IS DISTINCT FROM i.needed_by))`,
		set: `tomorrow_for = CASE kind WHEN 'action' THEN starts_at ELSE needed_by END`,
	},
	instance.DueUnanswered: {
		where: `i.kind = 'need' AND i.state = 'open' AND i.created_at <= ?2 AND i.unanswered_at IS NULL AND i.held = 0
			AND i.hidden_reason IS NULL AND NOT EXISTS (SELECT 1 FROM interests x WHERE x.item_id = i.id)`,
		set: `unanswered_at = ?1`,
	},
}

func dueArgs(w instance.DueWindow) []any {
	return []any{ts(w.Now), ts(w.From), ts(w.To)}
}

// DueItems implements instance.Store.
func (s *Store) DueItems(ctx context.Context, due instance.Due, w instance.DueWindow, limit int) ([]*instance.Item, error) {
	rule, ok := dueRules[due]
	if !ok {
		return nil, fmt.Errorf("store: unknown sweep change %q", due)
	}
	items, err := queryAll(ctx, s.rd, scanItem, `SELECT `+itemColumns+itemFrom+` WHERE i.deleted_at IS NULL AND `+rule.where+
		` ORDER BY i.id LIMIT ?4`, append(dueArgs(w), limit)...)
	return items, wrapf(err, "store: items due for %s", due)
}

// ApplyDue implements instance.Store: the change and its notices in one
// transaction, only if the item still matches (so each is made, and
// told, once).
func (s *Store) ApplyDue(ctx context.Context, due instance.Due, itemID int64, w instance.DueWindow, n instance.Notices) (bool, error) {
	rule, ok := dueRules[due]
	if !ok {
		return false, fmt.Errorf("store: unknown sweep change %q", due)
	}
	applied := false
	err := s.tx(ctx, func(tx *Tx) error {
		if due == instance.DueLapse {
			// The helper's offer is released with the claim.
			if _, err := tx.ExecContext(ctx, `UPDATE interests SET state = 'released'
				WHERE item_id = ? AND state = 'accepted'`, itemID); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE items SET `+rule.set+` WHERE id = ?4 AND id IN
			(SELECT i.id FROM items i WHERE i.deleted_at IS NULL AND `+rule.where+`)`, append(dueArgs(w), itemID)...)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return errNotApplied
		}
		applied = true
		if err := overflowEvent(ctx, tx, itemID, w.Now); err != nil { // expired: withdraw its offers
			return err
		}
		return s.tell(ctx, tx, n, w.Now)
	})
	if err == errNotApplied {
		return false, nil
	}
	return applied, wrapf(err, "store: %s of item %d", due, itemID)
}

var errNotApplied = fmt.Errorf("store: change no longer applies")
