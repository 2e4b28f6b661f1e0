package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"hearth/instance"
)

// Polls and consent proposals (instance/polls.go, instance/proposals.go).

// countedVote is the condition for a vote to count: a member who is not
// suspended, or a remote account that is not blocked and whose server is
// not (a block made after the vote takes it out of the counts too).
const countedVote = `(v.member_id IS NULL OR EXISTS (SELECT 1 FROM members m WHERE m.id = v.member_id AND m.status = 'active'))
	AND (v.remote_actor IS NULL OR (NOT EXISTS (SELECT 1 FROM blocked_actors b WHERE b.actor = v.remote_actor)
		AND NOT EXISTS (SELECT 1 FROM blocked_domains d WHERE v.remote_host = d.domain OR v.remote_host LIKE '%.' || d.domain)))`

// CreatePoll implements instance.Store. The notices in n are linked to the
// poll's item once its id is known.
func (s *Store) CreatePoll(ctx context.Context, it *instance.Item, p *instance.Poll, n instance.Notices) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO items (kind, group_id, author_id, title, description, visibility, state,
			created_at, updated_at, held) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			string(it.Kind), it.GroupID, it.AuthorID, it.Title, it.Description, string(it.Visibility), string(it.State),
			ts(it.CreatedAt), ts(it.UpdatedAt), it.Held).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO polls (item_id, multiple, results, closes_at, opened_told_at) VALUES (?, ?, ?, ?, ?)`,
			id, p.Multiple, string(p.Results), ts(p.ClosesAt), nullTS(p.OpenedToldAt)); err != nil {
			return err
		}
		for i, o := range p.Options {
			if _, err := tx.ExecContext(ctx, `INSERT INTO poll_options (item_id, position, name) VALUES (?, ?, ?)`, id, i, o.Name); err != nil {
				return err
			}
		}
		for i := range n.Notify {
			if n.Notify[i].ItemID == 0 {
				n.Notify[i].ItemID = id
			}
		}
		if err := s.tell(ctx, tx, n, it.CreatedAt); err != nil {
			return err
		}
		return fedEvent(ctx, tx, instance.SubjectItem, id, it.CreatedAt)
	})
	if err != nil {
		return 0, fmt.Errorf("store: create poll: %w", err)
	}
	return id, nil
}

func scanPoll(row scanner) (*instance.Poll, error) {
	var p instance.Poll
	var closes, closed, opened, closing string
	if err := row.Scan(&p.ItemID, &p.Multiple, &p.Results, &closes, &closed, &opened, &closing); err != nil {
		return nil, err
	}
	p.ClosesAt, p.ClosedAt, p.OpenedToldAt, p.ClosingToldAt = parseTS(closes), parseTS(closed), parseTS(opened), parseTS(closing)
	return &p, nil
}

const pollColumns = `item_id, multiple, results, closes_at, COALESCE(closed_at, ''), COALESCE(opened_told_at, ''), COALESCE(closing_told_at, '')`

// PollByItem implements instance.Store: the poll with its counted votes.
func (s *Store) PollByItem(ctx context.Context, itemID int64) (*instance.Poll, error) {
	p, err := scanPoll(s.rd.QueryRowContext(ctx, `SELECT `+pollColumns+` FROM polls WHERE item_id = ?`, itemID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, instance.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: poll %d: %w", itemID, err)
	}
	p.Options, err = queryAll(ctx, s.rd, func(row scanner) (instance.PollOption, error) {
		var o instance.PollOption
		return o, row.Scan(&o.ID, &o.Name, &o.Votes)
	}, `SELECT o.id, o.name, (SELECT count(*) FROM poll_votes v WHERE v.option_id = o.id AND `+countedVote+`)
		FROM poll_options o WHERE o.item_id = ? ORDER BY o.position`, itemID)
	if err != nil {
		return nil, fmt.Errorf("store: options of poll %d: %w", itemID, err)
	}
	err = s.rd.QueryRowContext(ctx, `SELECT count(DISTINCT COALESCE('m' || v.member_id, v.remote_actor)) FROM poll_votes v
		WHERE v.item_id = ? AND `+countedVote, itemID).Scan(&p.Voters)
	return p, wrapf(err, "store: voters of poll %d", itemID)
}

// ListPolls implements instance.Store.
func (s *Store) ListPolls(ctx context.Context) ([]*instance.Poll, error) {
	ps, err := queryAll(ctx, s.rd, scanPoll, `SELECT `+pollColumns+` FROM polls ORDER BY item_id DESC`)
	return ps, wrapf(err, "store: list polls")
}

// openPoll checks, in tx, that a poll takes votes at now.
func openPoll(ctx context.Context, tx *Tx, itemID int64, now time.Time) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM polls WHERE item_id = ? AND closed_at IS NULL AND closes_at > ?`,
		itemID, ts(now)).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return instance.ErrConflict
	}
	return nil
}

// pollUpdate schedules a poll's coalesced Update: nothing when one is
// waiting for a later time already; otherwise an item event due at the
// poll's next free slot (no sooner than gap after the last one) or now,
// whichever is later. An event that is due may be being built at this
// moment from counts read before this vote, so it does not stand in for
// one: the vote gets the next slot.
func pollUpdate(ctx context.Context, tx *Tx, itemID int64, now time.Time, gap time.Duration) error {
	if gap <= 0 {
		return nil
	}
	var waiting int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM fed_events WHERE subject = ? AND subject_id = ? AND processed_at IS NULL
		AND next_attempt_at > ?`, instance.SubjectItem, itemID, ts(now)).Scan(&waiting); err != nil {
		return err
	}
	if waiting > 0 {
		return nil
	}
	var dueText string
	if err := tx.QueryRowContext(ctx, `SELECT update_due_at FROM polls WHERE item_id = ?`, itemID).Scan(&dueText); err != nil {
		return err
	}
	due := now
	if d := parseTS(dueText); d.After(due) {
		due = d
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO fed_events (subject, subject_id, created_at, next_attempt_at) VALUES (?, ?, ?, ?)`,
		instance.SubjectItem, itemID, ts(now), ts(due)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE polls SET update_due_at = ? WHERE item_id = ?`, ts(due.Add(gap)), itemID)
	return err
}

// CastVote implements instance.Store.
func (s *Store) CastVote(ctx context.Context, itemID, memberID int64, options []int64, now time.Time, gap time.Duration) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if err := openPoll(ctx, tx, itemID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM poll_votes WHERE item_id = ? AND member_id = ?`, itemID, memberID); err != nil {
			return err
		}
		for _, o := range options {
			if _, err := tx.ExecContext(ctx, `INSERT INTO poll_votes (item_id, option_id, member_id, created_at)
				SELECT ?, id, ?, ? FROM poll_options WHERE id = ? AND item_id = ?`, itemID, memberID, ts(now), o, itemID); err != nil {
				return err
			}
		}
		return pollUpdate(ctx, tx, itemID, now, gap)
	}), "store: vote on poll %d", itemID)
}

// MyVote implements instance.Store.
func (s *Store) MyVote(ctx context.Context, itemID, memberID int64) ([]int64, error) {
	ids, err := queryAll(ctx, s.rd, func(row scanner) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	}, `SELECT option_id FROM poll_votes WHERE item_id = ? AND member_id = ? ORDER BY option_id`, itemID, memberID)
	return ids, wrapf(err, "store: vote of member %d on poll %d", memberID, itemID)
}

// AddRemoteVote implements instance.Store.
func (s *Store) AddRemoteVote(ctx context.Context, v *instance.RemoteVote, multiple bool, now time.Time, gap time.Duration) (bool, error) {
	added := false
	err := s.tx(ctx, func(tx *Tx) error {
		if err := openPoll(ctx, tx, v.ItemID, now); err != nil {
			return err
		}
		q := `SELECT count(*) FROM poll_votes WHERE item_id = ? AND remote_actor = ?`
		args := []any{v.ItemID, v.Actor}
		if multiple {
			q += ` AND option_id = ?`
			args = append(args, v.OptionID)
		}
		var n int
		if err := tx.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO poll_votes (item_id, option_id, remote_actor, remote_host, remote_object, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, v.ItemID, v.OptionID, v.Actor, v.Host, v.ObjectID, ts(now)); err != nil {
			return err
		}
		added = true
		return pollUpdate(ctx, tx, v.ItemID, now, gap)
	})
	return added, wrapf(err, "store: remote vote %s on poll %d", v.ObjectID, v.ItemID)
}

// ClosePoll implements instance.Store: the closing Update goes at once
// (a waiting one is brought forward rather than doubled).
func (s *Store) ClosePoll(ctx context.Context, itemID int64, now time.Time, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE polls SET closed_at = ?, update_due_at = ? WHERE item_id = ? AND closed_at IS NULL`,
			ts(now), ts(now), itemID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return instance.ErrConflict
		}
		res, err = tx.ExecContext(ctx, `UPDATE fed_events SET next_attempt_at = ? WHERE subject = ? AND subject_id = ? AND processed_at IS NULL
			AND attempts = 0`, ts(now), instance.SubjectItem, itemID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			if err := fedEvent(ctx, tx, instance.SubjectItem, itemID, now); err != nil {
				return err
			}
		}
		return s.tell(ctx, tx, n, now)
	}), "store: close poll %d", itemID)
}

// MarkPollTold implements instance.Store.
func (s *Store) MarkPollTold(ctx context.Context, itemID int64, what string, now time.Time, n instance.Notices) error {
	col := map[string]string{"opened": "opened_told_at", "closing": "closing_told_at"}[what]
	if col == "" {
		return fmt.Errorf("store: poll %d: nothing called %q to tell", itemID, what)
	}
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE polls SET `+col+` = ? WHERE item_id = ?`, ts(now), itemID); err != nil {
			return err
		}
		return s.tell(ctx, tx, n, now)
	}), "store: poll %d told %s", itemID, what)
}

// SetVotesByCoordinators implements instance.Store.
func (s *Store) SetVotesByCoordinators(ctx context.Context, groupID int64, on bool) error {
	res, err := s.wr.ExecContext(ctx, `UPDATE groups SET votes_by_coordinators = ? WHERE id = ?`, on, groupID)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			err = instance.ErrNotFound
		}
	}
	return wrapf(err, "store: group %d votes by coordinators", groupID)
}

const proposalColumns = `p.id, p.group_id, g.handle, g.name, g.main, p.created_by, m.display_name, p.title, p.description,
	p.created_at, p.closes_at, COALESCE(p.closing_told_at, ''), COALESCE(p.closed_at, ''), p.outcome`

const proposalFrom = ` FROM proposals p JOIN groups g ON g.id = p.group_id JOIN members m ON m.id = p.created_by`

func scanProposal(row scanner) (*instance.Proposal, error) {
	var p instance.Proposal
	var created, closes, told, closed, outcome string
	if err := row.Scan(&p.ID, &p.GroupID, &p.GroupHandle, &p.GroupName, &p.GroupMain, &p.CreatedBy, &p.Author, &p.Title,
		&p.Description, &created, &closes, &told, &closed, &outcome); err != nil {
		return nil, err
	}
	p.CreatedAt, p.ClosesAt, p.ClosingToldAt, p.ClosedAt = parseTS(created), parseTS(closes), parseTS(told), parseTS(closed)
	p.Outcome = instance.Outcome(outcome)
	return &p, nil
}

// CreateProposal implements instance.Store.
func (s *Store) CreateProposal(ctx context.Context, p *instance.Proposal, n instance.Notices) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO proposals (group_id, created_by, title, description, created_at, closes_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, p.GroupID, p.CreatedBy, p.Title, p.Description, ts(p.CreatedAt), ts(p.ClosesAt)).Scan(&id); err != nil {
			return err
		}
		return s.tell(ctx, tx, n, p.CreatedAt)
	})
	return id, wrapf(err, "store: create proposal")
}

// ProposalByID implements instance.Store.
func (s *Store) ProposalByID(ctx context.Context, id int64) (*instance.Proposal, error) {
	p, err := scanProposal(s.rd.QueryRowContext(ctx, `SELECT `+proposalColumns+proposalFrom+` WHERE p.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, instance.ErrNotFound
	}
	return p, wrapf(err, "store: proposal %d", id)
}

// ListProposals implements instance.Store.
func (s *Store) ListProposals(ctx context.Context) ([]*instance.Proposal, error) {
	ps, err := queryAll(ctx, s.rd, scanProposal, `SELECT `+proposalColumns+proposalFrom+` ORDER BY p.id DESC`)
	return ps, wrapf(err, "store: list proposals")
}

// SaveAnswer implements instance.Store.
func (s *Store) SaveAnswer(ctx context.Context, proposalID int64, a *instance.ProposalAnswer) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM proposals WHERE id = ? AND closed_at IS NULL AND closes_at > ?`,
			proposalID, ts(a.UpdatedAt)).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return instance.ErrConflict
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO proposal_answers (proposal_id, member_id, answer, reason, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (proposal_id, member_id) DO UPDATE SET answer = excluded.answer, reason = excluded.reason, updated_at = excluded.updated_at`,
			proposalID, a.MemberID, string(a.Answer), a.Reason, ts(a.UpdatedAt))
		return err
	}), "store: answer proposal %d", proposalID)
}

// ProposalAnswers implements instance.Store: every answer, by name.
func (s *Store) ProposalAnswers(ctx context.Context, proposalID int64) ([]*instance.ProposalAnswer, error) {
	as, err := queryAll(ctx, s.rd, func(row scanner) (*instance.ProposalAnswer, error) {
		var a instance.ProposalAnswer
		var answer, updated string
		err := row.Scan(&a.MemberID, &a.Member, &answer, &a.Reason, &updated)
		a.Answer, a.UpdatedAt = instance.Consent(answer), parseTS(updated)
		return &a, err
	}, `SELECT a.member_id, m.display_name, a.answer, a.reason, a.updated_at FROM proposal_answers a
		JOIN members m ON m.id = a.member_id WHERE a.proposal_id = ? ORDER BY m.display_name COLLATE NOCASE, a.member_id`, proposalID)
	return as, wrapf(err, "store: answers to proposal %d", proposalID)
}

// CloseProposal implements instance.Store.
func (s *Store) CloseProposal(ctx context.Context, id int64, outcome instance.Outcome, now time.Time, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE proposals SET closed_at = ?, outcome = ? WHERE id = ? AND closed_at IS NULL`,
			ts(now), string(outcome), id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return instance.ErrConflict
		}
		return s.tell(ctx, tx, n, now)
	}), "store: close proposal %d", id)
}

// MarkProposalTold implements instance.Store.
func (s *Store) MarkProposalTold(ctx context.Context, id int64, now time.Time, n instance.Notices) error {
	return wrapf(s.tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE proposals SET closing_told_at = ? WHERE id = ?`, ts(now), id); err != nil {
			return err
		}
		return s.tell(ctx, tx, n, now)
	}), "store: proposal %d closing told", id)
}
