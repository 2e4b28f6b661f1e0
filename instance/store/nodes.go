package store

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"hearth/instance"
)

// This file holds what several Hearth processes (nodes) on one database
// must agree on: leases (one holder at a time: a periodic sweep, an inbox
// lane), the throttles' counts, and the version of the blocks that every
// node caches.

// TakeLease takes the lease name for holder until until, or renews it,
// when it is free: never taken, run out at now, or holder's already. It
// reports whether holder has it now. One statement, so two nodes asking
// at once never both get it.
func (s *Store) TakeLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	res, err := s.wr.ExecContext(ctx, takeLease, name, holder, ts(until), ts(now))
	if err != nil {
		return false, fmt.Errorf("store: take lease %s for %s: %w", name, holder, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

const takeLease = `INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
	ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
	WHERE leases.until <= ?4 OR leases.holder = excluded.holder`

// TakeLeases is TakeLease for many names in one transaction; it returns
// the names holder has now.
func (s *Store) TakeLeases(ctx context.Context, names []string, holder string, now, until time.Time) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	var got []string
	err := s.tx(ctx, func(tx *Tx) error {
		got = got[:0]
		for _, name := range names {
			res, err := tx.ExecContext(ctx, takeLease, name, holder, ts(until), ts(now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				got = append(got, name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: take %d leases for %s: %w", len(names), holder, err)
	}
	return got, nil
}

// ReleaseLease gives a lease back, if holder has it, so another node may
// take it at once.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.wr.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("store: release lease %s for %s: %w", name, holder, err)
	}
	return nil
}

// PruneLeases forgets leases that ran out before before (inbox lanes of
// actors gone quiet).
func (s *Store) PruneLeases(ctx context.Context, before time.Time) (int, error) {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM leases WHERE until < ?`, ts(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune leases: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// SharedDatabase reports whether other processes may use this database at
// once (PostgreSQL), so work that one process coordinates in memory (its
// inbox lanes) must be leased in the database too.
func (s *Store) SharedDatabase() bool { return s.e.shared() }

// ClaimFedEvents takes due federation events nobody holds until until and
// returns them, oldest first: two nodes never publish the same event at
// once, and one a dead node held is due again when its lease runs out.
func (s *Store) ClaimFedEvents(ctx context.Context, now, until time.Time, limit int) ([]*instance.FedEvent, error) {
	// The worker asks four times a second: when nothing is due, a read
	// says so without taking the writer.
	var due int
	if err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM fed_events WHERE processed_at IS NULL AND next_attempt_at <= ?1
		AND (claimed_until IS NULL OR claimed_until <= ?1) LIMIT 1) AS d`, ts(now)).Scan(&due); err != nil {
		return nil, fmt.Errorf("store: claim federation events: %w", err)
	}
	if due == 0 {
		return nil, nil
	}
	out, err := queryAll(ctx, s.wr, func(row scanner) (*instance.FedEvent, error) {
		var e instance.FedEvent
		var created string
		err := row.Scan(&e.ID, &e.Subject, &e.SubjectID, &created, &e.Attempts)
		e.CreatedAt = parseTS(created)
		return &e, err
	}, `UPDATE fed_events SET claimed_until = ?1
		WHERE id IN (SELECT id FROM fed_events WHERE processed_at IS NULL AND next_attempt_at <= ?2
			AND (claimed_until IS NULL OR claimed_until <= ?2) ORDER BY id LIMIT ?3`+s.e.skipLocked()+`)
		AND processed_at IS NULL AND (claimed_until IS NULL OR claimed_until <= ?2)
		RETURNING id, subject, subject_id, created_at, attempts`, ts(until), ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim federation events: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Throttles (instance.ThrottleStore): events per key, in a sliding window
// the caller gives as since.

// TakeThrottle records an event for key at now if fewer than max were
// recorded after since, and reports whether it did; the count and the
// record are one transaction, so attempts made at once on several nodes
// are all counted.
func (s *Store) TakeThrottle(ctx context.Context, key string, max int, since, now time.Time) (bool, error) {
	took := false
	err := s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO throttle_events (key, at) SELECT ?1, ?2
			WHERE (SELECT count(*) FROM throttle_events WHERE key = ?1 AND at > ?3) < ?4`, key, ts(now), ts(since), max)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		took = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: throttle %s: %w", key, err)
	}
	return took, nil
}

// CountThrottle counts key's events after since.
func (s *Store) CountThrottle(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	if err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM throttle_events WHERE key = ? AND at > ?`, key, ts(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: throttle %s: %w", key, err)
	}
	return n, nil
}

// RecordThrottle records an event for key at now, whatever the count.
func (s *Store) RecordThrottle(ctx context.Context, key string, now time.Time) error {
	if _, err := s.wr.ExecContext(ctx, `INSERT INTO throttle_events (key, at) VALUES (?, ?)`, key, ts(now)); err != nil {
		return fmt.Errorf("store: throttle %s: %w", key, err)
	}
	return nil
}

// RefundThrottle takes back key's latest event after since.
func (s *Store) RefundThrottle(ctx context.Context, key string, since time.Time) error {
	if _, err := s.wr.ExecContext(ctx, `DELETE FROM throttle_events WHERE id = (SELECT max(id) FROM throttle_events WHERE key = ? AND at > ?)`,
		key, ts(since)); err != nil {
		return fmt.Errorf("store: refund throttle %s: %w", key, err)
	}
	return nil
}

// ResetThrottle forgets key's events.
func (s *Store) ResetThrottle(ctx context.Context, key string) error {
	if _, err := s.wr.ExecContext(ctx, `DELETE FROM throttle_events WHERE key = ?`, key); err != nil {
		return fmt.Errorf("store: reset throttle %s: %w", key, err)
	}
	return nil
}

// PruneThrottles forgets events older than before (the longest window).
func (s *Store) PruneThrottles(ctx context.Context, before time.Time) (int, error) {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM throttle_events WHERE at <= ?`, ts(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune throttles: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// blocksVersion is the version of the blocks as this node knows it: the
// versions row, bumped in every block's transaction, read again at most
// every blocksRecheck, so a block made on another node reaches this
// one's caches within that time at the cost of one indexed read per
// interval, whatever the traffic.
type blocksVersion struct {
	n       atomic.Uint64 // the versions row, as last read
	local   atomic.Uint64 // changes made through this Store: seen at once
	checked atomic.Int64  // unix nanoseconds of the last read
	reading sync.Mutex
}

const blocksRecheck = 250 * time.Millisecond

// bumpBlocks counts a change to the blocks, in its transaction.
func bumpBlocks(ctx context.Context, tx *Tx) error {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok && b.tx == tx {
		b.blocked = nil // the batch's answers about blocks are out of date
	}
	_, err := tx.ExecContext(ctx, `UPDATE versions SET n = n + 1 WHERE name = 'blocks'`)
	return err
}

// BlocksVersion changes whenever a block is added or lifted, on any node:
// at once for a change made through this Store, within blocksRecheck for
// one made by another process.
func (s *Store) BlocksVersion() uint64 {
	v := &s.blocks
	last := v.checked.Load()
	if time.Since(time.Unix(0, last)) < blocksRecheck || !v.reading.TryLock() {
		return v.n.Load() + v.local.Load() // fresh enough, or another caller is reading it
	}
	defer v.reading.Unlock()
	s.refreshBlocks()
	return v.n.Load() + v.local.Load()
}

// refreshBlocks reads the blocks' version from the database. A failed
// read keeps the last known version (and is retried at the next check).
func (s *Store) refreshBlocks() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	defer s.blocks.checked.Store(time.Now().UnixNano())
	var n int64
	if err := s.rd.QueryRowContext(ctx, `SELECT n FROM versions WHERE name = 'blocks'`).Scan(&n); err == nil {
		s.blocks.n.Store(uint64(n))
	}
}

// ShareRateCounts records node's counts of its inbox limits per key
// (replacing what it recorded before), forgets counts written before
// since (a node that stopped), and returns the other nodes' sums per key,
// in one transaction.
func (s *Store) ShareRateCounts(ctx context.Context, node string, counts map[string]int, now, since time.Time) (map[string]int, error) {
	others := map[string]int{}
	err := s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM rate_counts WHERE node = ? OR at < ?`, node, ts(since)); err != nil {
			return err
		}
		for k, n := range counts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO rate_counts (key, node, n, at) VALUES (?, ?, ?, ?)`, k, node, n, ts(now)); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT key, sum(n) FROM rate_counts WHERE node <> ? GROUP BY key`, node)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				return err
			}
			others[k] = n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: share inbox limit counts of node %s: %w", node, err)
	}
	return others, nil
}
