package store

import (
	"context"
	"time"

	"hearth/instance"
)

// AddMessage implements instance.Store. Unlike a reply, a message queues
// nothing for federation: it never leaves the instance.
func (s *Store) AddMessage(ctx context.Context, m *instance.Message, n instance.Notices) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO need_messages (item_id, author_id, helper_id, body, held, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			m.ItemID, m.AuthorID, m.HelperID, m.Body, m.Held, ts(m.CreatedAt)).Scan(&id); err != nil {
			return err
		}
		return s.tell(ctx, tx, n, m.CreatedAt)
	})
	return id, wrapf(err, "store: add message on need %d", m.ItemID)
}

const messageColumns = `x.id, x.item_id, x.author_id, m.display_name, x.helper_id, x.body, x.held, x.created_at`

func scanMessage(row scanner) (*instance.Message, error) {
	var m instance.Message
	var created string
	if err := row.Scan(&m.ID, &m.ItemID, &m.AuthorID, &m.Author, &m.HelperID, &m.Body, &m.Held, &created); err != nil {
		return nil, err
	}
	m.CreatedAt = parseTS(created)
	return &m, nil
}

// ListMessages implements instance.Store.
func (s *Store) ListMessages(ctx context.Context, itemID int64) ([]*instance.Message, error) {
	list, err := queryAll(ctx, s.rd, scanMessage, `SELECT `+messageColumns+` FROM need_messages x JOIN members m ON m.id = x.author_id
		WHERE x.item_id = ? ORDER BY x.id`, itemID)
	return list, wrapf(err, "store: messages of need %d", itemID)
}

// MessageByID implements instance.Store.
func (s *Store) MessageByID(ctx context.Context, id int64) (*instance.Message, error) {
	m, err := scanMessage(s.rd.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM need_messages x JOIN members m ON m.id = x.author_id
		WHERE x.id = ?`, id))
	return m, notFound(err)
}

// ReleaseMessage implements instance.Store.
func (s *Store) ReleaseMessage(ctx context.Context, id int64, now time.Time, n instance.Notices) error {
	err := s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE need_messages SET held = 0 WHERE id = ? AND held = 1`, id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return instance.ErrConflict
		}
		return s.tell(ctx, tx, n, now)
	})
	return wrapf(err, "store: release message %d", id)
}

// WasHelper implements instance.Store.
func (s *Store) WasHelper(ctx context.Context, itemID, memberID int64) (bool, error) {
	var ok bool
	err := s.rd.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM interests WHERE item_id = ? AND member_id = ?
		AND state IN ('accepted', 'released'))`, itemID, memberID).Scan(&ok)
	return ok, wrapf(err, "store: was member %d a helper on item %d", memberID, itemID)
}
