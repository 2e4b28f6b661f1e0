package instance

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Members lists members in one status; coordinators (and the Operator)
// only.
func (s *Service) Members(ctx context.Context, by *Member, status Status) ([]*Member, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	return s.store.ListMembers(ctx, status)
}

// Approve lets a pending applicant in. Coordinators only. The applicant
// is told on their page and, when email is on, by email, in the
// transaction that lets them in, with the line in the moderation log.
func (s *Service) Approve(ctx context.Context, by *Member, memberID int64) error {
	return s.moveMember(ctx, by, memberID, []Status{StatusPending, StatusRejected}, StatusActive, "approve application",
		func(target *Member) (StatusChange, error) {
			told, err := s.tell(ctx, event{kind: NoteApproved}, target.ID)
			if err != nil {
				return StatusChange{}, err
			}
			// The welcome email is the one below (with their username and
			// where to sign in) instead of the notification's plain one: a
			// page notification and one message, not two.
			told.Mail = nil
			mail, err := s.composeMail(ctx, target, NoticeAboutMe, MailContent{
				Subject: Say("mail.approved_subject", s.site),
				Before:  []MailText{Say("mail.hello", target.DisplayName), Say("mail.approved_intro", s.site)},
				Link:    "/login", LinkText: Say("mail.approved_link"),
				After: []MailText{Say("mail.approved_username", target.Handle)},
			})
			if mail != nil {
				told.Mail = []Mail{*mail}
			}
			return StatusChange{Notices: told}, err
		})
}

// Reject turns an application down; the applicant sees that it was.
func (s *Service) Reject(ctx context.Context, by *Member, memberID int64) error {
	return s.moveMember(ctx, by, memberID, []Status{StatusPending}, StatusRejected, "reject application",
		func(target *Member) (StatusChange, error) {
			told, err := s.tell(ctx, event{kind: NoteRejected}, target.ID)
			return StatusChange{Notices: told}, err
		})
}

// Suspend stops a member from logging in, ends their sessions at once and
// withdraws their posts (hidden here; other servers are told to delete
// them), with a line in the moderation log, all in one transaction. The
// Members page, `hearth admin suspend` and the moderation queue all
// suspend through here, so a suspension means the same everywhere.
// Coordinators must say why (it goes in the log); the command line may
// leave the reason empty.
func (s *Service) Suspend(ctx context.Context, by *Member, memberID int64, reason string) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	reason, fe := cleanText(reason, textRule{field: "reason", required: !by.IsOperator(), max: MaxReason, multiline: true})
	if fe != nil {
		if fe.Code == "err.required" {
			fe.Code = "err.suspend_reason"
		}
		return fe
	}
	return s.suspend(ctx, by, memberID, reason, 0)
}

// suspend is Suspend with the reason and the report it answers, if any.
func (s *Service) suspend(ctx context.Context, by *Member, memberID int64, reason string, report int64) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	if !by.IsOperator() && by.ID == memberID {
		return problem(ErrForbidden, "members.cannot_suspend_self")
	}
	target, err := s.store.MemberByID(ctx, memberID)
	if err != nil {
		return err
	}
	// Only an admin may suspend an admin: coordinators serve admins' rules.
	if target.IsAdmin() && !by.IsAdmin() {
		return ErrForbidden
	}
	err = s.store.SuspendMember(ctx, memberID, s.now(), s.modLog(by, "suspend member", "@"+target.Handle, reason, report))
	if errors.Is(err, ErrConflict) {
		return problem(ErrConflict, "members.state_changed")
	}
	if err != nil {
		return fmt.Errorf("instance: suspend member %d: %w", memberID, err)
	}
	s.log.Info("member suspended", "member", target.Handle, "by", actorName(by))
	return nil
}

// Reinstate lifts a suspension, with a line in the moderation log.
func (s *Service) Reinstate(ctx context.Context, by *Member, memberID int64) error {
	return s.moveMember(ctx, by, memberID, []Status{StatusSuspended}, StatusActive, "reinstate member", nil)
}

// moveMember changes a member's status (coordinators only) and writes the
// moderation log line named action; with, when not nil, adds what else is
// written along with the change.
func (s *Service) moveMember(ctx context.Context, by *Member, memberID int64, from []Status, to Status, action string,
	with func(target *Member) (StatusChange, error)) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	target, err := s.store.MemberByID(ctx, memberID)
	if err != nil {
		return err
	}
	var change StatusChange
	if with != nil {
		if change, err = with(target); err != nil {
			return fmt.Errorf("instance: %s %d: %w", action, memberID, err)
		}
	}
	change.Log = s.modLog(by, action, "@"+target.Handle, "", 0)
	if err := s.store.SetStatus(ctx, memberID, from, to, s.now(), change); err != nil {
		if errors.Is(err, ErrConflict) {
			return problem(ErrConflict, "members.state_changed")
		}
		return err
	}
	s.log.Info(action, "member", target.Handle, "by", actorName(by))
	return nil
}

func actorName(by *Member) string {
	if by.IsOperator() {
		return "command line"
	}
	return by.Handle
}

// SetRoles replaces a member's roles, with a line in the moderation log.
// Admins only; an admin cannot remove their own admin role (so an
// instance never loses its last admin by a slip of the mouse). Verified
// helper is not among the roles anyone sets: only a recorded safety check
// grants it (RecordVerification) and only withdrawing or expiry removes it,
// so the member keeps it or goes without it whatever roles are given.
func (s *Service) SetRoles(ctx context.Context, by *Member, memberID int64, roles []Role) error {
	if !by.IsAdmin() {
		return ErrForbidden
	}
	target, err := s.store.MemberByID(ctx, memberID)
	if err != nil {
		return err
	}
	verified := containsRole(target.Roles, RoleVerifiedHelper)
	if containsRole(roles, RoleVerifiedHelper) && !verified {
		return problem(ErrForbidden, "members.verified_by_check")
	}
	kept := roles[:0:0]
	for _, r := range roles {
		if r != RoleVerifiedHelper {
			kept = append(kept, r)
		}
	}
	if verified {
		kept = append(kept, RoleVerifiedHelper)
	}
	roles = normaliseRoles(kept)
	if !by.IsOperator() && by.ID == memberID && !containsRole(roles, RoleAdmin) {
		return problem(ErrForbidden, "members.keep_own_admin")
	}
	names := make([]string, 0, len(roles))
	for _, r := range roles {
		if r != RoleMember {
			names = append(names, string(r))
		}
	}
	// The log keeps the roles as codes (the page writes them in words).
	if err := s.store.SetRoles(ctx, memberID, roles, s.modLog(by, "set roles", "@"+target.Handle, strings.Join(names, ","), 0)); err != nil {
		return err
	}
	s.log.Info("roles changed", "member", target.Handle, "roles", roles, "by", actorName(by))
	return nil
}

func containsRole(roles []Role, r Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// MembersPerPage is the length of a page of the Members list.
const MembersPerPage = 25

// MemberSearch asks for one page of the Members list.
type MemberSearch struct {
	Status Status // StatusActive (the default) or StatusSuspended
	Text   string // part of a name or username (for admins, also of an email address)
	Page   int    // from 1
}

// MemberQuery is a MemberSearch as the store runs it.
type MemberQuery struct {
	Status Status
	Text   string
	// Email also matches Text against email addresses (admins only).
	Email         bool
	Limit, Offset int
}

// MemberPage is one page of the Members list.
type MemberPage struct {
	Members     []*Member
	Total       int
	Page, Pages int
}

// SearchMembers returns a page of members in a status, alphabetically,
// whose name or username contains the text; admins also find members by
// their email address, which coordinators do not see. Coordinators only.
func (s *Service) SearchMembers(ctx context.Context, by *Member, q MemberSearch) (*MemberPage, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	if q.Status != StatusSuspended {
		q.Status = StatusActive
	}
	text := strings.TrimPrefix(strings.TrimSpace(q.Text), "@")
	if r := []rune(text); len(r) > 100 {
		text = string(r[:100])
	}
	page := max(q.Page, 1)
	list, total, err := s.store.SearchMembers(ctx, MemberQuery{Status: q.Status, Text: text, Email: by.IsAdmin(),
		Limit: MembersPerPage, Offset: (page - 1) * MembersPerPage})
	if err != nil {
		return nil, fmt.Errorf("instance: search members: %w", err)
	}
	return &MemberPage{Members: list, Total: total, Page: page, Pages: max(1, (total+MembersPerPage-1)/MembersPerPage)}, nil
}

// MemberForStaff returns any member, whatever their status, for the
// page coordinators manage them on. Coordinators only.
func (s *Service) MemberForStaff(ctx context.Context, by *Member, id int64) (*Member, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	return s.store.MemberByID(ctx, id)
}
