package instance

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ReportCategories are the reasons a report can give.
var ReportCategories = []string{"spam", "harassment", "hate", "safety", "misleading", "other"}

// Report is a member's (or a remote server's) report about an item, a
// response, a member or a remote actor.
type Report struct {
	ID             int64
	ReporterID     int64
	Reporter       string
	RemoteReporter string
	Subject        string // item, response, member, remote_actor
	ItemID         int64
	ResponseID     int64
	MemberID       int64
	RemoteActor    string
	RemoteHandle   string // @user@host, when the account is known
	RemoteName     string // its display name, when known
	Category       string
	Details        string
	Forward        bool
	Status         string // open, resolved, dismissed
	CreatedAt      time.Time
	// What the report is about, for the queue.
	SubjectTitle string
	SubjectPath  string
}

// ModLog is one line of the moderation log.
type ModLog struct {
	ID        int64
	ActorID   int64
	Actor     string
	Action    string
	Subject   string
	Reason    string
	ReportID  int64
	CreatedAt time.Time
}

// Verification records that a check on a helper was done: which, by whom,
// when and until when. Never the documents.
type Verification struct {
	ID             int64
	MemberID       int64
	CheckType      string // id_seen, references, dbs
	VerifiedBy     int64
	VerifiedByName string
	VerifiedOn     time.Time
	ExpiresOn      time.Time
	Revoked        bool
	RevokeReason   string
}

// CheckTypes are the checks a coordinator can record.
var CheckTypes = []string{"id_seen", "references", "dbs"}

// Concern is a welfare concern about a person, for safeguarding leads only.
type Concern struct {
	ID         int64
	ReporterID int64
	Reporter   string
	About      string
	Details    string
	Status     string
	CreatedAt  time.Time
	Log        []ModLog
}

// ModerationStore persists moderation and safeguarding. Every action
// writes its log line in the same transaction.
type ModerationStore interface {
	AddReport(ctx context.Context, r *Report, n Notices) (int64, error)
	ListReports(ctx context.Context, status string) ([]*Report, error)
	ReportByID(ctx context.Context, id int64) (*Report, error)
	ResolveReport(ctx context.Context, id int64, status string, now time.Time, log *ModLog) error
	// HideItem takes an item down (reason shown to its author, who is told);
	// a hidden item is not listed and is Deleted from followers.
	HideItem(ctx context.Context, id int64, reason string, now time.Time, log *ModLog, n Notices) error
	// ReleaseItem publishes an item held for review.
	ReleaseItem(ctx context.Context, id int64, now time.Time, log *ModLog) error
	ReleaseResponse(ctx context.Context, id int64, now time.Time, log *ModLog, n Notices) error
	HeldItems(ctx context.Context) ([]*Item, error)
	HeldResponses(ctx context.Context) ([]*Response, error)
	ModerateResponse(ctx context.Context, id, by int64, now time.Time, log *ModLog, n Notices) error
	WarnMember(ctx context.Context, memberID int64, reason string, now time.Time, log *ModLog, n Notices) error
	// SuspendMember suspends, ends sessions and retracts the member's items.
	SuspendMember(ctx context.Context, memberID int64, now time.Time, log *ModLog) error
	BlockDomain(ctx context.Context, domain, reason string, by int64, now time.Time, log *ModLog) error
	UnblockDomain(ctx context.Context, domain string, log *ModLog, now time.Time) error
	BlockActor(ctx context.Context, actor, reason string, by int64, now time.Time, log *ModLog) error
	BlockedDomains(ctx context.Context) ([]string, error)
	ModerationLog(ctx context.Context, limit int) ([]*ModLog, error)
	// ModerationLogBefore returns up to limit lines older than the line
	// before (all of them when before is 0), newest first.
	ModerationLogBefore(ctx context.Context, before int64, limit int) ([]*ModLog, error)
	LogModeration(ctx context.Context, log *ModLog) error

	AddVerification(ctx context.Context, v *Verification, now time.Time, log *ModLog) error
	RevokeVerification(ctx context.Context, id int64, reason string, now time.Time, log *ModLog) error
	Verifications(ctx context.Context, memberID int64) ([]*Verification, error)
	VerificationByID(ctx context.Context, id int64) (*Verification, error)
	ExpireVerifications(ctx context.Context, now time.Time) (int, error)

	AddConcern(ctx context.Context, c *Concern, n Notices) (int64, error)
	Concerns(ctx context.Context) ([]*Concern, error)
	ConcernByID(ctx context.Context, id int64) (*Concern, error)
	LogConcern(ctx context.Context, id int64, log *ModLog, close bool) error

	SetOnBreak(ctx context.Context, memberID int64, on bool) error
	// SaveEmailToken stores a confirmation link and queues its emails in
	// one transaction.
	SaveEmailToken(ctx context.Context, tokenHash string, memberID int64, link string, now, expires time.Time, mails []Mail) error
	// EmailTokenValid reports whether a confirmation token is known and
	// not yet run out (it is not spent).
	EmailTokenValid(ctx context.Context, tokenHash string, now time.Time) (bool, error)
	// ConfirmEmail marks the address of the token's member confirmed (and
	// no longer bouncing) and spends the token.
	ConfirmEmail(ctx context.Context, tokenHash string, now time.Time) error
	UnconfirmedEmails(ctx context.Context, now time.Time) ([]*UnconfirmedEmail, error)
	PurgeClosedNeeds(ctx context.Context, before, now time.Time) (int, error)
	ExportMember(ctx context.Context, memberID int64) (*MemberExport, error)
	// DeleteAccount deletes a member's account; log, when not nil (a
	// coordinator removed them), is written in the same transaction.
	DeleteAccount(ctx context.Context, memberID int64, now time.Time, log *ModLog) error
}

// MaxReportDetails caps a report's comment.
const MaxReportDetails = 2000

// ReportInput is the report form.
type ReportInput struct {
	Subject     string
	ID          int64
	RemoteActor string
	Category    string
	Details     string
	Forward     bool
}

// FileReport records a report. Any member may report; reports about
// remote content can be forwarded to its server (without the reporter's
// identity) when the reporter asks.
func (s *Service) FileReport(ctx context.Context, by *Member, in ReportInput) (*Report, error) {
	if !by.Has(RoleMember) {
		return nil, ErrForbidden
	}
	var v ValidationErrors
	if !slices.Contains(ReportCategories, in.Category) {
		v.add(&FieldError{Field: "category", Code: "err.choice"})
	}
	details, fe := cleanText(in.Details, textRule{field: "details", max: MaxReportDetails, multiline: true})
	v.add(fe)
	if err := v.err(); err != nil {
		return nil, err
	}
	r := &Report{ReporterID: by.ID, Subject: in.Subject, Category: in.Category, Details: details, Status: "open", CreatedAt: s.now()}
	switch in.Subject {
	case "item":
		it, err := s.Item(ctx, by, KindNeed, in.ID)
		if errors.Is(err, ErrNotFound) {
			for _, k := range []Kind{KindOffer, KindAction} {
				if it, err = s.Item(ctx, by, k, in.ID); err == nil {
					break
				}
			}
		}
		if err != nil {
			return nil, err
		}
		r.ItemID = it.ID
	case "response":
		resp, err := s.store.ResponseByID(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		r.ResponseID, r.ItemID, r.RemoteActor = resp.ID, resp.ItemID, resp.RemoteActor
		r.Forward = in.Forward && resp.RemoteActor != ""
	case "member":
		if _, err := s.store.MemberByID(ctx, in.ID); err != nil {
			return nil, err
		}
		r.MemberID = in.ID
	case "remote_actor":
		if !strings.HasPrefix(in.RemoteActor, "https://") && !strings.HasPrefix(in.RemoteActor, "http://") {
			return nil, problem(ErrInvalid, "report.unknown_subject")
		}
		r.RemoteActor, r.Forward = in.RemoteActor, in.Forward
	default:
		return nil, problem(ErrInvalid, "report.unknown_subject")
	}
	n, err := s.reportNotices(ctx, by.ID)
	if err != nil {
		return nil, err
	}
	id, err := s.store.AddReport(ctx, r, n)
	if err != nil {
		return nil, err
	}
	r.ID = id
	s.log.Info("report filed", "report", id, "subject", r.Subject, "category", r.Category)
	return r, nil
}

func (s *Service) modLog(by *Member, action, subject, reason string, report int64) *ModLog {
	l := &ModLog{Action: action, Subject: subject, Reason: reason, ReportID: report, CreatedAt: s.now()}
	if by != nil && !by.IsOperator() {
		l.ActorID = by.ID // the operator is no member: its lines have no actor
	}
	return l
}

// sendConfirmation makes a single-use link and queues it by email, in the
// transaction that stores the link. When email is off the link is kept for
// coordinators to pass on (they see it under Applications).
func (s *Service) sendConfirmation(ctx context.Context, m *Member) error {
	token := RandomToken(24)
	link := s.baseURL + "/confirm-email?token=" + token
	mail, err := s.composeMail(ctx, m, "", MailContent{
		Subject: Say("mail.confirm_subject"),
		Before:  []MailText{Say("mail.hello", m.DisplayName), Say("mail.confirm_intro")},
		Link:    link, LinkText: Say("mail.confirm_link"),
		After: []MailText{Say("mail.confirm_ignore")},
	})
	if err != nil {
		return err
	}
	var mails []Mail
	if mail != nil {
		mails = append(mails, *mail)
	}
	now := s.now()
	return s.store.SaveEmailToken(ctx, hashToken(token), m.ID, link, now, now.Add(7*24*time.Hour), mails)
}

// ConfirmEmail confirms an address through its link.
func (s *Service) ConfirmEmail(ctx context.Context, token string) error {
	if token == "" {
		return problem(ErrNotFound, "confirm.unknown")
	}
	if err := s.store.ConfirmEmail(ctx, hashToken(token), s.now()); err != nil {
		if errors.Is(err, ErrNotFound) {
			return problem(ErrNotFound, "confirm.unknown")
		}
		return err
	}
	return nil
}

// CheckEmailToken tells whether a confirmation link is good, without
// using it: the page says a bad link is bad before it shows a button.
func (s *Service) CheckEmailToken(ctx context.Context, token string) error {
	if token == "" {
		return problem(ErrNotFound, "confirm.unknown")
	}
	ok, err := s.store.EmailTokenValid(ctx, hashToken(token), s.now())
	if err != nil {
		return fmt.Errorf("instance: check email token: %w", err)
	}
	if !ok {
		return problem(ErrNotFound, "confirm.unknown")
	}
	return nil
}

// UnconfirmedEmail is a member still to confirm their address, with the
// link coordinators can pass on when email is not set up.
type UnconfirmedEmail struct {
	MemberID int64
	Name     string
	Email    string
	Link     string
}

// Unconfirmed lists members waiting to confirm their email (coordinators).
func (s *Service) Unconfirmed(ctx context.Context, by *Member) ([]*UnconfirmedEmail, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	if !s.confirm {
		return nil, nil
	}
	return s.store.UnconfirmedEmails(ctx, s.now())
}

// MailConfigured reports whether emails can be sent.
func (s *Service) MailConfigured() bool { return s.mailer != nil }

// ResponseForReport returns a reply for the report form (which only needs
// to know whether it came from another server).
func (s *Service) ResponseForReport(ctx context.Context, id int64) (*Response, error) {
	return s.store.ResponseByID(ctx, id)
}

// Reports lists reports in a status (coordinators only).
func (s *Service) Reports(ctx context.Context, by *Member, status string) ([]*Report, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	return s.store.ListReports(ctx, status)
}

// ModerationQueue is what waits for coordinators.
type ModerationQueue struct {
	Reports       []*Report
	HeldItems     []*Item
	HeldResponses []*Response
	// HeldNeighbourItems are posts from followed groups with a hold word.
	HeldNeighbourItems []*RemoteItem
	// HeldAnswers are members' answers to neighbours' posts with one.
	HeldAnswers    []*NeighbourReply
	BlockedDomains []string
}

// Queue gathers open reports and held posts (coordinators only).
func (s *Service) Queue(ctx context.Context, by *Member) (*ModerationQueue, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	q := &ModerationQueue{}
	var err error
	if q.Reports, err = s.store.ListReports(ctx, "open"); err != nil {
		return nil, err
	}
	if q.HeldItems, err = s.store.HeldItems(ctx); err != nil {
		return nil, err
	}
	if q.HeldResponses, err = s.store.HeldResponses(ctx); err != nil {
		return nil, err
	}
	if q.HeldNeighbourItems, err = s.store.HeldRemoteItems(ctx); err != nil {
		return nil, err
	}
	if q.HeldAnswers, err = s.store.HeldNeighbourReplies(ctx); err != nil {
		return nil, err
	}
	if q.BlockedDomains, err = s.store.BlockedDomains(ctx); err != nil {
		return nil, err
	}
	return q, nil
}

// ModerationLog is readable by every coordinator.
func (s *Service) ModerationLog(ctx context.Context, by *Member) ([]*ModLog, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	return s.store.ModerationLog(ctx, 200)
}

// ModerationAction is one decision on the queue.
type ModerationAction struct {
	Action   string // dismiss, resolve, hide, unhide, remove_response, warn, suspend, block_actor, block_domain, release, release_response, release_neighbour, remove_neighbour, release_answer, remove_answer
	ReportID int64
	ID       int64  // item, response or member id
	Target   string // actor IRI or domain
	Reason   string
}

var domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$`)

// Moderate carries out one action (coordinators only), logs it with who,
// what, when and why, and resolves the report it came from.
func (s *Service) Moderate(ctx context.Context, by *Member, a ModerationAction) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	reason, fe := cleanText(a.Reason, textRule{field: "reason", max: MaxReason, multiline: true})
	if fe != nil {
		return fe
	}
	now := s.now()
	var err error
	switch a.Action {
	case "dismiss", "resolve":
		status := map[string]string{"dismiss": "dismissed", "resolve": "resolved"}[a.Action]
		return s.store.ResolveReport(ctx, a.ReportID, status, now, s.modLog(by, "report "+status, fmt.Sprintf("report %d", a.ReportID), reason, a.ReportID))
	case "hide":
		if reason == "" {
			return &FieldError{Field: "reason", Code: "err.reason_needed"}
		}
		it, err2 := s.liveItem(ctx, a.ID)
		if err2 != nil {
			return err2
		}
		n, err2 := s.tell(ctx, event{kind: NoteItemHidden, item: it, detail: reason}, it.AuthorID)
		if err2 != nil {
			return err2
		}
		err = s.store.HideItem(ctx, a.ID, reason, now, s.modLog(by, "hide item", fmt.Sprintf("item %d", a.ID), reason, a.ReportID), n)
	case "release":
		err = s.store.ReleaseItem(ctx, a.ID, now, s.modLog(by, "release held item", fmt.Sprintf("item %d", a.ID), reason, a.ReportID))
	case "release_response":
		n, err2 := s.releasedReplyNotices(ctx, a.ID)
		if err2 != nil {
			return err2
		}
		err = s.store.ReleaseResponse(ctx, a.ID, now, s.modLog(by, "release held reply", fmt.Sprintf("reply %d", a.ID), reason, a.ReportID), n)
	case "release_neighbour":
		err = s.store.ReleaseRemoteItem(ctx, a.ID, s.modLog(by, "release held neighbour post", fmt.Sprintf("neighbour post %d", a.ID), reason, a.ReportID))
	case "remove_neighbour":
		err = s.store.RemoveRemoteItem(ctx, a.ID, now, s.modLog(by, "remove neighbour post", fmt.Sprintf("neighbour post %d", a.ID), reason, a.ReportID))
	case "release_answer":
		err = s.store.ReleaseNeighbourReply(ctx, a.ID, now, s.modLog(by, "release held answer to a neighbour", fmt.Sprintf("answer %d", a.ID), reason, a.ReportID))
	case "remove_answer":
		err = s.store.RemoveNeighbourReply(ctx, a.ID, s.modLog(by, "remove held answer to a neighbour", fmt.Sprintf("answer %d", a.ID), reason, a.ReportID))
	case "remove_response":
		var n Notices
		if r, err2 := s.store.ResponseByID(ctx, a.ID); err2 == nil && r.AuthorID != 0 {
			it, err3 := s.store.ItemByID(ctx, r.ItemID)
			if err3 != nil {
				return err3
			}
			if n, err2 = s.tell(ctx, event{kind: NoteResponseRemoved, item: it, detail: reason}, r.AuthorID); err2 != nil {
				return err2
			}
		} else if err2 != nil && !isNotFound(err2) {
			return err2
		}
		err = s.store.ModerateResponse(ctx, a.ID, by.ID, now, s.modLog(by, "remove reply", fmt.Sprintf("reply %d", a.ID), reason, a.ReportID), n)
	case "remove":
		if reason == "" {
			return &FieldError{Field: "reason", Code: "err.reason_needed"}
		}
		m, err2 := s.store.MemberByID(ctx, a.ID)
		if err2 != nil {
			return err2
		}
		if m.ID == by.ID || (m.IsAdmin() && !by.IsAdmin()) {
			return ErrForbidden
		}
		err = s.store.DeleteAccount(ctx, m.ID, now, s.modLog(by, "remove member", "@"+m.Handle, reason, a.ReportID))
	case "warn", "suspend":
		if reason == "" {
			return &FieldError{Field: "reason", Code: "err.reason_needed"}
		}
		m, err2 := s.store.MemberByID(ctx, a.ID)
		if err2 != nil {
			return err2
		}
		if a.Action == "warn" {
			n, err2 := s.tell(ctx, event{kind: NoteWarning, detail: reason}, m.ID)
			if err2 != nil {
				return err2
			}
			err = s.store.WarnMember(ctx, m.ID, reason, now, s.modLog(by, "warn member", "@"+m.Handle, reason, a.ReportID), n)
		} else {
			err = s.suspend(ctx, by, m.ID, reason, a.ReportID)
		}
	case "block_actor":
		if !strings.HasPrefix(a.Target, "https://") && !strings.HasPrefix(a.Target, "http://") {
			return &FieldError{Field: "target", Code: "err.actor_format"}
		}
		err = s.store.BlockActor(ctx, a.Target, reason, by.ID, now, s.modLog(by, "block remote actor", a.Target, reason, a.ReportID))
	case "block_domain":
		d := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(a.Target, "*.")))
		if !domainPattern.MatchString(d) {
			return &FieldError{Field: "target", Code: "err.domain_format"}
		}
		err = s.store.BlockDomain(ctx, d, reason, by.ID, now, s.modLog(by, "block domain", d, reason, a.ReportID))
	case "unblock_domain":
		err = s.store.UnblockDomain(ctx, a.Target, s.modLog(by, "unblock domain", a.Target, reason, 0), now)
	default:
		return problem(ErrInvalid, "moderation.unknown_action")
	}
	if err != nil {
		return err
	}
	s.log.Info("moderation", "action", a.Action, "by", by.Handle, "id", a.ID, "target", a.Target, "report", a.ReportID)
	if a.ReportID != 0 {
		return s.store.ResolveReport(ctx, a.ReportID, "resolved", now, nil)
	}
	return nil
}

// RecordVerification records a check on a helper and makes them a
// verified helper. Coordinators only.
func (s *Service) RecordVerification(ctx context.Context, by *Member, memberID int64, checkType string, verifiedOn, expiresOn DateInput) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	var v ValidationErrors
	if !slices.Contains(CheckTypes, checkType) {
		v.add(&FieldError{Field: "check", Code: "err.choice"})
	}
	on, fe := parseDate("verified_on", verifiedOn, s.loc, true)
	if fe == nil && on.After(s.now()) {
		fe = &FieldError{Field: "verified_on", Code: "err.date_future"}
	}
	v.add(fe)
	until, fe := parseDate("expires_on", expiresOn, s.loc, true)
	if fe == nil && !until.After(s.now()) {
		fe = &FieldError{Field: "expires_on", Code: "err.date_after_today"}
	}
	v.add(fe)
	if err := v.err(); err != nil {
		return err
	}
	m, err := s.store.MemberByID(ctx, memberID)
	if err != nil {
		return err
	}
	return s.store.AddVerification(ctx, &Verification{MemberID: memberID, CheckType: checkType, VerifiedBy: by.ID, VerifiedOn: on, ExpiresOn: until},
		s.now(), s.modLog(by, "record verification ("+checkType+")", "@"+m.Handle, "until "+until.Format("2006-01-02"), 0))
}

// RevokeVerification withdraws a verification, with a reason.
func (s *Service) RevokeVerification(ctx context.Context, by *Member, id int64, reason string) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	reason, fe := cleanText(reason, textRule{field: "reason", required: true, max: MaxReason})
	if fe != nil {
		return fe
	}
	v, err := s.store.VerificationByID(ctx, id)
	if err != nil {
		return err
	}
	m, err := s.store.MemberByID(ctx, v.MemberID)
	if err != nil {
		return err
	}
	return s.store.RevokeVerification(ctx, id, reason, s.now(), s.modLog(by, "revoke verification ("+v.CheckType+")", "@"+m.Handle, reason, 0))
}

// Verifications lists a member's checks (coordinators, and the member).
func (s *Service) Verifications(ctx context.Context, by *Member, memberID int64) ([]*Verification, error) {
	if !by.IsCoordinator() && (!by.Has(RoleMember) || by.ID != memberID) {
		return nil, ErrForbidden
	}
	return s.store.Verifications(ctx, memberID)
}

// RaiseConcern files a welfare concern: it goes to safeguarding leads
// only, and never leaves the instance.
func (s *Service) RaiseConcern(ctx context.Context, by *Member, about, details string) error {
	if !by.Has(RoleMember) {
		return ErrForbidden
	}
	var v ValidationErrors
	about, fe := cleanText(about, textRule{field: "about", required: true, max: 200})
	v.add(fe)
	details, fe = cleanText(details, textRule{field: "details", required: true, max: 5000, multiline: true})
	v.add(fe)
	if err := v.err(); err != nil {
		return err
	}
	// The leads are told only that a concern needs them: nothing of who,
	// about whom or what, on the page or by email.
	to, kind, err := s.concernRecipients(ctx)
	if err != nil {
		return err
	}
	n, err := s.tell(ctx, event{kind: kind}, without(to, by.ID)...)
	if err != nil {
		return err
	}
	_, err = s.store.AddConcern(ctx, &Concern{ReporterID: by.ID, About: about, Details: details, Status: "open", CreatedAt: s.now()}, n)
	if err == nil {
		s.log.Info("safeguarding concern raised") // no details in the log
	}
	return err
}

// Concerns lists welfare concerns: safeguarding leads only (being a
// coordinator or an admin is not enough).
func (s *Service) Concerns(ctx context.Context, by *Member) ([]*Concern, error) {
	if !by.Has(RoleSafeguardingLead) {
		return nil, ErrForbidden
	}
	return s.store.Concerns(ctx)
}

// Concern returns one concern with its handling log (leads only).
func (s *Service) Concern(ctx context.Context, by *Member, id int64) (*Concern, error) {
	if !by.Has(RoleSafeguardingLead) {
		return nil, ErrForbidden
	}
	return s.store.ConcernByID(ctx, id)
}

// HandleConcern records what a lead did, optionally closing the concern.
func (s *Service) HandleConcern(ctx context.Context, by *Member, id int64, note string, close bool) error {
	if !by.Has(RoleSafeguardingLead) {
		return ErrForbidden
	}
	note, fe := cleanText(note, textRule{field: "note", required: true, max: 5000, multiline: true})
	if fe != nil {
		return fe
	}
	action := "note"
	if close {
		action = "closed"
	}
	return s.store.LogConcern(ctx, id, &ModLog{ActorID: by.ID, Action: action, Reason: note, CreatedAt: s.now()}, close)
}

// SetOnBreak pauses or resumes a member's availability ("taking a break"):
// on a break they are not offered needs to help with.
func (s *Service) SetOnBreak(ctx context.Context, m *Member, on bool) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	return s.store.SetOnBreak(ctx, m.ID, on)
}

// DeleteAccount deletes a member's account after checking their password:
// their items and replies are deleted (and retracted from the fediverse),
// their personal details erased, and they are signed out everywhere.
func (s *Service) DeleteAccount(ctx context.Context, m *Member, password string) error {
	if password == "" {
		return &FieldError{Field: "password", Code: "err.password_enter"}
	}
	ok, err := s.checkPassword(ctx, m.ID, m.PasswordHash, password)
	if err != nil {
		return err
	}
	if !ok {
		return &FieldError{Field: "password", Code: "err.password_wrong"}
	}
	if m.IsAdmin() {
		admins := 0
		members, err := s.store.ListMembers(ctx, StatusActive)
		if err != nil {
			return err
		}
		for _, x := range members {
			if x.IsAdmin() {
				admins++
			}
		}
		if admins <= 1 {
			return problem(ErrForbidden, "account.last_admin")
		}
	}
	s.log.Info("account deleted", "member_id", m.ID)
	return s.store.DeleteAccount(ctx, m.ID, s.now(), nil)
}
