package instance_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"hearth/instance"
)

func (f *fixture) panel(t *testing.T, by *instance.Member, size string, strata ...instance.StratumInput) *instance.Panel {
	t.Helper()
	p, err := f.svc.CreatePanel(ctx, by, instance.PanelInput{Title: "Playground panel", Description: "Decide the playground",
		Size: size, EndsOn: instance.DateOf("2027-01-31"), Strata: strata})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var parts = instance.StratumInput{Name: "Which part of the village?", Answers: "North end: 2\nSouth end: 2\nElsewhere"}

// Bad panels are refused with the reason, and nothing is stored.
func TestPanelRefusals(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ann := f.member(t, "ann")
	if _, err := f.svc.CreatePanel(ctx, ann, instance.PanelInput{}); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a member creating a panel: %v", err)
	}
	for name, c := range map[string]struct {
		size   string
		strata instance.StratumInput
		field  string
		code   string
	}{
		"quotas over the size":   {"3", parts, "stratum_1", "err.quota_sum_over"},
		"quotas under, no spare": {"6", instance.StratumInput{Name: "Age", Answers: "Young: 2\nOld: 2"}, "stratum_1", "err.quota_sum_under"},
		"a bad line":             {"6", instance.StratumInput{Name: "Age", Answers: "Young: two\nOld"}, "stratum_1", "err.answer_line"},
		"one answer only":        {"6", instance.StratumInput{Name: "Age", Answers: "Everyone"}, "stratum_1", "err.answers_few"},
		"an answer twice":        {"6", instance.StratumInput{Name: "Age", Answers: "Young\nyoung"}, "stratum_1", "err.answer_twice"},
		"answers, no question":   {"6", instance.StratumInput{Answers: "Young\nOld"}, "stratum_1_name", "err.required"},
		"no size":                {"", parts, "size", "err.required"},
	} {
		_, err := f.svc.CreatePanel(ctx, cora, instance.PanelInput{Title: "P", Size: c.size, EndsOn: instance.DateOf("2027-01-31"), Strata: []instance.StratumInput{c.strata}})
		if got := fieldCode(err, c.field); got != c.code {
			t.Errorf("%s: %s is %q (%v), want %s", name, c.field, got, err, c.code)
		}
	}
	if ps, _ := f.svc.Panels(ctx, cora); len(ps) != 0 {
		t.Errorf("refused panels were stored: %d", len(ps))
	}

	// A panel larger than its volunteers cannot be closed for the draw.
	p := f.panel(t, cora, "5", parts)
	for i := range 4 {
		m := f.member(t, fmt.Sprintf("v%d", i))
		if err := f.svc.Volunteer(ctx, m, p.ID, []string{fmt.Sprint(1 + i%2)}); err != nil {
			t.Fatal(err)
		}
	}
	err := f.svc.CommitPanel(ctx, cora, p.ID, instance.CommitInput{Method: instance.SeedSecret})
	if fe := instance.Fields(err)["method"]; fe == nil || fe.Code != "panel.too_few_volunteers" || fe.Args[0] != 5 || fe.Args[1] != 4 {
		t.Fatalf("panel of 5 with 4 volunteers: %v", err)
	}
	if p, _ = f.svc.Panel(ctx, p.ID); p.State != instance.PanelOpen || p.Record != nil {
		t.Errorf("a refused commitment changed the panel: %s", p.State)
	}
	// Answers are required, and once people have answered, the answers
	// stay (only the numbers can change).
	if err := f.svc.Volunteer(ctx, ann, p.ID, nil); fieldCode(err, "answer_1") != "err.answer_needed" {
		t.Errorf("volunteering without an answer: %v", err)
	}
	if err := f.svc.UpdatePanel(ctx, cora, p.ID, instance.PanelInput{Size: "5", Strata: []instance.StratumInput{
		{Name: parts.Name, Answers: "North: 2\nSouth end: 2\nElsewhere"}}}); fieldCode(err, "stratum_1") != "err.answers_fixed" {
		t.Errorf("renaming an answer people chose: %v", err)
	}
	if err := f.svc.UpdatePanel(ctx, cora, p.ID, instance.PanelInput{Size: "4", Strata: []instance.StratumInput{
		{Name: parts.Name, Answers: "North end: 2\nSouth end: 2\nElsewhere"}}}); err != nil {
		t.Fatalf("changing the size: %v", err)
	}
	if err := f.svc.CommitPanel(ctx, cora, p.ID, instance.CommitInput{Method: instance.SeedPublic}); fieldCode(err, "source") != "err.required" {
		t.Errorf("a public seed without saying which: %v", err)
	}
}

// The whole life of a panel with a secret seed: volunteers (members and
// a guest), the published commitment, the draw, the check, the notices,
// and the guest's details erased when the panel ends.
func TestPanelDrawVerifiable(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	p := f.panel(t, cora, "5", parts)
	var members []*instance.Member
	for i := range 8 {
		m := f.member(t, fmt.Sprintf("m%d", i))
		members = append(members, m)
		if err := f.svc.Volunteer(ctx, m, p.ID, []string{fmt.Sprint(1 + i%3)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.Volunteer(ctx, members[0], p.ID, []string{"1"}); problemCode(err) != "panel.already_volunteered" {
		t.Errorf("volunteering twice: %v", err)
	}
	if _, err := f.svc.VolunteerGuest(ctx, p.ID, instance.GuestInput{Name: "Gwen", Contact: "07700 900123", Answers: []string{"2"}}, "net1"); fieldCode(err, "consent") != "err.guest_consent" {
		t.Errorf("a guest without consent: %v", err)
	}
	g, err := f.svc.VolunteerGuest(ctx, p.ID, instance.GuestInput{Name: "Gwen", Contact: "07700 900123", Answers: []string{"2"}, Consent: true}, "net1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.VolunteerGuest(ctx, p.ID, instance.GuestInput{Name: "Gwen again", Contact: "07700 900123", Answers: []string{"2"}, Consent: true}, "net1"); fieldCode(err, "contact") != "err.guest_already" {
		t.Errorf("the same contact twice: %v", err)
	}

	if err := f.svc.CommitPanel(ctx, cora, p.ID, instance.CommitInput{Method: instance.SeedSecret}); err != nil {
		t.Fatal(err)
	}
	p, _ = f.svc.Panel(ctx, p.ID)
	if p.State != instance.PanelCommitted || p.Secret != "" || p.Record.Seed != "" || len(p.Record.Volunteers) != 9 || p.SeedCommitment == "" {
		t.Fatalf("after the commitment: state %s, secret shown %v, seed %q, %d volunteers, commitment %q",
			p.State, p.Secret != "", p.Record.Seed, len(p.Record.Volunteers), p.SeedCommitment)
	}
	if p.Record.VolunteersSHA256 != instance.InputsHash(p.Record.Inputs()) || len(p.Chances) != 3 {
		t.Errorf("published fingerprint %s, chances %+v", p.Record.VolunteersSHA256, p.Chances)
	}
	if err := f.svc.Volunteer(ctx, f.member(t, "late"), p.ID, []string{"1"}); problemCode(err) != "panel.not_open" {
		t.Errorf("volunteering after the list closed: %v", err)
	}

	selected, err := f.svc.DrawPanel(ctx, cora, p.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	p, _ = f.svc.Panel(ctx, p.ID)
	if p.State != instance.PanelDrawn || instance.SeedCommitment(p.Record.Seed) != p.SeedCommitment || !slices.Equal(p.Record.Selected, selected) {
		t.Fatalf("after the draw: %s, seed matches commitment %v", p.State, instance.SeedCommitment(p.Record.Seed) == p.SeedCommitment)
	}
	countsMet(t, p.Record.Inputs(), selected)
	if c := instance.VerifyDraw(p.Record); !c.OK() {
		t.Errorf("the published record does not verify: %v", codes(c.Problems))
	}
	data, _ := instance.RecordJSON(p.Record)
	back, err := instance.ParseRecord(data)
	if err != nil || !instance.VerifyDraw(back).OK() {
		t.Errorf("the downloaded record does not verify: %v", err)
	}
	// Those drawn are told; the others are not.
	vs, _ := f.svc.PanelVolunteers(ctx, cora, p)
	for _, v := range vs {
		if v.MemberID == 0 {
			continue
		}
		notes, _ := f.store.ListNotifications(ctx, v.MemberID, 10)
		told := slices.ContainsFunc(notes, func(n *instance.Notification) bool { return n.Kind == instance.NotePanelDrawn })
		if told != v.Selected || v.Selected != slices.Contains(selected, v.Code) {
			t.Errorf("%s: selected %v, told %v", v.Member, v.Selected, told)
		}
	}
	// A member sees only their own line; coordinators see the guest.
	mine, _ := f.svc.PanelVolunteers(ctx, members[3], p)
	if len(mine) != 1 || mine[0].MemberID != members[3].ID {
		t.Errorf("a member sees %d volunteers", len(mine))
	}

	// The guest's name and contact go when the panel ends; the record
	// still verifies.
	f.at("2027-01-31 23:00")
	f.svc.SweepDecide(ctx)
	if vs, _ = f.svc.PanelVolunteers(ctx, cora, p); vs[len(vs)-1].GuestName != "Gwen" {
		t.Fatalf("guest erased before the panel ended: %+v", vs[len(vs)-1])
	}
	f.at("2027-02-01 00:01")
	if err := f.svc.SweepDecide(ctx); err != nil {
		t.Fatal(err)
	}
	vs, _ = f.svc.PanelVolunteers(ctx, cora, p)
	for _, v := range vs {
		if v.GuestName != "" || v.GuestContact != "" {
			t.Errorf("guest details kept after the panel ended: %+v", v)
		}
		if v.Code == g.Code && len(v.Answers) != 1 {
			t.Errorf("the guest's code and answers must stay for the record: %+v", v)
		}
	}
	if p, _ = f.svc.Panel(ctx, p.ID); !instance.VerifyDraw(p.Record).OK() || !p.GuestsErased {
		t.Error("after erasing guests the record no longer verifies")
	}
}

// A seed from a public value: named before, typed in after; the record
// says which value, and re-runs.
func TestPanelPublicSeed(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	p := f.panel(t, cora, "3")
	for i := range 7 {
		if err := f.svc.Volunteer(ctx, f.member(t, fmt.Sprintf("m%d", i)), p.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	source := "National Lottery Lotto, Saturday 5 December 2026: the six main numbers in the order drawn"
	if err := f.svc.CommitPanel(ctx, cora, p.ID, instance.CommitInput{Method: instance.SeedPublic, Source: source}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.DrawPanel(ctx, cora, p.ID, "   "); fieldCode(err, "seed") != "err.required" {
		t.Errorf("drawing without the value: %v", err)
	}
	selected, err := f.svc.DrawPanel(ctx, cora, p.ID, " 7  19 23 31  40 52 ")
	if err != nil {
		t.Fatal(err)
	}
	p, _ = f.svc.Panel(ctx, p.ID)
	if p.Record.Seed != "7 19 23 31 40 52" || p.Record.SeedSource != source || len(selected) != 3 {
		t.Errorf("record: seed %q source %q, %d drawn", p.Record.Seed, p.Record.SeedSource, len(selected))
	}
	if c := instance.VerifyDraw(p.Record); !c.OK() {
		t.Errorf("does not verify: %v", codes(c.Problems))
	}
	if _, err := f.svc.DrawPanel(ctx, cora, p.ID, "1 2 3"); problemCode(err) != "panel.not_committed" {
		t.Errorf("drawing twice: %v", err)
	}
}

// One network can add only so many guests an hour, so a script cannot
// flood a panel with made-up volunteers.
func TestGuestVolunteersLimitedPerNetwork(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	p := f.panel(t, cora, "3")
	for i := range instance.MaxGuestPerNet {
		if _, err := f.svc.VolunteerGuest(ctx, p.ID, instance.GuestInput{Name: "G", Contact: fmt.Sprint("0770090", i), Consent: true}, "net1"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.svc.VolunteerGuest(ctx, p.ID, instance.GuestInput{Name: "G", Contact: "one more", Consent: true}, "net1")
	if problemCode(err) != "panel.guest_limit" {
		t.Errorf("guest %d from one network: %v", instance.MaxGuestPerNet+1, err)
	}
	if _, err := f.svc.VolunteerGuest(ctx, p.ID, instance.GuestInput{Name: "G", Contact: "elsewhere", Consent: true}, "net2"); err != nil {
		t.Errorf("a guest from another network: %v", err)
	}
}
