package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"hearth/instance"
)

// This file holds federation's queues: inbound activities (processed in
// lanes, one per actor, retried with backoff), deliveries (claimed with a
// lease, recorded one by one) and the state of remote hosts (the circuit
// that makes every delivery to a host that is down wait for its backoff).

const enqueueInbox = `INSERT INTO inbox_queue (activity_id, dedupe_key, actor, host, type, body, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (dedupe_key) DO NOTHING`

const finishInbox = `UPDATE inbox_queue SET processed_at = CASE WHEN ?1 <> 0 THEN ?2 END,
	error = ?3, attempts = attempts + 1, next_attempt_at = ?5 WHERE id = ?4`

// inboxHost is the authority (host[:port]) an activity's actor is on, the
// unit the inbox worker shares itself out by.
func inboxHost(actor string) string {
	u, err := url.Parse(actor)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// EnqueueInboxBatch records many verified activities in one transaction
// (group commit; on PostgreSQL a group of up to enqueueRows is one
// statement); for each it reports whether it was new. A key already
// recorded (a replay, or a server re-sending) is not queued again. On
// PostgreSQL it takes no write lock (noLock): the inbox answers while the
// worker's batch or a fan-out holds it.
func (s *Store) EnqueueInboxBatch(ctx context.Context, rows []*instance.InboxRow, now time.Time) ([]bool, error) {
	fresh := make([]bool, len(rows))
	if s.e == postgresEngine && len(rows) <= enqueueRows && s.batchIn(ctx) == nil {
		// One statement is atomic on its own: outside a transaction it is
		// one round trip to the server instead of three (BEGIN, the
		// INSERT, COMMIT).
		return fresh, enqueueInboxRows(ctx, s.wr, rows, fresh, now)
	}
	err := s.withTx(ctx, noLock, func(tx *Tx) error {
		if s.e == postgresEngine {
			// Many rows a statement: each statement is a round trip.
			for start := 0; start < len(rows); start += enqueueRows {
				if err := enqueueInboxRows(ctx, tx, rows[start:min(len(rows), start+enqueueRows)], fresh[start:], now); err != nil {
					return err
				}
			}
			return nil
		}
		stmt, err := s.wr.inTx(ctx, tx, enqueueInbox)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, r := range rows {
			res, err := stmt.ExecContext(ctx, r.ActivityID, r.DedupeKey(), r.Actor, inboxHost(r.Actor), r.Type, string(r.Body), ts(now))
			if err != nil {
				return fmt.Errorf("store: enqueue inbound activity %s: %w", r.ActivityID, err)
			}
			n, _ := res.RowsAffected()
			fresh[i] = n == 1
		}
		return nil
	})
	return fresh, err
}

// enqueueRows is how many activities one INSERT of the inbox queue takes.
const enqueueRows = 50

// enqueueInboxRows inserts rows in one statement and marks in fresh those
// it stored: the keys it returns (a key already queued, or twice in rows,
// is stored once).
func enqueueInboxRows(ctx context.Context, tx querier, rows []*instance.InboxRow, fresh []bool, now time.Time) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO inbox_queue (activity_id, dedupe_key, actor, host, type, body, received_at) VALUES `)
	args := make([]any, 0, 6*len(rows)+1)
	args = append(args, ts(now))
	first := make(map[string]int, len(rows)) // key → its first row
	for i, r := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		n := len(args) + 1
		fmt.Fprintf(&q, "(?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?1)", n, n+1, n+2, n+3, n+4, n+5)
		key := r.DedupeKey()
		args = append(args, r.ActivityID, key, r.Actor, inboxHost(r.Actor), r.Type, string(r.Body))
		if _, ok := first[key]; !ok {
			first[key] = i
		}
	}
	q.WriteString(` ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key`)
	res, err := tx.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return fmt.Errorf("store: enqueue %d inbound activities: %w", len(rows), err)
	}
	defer res.Close()
	for res.Next() {
		var key string
		if err := res.Scan(&key); err != nil {
			return err
		}
		if i, ok := first[key]; ok {
			fresh[i] = true
		}
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("store: enqueue %d inbound activities: %w", len(rows), err)
	}
	return res.Close()
}

const inboxColumns = `id, activity_id, actor, type, body, attempts, received_at, next_attempt_at`

func scanInbox(row scanner) (*instance.InboxActivity, error) {
	var a instance.InboxActivity
	var body, received, next string
	if err := row.Scan(&a.ID, &a.ActivityID, &a.Actor, &a.Type, &body, &a.Attempts, &received, &next); err != nil {
		return nil, err
	}
	a.Body, a.ReceivedAt, a.NextAttemptAt = []byte(body), parseTS(received), parseTS(next)
	return &a, nil
}

// NextInbox returns unprocessed inbound activities, oldest first, whether
// due or waiting to be retried (for tests and the operator; the worker
// reads lanes).
func (s *Store) NextInbox(ctx context.Context, limit int) ([]*instance.InboxActivity, error) {
	return queryAll(ctx, s.rd, scanInbox, `SELECT `+inboxColumns+` FROM inbox_queue WHERE processed_at IS NULL ORDER BY id LIMIT ?`, limit)
}

// InboxHosts lists the hosts with unprocessed inbound activities, walking
// the (host, id) index from one host to the next instead of reading every
// queued row: a backlog of 20,000 activities from one server costs one
// step, not 20,000.
func (s *Store) InboxHosts(ctx context.Context, limit int) ([]string, error) {
	return queryAll(ctx, s.rd, func(row scanner) (string, error) {
		var h string
		err := row.Scan(&h)
		return h, err
	}, `WITH RECURSIVE h(host) AS (
		SELECT (SELECT host FROM inbox_queue WHERE processed_at IS NULL ORDER BY host LIMIT 1)
		UNION ALL
		SELECT (SELECT host FROM inbox_queue WHERE processed_at IS NULL AND host > h.host ORDER BY host LIMIT 1) FROM h WHERE h.host IS NOT NULL
	) SELECT host FROM h WHERE host IS NOT NULL LIMIT ?`, limit)
}

// InboxWindow returns the oldest unprocessed activities from one host,
// without their bodies, for the worker to find each actor's next one.
func (s *Store) InboxWindow(ctx context.Context, host string, limit int) ([]*instance.InboxHead, error) {
	return queryAll(ctx, s.rd, func(row scanner) (*instance.InboxHead, error) {
		var h instance.InboxHead
		var next string
		err := row.Scan(&h.ID, &h.Actor, &h.Host, &h.Attempts, &next)
		h.NextAttemptAt = parseTS(next)
		return &h, err
	}, `SELECT id, actor, host, attempts, next_attempt_at FROM inbox_queue WHERE host = ? AND processed_at IS NULL ORDER BY id LIMIT ?`, host, limit)
}

// InboxLane returns an actor's unprocessed activities after afterID, in
// the order they arrived.
func (s *Store) InboxLane(ctx context.Context, actor string, afterID int64, limit int) ([]*instance.InboxActivity, error) {
	return queryAll(ctx, s.rd, scanInbox, `SELECT `+inboxColumns+` FROM inbox_queue
		WHERE actor = ? AND processed_at IS NULL AND id > ? ORDER BY id LIMIT ?`, actor, afterID, limit)
}

// FinishInbox records the results of inbound activities in one
// transaction: one write for a lane's chunk instead of one per activity,
// which matters when a burst is being ingested at the same time.
// Activities that are not Done stay queued until their Next attempt.
func (s *Store) FinishInbox(ctx context.Context, results []instance.InboxResult, now time.Time) error {
	if len(results) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *Tx) error {
		stmt, err := s.wr.inTx(ctx, tx, finishInbox)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range results {
			next := ""
			if !r.Done {
				next = ts(r.Next)
			}
			if _, err := stmt.ExecContext(ctx, r.Done, ts(now), r.Err, r.ID, next); err != nil {
				return fmt.Errorf("store: finish inbound activity %d: %w", r.ID, err)
			}
		}
		return nil
	})
}

// insertDeliveries queues deliveries. One to a host whose circuit is open
// waits until it closes, so the worker does not even look at it before.
func insertDeliveries(ctx context.Context, tx *Tx, list []*instance.Delivery, now time.Time) error {
	// Fifty rows a statement: a fan-out to 200 inboxes was 200 statements,
	// each a round trip on PostgreSQL while the write lock is held (posting
	// the next need waited for them).
	const batch = 50
	for start := 0; start < len(list); start += batch {
		part := list[start:min(len(list), start+batch)]
		var q strings.Builder
		q.WriteString(`INSERT INTO deliveries (inbox, host, signer, activity_id, body, status, next_attempt_at, created_at)
			SELECT column1, column2, column3, column4, column5, 'pending', ` +
			tx.e.greatest("?1", "coalesce((SELECT retry_at FROM hosts WHERE host = column2), '')") + `, ?1 FROM (VALUES `)
		args := []any{ts(now)}
		for i, d := range part {
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args) + 1
			fmt.Fprintf(&q, "(?%d, ?%d, ?%d, ?%d, ?%d)", n, n+1, n+2, n+3, n+4)
			args = append(args, d.Inbox, d.Host, d.Signer, d.ActivityID, string(d.Body))
		}
		// WHERE true: SQLite reads ON after a bare FROM (…) as a join's.
		q.WriteString(`) AS v WHERE true ON CONFLICT (inbox, activity_id) DO NOTHING`)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("store: queue %d deliveries of %s: %w", len(part), part[0].ActivityID, err)
		}
	}
	return nil
}

// EnqueueDeliveries queues deliveries outside an event (an Accept).
func (s *Store) EnqueueDeliveries(ctx context.Context, list []*instance.Delivery, now time.Time) error {
	return s.tx(ctx, func(tx *Tx) error { return insertDeliveries(ctx, tx, list, now) })
}

const deliveryColumns = `id, inbox, host, signer, activity_id, body, attempts, next_attempt_at, last_error, created_at`

func scanDelivery(row scanner) (*instance.Delivery, error) {
	var d instance.Delivery
	var body, next, created string
	if err := row.Scan(&d.ID, &d.Inbox, &d.Host, &d.Signer, &d.ActivityID, &body, &d.Attempts, &next, &d.LastError, &created); err != nil {
		return nil, err
	}
	d.Body, d.NextAttemptAt, d.CreatedAt = []byte(body), parseTS(next), parseTS(created)
	return &d, nil
}

// DueDeliveries returns pending deliveries whose time has come, claimed or
// not (for tests and the operator; the worker claims them).
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*instance.Delivery, error) {
	return queryAll(ctx, s.rd, scanDelivery, `SELECT `+deliveryColumns+`
		FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, ts(now), limit)
}

// DeliveryCandidates returns due deliveries nobody holds, at most perHost
// of each host, hosts whose circuit is open left out, taking each host's
// oldest first and the hosts in turn (so one host's backlog does not fill
// the list).
func (s *Store) DeliveryCandidates(ctx context.Context, now time.Time, perHost, limit int) ([]instance.DeliveryCandidate, error) {
	return queryAll(ctx, s.rd, func(row scanner) (instance.DeliveryCandidate, error) {
		var c instance.DeliveryCandidate
		err := row.Scan(&c.ID, &c.Host, &c.HostFailures)
		return c, err
	}, `SELECT id, host, failures FROM (
		SELECT d.id, d.host, coalesce(h.failures, 0) AS failures, d.next_attempt_at,
			row_number() OVER (PARTITION BY d.host ORDER BY d.next_attempt_at, d.id) AS rn
		FROM deliveries d`+s.e.indexedBy("deliveries_due")+` LEFT JOIN hosts h ON h.host = d.host
		WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 AND (d.claimed_until IS NULL OR d.claimed_until <= ?1)
			AND (h.retry_at IS NULL OR h.retry_at <= ?1)
	) AS c WHERE rn <= ?2 ORDER BY rn, next_attempt_at, id LIMIT ?3`, ts(now), perHost, limit)
}

// ClaimDeliveries takes the given deliveries until the lease ends, those
// still pending and not held by someone else, and returns them: a row is
// never attempted twice at once, and one whose worker died is free again
// when its lease runs out.
func (s *Store) ClaimDeliveries(ctx context.Context, ids []int64, now, until time.Time) ([]*instance.Delivery, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := queryAll(ctx, s.wr, scanDelivery, `UPDATE deliveries SET claimed_until = ?1
		WHERE id IN (SELECT id FROM deliveries WHERE id IN (`+s.e.idsIn("?3")+`)
			AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?2)`+s.e.skipLocked()+`)
		AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?2)
		RETURNING `+deliveryColumns, ts(until), ts(now), jsonIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("store: claim %d deliveries: %w", len(ids), err)
	}
	return out, nil
}

// ReleaseDeliveries gives claimed deliveries back without an attempt (the
// worker is stopping), so they are due again at once.
func (s *Store) ReleaseDeliveries(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		if _, err := s.wr.ExecContext(ctx, `UPDATE deliveries SET claimed_until = NULL WHERE id = ? AND status = 'pending'`, id); err != nil {
			return fmt.Errorf("store: release delivery %d: %w", id, err)
		}
	}
	return nil
}

// FinishDelivery records one attempt as soon as it ends, with what it
// says about its host: a success closes the host's circuit and ends its
// failing streak; a host-level failure opens the circuit until
// HostRetryAt (unless it is open already: attempts that were in flight
// together count once) and moves the host's other waiting deliveries to
// then.
func (s *Store) FinishDelivery(ctx context.Context, r instance.DeliveryResult, now time.Time) error {
	err := s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?,
			claimed_until = NULL WHERE id = ?`, r.Status, ts(r.Next), r.Error, r.ID); err != nil {
			return err
		}
		switch {
		case r.Success:
			_, err := tx.ExecContext(ctx, `INSERT INTO hosts (host, last_success_at) VALUES (?, ?)
				ON CONFLICT (host) DO UPDATE SET failing_since = NULL, failures = 0, retry_at = NULL, last_success_at = excluded.last_success_at`,
				r.Host, ts(now))
			return err
		case r.Status == "done":
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO hosts (host, failing_since) VALUES (?, ?)
			ON CONFLICT (host) DO UPDATE SET failing_since = coalesce(hosts.failing_since, excluded.failing_since)`, r.Host, ts(now)); err != nil {
			return err
		}
		if !r.HostDown {
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE hosts SET failures = failures + 1, retry_at = ?1
			WHERE host = ?2 AND (retry_at IS NULL OR retry_at <= ?3)`, ts(r.HostRetryAt), r.Host, ts(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already open: another attempt opened it
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ?1
			WHERE host = ?2 AND status = 'pending' AND next_attempt_at < ?1 AND (claimed_until IS NULL OR claimed_until <= ?3)`,
			ts(r.HostRetryAt), r.Host, ts(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: finish delivery %d to %s: %w", r.ID, r.Host, err)
	}
	return nil
}

// HostState returns what the delivery worker knows of a host (zero values
// for a host never seen failing).
func (s *Store) HostState(ctx context.Context, host string) (instance.HostState, error) {
	var since, retry sql.NullString
	var st instance.HostState
	err := s.rd.QueryRowContext(ctx, `SELECT failing_since, failures, retry_at FROM hosts WHERE host = ?`, host).Scan(&since, &st.Failures, &retry)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("store: host %s: %w", host, err)
	}
	if since.Valid {
		st.FailingSince = parseTS(since.String)
	}
	if retry.Valid {
		st.RetryAt = parseTS(retry.String)
	}
	return st, nil
}

// HostFailingSince returns when a host started failing (zero if it is fine).
func (s *Store) HostFailingSince(ctx context.Context, host string) (time.Time, error) {
	st, err := s.HostState(ctx, host)
	return st.FailingSince, err
}

// HostAnswered clears a host's failing streak (it sent us something). Its
// circuit stays as it is: a server that sends can still fail to receive.
func (s *Store) HostAnswered(ctx context.Context, host string, now time.Time) error {
	_, err := s.wr.ExecContext(ctx, `UPDATE hosts SET failing_since = NULL, last_success_at = ? WHERE host = ? AND failing_since IS NOT NULL`, ts(now), host)
	return err
}

// DeliveryStats counts deliveries by status (for tests and the operator).
func (s *Store) DeliveryStats(ctx context.Context) (map[string]int, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT status, count(*) FROM deliveries GROUP BY status`)
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

// FederationBacklog counts what the federation workers still have to do:
// unprocessed inbound activities and events, and pending deliveries (for
// the operator and for tests that wait for the queues to drain).
func (s *Store) FederationBacklog(ctx context.Context) (inbox, events, deliveries int, err error) {
	err = s.rd.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM inbox_queue WHERE processed_at IS NULL),
		(SELECT count(*) FROM fed_events WHERE processed_at IS NULL),
		(SELECT count(*) FROM deliveries WHERE status = 'pending')`).Scan(&inbox, &events, &deliveries)
	return inbox, events, deliveries, err
}
