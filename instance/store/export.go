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
	return ex, nil
}
