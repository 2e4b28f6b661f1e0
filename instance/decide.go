package instance

import (
	"context"
	"fmt"
	"time"
)

// Deciding together: participatory budgeting (budget.go) and panels
// chosen by lot (panels.go, sortition.go).
//
// People are told about four moments, each in the same transaction as
// the change, through the notifications that members see on their page
// (Notification, written by the store with the change):
//
//   - voting opened on a budget round ("note.budget_voting_open"), from
//     SweepDecide when a round's voting date comes, or when a coordinator
//     starts voting early (Service.AdvanceRound);
//   - voting closes tomorrow ("note.budget_closing"), from SweepDecide a
//     day before, to those who have not voted yet;
//   - the results are out ("note.budget_results", linked to the results
//     post), from closeRound;
//   - you were drawn for a panel ("note.panel_drawn"), from DrawPanel.
//
// decideNotices builds each list; the email and push notifications work
// hooks in there.

// DecideLog is one line of a budget round's or a panel's public history:
// who changed what, when. Action is a catalogue key ("dlog.opened");
// Detail fills it (a project's title, a reason).
type DecideLog struct {
	ID        int64
	ActorID   int64 // 0: Hearth itself (a date came)
	Actor     string
	Action    string
	Detail    string
	CreatedAt time.Time
}

func (s *Service) decideLog(by *Member, action, detail string) *DecideLog {
	l := &DecideLog{Action: action, Detail: detail, CreatedAt: s.now()}
	if by != nil {
		l.ActorID = by.ID
	}
	return l
}

// decideNotices tells each member one thing (see the list above). itemID
// links the notice to a post (the results), or is 0.
func decideNotices(members []int64, kind NoteKind, itemID int64) []Notification {
	out := make([]Notification, 0, len(members))
	for _, id := range members {
		out = append(out, Notification{MemberID: id, ItemID: itemID, Kind: kind})
	}
	return out
}

// eligibleMembers lists who may take part in a round or panel: the
// members of its group (everyone, for the main village group).
func (s *Service) eligibleMembers(ctx context.Context, groupID int64) ([]int64, error) {
	ms, err := s.store.GroupMembers(ctx, groupID)
	if err != nil {
		return nil, fmt.Errorf("instance: members of group %d: %w", groupID, err)
	}
	var out []int64
	for _, m := range ms {
		if m.Status == StatusActive {
			out = append(out, m.ID)
		}
	}
	return out, nil
}

// SweepDecide does the time-driven work of deciding together: a round's
// phases move on when their dates come (voting opens, "closing tomorrow",
// voting closes and the results are published), and guests' names and
// contacts are erased once their panel has ended. cmd runs it every
// minute; tests call it with an injected clock.
func (s *Service) SweepDecide(ctx context.Context) error {
	now := s.now()
	rounds, err := s.store.ListRounds(ctx)
	if err != nil {
		return fmt.Errorf("sweep decide: rounds: %w", err)
	}
	opened, reminded, closed := 0, 0, 0
	for _, r := range rounds {
		if !r.ClosedAt.IsZero() {
			continue
		}
		switch {
		case !now.Before(r.ResultsAt):
			if err := s.closeRound(ctx, nil, r); err != nil {
				return fmt.Errorf("sweep decide: close round %d: %w", r.ID, err)
			}
			closed++
		case !now.Before(r.VotingFrom):
			if r.VotingToldAt.IsZero() {
				if err := s.tellVotingOpen(ctx, r); err != nil {
					return fmt.Errorf("sweep decide: round %d voting opened: %w", r.ID, err)
				}
				opened++
			}
			if r.ClosingToldAt.IsZero() && !now.Before(r.ResultsAt.Add(-24*time.Hour)) {
				if err := s.tellClosing(ctx, r); err != nil {
					return fmt.Errorf("sweep decide: round %d closing: %w", r.ID, err)
				}
				reminded++
			}
		}
	}
	pollsReminded, pollsClosed, err := s.sweepPolls(ctx)
	if err != nil {
		return fmt.Errorf("sweep decide: %w", err)
	}
	propsReminded, propsClosed, err := s.sweepProposals(ctx)
	if err != nil {
		return fmt.Errorf("sweep decide: %w", err)
	}
	if pollsReminded+pollsClosed+propsReminded+propsClosed > 0 {
		s.log.Info("sweep decide: votes", "poll_reminders", pollsReminded, "polls_closed", pollsClosed,
			"proposal_reminders", propsReminded, "proposals_closed", propsClosed)
	}
	erased, err := s.store.ErasePanelGuests(ctx, now)
	if err != nil {
		return fmt.Errorf("sweep decide: erase guests: %w", err)
	}
	if opened+reminded+closed+erased > 0 {
		s.log.Info("sweep decide", "voting_opened", opened, "closing_reminders", reminded, "rounds_closed", closed,
			"panels_guests_erased", erased)
	}
	return nil
}

func (s *Service) tellVotingOpen(ctx context.Context, r *Round) error {
	members, err := s.eligibleMembers(ctx, r.GroupID)
	if err != nil {
		return err
	}
	return s.store.MarkRoundTold(ctx, r.ID, "voting", s.now(), decideNotices(members, NoteBudgetVotingOpen, 0))
}

func (s *Service) tellClosing(ctx context.Context, r *Round) error {
	members, err := s.eligibleMembers(ctx, r.GroupID)
	if err != nil {
		return err
	}
	voted, err := s.store.Voters(ctx, r.ID)
	if err != nil {
		return err
	}
	var waiting []int64
	for _, id := range members {
		if !voted[id] {
			waiting = append(waiting, id)
		}
	}
	return s.store.MarkRoundTold(ctx, r.ID, "closing", s.now(), decideNotices(waiting, NoteBudgetClosing, 0))
}

// MayOrganiseDecisions says whether a member may open budget rounds and
// panels (coordinators), so that the forms for them are refused in the
// domain, as the actions are.
func (s *Service) MayOrganiseDecisions(by *Member) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	return nil
}
