package instance_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/store/pgtest"
)

// round opens a £500 round: ideas until Monday 30 November, voting from
// Wednesday 2 to Sunday 6 December (the fixture's clock is Friday 27).
func (f *fixture) round(t *testing.T, by *instance.Member, mode instance.BudgetMode) *instance.Round {
	t.Helper()
	r, err := f.svc.CreateRound(ctx, by, instance.RoundInput{Title: "Village fund 2027", Budget: "500", Currency: "GBP",
		Mode: string(mode), Visibility: "public", IdeasUntil: instance.DateOf("2026-11-30"), VotingFrom: instance.DateOf("2026-12-02"), VotingUntil: instance.DateOf("2026-12-06")})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) project(t *testing.T, by *instance.Member, r *instance.Round, title, cost string) *instance.Project {
	t.Helper()
	p, err := f.svc.SubmitProject(ctx, by, r.ID, instance.ProjectInput{Title: title, Description: "For everyone", Cost: cost})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) at(day string) {
	t, err := time.Parse("2006-01-02 15:04", day)
	if err != nil {
		panic(err)
	}
	f.clock.mu.Lock()
	f.clock.t = t
	f.clock.mu.Unlock()
}

func fieldCode(err error, field string) string {
	if fe := instance.Fields(err)[field]; fe != nil {
		return fe.Code
	}
	return ""
}

func problemCode(err error) string {
	var p *instance.Problem
	if errors.As(err, &p) {
		return p.Code
	}
	return ""
}

// The phases follow the dates, and each action is refused outside its
// phase with the reason.
func TestBudgetPhaseRules(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ann := f.member(t, "ann")
	r := f.round(t, cora, instance.BudgetKnapsack)
	if got := r.Phase(f.clock.now()); got != instance.PhaseIdeas {
		t.Fatalf("a new round is in %s", got)
	}
	benches := f.project(t, ann, r, "Benches on the green", "300")
	if err := f.svc.CastBallot(ctx, ann, r.ID, []int64{benches.ID}); problemCode(err) != "budget.not_voting" {
		t.Errorf("voting during the ideas phase: %v", err)
	}

	f.at("2026-12-01 09:00") // review
	if _, err := f.svc.SubmitProject(ctx, ann, r.ID, instance.ProjectInput{Title: "Late", Description: "x", Cost: "10"}); problemCode(err) != "budget.ideas_closed" {
		t.Errorf("an idea after the ideas phase: %v", err)
	}
	if err := f.svc.ReviewProject(ctx, ann, r.ID, benches.ID, "eligible", ""); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a member reviewing: %v", err)
	}
	if err := f.svc.ReviewProject(ctx, cora, r.ID, benches.ID, "ineligible", ""); fieldCode(err, "reason") != "err.reason_needed" {
		t.Errorf("not eligible without a reason: %v", err)
	}
	if err := f.svc.ReviewProject(ctx, cora, r.ID, benches.ID, "eligible", "The parish owns the green"); err != nil {
		t.Fatal(err)
	}

	f.at("2026-12-02 00:00") // voting
	if err := f.svc.ReviewProject(ctx, cora, r.ID, benches.ID, "ineligible", "changed my mind"); problemCode(err) != "budget.review_closed" {
		t.Errorf("reviewing once voting has started: %v", err)
	}
	if err := f.svc.CastBallot(ctx, ann, r.ID, []int64{benches.ID}); err != nil {
		t.Fatal(err)
	}

	f.at("2026-12-07 00:00") // results: the sweep closes it
	if err := f.svc.CastBallot(ctx, ann, r.ID, []int64{benches.ID}); problemCode(err) != "budget.not_voting" {
		t.Errorf("voting after the close: %v", err)
	}
	if err := f.svc.SweepDecide(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ = f.svc.Round(ctx, ann, r.ID)
	if r.ClosedAt.IsZero() || r.Ballots != 1 || r.Spent != 30000 {
		t.Errorf("after the sweep: closed %v, ballots %d, spent %d", r.ClosedAt, r.Ballots, r.Spent)
	}
}

// Knapsack ballots must fit the budget (the refusal gives the total);
// approval ballots may approve any number; a second ballot replaces the
// first while voting is open.
func TestBallotRules(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ann := f.member(t, "ann")
	for _, mode := range []instance.BudgetMode{instance.BudgetKnapsack, instance.BudgetApproval} {
		t.Run(string(mode), func(t *testing.T) {
			f.at("2026-11-27 10:00")
			r := f.round(t, cora, mode)
			a, b, c := f.project(t, ann, r, "A", "300"), f.project(t, ann, r, "B", "200"), f.project(t, ann, r, "C", "0.01")
			ineligible := f.project(t, ann, r, "D", "5")
			for _, p := range []*instance.Project{a, b, c} {
				if err := f.svc.ReviewProject(ctx, cora, r.ID, p.ID, "eligible", ""); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.svc.ReviewProject(ctx, cora, r.ID, ineligible.ID, "ineligible", "Not on public land"); err != nil {
				t.Fatal(err)
			}
			f.at("2026-12-03 12:00")
			over := f.svc.CastBallot(ctx, ann, r.ID, []int64{a.ID, b.ID, c.ID})
			if mode == instance.BudgetKnapsack {
				fe := instance.Fields(over)["projects"]
				if fe == nil || fe.Code != "err.ballot_over_budget" || fe.Args[0] != (instance.Money{Minor: 50001, Currency: "GBP"}) {
					t.Fatalf("a ballot over the budget: %v", over)
				}
				if _, voted, _ := f.svc.MyBallot(ctx, ann, r); voted {
					t.Error("a refused ballot was stored")
				}
				if err := f.svc.CastBallot(ctx, ann, r.ID, []int64{a.ID, b.ID}); err != nil {
					t.Errorf("a ballot of exactly the budget: %v", err)
				}
			} else if over != nil {
				t.Fatalf("approval ballot of three projects: %v", over)
			}
			if err := f.svc.CastBallot(ctx, ann, r.ID, []int64{ineligible.ID}); fieldCode(err, "projects") != "err.choice" {
				t.Errorf("a project not on the ballot: %v", err)
			}
			if err := f.svc.CastBallot(ctx, ann, r.ID, nil); fieldCode(err, "projects") != "err.ballot_empty" {
				t.Errorf("an empty ballot: %v", err)
			}
			// Changing one's mind: the second ballot replaces the first.
			if err := f.svc.CastBallot(ctx, ann, r.ID, []int64{c.ID}); err != nil {
				t.Fatal(err)
			}
			mine, voted, err := f.svc.MyBallot(ctx, ann, r)
			if err != nil || !voted || !slices.Equal(mine, []int64{c.ID}) {
				t.Fatalf("after changing: %v %v %v", mine, voted, err)
			}
			if err := f.svc.AdvanceRound(ctx, cora, r.ID); err != nil {
				t.Fatal(err)
			}
			ps, _ := f.svc.RoundProjects(ctx, ann, r)
			for _, p := range ps {
				want := 0
				if p.ID == c.ID {
					want = 1
				}
				if p.Votes != want {
					t.Errorf("%s: %d votes, want %d (only the last ballot counts)", p.Title, p.Votes, want)
				}
			}
		})
	}
}

// A project costing more than the whole budget is refused at once, with
// the budget in the message, and nothing is stored.
func TestProjectOverBudgetRefused(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ann := f.member(t, "ann")
	r := f.round(t, cora, instance.BudgetKnapsack)
	_, err := f.svc.SubmitProject(ctx, ann, r.ID, instance.ProjectInput{Title: "Skate park", Description: "Big", Cost: "500.01"})
	fe := instance.Fields(err)["cost"]
	if fe == nil || fe.Code != "err.cost_over_budget" || fe.Args[0] != (instance.Money{Minor: 50000, Currency: "GBP"}) {
		t.Fatalf("over the budget: %v", err)
	}
	for in, code := range map[string]string{"0": "err.cost_positive", "1,250": "err.money_format", "12.345": "err.money_format", "": "err.required"} {
		if _, err := f.svc.SubmitProject(ctx, ann, r.ID, instance.ProjectInput{Title: "X", Description: "Y", Cost: in}); fieldCode(err, "cost") != code {
			t.Errorf("cost %q: %v, want %s", in, err, code)
		}
	}
	if ps, _ := f.svc.RoundProjects(ctx, ann, r); len(ps) != 0 {
		t.Errorf("refused projects were stored: %d", len(ps))
	}
	if p := f.project(t, ann, r, "Exactly the budget", "£500"); p.Cost != 50000 {
		t.Errorf("£500 read as %d pence", p.Cost)
	}
	if p := f.project(t, ann, r, "With pence", "12,5"); p.Cost != 1250 {
		t.Errorf("12,5 read as %d pence", p.Cost)
	}
}

// Funding goes down the ranking and skips what no longer fits; ties go
// to the cheaper project, then to the one sent first; a project with no
// votes is not funded.
func TestFundProjectsGreedyWithSkipsAndTies(t *testing.T) {
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	p := func(id int64, votes int, cost int64, sent int) *instance.Project {
		return &instance.Project{ID: id, Title: string(rune('A' - 1 + id)), Votes: votes, Cost: cost, Review: instance.ReviewEligible,
			CreatedAt: day.Add(time.Duration(sent) * time.Hour)}
	}
	a, b := p(1, 10, 30000, 1), p(2, 8, 25000, 2)                      // A funded, 200 left; B skipped
	c, d, e := p(3, 5, 15000, 3), p(4, 5, 10000, 4), p(5, 5, 10000, 1) // tie at 5 votes
	zero := p(6, 0, 100, 1)
	out := &instance.Project{ID: 7, Votes: 99, Cost: 1, Review: instance.ReviewIneligible}
	spent := instance.FundProjects([]*instance.Project{a, b, c, d, e, zero, out}, 50000)
	// Ranking: A, B, then the tie: E and D (cheaper, E sent first), C.
	for _, want := range []struct {
		p               *instance.Project
		rank            int
		funded, skipped bool
	}{{a, 1, true, false}, {b, 2, false, true}, {e, 3, true, false}, {d, 4, true, false}, {c, 5, false, true}, {zero, 6, false, false}, {out, 0, false, false}} {
		if want.p.Rank != want.rank || want.p.Funded != want.funded || want.p.Skipped != want.skipped {
			t.Errorf("%s: rank %d funded %v skipped %v, want %d %v %v", want.p.Title, want.p.Rank, want.p.Funded, want.p.Skipped,
				want.rank, want.funded, want.skipped)
		}
	}
	if spent != 50000 {
		t.Errorf("spent %d, want 50000", spent)
	}
}

// After the round closes no query can tie a ballot to its voter: every
// link is gone, ballots have no time or row number, and who voted is
// kept apart. The results are posted in the group and people are told.
func TestBallotSecrecyAfterClose(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	voters := []*instance.Member{f.member(t, "ann"), f.member(t, "bob"), f.member(t, "cat")}
	r := f.round(t, cora, instance.BudgetApproval)
	var ps []*instance.Project
	for _, title := range []string{"Benches", "Bulbs", "Bins"} {
		p := f.project(t, voters[0], r, title, "100")
		if err := f.svc.ReviewProject(ctx, cora, r.ID, p.ID, "eligible", ""); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	f.at("2026-12-02 08:00")
	for i, v := range voters { // each votes for a different project
		if err := f.svc.CastBallot(ctx, v, r.ID, []int64{ps[i].ID}); err != nil {
			t.Fatal(err)
		}
	}
	db := f.store.DB()
	var linked int
	db.QueryRow(`SELECT count(*) FROM budget_ballots WHERE voter_id IS NOT NULL`).Scan(&linked)
	if linked != 3 {
		t.Fatalf("while open, %d ballots linked to voters, want 3 (so they can change them)", linked)
	}
	f.at("2026-12-07 00:01")
	if err := f.svc.SweepDecide(ctx); err != nil {
		t.Fatal(err)
	}

	db.QueryRow(`SELECT count(*) FROM budget_ballots WHERE voter_id IS NOT NULL`).Scan(&linked)
	if linked != 0 {
		t.Errorf("%d ballots still linked to their voter after the close", linked)
	}
	if _, err := db.Exec(`SELECT rowid FROM budget_ballots`); err == nil {
		t.Error("budget_ballots has a rowid: its order would tell who voted when")
	}
	if pgtest.Enabled() {
		// PostgreSQL's rows are in the order they were written (ctid),
		// as budget_voters' are: after the close both ballot tables must
		// be in token order instead.
		for _, q := range []string{`SELECT token FROM budget_ballots ORDER BY ctid`, `SELECT token FROM budget_choices ORDER BY ctid`} {
			var order []string
			rows, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var tk string
				rows.Scan(&tk)
				order = append(order, tk)
			}
			rows.Close()
			if !slices.IsSorted(order) {
				t.Errorf("%s: %v: the order on disk is not the tokens' order, so it may be the order of voting", q, order)
			}
		}
		// Three tokens may be in order by chance: that the tables were
		// rewritten in token order is recorded on their keys.
		for _, index := range []string{"budget_ballots_pkey", "budget_choices_pkey"} {
			var clustered bool
			if err := db.QueryRow(`SELECT indisclustered FROM pg_index WHERE indexrelid = $1::regclass`, index).Scan(&clustered); err != nil || !clustered {
				t.Errorf("%s: not rewritten in its order after the close (%v)", index, err)
			}
		}
	}
	// Every column of every table that holds ballot tokens: nothing but
	// the token, the round, the project and the (now empty) voter link.
	tablesQ := `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%fts%'`
	columnsQ, likeQ, param1 := `SELECT name FROM pragma_table_info(?)`, `' || ? || '`, "?"
	if pgtest.Enabled() { // the same from PostgreSQL's catalogue
		tablesQ = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
		columnsQ, likeQ = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, `' || $1 || '`
		param1 = "$1"
	}
	tables, err := db.Query(tablesQ)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	var tokens []string
	rows, _ := db.Query(`SELECT token FROM budget_ballots`)
	for rows.Next() {
		var tk string
		rows.Scan(&tk)
		tokens = append(tokens, tk)
	}
	rows.Close()
	for _, table := range names {
		cols, err := db.Query(columnsQ, table)
		if err != nil {
			t.Fatal(err)
		}
		var colNames []string
		for cols.Next() {
			var c string
			cols.Scan(&c)
			colNames = append(colNames, c)
		}
		cols.Close()
		for _, col := range colNames {
			for _, tk := range tokens {
				var n int
				db.QueryRow(`SELECT count(*) FROM "`+table+`" WHERE CAST("`+col+`" AS TEXT) LIKE '%`+likeQ+`%'`, tk).Scan(&n)
				if n > 0 && table != "budget_ballots" && table != "budget_choices" {
					t.Errorf("ballot token found in %s.%s", table, col)
				}
			}
		}
		if table == "budget_ballots" || table == "budget_choices" {
			for _, c := range colNames {
				if !slices.Contains([]string{"token", "round_id", "voter_id", "project_id"}, c) {
					t.Errorf("%s has a column %q that could tie a ballot to a voter", table, c)
				}
			}
		}
	}
	for _, v := range voters {
		if mine, voted, _ := f.svc.MyBallot(ctx, v, r); len(mine) != 0 || !voted {
			t.Errorf("%s after the close: ballot %v (must not be findable), voted %v (must be kept)", v.Handle, mine, voted)
		}
	}
	// The counts are public and right.
	got, _ := f.svc.RoundProjects(ctx, cora, r)
	for _, p := range got {
		if p.Votes != 1 || !p.Funded {
			t.Errorf("%s: %d votes, funded %v", p.Title, p.Votes, p.Funded)
		}
	}
	// The results are a post in the group, federated, and everyone is told.
	r, _ = f.svc.Round(ctx, cora, r.ID)
	it, err := f.svc.Item(ctx, nil, instance.KindNotice, r.ResultsItemID)
	if err != nil {
		t.Fatalf("results post: %v", err)
	}
	for _, want := range []string{"Benches", "Bins", "(/budgets/"} {
		if !strings.Contains(it.Description, want) {
			t.Errorf("results post lacks %q:\n%s", want, it.Description)
		}
	}
	var events int
	db.QueryRow(`SELECT count(*) FROM fed_events WHERE subject = 'item' AND subject_id = `+param1, it.ID).Scan(&events)
	if events != 1 {
		t.Errorf("%d federation events for the results post, want 1", events)
	}
	notes, _ := f.store.ListNotifications(ctx, voters[1].ID, 10)
	if !slices.ContainsFunc(notes, func(n *instance.Notification) bool { return n.Kind == instance.NoteBudgetResults && n.ItemID == it.ID }) {
		t.Errorf("no results notification linked to the post: %+v", notes)
	}
	log, _ := f.svc.RoundLog(ctx, cora, r)
	var actions []string
	for _, l := range log {
		actions = append(actions, l.Action)
	}
	if !slices.Contains(actions, "dlog.round_opened") || !slices.Contains(actions, "dlog.project_eligible") || actions[len(actions)-1] != "dlog.results_published" {
		t.Errorf("round history: %v", actions)
	}
}

// People are told when voting opens (once), and those who have not
// voted a day before it closes.
func TestBudgetNotifications(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ann, bob := f.member(t, "ann"), f.member(t, "bob")
	r := f.round(t, cora, instance.BudgetApproval)
	p := f.project(t, ann, r, "Benches", "100")
	f.svc.ReviewProject(ctx, cora, r.ID, p.ID, "eligible", "")
	count := func(m *instance.Member, kind instance.NoteKind) int {
		notes, _ := f.store.ListNotifications(ctx, m.ID, 50)
		n := 0
		for _, x := range notes {
			if x.Kind == kind {
				n++
			}
		}
		return n
	}
	f.at("2026-12-02 00:01")
	f.svc.SweepDecide(ctx)
	f.svc.SweepDecide(ctx)
	if count(ann, instance.NoteBudgetVotingOpen) != 1 || count(bob, instance.NoteBudgetVotingOpen) != 1 {
		t.Errorf("voting opened told %d and %d times, want once each", count(ann, instance.NoteBudgetVotingOpen), count(bob, instance.NoteBudgetVotingOpen))
	}
	if err := f.svc.CastBallot(ctx, ann, r.ID, []int64{p.ID}); err != nil {
		t.Fatal(err)
	}
	f.at("2026-12-06 01:00")
	f.svc.SweepDecide(ctx)
	if count(ann, instance.NoteBudgetClosing) != 0 || count(bob, instance.NoteBudgetClosing) != 1 {
		t.Errorf("closing tomorrow: ann (voted) %d, bob (not) %d", count(ann, instance.NoteBudgetClosing), count(bob, instance.NoteBudgetClosing))
	}
}

// Only members of the round's group take part; only coordinators open
// rounds; bad dates and amounts are refused beside their fields.
func TestRoundRules(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ann, bob := f.member(t, "ann"), f.member(t, "bob")
	if _, err := f.svc.CreateRound(ctx, ann, instance.RoundInput{}); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a member opening a round: %v", err)
	}
	_, err := f.svc.CreateRound(ctx, cora, instance.RoundInput{Title: "X", Budget: "-5", Currency: "GBP", Mode: "knapsack",
		IdeasUntil: instance.DateOf("2026-11-26"), VotingFrom: instance.DateOf("2026-11-20"), VotingUntil: instance.DateOf("2026-11-19")})
	for field, code := range map[string]string{"budget": "err.money_format", "ideas_until": "err.date_past"} {
		if got := fieldCode(err, field); got != code {
			t.Errorf("%s: %q, want %s", field, got, code)
		}
	}
	_, err = f.svc.CreateRound(ctx, cora, instance.RoundInput{Title: "X", Budget: "5", Currency: "XXX", Mode: "ranked",
		IdeasUntil: instance.DateOf("2026-11-30"), VotingFrom: instance.DateOf("2026-11-30"), VotingUntil: instance.DateOf("2026-12-05")})
	for field, code := range map[string]string{"currency": "err.choice", "mode": "err.choice", "voting_from": "err.voting_after_ideas"} {
		if got := fieldCode(err, field); got != code {
			t.Errorf("%s: %q, want %s", field, got, code)
		}
	}
	if rs, _ := f.svc.Rounds(ctx, cora); len(rs) != 0 {
		t.Errorf("refused rounds were stored: %d", len(rs))
	}
	g, err := f.svc.CreateGroup(ctx, cora, instance.GroupInput{Handle: "allotments", Name: "Allotments"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.JoinGroup(ctx, ann, g.Handle); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.CreateRound(ctx, cora, instance.RoundInput{Title: "Allotment fund", Budget: "200", Currency: "EUR", Mode: "approval",
		Group: g.Handle, IdeasUntil: instance.DateOf("2026-11-30"), VotingFrom: instance.DateOf("2026-12-02"), VotingUntil: instance.DateOf("2026-12-06")})
	if err != nil {
		t.Fatal(err)
	}
	f.project(t, ann, r, "Water butts", "150")
	if _, err := f.svc.SubmitProject(ctx, bob, r.ID, instance.ProjectInput{Title: "Mine", Description: "x", Cost: "1"}); problemCode(err) != "budget.not_in_group" {
		t.Errorf("someone outside the group sending an idea: %v", err)
	}
	for range instance.MaxProjectsPerMember - 1 {
		f.project(t, ann, r, "More", "1")
	}
	if _, err := f.svc.SubmitProject(ctx, ann, r.ID, instance.ProjectInput{Title: "One too many", Description: "x", Cost: "1"}); problemCode(err) != "budget.too_many_projects" {
		t.Errorf("a sixth project: %v", err)
	}
	// Voting needs a project on the ballot.
	f.svc.AdvanceRound(ctx, cora, r.ID) // to review
	if err := f.svc.AdvanceRound(ctx, cora, r.ID); problemCode(err) != "budget.none_eligible" {
		t.Errorf("starting voting with nothing eligible: %v", err)
	}
}

// Amounts are written in the page's language.
func TestMoneyStyles(t *testing.T) {
	en := instance.MoneyStyle{Decimal: ".", Thousands: ",", Pattern: "%[2]s%[1]s", Word: "%[1]s %[2]s"}
	fr := instance.MoneyStyle{Decimal: ",", Thousands: "\u202f", Pattern: "%[1]s\u00a0%[2]s", Word: "%[1]s\u00a0%[2]s"}
	for _, c := range []struct {
		st   instance.MoneyStyle
		m    instance.Money
		want string
	}{
		{en, instance.Money{Minor: 50000, Currency: "GBP"}, "£500"},
		{en, instance.Money{Minor: 125050, Currency: "GBP"}, "£1,250.50"},
		{en, instance.Money{Minor: 5, Currency: "EUR"}, "€0.05"},
		{en, instance.Money{Minor: 990, Currency: "SEK"}, "9.90 kr"},
		{en, instance.Money{Minor: 1500, Currency: "JPY"}, "¥1,500"},
		{fr, instance.Money{Minor: 125050, Currency: "EUR"}, "1\u202f250,50\u00a0€"},
	} {
		if got := c.st.Format(c.m); got != c.want {
			t.Errorf("%v: %q, want %q", c.m, got, c.want)
		}
	}
}
