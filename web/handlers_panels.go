package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// Panels chosen by lot: create, volunteer (members and guests), close
// the list and publish, draw, download the record and check it.

func (s *Server) registerPanels(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	id := "{id:[0-9]+}"
	r.Handle("/panels/new", h(s.panelNew)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/panels/"+id, h(s.panelShow)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/panels/"+id+"/edit", h(s.panelEdit)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/panels/"+id+"/volunteer", h(s.panelVolunteer)).Methods(http.MethodPost)
	r.Handle("/panels/"+id+"/withdraw", h(s.panelWithdraw)).Methods(http.MethodPost)
	r.Handle("/panels/"+id+"/guest", h(s.panelGuest)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/panels/"+id+"/commit", h(s.panelCommit)).Methods(http.MethodPost)
	r.Handle("/panels/"+id+"/draw", h(s.panelDraw)).Methods(http.MethodPost)
	r.Handle("/panels/"+id+"/record.json", h(s.panelRecord)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/panels/"+id+"/verify", h(s.panelVerify)).Methods(http.MethodGet)
	r.Handle("/verify-draw", h(s.verifyDraw)).Methods(http.MethodGet, http.MethodPost)
}

type panelFormPage struct {
	formPage
	Editing *instance.Panel
	Groups  []option
	Strata  []int
}

var panelFieldOrder = []string{"title", "description", "group", "size", "ends_on", "stratum_1_name", "stratum_1",
	"stratum_2_name", "stratum_2", "stratum_3_name", "stratum_3"}

func panelInput(r *http.Request) instance.PanelInput {
	f := r.PostForm
	in := instance.PanelInput{Title: f.Get("title"), Description: f.Get("description"), Group: f.Get("group"),
		Size: f.Get("size"), EndsOn: dateIn(f, "ends_on")}
	for i := 1; i <= instance.MaxStrata; i++ {
		in.Strata = append(in.Strata, instance.StratumInput{Name: f.Get(fmt.Sprintf("stratum_%d_name", i)),
			Answers: f.Get(fmt.Sprintf("stratum_%d", i))})
	}
	return in
}

func (s *Server) panelFormPage(r *http.Request, editing *instance.Panel) (*panelFormPage, error) {
	key := "panelform.title"
	if editing != nil {
		key = "panelform.edit_title"
	}
	p := &panelFormPage{formPage: formPage{page: s.pageBase(r, key), Form: newForm(r)}, Editing: editing}
	for i := 1; i <= instance.MaxStrata; i++ {
		p.Strata = append(p.Strata, i)
	}
	groups, err := s.svc.Groups(r.Context())
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		value, label := g.Handle, g.Name
		if g.Main {
			value, label = "", p.T("budgetform.everyone", g.Name)
		}
		p.Groups = append(p.Groups, option{Value: value, Label: label})
	}
	if editing != nil && r.Method == http.MethodGet {
		v := p.Form.Values
		v.Set("size", strconv.Itoa(editing.Size))
		for i, st := range editing.Strata {
			v.Set(fmt.Sprintf("stratum_%d_name", i+1), st.Name)
			var lines []string
			for _, a := range st.Answers {
				if a.Target != nil {
					lines = append(lines, fmt.Sprintf("%s: %d", a.Label, *a.Target))
				} else {
					lines = append(lines, a.Label)
				}
			}
			v.Set(fmt.Sprintf("stratum_%d", i+1), strings.Join(lines, "\n"))
		}
	}
	return p, nil
}

// StratumName and StratumAnswers are a question's two fields.
func (p *panelFormPage) StratumName(i int) field {
	f := p.Field(fmt.Sprintf("stratum_%d_name", i), "text", "field.stratum_name").Opt()
	f.Label = p.T("field.stratum_name_n", i)
	return f
}

func (p *panelFormPage) StratumAnswers(i int) field {
	f := p.Field(fmt.Sprintf("stratum_%d", i), "textarea", "field.stratum_answers", "field.stratum_answers_hint").Opt()
	f.Label = p.T("field.stratum_answers_n", i)
	return f
}

func (s *Server) panelNew(w http.ResponseWriter, r *http.Request) error {
	viewer := viewerFrom(r)
	if err := s.svc.MayOrganiseDecisions(viewer); err != nil {
		return err
	}
	p, err := s.panelFormPage(r, nil)
	if err != nil {
		return err
	}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "panel_form", p)
	}
	panel, err := s.svc.CreatePanel(r.Context(), viewer, panelInput(r))
	if err == nil {
		return s.redirect(w, r, panel.Path(), "flash.panel_created")
	}
	if !p.fail(err, panelFieldOrder...) {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "panel_form", p)
}

func (s *Server) panelEdit(w http.ResponseWriter, r *http.Request) error {
	viewer := viewerFrom(r)
	if err := s.svc.MayOrganiseDecisions(viewer); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	panel, err := s.svc.Panel(r.Context(), id)
	if err != nil {
		return err
	}
	p, err := s.panelFormPage(r, panel)
	if err != nil {
		return err
	}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "panel_form", p)
	}
	err = s.svc.UpdatePanel(r.Context(), viewer, id, panelInput(r))
	if err == nil {
		return s.redirect(w, r, panel.Path(), "flash.saved")
	}
	if !p.fail(err, panelFieldOrder...) {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "panel_form", p)
}

type drawnPerson struct {
	Code, Name, Contact string
	Guest               bool
}

type panelPage struct {
	formPage
	Panel        *instance.Panel
	Volunteers   []*instance.Volunteer
	Mine         *instance.Volunteer
	Issues       []string
	CanVolunteer bool
	Drawn        []drawnPerson
	Log          []*instance.DecideLog
	Guest        bool // the guest form, not the panel page
}

// AnswerField is the radio group for one question.
func (p *panelPage) AnswerField(i int, st instance.Stratum) field {
	var opts []option
	for a, ans := range st.Answers {
		opts = append(opts, option{Value: strconv.Itoa(a + 1), Label: ans.Label})
	}
	f := p.Choice(fmt.Sprintf("answer_%d", i+1), "radios", "field.answer", opts)
	f.Label = st.Name
	return f
}

// SeedOptions are the two ways of making the seed.
func (p *panelPage) SeedOptions() []option {
	return []option{{Value: instance.SeedSecret, Label: p.T("panel.seed_secret")}, {Value: instance.SeedPublic, Label: p.T("panel.seed_public")}}
}

// ErrorOf is the message of a field's error, if any.
func (p *panelPage) ErrorOf(name string) string {
	if fe, ok := p.Form.Errs[name]; ok {
		return p.T(fe.Code, fe.Args...)
	}
	return ""
}

// ChanceRuns is how many re-draws estimate the chances.
func (p *panelPage) ChanceRuns() int { return instance.ChanceRuns }

// AnswerText is a volunteer's answers, in words.
func (p *panelPage) AnswerText(v *instance.Volunteer) string {
	var out []string
	for i, a := range v.Answers {
		if i < len(p.Panel.Strata) && a >= 1 && a <= len(p.Panel.Strata[i].Answers) {
			out = append(out, p.Panel.Strata[i].Answers[a-1].Label)
		}
	}
	return strings.Join(out, ", ")
}

// Percent writes a chance as a whole percentage ("38%").
func (p *page) Percent(x float64) string { return p.T("panel.percent", int(math.Round(x*100))) }

// Issue writes why quotas cannot be met.
func (p *page) Issue(i instance.QuotaIssue) string { return p.T(i.Code, i.Args...) }

// Target is an answer's quota, or "shares the seats left".
func (p *page) Target(a instance.Answer) string {
	if a.Target == nil {
		return p.T("panel.no_quota")
	}
	return strconv.Itoa(*a.Target)
}

func (s *Server) panelShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.renderPanel(w, r, id, nil)
}

func (s *Server) renderPanel(w http.ResponseWriter, r *http.Request, id int64, formErr error) error {
	ctx := r.Context()
	panel, err := s.svc.Panel(ctx, id)
	if err != nil {
		return err
	}
	p := &panelPage{formPage: formPage{page: s.pageBase(r, "panel.title"), Form: newForm(r)}, Panel: panel}
	p.Title = panel.Title
	viewer := p.Viewer
	if p.Volunteers, err = s.svc.PanelVolunteers(ctx, viewer, panel); err != nil {
		return err
	}
	for _, v := range p.Volunteers {
		if viewer != nil && v.MemberID == viewer.ID {
			p.Mine = v
		}
	}
	if viewer.Has(instance.RoleMember) && panel.State == instance.PanelOpen {
		ok, err := s.svc.IsGroupMember(ctx, &instance.Group{ID: panel.GroupID}, viewer)
		if err != nil {
			return err
		}
		p.CanVolunteer = ok && p.Mine == nil
	}
	if panel.State == instance.PanelOpen && viewer.IsCoordinator() {
		issues, err := s.svc.PanelFeasibility(ctx, panel)
		if err != nil {
			return err
		}
		for _, i := range issues {
			p.Issues = append(p.Issues, p.Issue(i))
		}
	}
	if panel.State == instance.PanelDrawn {
		all, err := s.svc.PanelVolunteers(ctx, viewer, panel)
		if err != nil {
			return err
		}
		byCode := map[string]*instance.Volunteer{}
		if viewer.Has(instance.RoleMember) {
			if viewer.IsCoordinator() {
				for _, v := range all {
					byCode[v.Code] = v
				}
			} else if p.Mine != nil {
				byCode[p.Mine.Code] = p.Mine
			}
		}
		for _, code := range panel.Record.Selected {
			d := drawnPerson{Code: code}
			if v := byCode[code]; v != nil {
				d.Name, d.Contact, d.Guest = v.Member, v.GuestContact, v.MemberID == 0
				if d.Guest {
					d.Name = v.GuestName
				}
			}
			p.Drawn = append(p.Drawn, d)
		}
	}
	if p.Log, err = s.svc.PanelLog(ctx, panel); err != nil {
		return err
	}
	status := http.StatusOK
	if formErr != nil {
		p.fail(formErr, "answer_1", "answer_2", "answer_3", "method", "source", "seed")
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "panel", p)
}

func answers(r *http.Request) []string {
	var out []string
	for i := 1; i <= instance.MaxStrata; i++ {
		out = append(out, r.PostForm.Get(fmt.Sprintf("answer_%d", i)))
	}
	return out
}

func (s *Server) panelVolunteer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	err = s.svc.Volunteer(r.Context(), viewerFrom(r), id, answers(r))
	if len(instance.Fields(err)) > 0 {
		return s.renderPanel(w, r, id, err)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/panels/%d", id), "flash.volunteered")
}

func (s *Server) panelWithdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.WithdrawVolunteer(r.Context(), viewerFrom(r), id); err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/panels/%d", id), "flash.volunteer_withdrawn")
}

type guestDonePage struct {
	page
	Panel *instance.Panel
	Code  string
}

// panelGuest is the form for volunteering without an account.
func (s *Server) panelGuest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	panel, err := s.svc.Panel(r.Context(), id)
	if err != nil {
		return err
	}
	p := &panelPage{formPage: formPage{page: s.pageBase(r, "guest.title", panel.Title), Form: newForm(r)}, Panel: panel, Guest: true}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "panel_guest", p)
	}
	f := r.PostForm
	v, err := s.svc.VolunteerGuest(r.Context(), id, instance.GuestInput{Name: f.Get("name"), Contact: f.Get("contact"),
		Answers: answers(r), Consent: f.Get("consent") != ""}, s.clientKey(r))
	if err == nil {
		done := &guestDonePage{page: s.pageBase(r, "guest.done_title"), Panel: panel, Code: v.Code}
		return s.render(w, r, http.StatusOK, "panel_guest_done", done)
	}
	if !p.fail(err, "name", "contact", "answer_1", "answer_2", "answer_3", "consent") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "panel_guest", p)
}

func (s *Server) panelCommit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	err = s.svc.CommitPanel(r.Context(), viewerFrom(r), id, instance.CommitInput{Method: r.PostForm.Get("method"), Source: r.PostForm.Get("source")})
	if len(instance.Fields(err)) > 0 {
		return s.renderPanel(w, r, id, err)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/panels/%d", id), "flash.panel_committed")
}

func (s *Server) panelDraw(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, err = s.svc.DrawPanel(r.Context(), viewerFrom(r), id, r.PostForm.Get("seed"))
	if len(instance.Fields(err)) > 0 {
		return s.renderPanel(w, r, id, err)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/panels/%d#drawn", id), "flash.panel_drawn")
}

// panelRecord is the published record, for `hearth verify-draw`.
func (s *Server) panelRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	panel, err := s.svc.Panel(r.Context(), id)
	if err != nil {
		return err
	}
	if panel.Record == nil {
		return instance.ErrNotFound
	}
	data, err := instance.RecordJSON(panel.Record)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="panel-%d-draw.json"`, id))
	_, err = w.Write(append(data, '\n'))
	return err
}

type verifyPage struct {
	formPage
	Panel  *instance.Panel
	Record *instance.DrawRecord
	Check  *instance.DrawCheck
}

// Same reports whether the re-run chose the published panel.
func (p *verifyPage) Same() bool {
	for _, pr := range p.Check.Problems {
		if pr.Code == "drawcheck.panel_differs" {
			return false
		}
	}
	return len(p.Check.Rerun) > 0
}

// panelVerify re-runs a panel's draw from its published record.
func (s *Server) panelVerify(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	panel, err := s.svc.Panel(r.Context(), id)
	if err != nil {
		return err
	}
	if panel.Record == nil {
		return instance.ErrNotFound
	}
	p := &verifyPage{formPage: formPage{page: s.pageBase(r, "drawcheck.title_panel", panel.Title), Form: newForm(r)}, Panel: panel,
		Record: panel.Record, Check: instance.VerifyDraw(panel.Record)}
	return s.render(w, r, http.StatusOK, "verify", p)
}

// verifyDraw checks any record pasted into the page.
func (s *Server) verifyDraw(w http.ResponseWriter, r *http.Request) error {
	p := &verifyPage{formPage: formPage{page: s.pageBase(r, "drawcheck.title"), Form: newForm(r)}}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "verify", p)
	}
	rec, err := instance.ParseRecord([]byte(r.PostForm.Get("record")))
	if err != nil {
		p.fail(instance.ValidationErrors{{Field: "record", Code: "drawcheck.not_a_record"}}, "record")
		return s.render(w, r, http.StatusUnprocessableEntity, "verify", p)
	}
	p.Record, p.Check = rec, instance.VerifyDraw(rec)
	return s.render(w, r, http.StatusOK, "verify", p)
}
