package instance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Panels chosen by lot: a coordinator creates a panel ("12 residents to
// decide the playground") with optional quotas; members and guests
// volunteer; Hearth publishes what the draw will use, then draws, and
// anyone can check the draw (sortition.go).

// PanelState is where a panel is.
type PanelState string

// Open: taking volunteers. Committed: the list is closed and its
// fingerprint and the seed's commitment are published. Drawn: the seed
// and the panel are published.
const (
	PanelOpen      PanelState = "open"
	PanelCommitted PanelState = "committed"
	PanelDrawn     PanelState = "drawn"
)

// Panel is a panel chosen by lot.
type Panel struct {
	ID          int64
	GroupID     int64
	GroupHandle string
	GroupName   string
	CreatedBy   int64
	Title       string
	Description string
	Size        int
	Strata      []Stratum
	EndsAt      time.Time // the end of its last day: guests' details are erased then
	State       PanelState
	CreatedAt   time.Time
	Volunteers  int
	// From the commitment on.
	SeedMethod     string
	SeedSource     string // the public value the coordinator named
	SeedCommitment string
	Secret         string // the secret seed: never shown before the draw
	InputsHash     string
	Record         *DrawRecord
	Chances        []AnswerChance
	CommittedAt    time.Time
	DrawnAt        time.Time
	GuestsErased   bool
}

// Path is the panel's page.
func (p *Panel) Path() string { return "/panels/" + strconv.FormatInt(p.ID, 10) }

// Volunteer is one person who offered to sit on a panel: a member, or a
// guest with a name and a contact (seen only by coordinators, and erased
// once the panel ends).
type Volunteer struct {
	ID           int64
	PanelID      int64
	Code         string
	MemberID     int64
	Member       string
	GuestName    string
	GuestContact string
	Answers      []int
	CreatedAt    time.Time
	Selected     bool
}

// PanelStore keeps panels and their volunteers.
type PanelStore interface {
	CreatePanel(ctx context.Context, p *Panel, log *DecideLog) (int64, error)
	PanelByID(ctx context.Context, id int64) (*Panel, error)
	ListPanels(ctx context.Context) ([]*Panel, error)
	// UpdatePanelQuotas changes the size and quotas while the panel is
	// open (ErrConflict otherwise).
	UpdatePanelQuotas(ctx context.Context, id int64, size int, strata []Stratum, log *DecideLog) error
	// AddVolunteer adds a volunteer to an open panel, with a fresh code.
	// ErrConflict: it is not open, or full (MaxVolunteers); a member or a
	// guest contact already there gives a *FieldError.
	AddVolunteer(ctx context.Context, v *Volunteer) error
	RemoveVolunteer(ctx context.Context, panelID, memberID int64) error
	Volunteers(ctx context.Context, panelID int64) ([]*Volunteer, error)
	// CommitPanel closes the list and publishes the record, if the panel
	// is open and still has exactly the record's volunteers (ErrConflict).
	CommitPanel(ctx context.Context, p *Panel, log *DecideLog) error
	// DrawPanel stores the seed and the chosen volunteers of a committed
	// panel, and tells those drawn.
	DrawPanel(ctx context.Context, p *Panel, selected []string, log *DecideLog, notify []Notification) error
	ErasePanelGuests(ctx context.Context, now time.Time) (int, error)
	PanelLog(ctx context.Context, id int64) ([]*DecideLog, error)
}

// Limits on panels.
const (
	MaxPanelSize   = 500
	MaxVolunteers  = 2000
	MaxStrata      = 3
	MaxAnswers     = 12
	MaxStratumName = 80
	MaxAnswerLabel = 60
	MaxGuestPerNet = 10 // guest volunteers per network per hour
	MaxSeedSource  = 300
)

// StratumInput is one question of the panel form: its name and its
// answers, one a line, each with an optional target after a colon
// ("North end: 4").
type StratumInput struct {
	Name    string
	Answers string
}

// PanelInput is the panel form.
type PanelInput struct {
	Title, Description string
	Group              string
	Size               string
	EndsOn             DateInput // the panel's last day
	Strata             []StratumInput
}

// parseStrata reads the strata lines of the form.
func parseStrata(v *ValidationErrors, lines []StratumInput) []Stratum {
	var out []Stratum
	for i, in := range lines {
		field := fmt.Sprintf("stratum_%d", i+1)
		nameField, answersField := field+"_name", field
		if strings.TrimSpace(in.Name) == "" && strings.TrimSpace(in.Answers) == "" {
			continue
		}
		name, fe := cleanText(in.Name, textRule{field: nameField, required: true, max: MaxStratumName})
		v.add(fe)
		st := Stratum{Name: name}
		text, fe := cleanText(in.Answers, textRule{field: answersField, required: true, max: 2000, multiline: true})
		if fe != nil {
			v.add(fe)
			continue
		}
		seen := map[string]bool{}
		for n, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			label, target := line, (*int)(nil)
			if at := strings.LastIndex(line, ":"); at >= 0 {
				num := strings.TrimSpace(line[at+1:])
				t, err := strconv.Atoi(num)
				if err != nil || t < 0 || t > MaxPanelSize {
					v.add(&FieldError{Field: answersField, Code: "err.answer_line", Args: []any{n + 1}})
					break
				}
				label, target = strings.TrimSpace(line[:at]), &t
			}
			label, fe := cleanText(label, textRule{field: answersField, required: true, max: MaxAnswerLabel})
			if fe != nil {
				v.add(&FieldError{Field: answersField, Code: "err.answer_line", Args: []any{n + 1}})
				break
			}
			if seen[strings.ToLower(label)] {
				v.add(&FieldError{Field: answersField, Code: "err.answer_twice", Args: []any{label}})
				break
			}
			seen[strings.ToLower(label)] = true
			st.Answers = append(st.Answers, Answer{Label: label, Target: target})
		}
		switch {
		case len(st.Answers) == 1:
			v.add(&FieldError{Field: answersField, Code: "err.answers_few"})
		case len(st.Answers) > MaxAnswers:
			v.add(&FieldError{Field: answersField, Code: "err.answers_many", Args: []any{MaxAnswers}})
		}
		out = append(out, st)
	}
	return out
}

func (s *Service) cleanPanel(in PanelInput) (title, desc string, size int, ends time.Time, strata []Stratum, err error) {
	var v ValidationErrors
	var fe *FieldError
	title, fe = cleanText(in.Title, textRule{field: "title", required: true, max: MaxTitle})
	v.add(fe)
	desc, fe = cleanText(in.Description, textRule{field: "description", max: MaxDescription, multiline: true})
	v.add(fe)
	size, feSize := parseCount("size", in.Size, 1, MaxPanelSize, true)
	v.add(feSize)
	ends, fe = parseDate("ends_on", in.EndsOn, s.loc, true)
	if fe == nil && ends.Before(startOfDay(s.now().In(s.loc))) {
		fe = &FieldError{Field: "ends_on", Code: "err.date_past"}
	}
	v.add(fe)
	if len(in.Strata) > MaxStrata {
		in.Strata = in.Strata[:MaxStrata]
	}
	strata = parseStrata(&v, in.Strata)
	if feSize == nil && len(v) == 0 {
		for _, qe := range CheckQuotas(size, strata) {
			v.add(&qe)
		}
	}
	return title, desc, size, ends.AddDate(0, 0, 1), strata, v.err()
}

// CreatePanel creates a panel. Coordinators only. Quotas that add up to
// more than the panel's size are refused.
func (s *Service) CreatePanel(ctx context.Context, by *Member, in PanelInput) (*Panel, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	title, desc, size, ends, strata, err := s.cleanPanel(in)
	var g *Group
	var gerr error
	if in.Group == "" {
		g, gerr = s.mainGroup(ctx)
	} else {
		g, gerr = s.Group(ctx, in.Group)
	}
	if gerr != nil {
		var v ValidationErrors
		errors.As(err, &v)
		v.add(&FieldError{Field: "group", Code: "err.group_choice"})
		err = v
	}
	if err != nil {
		return nil, err
	}
	p := &Panel{GroupID: g.ID, CreatedBy: by.ID, Title: title, Description: desc, Size: size, Strata: strata, EndsAt: ends,
		State: PanelOpen, CreatedAt: s.now()}
	if p.ID, err = s.store.CreatePanel(ctx, p, s.decideLog(by, "dlog.panel_created", p.Title)); err != nil {
		return nil, err
	}
	s.log.Info("panel created", "panel", p.ID, "by", by.Handle, "size", size, "strata", len(strata))
	return p, nil
}

// UpdatePanel changes a panel's size and quotas while it takes
// volunteers. Once people have volunteered, the questions and answers
// stay as they are (people answered them): only the numbers change.
func (s *Service) UpdatePanel(ctx context.Context, by *Member, id int64, in PanelInput) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	p, err := s.store.PanelByID(ctx, id)
	if err != nil {
		return err
	}
	if p.State != PanelOpen {
		return problem(ErrConflict, "panel.not_open")
	}
	in.Title, in.Description, in.EndsOn = p.Title, p.Description, DateInputFor(p.EndsAt.AddDate(0, 0, -1), s.loc)
	_, _, size, _, strata, err := s.cleanPanel(in)
	if err != nil {
		return err
	}
	if p.Volunteers > 0 && !sameQuestions(p.Strata, strata) {
		return ValidationErrors{{Field: "stratum_1", Code: "err.answers_fixed"}}
	}
	err = s.store.UpdatePanelQuotas(ctx, p.ID, size, strata, s.decideLog(by, "dlog.panel_quotas", strconv.Itoa(size)))
	if errors.Is(err, ErrConflict) {
		return problem(ErrConflict, "panel.not_open")
	}
	return err
}

func sameQuestions(a, b []Stratum) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Answers) != len(b[i].Answers) {
			return false
		}
		for j := range a[i].Answers {
			if a[i].Answers[j].Label != b[i].Answers[j].Label {
				return false
			}
		}
	}
	return true
}

// Panel returns a panel. Anyone may see it (guests volunteer too); the
// secret seed is never returned before the draw.
func (s *Service) Panel(ctx context.Context, id int64) (*Panel, error) {
	p, err := s.store.PanelByID(ctx, id)
	if err != nil {
		return nil, err
	}
	p.Secret = ""
	return p, nil
}

// Panels lists every panel, newest first; members only.
func (s *Service) Panels(ctx context.Context, viewer *Member) ([]*Panel, error) {
	if !viewer.Has(RoleMember) {
		return nil, ErrForbidden
	}
	return s.store.ListPanels(ctx)
}

// PanelVolunteers lists the volunteers: coordinators see everyone with
// guests' names and contacts; a member sees only themselves.
func (s *Service) PanelVolunteers(ctx context.Context, viewer *Member, p *Panel) ([]*Volunteer, error) {
	if !viewer.Has(RoleMember) {
		return nil, nil
	}
	vs, err := s.store.Volunteers(ctx, p.ID)
	if err != nil || viewer.IsCoordinator() {
		return vs, err
	}
	var own []*Volunteer
	for _, v := range vs {
		if v.MemberID == viewer.ID {
			own = append(own, v)
		}
	}
	return own, nil
}

// PanelLog is a panel's history, for everyone.
func (s *Service) PanelLog(ctx context.Context, p *Panel) ([]*DecideLog, error) {
	return s.store.PanelLog(ctx, p.ID)
}

// answersFrom checks a volunteer's answers (the 1-based choice for each
// question, as typed in the form's fields "answer_1"…).
func answersFrom(p *Panel, answers []string) ([]int, ValidationErrors) {
	var v ValidationErrors
	out := make([]int, len(p.Strata))
	for i, st := range p.Strata {
		a := 0
		if i < len(answers) {
			a, _ = strconv.Atoi(answers[i])
		}
		if a < 1 || a > len(st.Answers) {
			v.add(&FieldError{Field: fmt.Sprintf("answer_%d", i+1), Code: "err.answer_needed"})
		}
		out[i] = a
	}
	return out, v
}

// Volunteer puts a member forward for a panel, with their answers.
func (s *Service) Volunteer(ctx context.Context, m *Member, panelID int64, answers []string) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	p, err := s.store.PanelByID(ctx, panelID)
	if err != nil {
		return err
	}
	if p.State != PanelOpen {
		return problem(ErrConflict, "panel.not_open")
	}
	if ok, err := s.store.IsGroupMember(ctx, p.GroupID, m.ID); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	} else if !ok {
		return problem(ErrForbidden, "panel.not_in_group", p.GroupName)
	}
	got, v := answersFrom(p, answers)
	if err := v.err(); err != nil {
		return err
	}
	return s.addVolunteer(ctx, &Volunteer{PanelID: p.ID, MemberID: m.ID, Answers: got, CreatedAt: s.now()})
}

// GuestInput is the form for someone without an account.
type GuestInput struct {
	Name, Contact string
	Answers       []string
	Consent       bool
}

// VolunteerGuest puts forward someone who has no account: a name and a
// contact, kept for coordinators until the panel ends. client is the
// caller's network, to limit how many one network can add.
func (s *Service) VolunteerGuest(ctx context.Context, panelID int64, in GuestInput, client string) (*Volunteer, error) {
	p, err := s.store.PanelByID(ctx, panelID)
	if err != nil {
		return nil, err
	}
	if p.State != PanelOpen {
		return nil, problem(ErrConflict, "panel.not_open")
	}
	key := "panel-guest:" + client
	if ok, err := s.limits.allow(ctx, key, MaxGuestPerNet); err != nil {
		return nil, err
	} else if !ok {
		return nil, problem(ErrThrottled, "panel.guest_limit")
	}
	var v ValidationErrors
	var fe *FieldError
	vol := &Volunteer{PanelID: p.ID, CreatedAt: s.now()}
	vol.GuestName, fe = cleanText(in.Name, textRule{field: "name", required: true, max: MaxDisplayName, name: true})
	v.add(fe)
	vol.GuestContact, fe = cleanText(in.Contact, textRule{field: "contact", required: true, max: 120})
	v.add(fe)
	got, av := answersFrom(p, in.Answers)
	v = append(v, av...)
	if !in.Consent {
		v.add(&FieldError{Field: "consent", Code: "err.guest_consent"})
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	vol.Answers = got
	if err := s.addVolunteer(ctx, vol); err != nil {
		return nil, err
	}
	if err := s.limits.fail(ctx, key); err != nil {
		s.log.Error("counting a guest volunteer", "panel", p.ID, "err", err) // the volunteer is stored
	}
	return vol, nil
}

func (s *Service) addVolunteer(ctx context.Context, v *Volunteer) error {
	err := s.store.AddVolunteer(ctx, v)
	var pr *Problem
	if errors.As(err, &pr) {
		return pr
	}
	if errors.Is(err, ErrConflict) {
		return problem(ErrConflict, "panel.not_open")
	}
	if err == nil {
		s.log.Info("panel volunteer", "panel", v.PanelID, "guest", v.MemberID == 0)
	}
	return err
}

// WithdrawVolunteer takes a member off the list while it is open.
func (s *Service) WithdrawVolunteer(ctx context.Context, m *Member, panelID int64) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	err := s.store.RemoveVolunteer(ctx, panelID, m.ID)
	if errors.Is(err, ErrConflict) {
		return problem(ErrConflict, "panel.not_open")
	}
	return err
}

// drawInputs is the panel's current list as the draw sees it.
func (s *Service) drawInputs(ctx context.Context, p *Panel) (DrawInputs, error) {
	vs, err := s.store.Volunteers(ctx, p.ID)
	if err != nil {
		return DrawInputs{}, err
	}
	in := DrawInputs{Size: p.Size, Strata: p.Strata}
	for _, v := range vs {
		in.Volunteers = append(in.Volunteers, DrawVolunteer{Code: v.Code, Answers: v.Answers})
	}
	return in, nil
}

// PanelFeasibility says whether the volunteers so far can fill the panel
// and its quotas, and if not, why (for the panel page while it is open).
func (s *Service) PanelFeasibility(ctx context.Context, p *Panel) ([]QuotaIssue, error) {
	in, err := s.drawInputs(ctx, p)
	if err != nil {
		return nil, err
	}
	return ExplainQuotas(in), nil
}

// CommitInput is how the coordinator wants the seed made.
type CommitInput struct {
	Method string // SeedSecret or SeedPublic
	Source string // for SeedPublic: which public value, and when it will be known
}

// CommitPanel closes the list of volunteers and publishes what the draw
// will use: the list's fingerprint, the algorithm, and a commitment to a
// secret seed (or the public value the seed will be). It refuses, saying
// why, when the volunteers cannot fill the panel and its quotas.
// Coordinators only.
func (s *Service) CommitPanel(ctx context.Context, by *Member, id int64, in CommitInput) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	p, err := s.store.PanelByID(ctx, id)
	if err != nil {
		return err
	}
	if p.State != PanelOpen {
		return problem(ErrConflict, "panel.not_open")
	}
	var v ValidationErrors
	p.SeedMethod = in.Method
	switch in.Method {
	case SeedSecret:
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		p.Secret = hex.EncodeToString(raw)
		p.SeedCommitment = SeedCommitment(p.Secret)
	case SeedPublic:
		src, fe := cleanText(in.Source, textRule{field: "source", required: true, max: MaxSeedSource})
		v.add(fe)
		p.SeedSource = src
	default:
		v.add(&FieldError{Field: "method", Code: "err.choice"})
	}
	if err := v.err(); err != nil {
		return err
	}
	draw, err := s.drawInputs(ctx, p)
	if err != nil {
		return err
	}
	if issues := ExplainQuotas(draw); len(issues) > 0 {
		return ValidationErrors{{Field: "method", Code: issues[0].Code, Args: issues[0].Args}}
	}
	now := s.now()
	p.InputsHash = InputsHash(draw)
	p.CommittedAt = now
	p.Record = &DrawRecord{Format: DrawFormat, Panel: s.baseURL + p.Path(), Title: p.Title, Algorithm: DrawAlgorithm,
		AlgorithmVersion: DrawAlgorithmVersion, Size: p.Size, Strata: p.Strata, Volunteers: sortedVolunteers(draw.Volunteers),
		VolunteersSHA256: p.InputsHash, SeedMethod: p.SeedMethod, SeedCommitment: p.SeedCommitment, SeedSource: p.SeedSource,
		CommittedAt: now}
	p.Chances = Chances(draw, ChanceRuns)
	if err := s.store.CommitPanel(ctx, p, s.decideLog(by, "dlog.panel_committed", p.InputsHash)); err != nil {
		if errors.Is(err, ErrConflict) {
			return problem(ErrConflict, "panel.changed_meanwhile")
		}
		return err
	}
	s.log.Info("panel list closed and published", "panel", p.ID, "by", by.Handle, "volunteers", len(draw.Volunteers),
		"seed_method", p.SeedMethod)
	return nil
}

// DrawPanel draws the panel from the published inputs: with the secret
// seed, or with the public value the coordinator now types in. The seed
// and the result are published, and the members drawn are told.
func (s *Service) DrawPanel(ctx context.Context, by *Member, id int64, publicValue string) ([]string, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	p, err := s.store.PanelByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.State != PanelCommitted || p.Record == nil {
		return nil, problem(ErrConflict, "panel.not_committed")
	}
	seed := p.Secret
	if p.SeedMethod == SeedPublic {
		seed = NormaliseSeed(publicValue)
		if _, fe := cleanText(seed, textRule{field: "seed", required: true, max: MaxSeedSource}); fe != nil {
			return nil, fe
		}
	}
	rec := p.Record
	selected, issue := Draw(rec.Inputs(), DrawKey(seed, rec.VolunteersSHA256))
	if issue != nil {
		return nil, ValidationErrors{{Field: "seed", Code: issue.Code, Args: issue.Args}}
	}
	now := s.now()
	rec.Seed, rec.DrawnAt, rec.Selected = seed, &now, selected
	p.DrawnAt = now
	vs, err := s.store.Volunteers(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	chosen := map[string]bool{}
	for _, c := range selected {
		chosen[c] = true
	}
	var drawn []int64
	for _, v := range vs {
		if chosen[v.Code] && v.MemberID != 0 {
			drawn = append(drawn, v.MemberID)
		}
	}
	if err := s.store.DrawPanel(ctx, p, selected, s.decideLog(by, "dlog.panel_drawn", seed),
		decideNotices(drawn, NotePanelDrawn, 0)); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, problem(ErrConflict, "panel.not_committed")
		}
		return nil, err
	}
	s.log.Info("panel drawn", "panel", p.ID, "by", by.Handle, "selected", len(selected))
	return selected, nil
}

// RecordJSON is a panel's published record, indented, for download.
func RecordJSON(rec *DrawRecord) ([]byte, error) {
	return json.MarshalIndent(rec, "", "  ")
}

// ParseRecord reads a published record (a file or a pasted text).
func ParseRecord(data []byte) (*DrawRecord, error) {
	var rec DrawRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, problem(ErrInvalid, "drawcheck.not_a_record")
	}
	if rec.Format == "" {
		return nil, problem(ErrInvalid, "drawcheck.not_a_record")
	}
	return &rec, nil
}
