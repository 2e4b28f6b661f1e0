package store

import (
	"context"
	"fmt"
	"time"

	"hearth/instance"
)

const groupColumns = `g.id, g.handle, g.name, g.description, g.rules, g.main, g.created_at,
	(SELECT count(*) FROM group_members gm WHERE gm.group_id = g.id),
	coalesce(g.avatar, ''), coalesce((SELECT content_type FROM media WHERE hash = g.avatar), ''), g.avatar_alt,
	coalesce(g.header, ''), coalesce((SELECT content_type FROM media WHERE hash = g.header), ''), g.header_alt,
	g.votes_by_coordinators`

func scanGroup(row scanner) (*instance.Group, error) {
	var g instance.Group
	var created string
	var avatar, header instance.GroupImage
	if err := row.Scan(&g.ID, &g.Handle, &g.Name, &g.Description, &g.Rules, &g.Main, &created, &g.MemberCount,
		&avatar.Hash, &avatar.ContentType, &avatar.Alt, &header.Hash, &header.ContentType, &header.Alt, &g.VotesByCoordinators); err != nil {
		return nil, err
	}
	g.CreatedAt = parseTS(created)
	if avatar.Hash != "" {
		g.Avatar = &avatar
	}
	if header.Hash != "" {
		g.Header = &header
	}
	return &g, nil
}

// withFields loads a group's profile fields (the single-group reads
// have them; lists do not need them).
func (s *Store) withFields(ctx context.Context, g *instance.Group, err error) (*instance.Group, error) {
	if err != nil {
		return nil, notFound(err)
	}
	g.Fields, err = queryAll(ctx, s.rd, func(row scanner) (instance.ProfileField, error) {
		var f instance.ProfileField
		err := row.Scan(&f.Name, &f.Value)
		return f, err
	}, `SELECT name, value FROM group_fields WHERE group_id = ? ORDER BY position`, g.ID)
	if err != nil {
		return nil, fmt.Errorf("store: fields of group %d: %w", g.ID, err)
	}
	return g, nil
}

// CreateGroup implements instance.Store.
func (s *Store) CreateGroup(ctx context.Context, g *instance.Group) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO handles (handle, kind) VALUES (?, 'group')`, g.Handle); err != nil {
			if uniqueViolation(err, "handles.handle") {
				return &instance.FieldError{Field: "handle", Code: "err.handle_taken"}
			}
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO groups (handle, name, description, rules, main, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			g.Handle, g.Name, g.Description, g.Rules, g.Main, ts(g.CreatedAt)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("store: create group: %w", err)
	}
	return id, nil
}

// GroupByHandle implements instance.Store.
func (s *Store) GroupByHandle(ctx context.Context, handle string) (*instance.Group, error) {
	g, err := scanGroup(s.rd.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.handle = ?`, handle))
	return s.withFields(ctx, g, err)
}

// ListGroups implements instance.Store.
func (s *Store) ListGroups(ctx context.Context) ([]*instance.Group, error) {
	return s.groups(ctx, `SELECT `+groupColumns+` FROM groups g ORDER BY g.main DESC, g.name COLLATE NOCASE`)
}

// MemberGroups implements instance.Store.
func (s *Store) MemberGroups(ctx context.Context, memberID int64) ([]*instance.Group, error) {
	return s.groups(ctx, `SELECT `+groupColumns+` FROM groups g
		JOIN group_members m ON m.group_id = g.id AND m.member_id = ?
		ORDER BY g.main DESC, g.name COLLATE NOCASE`, memberID)
}

func (s *Store) groups(ctx context.Context, query string, args ...any) ([]*instance.Group, error) {
	rows, err := s.rd.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	defer rows.Close()
	var out []*instance.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// UpdateGroup implements instance.Store: the group, its fields and the
// event that sends Update{Group}, in one transaction.
func (s *Store) UpdateGroup(ctx context.Context, id int64, in instance.GroupInput, now time.Time) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE groups SET name = ?, description = ?, rules = ? WHERE id = ?`, in.Name, in.Description, in.Rules, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM group_fields WHERE group_id = ?`, id); err != nil {
			return err
		}
		for i, f := range in.Fields {
			if _, err := tx.ExecContext(ctx, `INSERT INTO group_fields (group_id, position, name, value) VALUES (?, ?, ?, ?)`,
				id, i, f.Name, f.Value); err != nil {
				return err
			}
		}
		return fedEvent(ctx, tx, instance.SubjectGroup, id, now)
	}), "store: update group %d", id)
}

// JoinGroup implements instance.Store. Joining twice is not an error.
func (s *Store) JoinGroup(ctx context.Context, groupID, memberID int64, now time.Time) error {
	_, err := s.wr.ExecContext(ctx, `INSERT INTO group_members (group_id, member_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		groupID, memberID, ts(now))
	return wrapf(err, "store: member %d joins group %d", memberID, groupID)
}

// LeaveGroup implements instance.Store.
func (s *Store) LeaveGroup(ctx context.Context, groupID, memberID int64) error {
	_, err := s.wr.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ? AND member_id = ?`, groupID, memberID)
	return wrapf(err, "store: member %d leaves group %d", memberID, groupID)
}

// IsGroupMember implements instance.Store.
func (s *Store) IsGroupMember(ctx context.Context, groupID, memberID int64) (bool, error) {
	var n int
	err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM group_members WHERE group_id = ? AND member_id = ?`, groupID, memberID).Scan(&n)
	return n > 0, err
}

// GroupMembers implements instance.Store.
func (s *Store) GroupMembers(ctx context.Context, groupID int64) ([]*instance.Member, error) {
	return s.members(ctx, `SELECT `+memberColumns[s.e]+` FROM members m
		JOIN group_members gm ON gm.member_id = m.id AND gm.group_id = ?
		WHERE m.status = 'active' ORDER BY m.display_name COLLATE NOCASE`, groupID)
}
