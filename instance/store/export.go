package store

import (
	"context"
	"fmt"

	"hearth/instance"
)

// ExportMember implements instance.Store: everything stored about the
// member (and only about them), each thing with the title of what it is
// about, so that the member can read it.
func (s *Store) ExportMember(ctx context.Context, memberID int64) (*instance.MemberExport, error) {
	m, err := s.MemberByID(ctx, memberID)
	if err != nil {
		return nil, err
	}
	ex := &instance.MemberExport{Member: m}
	ex.Items, err = queryAll(ctx, s.rd, scanItem, `SELECT `+itemColumns+itemFrom+` WHERE i.author_id = ? AND i.deleted_at IS NULL ORDER BY i.id`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: export items: %w", err)
	}
	path := func(kind string, id int64) string { return (&instance.Item{Kind: instance.Kind(kind), ID: id}).Path() }
	var kind string
	var id int64
	var created, updated string
	ex.Replies, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportReply, error) {
		var r instance.ExportReply
		err := row.Scan(&r.ItemTitle, &kind, &id, &r.Body, &created, &updated)
		r.ItemPath, r.CreatedAt, r.UpdatedAt = path(kind, id), parseTS(created), parseTS(updated)
		return r, err
	}, `SELECT i.title, i.kind, i.id, r.body, r.created_at, COALESCE(r.updated_at, '') FROM responses r JOIN items i ON i.id = r.item_id
		WHERE r.author_id = ? AND r.deleted_at IS NULL ORDER BY r.id`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: export replies: %w", err)
	}
	ex.HelpOffers, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportInterest, error) {
		var r instance.ExportInterest
		err := row.Scan(&r.ItemTitle, &kind, &id, &r.Message, &r.Buddy, &created)
		r.ItemKind, r.ItemPath, r.CreatedAt = instance.Kind(kind), path(kind, id), parseTS(created)
		return r, err
	}, `SELECT i.title, i.kind, i.id, x.message, x.buddy, x.created_at FROM interests x JOIN items i ON i.id = x.item_id
		WHERE x.member_id = ? ORDER BY x.id`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: export offers of help: %w", err)
	}
	ex.Actions, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportAttendance, error) {
		var r instance.ExportAttendance
		var status string
		err := row.Scan(&r.ItemTitle, &kind, &id, &r.Role, &status, &created)
		r.ItemPath, r.Status, r.CreatedAt = path(kind, id), instance.AttendStatus(status), parseTS(created)
		return r, err
	}, `SELECT i.title, i.kind, i.id, COALESCE(sl.name, ''), a.status, a.created_at FROM attendees a JOIN items i ON i.id = a.item_id
		LEFT JOIN action_slots sl ON sl.id = a.slot_id WHERE a.member_id = ? ORDER BY a.id`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: export actions: %w", err)
	}
	if ex.Notifications, err = s.ListNotifications(ctx, memberID, 1<<30); err != nil {
		return nil, fmt.Errorf("store: export notifications: %w", err)
	}
	ex.Groups, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportGroup, error) {
		var r instance.ExportGroup
		err := row.Scan(&r.Name, &r.Handle, &created)
		r.JoinedAt = parseTS(created)
		return r, err
	}, `SELECT g.name, g.handle, gm.joined_at FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE gm.member_id = ? ORDER BY g.name`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: export groups: %w", err)
	}
	ex.Reports, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportReport, error) {
		var r instance.ExportReport
		err := row.Scan(&r.Subject, &r.Category, &r.Details, &r.Status, &created)
		r.CreatedAt = parseTS(created)
		return r, err
	}, `SELECT subject, category, details, status, created_at FROM reports WHERE reporter_id = ? ORDER BY id`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: export reports: %w", err)
	}
	ex.Concerns, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportConcern, error) {
		var r instance.ExportConcern
		err := row.Scan(&r.About, &r.Details, &created)
		r.CreatedAt = parseTS(created)
		return r, err
	}, `SELECT about, details, created_at FROM concerns WHERE reporter_id = ? ORDER BY id`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: export concerns: %w", err)
	}
	if ex.Verifications, err = s.Verifications(ctx, memberID); err != nil {
		return nil, fmt.Errorf("store: export checks: %w", err)
	}
	ex.NeighbourAnswers, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportNeighbourAnswer, error) {
		var r instance.ExportNeighbourAnswer
		err := row.Scan(&r.PostTitle, &r.Body, &created)
		r.CreatedAt = parseTS(created)
		return r, err
	}, `SELECT ri.title, n.body, n.created_at FROM neighbour_replies n JOIN remote_items ri ON ri.id = n.remote_item_id
		WHERE n.member_id = ? ORDER BY n.id`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: export answers to other villages: %w", err)
	}
	ex.PrivateMessages, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportMessage, error) {
		var r instance.ExportMessage
		err := row.Scan(&r.ItemTitle, &kind, &id, &r.Body, &created)
		r.ItemPath, r.CreatedAt = path(kind, id), parseTS(created)
		return r, err
	}, `SELECT i.title, i.kind, i.id, m.body, m.created_at FROM need_messages m JOIN items i ON i.id = m.item_id
		WHERE m.author_id = ? ORDER BY m.id`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: export private messages: %w", err)
	}
	ex.Devices, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportDevice, error) {
		var r instance.ExportDevice
		err := row.Scan(&r.Device, &created)
		r.CreatedAt = parseTS(created)
		return r, err
	}, `SELECT device, created_at FROM push_subscriptions WHERE member_id = ? ORDER BY id`, memberID)
	if err != nil {
		return nil, fmt.Errorf("store: export devices: %w", err)
	}
	if err := s.exportDecisions(ctx, memberID, ex); err != nil {
		return nil, err
	}
	err = s.rd.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM calendar_feeds WHERE member_id = ?1),
		EXISTS (SELECT 1 FROM atom_feeds WHERE member_id = ?1)`, memberID).Scan(&ex.CalendarFeed, &ex.PrivateFeed)
	if err != nil {
		return nil, fmt.Errorf("store: export feeds: %w", err)
	}
	return ex, nil
}

// exportDecisions adds the member's poll votes, proposal answers, panel
// volunteering and standing places to ex.
func (s *Store) exportDecisions(ctx context.Context, memberID int64, ex *instance.MemberExport) error {
	type vote struct {
		itemID  int64
		title   string
		option  string
		created string
	}
	votes, err := queryAll(ctx, s.rd, func(row scanner) (vote, error) {
		var v vote
		return v, row.Scan(&v.itemID, &v.title, &v.option, &v.created)
	}, `SELECT i.id, i.title, o.name, v.created_at FROM poll_votes v JOIN items i ON i.id = v.item_id JOIN poll_options o ON o.id = v.option_id
		WHERE v.member_id = ? ORDER BY i.id, o.position`, memberID)
	if err != nil {
		return fmt.Errorf("store: export poll votes: %w", err)
	}
	for _, v := range votes {
		if n := len(ex.PollVotes); n > 0 && ex.PollVotes[n-1].PollPath == (&instance.Item{Kind: instance.KindPoll, ID: v.itemID}).Path() {
			ex.PollVotes[n-1].Options = append(ex.PollVotes[n-1].Options, v.option)
			continue
		}
		ex.PollVotes = append(ex.PollVotes, instance.ExportPollVote{PollTitle: v.title, Options: []string{v.option},
			PollPath: (&instance.Item{Kind: instance.KindPoll, ID: v.itemID}).Path(), CreatedAt: parseTS(v.created)})
	}
	var id int64
	var at, answer string
	ex.ProposalAnswers, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportProposalAnswer, error) {
		var r instance.ExportProposalAnswer
		err := row.Scan(&id, &r.ProposalTitle, &answer, &r.Reason, &at)
		r.ProposalPath, r.Answer, r.UpdatedAt = (&instance.Proposal{ID: id}).Path(), instance.Consent(answer), parseTS(at)
		return r, err
	}, `SELECT p.id, p.title, a.answer, a.reason, a.updated_at FROM proposal_answers a JOIN proposals p ON p.id = a.proposal_id
		WHERE a.member_id = ? ORDER BY p.id`, memberID)
	if err != nil {
		return fmt.Errorf("store: export proposal answers: %w", err)
	}
	ex.Panels, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportPanel, error) {
		var r instance.ExportPanel
		err := row.Scan(&id, &r.PanelTitle, &r.Selected, &at)
		r.PanelPath, r.CreatedAt = (&instance.Panel{ID: id}).Path(), parseTS(at)
		return r, err
	}, `SELECT p.id, p.title, v.selected, v.created_at FROM panel_volunteers v JOIN panels p ON p.id = v.panel_id
		WHERE v.member_id = ? ORDER BY p.id`, memberID)
	if err != nil {
		return fmt.Errorf("store: export panels: %w", err)
	}
	// A series is named by its latest occurrence.
	ex.StandingPlaces, err = queryAll(ctx, s.rd, func(row scanner) (instance.ExportStandingPlace, error) {
		var r instance.ExportStandingPlace
		err := row.Scan(&id, &r.ActionTitle, &r.Role, &at)
		r.ActionPath, r.CreatedAt = (&instance.Item{Kind: instance.KindAction, ID: id}).Path(), parseTS(at)
		return r, err
	}, `SELECT i.id, i.title, r.slot_name, r.created_at FROM series_regulars r
		JOIN items i ON i.id = (SELECT max(id) FROM items WHERE series_id = r.series_id AND deleted_at IS NULL)
		WHERE r.member_id = ? ORDER BY r.series_id`, memberID)
	if err != nil {
		return fmt.Errorf("store: export standing places: %w", err)
	}
	return nil
}
