package store

import (
	"context"
	"time"

	"hearth/instance"
)

// unanswered is the condition of an open need nobody offered to help with
// (?1: created before).
const unanswered = `i.kind = 'need' AND i.state = 'open' AND i.deleted_at IS NULL AND i.held = 0 AND i.hidden_reason IS NULL
	AND i.created_at <= ?1 AND NOT EXISTS (SELECT 1 FROM interests x WHERE x.item_id = i.id)`

// DeskCounts implements instance.Store: one query of counts, each on an
// index or a small table.
func (s *Store) DeskCounts(ctx context.Context, unansweredBefore time.Time) (*instance.DeskCounts, error) {
	var c instance.DeskCounts
	err := s.rd.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM members WHERE status = 'pending'),
		(SELECT count(*) FROM reports WHERE status = 'open'),
		(SELECT count(*) FROM items WHERE held = 1 AND deleted_at IS NULL)
			+ (SELECT count(*) FROM responses WHERE held = 1 AND deleted_at IS NULL)
			+ (SELECT count(*) FROM remote_items WHERE held = 1 AND deleted_at IS NULL),
		(SELECT count(*) FROM items i WHERE `+unanswered+`),
		(SELECT count(*) FROM concerns WHERE status = 'open'),
		(SELECT count(DISTINCT r.member_id) FROM member_roles r JOIN members m ON m.id = r.member_id
			WHERE r.role = 'safeguarding_lead' AND m.status = 'active'),
		(SELECT count(DISTINCT r.member_id) FROM member_roles r JOIN members m ON m.id = r.member_id
			WHERE r.role = 'coordinator' AND m.status = 'active'),
		EXISTS (SELECT 1 FROM instance_facts WHERE name = 'mail_sent')`, ts(unansweredBefore)).
		Scan(&c.Applications, &c.Reports, &c.Held, &c.Unanswered, &c.Concerns, &c.Leads, &c.Coordinators, &c.MailSent)
	if err != nil {
		return nil, wrapf(err, "store: desk counts")
	}
	return &c, nil
}

// UnansweredNeeds implements instance.Store.
func (s *Store) UnansweredNeeds(ctx context.Context, before time.Time, limit int) ([]*instance.Item, error) {
	items, err := queryAll(ctx, s.rd, scanItem, `SELECT `+itemColumns+itemFrom+` WHERE `+unanswered+` ORDER BY i.id LIMIT ?2`,
		ts(before), limit)
	return items, wrapf(err, "store: unanswered needs")
}

// RecordMailWorks notes that a relay accepted an email (the admin's
// checklist); `hearth admin test-email` calls it after sending.
func (s *Store) RecordMailWorks(ctx context.Context, now time.Time) error {
	_, err := s.wr.ExecContext(ctx, `INSERT INTO instance_facts (name, at) VALUES ('mail_sent', ?) ON CONFLICT DO NOTHING`, ts(now))
	return wrapf(err, "store: record that email works")
}
