package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"hearth/instance"
)

// Participatory budgeting: rounds, projects, secret ballots and the
// public history (decide_log).

const roundColumns = `r.id, r.group_id, g.handle, g.name, g.main, r.created_by, r.title, r.description, r.budget, r.currency,
	r.mode, r.visibility, r.created_at, r.review_from, r.voting_from, r.results_at, COALESCE(r.voting_told_at, ''),
	COALESCE(r.closing_told_at, ''), COALESCE(r.closed_at, ''),
	CASE WHEN r.closed_at IS NULL THEN (SELECT count(*) FROM budget_ballots b WHERE b.round_id = r.id) ELSE r.ballots END,
	r.spent, COALESCE(r.results_item_id, 0)
	FROM budget_rounds r JOIN groups g ON g.id = r.group_id`

func scanRound(row scanner) (*instance.Round, error) {
	var r instance.Round
	var mode, vis, created, review, voting, results, votingTold, closingTold, closed string
	if err := row.Scan(&r.ID, &r.GroupID, &r.GroupHandle, &r.GroupName, &r.GroupMain, &r.CreatedBy, &r.Title, &r.Description,
		&r.Budget, &r.Currency, &mode, &vis, &created, &review, &voting, &results, &votingTold, &closingTold, &closed,
		&r.Ballots, &r.Spent, &r.ResultsItemID); err != nil {
		return nil, err
	}
	r.Mode, r.Visibility = instance.BudgetMode(mode), instance.Visibility(vis)
	r.CreatedAt, r.ReviewFrom, r.VotingFrom, r.ResultsAt = parseTS(created), parseTS(review), parseTS(voting), parseTS(results)
	r.VotingToldAt, r.ClosingToldAt, r.ClosedAt = parseTS(votingTold), parseTS(closingTold), parseTS(closed)
	return &r, nil
}

// decideLogLine writes a history line in the caller's transaction.
func decideLogLine(ctx context.Context, tx *Tx, subject string, id int64, l *instance.DecideLog) error {
	if l == nil {
		return nil
	}
	var actor any
	if l.ActorID != 0 {
		actor = l.ActorID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO decide_log (subject, subject_id, actor_id, action, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		subject, id, actor, l.Action, l.Detail, ts(l.CreatedAt))
	return err
}

func (s *Store) decideHistory(ctx context.Context, subject string, id int64) ([]*instance.DecideLog, error) {
	return queryAll(ctx, s.rd, func(row scanner) (*instance.DecideLog, error) {
		var l instance.DecideLog
		var created string
		if err := row.Scan(&l.ID, &l.ActorID, &l.Actor, &l.Action, &l.Detail, &created); err != nil {
			return nil, err
		}
		l.CreatedAt = parseTS(created)
		return &l, nil
	}, `SELECT l.id, COALESCE(l.actor_id, 0), COALESCE(m.display_name, ''), l.action, l.detail, l.created_at
		FROM decide_log l LEFT JOIN members m ON m.id = l.actor_id WHERE l.subject = ? AND l.subject_id = ? ORDER BY l.id`, subject, id)
}

// CreateRound implements instance.Store.
func (s *Store) CreateRound(ctx context.Context, r *instance.Round, log *instance.DecideLog) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO budget_rounds (group_id, created_by, title, description, budget, currency, mode,
			visibility, created_at, review_from, voting_from, results_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.GroupID, r.CreatedBy, r.Title, r.Description, r.Budget, r.Currency, string(r.Mode), string(r.Visibility),
			ts(r.CreatedAt), ts(r.ReviewFrom), ts(r.VotingFrom), ts(r.ResultsAt)).Scan(&id); err != nil {
			return err
		}
		return decideLogLine(ctx, tx, "round", id, log)
	})
	if err != nil {
		return 0, fmt.Errorf("store: create budget round: %w", err)
	}
	return id, nil
}

// RoundByID implements instance.Store.
func (s *Store) RoundByID(ctx context.Context, id int64) (*instance.Round, error) {
	r, err := scanRound(s.rd.QueryRowContext(ctx, `SELECT `+roundColumns+` WHERE r.id = ?`, id))
	if err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// ListRounds implements instance.Store.
func (s *Store) ListRounds(ctx context.Context) ([]*instance.Round, error) {
	return queryAll(ctx, s.rd, scanRound, `SELECT `+roundColumns+` ORDER BY r.id DESC`)
}

// RoundLog implements instance.Store.
func (s *Store) RoundLog(ctx context.Context, id int64) ([]*instance.DecideLog, error) {
	return s.decideHistory(ctx, "round", id)
}

// AddProject implements instance.Store: the phase and the member's count
// are checked in the same transaction as the insert.
func (s *Store) AddProject(ctx context.Context, p *instance.Project, perMember int, log *instance.DecideLog) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *Tx) error {
		var open, mine int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM budget_rounds WHERE id = ?1 AND closed_at IS NULL AND review_from > ?3),
			(SELECT count(*) FROM budget_projects WHERE round_id = ?1 AND author_id = ?2)`, p.RoundID, p.AuthorID, ts(p.CreatedAt)).Scan(&open, &mine); err != nil {
			return err
		}
		if open == 0 {
			return instance.ErrConflict
		}
		if mine >= perMember {
			return &instance.Problem{Kind: instance.ErrConflict, Code: "budget.too_many_projects", Args: []any{perMember}}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO budget_projects (round_id, author_id, title, description, area, cost, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, p.RoundID, p.AuthorID, p.Title, p.Description, p.Area, p.Cost, ts(p.CreatedAt)).Scan(&id); err != nil {
			return err
		}
		return decideLogLine(ctx, tx, "round", p.RoundID, log)
	})
	if err != nil {
		return 0, fmt.Errorf("store: add project to round %d: %w", p.RoundID, err)
	}
	return id, nil
}

func scanProject(row scanner) (*instance.Project, error) {
	var p instance.Project
	var created, review string
	if err := row.Scan(&p.ID, &p.RoundID, &p.AuthorID, &p.Author, &p.Title, &p.Description, &p.Area, &p.Cost, &created,
		&review, &p.ReviewReason, &p.ReviewedBy, &p.Votes, &p.Rank, &p.Funded, &p.Skipped); err != nil {
		return nil, err
	}
	p.CreatedAt, p.Review = parseTS(created), instance.Review(review)
	return &p, nil
}

// Projects implements instance.Store.
func (s *Store) Projects(ctx context.Context, roundID int64) ([]*instance.Project, error) {
	return queryAll(ctx, s.rd, scanProject, `SELECT p.id, p.round_id, p.author_id, a.display_name, p.title, p.description, p.area,
		p.cost, p.created_at, p.review, p.review_reason, COALESCE(c.display_name, ''), p.votes, p.rank, p.funded, p.skipped
		FROM budget_projects p JOIN members a ON a.id = p.author_id LEFT JOIN members c ON c.id = p.reviewed_by
		WHERE p.round_id = ? ORDER BY p.id`, roundID)
}

// WithdrawProject implements instance.Store.
func (s *Store) WithdrawProject(ctx context.Context, roundID, projectID, authorID int64, now time.Time, log *instance.DecideLog) error {
	return s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM budget_projects WHERE id = ? AND round_id = ? AND author_id = ?
			AND round_id IN (SELECT id FROM budget_rounds WHERE closed_at IS NULL AND review_from > ?)`, projectID, roundID, authorID, ts(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		return decideLogLine(ctx, tx, "round", roundID, log)
	})
}

// ReviewProject implements instance.Store: refused once voting has
// started, so the ballot never changes under voters.
func (s *Store) ReviewProject(ctx context.Context, roundID, projectID int64, review instance.Review, reason string, by int64, now time.Time, log *instance.DecideLog) error {
	return s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE budget_projects SET review = ?, review_reason = ?, reviewed_by = ?
			WHERE id = ? AND round_id = ? AND round_id IN (SELECT id FROM budget_rounds WHERE closed_at IS NULL AND voting_from > ?)`,
			string(review), reason, by, projectID, roundID, ts(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		return decideLogLine(ctx, tx, "round", roundID, log)
	})
}

// SetRoundDates implements instance.Store. With notifications (voting
// starts now), voting counts as told, so the sweep does not tell again.
func (s *Store) SetRoundDates(ctx context.Context, id int64, review, voting, results time.Time, log *instance.DecideLog, list []instance.Notification) error {
	return s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE budget_rounds SET review_from = ?, voting_from = ?, results_at = ?,
			voting_told_at = CASE WHEN ? <> 0 THEN COALESCE(voting_told_at, ?) ELSE voting_told_at END
			WHERE id = ? AND closed_at IS NULL`, ts(review), ts(voting), ts(results), len(list) > 0, ts(log.CreatedAt), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		if err := s.notify(ctx, tx, list, log.CreatedAt); err != nil {
			return err
		}
		return decideLogLine(ctx, tx, "round", id, log)
	})
}

// MarkRoundTold implements instance.Store: once per round and moment
// ("voting", "closing"), even when two sweeps race.
func (s *Store) MarkRoundTold(ctx context.Context, id int64, what string, now time.Time, list []instance.Notification) error {
	column := map[string]string{"voting": "voting_told_at", "closing": "closing_told_at"}[what]
	if column == "" {
		return fmt.Errorf("store: mark round %d told: unknown moment %q", id, what)
	}
	return s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE budget_rounds SET `+column+` = ? WHERE id = ? AND `+column+` IS NULL`, ts(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // told already
		}
		return s.notify(ctx, tx, list, now)
	})
}

// CastBallot implements instance.Store. The member's earlier ballot is
// replaced, under a fresh token.
func (s *Store) CastBallot(ctx context.Context, roundID, memberID int64, projects []int64, now time.Time) error {
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	token := hex.EncodeToString(raw)
	return s.tx(ctx, func(tx *Tx) error {
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM budget_rounds WHERE id = ?1 AND closed_at IS NULL
			AND voting_from <= ?2 AND results_at > ?2`, roundID, ts(now)).Scan(&open); err != nil {
			return err
		}
		if open == 0 {
			return instance.ErrConflict
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM budget_ballots WHERE round_id = ? AND voter_id = ?`, roundID, memberID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO budget_ballots (token, round_id, voter_id) VALUES (?, ?, ?)`, token, roundID, memberID); err != nil {
			return err
		}
		for _, p := range projects {
			if _, err := tx.ExecContext(ctx, `INSERT INTO budget_choices (token, project_id) SELECT ?, id FROM budget_projects
				WHERE id = ? AND round_id = ? AND review = 'eligible'`, token, p, roundID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO budget_voters (round_id, member_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, roundID, memberID)
		return err
	})
}

// MyBallot implements instance.Store.
func (s *Store) MyBallot(ctx context.Context, roundID, memberID int64) ([]int64, error) {
	return queryAll(ctx, s.rd, scanID, `SELECT c.project_id FROM budget_choices c JOIN budget_ballots b ON b.token = c.token
		WHERE b.round_id = ? AND b.voter_id = ? ORDER BY c.project_id`, roundID, memberID)
}

// Voters implements instance.Store.
func (s *Store) Voters(ctx context.Context, roundID int64) (map[int64]bool, error) {
	ids, err := queryAll(ctx, s.rd, scanID, `SELECT member_id FROM budget_voters WHERE round_id = ?`, roundID)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// CloseRound implements instance.Store. Inside one transaction: the
// counts, the results, the unlinking of every ballot from its voter (with
// secure_delete on, so the old values are overwritten on disk rather than
// left in free pages), the results post and its federation event, the
// notifications and the history line.
func (s *Store) CloseRound(ctx context.Context, id int64, now time.Time, outcome func(*instance.Round, []*instance.Project, int) (*instance.RoundOutcome, error)) error {
	r, err := s.RoundByID(ctx, id)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *Tx) error {
		if q := s.e.secureDelete(true); q != "" {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
			defer func() { _, _ = tx.ExecContext(ctx, s.e.secureDelete(false)) }() // back to the connection's default
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM budget_rounds WHERE id = ? AND closed_at IS NULL AND results_at <= ?`,
			id, ts(now)).Scan(&open); err != nil {
			return err
		}
		if open == 0 {
			return instance.ErrConflict
		}
		ps, err := queryAll(ctx, tx, scanProject, `SELECT p.id, p.round_id, p.author_id, a.display_name, p.title, p.description, p.area,
			p.cost, p.created_at, p.review, p.review_reason, COALESCE(c.display_name, ''),
			(SELECT count(*) FROM budget_choices x WHERE x.project_id = p.id), 0, 0, 0
			FROM budget_projects p JOIN members a ON a.id = p.author_id LEFT JOIN members c ON c.id = p.reviewed_by
			WHERE p.round_id = ? ORDER BY p.id`, id)
		if err != nil {
			return err
		}
		var ballots int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM budget_ballots WHERE round_id = ?`, id).Scan(&ballots); err != nil {
			return err
		}
		out, err := outcome(r, ps, ballots)
		if err != nil {
			return err
		}
		for _, p := range out.Projects {
			if _, err := tx.ExecContext(ctx, `UPDATE budget_projects SET votes = ?, rank = ?, funded = ?, skipped = ? WHERE id = ?`,
				p.Votes, p.Rank, p.Funded, p.Skipped, p.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE budget_ballots SET voter_id = NULL WHERE round_id = ?`, id); err != nil {
			return err
		}
		it := out.Item
		var itemID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO items (kind, group_id, author_id, title, description, visibility, state,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, string(it.Kind), it.GroupID, it.AuthorID, it.Title,
			it.Description, string(it.Visibility), string(it.State), ts(it.CreatedAt), ts(it.UpdatedAt)).Scan(&itemID); err != nil {
			return err
		}
		if err := fedEvent(ctx, tx, "item", itemID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE budget_rounds SET closed_at = ?, ballots = ?, spent = ?, results_item_id = ?
			WHERE id = ?`, ts(now), ballots, out.Spent, itemID, id); err != nil {
			return err
		}
		for i := range out.Notify {
			out.Notify[i].ItemID = itemID
		}
		if err := s.notify(ctx, tx, out.Notify, now); err != nil {
			return err
		}
		return decideLogLine(ctx, tx, "round", id, out.Log)
	})
	if err != nil {
		return fmt.Errorf("store: close round %d: %w", id, err)
	}
	// Outside the transaction (neither statement may run in one), best
	// effort: readers may delay SQLite's checkpoint; a failure is logged
	// by nobody, but the next close rewrites every round's ballots again.
	for _, q := range s.e.forgetBallotOrder() {
		_, _ = s.w.ExecContext(ctx, q)
	}
	return nil
}
