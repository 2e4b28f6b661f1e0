package instance_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// poll posts a public poll closing on Tuesday 1 December at 18:00 (the
// fixture's clock is Friday 27 November, 10:00).
func (f *fixture) poll(t *testing.T, by *instance.Member, multiple bool, results instance.PollResults) (*instance.Item, *instance.Poll) {
	t.Helper()
	it, err := f.svc.CreatePoll(ctx, by, instance.PollInput{Question: "Where should the new bench go?",
		Options: "By the pond\nOn the green\nOutside the shop", Multiple: multiple, Results: string(results),
		Visibility: "public", ClosesOn: instance.DateOf("2026-12-01"), ClosesAt: instance.TimeOf("18:00")})
	if err != nil {
		t.Fatal(err)
	}
	return it, f.pollState(t, it.ID)
}

func (f *fixture) pollState(t *testing.T, id int64) *instance.Poll {
	t.Helper()
	p, err := f.store.PollByItem(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func counts(p *instance.Poll) []int {
	var out []int
	for _, o := range p.Options {
		out = append(out, o.Votes)
	}
	return out
}

// The form refuses each bad input beside its field, and stores nothing.
func TestPollFormRules(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	ann := f.member(t, "ann")
	good := instance.PollInput{Question: "Bench?", Options: "Yes\nNo", Results: "after_vote", Visibility: "public",
		ClosesOn: instance.DateOf("2026-12-01"), ClosesAt: instance.TimeOf("18:00")}
	for _, tc := range []struct {
		name, field, code string
		change            func(*instance.PollInput)
	}{
		{"one option", "options", "err.poll_options", func(in *instance.PollInput) { in.Options = "Yes\n\n" }},
		{"eleven options", "options", "err.poll_options", func(in *instance.PollInput) {
			in.Options = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11"
		}},
		{"the same option twice", "options", "err.poll_option_twice", func(in *instance.PollInput) { in.Options = "Yes\nyes" }},
		{"an option too long", "options", "err.poll_option_long", func(in *instance.PollInput) { in.Options = "Yes\n" + strings.Repeat("n", 101) }},
		{"no question", "question", "err.required", func(in *instance.PollInput) { in.Question = " " }},
		{"closing in the past", "closes_on", "err.closes_past", func(in *instance.PollInput) { in.ClosesOn = instance.DateOf("2026-11-26") }},
		{"closing in two years", "closes_on", "err.closes_far", func(in *instance.PollInput) { in.ClosesOn = instance.DateOf("2028-11-26") }},
		{"no closing time", "closes_at", "err.required", func(in *instance.PollInput) { in.ClosesAt = instance.TimeInput{} }},
		{"results of another kind", "results", "err.choice", func(in *instance.PollInput) { in.Results = "never" }},
	} {
		in := good
		tc.change(&in)
		_, err := f.svc.CreatePoll(ctx, ann, in)
		if got := fieldCode(err, tc.field); got != tc.code {
			t.Errorf("%s: %s = %q (%v), want %q", tc.name, tc.field, got, err, tc.code)
		}
	}
	if ps, _ := f.store.ListPolls(ctx); len(ps) != 0 {
		t.Errorf("refused forms stored %d polls", len(ps))
	}
	in := good
	in.Options = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10"
	if _, err := f.svc.CreatePoll(ctx, ann, in); err != nil {
		t.Errorf("ten options: %v", err)
	}
}

// A group can keep polls to its coordinators; otherwise its members post
// them, and people outside it do not.
func TestPollWhoMayPost(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ann := f.member(t, "ann")
	in := instance.PollInput{Question: "Bench?", Options: "Yes\nNo", Results: "after_vote",
		ClosesOn: instance.DateOf("2026-12-01"), ClosesAt: instance.TimeOf("18:00")}
	if _, err := f.svc.CreatePoll(ctx, ann, in); err != nil {
		t.Fatalf("a member posting in the village group: %v", err)
	}
	if err := f.svc.SetVotesByCoordinators(ctx, ann, "village", true); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a member changing the setting: %v", err)
	}
	if err := f.svc.SetVotesByCoordinators(ctx, cora, "village", true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreatePoll(ctx, ann, in); problemCode(err) != "poll.coordinators_only" {
		t.Errorf("a member posting when coordinators only: %v", err)
	}
	if _, err := f.svc.CreateProposal(ctx, ann, instance.ProposalInput{Title: "x", Description: "y", ClosesOn: in.ClosesOn, ClosesAt: in.ClosesAt}); problemCode(err) != "poll.coordinators_only" {
		t.Errorf("a member proposing when coordinators only: %v", err)
	}
	if _, err := f.svc.CreatePoll(ctx, cora, in); err != nil {
		t.Errorf("a coordinator posting: %v", err)
	}
	g, err := f.svc.CreateGroup(ctx, cora, instance.GroupInput{Handle: "garden", Name: "Garden club"})
	if err != nil {
		t.Fatal(err)
	}
	in.Group = g.Handle
	if _, err := f.svc.CreatePoll(ctx, ann, in); problemCode(err) != "budget.not_in_group" {
		t.Errorf("posting in a group one is not in: %v", err)
	}
}

// One choice: a vote replaces the last, until it closes; a vote for
// several options or none is refused, and so is a vote after closing,
// with the stored vote unchanged.
func TestPollVoteChangeAndClose(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	ann, bob := f.member(t, "ann"), f.member(t, "bob")
	it, p := f.poll(t, ann, false, instance.ResultsAfterVote)
	pond, green := p.Options[0].ID, p.Options[1].ID
	if err := f.svc.Vote(ctx, bob, it.ID, []int64{pond}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Vote(ctx, bob, it.ID, []int64{green}); err != nil {
		t.Fatal(err)
	}
	if got := counts(f.pollState(t, it.ID)); !slices.Equal(got, []int{0, 1, 0}) {
		t.Errorf("after changing the vote: %v", got)
	}
	if err := f.svc.Vote(ctx, bob, it.ID, []int64{pond, green}); fieldCode(err, "options") != "err.poll_one" {
		t.Errorf("two choices on a one-choice poll: %v", err)
	}
	if err := f.svc.Vote(ctx, bob, it.ID, nil); fieldCode(err, "options") != "err.poll_choose" {
		t.Errorf("no choice: %v", err)
	}
	if err := f.svc.Vote(ctx, bob, it.ID, []int64{99999}); fieldCode(err, "options") != "err.choice" {
		t.Errorf("an unknown option: %v", err)
	}
	f.at("2026-12-01 18:00")
	if err := f.svc.Vote(ctx, bob, it.ID, []int64{pond}); fieldCode(err, "options") != "err.poll_closed" {
		t.Errorf("a vote at the closing time: %v", err)
	}
	if err := f.svc.SweepDecide(ctx); err != nil {
		t.Fatal(err)
	}
	got := f.pollState(t, it.ID)
	if got.ClosedAt.IsZero() {
		t.Error("the sweep did not close the poll")
	}
	if !slices.Equal(counts(got), []int{0, 1, 0}) || got.Voters != 1 {
		t.Errorf("after refused votes: %v, %d voters", counts(got), got.Voters)
	}
	if mine, _ := f.svc.MyVote(ctx, bob, got); !slices.Equal(mine, []int64{green}) {
		t.Errorf("bob's vote: %v", mine)
	}
}

// Several choices: a member's vote is a set of options, each counted
// once; voters and votes differ.
func TestPollAnyOf(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	ann, bob := f.member(t, "ann"), f.member(t, "bob")
	it, p := f.poll(t, ann, true, instance.ResultsAfterVote)
	o := p.Options
	if err := f.svc.Vote(ctx, bob, it.ID, []int64{o[0].ID, o[2].ID, o[0].ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Vote(ctx, ann, it.ID, []int64{o[2].ID}); err != nil {
		t.Fatal(err)
	}
	got := f.pollState(t, it.ID)
	if !slices.Equal(counts(got), []int{1, 0, 2}) || got.Voters != 2 || got.Votes() != 3 {
		t.Errorf("counts %v, %d voters, %d votes", counts(got), got.Voters, got.Votes())
	}
}

// Remote votes: one per account (per option, for several choices);
// unknown options and votes after closing are ignored; blocked accounts
// and servers are refused, and their earlier votes stop counting.
func TestPollRemoteVotes(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	one, _ := f.poll(t, cora, false, instance.ResultsAfterVote)
	alice, bob, carol := "https://social.example/users/alice", "https://social.example/users/bob", "https://other.example/users/carol"
	vote := func(item int64, actor, obj, option string) bool {
		t.Helper()
		ok, err := f.svc.ReceivePollVote(ctx, item, actor, obj, option)
		if err != nil {
			t.Fatalf("vote %s by %s: %v", obj, actor, err)
		}
		return ok
	}
	if !vote(one.ID, alice, alice+"/votes/1", "By the pond") {
		t.Error("a first vote did not count")
	}
	if vote(one.ID, alice, alice+"/votes/2", "On the green") {
		t.Error("a second vote by the same account counted on a one-choice poll")
	}
	if vote(one.ID, bob, bob+"/votes/1", "In the church") {
		t.Error("a vote for an unknown option counted")
	}
	if !vote(one.ID, carol, carol+"/votes/1", "On the green") {
		t.Error("carol's vote did not count")
	}
	if got := counts(f.pollState(t, one.ID)); !slices.Equal(got, []int{1, 1, 0}) {
		t.Errorf("one-choice counts: %v", got)
	}

	any, _ := f.poll(t, cora, true, instance.ResultsAfterVote)
	vote(any.ID, bob, bob+"/votes/2", "By the pond")
	vote(any.ID, bob, bob+"/votes/3", "Outside the shop")
	if vote(any.ID, bob, bob+"/votes/4", "By the pond") {
		t.Error("the same option twice by one account counted")
	}
	got := f.pollState(t, any.ID)
	if !slices.Equal(counts(got), []int{1, 0, 1}) || got.Voters != 1 {
		t.Errorf("several-choice counts: %v, %d voters", counts(got), got.Voters)
	}

	// Blocks: a blocked account is refused, and votes already in from a
	// blocked server stop counting.
	if err := f.svc.Moderate(ctx, cora, instance.ModerationAction{Action: "block_actor", Target: bob, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.ReceivePollVote(ctx, one.ID, bob, bob+"/votes/5", "Outside the shop")
	refusedFor(t, err, instance.RefusedBlocked)
	if got := counts(f.pollState(t, any.ID)); !slices.Equal(got, []int{0, 0, 0}) {
		t.Errorf("a blocked account's votes still count: %v", got)
	}
	if err := f.svc.Moderate(ctx, cora, instance.ModerationAction{Action: "block_domain", Target: "other.example", Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	if got := f.pollState(t, one.ID); !slices.Equal(counts(got), []int{1, 0, 0}) || got.Voters != 1 {
		t.Errorf("a blocked server's votes still count: %v, %d voters", counts(got), got.Voters)
	}

	f.at("2026-12-01 18:00")
	dave := "https://social.example/users/dave"
	if vote(one.ID, dave, dave+"/votes/1", "By the pond") {
		t.Error("a vote at the closing time counted")
	}
	if got := counts(f.pollState(t, one.ID)); !slices.Equal(got, []int{1, 0, 0}) {
		t.Errorf("after closing: %v", got)
	}
}

// A suspended member's vote stops counting.
func TestPollSuspendedMemberNotCounted(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	bob := f.member(t, "bob")
	it, p := f.poll(t, cora, false, instance.ResultsAfterVote)
	if err := f.svc.Vote(ctx, bob, it.ID, []int64{p.Options[0].ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Suspend(ctx, cora, bob.ID, "abuse"); err != nil {
		t.Fatal(err)
	}
	if got := f.pollState(t, it.ID); got.Voters != 0 || got.Votes() != 0 {
		t.Errorf("a suspended member's vote counts: %d voters, %v", got.Voters, counts(got))
	}
}

// Counts others see change at most once a minute: votes in between share
// one Update, due a minute after the last; closing sends one at once.
// A poll whose results wait for its close sends none until then.
func TestPollUpdatesCoalesced(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	it, _ := f.poll(t, cora, false, instance.ResultsAfterVote)
	hidden, hp := f.poll(t, cora, false, instance.ResultsAfterClose)
	f.publishAll(t)
	if err := f.svc.Vote(ctx, cora, hidden.ID, []int64{hp.Options[0].ID}); err != nil {
		t.Fatal(err)
	}
	if n := f.due(t, hidden.ID, f.clock.now().AddDate(1, 0, 0)); n != 0 {
		t.Errorf("a vote on a poll with hidden results scheduled %d updates", n)
	}
	t0 := f.clock.now()
	f.remoteVote(t, it.ID, "https://a.example/users/1", "By the pond")
	f.remoteVote(t, it.ID, "https://a.example/users/2", "By the pond")
	if n := f.due(t, it.ID, t0); n != 1 {
		t.Fatalf("two votes at once: %d updates due now, want 1", n)
	}
	// The update due now may already be being built from counts read
	// before the second vote, so that vote takes the next slot, a minute on.
	if n := f.due(t, it.ID, t0.Add(59*time.Second)); n != 1 {
		t.Fatalf("two votes at once: %d updates within the minute, want 1", n)
	}
	if n := f.due(t, it.ID, t0.Add(time.Hour)); n != 2 {
		t.Fatalf("two votes at once: %d updates in all, want 2 (now and a minute on)", n)
	}
	f.publishAll(t)
	f.clock.advance(10 * time.Second)
	f.remoteVote(t, it.ID, "https://a.example/users/3", "On the green")
	f.remoteVote(t, it.ID, "https://a.example/users/4", "On the green")
	if n := f.due(t, it.ID, t0.Add(59*time.Second)); n != 0 {
		t.Errorf("votes 10 s after an update: %d updates due within the minute", n)
	}
	if n := f.due(t, it.ID, t0.Add(time.Minute)); n != 1 {
		t.Errorf("votes 10 s after an update: %d updates due a minute after the last, want 1", n)
	}
	f.at("2026-12-01 18:00")
	f.publishAll(t)
	if err := f.svc.SweepDecide(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.due(t, it.ID, f.clock.now()); n != 1 {
		t.Errorf("at closing: %d updates due, want 1", n)
	}
	if n := f.due(t, hidden.ID, f.clock.now()); n != 1 {
		t.Errorf("a poll with hidden results, at closing: %d updates due, want 1", n)
	}
}

func (f *fixture) remoteVote(t *testing.T, item int64, actor, option string) {
	t.Helper()
	if ok, err := f.svc.ReceivePollVote(ctx, item, actor, actor+"/vote/"+option, option); err != nil || !ok {
		t.Fatalf("vote by %s: %v %v", actor, ok, err)
	}
}

// due counts the item's federation events due by at.
func (f *fixture) due(t *testing.T, item int64, at time.Time) int {
	t.Helper()
	es, err := f.store.NextFedEvents(ctx, at, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Subject == instance.SubjectItem && e.SubjectID == item {
			n++
		}
	}
	return n
}

// publishAll marks every due federation event done, as the worker would.
func (f *fixture) publishAll(t *testing.T) {
	t.Helper()
	es, err := f.store.NextFedEvents(ctx, f.clock.now(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if err := f.store.Publish(ctx, &instance.Publication{EventID: e.ID}, f.clock.now()); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) kinds(t *testing.T, m *instance.Member) []instance.NoteKind {
	t.Helper()
	notes, err := f.store.ListNotifications(ctx, m.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []instance.NoteKind
	for _, n := range notes {
		out = append(out, n.Kind)
	}
	return out
}

// Notifications: a poll opening tells the group, a day before it closes
// those who have not voted are reminded, and closing tells everyone.
func TestPollNotifications(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	ann, bob, cat := f.member(t, "ann"), f.member(t, "bob"), f.member(t, "cat")
	it, p := f.poll(t, ann, false, instance.ResultsAfterVote)
	if k := f.kinds(t, bob); !slices.Contains(k, instance.NotePollOpened) {
		t.Errorf("bob was not told the poll opened: %v", k)
	}
	if k := f.kinds(t, ann); slices.Contains(k, instance.NotePollOpened) {
		t.Errorf("the poster was told of their own poll")
	}
	if err := f.svc.Vote(ctx, bob, it.ID, []int64{p.Options[0].ID}); err != nil {
		t.Fatal(err)
	}
	f.at("2026-11-30 19:00")
	if err := f.svc.SweepDecide(ctx); err != nil {
		t.Fatal(err)
	}
	if k := f.kinds(t, cat); !slices.Contains(k, instance.NotePollClosing) {
		t.Errorf("cat was not reminded: %v", k)
	}
	if k := f.kinds(t, bob); slices.Contains(k, instance.NotePollClosing) {
		t.Errorf("bob, who voted, was reminded")
	}
	f.at("2026-12-01 18:01")
	if err := f.svc.SweepDecide(ctx); err != nil {
		t.Fatal(err)
	}
	if k := f.kinds(t, bob); !slices.Contains(k, instance.NotePollResults) {
		t.Errorf("bob was not told of the results: %v", k)
	}
}
