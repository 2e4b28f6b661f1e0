package instance

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Consent proposals, the way many community groups decide: a proposal
// with a deadline; each member of its group answers agree, abstain,
// disagree or block, with a short reason (a block must give one). When
// the deadline comes it is agreed unless someone blocked it, and the
// outcome and every reason are shown. Local members only: proposals never
// leave the instance.

// Consent is a member's answer to a proposal.
type Consent string

// The four answers. Disagreeing is "I would not, but go ahead"; a block
// is "this must not happen", and stops it.
const (
	ConsentAgree    Consent = "agree"
	ConsentAbstain  Consent = "abstain"
	ConsentDisagree Consent = "disagree"
	ConsentBlock    Consent = "block"
)

// Consents lists them in display order.
var Consents = []Consent{ConsentAgree, ConsentAbstain, ConsentDisagree, ConsentBlock}

// Outcome is how a closed proposal ended.
type Outcome string

// Agreed (nobody blocked), blocked, or nobody answered.
const (
	OutcomeAgreed    Outcome = "agreed"
	OutcomeBlocked   Outcome = "blocked"
	OutcomeNoAnswers Outcome = "no_answers"
)

// Limits on proposals.
const MaxAnswerReason = 300

// Proposal is a consent proposal.
type Proposal struct {
	ID            int64
	GroupID       int64
	GroupHandle   string
	GroupName     string
	GroupMain     bool
	CreatedBy     int64
	Author        string
	Title         string
	Description   string
	CreatedAt     time.Time
	ClosesAt      time.Time
	ClosingToldAt time.Time
	ClosedAt      time.Time
	Outcome       Outcome
}

// Path is the proposal's page.
func (p *Proposal) Path() string { return "/proposals/" + strconv.FormatInt(p.ID, 10) }

// Closed reports whether it takes no more answers at now.
func (p *Proposal) Closed(now time.Time) bool { return !p.ClosedAt.IsZero() || !now.Before(p.ClosesAt) }

// ProposalAnswer is one member's answer.
type ProposalAnswer struct {
	MemberID  int64
	Member    string
	Answer    Consent
	Reason    string
	UpdatedAt time.Time
}

// ProposalStore keeps proposals and their answers.
type ProposalStore interface {
	CreateProposal(ctx context.Context, p *Proposal, n Notices) (int64, error)
	ProposalByID(ctx context.Context, id int64) (*Proposal, error)
	ListProposals(ctx context.Context) ([]*Proposal, error)
	// SaveAnswer stores (or replaces) a member's answer while the proposal
	// is open at a.UpdatedAt (ErrConflict: it is not).
	SaveAnswer(ctx context.Context, proposalID int64, a *ProposalAnswer) error
	ProposalAnswers(ctx context.Context, proposalID int64) ([]*ProposalAnswer, error)
	// CloseProposal records the outcome and writes n. ErrConflict:
	// closed already.
	CloseProposal(ctx context.Context, id int64, outcome Outcome, now time.Time, n Notices) error
	MarkProposalTold(ctx context.Context, id int64, now time.Time, n Notices) error
}

// ProposalInput is the proposal form.
type ProposalInput struct {
	Group       string
	Title       string
	Description string
	ClosesOn    DateInput
	ClosesAt    TimeInput
}

// CreateProposal opens a proposal in a group and tells its members.
func (s *Service) CreateProposal(ctx context.Context, by *Member, in ProposalInput) (*Proposal, error) {
	if !by.Has(RoleMember) {
		return nil, ErrForbidden
	}
	var v ValidationErrors
	var fe *FieldError
	g, err := s.voteGroup(ctx, in.Group)
	if err != nil {
		v.add(&FieldError{Field: "group", Code: "err.group_choice"})
	} else if err := s.MayStartVote(ctx, by, g); err != nil {
		return nil, err
	}
	p := &Proposal{CreatedBy: by.ID, Author: by.DisplayName, CreatedAt: s.now()}
	p.Title, fe = cleanText(in.Title, textRule{field: "title", required: true, max: MaxTitle})
	v.add(fe)
	p.Description, fe = cleanText(in.Description, textRule{field: "description", required: true, max: MaxDescription, multiline: true})
	v.add(fe)
	p.ClosesAt = s.closingTime(&v, in.ClosesOn, in.ClosesAt, "closes_on", "closes_at")
	if err := v.err(); err != nil {
		return nil, err
	}
	p.GroupID, p.GroupHandle, p.GroupName, p.GroupMain = g.ID, g.Handle, g.Name, g.Main
	members, err := s.eligibleMembers(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	n, err := s.tell(ctx, event{kind: NoteProposalOpened, by: by, detail: p.Title}, members...)
	if err != nil {
		return nil, err
	}
	if p.ID, err = s.store.CreateProposal(ctx, p, n); err != nil {
		return nil, fmt.Errorf("instance: create proposal: %w", err)
	}
	s.log.Info("proposal opened", "proposal", p.ID, "group", g.Handle, "by", by.Handle)
	return p, nil
}

// Proposal returns a proposal; members only.
func (s *Service) Proposal(ctx context.Context, viewer *Member, id int64) (*Proposal, error) {
	if !viewer.Has(RoleMember) {
		return nil, ErrNotFound
	}
	return s.store.ProposalByID(ctx, id)
}

// Proposals lists every proposal; members only.
func (s *Service) Proposals(ctx context.Context, viewer *Member) ([]*Proposal, error) {
	if !viewer.Has(RoleMember) {
		return nil, nil
	}
	return s.store.ListProposals(ctx)
}

// CanAnswer reports whether m may answer p: a member of its group.
func (s *Service) CanAnswer(ctx context.Context, m *Member, p *Proposal) (bool, error) {
	if !m.Has(RoleMember) {
		return false, nil
	}
	return s.store.IsGroupMember(ctx, p.GroupID, m.ID)
}

// ProposalAnswers returns the answers to a proposal: while it is open,
// only the viewer's own (so early answers do not sway later ones); once
// it has closed, all of them with their reasons.
func (s *Service) ProposalAnswers(ctx context.Context, viewer *Member, p *Proposal) ([]*ProposalAnswer, error) {
	if !viewer.Has(RoleMember) {
		return nil, ErrNotFound
	}
	all, err := s.store.ProposalAnswers(ctx, p.ID)
	if err != nil {
		return nil, fmt.Errorf("instance: answers to proposal %d: %w", p.ID, err)
	}
	if p.Closed(s.now()) {
		return all, nil
	}
	var mine []*ProposalAnswer
	for _, a := range all {
		if a.MemberID == viewer.ID {
			mine = append(mine, a)
		}
	}
	return mine, nil
}

// AnswerProposal stores a member's answer (replacing an earlier one)
// until the deadline.
func (s *Service) AnswerProposal(ctx context.Context, by *Member, id int64, answer, reason string) error {
	p, err := s.Proposal(ctx, by, id)
	if err != nil {
		return err
	}
	if ok, err := s.CanAnswer(ctx, by, p); err != nil {
		return err
	} else if !ok {
		return problem(ErrForbidden, "budget.not_in_group", p.GroupName)
	}
	var v ValidationErrors // whether it is still open is checked in the store's transaction
	a := &ProposalAnswer{MemberID: by.ID, UpdatedAt: s.now()}
	switch Consent(answer) {
	case ConsentAgree, ConsentAbstain, ConsentDisagree, ConsentBlock:
		a.Answer = Consent(answer)
	case "":
		v.add(&FieldError{Field: "answer", Code: "err.proposal_answer"})
	default:
		v.add(&FieldError{Field: "answer", Code: "err.choice"})
	}
	var fe *FieldError
	a.Reason, fe = cleanText(reason, textRule{field: "reason", max: MaxAnswerReason, multiline: true})
	v.add(fe)
	if fe == nil && a.Answer == ConsentBlock && a.Reason == "" {
		v.add(&FieldError{Field: "reason", Code: "err.block_reason"})
	}
	if err := v.err(); err != nil {
		return err
	}
	if err := s.store.SaveAnswer(ctx, p.ID, a); err != nil {
		if errors.Is(err, ErrConflict) {
			return &FieldError{Field: "answer", Code: "err.proposal_closed"}
		}
		return fmt.Errorf("instance: answer proposal %d: %w", p.ID, err)
	}
	s.log.Info("proposal answered", "proposal", p.ID)
	return nil
}

// ProposalOutcome is the outcome of a set of answers: blocked if anyone
// blocked, agreed if anyone answered, and "no answers" otherwise.
func ProposalOutcome(answers []*ProposalAnswer) Outcome {
	if len(answers) == 0 {
		return OutcomeNoAnswers
	}
	for _, a := range answers {
		if a.Answer == ConsentBlock {
			return OutcomeBlocked
		}
	}
	return OutcomeAgreed
}

// AnswerCounts counts answers by kind.
func AnswerCounts(answers []*ProposalAnswer) map[Consent]int {
	out := map[Consent]int{}
	for _, a := range answers {
		out[a.Answer]++
	}
	return out
}

// sweepProposals reminds members a day before a proposal closes and
// closes those whose deadline has come.
func (s *Service) sweepProposals(ctx context.Context) (reminded, closed int, err error) {
	now := s.now()
	ps, err := s.store.ListProposals(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("proposals: %w", err)
	}
	for _, p := range ps {
		if !p.ClosedAt.IsZero() {
			continue
		}
		members, err := s.eligibleMembers(ctx, p.GroupID)
		if err != nil {
			return reminded, closed, err
		}
		switch {
		case !now.Before(p.ClosesAt):
			answers, err := s.store.ProposalAnswers(ctx, p.ID)
			if err != nil {
				return reminded, closed, err
			}
			n, err := s.tell(ctx, event{kind: NoteProposalResults, detail: p.Title}, members...)
			if err != nil {
				return reminded, closed, err
			}
			if err := s.store.CloseProposal(ctx, p.ID, ProposalOutcome(answers), now, n); err != nil && !errors.Is(err, ErrConflict) {
				return reminded, closed, fmt.Errorf("close proposal %d: %w", p.ID, err)
			}
			closed++
		case p.ClosingToldAt.IsZero() && !now.Before(p.ClosesAt.Add(-24*time.Hour)) && now.Sub(p.CreatedAt) >= 24*time.Hour:
			answers, err := s.store.ProposalAnswers(ctx, p.ID)
			if err != nil {
				return reminded, closed, err
			}
			answered := map[int64]bool{}
			for _, a := range answers {
				answered[a.MemberID] = true
			}
			var waiting []int64
			for _, id := range members {
				if !answered[id] {
					waiting = append(waiting, id)
				}
			}
			n, err := s.tell(ctx, event{kind: NoteProposalClosing, detail: p.Title}, waiting...)
			if err != nil {
				return reminded, closed, err
			}
			if err := s.store.MarkProposalTold(ctx, p.ID, now, n); err != nil {
				return reminded, closed, fmt.Errorf("proposal %d closing: %w", p.ID, err)
			}
			reminded++
		}
	}
	return reminded, closed, nil
}
