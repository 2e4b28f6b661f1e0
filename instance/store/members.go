package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"hearth/instance"
)

// memberColumns are the columns scanMember reads, by engine.
var memberColumns = [...]string{sqliteEngine: memberColumnsOf(sqliteEngine), postgresEngine: memberColumnsOf(postgresEngine)}

func memberColumnsOf(e engine) string {
	return `m.id, m.handle, m.display_name, COALESCE(m.email, ''), m.password_hash, m.pronouns,
	m.language, m.contact_preference, m.phone, m.status, m.application_answer, m.conduct_accepted_at, m.conduct_version, m.created_at, m.helper_friend, m.on_break, m.email_confirmed_at IS NOT NULL,
	COALESCE((SELECT ` + e.groupConcat("role") + ` FROM member_roles r WHERE r.member_id = m.id), '')`
}

type scanner interface{ Scan(...any) error }

func scanMember(row scanner) (*instance.Member, error) {
	var m instance.Member
	var contact, status, conduct, created, roles string
	if err := row.Scan(&m.ID, &m.Handle, &m.DisplayName, &m.Email, &m.PasswordHash, &m.Pronouns,
		&m.Language, &contact, &m.Phone, &status, &m.ApplicationAnswer, &conduct, &m.ConductVersion, &created, &m.HelperFriend, &m.OnBreak, &m.EmailConfirmed, &roles); err != nil {
		return nil, err
	}
	m.ContactPreference = instance.ContactPreference(contact)
	m.Status = instance.Status(status)
	m.ConductAcceptedAt, m.CreatedAt = parseTS(conduct), parseTS(created)
	for _, r := range strings.Split(roles, ",") {
		if r != "" {
			m.Roles = append(m.Roles, instance.Role(r))
		}
	}
	return &m, nil
}

// CreateMember implements instance.Store.
func (s *Store) CreateMember(ctx context.Context, m *instance.Member, inviteCode string, now time.Time, n instance.Notices) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO handles (handle, kind) VALUES (?, 'member')`, m.Handle); err != nil {
			if uniqueViolation(err, "handles.handle") {
				return &instance.FieldError{Field: "handle", Code: "err.handle_taken"}
			}
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO members (handle, display_name, email, password_hash, pronouns, language,
			contact_preference, phone, status, application_answer, conduct_accepted_at, conduct_version, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			m.Handle, m.DisplayName, nullString(m.Email), m.PasswordHash, m.Pronouns, m.Language,
			string(m.ContactPreference), m.Phone, string(m.Status), m.ApplicationAnswer, ts(m.ConductAcceptedAt), m.ConductVersion, ts(m.CreatedAt)).Scan(&id)
		if err != nil {
			if uniqueViolation(err, "members.email") {
				return &instance.FieldError{Field: "email", Code: "err.email_taken"}
			}
			return err
		}
		if err := insertRoles(ctx, tx, id, m.Roles); err != nil {
			return err
		}
		if inviteCode != "" {
			res, err := tx.ExecContext(ctx, `UPDATE invites SET used_by = ?, used_at = ?
				WHERE code = ? AND used_by IS NULL AND expires_at > ?`, id, ts(now), inviteCode, ts(now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return &instance.FieldError{Field: "invite", Code: "err.invite_spent"}
			}
		}
		if err := s.tell(ctx, tx, n, now); err != nil {
			return err
		}
		if m.Status == instance.StatusActive {
			return joinMainGroup(ctx, tx, id, now)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: create member: %w", err)
	}
	return id, nil
}

func insertRoles(ctx context.Context, tx *Tx, id int64, roles []instance.Role) error {
	for _, r := range roles {
		if _, err := tx.ExecContext(ctx, `INSERT INTO member_roles (member_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, string(r)); err != nil {
			return err
		}
	}
	return nil
}

func joinMainGroup(ctx context.Context, tx *Tx, memberID int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, member_id, joined_at)
		SELECT id, ?, ? FROM groups WHERE main = 1 ON CONFLICT DO NOTHING`, memberID, ts(now))
	return err
}

func (s *Store) memberWhere(ctx context.Context, where string, args ...any) (*instance.Member, error) {
	m, err := scanMember(s.rd.QueryRowContext(ctx, `SELECT `+memberColumns[s.e]+` FROM members m WHERE `+where, args...))
	if err != nil {
		return nil, notFound(err)
	}
	return m, nil
}

// MemberByID implements instance.Store.
func (s *Store) MemberByID(ctx context.Context, id int64) (*instance.Member, error) {
	return s.memberWhere(ctx, "m.id = ?", id)
}

// MemberByHandle implements instance.Store.
func (s *Store) MemberByHandle(ctx context.Context, handle string) (*instance.Member, error) {
	return s.memberWhere(ctx, "m.handle = ?", strings.ToLower(handle))
}

// MemberByLogin implements instance.Store.
func (s *Store) MemberByLogin(ctx context.Context, login string) (*instance.Member, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	login = strings.TrimPrefix(login, "@")
	return s.memberWhere(ctx, "m.handle = ? OR m.email = ?", login, login)
}

// ListMembers implements instance.Store.
func (s *Store) ListMembers(ctx context.Context, status instance.Status) ([]*instance.Member, error) {
	return s.members(ctx, `SELECT `+memberColumns[s.e]+` FROM members m WHERE m.status = ? ORDER BY m.created_at, m.id`, string(status))
}

// SearchMembers implements instance.Store.
func (s *Store) SearchMembers(ctx context.Context, q instance.MemberQuery) ([]*instance.Member, int, error) {
	where, args := `m.status = ? AND m.deleted_at IS NULL`, []any{string(q.Status)}
	if q.Text != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q.Text) + "%"
		op := s.e.like()
		cond := `m.display_name ` + op + ` ?2 ESCAPE '\' OR m.handle ` + op + ` ?2 ESCAPE '\'`
		if q.Email {
			cond += ` OR m.email ` + op + ` ?2 ESCAPE '\'`
		}
		where += ` AND (` + cond + `)`
		args = append(args, like)
	}
	var total int
	if err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM members m WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count members: %w", err)
	}
	list, err := s.members(ctx, `SELECT `+memberColumns[s.e]+` FROM members m WHERE `+where+`
		ORDER BY m.display_name COLLATE NOCASE, m.id LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...)
	return list, total, err
}

func (s *Store) members(ctx context.Context, query string, args ...any) ([]*instance.Member, error) {
	rows, err := s.rd.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list members: %w", err)
	}
	defer rows.Close()
	var out []*instance.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CountMembers implements instance.Store.
func (s *Store) CountMembers(ctx context.Context, status instance.Status) (int, error) {
	var n int
	err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM members WHERE status = ?`, string(status)).Scan(&n)
	return n, err
}

// UpdateProfile implements instance.Store.
func (s *Store) UpdateProfile(ctx context.Context, id int64, p instance.Profile) error {
	return wrapf(s.execOne(ctx, `UPDATE members SET display_name = ?, pronouns = ?, language = ?, contact_preference = ?, phone = ?
		WHERE id = ?`, p.DisplayName, p.Pronouns, p.Language, p.ContactPreference, p.Phone, id), "store: update profile of member %d", id)
}

// execOne runs a statement that must change exactly one row.
func (s *Store) execOne(ctx context.Context, query string, args ...any) error {
	res, err := s.wr.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return instance.ErrNotFound
	}
	return nil
}

// SetPassword implements instance.Store.
func (s *Store) SetPassword(ctx context.Context, id int64, hash string) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE members SET password_hash = ? WHERE id = ?`, hash, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = ?`, id)
		return err
	}), "store: set password of member %d", id)
}

// SetRoles implements instance.Store.
func (s *Store) SetRoles(ctx context.Context, id int64, roles []instance.Role, log *instance.ModLog) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM members WHERE id = ?`, id).Scan(&exists); err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM member_roles WHERE member_id = ?`, id); err != nil {
			return err
		}
		if err := insertRoles(ctx, tx, id, roles); err != nil {
			return err
		}
		// A change of privilege ends the member's sessions, so a browser
		// left logged in elsewhere cannot keep powers that were removed.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = ?`, id); err != nil {
			return err
		}
		return writeLog(ctx, tx, log)
	}), "store: set roles of member %d", id)
}

// SetStatus implements instance.Store.
func (s *Store) SetStatus(ctx context.Context, id int64, from []instance.Status, to instance.Status, now time.Time, with instance.StatusChange) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		var current string
		// A deleted account keeps its row (as "suspended") but is never
		// moved again.
		if err := tx.QueryRowContext(ctx, `SELECT status FROM members WHERE id = ? AND deleted_at IS NULL`, id).Scan(&current); err != nil {
			return notFound(err)
		}
		allowed := false
		for _, f := range from {
			allowed = allowed || string(f) == current
		}
		if !allowed {
			return instance.ErrConflict
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET status = ? WHERE id = ?`, string(to), id); err != nil {
			return err
		}
		if to != instance.StatusActive {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE member_id = ?`, id); err != nil {
				return err
			}
		} else if err := joinMainGroup(ctx, tx, id, now); err != nil {
			return err
		}
		if err := writeLog(ctx, tx, with.Log); err != nil {
			return err
		}
		return s.tell(ctx, tx, with.Notices, now)
	}), "store: set status of member %d to %s", id, to)
}

// AdminExists implements instance.Store.
func (s *Store) AdminExists(ctx context.Context) (bool, error) {
	var ok bool
	err := s.rd.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM members m JOIN member_roles r ON r.member_id = m.id
		WHERE m.status = 'active' AND r.role = 'admin')`).Scan(&ok)
	return ok, wrapf(err, "store: is there an admin")
}

// CreateSession implements instance.Store.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, memberID int64, now, expires time.Time) error {
	_, err := s.wr.ExecContext(ctx, `INSERT INTO sessions (token_hash, member_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		tokenHash, memberID, ts(now), ts(expires))
	return wrapf(err, "store: create session for member %d", memberID)
}

// SessionMember implements instance.Store. Only active members have live
// sessions: the status check here makes a suspension bite at once even if
// a session row survived.
func (s *Store) SessionMember(ctx context.Context, tokenHash string, now time.Time) (*instance.Member, error) {
	return s.memberWhere(ctx, `m.status = 'active' AND m.id = (SELECT member_id FROM sessions WHERE token_hash = ? AND expires_at > ?)`,
		tokenHash, ts(now))
}

// DeleteSession implements instance.Store.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.wr.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return wrapf(err, "store: delete session")
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, ts(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CreateInvite implements instance.Store.
func (s *Store) CreateInvite(ctx context.Context, inv *instance.Invite) error {
	_, err := s.wr.ExecContext(ctx, `INSERT INTO invites (code, created_by, created_at, expires_at, note) VALUES (?, ?, ?, ?, ?)`,
		inv.Code, inv.CreatedBy, ts(inv.CreatedAt), ts(inv.ExpiresAt), inv.Note)
	return wrapf(err, "store: create invite")
}

const inviteColumns = `code, created_by, created_at, expires_at, COALESCE(used_by, 0), COALESCE(used_at, ''), note`

func scanInvite(row scanner) (*instance.Invite, error) {
	var inv instance.Invite
	var created, expires, used string
	if err := row.Scan(&inv.Code, &inv.CreatedBy, &created, &expires, &inv.UsedBy, &used, &inv.Note); err != nil {
		return nil, err
	}
	inv.CreatedAt, inv.ExpiresAt, inv.UsedAt = parseTS(created), parseTS(expires), parseTS(used)
	return &inv, nil
}

// ListInvites implements instance.Store.
func (s *Store) ListInvites(ctx context.Context, now time.Time) ([]*instance.Invite, error) {
	return queryAll(ctx, s.rd, scanInvite, `SELECT `+inviteColumns+` FROM invites
		WHERE used_by IS NULL AND expires_at > ? ORDER BY created_at DESC`, ts(now))
}

// InviteByCode implements instance.Store.
func (s *Store) InviteByCode(ctx context.Context, code string) (*instance.Invite, error) {
	inv, err := scanInvite(s.rd.QueryRowContext(ctx, `SELECT `+inviteColumns+` FROM invites WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, instance.ErrNotFound
	}
	return inv, err
}

// SetHelperFriend implements instance.Store.
func (s *Store) SetHelperFriend(ctx context.Context, memberID int64, on bool) error {
	return wrapf(s.execOne(ctx, `UPDATE members SET helper_friend = ? WHERE id = ?`, on, memberID), "store: set helper friend %d", memberID)
}

// querier is what queryAll needs: a *sql.DB or a *Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// scanID reads a single integer column (for queryAll).
func scanID(row scanner) (int64, error) {
	var id int64
	err := row.Scan(&id)
	return id, err
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
