package store

import (
	"context"
	"time"

	"hearth/instance"
)

// UpdateGroupImages implements instance.ProfileStore.
func (s *Store) UpdateGroupImages(ctx context.Context, groupID int64, avatar, header instance.ImageChange, now time.Time) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		for _, c := range []struct {
			column string
			ch     instance.ImageChange
		}{{"avatar", avatar}, {"header", header}} {
			var err error
			switch {
			case c.ch.Media != nil:
				m := c.ch.Media
				if _, err = tx.ExecContext(ctx, `INSERT INTO media (hash, content_type, width, height, data, created_at) VALUES (?, ?, ?, ?, ?, ?)
					ON CONFLICT (hash) DO NOTHING`, m.Hash, m.ContentType, m.Width, m.Height, m.Data, ts(m.CreatedAt)); err != nil {
					return err
				}
				_, err = tx.ExecContext(ctx, `UPDATE groups SET `+c.column+` = ?, `+c.column+`_alt = ? WHERE id = ?`, m.Hash, c.ch.Alt, groupID)
			case c.ch.Remove:
				_, err = tx.ExecContext(ctx, `UPDATE groups SET `+c.column+` = NULL, `+c.column+`_alt = '' WHERE id = ?`, groupID)
			default:
				_, err = tx.ExecContext(ctx, `UPDATE groups SET `+c.column+`_alt = ? WHERE id = ?`, c.ch.Alt, groupID)
			}
			if err != nil {
				return err
			}
		}
		// An image no group shows any more is not served any more.
		if _, err := tx.ExecContext(ctx, `DELETE FROM media WHERE hash NOT IN
			(SELECT avatar FROM groups WHERE avatar IS NOT NULL UNION SELECT header FROM groups WHERE header IS NOT NULL)`); err != nil {
			return err
		}
		return fedEvent(ctx, tx, instance.SubjectGroup, groupID, now)
	}), "store: images of group %d", groupID)
}

// MediaByHash implements instance.ProfileStore.
func (s *Store) MediaByHash(ctx context.Context, hash string) (*instance.Media, error) {
	var m instance.Media
	var created string
	err := s.rd.QueryRowContext(ctx, `SELECT hash, content_type, width, height, data, created_at FROM media WHERE hash = ?`, hash).
		Scan(&m.Hash, &m.ContentType, &m.Width, &m.Height, &m.Data, &created)
	if err != nil {
		return nil, notFound(err)
	}
	m.CreatedAt = parseTS(created)
	return &m, nil
}

// FollowerHosts implements instance.ProfileStore: the servers a group's
// followers are on, the biggest first.
func (s *Store) FollowerHosts(ctx context.Context, groupID int64) ([]instance.HostCount, error) {
	out, err := queryAll(ctx, s.rd, func(row scanner) (instance.HostCount, error) {
		var h instance.HostCount
		err := row.Scan(&h.Host, &h.Count)
		return h, err
	}, `SELECT host, count(*) FROM followers WHERE group_id = ? GROUP BY host ORDER BY count(*) DESC, host`, groupID)
	return out, wrapf(err, "store: follower hosts of group %d", groupID)
}
