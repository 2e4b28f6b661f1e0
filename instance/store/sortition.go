package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"hearth/instance"
)

// Panels chosen by lot and their volunteers.

const panelColumns = `p.id, p.group_id, g.handle, g.name, p.created_by, p.title, p.description, p.size, p.strata, p.ends_at,
	p.state, p.created_at, (SELECT count(*) FROM panel_volunteers v WHERE v.panel_id = p.id), p.seed_method, p.seed_source,
	p.seed_commitment, p.seed_secret, p.inputs_hash, COALESCE(p.record, ''), COALESCE(p.chances, ''),
	COALESCE(p.committed_at, ''), COALESCE(p.drawn_at, ''), p.guests_erased_at IS NOT NULL
	FROM panels p JOIN groups g ON g.id = p.group_id`

func scanPanel(row scanner) (*instance.Panel, error) {
	var p instance.Panel
	var strata, ends, state, created, record, chances, committed, drawn string
	if err := row.Scan(&p.ID, &p.GroupID, &p.GroupHandle, &p.GroupName, &p.CreatedBy, &p.Title, &p.Description, &p.Size, &strata,
		&ends, &state, &created, &p.Volunteers, &p.SeedMethod, &p.SeedSource, &p.SeedCommitment, &p.Secret, &p.InputsHash,
		&record, &chances, &committed, &drawn, &p.GuestsErased); err != nil {
		return nil, err
	}
	p.State = instance.PanelState(state)
	p.EndsAt, p.CreatedAt, p.CommittedAt, p.DrawnAt = parseTS(ends), parseTS(created), parseTS(committed), parseTS(drawn)
	if err := json.Unmarshal([]byte(strata), &p.Strata); err != nil {
		return nil, fmt.Errorf("panel %d strata: %w", p.ID, err)
	}
	if record != "" {
		p.Record = &instance.DrawRecord{}
		if err := json.Unmarshal([]byte(record), p.Record); err != nil {
			return nil, fmt.Errorf("panel %d record: %w", p.ID, err)
		}
	}
	if chances != "" {
		if err := json.Unmarshal([]byte(chances), &p.Chances); err != nil {
			return nil, fmt.Errorf("panel %d chances: %w", p.ID, err)
		}
	}
	return &p, nil
}

// CreatePanel implements instance.Store.
func (s *Store) CreatePanel(ctx context.Context, p *instance.Panel, log *instance.DecideLog) (int64, error) {
	strata, err := json.Marshal(p.Strata)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.tx(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO panels (group_id, created_by, title, description, size, strata, ends_at, state, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?) RETURNING id`, p.GroupID, p.CreatedBy, p.Title, p.Description, p.Size, string(strata),
			ts(p.EndsAt), ts(p.CreatedAt)).Scan(&id); err != nil {
			return err
		}
		return decideLogLine(ctx, tx, "panel", id, log)
	})
	if err != nil {
		return 0, fmt.Errorf("store: create panel: %w", err)
	}
	return id, nil
}

// PanelByID implements instance.Store.
func (s *Store) PanelByID(ctx context.Context, id int64) (*instance.Panel, error) {
	p, err := scanPanel(s.rd.QueryRowContext(ctx, `SELECT `+panelColumns+` WHERE p.id = ?`, id))
	if err != nil {
		return nil, notFound(err)
	}
	return p, nil
}

// ListPanels implements instance.Store.
func (s *Store) ListPanels(ctx context.Context) ([]*instance.Panel, error) {
	return queryAll(ctx, s.rd, scanPanel, `SELECT `+panelColumns+` ORDER BY p.id DESC`)
}

// PanelLog implements instance.Store.
func (s *Store) PanelLog(ctx context.Context, id int64) ([]*instance.DecideLog, error) {
	return s.decideHistory(ctx, "panel", id)
}

// UpdatePanelQuotas implements instance.Store.
func (s *Store) UpdatePanelQuotas(ctx context.Context, id int64, size int, strata []instance.Stratum, log *instance.DecideLog) error {
	data, err := json.Marshal(strata)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE panels SET size = ?, strata = ? WHERE id = ? AND state = 'open'`, size, string(data), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		return decideLogLine(ctx, tx, "panel", id, log)
	})
}

// volunteerCode is 6 characters of Crockford's base 32 (no I, L, O, U):
// easy to read out, and about a billion of them.
func volunteerCode() (string, error) {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	raw := make([]byte, 6)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	for i, b := range raw {
		raw[i] = alphabet[b&31]
	}
	return string(raw), nil
}

func joinAnswers(a []int) string {
	parts := make([]string, len(a))
	for i, n := range a {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, " ")
}

func splitAnswers(s string) []int {
	var out []int
	for _, f := range strings.Fields(s) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	return out
}

// AddVolunteer implements instance.Store.
func (s *Store) AddVolunteer(ctx context.Context, v *instance.Volunteer) error {
	var member any
	if v.MemberID != 0 {
		member = v.MemberID
	}
	for range 5 {
		code, err := volunteerCode()
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *Tx) error {
			var open, n int
			if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM panels WHERE id = ?1 AND state = 'open'),
				(SELECT count(*) FROM panel_volunteers WHERE panel_id = ?1)`, v.PanelID).Scan(&open, &n); err != nil {
				return err
			}
			if open == 0 || n >= instance.MaxVolunteers {
				return instance.ErrConflict
			}
			return tx.QueryRowContext(ctx, `INSERT INTO panel_volunteers (panel_id, code, member_id, guest_name, guest_contact, answers, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, v.PanelID, code, member, v.GuestName, v.GuestContact, joinAnswers(v.Answers), ts(v.CreatedAt)).Scan(&v.ID)
		})
		switch {
		case err == nil:
			v.Code = code
			return nil
		case uniqueViolation(err, "panel_volunteers.panel_id, panel_volunteers.member_id"):
			return &instance.Problem{Kind: instance.ErrConflict, Code: "panel.already_volunteered"}
		case err != nil && strings.Contains(err.Error(), "panel_volunteers_contact"):
			return &instance.FieldError{Field: "contact", Code: "err.guest_already"}
		case uniqueViolation(err, "panel_volunteers.panel_id, panel_volunteers.code"):
			continue // a rare clash of codes: draw another
		default:
			return fmt.Errorf("store: add volunteer to panel %d: %w", v.PanelID, err)
		}
	}
	return fmt.Errorf("store: add volunteer to panel %d: no free code", v.PanelID)
}

// RemoveVolunteer implements instance.Store.
func (s *Store) RemoveVolunteer(ctx context.Context, panelID, memberID int64) error {
	res, err := s.wr.ExecContext(ctx, `DELETE FROM panel_volunteers WHERE panel_id = ? AND member_id = ?
		AND panel_id IN (SELECT id FROM panels WHERE state = 'open')`, panelID, memberID)
	if err != nil {
		return fmt.Errorf("store: remove volunteer from panel %d: %w", panelID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return instance.ErrConflict
	}
	return nil
}

// Volunteers implements instance.Store, in the order they came.
func (s *Store) Volunteers(ctx context.Context, panelID int64) ([]*instance.Volunteer, error) {
	return queryAll(ctx, s.rd, func(row scanner) (*instance.Volunteer, error) {
		var v instance.Volunteer
		var answers, created string
		if err := row.Scan(&v.ID, &v.PanelID, &v.Code, &v.MemberID, &v.Member, &v.GuestName, &v.GuestContact, &answers,
			&created, &v.Selected); err != nil {
			return nil, err
		}
		v.Answers, v.CreatedAt = splitAnswers(answers), parseTS(created)
		return &v, nil
	}, `SELECT v.id, v.panel_id, v.code, COALESCE(v.member_id, 0), COALESCE(m.display_name, ''), v.guest_name, v.guest_contact,
		v.answers, v.created_at, v.selected
		FROM panel_volunteers v LEFT JOIN members m ON m.id = v.member_id WHERE v.panel_id = ? ORDER BY v.id`, panelID)
}

// CommitPanel implements instance.Store.
func (s *Store) CommitPanel(ctx context.Context, p *instance.Panel, log *instance.DecideLog) error {
	record, err := json.Marshal(p.Record)
	if err != nil {
		return err
	}
	chances, err := json.Marshal(p.Chances)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM panel_volunteers WHERE panel_id = ?`, p.ID).Scan(&n); err != nil {
			return err
		}
		if n != len(p.Record.Volunteers) {
			return instance.ErrConflict // someone volunteered or withdrew meanwhile
		}
		res, err := tx.ExecContext(ctx, `UPDATE panels SET state = 'committed', seed_method = ?, seed_source = ?, seed_commitment = ?,
			seed_secret = ?, inputs_hash = ?, record = ?, chances = ?, committed_at = ? WHERE id = ? AND state = 'open'`,
			p.SeedMethod, p.SeedSource, p.SeedCommitment, p.Secret, p.InputsHash, string(record), string(chances), ts(p.CommittedAt), p.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		return decideLogLine(ctx, tx, "panel", p.ID, log)
	})
}

// DrawPanel implements instance.Store.
func (s *Store) DrawPanel(ctx context.Context, p *instance.Panel, selected []string, log *instance.DecideLog, list []instance.Notification) error {
	record, err := json.Marshal(p.Record)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE panels SET state = 'drawn', record = ?, drawn_at = ? WHERE id = ? AND state = 'committed'`,
			string(record), ts(p.DrawnAt), p.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return instance.ErrConflict
		}
		for _, code := range selected {
			if _, err := tx.ExecContext(ctx, `UPDATE panel_volunteers SET selected = 1 WHERE panel_id = ? AND code = ?`, p.ID, code); err != nil {
				return err
			}
		}
		if err := s.notify(ctx, tx, list, p.DrawnAt); err != nil {
			return err
		}
		return decideLogLine(ctx, tx, "panel", p.ID, log)
	})
}

// ErasePanelGuests implements instance.Store: guests' names and contacts
// go once their panel has ended; their codes and answers stay, because
// the published record needs them.
func (s *Store) ErasePanelGuests(ctx context.Context, now time.Time) (int, error) {
	var erased int
	err := s.tx(ctx, func(tx *Tx) error {
		ids, err := queryAll(ctx, tx, scanID, `SELECT id FROM panels WHERE ends_at <= ? AND guests_erased_at IS NULL`, ts(now))
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE panel_volunteers SET guest_name = '', guest_contact = '' WHERE panel_id = ?`, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE panels SET guests_erased_at = ? WHERE id = ?`, ts(now), id); err != nil {
				return err
			}
			if err := decideLogLine(ctx, tx, "panel", id, &instance.DecideLog{Action: "dlog.guests_erased", CreatedAt: now}); err != nil {
				return err
			}
		}
		erased = len(ids)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: erase panel guests: %w", err)
	}
	return erased, nil
}
