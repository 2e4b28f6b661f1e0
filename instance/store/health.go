package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	"hearth/instance"
)

// readyTimeout bounds the readiness check: a database that takes longer
// to answer than this is not ready.
const readyTimeout = 2 * time.Second

// Ready checks that the database answers (the schema version is read from
// the file's header, so the file itself is reached; on PostgreSQL from
// schema_version) and that it is migrated to exactly this build's schema. Errors wrap
// instance.ErrUnavailable.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var v int
	if err := s.rd.QueryRowContext(ctx, s.e.schemaVersionQuery()).Scan(&v); err != nil {
		return fmt.Errorf("store: ready: %w: %w", instance.ErrUnavailable, err)
	}
	if want := SchemaVersion(); v != want {
		return fmt.Errorf("store: ready: %w: database schema %d, this build expects %d", instance.ErrUnavailable, v, want)
	}
	if s.path == "" {
		return nil // PostgreSQL: no file of ours
	}
	if now, err := os.Stat(s.path); err != nil || !os.SameFile(now, s.file) {
		return fmt.Errorf("store: ready: %w: the database file %s was removed or replaced while Hearth ran (restart Hearth): %v",
			instance.ErrUnavailable, s.path, err)
	}
	return nil
}

// Pools returns the connection pools by name, for their statistics
// (database/sql DBStats): on SQLite the "reader" pool and the single
// "writer" connection, on PostgreSQL the one "pool" both share.
func (s *Store) Pools() map[string]*sql.DB {
	if s.w == s.db {
		return map[string]*sql.DB{"pool": s.db}
	}
	return map[string]*sql.DB{"reader": s.db, "writer": s.w}
}

// queueStats counts each queue with one indexed count and the oldest row
// by id (ids grow with time, so the smallest waiting id is the oldest).
const queueStats = `
SELECT 'inbox', count(*), coalesce((SELECT received_at FROM inbox_queue WHERE id =
	(SELECT min(id) FROM inbox_queue WHERE processed_at IS NULL)), '') FROM inbox_queue WHERE processed_at IS NULL
UNION ALL
SELECT 'deliveries', count(*), coalesce((SELECT created_at FROM deliveries WHERE id =
	(SELECT min(id) FROM deliveries WHERE status = 'pending')), '') FROM deliveries WHERE status = 'pending'
UNION ALL
SELECT 'fed_events', count(*), coalesce((SELECT created_at FROM fed_events WHERE id =
	(SELECT min(id) FROM fed_events WHERE processed_at IS NULL)), '') FROM fed_events WHERE processed_at IS NULL
UNION ALL
SELECT 'mail', count(*), coalesce((SELECT created_at FROM mail_queue WHERE id =
	(SELECT min(id) FROM mail_queue WHERE state = 'queued')), '') FROM mail_queue WHERE state = 'queued'
UNION ALL
SELECT 'push', count(*), coalesce((SELECT created_at FROM push_queue WHERE id =
	(SELECT min(id) FROM push_queue WHERE state = 'queued')), '') FROM push_queue WHERE state = 'queued'`

// QueueStats implements instance.HealthStore.
func (s *Store) QueueStats(ctx context.Context) ([]instance.QueueStat, error) {
	out, err := queryAll(ctx, s.rd, func(row scanner) (instance.QueueStat, error) {
		var q instance.QueueStat
		var oldest string
		err := row.Scan(&q.Queue, &q.Depth, &oldest)
		q.Oldest = parseTS(oldest)
		return q, err
	}, queueStats)
	return out, wrapf(err, "store: queue stats")
}

// FailingHosts implements instance.HealthStore: the hosts in a failing
// streak, with their pending deliveries and the latest error among them.
func (s *Store) FailingHosts(ctx context.Context, limit int) ([]instance.FailingHost, error) {
	out, err := queryAll(ctx, s.rd, func(row scanner) (instance.FailingHost, error) {
		var h instance.FailingHost
		var since string
		var retry, next sql.NullString
		err := row.Scan(&h.Host, &since, &h.Failures, &retry, &h.Pending, &next, &h.LastError)
		h.FailingSince, h.RetryAt, h.NextAttempt = parseTS(since), parseTS(retry.String), parseTS(next.String)
		return h, err
	}, `SELECT h.host, h.failing_since, h.failures, h.retry_at,
		(SELECT count(*) FROM deliveries d WHERE d.host = h.host AND d.status = 'pending'),
		(SELECT min(d.next_attempt_at) FROM deliveries d WHERE d.host = h.host AND d.status = 'pending'),
		coalesce((SELECT d.last_error FROM deliveries d WHERE d.host = h.host AND d.status = 'pending' AND d.last_error <> ''
			ORDER BY d.next_attempt_at DESC LIMIT 1), '')
		FROM hosts h WHERE h.failing_since IS NOT NULL ORDER BY h.failing_since, h.host LIMIT ?`, limit)
	return out, wrapf(err, "store: failing hosts")
}
