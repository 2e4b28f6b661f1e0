package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// Deciding together: the list of budget rounds and panels, participatory
// budgeting, and the results posts ("notices").

// registerDecide adds the routes of budget rounds and panels. Public
// (no sign-in): a panel's page, volunteering as a guest, its record and
// its check, and the page that checks any record; the rest is for
// members.
func (s *Server) registerDecide(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	id := "{id:[0-9]+}"
	r.Handle("/decide", h(s.decide)).Methods(http.MethodGet)
	r.Handle("/budgets/new", h(s.budgetNew)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/budgets/"+id, h(s.budgetShow)).Methods(http.MethodGet)
	r.Handle("/budgets/"+id+"/projects/new", h(s.projectNew)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/budgets/"+id+"/projects/{project:[0-9]+}/review", h(s.projectReview)).Methods(http.MethodPost)
	r.Handle("/budgets/"+id+"/projects/{project:[0-9]+}/withdraw", h(s.projectWithdraw)).Methods(http.MethodPost)
	r.Handle("/budgets/"+id+"/ballot", h(s.ballot)).Methods(http.MethodPost)
	r.Handle("/budgets/"+id+"/advance", h(s.budgetAdvance)).Methods(http.MethodPost)
	r.Handle("/notices/"+id, h(s.noticeShow)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/notices/"+id+"/responses", h(s.noticeResponse)).Methods(http.MethodPost)
	r.Handle("/notices/"+id+"/delete", h(s.noticeDelete)).Methods(http.MethodGet, http.MethodPost)
	s.registerPanels(r)
	s.registerVotes(r)
}

// Money writes an amount in the page's language ("£1,250.50").
func (p *page) Money(m instance.Money) string {
	return instance.MoneyStyle{Decimal: p.T("money.decimal"), Thousands: p.T("money.thousands"),
		Pattern: p.T("money.pattern"), Word: p.T("money.pattern_word")}.Format(m)
}

// localise writes the amounts in a refusal's arguments in the page's
// language, before the refusal is shown.
func localise(p *page, err error) {
	for _, fe := range instance.Fields(err) {
		for i, a := range fe.Args {
			if m, ok := a.(instance.Money); ok {
				fe.Args[i] = p.Money(m)
			}
		}
	}
	var pr *instance.Problem
	if errors.As(err, &pr) {
		for i, a := range pr.Args {
			if m, ok := a.(instance.Money); ok {
				pr.Args[i] = p.Money(m)
			}
		}
	}
}

type decidePage struct {
	page
	Rounds    []*instance.Round
	Panels    []*instance.Panel
	PollItems []*instance.Item
	Polls     []*instance.Poll
	Proposals []*instance.Proposal
}

// PhaseOf is a round's phase now.
func (p *page) PhaseOf(r *instance.Round) instance.Phase { return r.Phase(p.now) }

func (s *Server) decide(w http.ResponseWriter, r *http.Request) error {
	p := &decidePage{page: s.pageBase(r, "decide.title")}
	var err error
	if p.Rounds, err = s.svc.Rounds(r.Context(), p.Viewer); err != nil {
		return err
	}
	if p.Panels, err = s.svc.Panels(r.Context(), p.Viewer); err != nil {
		return err
	}
	if p.PollItems, p.Polls, err = s.svc.Polls(r.Context(), p.Viewer); err != nil {
		return err
	}
	if p.Proposals, err = s.svc.Proposals(r.Context(), p.Viewer); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "decide", p)
}

type budgetFormPage struct {
	formPage
	Groups, Currencies, Modes, Visibility []option
}

var budgetFieldOrder = []string{"title", "description", "budget", "currency", "group", "mode", "ideas_until", "voting_from",
	"voting_until", "visibility"}

func (s *Server) budgetNew(w http.ResponseWriter, r *http.Request) error {
	viewer := viewerFrom(r)
	if err := s.svc.MayOrganiseDecisions(viewer); err != nil {
		return err
	}
	p := &budgetFormPage{formPage: formPage{page: s.pageBase(r, "budgetform.title"), Form: newForm(r)}}
	v := p.Form.Values
	if r.Method == http.MethodGet {
		v.Set("currency", "GBP")
		v.Set("mode", string(instance.BudgetKnapsack))
		v.Set("visibility", string(s.svc.DefaultVisibility(instance.KindNotice)))
	}
	groups, err := s.svc.Groups(r.Context())
	if err != nil {
		return err
	}
	for _, g := range groups {
		value, label := g.Handle, g.Name
		if g.Main {
			value, label = "", p.T("budgetform.everyone", g.Name)
		}
		p.Groups = append(p.Groups, option{Value: value, Label: label})
	}
	for _, c := range instance.Currencies {
		p.Currencies = append(p.Currencies, option{Value: c.Code, Label: c.Code + " (" + c.Symbol + ")"})
	}
	for _, m := range []instance.BudgetMode{instance.BudgetKnapsack, instance.BudgetApproval} {
		p.Modes = append(p.Modes, option{Value: string(m), Label: p.T("budget.mode_" + string(m) + "_long")})
	}
	for _, vis := range instance.Visibilities {
		p.Visibility = append(p.Visibility, option{Value: string(vis), Label: p.VisLong(vis)})
	}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "budget_form", p)
	}
	round, err := s.svc.CreateRound(r.Context(), viewer, instance.RoundInput{Title: v.Get("title"), Description: v.Get("description"),
		Budget: v.Get("budget"), Currency: v.Get("currency"), Group: v.Get("group"), Mode: v.Get("mode"),
		Visibility: v.Get("visibility"), IdeasUntil: dateIn(v, "ideas_until"), VotingFrom: dateIn(v, "voting_from"), VotingUntil: dateIn(v, "voting_until")})
	if err == nil {
		return s.redirect(w, r, round.Path(), "flash.round_opened")
	}
	if !p.fail(err, budgetFieldOrder...) {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "budget_form", p)
}

type budgetPage struct {
	formPage
	Round       *instance.Round
	Phase       instance.Phase
	Projects    []*instance.Project
	OnBallot    []*instance.Project
	CanTakePart bool
	Mine        map[int64]bool
	Voted       bool
	Log         []*instance.DecideLog
	ReviewFor   int64 // the project whose review form has errors
	Phases      []instance.Phase
}

// PhaseStart is when a phase starts (or started): a day's date when a
// phase starts at midnight, as it does when it follows the round's dates
// ("after the end of Monday 30 November"), else the moment a coordinator
// started it.
func (p *budgetPage) PhaseStart(ph instance.Phase) string {
	switch ph {
	case instance.PhaseIdeas:
		return p.Date(p.Round.CreatedAt)
	case instance.PhaseReview:
		return p.Until(p.Round.ReviewFrom)
	case instance.PhaseVoting:
		if midnight(p.Round.VotingFrom.In(p.location)) {
			return p.Date(p.Round.VotingFrom)
		}
		return p.DateTime(p.Round.VotingFrom)
	}
	return p.Until(p.Round.ResultsAt)
}

func midnight(t time.Time) bool { return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 }

// Until writes the end of a period: "the end of Monday 7 December 2026"
// for a period ending at midnight, else the moment.
func (p *budgetPage) Until(t time.Time) string {
	if midnight(t.In(p.location)) {
		return p.T("budget.end_of", p.Date(t.Add(-time.Second)))
	}
	return p.DateTime(t)
}

// Cost is a project's cost in the round's currency and the page's language.
func (p *budgetPage) Cost(pr *instance.Project) string { return p.Money(p.Round.Money(pr.Cost)) }

// Amount is an amount of the round's currency.
func (p *budgetPage) Amount(minor int64) string { return p.Money(p.Round.Money(minor)) }

// ReviewField builds a project's review fields, named per project so the
// errors of one form land beside it.
func (p *budgetPage) ReviewField(pr *instance.Project, name string) field {
	n := fmt.Sprintf("%s_%d", name, pr.ID)
	if name == "review" {
		return p.Choice(n, "radios", "field.review", []option{{Value: "eligible", Label: p.T("budget.review_eligible")},
			{Value: "ineligible", Label: p.T("budget.review_ineligible")}})
	}
	f := p.Field(n, "text", "field.review_reason", "field.review_reason_hint")
	return f.Opt()
}

// BallotField is the ballot's checkbox group.
func (p *budgetPage) BallotField() field {
	f := p.Field("projects", "checkboxes", "budget.ballot_legend")
	for _, pr := range p.OnBallot {
		f.Options = append(f.Options, option{Value: strconv.FormatInt(pr.ID, 10), Label: pr.Title + " – " + p.Cost(pr),
			Selected: p.Mine[pr.ID]})
	}
	return f
}

func (s *Server) budgetShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.renderBudget(w, r, id, 0, nil)
}

// renderBudget shows a round; formErr, from the ballot or the review of
// project reviewFor, is shown beside its field.
func (s *Server) renderBudget(w http.ResponseWriter, r *http.Request, id, reviewFor int64, formErr error) error {
	ctx := r.Context()
	viewer := viewerFrom(r)
	round, err := s.svc.Round(ctx, viewer, id)
	if err != nil {
		return err
	}
	p := &budgetPage{formPage: formPage{page: s.pageBase(r, "budget.title"), Form: newForm(r)}, Round: round, ReviewFor: reviewFor,
		Phases: []instance.Phase{instance.PhaseIdeas, instance.PhaseReview, instance.PhaseVoting, instance.PhaseResults}}
	p.Title = round.Title
	p.Phase = round.Phase(p.now)
	if p.Projects, err = s.svc.RoundProjects(ctx, viewer, round); err != nil {
		return err
	}
	for _, pr := range p.Projects {
		if pr.Review == instance.ReviewEligible {
			p.OnBallot = append(p.OnBallot, pr)
		}
	}
	if p.CanTakePart, err = s.svc.CanTakePart(ctx, viewer, round); err != nil {
		return err
	}
	mine, voted, err := s.svc.MyBallot(ctx, viewer, round)
	if err != nil {
		return err
	}
	p.Voted, p.Mine = voted, map[int64]bool{}
	for _, id := range mine {
		p.Mine[id] = true
	}
	for _, pr := range p.Projects { // each review form shows the review so far
		if pr.ID != reviewFor && pr.Review != instance.ReviewPending {
			p.Form.Values.Set(fmt.Sprintf("review_%d", pr.ID), string(pr.Review))
			p.Form.Values.Set(fmt.Sprintf("reason_%d", pr.ID), pr.ReviewReason)
		}
	}
	if p.Log, err = s.svc.RoundLog(ctx, viewer, round); err != nil {
		return err
	}
	status := http.StatusOK
	if formErr != nil {
		localise(&p.page, formErr)
		if reviewFor != 0 {
			formErr = renameFields(formErr, fmt.Sprintf("_%d", reviewFor))
		}
		if r.Method == http.MethodPost {
			for _, v := range r.PostForm["project"] {
				n, _ := strconv.ParseInt(v, 10, 64)
				p.Mine[n] = true
			}
		}
		p.fail(formErr, "projects")
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "budget", p)
}

// renameFields gives a form's field errors a suffix (the project they
// belong to), keeping the codes.
func renameFields(err error, suffix string) error {
	var out instance.ValidationErrors
	for name, fe := range instance.Fields(err) {
		out = append(out, &instance.FieldError{Field: name + suffix, Code: fe.Code, Args: fe.Args})
	}
	return out
}

type projectFormPage struct {
	formPage
	Round  *instance.Round
	Closed bool // the round no longer takes ideas
}

func (s *Server) projectNew(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	viewer := viewerFrom(r)
	round, err := s.svc.Round(r.Context(), viewer, id)
	if err != nil {
		return err
	}
	p := &projectFormPage{formPage: formPage{page: s.pageBase(r, "projectform.title", round.Title), Form: newForm(r)}, Round: round}
	p.Closed = round.Phase(p.now) != instance.PhaseIdeas
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "project_form", p)
	}
	v := p.Form.Values
	_, err = s.svc.SubmitProject(r.Context(), viewer, round.ID, instance.ProjectInput{Title: v.Get("title"),
		Description: v.Get("description"), Area: v.Get("area"), Cost: v.Get("cost")})
	if err == nil {
		return s.redirect(w, r, round.Path(), "flash.project_sent")
	}
	localise(&p.page, err)
	if !p.fail(err, "title", "description", "cost", "area") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "project_form", p)
}

func projectID(r *http.Request) int64 {
	n, _ := strconv.ParseInt(mux.Vars(r)["project"], 10, 64)
	return n
}

func (s *Server) projectReview(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pid := projectID(r)
	suffix := fmt.Sprintf("_%d", pid)
	err = s.svc.ReviewProject(r.Context(), viewerFrom(r), id, pid, r.PostForm.Get("review"+suffix), r.PostForm.Get("reason"+suffix))
	if len(instance.Fields(err)) > 0 {
		return s.renderBudget(w, r, id, pid, err)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/budgets/%d#project-%d", id, pid), "flash.reviewed")
}

func (s *Server) projectWithdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.WithdrawProject(r.Context(), viewerFrom(r), id, projectID(r)); err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/budgets/%d", id), "flash.project_withdrawn")
}

func (s *Server) ballot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var chosen []int64
	for _, v := range r.PostForm["project"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return &instance.FieldError{Field: "projects", Code: "err.choice"}
		}
		chosen = append(chosen, n)
	}
	err = s.svc.CastBallot(r.Context(), viewerFrom(r), id, chosen)
	if len(instance.Fields(err)) > 0 {
		return s.renderBudget(w, r, id, 0, err)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/budgets/%d#ballot", id), "flash.ballot_cast")
}

func (s *Server) budgetAdvance(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.AdvanceRound(r.Context(), viewerFrom(r), id); err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/budgets/%d", id), "flash.phase_moved")
}

// A results post is an item of kind notice: its page is the item page.
func (s *Server) noticeShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.renderItem(w, r, instance.KindNotice, id, nil)
}

func (s *Server) noticeResponse(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.svc.Item(r.Context(), viewerFrom(r), instance.KindNotice, id); err != nil {
		return err
	}
	resp, err := s.svc.AddResponse(r.Context(), viewerFrom(r), id, r.PostForm.Get("body"))
	if len(instance.Fields(err)) > 0 {
		return s.renderItem(w, r, instance.KindNotice, id, err)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/notices/%d#response-%d", id, resp.ID), "flash.response_added")
}

func (s *Server) noticeDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	viewer := viewerFrom(r)
	it, err := s.svc.Item(r.Context(), viewer, instance.KindNotice, id)
	if err != nil {
		return err
	}
	if !s.svc.CanManage(viewer, it) {
		return instance.ErrForbidden
	}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "delete", &confirmPage{page: s.pageBase(r, "delete.title", it.Title), Item: it})
	}
	if err := s.svc.DeleteItem(r.Context(), viewer, id); err != nil {
		return err
	}
	return s.redirect(w, r, "/decide", "flash.deleted")
}
