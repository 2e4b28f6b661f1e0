package instance_test

import (
	"errors"
	"slices"
	"testing"

	"hearth/instance"
)

func (f *fixture) proposal(t *testing.T, by *instance.Member) *instance.Proposal {
	t.Helper()
	p, err := f.svc.CreateProposal(ctx, by, instance.ProposalInput{Title: "Move the market to Saturdays",
		Description: "More people can come.", ClosesOn: instance.DateOf("2026-12-01"), ClosesAt: instance.TimeOf("18:00")})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A block must give a reason; an answer can be changed until the
// deadline, and not after it; bad answers change nothing stored.
func TestProposalAnswerRules(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	ann, bob := f.member(t, "ann"), f.member(t, "bob")
	p := f.proposal(t, ann)
	if _, err := f.svc.CreateProposal(ctx, ann, instance.ProposalInput{Title: "x", ClosesOn: instance.DateOf("2026-12-01"),
		ClosesAt: instance.TimeOf("18:00")}); fieldCode(err, "description") != "err.required" {
		t.Errorf("a proposal without a description: %v", err)
	}
	if err := f.svc.AnswerProposal(ctx, bob, p.ID, "agree", "Fine by me"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AnswerProposal(ctx, bob, p.ID, "block", "  "); fieldCode(err, "reason") != "err.block_reason" {
		t.Errorf("a block without a reason: %v", err)
	}
	if err := f.svc.AnswerProposal(ctx, bob, p.ID, "", "x"); fieldCode(err, "answer") != "err.proposal_answer" {
		t.Errorf("no answer: %v", err)
	}
	if err := f.svc.AnswerProposal(ctx, bob, p.ID, "maybe", "x"); fieldCode(err, "answer") != "err.choice" {
		t.Errorf("an unknown answer: %v", err)
	}
	mine, err := f.svc.ProposalAnswers(ctx, bob, p)
	if err != nil || len(mine) != 1 || mine[0].Answer != instance.ConsentAgree || mine[0].Reason != "Fine by me" {
		t.Fatalf("after refused answers, bob's answer is %+v (%v)", mine, err)
	}
	if err := f.svc.AnswerProposal(ctx, bob, p.ID, "disagree", "Saturdays are busy"); err != nil {
		t.Fatal(err)
	}
	// While open, nobody sees others' answers.
	if others, _ := f.svc.ProposalAnswers(ctx, ann, p); len(others) != 0 {
		t.Errorf("ann sees %d answers before the deadline", len(others))
	}
	f.at("2026-12-01 18:00")
	if err := f.svc.AnswerProposal(ctx, ann, p.ID, "agree", ""); fieldCode(err, "answer") != "err.proposal_closed" {
		t.Errorf("an answer at the deadline: %v", err)
	}
	if _, err := f.svc.Proposal(ctx, nil, p.ID); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("a visitor sees a proposal: %v", err)
	}
}

// Agreed unless someone blocks; the outcome and every reason are shown
// once it closes, and members are told.
func TestProposalOutcome(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	ann, bob, cat := f.member(t, "ann"), f.member(t, "bob"), f.member(t, "cat")
	agreed, blocked, empty := f.proposal(t, ann), f.proposal(t, ann), f.proposal(t, ann)
	for _, a := range []struct {
		p      *instance.Proposal
		m      *instance.Member
		answer string
	}{{agreed, bob, "agree"}, {agreed, cat, "disagree"}, {blocked, bob, "agree"}, {blocked, cat, "block"}} {
		if err := f.svc.AnswerProposal(ctx, a.m, a.p.ID, a.answer, "because "+a.m.Handle); err != nil {
			t.Fatal(err)
		}
	}
	if k := f.kinds(t, bob); !slices.Contains(k, instance.NoteProposalOpened) {
		t.Errorf("bob was not told of the proposal: %v", k)
	}
	f.at("2026-11-30 19:00")
	if err := f.svc.SweepDecide(ctx); err != nil {
		t.Fatal(err)
	}
	if k := f.kinds(t, bob); !slices.Contains(k, instance.NoteProposalClosing) {
		t.Errorf("bob, who has not answered one of them, was not reminded: %v", k)
	}
	f.at("2026-12-01 18:00")
	if err := f.svc.SweepDecide(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    *instance.Proposal
		want instance.Outcome
	}{{agreed, instance.OutcomeAgreed}, {blocked, instance.OutcomeBlocked}, {empty, instance.OutcomeNoAnswers}} {
		p, err := f.svc.Proposal(ctx, ann, tc.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.ClosedAt.IsZero() || p.Outcome != tc.want {
			t.Errorf("proposal %d: closed %v, outcome %q, want %q", p.ID, p.ClosedAt, p.Outcome, tc.want)
		}
	}
	all, err := f.svc.ProposalAnswers(ctx, ann, blocked)
	if err != nil || len(all) != 2 || all[1].Reason != "because cat" || all[1].Answer != instance.ConsentBlock {
		t.Errorf("after closing, ann sees %+v (%v)", all, err)
	}
	if k := f.kinds(t, cat); !slices.Contains(k, instance.NoteProposalResults) {
		t.Errorf("cat was not told of the outcome: %v", k)
	}
}
