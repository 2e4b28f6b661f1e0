package instance

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Polls: a question in a group with 2 to 10 options, one choice or
// several, and a closing time. A poll is an item (kind "poll"), so it has
// a visibility, reaches the group's followers and is moderated like any
// post; other servers see it as an ActivityStreams Question, and their
// users vote from their apps (ReceivePollVote). Local members vote on its
// page and may change their vote until it closes.

// KindPoll is a poll. Like KindNotice it is not one of the Kinds of the
// item forms: polls have their own (Service.CreatePoll).
const KindPoll Kind = "poll"

// PollResults is when a poll's counts are shown.
type PollResults string

// After voting (to those who voted, and to everyone once it closes), or
// only once it closes.
const (
	ResultsAfterVote  PollResults = "after_vote"
	ResultsAfterClose PollResults = "after_close"
)

// Limits on polls.
const (
	MinPollOptions = 2
	MaxPollOptions = 10
	MaxPollOption  = 100 // characters
	// PollUpdateEvery is the shortest time between two Update{Question}
	// of one poll: votes in between are sent together.
	PollUpdateEvery = time.Minute
)

// Poll is a poll's own part (its item holds the question, the group and
// the visibility).
type Poll struct {
	ItemID   int64
	Multiple bool // several choices (anyOf); one otherwise (oneOf)
	Results  PollResults
	ClosesAt time.Time
	ClosedAt time.Time // when it was closed (zero until the sweep has)
	Options  []PollOption
	// Voters is how many people voted (counted ones only: not blocked
	// accounts, not suspended members).
	Voters        int
	OpenedToldAt  time.Time
	ClosingToldAt time.Time
}

// PollOption is one answer and its count.
type PollOption struct {
	ID    int64
	Name  string
	Votes int
}

// Closed reports whether the poll takes no more votes at now.
func (p *Poll) Closed(now time.Time) bool { return !p.ClosedAt.IsZero() || !now.Before(p.ClosesAt) }

// Votes is the number of votes (for a several-choice poll, more than the
// voters).
func (p *Poll) Votes() int {
	n := 0
	for _, o := range p.Options {
		n += o.Votes
	}
	return n
}

// Share is an option's part of the votes, in whole percent.
func (p *Poll) Share(o PollOption) int {
	total := p.Votes()
	if total == 0 {
		return 0
	}
	return (o.Votes*100 + total/2) / total
}

// ShowCounts reports whether the counts may be shown to someone who has
// voted (or not) at now.
func (p *Poll) ShowCounts(voted bool, now time.Time) bool {
	return p.Closed(now) || (p.Results == ResultsAfterVote && voted)
}

// CountsPublic reports whether the counts may leave the instance (in the
// Question other servers see) at now: once it is closed, or all along
// when results show after voting. Otherwise every count is sent as 0.
func (p *Poll) CountsPublic(now time.Time) bool {
	return p.Closed(now) || p.Results == ResultsAfterVote
}

// RemoteVote is a remote account's vote for one option.
type RemoteVote struct {
	ItemID   int64
	OptionID int64
	Actor    string
	Host     string
	ObjectID string // the vote's Note
}

// PollStore keeps polls and their votes. Each change that alters the
// counts others see schedules the poll's coalesced Update (an item event
// due no sooner than its last one plus gap) in the same transaction.
type PollStore interface {
	// CreatePoll stores the item, the poll and its options, and the
	// item's federation event, with n, in one transaction.
	CreatePoll(ctx context.Context, it *Item, p *Poll, n Notices) (int64, error)
	// PollByItem returns a poll with its counts (ErrNotFound: none).
	PollByItem(ctx context.Context, itemID int64) (*Poll, error)
	// ListPolls returns every poll, newest first.
	ListPolls(ctx context.Context) ([]*Poll, error)
	// CastVote makes a member's vote the given options while the poll is
	// open at now (ErrConflict: it is not). gap > 0 schedules the Update.
	CastVote(ctx context.Context, itemID, memberID int64, options []int64, now time.Time, gap time.Duration) error
	// MyVote returns the options a member voted for.
	MyVote(ctx context.Context, itemID, memberID int64) ([]int64, error)
	// AddRemoteVote records v unless the account has voted already (for
	// this option, when multiple; at all otherwise): it reports whether
	// it was recorded. ErrConflict: the poll is closed at now.
	AddRemoteVote(ctx context.Context, v *RemoteVote, multiple bool, now time.Time, gap time.Duration) (bool, error)
	// ClosePoll records that a poll closed, sends its last Update at once
	// and writes n. ErrConflict: closed already.
	ClosePoll(ctx context.Context, itemID int64, now time.Time, n Notices) error
	// MarkPollTold records that "opened" or "closing" was told, with n.
	MarkPollTold(ctx context.Context, itemID int64, what string, now time.Time, n Notices) error
	// SetVotesByCoordinators saves a group's setting (see MayStartVote).
	SetVotesByCoordinators(ctx context.Context, groupID int64, on bool) error
}

// SetVotesByCoordinators keeps a group's polls and proposals to its
// coordinators (on) or opens them to its members. Coordinators only.
func (s *Service) SetVotesByCoordinators(ctx context.Context, by *Member, handle string, on bool) error {
	if err := s.MayManageGroups(by); err != nil {
		return err
	}
	g, err := s.Group(ctx, handle)
	if err != nil {
		return err
	}
	if err := s.store.SetVotesByCoordinators(ctx, g.ID, on); err != nil {
		return err
	}
	s.log.Info("group voting setting", "group", g.Handle, "coordinators_only", on, "by", by.Handle)
	return nil
}

// PollInput is the poll form.
type PollInput struct {
	Group       string // handle; empty means the main group
	Question    string
	Description string
	Options     string // one per line
	Multiple    bool
	Results     string
	Visibility  string
	ClosesOn    DateInput
	ClosesAt    TimeInput
}

// MayStartVote says whether a member may post polls and proposals in g:
// its members, or only coordinators when the group says so.
func (s *Service) MayStartVote(ctx context.Context, by *Member, g *Group) error {
	if !by.Has(RoleMember) {
		return ErrForbidden
	}
	if by.IsCoordinator() {
		return nil
	}
	if g.VotesByCoordinators {
		return problem(ErrForbidden, "poll.coordinators_only", g.Name)
	}
	if ok, err := s.IsGroupMember(ctx, g, by); err != nil {
		return err
	} else if !ok {
		return problem(ErrForbidden, "budget.not_in_group", g.Name)
	}
	return nil
}

// voteGroup is the group a poll or proposal form names (the main group
// when empty).
func (s *Service) voteGroup(ctx context.Context, handle string) (*Group, error) {
	if handle == "" {
		return s.mainGroup(ctx)
	}
	return s.Group(ctx, handle)
}

// pollOptions reads the options box: one per line, blanks dropped.
func pollOptions(text string) ([]PollOption, *FieldError) {
	var out []PollOption
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		name, fe := cleanText(line, textRule{field: "options", max: MaxPollOption})
		if fe != nil {
			if fe.Code == "err.too_long" {
				return nil, &FieldError{Field: "options", Code: "err.poll_option_long", Args: []any{MaxPollOption}}
			}
			return nil, fe
		}
		if name == "" {
			continue
		}
		if seen[strings.ToLower(name)] {
			return nil, &FieldError{Field: "options", Code: "err.poll_option_twice", Args: []any{name}}
		}
		seen[strings.ToLower(name)] = true
		out = append(out, PollOption{Name: name})
	}
	if len(out) < MinPollOptions || len(out) > MaxPollOptions {
		return nil, &FieldError{Field: "options", Code: "err.poll_options", Args: []any{MinPollOptions, MaxPollOptions, len(out)}}
	}
	return out, nil
}

// CreatePoll posts a poll and tells the group's members that a vote has
// opened.
func (s *Service) CreatePoll(ctx context.Context, by *Member, in PollInput) (*Item, error) {
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
	now := s.now()
	it := &Item{Kind: KindPoll, AuthorID: by.ID, State: StateOpen, CreatedAt: now, UpdatedAt: now}
	p := &Poll{Multiple: in.Multiple}
	it.Title, fe = cleanText(in.Question, textRule{field: "question", required: true, max: MaxTitle})
	v.add(fe)
	it.Description, fe = cleanText(in.Description, textRule{field: "description", max: MaxDescription, multiline: true})
	v.add(fe)
	p.Options, fe = pollOptions(in.Options)
	v.add(fe)
	switch PollResults(in.Results) {
	case ResultsAfterVote, ResultsAfterClose:
		p.Results = PollResults(in.Results)
	default:
		v.add(&FieldError{Field: "results", Code: "err.choice"})
	}
	switch Visibility(in.Visibility) {
	case VisibilityPublic, VisibilityFollowers, VisibilityVillage:
		it.Visibility = Visibility(in.Visibility)
	case "":
		it.Visibility = s.defVis
	default:
		v.add(&FieldError{Field: "visibility", Code: "err.choice"})
	}
	p.ClosesAt = s.closingTime(&v, in.ClosesOn, in.ClosesAt, "closes_on", "closes_at")
	if err := v.err(); err != nil {
		return nil, err
	}
	it.GroupID, it.GroupHandle, it.GroupName = g.ID, g.Handle, g.Name
	it.Held = s.holdFor(it.Title + "\n" + it.Description + "\n" + in.Options)
	var n Notices
	if !it.Held {
		members, err := s.eligibleMembers(ctx, g.ID)
		if err != nil {
			return nil, err
		}
		// The item's id is known only once stored: the store links
		// these notices to it.
		if n, err = s.tell(ctx, event{kind: NotePollOpened, by: by}, members...); err != nil {
			return nil, err
		}
	}
	p.OpenedToldAt = now
	if it.ID, err = s.store.CreatePoll(ctx, it, p, n); err != nil {
		return nil, fmt.Errorf("instance: create poll: %w", err)
	}
	p.ItemID = it.ID
	s.log.Info("poll posted", "item", it.ID, "group", g.Handle, "by", by.Handle, "options", len(p.Options), "multiple", p.Multiple)
	return it, nil
}

// closingTime reads a closing date and time, which must be in the future
// and within a year.
func (s *Service) closingTime(v *ValidationErrors, day DateInput, clock TimeInput, dayField, timeField string) time.Time {
	d, feDay := parseDate(dayField, day, s.loc, true)
	v.add(feDay)
	h, m, feTime := parseClock(timeField, clock)
	v.add(feTime)
	if feDay != nil || feTime != nil {
		return time.Time{}
	}
	at, fe := atClock(timeField, d, h, m)
	if fe == nil && !at.After(s.now()) {
		fe = &FieldError{Field: dayField, Code: "err.closes_past"}
	}
	if fe == nil && at.After(s.now().AddDate(1, 0, 0)) {
		fe = &FieldError{Field: dayField, Code: "err.closes_far"}
	}
	v.add(fe)
	return at
}

// Poll returns a poll item and its poll, as viewer may see them.
func (s *Service) Poll(ctx context.Context, viewer *Member, itemID int64) (*Item, *Poll, error) {
	it, err := s.Item(ctx, viewer, KindPoll, itemID)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.store.PollByItem(ctx, itemID)
	if err != nil {
		return nil, nil, fmt.Errorf("instance: poll %d: %w", itemID, err)
	}
	return it, p, nil
}

// Polls lists the polls viewer may see, newest first.
func (s *Service) Polls(ctx context.Context, viewer *Member) ([]*Item, []*Poll, error) {
	ps, err := s.store.ListPolls(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("instance: polls: %w", err)
	}
	var items []*Item
	var polls []*Poll
	for _, p := range ps {
		it, err := s.Item(ctx, viewer, KindPoll, p.ItemID)
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrGone) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		items, polls = append(items, it), append(polls, p)
	}
	return items, polls, nil
}

// MyVote returns the options a member voted for (nil: none).
func (s *Service) MyVote(ctx context.Context, m *Member, p *Poll) ([]int64, error) {
	if !m.Has(RoleMember) {
		return nil, nil
	}
	return s.store.MyVote(ctx, p.ItemID, m.ID)
}

// Vote makes a member's vote the given options: one, or at least one for
// a several-choice poll. A second vote replaces the first, until the poll
// closes. Members of the instance who may see the poll may vote.
func (s *Service) Vote(ctx context.Context, by *Member, itemID int64, optionIDs []int64) error {
	if !by.Has(RoleMember) {
		return ErrForbidden
	}
	it, p, err := s.Poll(ctx, by, itemID)
	if err != nil {
		return err
	}
	if it.Held || it.HiddenReason != "" {
		return ErrNotFound
	}
	known := map[int64]bool{} // whether it is still open is checked in the store's transaction
	for _, o := range p.Options {
		known[o.ID] = true
	}
	chosen := slices.Compact(slices.Sorted(slices.Values(optionIDs)))
	for _, id := range chosen {
		if !known[id] {
			return &FieldError{Field: "options", Code: "err.choice"}
		}
	}
	switch {
	case len(chosen) == 0:
		return &FieldError{Field: "options", Code: "err.poll_choose"}
	case !p.Multiple && len(chosen) > 1:
		return &FieldError{Field: "options", Code: "err.poll_one"}
	}
	if err := s.store.CastVote(ctx, itemID, by.ID, chosen, s.now(), s.updateGap(it, p)); err != nil {
		if errors.Is(err, ErrConflict) {
			return &FieldError{Field: "options", Code: "err.poll_closed"}
		}
		return fmt.Errorf("instance: vote on poll %d: %w", itemID, err)
	}
	s.log.Info("poll vote", "item", itemID) // never who, never what
	return nil
}

// updateGap is the gap between a poll's Updates, or 0 when a vote changes
// nothing other servers see (it does not federate, or its counts are
// hidden until it closes).
func (s *Service) updateGap(it *Item, p *Poll) time.Duration {
	if !it.Federates() || p.Results != ResultsAfterVote {
		return 0
	}
	return PollUpdateEvery
}

// ReceivePollVote records a remote account's vote: the `name` of a Note
// in reply to one of our polls. A vote for an option the poll does not
// have, after it closed, or a second one from the same account (for the
// same option, on a several-choice poll) is ignored; one from a blocked
// account or server is refused. It reports whether the vote counted.
func (s *Service) ReceivePollVote(ctx context.Context, itemID int64, actor, objectID, option string) (bool, error) {
	if err := s.checkRemoteActor(ctx, actor); err != nil {
		return false, err
	}
	it, err := s.store.ItemByID(ctx, itemID)
	if err != nil {
		if isNotFound(err) {
			return false, refuse(RefusedNotFound, "item %d", itemID)
		}
		return false, fmt.Errorf("instance: vote %s on item %d: %w", objectID, itemID, err)
	}
	if it.Kind != KindPoll || !it.Federates() {
		return false, refuse(RefusedNotFound, "poll %d", itemID)
	}
	p, err := s.store.PollByItem(ctx, itemID)
	if err != nil {
		return false, fmt.Errorf("instance: vote %s on poll %d: %w", objectID, itemID, err)
	}
	var optionID int64
	for _, o := range p.Options {
		if o.Name == strings.TrimSpace(option) {
			optionID = o.ID
		}
	}
	ignored := func(why string) (bool, error) {
		s.log.Info("remote poll vote ignored", "item", itemID, "actor", actor, "object", objectID, "why", why)
		return false, nil
	}
	if optionID == 0 {
		return ignored("unknown_option")
	}
	// Whether it is still open is checked in the store's transaction.
	u, _ := url.Parse(actor) // checkRemoteActor has parsed it
	v := &RemoteVote{ItemID: itemID, OptionID: optionID, Actor: actor, Host: strings.ToLower(u.Hostname()), ObjectID: objectID}
	ok, err := s.store.AddRemoteVote(ctx, v, p.Multiple, s.now(), s.updateGap(it, p))
	if errors.Is(err, ErrConflict) {
		return ignored("closed")
	}
	if err != nil {
		return false, fmt.Errorf("instance: vote %s on poll %d: %w", objectID, itemID, err)
	}
	if !ok {
		return ignored("voted_already")
	}
	s.log.Info("remote poll vote counted", "item", itemID, "actor", actor)
	return true, nil
}

// sweepPolls tells members a poll closes tomorrow, and closes polls whose
// time has come (their last Update goes out at once, and everyone who
// could vote is told the results are out).
func (s *Service) sweepPolls(ctx context.Context) (reminded, closed int, err error) {
	now := s.now()
	ps, err := s.store.ListPolls(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("polls: %w", err)
	}
	for _, p := range ps {
		if !p.ClosedAt.IsZero() {
			continue
		}
		it, err := s.store.ItemByID(ctx, p.ItemID)
		if err != nil {
			return reminded, closed, fmt.Errorf("poll %d: %w", p.ItemID, err)
		}
		quiet := it.Deleted() || it.Held || it.HiddenReason != ""
		switch {
		case !now.Before(p.ClosesAt):
			var n Notices
			if !quiet {
				members, err := s.eligibleMembers(ctx, it.GroupID)
				if err != nil {
					return reminded, closed, err
				}
				if n, err = s.tell(ctx, event{kind: NotePollResults, item: it}, members...); err != nil {
					return reminded, closed, err
				}
			}
			if err := s.store.ClosePoll(ctx, p.ItemID, now, n); err != nil && !errors.Is(err, ErrConflict) {
				return reminded, closed, fmt.Errorf("close poll %d: %w", p.ItemID, err)
			}
			closed++
		case p.ClosingToldAt.IsZero() && !now.Before(p.ClosesAt.Add(-24*time.Hour)) && now.Sub(it.CreatedAt) >= 24*time.Hour:
			var n Notices
			if !quiet {
				members, err := s.eligibleMembers(ctx, it.GroupID)
				if err != nil {
					return reminded, closed, err
				}
				voted := map[int64]bool{}
				for _, id := range members {
					mine, err := s.store.MyVote(ctx, p.ItemID, id)
					if err != nil {
						return reminded, closed, err
					}
					voted[id] = len(mine) > 0
				}
				var waiting []int64
				for _, id := range members {
					if !voted[id] {
						waiting = append(waiting, id)
					}
				}
				if n, err = s.tell(ctx, event{kind: NotePollClosing, item: it}, waiting...); err != nil {
					return reminded, closed, err
				}
			}
			if err := s.store.MarkPollTold(ctx, p.ItemID, "closing", now, n); err != nil {
				return reminded, closed, fmt.Errorf("poll %d closing: %w", p.ItemID, err)
			}
			reminded++
		}
	}
	return reminded, closed, nil
}
