package store

import (
	"context"
	"fmt"
	"time"

	"hearth/instance"
)

// AddVerification implements instance.Store: the record, and the
// verified-helper role it grants, in one transaction.
func (s *Store) AddVerification(ctx context.Context, v *instance.Verification, now time.Time, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO verifications (member_id, check_type, verified_by, verified_on, expires_on) VALUES (?, ?, ?, ?, ?)`,
			v.MemberID, v.CheckType, nullID(v.VerifiedBy), ts(v.VerifiedOn), ts(v.ExpiresOn)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO member_roles (member_id, role) VALUES (?, 'verified_helper') ON CONFLICT DO NOTHING`, v.MemberID); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: add verification for member %d", v.MemberID)
}

// dropVerifiedRole removes the role when no live verification remains.
func dropVerifiedRole(ctx context.Context, tx *Tx, memberID int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM member_roles WHERE member_id = ?1 AND role = 'verified_helper' AND NOT EXISTS (
		SELECT 1 FROM verifications WHERE member_id = ?1 AND revoked_at IS NULL AND expires_on > ?2)`, memberID, ts(now))
	return err
}

// RevokeVerification implements instance.Store.
func (s *Store) RevokeVerification(ctx context.Context, id int64, reason string, now time.Time, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		var memberID int64
		if err := tx.QueryRowContext(ctx, `SELECT member_id FROM verifications WHERE id = ? AND revoked_at IS NULL`, id).Scan(&memberID); err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE verifications SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ?`,
			ts(now), nullID(logActor(log)), reason, id); err != nil {
			return err
		}
		if err := dropVerifiedRole(ctx, tx, memberID, now); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: revoke verification %d", id)
}

// Verifications implements instance.Store.
func (s *Store) Verifications(ctx context.Context, memberID int64) ([]*instance.Verification, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT v.id, v.member_id, v.check_type, COALESCE(v.verified_by, 0), COALESCE(m.display_name, ''),
		v.verified_on, v.expires_on, v.revoked_at IS NOT NULL, v.revoke_reason
		FROM verifications v LEFT JOIN members m ON m.id = v.verified_by WHERE v.member_id = ? ORDER BY v.id`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*instance.Verification
	for rows.Next() {
		var v instance.Verification
		var on, until string
		if err := rows.Scan(&v.ID, &v.MemberID, &v.CheckType, &v.VerifiedBy, &v.VerifiedByName, &on, &until, &v.Revoked, &v.RevokeReason); err != nil {
			return nil, err
		}
		v.VerifiedOn, v.ExpiresOn = parseTS(on), parseTS(until)
		out = append(out, &v)
	}
	return out, rows.Err()
}

// VerificationByID implements instance.Store.
func (s *Store) VerificationByID(ctx context.Context, id int64) (*instance.Verification, error) {
	var v instance.Verification
	var on, until string
	err := s.rd.QueryRowContext(ctx, `SELECT id, member_id, check_type, COALESCE(verified_by, 0), verified_on, expires_on,
		revoked_at IS NOT NULL, revoke_reason FROM verifications WHERE id = ?`, id).Scan(&v.ID, &v.MemberID, &v.CheckType, &v.VerifiedBy,
		&on, &until, &v.Revoked, &v.RevokeReason)
	if err != nil {
		return nil, wrapf(notFound(err), "store: verification %d", id)
	}
	v.VerifiedOn, v.ExpiresOn = parseTS(on), parseTS(until)
	return &v, nil
}

// ExpireVerifications implements instance.Store: helpers whose every
// verification has expired lose the verified-helper role.
func (s *Store) ExpireVerifications(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM member_roles WHERE role = 'verified_helper'
			AND member_id IN (SELECT member_id FROM verifications)
			AND NOT EXISTS (SELECT 1 FROM verifications v WHERE v.member_id = member_roles.member_id AND v.revoked_at IS NULL AND v.expires_on > ?)`,
			ts(now))
		if err != nil {
			return err
		}
		c, _ := res.RowsAffected()
		n = int(c)
		if n > 0 {
			return writeLog(ctx, tx, &instance.ModLog{Action: "verifications expired", Subject: "verified helpers", CreatedAt: now})
		}
		return nil
	})
	return n, wrapf(err, "store: expire verifications")
}

// AddConcern implements instance.Store.
// AddConcern implements instance.Store: the concern and the notices that
// one needs a lead, in one transaction.
func (s *Store) AddConcern(ctx context.Context, c *instance.Concern, n instance.Notices) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO concerns (reporter_id, about, details, status, created_at) VALUES (?, ?, ?, 'open', ?) RETURNING id`,
			nullID(c.ReporterID), c.About, c.Details, ts(c.CreatedAt)).Scan(&id); err != nil {
			return err
		}
		return s.tell(ctx, tx, n, c.CreatedAt)
	})
	return id, wrapf(err, "store: add concern")
}

const concernColumns = `c.id, COALESCE(c.reporter_id, 0), COALESCE(m.display_name, ''), c.about, c.details, c.status, c.created_at`

func scanConcern(row scanner) (*instance.Concern, error) {
	var c instance.Concern
	var created string
	if err := row.Scan(&c.ID, &c.ReporterID, &c.Reporter, &c.About, &c.Details, &c.Status, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = parseTS(created)
	return &c, nil
}

// Concerns implements instance.Store.
func (s *Store) Concerns(ctx context.Context) ([]*instance.Concern, error) {
	return queryAll(ctx, s.rd, scanConcern, `SELECT `+concernColumns+` FROM concerns c LEFT JOIN members m ON m.id = c.reporter_id
		ORDER BY c.status DESC, c.id DESC`)
}

// ConcernByID implements instance.Store.
func (s *Store) ConcernByID(ctx context.Context, id int64) (*instance.Concern, error) {
	c, err := scanConcern(s.rd.QueryRowContext(ctx, `SELECT `+concernColumns+` FROM concerns c LEFT JOIN members m ON m.id = c.reporter_id
		WHERE c.id = ?`, id))
	if err != nil {
		return nil, notFound(err)
	}
	rows, err := s.rd.QueryContext(ctx, `SELECT l.id, COALESCE(l.actor_id, 0), COALESCE(m.display_name, ''), l.action, l.note, l.created_at
		FROM concern_log l LEFT JOIN members m ON m.id = l.actor_id WHERE l.concern_id = ? ORDER BY l.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var l instance.ModLog
		var created string
		if err := rows.Scan(&l.ID, &l.ActorID, &l.Actor, &l.Action, &l.Reason, &created); err != nil {
			return nil, err
		}
		l.CreatedAt = parseTS(created)
		c.Log = append(c.Log, l)
	}
	return c, rows.Err()
}

// LogConcern implements instance.Store.
func (s *Store) LogConcern(ctx context.Context, id int64, log *instance.ModLog, close bool) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO concern_log (concern_id, actor_id, action, note, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, nullID(log.ActorID), log.Action, log.Reason, ts(log.CreatedAt)); err != nil {
			return err
		}
		if close {
			_, err := tx.ExecContext(ctx, `UPDATE concerns SET status = 'closed' WHERE id = ?`, id)
			return err
		}
		return nil
	}), "store: log concern %d", id)
}

// SetOnBreak implements instance.Store.
func (s *Store) SetOnBreak(ctx context.Context, memberID int64, on bool) error {
	return wrapf(s.execOne(ctx, `UPDATE members SET on_break = ? WHERE id = ?`, on, memberID), "store: set break of member %d", memberID)
}

// PurgeClosedNeeds implements instance.Store: needs closed or done before
// `before` lose their exact address and contact details for good.
func (s *Store) PurgeClosedNeeds(ctx context.Context, before, now time.Time) (int, error) {
	// Private messages go with the address: they are as private, and as
	// little needed once the need is over (or deleted).
	if _, err := s.wr.ExecContext(ctx, `DELETE FROM need_messages WHERE item_id IN (SELECT id FROM items
		WHERE kind = 'need' AND ((state IN ('closed', 'done') AND updated_at < ?1) OR deleted_at IS NOT NULL))`, ts(before)); err != nil {
		return 0, fmt.Errorf("store: purge private messages: %w", err)
	}
	res, err := s.wr.ExecContext(ctx, `UPDATE items SET address = '', contact = '', on_behalf_phone = '', purged_at = ?
		WHERE kind = 'need' AND state IN ('closed', 'done') AND updated_at < ? AND purged_at IS NULL
		AND (address <> '' OR contact <> '' OR on_behalf_phone <> '')`, ts(now), ts(before))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteAccount implements instance.Store: items and replies deleted (and
// their retraction queued), personal details erased, sessions ended, the
// handle kept so nobody else can take over the name.
func (s *Store) DeleteAccount(ctx context.Context, memberID int64, now time.Time, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if err := retractItems(ctx, tx, memberID, "", now, true); err != nil {
			return err
		}
		ids, err := queryAll(ctx, tx, scanID, `SELECT id FROM responses WHERE author_id = ? AND deleted_at IS NULL`, memberID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE responses SET deleted_at = ?, body = '' WHERE id = ?`, ts(now), id); err != nil {
				return err
			}
			if err := fedEvent(ctx, tx, instance.SubjectResponse, id, now); err != nil {
				return err
			}
		}
		for _, q := range []string{
			`UPDATE members SET display_name = 'Deleted member', email = NULL, phone = '', pronouns = '', application_answer = '',
				password_hash = '!', status = 'suspended', deleted_at = ?1 WHERE id = ?2`,
			`DELETE FROM sessions WHERE member_id = ?2`,
			`DELETE FROM interests WHERE member_id = ?2`,
			`DELETE FROM attendees WHERE member_id = ?2`,
			`DELETE FROM notifications WHERE member_id = ?2`,
			`DELETE FROM mail_queue WHERE member_id = ?2`,
			`DELETE FROM notice_prefs WHERE member_id = ?2`,
			`DELETE FROM member_categories WHERE member_id = ?2`,
			`DELETE FROM digests WHERE member_id = ?2`,
			`DELETE FROM push_subscriptions WHERE member_id = ?2`,
			`DELETE FROM need_messages WHERE author_id = ?2`,
			`UPDATE notifications SET actor_name = '', actor_id = NULL WHERE actor_id = ?2`,
			`DELETE FROM member_roles WHERE member_id = ?2`,
			`DELETE FROM email_tokens WHERE member_id = ?2`,
			`DELETE FROM push_queue WHERE member_id = ?2`,
			`DELETE FROM atom_feeds WHERE member_id = ?2`,
			`DELETE FROM series_regulars WHERE member_id = ?2`,
			// A suspended member's votes and answers no longer count
			// (countedVote): deleting them changes no result.
			`DELETE FROM poll_votes WHERE member_id = ?2`,
			`DELETE FROM proposal_answers WHERE member_id = ?2`,
			// Ballots are secret: the ballot stays counted, unlinked from
			// its voter, as CloseRound does for every ballot.
			`UPDATE budget_ballots SET voter_id = NULL WHERE voter_id = ?2`,
			`DELETE FROM budget_voters WHERE member_id = ?2`,
			// A project nobody can have voted for yet goes; one in a round
			// being voted on or closed stays, by "Deleted member".
			`DELETE FROM budget_projects WHERE author_id = ?2 AND round_id IN
				(SELECT id FROM budget_rounds WHERE closed_at IS NULL AND voting_from > ?1)`,
			// Volunteering for a panel still open is withdrawn; a committed
			// or drawn panel keeps the row, unlinked, as its draw record counts it.
			`DELETE FROM panel_volunteers WHERE member_id = ?2 AND panel_id IN (SELECT id FROM panels WHERE state = 'open')`,
			`UPDATE panel_volunteers SET member_id = NULL WHERE member_id = ?2`,
			`DELETE FROM calendar_feeds WHERE member_id = ?2`,
			`DELETE FROM password_resets WHERE member_id = ?2`,
			`DELETE FROM group_members WHERE member_id = ?2`,
			`DELETE FROM neighbour_replies WHERE member_id = ?2`,
			`UPDATE concerns SET reporter_id = NULL WHERE reporter_id = ?2`,
		} {
			if _, err := tx.ExecContext(ctx, q, ts(now), memberID); err != nil {
				return err
			}
		}
		return writeLog(ctx, tx, log)
	}), "store: delete account %d", memberID)
}

// SaveEmailToken implements instance.Store.
func (s *Store) SaveEmailToken(ctx context.Context, tokenHash string, memberID int64, link string, now, expires time.Time, mails []instance.Mail) error {
	err := s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO email_tokens (token_hash, member_id, link, expires_at) VALUES (?, ?, ?, ?)`,
			tokenHash, memberID, link, ts(expires)); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, mails, now)
	})
	if err != nil {
		return fmt.Errorf("store: save email token of member %d: %w", memberID, err)
	}
	return nil
}

// EmailTokenValid implements instance.Store.
func (s *Store) EmailTokenValid(ctx context.Context, tokenHash string, now time.Time) (bool, error) {
	var ok bool
	err := s.rd.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM email_tokens WHERE token_hash = ? AND expires_at > ?)`, tokenHash, ts(now)).Scan(&ok)
	return ok, wrapf(err, "store: email token")
}

// ConfirmEmail implements instance.Store.
func (s *Store) ConfirmEmail(ctx context.Context, tokenHash string, now time.Time) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		var memberID int64
		if err := tx.QueryRowContext(ctx, `SELECT member_id FROM email_tokens WHERE token_hash = ? AND expires_at > ?`, tokenHash, ts(now)).Scan(&memberID); err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET email_confirmed_at = ? WHERE id = ?`, ts(now), memberID); err != nil {
			return err
		}
		// Confirming proves the address works again.
		if _, err := tx.ExecContext(ctx, `DELETE FROM mail_bounces WHERE address = (SELECT email FROM members WHERE id = ?)`, memberID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM email_tokens WHERE member_id = ?`, memberID)
		return err
	}), "store: confirm email")
}

// UnconfirmedEmails implements instance.Store.
func (s *Store) UnconfirmedEmails(ctx context.Context, now time.Time) ([]*instance.UnconfirmedEmail, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT m.id, m.display_name, COALESCE(m.email, ''), t.link FROM email_tokens t
		JOIN members m ON m.id = t.member_id WHERE t.expires_at > ? AND m.email_confirmed_at IS NULL ORDER BY m.id`, ts(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*instance.UnconfirmedEmail
	for rows.Next() {
		var u instance.UnconfirmedEmail
		if err := rows.Scan(&u.MemberID, &u.Name, &u.Email, &u.Link); err != nil {
			return nil, err
		}
		out = append(out, &u)
	}
	return out, rows.Err()
}
