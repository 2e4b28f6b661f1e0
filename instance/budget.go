package instance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Participatory budgeting: a coordinator opens a round with a budget;
// members send ideas (projects), coordinators review them, members vote,
// and the projects with most votes are funded until the money runs out.

// BudgetMode is how people vote in a round.
type BudgetMode string

// Knapsack: pick projects whose costs add up to at most the budget.
// Approval: approve any number of projects.
const (
	BudgetKnapsack BudgetMode = "knapsack"
	BudgetApproval BudgetMode = "approval"
)

// Phase is where a round is. Each starts on its date (or earlier, when a
// coordinator starts it).
type Phase string

// The phases in order.
const (
	PhaseIdeas   Phase = "ideas"
	PhaseReview  Phase = "review"
	PhaseVoting  Phase = "voting"
	PhaseResults Phase = "results"
)

// KindNotice is a plain post in a group, with no life cycle: the results
// of a budget round. It is an item (so it reaches the group's followers
// like any post) but not one of the Kinds members post themselves.
const KindNotice Kind = "notice"

// Round is a participatory budgeting round.
type Round struct {
	ID          int64
	GroupID     int64
	GroupHandle string
	GroupName   string
	GroupMain   bool // everyone on the instance may take part
	CreatedBy   int64
	Title       string
	Description string
	Budget      int64 // minor units
	Currency    string
	Mode        BudgetMode
	Visibility  Visibility // of the results post
	CreatedAt   time.Time
	ReviewFrom  time.Time
	VotingFrom  time.Time
	ResultsAt   time.Time
	ClosedAt    time.Time
	// When voting opened and "closing tomorrow" were told.
	VotingToldAt  time.Time
	ClosingToldAt time.Time
	Ballots       int // ballots cast
	Spent         int64
	ResultsItemID int64
}

// Phase is the round's phase at now, from its dates.
func (r *Round) Phase(now time.Time) Phase {
	switch {
	case !r.ClosedAt.IsZero() || !now.Before(r.ResultsAt):
		return PhaseResults
	case !now.Before(r.VotingFrom):
		return PhaseVoting
	case !now.Before(r.ReviewFrom):
		return PhaseReview
	}
	return PhaseIdeas
}

// Money returns an amount in the round's currency.
func (r *Round) Money(minor int64) Money { return Money{Minor: minor, Currency: r.Currency} }

// Path is the round's page.
func (r *Round) Path() string { return "/budgets/" + strconv.FormatInt(r.ID, 10) }

// Review is a coordinator's decision on a project.
type Review string

// Reviews: not yet, on the ballot, or not (with a public reason).
const (
	ReviewPending    Review = "pending"
	ReviewEligible   Review = "eligible"
	ReviewIneligible Review = "ineligible"
)

// Project is an idea sent to a round.
type Project struct {
	ID           int64
	RoundID      int64
	AuthorID     int64
	Author       string
	Title        string
	Description  string
	Area         string
	Cost         int64
	CreatedAt    time.Time
	Review       Review
	ReviewReason string
	ReviewedBy   string
	// Results, once the round has closed.
	Votes  int
	Rank   int  // 1 is most votes; 0 for projects not on the ballot
	Funded bool // within the budget
	// Skipped: it would have been funded by its votes, but cost more than
	// was left when its turn came.
	Skipped bool
}

// BudgetStore keeps rounds, projects, ballots and their history. Every
// change writes its history line in the same transaction.
type BudgetStore interface {
	CreateRound(ctx context.Context, r *Round, log *DecideLog) (int64, error)
	RoundByID(ctx context.Context, id int64) (*Round, error)
	ListRounds(ctx context.Context) ([]*Round, error)
	// AddProject stores a project while the round still takes ideas at
	// p.CreatedAt (ErrConflict otherwise); perMember caps a member's
	// projects in a round (a *Problem past it).
	AddProject(ctx context.Context, p *Project, perMember int, log *DecideLog) (int64, error)
	Projects(ctx context.Context, roundID int64) ([]*Project, error)
	// WithdrawProject deletes the author's project while ideas are taken.
	WithdrawProject(ctx context.Context, roundID, projectID, authorID int64, now time.Time, log *DecideLog) error
	// ReviewProject records a coordinator's decision before voting starts.
	ReviewProject(ctx context.Context, roundID, projectID int64, review Review, reason string, by int64, now time.Time, log *DecideLog) error
	// SetRoundDates moves the phase dates of an open round.
	SetRoundDates(ctx context.Context, id int64, review, voting, results time.Time, log *DecideLog, notify []Notification) error
	// CastBallot stores (or replaces) the member's ballot while voting is
	// open at now, and records that they voted. ErrConflict: it is not.
	CastBallot(ctx context.Context, roundID, memberID int64, projects []int64, now time.Time) error
	// MyBallot returns the projects on the member's ballot, while the
	// round is open (after it closes no ballot can be found by voter).
	MyBallot(ctx context.Context, roundID, memberID int64) ([]int64, error)
	// Voters returns who has voted (and only that).
	Voters(ctx context.Context, roundID int64) (map[int64]bool, error)
	// CloseRound counts the ballots, lets outcome work out the results,
	// stores them, removes every ballot's link to its voter, posts the
	// results item and tells people, in one transaction. ErrConflict: the
	// round was closed already.
	CloseRound(ctx context.Context, id int64, now time.Time, outcome func(r *Round, projects []*Project, ballots int) (*RoundOutcome, error)) error
	MarkRoundTold(ctx context.Context, id int64, what string, now time.Time, notify []Notification) error
	RoundLog(ctx context.Context, id int64) ([]*DecideLog, error)
}

// RoundOutcome is what closing a round stores.
type RoundOutcome struct {
	Projects []*Project // with Votes, Rank, Funded, Skipped
	Spent    int64
	Item     *Item          // the results post
	Notify   []Notification // linked to the post by the store
	Log      *DecideLog
}

// Limits on rounds and projects.
const (
	MaxProjectsPerMember = 5
	MaxRoundTitle        = 120
	MaxProjectTitle      = 120
)

// RoundInput is the form for opening a round. Dates are YYYY-MM-DD in
// the instance's time zone.
type RoundInput struct {
	Title       string
	Description string
	Budget      string // in major units, as typed
	Currency    string
	Group       string // handle; empty means everyone on the instance
	Mode        string
	Visibility  string
	IdeasUntil  DateInput // ideas can be sent until the end of this day
	VotingFrom  DateInput // voting opens at the start of this day
	VotingUntil DateInput // and closes at the end of this one
}

// CreateRound opens a round. Coordinators only.
func (s *Service) CreateRound(ctx context.Context, by *Member, in RoundInput) (*Round, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	var v ValidationErrors
	var fe *FieldError
	r := &Round{CreatedBy: by.ID, CreatedAt: s.now(), Currency: strings.ToUpper(strings.TrimSpace(in.Currency))}
	r.Title, fe = cleanText(in.Title, textRule{field: "title", required: true, max: MaxRoundTitle})
	v.add(fe)
	r.Description, fe = cleanText(in.Description, textRule{field: "description", max: MaxDescription, multiline: true})
	v.add(fe)
	if _, ok := currency(r.Currency); !ok {
		v.add(&FieldError{Field: "currency", Code: "err.choice"})
	} else {
		r.Budget, fe = parseMoney("budget", in.Budget, r.Currency, true)
		if fe == nil && (r.Budget <= 0 || r.Budget > MaxBudget) {
			fe = &FieldError{Field: "budget", Code: "err.budget_range"}
		}
		v.add(fe)
	}
	switch BudgetMode(in.Mode) {
	case BudgetKnapsack, BudgetApproval:
		r.Mode = BudgetMode(in.Mode)
	default:
		v.add(&FieldError{Field: "mode", Code: "err.choice"})
	}
	switch Visibility(in.Visibility) {
	case VisibilityPublic, VisibilityFollowers, VisibilityVillage:
		r.Visibility = Visibility(in.Visibility)
	case "":
		r.Visibility = s.defVis
	default:
		v.add(&FieldError{Field: "visibility", Code: "err.choice"})
	}
	var g *Group
	var err error
	if in.Group == "" {
		g, err = s.mainGroup(ctx)
	} else {
		g, err = s.Group(ctx, in.Group)
	}
	if err != nil {
		v.add(&FieldError{Field: "group", Code: "err.group_choice"})
	} else {
		r.GroupID = g.ID
	}
	today := startOfDay(s.now().In(s.loc))
	ideas, fe1 := parseDate("ideas_until", in.IdeasUntil, s.loc, true)
	if fe1 == nil && ideas.Before(today) {
		fe1 = &FieldError{Field: "ideas_until", Code: "err.date_past"}
	}
	v.add(fe1)
	voting, fe2 := parseDate("voting_from", in.VotingFrom, s.loc, true)
	if fe1 == nil && fe2 == nil && !voting.After(ideas) {
		fe2 = &FieldError{Field: "voting_from", Code: "err.voting_after_ideas"}
	}
	v.add(fe2)
	until, fe3 := parseDate("voting_until", in.VotingUntil, s.loc, true)
	if fe2 == nil && fe3 == nil && until.Before(voting) {
		fe3 = &FieldError{Field: "voting_until", Code: "err.end_before_start"}
	}
	v.add(fe3)
	if err := v.err(); err != nil {
		return nil, err
	}
	r.ReviewFrom, r.VotingFrom, r.ResultsAt = ideas.AddDate(0, 0, 1), voting, until.AddDate(0, 0, 1)
	if r.ID, err = s.store.CreateRound(ctx, r, s.decideLog(by, "dlog.round_opened", r.Title)); err != nil {
		return nil, err
	}
	s.log.Info("budget round opened", "round", r.ID, "by", by.Handle, "budget", r.Budget, "currency", r.Currency, "mode", r.Mode)
	return r, nil
}

// Round returns a round; members only.
func (s *Service) Round(ctx context.Context, viewer *Member, id int64) (*Round, error) {
	if !viewer.Has(RoleMember) {
		return nil, ErrForbidden
	}
	return s.store.RoundByID(ctx, id)
}

// Rounds lists every round, newest first; members only.
func (s *Service) Rounds(ctx context.Context, viewer *Member) ([]*Round, error) {
	if !viewer.Has(RoleMember) {
		return nil, ErrForbidden
	}
	return s.store.ListRounds(ctx)
}

// CanTakePart reports whether a member may send ideas to and vote in a
// round: a member of its group.
func (s *Service) CanTakePart(ctx context.Context, m *Member, r *Round) (bool, error) {
	if !m.Has(RoleMember) {
		return false, nil
	}
	ok, err := s.store.IsGroupMember(ctx, r.GroupID, m.ID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return ok, err
}

// RoundProjects lists a round's projects in the order of the page: by
// rank once it has closed, else as they came.
func (s *Service) RoundProjects(ctx context.Context, viewer *Member, r *Round) ([]*Project, error) {
	if !viewer.Has(RoleMember) {
		return nil, ErrForbidden
	}
	ps, err := s.store.Projects(ctx, r.ID)
	if err != nil || r.ClosedAt.IsZero() {
		return ps, err
	}
	slices.SortStableFunc(ps, func(a, b *Project) int {
		switch {
		case a.Rank == 0 && b.Rank == 0:
			return 0
		case a.Rank == 0:
			return 1
		case b.Rank == 0:
			return -1
		}
		return a.Rank - b.Rank
	})
	return ps, nil
}

// RoundLog is a round's history, for members.
func (s *Service) RoundLog(ctx context.Context, viewer *Member, r *Round) ([]*DecideLog, error) {
	if !viewer.Has(RoleMember) {
		return nil, ErrForbidden
	}
	return s.store.RoundLog(ctx, r.ID)
}

// ProjectInput is the form for sending an idea.
type ProjectInput struct {
	Title, Description, Area, Cost string
}

// SubmitProject sends an idea to a round, during its ideas phase. A
// project costing more than the whole budget is refused.
func (s *Service) SubmitProject(ctx context.Context, by *Member, roundID int64, in ProjectInput) (*Project, error) {
	r, err := s.Round(ctx, by, roundID)
	if err != nil {
		return nil, err
	}
	if ok, err := s.CanTakePart(ctx, by, r); err != nil {
		return nil, err
	} else if !ok {
		return nil, problem(ErrForbidden, "budget.not_in_group", r.GroupName)
	}
	if r.Phase(s.now()) != PhaseIdeas {
		return nil, problem(ErrConflict, "budget.ideas_closed")
	}
	count, err := s.rateLimit(ctx, by, "post")
	if err != nil {
		return nil, err
	}
	var v ValidationErrors
	var fe *FieldError
	p := &Project{RoundID: r.ID, AuthorID: by.ID, CreatedAt: s.now(), Review: ReviewPending}
	p.Title, fe = cleanText(in.Title, textRule{field: "title", required: true, max: MaxProjectTitle})
	v.add(fe)
	p.Description, fe = cleanText(in.Description, textRule{field: "description", required: true, max: MaxDescription, multiline: true})
	v.add(fe)
	p.Area, fe = cleanText(in.Area, textRule{field: "area", max: MaxArea})
	v.add(fe)
	p.Cost, fe = parseMoney("cost", in.Cost, r.Currency, true)
	switch {
	case fe != nil:
	case p.Cost <= 0:
		fe = &FieldError{Field: "cost", Code: "err.cost_positive"}
	case p.Cost > r.Budget:
		fe = &FieldError{Field: "cost", Code: "err.cost_over_budget", Args: []any{r.Money(r.Budget)}}
	}
	v.add(fe)
	if err := v.err(); err != nil {
		return nil, err
	}
	if p.ID, err = s.store.AddProject(ctx, p, MaxProjectsPerMember, s.decideLog(by, "dlog.project_sent", p.Title)); err != nil {
		var pr *Problem
		if errors.As(err, &pr) {
			return nil, pr
		}
		if errors.Is(err, ErrConflict) {
			return nil, problem(ErrConflict, "budget.ideas_closed")
		}
		return nil, err
	}
	count()
	s.log.Info("budget project sent", "round", r.ID, "project", p.ID, "by", by.Handle)
	return p, nil
}

// WithdrawProject takes back one's own project while ideas are taken.
func (s *Service) WithdrawProject(ctx context.Context, by *Member, roundID, projectID int64) error {
	r, err := s.Round(ctx, by, roundID)
	if err != nil {
		return err
	}
	p, err := s.project(ctx, r, projectID)
	if err != nil {
		return err
	}
	if p.AuthorID != by.ID {
		return ErrForbidden
	}
	if r.Phase(s.now()) != PhaseIdeas {
		return problem(ErrConflict, "budget.ideas_closed")
	}
	err = s.store.WithdrawProject(ctx, r.ID, p.ID, by.ID, s.now(), s.decideLog(by, "dlog.project_withdrawn", p.Title))
	if errors.Is(err, ErrConflict) {
		return problem(ErrConflict, "budget.ideas_closed")
	}
	return err
}

func (s *Service) project(ctx context.Context, r *Round, id int64) (*Project, error) {
	ps, err := s.store.Projects(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, ErrNotFound
}

// ReviewProject marks a project eligible for the ballot or not, with a
// public reason (required when it is not). Coordinators only, before
// voting starts.
func (s *Service) ReviewProject(ctx context.Context, by *Member, roundID, projectID int64, review, reason string) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	r, err := s.Round(ctx, by, roundID)
	if err != nil {
		return err
	}
	p, err := s.project(ctx, r, projectID)
	if err != nil {
		return err
	}
	if r.Phase(s.now()) != PhaseIdeas && r.Phase(s.now()) != PhaseReview {
		return problem(ErrConflict, "budget.review_closed")
	}
	var v ValidationErrors
	rv := Review(review)
	if rv != ReviewEligible && rv != ReviewIneligible {
		v.add(&FieldError{Field: "review", Code: "err.review_choice"})
	}
	reason, fe := cleanText(reason, textRule{field: "reason", required: rv == ReviewIneligible, max: MaxReason})
	if fe != nil && fe.Code == "err.required" {
		fe.Code = "err.reason_needed"
	}
	v.add(fe)
	if err := v.err(); err != nil {
		return err
	}
	action := "dlog.project_eligible"
	if rv == ReviewIneligible {
		action = "dlog.project_ineligible"
	}
	detail := p.Title
	if reason != "" {
		detail += " – " + reason
	}
	err = s.store.ReviewProject(ctx, r.ID, p.ID, rv, reason, by.ID, s.now(), s.decideLog(by, action, detail))
	if errors.Is(err, ErrConflict) {
		return problem(ErrConflict, "budget.review_closed")
	}
	return err
}

// AdvanceRound starts the round's next phase now, instead of on its date
// (a coordinator's "start voting now"). Voting needs at least one
// eligible project. Moving to the results closes the round.
func (s *Service) AdvanceRound(ctx context.Context, by *Member, roundID int64) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	r, err := s.Round(ctx, by, roundID)
	if err != nil {
		return err
	}
	now := s.now()
	review, voting, results := r.ReviewFrom, r.VotingFrom, r.ResultsAt
	var action string
	var notify []Notification
	switch r.Phase(now) {
	case PhaseIdeas:
		review, action = now, "dlog.review_started"
	case PhaseReview:
		ps, err := s.store.Projects(ctx, r.ID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(ps, func(p *Project) bool { return p.Review == ReviewEligible }) {
			return problem(ErrConflict, "budget.none_eligible")
		}
		voting, action = now, "dlog.voting_started"
		members, err := s.eligibleMembers(ctx, r.GroupID)
		if err != nil {
			return err
		}
		notify = decideNotices(members, NoteBudgetVotingOpen, 0)
	case PhaseVoting:
		results, action = now, "dlog.voting_closed_early"
	default:
		if r.ClosedAt.IsZero() { // its date has come; the sweep has not closed it yet
			return s.closeRound(ctx, by, r)
		}
		return problem(ErrConflict, "budget.closed")
	}
	if err := s.store.SetRoundDates(ctx, r.ID, review, voting, results, s.decideLog(by, action, ""), notify); err != nil {
		if errors.Is(err, ErrConflict) {
			return problem(ErrConflict, "budget.changed_meanwhile")
		}
		return err
	}
	s.log.Info("budget round moved on", "round", r.ID, "by", by.Handle, "action", action)
	if results.Equal(now) {
		r.ResultsAt = now
		return s.closeRound(ctx, by, r)
	}
	return nil
}

// CastBallot records a member's ballot; casting again while voting is
// open replaces the first one (so people can change their minds). In a
// knapsack round the chosen projects must cost no more than the budget
// together.
func (s *Service) CastBallot(ctx context.Context, by *Member, roundID int64, projectIDs []int64) error {
	r, err := s.Round(ctx, by, roundID)
	if err != nil {
		return err
	}
	if ok, err := s.CanTakePart(ctx, by, r); err != nil {
		return err
	} else if !ok {
		return problem(ErrForbidden, "budget.not_in_group", r.GroupName)
	}
	if r.Phase(s.now()) != PhaseVoting {
		return problem(ErrConflict, "budget.not_voting")
	}
	ps, err := s.store.Projects(ctx, r.ID)
	if err != nil {
		return err
	}
	cost := map[int64]int64{}
	for _, p := range ps {
		if p.Review == ReviewEligible {
			cost[p.ID] = p.Cost
		}
	}
	chosen := slices.Compact(slices.Sorted(slices.Values(projectIDs)))
	var total int64
	for _, id := range chosen {
		c, ok := cost[id]
		if !ok {
			return &FieldError{Field: "projects", Code: "err.choice"}
		}
		total += c
	}
	if len(chosen) == 0 {
		return &FieldError{Field: "projects", Code: "err.ballot_empty"}
	}
	if r.Mode == BudgetKnapsack && total > r.Budget {
		return &FieldError{Field: "projects", Code: "err.ballot_over_budget", Args: []any{r.Money(total), r.Money(r.Budget)}}
	}
	if err := s.store.CastBallot(ctx, r.ID, by.ID, chosen, s.now()); err != nil {
		if errors.Is(err, ErrConflict) {
			return problem(ErrConflict, "budget.not_voting")
		}
		return err
	}
	s.log.Info("budget ballot cast", "round", r.ID) // never who, never what
	return nil
}

// MyBallot returns the projects on the member's ballot while voting is
// open, and whether they have voted.
func (s *Service) MyBallot(ctx context.Context, m *Member, r *Round) ([]int64, bool, error) {
	if !m.Has(RoleMember) {
		return nil, false, nil
	}
	voters, err := s.store.Voters(ctx, r.ID)
	if err != nil {
		return nil, false, err
	}
	if !voters[m.ID] || !r.ClosedAt.IsZero() {
		return nil, voters[m.ID], nil
	}
	ids, err := s.store.MyBallot(ctx, r.ID, m.ID)
	return ids, true, err
}

// FundProjects ranks the eligible projects by votes, ties going to the
// cheaper project and then to the one sent first, and funds them in that
// order while the money lasts: a project that costs more than what is
// left is skipped, and cheaper ones after it can still be funded. It sets
// Rank, Funded and Skipped, and returns what is spent.
func FundProjects(projects []*Project, budget int64) int64 {
	var ranked []*Project
	for _, p := range projects {
		p.Rank, p.Funded, p.Skipped = 0, false, false
		if p.Review == ReviewEligible {
			ranked = append(ranked, p)
		}
	}
	slices.SortStableFunc(ranked, func(a, b *Project) int {
		switch {
		case a.Votes != b.Votes:
			return b.Votes - a.Votes
		case a.Cost != b.Cost:
			if a.Cost < b.Cost {
				return -1
			}
			return 1
		case !a.CreatedAt.Equal(b.CreatedAt):
			return a.CreatedAt.Compare(b.CreatedAt)
		}
		return int(a.ID - b.ID)
	})
	left := budget
	for i, p := range ranked {
		p.Rank = i + 1
		if p.Votes == 0 {
			continue // nobody chose it: not funded, whatever is left
		}
		if p.Cost <= left {
			p.Funded = true
			left -= p.Cost
		} else {
			p.Skipped = true
		}
	}
	return budget - left
}

// closeRound counts the votes and publishes the results (by nil: a date
// came).
func (s *Service) closeRound(ctx context.Context, by *Member, r *Round) error {
	now := s.now()
	members, err := s.eligibleMembers(ctx, r.GroupID)
	if err != nil {
		return err
	}
	author := r.CreatedBy
	if by != nil {
		author = by.ID
	}
	err = s.store.CloseRound(ctx, r.ID, now, func(r *Round, ps []*Project, ballots int) (*RoundOutcome, error) {
		spent := FundProjects(ps, r.Budget)
		r.Ballots, r.Spent = ballots, spent
		text := s.resultsText(r, ps)
		it := &Item{Kind: KindNotice, GroupID: r.GroupID, AuthorID: author, Title: s.tr(s.lang, "budget.post_title", r.Title),
			Description: text, Visibility: r.Visibility, State: StateOpen, CreatedAt: now, UpdatedAt: now}
		return &RoundOutcome{Projects: ps, Spent: spent, Item: it, Notify: decideNotices(members, NoteBudgetResults, 0),
			Log: s.decideLog(by, "dlog.results_published", strconv.Itoa(ballots))}, nil
	})
	if errors.Is(err, ErrConflict) {
		return nil // closed meanwhile (the sweep and a coordinator at once)
	}
	if err != nil {
		return fmt.Errorf("instance: close round %d: %w", r.ID, err)
	}
	s.log.Info("budget round closed; results published", "round", r.ID)
	return nil
}

// resultsText is the results post, in the instance's language: what is
// funded, what is not and why, the rule for ties, and a link to every
// count.
func (s *Service) resultsText(r *Round, ps []*Project) string {
	st := s.moneyStyle(s.lang)
	t := func(key string, args ...any) string { return s.tr(s.lang, key, args...) }
	var b strings.Builder
	b.WriteString(t("budget.post_intro", r.Ballots, st.Format(r.Money(r.Spent)), st.Format(r.Money(r.Budget))) + "\n\n")
	ranked := slices.Clone(ps)
	slices.SortStableFunc(ranked, func(a, b *Project) int { return a.Rank - b.Rank })
	var funded, not []string
	for _, p := range ranked {
		if p.Rank == 0 {
			continue
		}
		line := t("budget.post_line", mdEscape(p.Title), st.Format(r.Money(p.Cost)), p.Votes)
		switch {
		case p.Funded:
			funded = append(funded, "1. "+line)
		case p.Skipped:
			not = append(not, "- "+line+" "+t("budget.post_skipped"))
		default:
			not = append(not, "- "+line)
		}
	}
	if len(funded) > 0 {
		b.WriteString(t("budget.post_funded") + "\n\n" + strings.Join(funded, "\n") + "\n\n")
	}
	if len(not) > 0 {
		b.WriteString(t("budget.post_not_funded") + "\n\n" + strings.Join(not, "\n") + "\n\n")
	}
	b.WriteString(t("budget.rule_greedy") + " " + t("budget.rule_ties") + "\n\n")
	b.WriteString(fmt.Sprintf("[%s](%s%s)", t("budget.post_link"), s.baseURL, r.Path()))
	return b.String()
}

// mdEscape keeps a member's title from becoming Markdown in the post.
func mdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, "`", "\\`", `<`, `\<`, `#`, `\#`).Replace(s)
}
