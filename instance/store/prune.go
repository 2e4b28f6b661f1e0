package store

import (
	"context"
	"fmt"
	"time"

	"hearth/instance"
)

// pruneRule is one kind of row the sweep removes (or, for inbound
// activities, empties): which table, which rows qualify, and what to do.
type pruneRule struct {
	name   string
	table  string
	where  string // qualifies a row; ?1 is the cutoff
	action string // "DELETE" or an UPDATE's SET clause
	cutoff time.Time
	count  *int
}

// PruneFederation removes what federation no longer needs, by the
// cutoffs, in batches of c.Batch rows: each batch is its own short write
// transaction, so the sweep never holds SQLite's write lock for long and
// other writers take their turn between batches. The candidates of each
// batch are found with a read (walking the primary key from where the
// previous batch stopped) and re-checked by the write.
func (s *Store) PruneFederation(ctx context.Context, c instance.PruneCutoffs) (instance.PruneCounts, error) {
	var n instance.PruneCounts
	if c.Batch <= 0 {
		c.Batch = 500
	}
	rules := []pruneRule{
		// An inbound activity's body is needed to process it, not after;
		// its id is kept longer, so a replay (or a server re-sending) is
		// still refused as a duplicate.
		{"inbox bodies", "inbox_queue", `processed_at IS NOT NULL AND received_at < ?1 AND body <> ''`, `body = ''`, c.InboxBodies, &n.InboxBodies},
		{"inbox ids", "inbox_queue", `processed_at IS NOT NULL AND received_at < ?1`, "DELETE", c.InboxIDs, &n.InboxIDs},
		{"deliveries", "deliveries", `status <> 'pending' AND created_at < ?1`, "DELETE", c.Deliveries, &n.Deliveries},
		{"fed events", "fed_events", `processed_at IS NOT NULL AND processed_at < ?1`, "DELETE", c.FedEvents, &n.FedEvents},
		// The outbox collection and GET /activities/… serve public rows
		// only; the others (followers-only posts, Deletes, activities a
		// Delete took out of the collection) go after the retention.
		{"outbox", "outbox", `public = 0 AND created_at < ?1`, "DELETE", c.Outbox, &n.Outbox},
	}
	for _, r := range rules {
		if r.cutoff.IsZero() {
			continue
		}
		done, err := s.pruneTable(ctx, r, c.Batch)
		*r.count += done
		if err != nil {
			return n, fmt.Errorf("store: prune %s before %s: %w", r.name, ts(r.cutoff), err)
		}
	}
	return n, nil
}

func (s *Store) pruneTable(ctx context.Context, r pruneRule, batch int) (int, error) {
	cutoff := r.cutoff
	find := `SELECT id FROM ` + r.table + ` WHERE id > ?2 AND ` + r.where + ` ORDER BY id LIMIT ?3`
	write := `DELETE FROM ` + r.table
	if r.action != "DELETE" {
		write = `UPDATE ` + r.table + ` SET ` + r.action
	}
	write += ` WHERE id IN (` + s.e.idsIn("?2") + `) AND ` + r.where
	total, after := 0, int64(0)
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		ids, err := queryAll(ctx, s.rd, func(row scanner) (int64, error) {
			var id int64
			err := row.Scan(&id)
			return id, err
		}, find, ts(cutoff), after, batch)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		res, err := s.wr.ExecContext(ctx, write, ts(cutoff), jsonIDs(ids))
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += int(n)
		after = ids[len(ids)-1]
		if len(ids) < batch {
			return total, nil
		}
	}
}
