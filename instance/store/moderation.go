package store

import (
	"context"
	"math"
	"strings"
	"time"

	"hearth/instance"
)

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// writeLog inserts a moderation log line in the caller's transaction.
func writeLog(ctx context.Context, tx *Tx, l *instance.ModLog) error {
	if l == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO moderation_log (actor_id, action, subject, reason, report_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		nullID(l.ActorID), l.Action, l.Subject, l.Reason, nullID(l.ReportID), ts(l.CreatedAt))
	return err
}

// AddReport implements instance.Store: the report and, when it is to be
// forwarded, its Flag's federation event, in one transaction.
func (s *Store) AddReport(ctx context.Context, r *instance.Report, n instance.Notices) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO reports (reporter_id, remote_reporter, subject, item_id, response_id, member_id, remote_actor,
			category, details, forward, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) RETURNING id`,
			nullID(r.ReporterID), nullString(r.RemoteReporter), r.Subject, nullID(r.ItemID), nullID(r.ResponseID), nullID(r.MemberID),
			nullString(r.RemoteActor), r.Category, r.Details, r.Forward, ts(r.CreatedAt)).Scan(&id); err != nil {
			return err
		}
		if err := s.tell(ctx, tx, n, r.CreatedAt); err != nil {
			return err
		}
		if r.Forward {
			return fedEvent(ctx, tx, instance.SubjectFlag, id, r.CreatedAt)
		}
		return nil
	})
	return id, wrapf(err, "store: add report on %s", r.Subject)
}

const reportColumns = `r.id, COALESCE(r.reporter_id, 0), COALESCE(m.display_name, ''), COALESCE(r.remote_reporter, ''), r.subject,
	COALESCE(r.item_id, 0), COALESCE(r.response_id, 0), COALESCE(r.member_id, 0), COALESCE(r.remote_actor, ''), r.category, r.details,
	r.forward, r.status, r.created_at,
	COALESCE(i.title, s.display_name, ''), COALESCE(i.kind, ''), COALESCE(ra.username, ''), COALESCE(ra.host, ''), COALESCE(ra.name, '')`

const reportFrom = ` FROM reports r LEFT JOIN members m ON m.id = r.reporter_id LEFT JOIN items i ON i.id = r.item_id
	LEFT JOIN members s ON s.id = r.member_id LEFT JOIN remote_actors ra ON ra.id = r.remote_actor`

func scanReport(row scanner) (*instance.Report, error) {
	var r instance.Report
	var created, kind, user, host string
	if err := row.Scan(&r.ID, &r.ReporterID, &r.Reporter, &r.RemoteReporter, &r.Subject, &r.ItemID, &r.ResponseID, &r.MemberID,
		&r.RemoteActor, &r.Category, &r.Details, &r.Forward, &r.Status, &created, &r.SubjectTitle, &kind, &user, &host, &r.RemoteName); err != nil {
		return nil, err
	}
	if user != "" && host != "" {
		r.RemoteHandle = "@" + user + "@" + host
	}
	r.CreatedAt = parseTS(created)
	if r.ItemID != 0 && kind != "" {
		r.SubjectPath = (&instance.Item{Kind: instance.Kind(kind), ID: r.ItemID}).Path()
	}
	return &r, nil
}

// ListReports implements instance.Store.
func (s *Store) ListReports(ctx context.Context, status string) ([]*instance.Report, error) {
	return queryAll(ctx, s.rd, scanReport, `SELECT `+reportColumns+reportFrom+` WHERE r.status = ? ORDER BY r.id`, status)
}

// ReportByID implements instance.Store.
func (s *Store) ReportByID(ctx context.Context, id int64) (*instance.Report, error) {
	r, err := scanReport(s.rd.QueryRowContext(ctx, `SELECT `+reportColumns+reportFrom+` WHERE r.id = ?`, id))
	return r, notFound(err)
}

// ResolveReport implements instance.Store.
func (s *Store) ResolveReport(ctx context.Context, id int64, status string, now time.Time, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE reports SET status = ?, resolved_at = ?, resolved_by = ? WHERE id = ? AND status = 'open'`,
			status, ts(now), nullID(logActor(log)), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 && log != nil {
			return instance.ErrConflict
		}
		return writeLog(ctx, tx, log)
	}), "store: resolve report %d", id)
}

func logActor(l *instance.ModLog) int64 {
	if l == nil {
		return 0
	}
	return l.ActorID
}

// HideItem implements instance.Store.
func (s *Store) HideItem(ctx context.Context, id int64, reason string, now time.Time, log *instance.ModLog, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE items SET hidden_reason = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`, reason, ts(now), id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return instance.ErrNotFound
		}
		if err := fedEvent(ctx, tx, instance.SubjectItem, id, now); err != nil {
			return err
		}
		if err := s.tell(ctx, tx, n, now); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: hide item %d", id)
}

// ReleaseItem implements instance.Store.
func (s *Store) ReleaseItem(ctx context.Context, id int64, now time.Time, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE items SET held = 0, hidden_reason = NULL WHERE id = ? AND (held = 1 OR hidden_reason IS NOT NULL)`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		if err := fedEvent(ctx, tx, instance.SubjectItem, id, now); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: release item %d", id)
}

// ReleaseResponse implements instance.Store.
func (s *Store) ReleaseResponse(ctx context.Context, id int64, now time.Time, log *instance.ModLog, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE responses SET held = 0 WHERE id = ? AND held = 1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		if err := fedEvent(ctx, tx, instance.SubjectResponse, id, now); err != nil {
			return err
		}
		if err := s.tell(ctx, tx, n, now); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: release response %d", id)
}

// HeldItems implements instance.Store.
func (s *Store) HeldItems(ctx context.Context) ([]*instance.Item, error) {
	return queryAll(ctx, s.rd, scanItem, `SELECT `+itemColumns+itemFrom+` WHERE i.held = 1 AND i.deleted_at IS NULL ORDER BY i.id`)
}

// HeldResponses implements instance.Store.
func (s *Store) HeldResponses(ctx context.Context) ([]*instance.Response, error) {
	return queryAll(ctx, s.rd, scanResponse, `SELECT `+responseColumns+` FROM responses r LEFT JOIN members m ON m.id = r.author_id
		WHERE r.held = 1 AND r.deleted_at IS NULL ORDER BY r.id`)
}

// ModerateResponse implements instance.Store.
func (s *Store) ModerateResponse(ctx context.Context, id, by int64, now time.Time, log *instance.ModLog, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE responses SET deleted_at = ?, removed_by = ?, body = '', content_html = ''
			WHERE id = ? AND deleted_at IS NULL`, ts(now), by, id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return instance.ErrNotFound
		}
		if err := fedEvent(ctx, tx, instance.SubjectResponse, id, now); err != nil {
			return err
		}
		if err := s.tell(ctx, tx, n, now); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: remove response %d", id)
}

// WarnMember implements instance.Store.
func (s *Store) WarnMember(ctx context.Context, memberID int64, reason string, now time.Time, log *instance.ModLog, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if err := s.tell(ctx, tx, n, now); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: warn member %d", memberID)
}

// SuspendMember implements instance.Store.
func (s *Store) SuspendMember(ctx context.Context, memberID int64, now time.Time, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE members SET status = 'suspended' WHERE id = ? AND status = 'active'`, memberID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = ?`, memberID); err != nil {
			return err
		}
		if err := retractItems(ctx, tx, memberID, "the author was suspended", now, false); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: suspend member %d", memberID)
}

// retractItems hides (or deletes) every live item of a member and queues
// their retraction from the fediverse.
func retractItems(ctx context.Context, tx *Tx, memberID int64, reason string, now time.Time, delete bool) error {
	ids, err := queryAll(ctx, tx, scanID, `SELECT id FROM items WHERE author_id = ? AND deleted_at IS NULL AND hidden_reason IS NULL`, memberID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		q := `UPDATE items SET hidden_reason = ?, updated_at = ? WHERE id = ?`
		args := []any{reason, ts(now), id}
		if delete {
			q = `UPDATE items SET deleted_at = ?, updated_at = ?, description = '', address = '', contact = '', on_behalf_phone = '',
				on_behalf_name = CASE WHEN on_behalf_name <> '' THEN '-' ELSE '' END WHERE id = ?`
			args = []any{ts(now), ts(now), id}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		if err := fedEvent(ctx, tx, instance.SubjectItem, id, now); err != nil {
			return err
		}
	}
	return nil
}

// BlockDomain implements instance.Store: the block, its followers severed
// and pending deliveries to it stopped, in one transaction.
func (s *Store) BlockDomain(ctx context.Context, domain, reason string, by int64, now time.Time, log *instance.ModLog) error {
	defer s.blocks.local.Add(1)
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO blocked_domains (domain, reason, created_by, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (domain) DO UPDATE SET reason = excluded.reason`, domain, reason, nullID(by), ts(now)); err != nil {
			return err
		}
		like := "%." + domain
		for _, q := range []string{
			`DELETE FROM followers WHERE host = ?1 OR host LIKE ?2`,
			`UPDATE deliveries SET status = 'failed', last_error = 'blocked domain' WHERE status = 'pending' AND (host = ?1 OR host LIKE ?2)`,
		} {
			if _, err := tx.ExecContext(ctx, q, domain, like); err != nil {
				return err
			}
		}
		if err := bumpBlocks(ctx, tx); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: block domain %s", domain)
}

// UnblockDomain implements instance.Store.
func (s *Store) UnblockDomain(ctx context.Context, domain string, log *instance.ModLog, now time.Time) error {
	defer s.blocks.local.Add(1)
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM blocked_domains WHERE domain = ?`, domain); err != nil {
			return err
		}
		if err := bumpBlocks(ctx, tx); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: unblock domain %s", domain)
}

// BlockActor implements instance.Store.
func (s *Store) BlockActor(ctx context.Context, actor, reason string, by int64, now time.Time, log *instance.ModLog) error {
	defer s.blocks.local.Add(1)
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO blocked_actors (actor, reason, created_by, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (actor) DO UPDATE SET reason = excluded.reason`, actor, reason, nullID(by), ts(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM followers WHERE actor_id = ?`, actor); err != nil {
			return err
		}
		if err := bumpBlocks(ctx, tx); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: block actor %s", actor)
}

// BlockedDomains implements instance.Store.
func (s *Store) BlockedDomains(ctx context.Context) ([]string, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT domain FROM blocked_domains ORDER BY domain`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DomainBlocked reports whether host or one of its parent domains is
// blocked by a coordinator, in one query (the inbox worker asks for every
// activity it stores: one query per label of the host was most of its
// reads).
func (s *Store) DomainBlocked(ctx context.Context, host string) (bool, error) {
	var names []any
	for h := host; h != ""; {
		names = append(names, h)
		i := indexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	if len(names) == 0 {
		return false, nil
	}
	return s.batchIn(ctx).remember("domain "+host, func() (bool, error) {
		var n int
		err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM blocked_domains WHERE domain IN (?`+strings.Repeat(", ?", len(names)-1)+`)`, names...).Scan(&n)
		return n > 0, err
	})
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// BlockedActors lists blocked remote actors.
func (s *Store) BlockedActors(ctx context.Context) ([]string, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT actor FROM blocked_actors`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ActorBlocked reports whether a remote actor is blocked.
func (s *Store) ActorBlocked(ctx context.Context, actor string) (bool, error) {
	return s.batchIn(ctx).remember("actor "+actor, func() (bool, error) {
		var n int
		err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM blocked_actors WHERE actor = ?`, actor).Scan(&n)
		return n > 0, err
	})
}

// LogModeration implements instance.Store.
func (s *Store) LogModeration(ctx context.Context, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error { return writeLog(ctx, tx, log) }), "store: log moderation")
}

// ModerationLog implements instance.Store.
func (s *Store) ModerationLog(ctx context.Context, limit int) ([]*instance.ModLog, error) {
	return s.ModerationLogBefore(ctx, 0, limit)
}

// ModerationLogBefore implements instance.Store.
func (s *Store) ModerationLogBefore(ctx context.Context, before int64, limit int) ([]*instance.ModLog, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := s.rd.QueryContext(ctx, `SELECT l.id, COALESCE(l.actor_id, 0), COALESCE(m.display_name, 'command line'), l.action, l.subject,
		l.reason, COALESCE(l.report_id, 0), l.created_at FROM moderation_log l LEFT JOIN members m ON m.id = l.actor_id
		WHERE l.id < ? ORDER BY l.id DESC LIMIT ?`, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*instance.ModLog
	for rows.Next() {
		var l instance.ModLog
		var created string
		if err := rows.Scan(&l.ID, &l.ActorID, &l.Actor, &l.Action, &l.Subject, &l.Reason, &l.ReportID, &created); err != nil {
			return nil, err
		}
		l.CreatedAt = parseTS(created)
		out = append(out, &l)
	}
	return out, rows.Err()
}
