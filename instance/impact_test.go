package instance_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"hearth/instance"
)

// setClock puts the fixture's clock at t.
func (f *fixture) setClock(t time.Time) {
	f.clock.mu.Lock()
	f.clock.t = t
	f.clock.mu.Unlock()
}

// shown asserts a figure is given, with the value.
func shown(t *testing.T, what string, fig instance.Figure, want float64) {
	t.Helper()
	if !fig.Shown || fig.Value != want {
		t.Errorf("%s: %+v, want %v shown", what, fig, want)
	}
}

// withheld asserts a figure is not given (fewer than 5 people).
func withheld(t *testing.T, what string, fig instance.Figure) {
	t.Helper()
	if fig.Shown || fig.Value != 0 || fig.Empty {
		t.Errorf("%s: %+v, want it withheld (fewer than 5 people)", what, fig)
	}
}

// The impact figures of seeded months, with the clock injected: each
// figure's value, the small-number rule (a figure resting on fewer than 5
// people is withheld, however large it is), medians, volunteer hours from
// action lengths, a coordinator's category and group filters (refused to
// anyone else), and the months shown up to the current one.
func TestImpactFigures(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	march := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f.setClock(march)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	var asker, helper []*instance.Member
	for i := range 6 {
		asker = append(asker, f.member(t, fmt.Sprintf("asker%d", i)))
		helper = append(helper, f.member(t, fmt.Sprintf("helper%d", i)))
	}
	need := func(by *instance.Member, category string) *instance.Item {
		it, err := f.svc.CreateItem(ctx, by, instance.ItemInput{Kind: instance.KindNeed, Title: "A need", Category: category, Area: "Mill Lane"})
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	help := func(req, h *instance.Member, it *instance.Item, doneAfter time.Duration) {
		f.clock.advance(2 * time.Hour) // the first offer, 2 hours after asking
		if err := f.svc.OfferHelp(ctx, h, it.ID, "", false); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.AcceptHelp(ctx, req, it.ID, interestOf(t, f, req, it, h)); err != nil {
			t.Fatal(err)
		}
		f.clock.advance(doneAfter - 2*time.Hour)
		if err := f.svc.MarkDone(ctx, req, it.ID); err != nil {
			t.Fatal(err)
		}
	}
	// March: five people ask and are helped by five helpers, after 4 to 8
	// hours; a sixth need is asked and not met.
	for i := range 5 {
		help(asker[i], helper[i], need(asker[i], "lifts"), time.Duration(4+i)*time.Hour)
	}
	need(asker[5], "shopping")
	// Five offers given, each to a different neighbour.
	for i := range 5 {
		o, err := f.svc.CreateItem(ctx, helper[i], instance.ItemInput{Kind: instance.KindOffer, Title: "Soup", Category: "food"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.WantOffer(ctx, asker[i], o.ID, ""); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.GiveOffer(ctx, helper[i], o.ID, interestOf(t, f, helper[i], o, asker[i])); err != nil {
			t.Fatal(err)
		}
	}
	// An action in March, two hours long, with four going (withheld), and
	// one in May, three hours, with five.
	action := func(day string, start, end string, goers []*instance.Member) {
		it, err := f.svc.CreateItem(ctx, cora, instance.ItemInput{Kind: instance.KindAction, Title: "Litter-pick", Place: "The green",
			StartDate: instance.DateOf(day), StartTime: instance.TimeOf(start), EndDate: instance.DateOf(day),
			EndTime: instance.TimeOf(end)})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goers {
			if _, err := f.svc.JoinAction(ctx, m, it.ID, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	action("2026-03-20", "10:00", "12:00", helper[:4])
	action("2026-05-09", "09:00", "12:00", asker[:5])
	// April: one person asks three times and one helper meets all three:
	// figures about two people, withheld.
	f.setClock(time.Date(2026, 4, 6, 9, 0, 0, 0, time.UTC))
	for range 3 {
		help(asker[0], helper[0], need(asker[0], "lifts"), 5*time.Hour)
	}
	// May: five people ask and one helper meets all five needs: the needs
	// asked are shown, the needs met are about one helper and withheld.
	f.setClock(time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC))
	for i := range 5 {
		help(asker[i], helper[5], need(asker[i], "shopping"), 5*time.Hour)
	}
	f.setClock(time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC))

	imp, err := f.svc.Impact(ctx, nil, 0, instance.ImpactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if imp.Year != 2026 || len(imp.Months) != 6 || imp.Months[2].Start.Month() != time.March {
		t.Fatalf("year %d with %d months", imp.Year, len(imp.Months))
	}
	mar, apr, may := imp.Months[2].Figures, imp.Months[3].Figures, imp.Months[4].Figures
	shown(t, "March needs asked", mar[instance.FigNeedsAsked], 6)
	shown(t, "March needs met", mar[instance.FigNeedsMet], 5)
	shown(t, "March median hours to a first offer", mar[instance.FigToFirstOffer], 2)
	shown(t, "March median hours to being helped", mar[instance.FigToHelped], 6)
	shown(t, "March offers given", mar[instance.FigOffersGiven], 5)
	withheld(t, "March attendances (4 people)", mar[instance.FigAttendances])
	withheld(t, "March volunteer hours (4 people)", mar[instance.FigVolunteerHours])
	shown(t, "March new members", mar[instance.FigNewMembers], 13)
	withheld(t, "April needs asked (1 person)", apr[instance.FigNeedsAsked])
	withheld(t, "April needs met (1 person each side)", apr[instance.FigNeedsMet])
	withheld(t, "April median to a first offer", apr[instance.FigToFirstOffer])
	shown(t, "April offers given (none)", apr[instance.FigOffersGiven], 0)
	if !apr[instance.FigToHelped].Empty == apr[instance.FigToHelped].Shown {
		t.Errorf("April median to being helped: %+v", apr[instance.FigToHelped])
	}
	shown(t, "May needs asked", may[instance.FigNeedsAsked], 5)
	withheld(t, "May needs met (one helper)", may[instance.FigNeedsMet])
	withheld(t, "May median to being helped (one helper)", may[instance.FigToHelped])
	shown(t, "May attendances", may[instance.FigAttendances], 5)
	shown(t, "May volunteer hours", may[instance.FigVolunteerHours], 15)
	if fig := imp.Months[0].Figures[instance.FigToHelped]; !fig.Empty || fig.Shown {
		t.Errorf("January median of nothing: %+v", fig)
	}
	year := imp.Total.Figures
	shown(t, "year needs asked", year[instance.FigNeedsAsked], 14)
	shown(t, "year needs met", year[instance.FigNeedsMet], 13)
	shown(t, "year attendances", year[instance.FigAttendances], 9)
	shown(t, "year volunteer hours", year[instance.FigVolunteerHours], 4*2+5*3)
	shown(t, "year median hours to being helped", year[instance.FigToHelped], 5) // 4, eight 5s, 6, 7, 8

	// An action still to come is not yet attendance.
	f.setClock(time.Date(2026, 5, 9, 10, 0, 0, 0, time.UTC))
	imp, _ = f.svc.Impact(ctx, nil, 2026, instance.ImpactFilter{})
	if len(imp.Months) != 5 || imp.Months[4].Figures[instance.FigAttendances].Value != 0 {
		t.Errorf("an action under way counts: %+v", imp.Months[4].Figures[instance.FigAttendances])
	}
	f.setClock(time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC))

	// A coordinator narrows them to a category: March's lifts are the five
	// met needs; new members belong to no category.
	imp, err = f.svc.Impact(ctx, cora, 2026, instance.ImpactFilter{Category: "lifts"})
	if err != nil {
		t.Fatal(err)
	}
	shown(t, "March lifts asked", imp.Months[2].Figures[instance.FigNeedsAsked], 5)
	if !imp.Months[2].Figures[instance.FigNewMembers].Empty {
		t.Error("new members counted per category")
	}
	imp, _ = f.svc.Impact(ctx, cora, 2026, instance.ImpactFilter{Category: "shopping"})
	withheld(t, "March shopping asked (1 person)", imp.Months[2].Figures[instance.FigNeedsAsked])
	if _, err := f.svc.Impact(ctx, asker[0], 2026, instance.ImpactFilter{Category: "lifts"}); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a member's filtered figures: %v, want forbidden", err)
	}
	if _, err := f.svc.Impact(ctx, nil, 2026, instance.ImpactFilter{GroupID: 1}); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a visitor's group figures: %v, want forbidden", err)
	}
	if _, err := f.svc.Impact(ctx, nil, 2027, instance.ImpactFilter{}); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("next year's figures: %v, want not found", err)
	}
	// A past year has twelve months.
	if imp, _ := f.svc.Impact(ctx, nil, 2025, instance.ImpactFilter{}); imp == nil || len(imp.Months) != 12 {
		t.Errorf("2025: %+v", imp)
	}
}
