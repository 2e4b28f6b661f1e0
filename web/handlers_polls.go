package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// Polls and consent proposals: the forms, a poll's page (the vote, and
// the counts as a table with bars drawn in CSS), a proposal's page (the
// answer, and once it closes the outcome and every reason), and a
// group's setting that keeps them to its coordinators. A public poll's
// page is public; everything else is for members.

func (s *Server) registerVotes(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	id := "{id:[0-9]+}"
	r.Handle("/polls/new", h(s.pollNew)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/polls/"+id, h(s.pollShow)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/polls/"+id+"/vote", h(s.pollVote)).Methods(http.MethodPost)
	r.Handle("/proposals/new", h(s.proposalNew)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/proposals/"+id, h(s.proposalShow)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/proposals/"+id+"/answer", h(s.proposalAnswer)).Methods(http.MethodPost)
	r.Handle("/groups/{handle}/voting", h(s.groupVoting)).Methods(http.MethodPost)
}

type pollFormPage struct {
	formPage
	Groups, Results, Visibility []option
}

var pollFieldOrder = []string{"group", "question", "description", "options", "multiple", "results", "closes_on", "closes_at", "visibility"}

// voteGroups are the groups a member may start a vote in (the main group
// as "everyone").
func (s *Server) voteGroups(r *http.Request, p *formPage) ([]option, error) {
	groups, err := s.svc.Groups(r.Context())
	if err != nil {
		return nil, err
	}
	var out []option
	for _, g := range groups {
		value, label := g.Handle, g.Name
		if g.Main {
			value, label = "", p.T("budgetform.everyone", g.Name)
		}
		out = append(out, option{Value: value, Label: label})
	}
	return out, nil
}

func (s *Server) pollNew(w http.ResponseWriter, r *http.Request) error {
	viewer := viewerFrom(r)
	p := &pollFormPage{formPage: formPage{page: s.pageBase(r, "pollform.title"), Form: newForm(r)}}
	p.labels = map[string]labelRef{"group": label("field.vote_group"), "question": label("field.question"),
		"description": label("field.poll_description"), "options": label("field.poll_options"), "results": label("field.poll_results"),
		"closes_on": label("field.closes_on"), "closes_at": label("field.closes_at"), "visibility": label("field.visibility")}
	v := p.Form.Values
	if r.Method == http.MethodGet {
		v.Set("results", string(instance.ResultsAfterVote))
		v.Set("visibility", string(s.svc.DefaultVisibility(instance.KindPoll)))
		if g := r.URL.Query().Get("group"); g != "" {
			v.Set("group", g)
		}
	}
	var err error
	if p.Groups, err = s.voteGroups(r, &p.formPage); err != nil {
		return err
	}
	for _, res := range []instance.PollResults{instance.ResultsAfterVote, instance.ResultsAfterClose} {
		p.Results = append(p.Results, option{Value: string(res), Label: p.T("poll.results_" + string(res))})
	}
	for _, vis := range instance.Visibilities {
		p.Visibility = append(p.Visibility, option{Value: string(vis), Label: p.VisLong(vis)})
	}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "poll_form", p)
	}
	it, err := s.svc.CreatePoll(r.Context(), viewer, instance.PollInput{Group: v.Get("group"), Question: v.Get("question"),
		Description: v.Get("description"), Options: v.Get("options"), Multiple: v.Get("multiple") != "",
		Results: v.Get("results"), Visibility: v.Get("visibility"), ClosesOn: dateIn(v, "closes_on"), ClosesAt: timeIn(v, "closes_at")})
	if err == nil {
		return s.redirect(w, r, it.Path(), "flash.poll_posted")
	}
	if !p.fail(err, pollFieldOrder...) {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "poll_form", p)
}

type pollPage struct {
	formPage
	Item       *instance.Item
	Poll       *instance.Poll
	Mine       map[int64]bool
	Voted      bool
	CanVote    bool
	Closed     bool
	ShowCounts bool
}

// VoteField is the vote's radios (one choice) or checkboxes (several).
func (p *pollPage) VoteField() field {
	typ := "radios"
	if p.Poll.Multiple {
		typ = "checkboxes"
	}
	f := p.Field("options", typ, "poll.vote_legend")
	f.Label = p.Item.Title
	for _, o := range p.Poll.Options {
		f.Options = append(f.Options, option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name, Selected: p.Mine[o.ID]})
	}
	return f
}

// Bar is the CSS class of an option's bar: its share in steps of 5%.
func (p *pollPage) Bar(o instance.PollOption) string {
	share := p.Poll.Share(o)
	return fmt.Sprintf("bar p%d", (share+2)/5*5)
}

func (s *Server) pollShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.renderPoll(w, r, id, nil)
}

func (s *Server) renderPoll(w http.ResponseWriter, r *http.Request, id int64, formErr error) error {
	ctx := r.Context()
	viewer := viewerFrom(r)
	it, poll, err := s.svc.Poll(ctx, viewer, id)
	if err != nil {
		return err
	}
	p := &pollPage{formPage: formPage{page: s.pageBase(r, "poll.title"), Form: newForm(r)}, Item: it, Poll: poll, Mine: map[int64]bool{}}
	p.Title = it.Title
	p.labels = map[string]labelRef{"options": label("poll.vote_legend")}
	mine, err := s.svc.MyVote(ctx, viewer, poll)
	if err != nil {
		return err
	}
	for _, o := range mine {
		p.Mine[o] = true
	}
	p.Voted = len(mine) > 0
	p.Closed = poll.Closed(p.now)
	p.CanVote = viewer.Has(instance.RoleMember) && !p.Closed && !it.Held && it.HiddenReason == ""
	p.ShowCounts = poll.ShowCounts(p.Voted, p.now)
	status := http.StatusOK
	if formErr != nil {
		if r.Method == http.MethodPost {
			p.Mine = map[int64]bool{}
			for _, v := range r.PostForm["option"] {
				n, _ := strconv.ParseInt(v, 10, 64)
				p.Mine[n] = true
			}
		}
		p.fail(formErr, "options")
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "poll", p)
}

func (s *Server) pollVote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var chosen []int64
	for _, v := range r.PostForm["option"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s.renderPoll(w, r, id, &instance.FieldError{Field: "options", Code: "err.choice"})
		}
		chosen = append(chosen, n)
	}
	err = s.svc.Vote(r.Context(), viewerFrom(r), id, chosen)
	if len(instance.Fields(err)) > 0 {
		return s.renderPoll(w, r, id, err)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/polls/%d#results", id), "flash.voted")
}

type proposalFormPage struct {
	formPage
	Groups []option
}

var proposalFieldOrder = []string{"group", "title", "description", "closes_on", "closes_at"}

func (s *Server) proposalNew(w http.ResponseWriter, r *http.Request) error {
	viewer := viewerFrom(r)
	p := &proposalFormPage{formPage: formPage{page: s.pageBase(r, "proposalform.title"), Form: newForm(r)}}
	p.labels = map[string]labelRef{"group": label("field.vote_group"), "title": label("field.proposal_title"),
		"description": label("field.proposal_description"), "closes_on": label("field.closes_on"), "closes_at": label("field.closes_at")}
	var err error
	if p.Groups, err = s.voteGroups(r, &p.formPage); err != nil {
		return err
	}
	if r.Method == http.MethodGet {
		if g := r.URL.Query().Get("group"); g != "" {
			p.Form.Values.Set("group", g)
		}
		return s.render(w, r, http.StatusOK, "proposal_form", p)
	}
	v := p.Form.Values
	pr, err := s.svc.CreateProposal(r.Context(), viewer, instance.ProposalInput{Group: v.Get("group"), Title: v.Get("title"),
		Description: v.Get("description"), ClosesOn: dateIn(v, "closes_on"), ClosesAt: timeIn(v, "closes_at")})
	if err == nil {
		return s.redirect(w, r, pr.Path(), "flash.proposal_opened")
	}
	if !p.fail(err, proposalFieldOrder...) {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "proposal_form", p)
}

type proposalPage struct {
	formPage
	Proposal  *instance.Proposal
	Answers   []*instance.ProposalAnswer
	Mine      *instance.ProposalAnswer
	Counts    map[instance.Consent]int
	CanAnswer bool
	Closed    bool
}

// Consents are the four answers, in order.
func (p *proposalPage) Consents() []instance.Consent { return instance.Consents }

// AnswerField is the answer's radios.
func (p *proposalPage) AnswerField() field {
	var opts []option
	for _, c := range instance.Consents {
		opts = append(opts, option{Value: string(c), Label: p.T("proposal.answer_" + string(c) + "_long")})
	}
	return p.Choice("answer", "radios", "field.consent", opts)
}

// ReasonField is the reason's box.
func (p *proposalPage) ReasonField() field {
	return p.Field("reason", "textarea", "field.consent_reason", "field.consent_reason_hint").Opt()
}

func (s *Server) proposalShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.renderProposal(w, r, id, nil)
}

func (s *Server) renderProposal(w http.ResponseWriter, r *http.Request, id int64, formErr error) error {
	ctx := r.Context()
	viewer := viewerFrom(r)
	pr, err := s.svc.Proposal(ctx, viewer, id)
	if err != nil {
		return err
	}
	p := &proposalPage{formPage: formPage{page: s.pageBase(r, "proposal.title"), Form: newForm(r)}, Proposal: pr}
	p.Title = pr.Title
	p.labels = map[string]labelRef{"answer": label("field.consent"), "reason": label("field.consent_reason")}
	if p.Answers, err = s.svc.ProposalAnswers(ctx, viewer, pr); err != nil {
		return err
	}
	for _, a := range p.Answers {
		if a.MemberID == viewer.ID {
			p.Mine = a
		}
	}
	p.Counts = instance.AnswerCounts(p.Answers)
	p.Closed = pr.Closed(p.now)
	if p.CanAnswer, err = s.svc.CanAnswer(ctx, viewer, pr); err != nil {
		return err
	}
	if p.Mine != nil && r.Method != http.MethodPost {
		p.Form.Values.Set("answer", string(p.Mine.Answer))
		p.Form.Values.Set("reason", p.Mine.Reason)
	}
	status := http.StatusOK
	if formErr != nil {
		p.fail(formErr, "answer", "reason")
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "proposal", p)
}

func (s *Server) proposalAnswer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	err = s.svc.AnswerProposal(r.Context(), viewerFrom(r), id, r.PostForm.Get("answer"), r.PostForm.Get("reason"))
	if len(instance.Fields(err)) > 0 {
		return s.renderProposal(w, r, id, err)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/proposals/%d#answer", id), "flash.answered")
}

// groupVoting saves whether only coordinators start votes in a group.
func (s *Server) groupVoting(w http.ResponseWriter, r *http.Request) error {
	handle := mux.Vars(r)["handle"]
	if err := s.svc.SetVotesByCoordinators(r.Context(), viewerFrom(r), handle, r.PostForm.Get("coordinators_only") != ""); err != nil {
		return err
	}
	return s.redirect(w, r, "/groups/"+handle, "flash.saved")
}

// Now is the page's time (polls and proposals say whether they are open).
func (p *page) Now() time.Time { return p.now }
