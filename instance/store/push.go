package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"hearth/instance"
)

// enqueuePush writes pushes into the queue within the caller's
// transaction: a push exists exactly when the change that caused it does.
func (s *Store) enqueuePush(ctx context.Context, tx *Tx, list []instance.Push, now time.Time) error {
	for _, p := range list {
		if _, err := tx.ExecContext(ctx, `INSERT INTO push_queue (subscription_id, member_id, kind, payload, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, p.SubscriptionID, p.MemberID, string(p.Kind), p.Payload, ts(now), ts(now)); err != nil {
			return fmt.Errorf("enqueue push to device %d of member %d: %w", p.SubscriptionID, p.MemberID, err)
		}
	}
	return nil
}

const pushSubscriptionColumns = `id, member_id, endpoint, p256dh, auth, device, created_at, COALESCE(last_success_at, '')`

func scanPushSubscription(row scanner) (*instance.PushSubscription, error) {
	var p instance.PushSubscription
	var created, success string
	if err := row.Scan(&p.ID, &p.MemberID, &p.Endpoint, &p.P256dh, &p.Auth, &p.Device, &created, &success); err != nil {
		return nil, err
	}
	p.CreatedAt, p.LastSuccess = parseTS(created), parseTS(success)
	return &p, nil
}

// SavePushSubscription implements instance.Store. A device turned on again
// (or by another member, on a shared phone) keeps one row, and what was
// queued for its previous owner goes.
func (s *Store) SavePushSubscription(ctx context.Context, p *instance.PushSubscription) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		var owner int64
		err := tx.QueryRowContext(ctx, `SELECT member_id FROM push_subscriptions WHERE endpoint = ?`, p.Endpoint).Scan(&owner)
		if err == nil && owner != p.MemberID {
			if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE endpoint = ?`, p.Endpoint); err != nil {
				return err
			}
		} else if err != nil && err != sql.ErrNoRows {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO push_subscriptions (member_id, endpoint, p256dh, auth, device, created_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth, device = excluded.device
			RETURNING id`, p.MemberID, p.Endpoint, p.P256dh, p.Auth, p.Device, ts(p.CreatedAt)).Scan(&id)
	})
	return id, wrapf(err, "store: save device of member %d", p.MemberID)
}

// PushSubscriptions implements instance.Store.
func (s *Store) PushSubscriptions(ctx context.Context, memberID int64) ([]*instance.PushSubscription, error) {
	list, err := queryAll(ctx, s.rd, scanPushSubscription, `SELECT `+pushSubscriptionColumns+` FROM push_subscriptions
		WHERE member_id = ? ORDER BY id`, memberID)
	return list, wrapf(err, "store: devices of member %d", memberID)
}

// DeletePushSubscription implements instance.Store.
func (s *Store) DeletePushSubscription(ctx context.Context, memberID, id int64, endpoint string) error {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE member_id = ? AND (id = ? OR (? = 0 AND endpoint = ?))`,
		memberID, id, id, endpoint)
	if err != nil {
		return fmt.Errorf("store: remove device %d of member %d: %w", id, memberID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return instance.ErrNotFound
	}
	return nil
}

// ClaimPush implements instance.Store: one UPDATE … RETURNING takes the
// lease, so two workers never hold the same push.
func (s *Store) ClaimPush(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*instance.QueuedPush, error) {
	claim := instance.RandomToken(12)
	var out []*instance.QueuedPush
	err := s.tx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE push_queue SET claim = ?1, claimed_until = ?2
			WHERE id IN (SELECT id FROM push_queue WHERE state = 'queued' AND next_attempt_at <= ?3
				AND (claimed_until IS NULL OR claimed_until <= ?3) ORDER BY next_attempt_at, id LIMIT ?4`+s.e.skipLocked()+`)
			RETURNING id, subscription_id, member_id, kind, payload, attempts`, claim, ts(now.Add(lease)), ts(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			q := &instance.QueuedPush{Claim: claim}
			var kind string
			if err := rows.Scan(&q.ID, &q.Push.SubscriptionID, &q.Push.MemberID, &kind, &q.Push.Payload, &q.Attempts); err != nil {
				return err
			}
			q.Push.Kind = instance.NoteKind(kind)
			out = append(out, q)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, q := range out {
			sub, err := scanPushSubscription(tx.QueryRowContext(ctx, `SELECT `+pushSubscriptionColumns+` FROM push_subscriptions WHERE id = ?`,
				q.Push.SubscriptionID))
			if err != nil {
				return err
			}
			q.Subscription = *sub
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim pushes: %w", err)
	}
	return out, nil
}

// finishPush changes a claimed push; only the claim holder may.
func finishPush(ctx context.Context, tx *Tx, id int64, claim, set string, args ...any) error {
	res, err := tx.ExecContext(ctx, `UPDATE push_queue SET `+set+` WHERE id = ? AND claim = ? AND state = 'queued'`, append(args, id, claim)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return instance.ErrConflict
	}
	return nil
}

// MarkPushSent implements instance.Store.
func (s *Store) MarkPushSent(ctx context.Context, id int64, claim string, now time.Time) error {
	err := s.tx(ctx, func(tx *Tx) error {
		if err := finishPush(ctx, tx, id, claim, `state = 'sent', attempts = attempts + 1, finished_at = ?, claim = NULL, claimed_until = NULL`,
			ts(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE push_subscriptions SET last_success_at = ?
			WHERE id = (SELECT subscription_id FROM push_queue WHERE id = ?)`, ts(now), id)
		return err
	})
	return wrapf(err, "store: push %d sent", id)
}

// RetryPush implements instance.Store.
func (s *Store) RetryPush(ctx context.Context, id int64, claim string, next time.Time, lastError string) error {
	if len(lastError) > 500 {
		lastError = lastError[:500]
	}
	set, args := `attempts = attempts + 1, next_attempt_at = ?, last_error = ?, claim = NULL, claimed_until = NULL`, []any{ts(next), lastError}
	if next.IsZero() {
		set, args = `state = 'failed', attempts = attempts + 1, last_error = ?, finished_at = claimed_until, claim = NULL, claimed_until = NULL`,
			[]any{lastError}
	}
	err := s.tx(ctx, func(tx *Tx) error { return finishPush(ctx, tx, id, claim, set, args...) })
	return wrapf(err, "store: retry push %d", id)
}

// DropPushSubscription implements instance.Store (the queue's rows for it
// go with it, by the foreign key).
func (s *Store) DropPushSubscription(ctx context.Context, subscriptionID int64) error {
	_, err := s.wr.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE id = ?`, subscriptionID)
	return wrapf(err, "store: drop device %d", subscriptionID)
}

// PurgePush implements instance.Store.
func (s *Store) PurgePush(ctx context.Context, before time.Time) (int, error) {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM push_queue WHERE state <> 'queued' AND finished_at < ?`, ts(before))
	if err != nil {
		return 0, fmt.Errorf("store: purge pushes: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// PushStates counts the push queue by state (for tests).
func (s *Store) PushStates(ctx context.Context) (map[string]int, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT state, count(*) FROM push_queue GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}
