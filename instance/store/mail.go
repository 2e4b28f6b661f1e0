package store

import (
	"context"
	"fmt"
	"time"

	"hearth/instance"
)

// enqueue writes mails into the queue within the caller's transaction:
// a mail exists exactly when the change that caused it does.
func (s *Store) enqueue(ctx context.Context, tx *Tx, mails []instance.Mail, now time.Time) error {
	for _, m := range mails {
		var member any
		if m.MemberID != 0 {
			member = m.MemberID
		}
		msgID := m.MessageID
		if msgID == "" {
			msgID = "<" + instance.RandomToken(16) + "@hearth.invalid>"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO mail_queue (member_id, to_address, kind, lang, subject, body_text, body_html,
			unsubscribe, message_id, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			member, m.To, string(m.Kind), m.Lang, m.Subject, m.Text, m.HTML, m.Unsubscribe, msgID, ts(now), ts(now)); err != nil {
			return fmt.Errorf("enqueue mail to member %d: %w", m.MemberID, err)
		}
	}
	return nil
}

// EnqueueMail implements instance.Store.
func (s *Store) EnqueueMail(ctx context.Context, mails []instance.Mail, now time.Time) error {
	return s.tx(ctx, func(tx *Tx) error { return s.enqueue(ctx, tx, mails, now) })
}

// ClaimMail implements instance.Store: one UPDATE … RETURNING takes the
// lease, so two workers can never hold the same mail.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*instance.QueuedMail, error) {
	claim := instance.RandomToken(12)
	var out []*instance.QueuedMail
	err := s.tx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE mail_queue SET claim = ?1, claimed_until = ?2
			WHERE id IN (SELECT id FROM mail_queue WHERE state = 'queued' AND next_attempt_at <= ?3
				AND (claimed_until IS NULL OR claimed_until <= ?3) ORDER BY next_attempt_at, id LIMIT ?4`+s.e.skipLocked()+`)
			RETURNING id, COALESCE(member_id, 0), to_address, kind, lang, subject, body_text, body_html, unsubscribe, message_id,
				attempts, created_at, last_error`,
			claim, ts(now.Add(lease)), ts(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			q := &instance.QueuedMail{Claim: claim, State: instance.MailQueued}
			var kind, created string
			if err := rows.Scan(&q.ID, &q.Mail.MemberID, &q.Mail.To, &kind, &q.Mail.Lang, &q.Mail.Subject, &q.Mail.Text, &q.Mail.HTML,
				&q.Mail.Unsubscribe, &q.MessageID, &q.Attempts, &created, &q.LastError); err != nil {
				return err
			}
			q.Mail.Kind, q.CreatedAt = instance.NoticeKind(kind), parseTS(created)
			out = append(out, q)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim mail: %w", err)
	}
	return out, nil
}

// finishMail changes a claimed mail; only the claim holder may.
func (s *Store) finishMail(ctx context.Context, tx *Tx, id int64, claim, set string, args ...any) error {
	res, err := tx.ExecContext(ctx, `UPDATE mail_queue SET `+set+` WHERE id = ? AND claim = ? AND state = 'queued'`,
		append(args, id, claim)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return instance.ErrConflict
	}
	return nil
}

func (s *Store) finish(ctx context.Context, id int64, claim, set string, args ...any) error {
	err := s.tx(ctx, func(tx *Tx) error { return s.finishMail(ctx, tx, id, claim, set, args...) })
	if err != nil {
		return fmt.Errorf("store: mail %d: %w", id, err)
	}
	return nil
}

// MarkMailSent implements instance.Store.
// The first email the relay accepts is kept as a fact (the admin's
// checklist: email works).
func (s *Store) MarkMailSent(ctx context.Context, id int64, claim string, now time.Time) error {
	err := s.tx(ctx, func(tx *Tx) error {
		if err := s.finishMail(ctx, tx, id, claim, `state = 'sent', attempts = attempts + 1, finished_at = ?, claim = NULL, claimed_until = NULL`,
			ts(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO instance_facts (name, at) VALUES ('mail_sent', ?) ON CONFLICT DO NOTHING`, ts(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mail %d: %w", id, err)
	}
	return nil
}

// RetryMail implements instance.Store.
func (s *Store) RetryMail(ctx context.Context, id int64, claim string, next time.Time, lastError string) error {
	if len(lastError) > 500 {
		lastError = lastError[:500]
	}
	if next.IsZero() {
		return s.finish(ctx, id, claim, `state = 'failed', attempts = attempts + 1, last_error = ?, finished_at = claimed_until,
			claim = NULL, claimed_until = NULL`, lastError)
	}
	return s.finish(ctx, id, claim, `attempts = attempts + 1, next_attempt_at = ?, last_error = ?, claim = NULL, claimed_until = NULL`,
		ts(next), lastError)
}

// ReleaseMail implements instance.Store.
func (s *Store) ReleaseMail(ctx context.Context, id int64, claim string) error {
	return s.finish(ctx, id, claim, `claim = NULL, claimed_until = NULL`)
}

// BounceMail implements instance.Store.
func (s *Store) BounceMail(ctx context.Context, id int64, claim string, b instance.Bounce) error {
	reason := b.Reason
	if len(reason) > 500 {
		reason = reason[:500]
	}
	err := s.tx(ctx, func(tx *Tx) error {
		if err := s.finishMail(ctx, tx, id, claim, `state = 'failed', attempts = attempts + 1, last_error = ?, finished_at = ?,
			claim = NULL, claimed_until = NULL`, reason, ts(b.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO mail_bounces (address, code, reason, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (address) DO UPDATE SET code = excluded.code, reason = excluded.reason, created_at = excluded.created_at`,
			b.Address, b.Code, reason, ts(b.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: bounce mail %d: %w", id, err)
	}
	return nil
}

// SuppressMail implements instance.Store.
func (s *Store) SuppressMail(ctx context.Context, id int64, claim string) error {
	return s.finish(ctx, id, claim, `state = 'suppressed', finished_at = claimed_until, claim = NULL, claimed_until = NULL`)
}

// BounceFor implements instance.Store.
func (s *Store) BounceFor(ctx context.Context, address string) (*instance.Bounce, error) {
	var b instance.Bounce
	var created string
	err := s.rd.QueryRowContext(ctx, `SELECT address, code, reason, created_at FROM mail_bounces WHERE address = ?`, address).
		Scan(&b.Address, &b.Code, &b.Reason, &created)
	if err != nil {
		return nil, notFound(err)
	}
	b.CreatedAt = parseTS(created)
	return &b, nil
}

// ClearBounce implements instance.Store.
func (s *Store) ClearBounce(ctx context.Context, address string) error {
	_, err := s.wr.ExecContext(ctx, `DELETE FROM mail_bounces WHERE address = ?`, address)
	return err
}

// PurgeMail implements instance.Store.
func (s *Store) PurgeMail(ctx context.Context, before time.Time) (int, error) {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM mail_queue WHERE state <> 'queued' AND finished_at < ?`, ts(before))
	if err != nil {
		return 0, fmt.Errorf("store: purge mail: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// MailStates counts the queue by state (for tests and the admin).
func (s *Store) MailStates(ctx context.Context) (map[instance.MailState]int, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT state, count(*) FROM mail_queue GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[instance.MailState]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[instance.MailState(st)] = n
	}
	return out, rows.Err()
}

// NoticePrefs implements instance.Store.
func (s *Store) NoticePrefs(ctx context.Context, memberID int64) (map[instance.NoticeKind]instance.Frequency, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT kind, frequency FROM notice_prefs WHERE member_id = ?`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[instance.NoticeKind]instance.Frequency{}
	for rows.Next() {
		var k, f string
		if err := rows.Scan(&k, &f); err != nil {
			return nil, err
		}
		out[instance.NoticeKind(k)] = instance.Frequency(f)
	}
	return out, rows.Err()
}

// SetNoticePrefs implements instance.Store.
func (s *Store) SetNoticePrefs(ctx context.Context, memberID int64, prefs map[instance.NoticeKind]instance.Frequency) error {
	err := s.tx(ctx, func(tx *Tx) error {
		for k, f := range prefs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notice_prefs (member_id, kind, frequency) VALUES (?, ?, ?)
				ON CONFLICT (member_id, kind) DO UPDATE SET frequency = excluded.frequency`, memberID, string(k), string(f)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: notice prefs of member %d: %w", memberID, err)
	}
	return nil
}

// Secret implements instance.Store.
func (s *Store) Secret(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	var v []byte
	err := s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING`, name, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	})
	if err != nil {
		return nil, fmt.Errorf("store: secret %s: %w", name, err)
	}
	return v, nil
}

// SavePasswordReset implements instance.Store.
func (s *Store) SavePasswordReset(ctx context.Context, r *instance.PasswordReset, mails []instance.Mail, log *instance.ModLog) error {
	var member, by any
	if r.MemberID != 0 {
		member = r.MemberID
	}
	if r.CreatedBy != 0 {
		by = r.CreatedBy
	}
	return s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO password_resets (token_hash, member_id, kind, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, r.TokenHash, member, r.Kind, by, ts(r.CreatedAt), ts(r.ExpiresAt)); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, mails, r.CreatedAt); err != nil {
			return err
		}
		if log != nil {
			return writeLog(ctx, tx, log)
		}
		return nil
	})
}

// PasswordReset implements instance.Store.
func (s *Store) PasswordReset(ctx context.Context, tokenHash string, now time.Time) (*instance.PasswordReset, error) {
	var r instance.PasswordReset
	var created, expires string
	err := s.rd.QueryRowContext(ctx, `SELECT token_hash, member_id, kind, COALESCE(created_by, 0), created_at, expires_at
		FROM password_resets WHERE token_hash = ? AND member_id IS NOT NULL AND used_at IS NULL AND expires_at > ?`, tokenHash, ts(now)).
		Scan(&r.TokenHash, &r.MemberID, &r.Kind, &r.CreatedBy, &created, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	r.CreatedAt, r.ExpiresAt = parseTS(created), parseTS(expires)
	return &r, nil
}

// UsePasswordReset implements instance.Store.
func (s *Store) UsePasswordReset(ctx context.Context, tokenHash, passwordHash string, now time.Time) (int64, error) {
	var memberID int64
	err := s.tx(ctx, func(tx *Tx) error {
		var kind string
		err := tx.QueryRowContext(ctx, `UPDATE password_resets SET used_at = ?1
			WHERE token_hash = ?2 AND member_id IS NOT NULL AND used_at IS NULL AND expires_at > ?1
			RETURNING member_id, kind`, ts(now), tokenHash).Scan(&memberID, &kind)
		if err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET password_hash = ? WHERE id = ?`, passwordHash, memberID); err != nil {
			return err
		}
		if kind == instance.ResetKindLink {
			// The link reached the member's mailbox: the address works.
			if _, err := tx.ExecContext(ctx, `UPDATE members SET email_confirmed_at = COALESCE(email_confirmed_at, ?) WHERE id = ?`,
				ts(now), memberID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = ? WHERE member_id = ? AND used_at IS NULL`, ts(now), memberID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = ?`, memberID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: use password reset: %w", err)
	}
	return memberID, nil
}

// PurgePasswordResets implements instance.Store.
func (s *Store) PurgePasswordResets(ctx context.Context, before time.Time) (int, error) {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM password_resets WHERE expires_at < ?`, ts(before))
	if err != nil {
		return 0, fmt.Errorf("store: purge password resets: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
