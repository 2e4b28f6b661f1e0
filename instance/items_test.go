package instance_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/instance"
)

var ctx = context.Background()

func (f *fixture) need(t *testing.T, by *instance.Member, category string) *instance.Item {
	t.Helper()
	it, err := f.svc.CreateItem(ctx, by, instance.ItemInput{Kind: instance.KindNeed, Title: "Lift to the surgery",
		Description: "Tuesday morning", Category: category, Area: "Mill Lane", Address: "4 Mill Lane", Contact: "01234 567890",
		Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func (f *fixture) reload(t *testing.T, viewer *instance.Member, it *instance.Item) *instance.Item {
	t.Helper()
	got, err := f.svc.Item(ctx, viewer, it.Kind, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func interestOf(t *testing.T, f *fixture, owner *instance.Member, it *instance.Item, helper *instance.Member) int64 {
	t.Helper()
	list, err := f.svc.Interests(ctx, owner, it)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		if in.MemberID == helper.ID {
			return in.ID
		}
	}
	t.Fatalf("no interest from %s", helper.Handle)
	return 0
}

// claimed returns a need claimed by helper.
func (f *fixture) claimed(t *testing.T, req, helper *instance.Member) *instance.Item {
	t.Helper()
	it := f.need(t, req, "lifts")
	if err := f.svc.OfferHelp(ctx, helper, it.ID, "I can drive", false); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AcceptHelp(ctx, req, it.ID, interestOf(t, f, req, it, helper)); err != nil {
		t.Fatal(err)
	}
	return f.reload(t, req, it)
}

// The need state machine: each transition from each state, legal or not.
func TestNeedStateMachine(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	req := f.member(t, "rita")
	helper := f.member(t, "hal", instance.RoleHelper)
	type op func(it *instance.Item) error
	ops := map[string]op{
		"help":        func(it *instance.Item) error { return f.svc.OfferHelp(ctx, helper, it.ID, "", false) },
		"unclaim":     func(it *instance.Item) error { return f.svc.Unclaim(ctx, req, it.ID) },
		"done":        func(it *instance.Item) error { return f.svc.MarkDone(ctx, req, it.ID) },
		"close":       func(it *instance.Item) error { return f.svc.CloseNeed(ctx, req, it.ID, "sorted") },
		"renew":       func(it *instance.Item) error { return f.svc.RenewNeed(ctx, req, it.ID) },
		"renew claim": func(it *instance.Item) error { return f.svc.RenewClaim(ctx, helper, it.ID) },
	}
	states := map[instance.ItemState]func() *instance.Item{
		instance.StateOpen:    func() *instance.Item { return f.need(t, req, "lifts") },
		instance.StateClaimed: func() *instance.Item { return f.claimed(t, req, helper) },
		instance.StateDone: func() *instance.Item {
			it := f.claimed(t, req, helper)
			if err := f.svc.MarkDone(ctx, req, it.ID); err != nil {
				t.Fatal(err)
			}
			return it
		},
		instance.StateClosed: func() *instance.Item {
			it := f.need(t, req, "lifts")
			if err := f.svc.CloseNeed(ctx, req, it.ID, ""); err != nil {
				t.Fatal(err)
			}
			return it
		},
	}
	// want[state][op] = resulting state, or "" for refused.
	want := map[instance.ItemState]map[string]instance.ItemState{
		instance.StateOpen:    {"help": "open", "unclaim": "", "done": "", "close": "closed", "renew": "open", "renew claim": ""},
		instance.StateClaimed: {"help": "", "unclaim": "open", "done": "done", "close": "closed", "renew": "claimed", "renew claim": "claimed"},
		instance.StateDone:    {"help": "", "unclaim": "", "done": "", "close": "", "renew": "", "renew claim": ""},
		instance.StateClosed:  {"help": "", "unclaim": "", "done": "", "close": "", "renew": "", "renew claim": ""},
	}
	for from, make := range states {
		for name, fn := range ops {
			t.Run(fmt.Sprintf("%s from %s", name, from), func(t *testing.T) {
				it := make()
				before := f.reload(t, req, it)
				err := fn(it)
				after := f.reload(t, req, it)
				exp := want[from][name]
				if exp == "" {
					if err == nil {
						t.Fatalf("allowed; state now %s", after.State)
					}
					var p *instance.Problem
					if !errors.As(err, &p) && !errors.Is(err, instance.ErrForbidden) {
						t.Errorf("refusal without a clear message: %v", err)
					}
					if after.State != before.State || !after.UpdatedAt.Equal(before.UpdatedAt) || after.ClaimedBy != before.ClaimedBy {
						t.Errorf("refused transition changed the need: %+v", after)
					}
					return
				}
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if after.State != exp {
					t.Errorf("state %s, want %s", after.State, exp)
				}
			})
		}
	}
}

func TestOfferStateMachine(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	owner := f.member(t, "olly")
	ann := f.member(t, "ann")
	bob := f.member(t, "bob")
	offer, err := f.svc.CreateItem(ctx, owner, instance.ItemInput{Kind: instance.KindOffer, Title: "Ladder to lend", Category: "lending"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.WantOffer(ctx, owner, offer.ID, ""); err == nil {
		t.Error("owner asked for their own offer")
	}
	for _, m := range []*instance.Member{ann, bob} {
		if err := f.svc.WantOffer(ctx, m, offer.ID, "please"); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.GiveOffer(ctx, ann, offer.ID, interestOf(t, f, owner, offer, bob)); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("non-owner chose: %v", err)
	}
	if err := f.svc.GiveOffer(ctx, owner, offer.ID, interestOf(t, f, owner, offer, bob)); err != nil {
		t.Fatal(err)
	}
	got := f.reload(t, owner, offer)
	if got.State != instance.StateTaken || got.TakenBy != bob.ID {
		t.Fatalf("after give: %s %d", got.State, got.TakenBy)
	}
	if err := f.svc.GiveOffer(ctx, owner, offer.ID, interestOf(t, f, owner, offer, ann)); err == nil {
		t.Error("offer given twice")
	}
	if err := f.svc.WantOffer(ctx, ann, offer.ID, ""); err == nil {
		t.Error("asked for a taken offer")
	}
	if err := f.svc.CloseOffer(ctx, owner, offer.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CloseOffer(ctx, owner, offer.ID); err == nil {
		t.Error("closed twice")
	}
	if got := f.reload(t, owner, offer); got.State != instance.StateClosed {
		t.Errorf("state %s", got.State)
	}
}

// Who sees the address, who may claim a sensitive need, who may close,
// edit and remove.
func TestPermissionMatrix(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	req := f.member(t, "rita")
	helper := f.member(t, "hal", instance.RoleHelper)
	verified := f.member(t, "vera", instance.RoleVerifiedHelper)
	other := f.member(t, "olly")
	coord := f.member(t, "cora", instance.RoleCoordinator)
	it := f.claimed(t, req, helper)

	seesAddress := map[string]bool{"rita": true, "hal": true, "cora": true, "vera": false, "olly": false}
	for _, m := range []*instance.Member{req, helper, verified, other, coord} {
		got := f.reload(t, m, it)
		if (got.Address == "4 Mill Lane") != seesAddress[m.Handle] || (got.Contact != "") != seesAddress[m.Handle] {
			t.Errorf("%s sees address %q contact %q", m.Handle, got.Address, got.Contact)
		}
		if ok := f.svc.CanSeePrivate(m, got); ok != seesAddress[m.Handle] {
			t.Errorf("CanSeePrivate(%s) = %v", m.Handle, ok)
		}
	}
	if got, _ := f.svc.Item(ctx, nil, instance.KindNeed, it.ID); got == nil || got.Address != "" {
		t.Errorf("visitor sees address")
	}
	// The helper's access ends when the claim lapses.
	f.clock.advance(8 * 24 * time.Hour)
	if got := f.reload(t, helper, it); got.Address != "" {
		t.Error("helper still sees the address after the claim lapsed")
	}

	// Sensitive categories: only verified helpers.
	sens := f.need(t, req, "personal care")
	if err := f.svc.OfferHelp(ctx, helper, sens.ID, "", false); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("unverified helper offered help on a sensitive need: %v", err)
	} else {
		var p *instance.Problem
		if !errors.As(err, &p) || p.Code != "need.verified_only" {
			t.Errorf("no reason given: %v", err)
		}
	}
	if err := f.svc.OfferHelp(ctx, verified, sens.ID, "", false); err != nil {
		t.Errorf("verified helper refused: %v", err)
	}
	if err := f.svc.OfferHelp(ctx, req, sens.ID, "", false); err == nil {
		t.Error("requester offered help on their own need")
	}

	// Close / edit / delete: requester and coordinator only.
	for _, m := range []*instance.Member{helper, verified, other} {
		n := f.need(t, req, "shopping")
		if err := f.svc.CloseNeed(ctx, m, n.ID, ""); !errors.Is(err, instance.ErrForbidden) {
			t.Errorf("%s closed: %v", m.Handle, err)
		}
		if err := f.svc.UpdateItem(ctx, m, n.ID, instance.ItemInput{Title: "x", Category: "shopping", Area: "x"}); !errors.Is(err, instance.ErrForbidden) {
			t.Errorf("%s edited: %v", m.Handle, err)
		}
		if err := f.svc.DeleteItem(ctx, m, n.ID); !errors.Is(err, instance.ErrForbidden) {
			t.Errorf("%s deleted: %v", m.Handle, err)
		}
	}
	for _, m := range []*instance.Member{req, coord} {
		n := f.need(t, req, "shopping")
		if err := f.svc.UpdateItem(ctx, m, n.ID, instance.ItemInput{Title: "Bread and milk", Category: "shopping", Area: "The green"}); err != nil {
			t.Errorf("%s edit: %v", m.Handle, err)
		}
		if err := f.svc.CloseNeed(ctx, m, n.ID, ""); err != nil {
			t.Errorf("%s close: %v", m.Handle, err)
		}
		if err := f.svc.DeleteItem(ctx, m, n.ID); err != nil {
			t.Errorf("%s delete: %v", m.Handle, err)
		}
	}
	// Responses: the author edits and deletes; coordinators remove.
	r, err := f.svc.AddResponse(ctx, other, it.ID, "Is Tuesday 10am OK?")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.EditResponse(ctx, req, r.ID, "hijack"); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("someone else edited a response: %v", err)
	}
	if _, err := f.svc.RemoveResponse(ctx, req, r.ID); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("non-coordinator removed a response: %v", err)
	}
	if _, err := f.svc.EditResponse(ctx, other, r.ID, "Is Tuesday 11am OK?"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RemoveResponse(ctx, coord, r.ID); err != nil {
		t.Fatal(err)
	}
	list, _ := f.svc.Responses(ctx, it)
	if len(list) != 1 || !list[0].Removed || list[0].Body != "" {
		t.Errorf("after removal: %+v", list[0])
	}
	if _, err := f.svc.EditResponse(ctx, other, r.ID, "back"); !errors.Is(err, instance.ErrGone) {
		t.Errorf("edited a removed response: %v", err)
	}
}

// Two acceptances racing for one need: exactly one wins.
func TestSimultaneousClaims(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	req := f.member(t, "rita")
	coord := f.member(t, "cora", instance.RoleCoordinator)
	it := f.need(t, req, "lifts")
	var helpers []*instance.Member
	for i := 0; i < 6; i++ {
		h := f.member(t, fmt.Sprintf("helper%d", i))
		if err := f.svc.OfferHelp(ctx, h, it.ID, "", false); err != nil {
			t.Fatal(err)
		}
		helpers = append(helpers, h)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(helpers))
	for i, h := range helpers {
		by := req
		if i%2 == 1 {
			by = coord
		}
		in := interestOf(t, f, req, it, h)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = f.svc.AcceptHelp(ctx, by, it.ID, in)
		}(i)
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		var p *instance.Problem
		switch {
		case err == nil:
			won++
		case errors.As(err, &p) && p.Code == "need.taken":
		default:
			t.Errorf("loser got %v, want need.taken", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d acceptances won, want 1", won)
	}
	got := f.reload(t, req, it)
	if got.State != instance.StateClaimed || got.ClaimedBy == 0 {
		t.Errorf("state %s claimed by %d", got.State, got.ClaimedBy)
	}
}

func (f *fixture) action(t *testing.T, by *instance.Member, capacity string, slots ...instance.SlotInput) *instance.Item {
	t.Helper()
	day := f.clock.now().Add(72 * time.Hour).Format("2006-01-02")
	it, err := f.svc.CreateItem(ctx, by, instance.ItemInput{Kind: instance.KindAction, Title: "Litter-pick", Place: "The green",
		StartDate: instance.DateOf(day), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf(day), EndTime: instance.TimeOf("12:00"), Capacity: capacity, Slots: slots})
	if err != nil {
		t.Fatal(err)
	}
	return f.reload(t, by, it)
}

func TestActionWaitlist(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	org := f.member(t, "orla")
	act := f.action(t, org, "3", instance.SlotInput{Name: "drivers", Capacity: "1"}, instance.SlotInput{Name: "packers", Capacity: "4"})
	drivers, packers := act.Slots[0].ID, act.Slots[1].ID
	m := map[string]*instance.Member{}
	for _, h := range []string{"a", "b", "c", "d", "e"} {
		m[h] = f.member(t, "m_"+h)
	}
	join := func(h string, slot int64, want instance.AttendStatus) {
		t.Helper()
		st, err := f.svc.JoinAction(ctx, m[h], act.ID, slot)
		if err != nil || st != want {
			t.Fatalf("%s joins: %s %v, want %s", h, st, err, want)
		}
	}
	join("a", drivers, instance.AttendGoing)
	join("b", drivers, instance.AttendWaiting) // the slot is full
	join("c", packers, instance.AttendGoing)
	join("d", 0, instance.AttendGoing)         // 3 going: the action is full
	join("e", packers, instance.AttendWaiting) // overall capacity reached
	if _, err := f.svc.JoinAction(ctx, m["a"], act.ID, 0); err == nil {
		t.Error("joined twice")
	}
	if _, err := f.svc.JoinAction(ctx, m["a"], act.ID, 999); err == nil {
		t.Error("joined a slot of another action")
	}
	// d leaves: a general place frees. b waits for the drivers slot (still
	// full), so e, the next who fits, is promoted.
	if err := f.svc.LeaveAction(ctx, m["d"], act.ID); err != nil {
		t.Fatal(err)
	}
	status := func() map[string]instance.AttendStatus {
		list, _ := f.svc.Attendees(ctx, org, act)
		out := map[string]instance.AttendStatus{}
		for _, a := range list {
			out[a.Handle[2:]] = a.Status
		}
		return out
	}
	if s := status(); s["e"] != instance.AttendGoing || s["b"] != instance.AttendWaiting {
		t.Fatalf("after d left: %v", s)
	}
	// a leaves the drivers slot: b is promoted into it and told.
	if err := f.svc.LeaveAction(ctx, m["a"], act.ID); err != nil {
		t.Fatal(err)
	}
	if s := status(); s["b"] != instance.AttendGoing {
		t.Fatalf("after a left: %v", s)
	}
	if notes, _ := f.svc.Notifications(ctx, m["b"]); len(notes) == 0 || notes[0].Kind != instance.NotePromoted {
		t.Errorf("b was not told: %+v", notes)
	}
	if err := f.svc.LeaveAction(ctx, m["a"], act.ID); err == nil {
		t.Error("left twice")
	}
	// Other members see only their own place; organisers see everyone.
	if list, _ := f.svc.Attendees(ctx, m["c"], act); len(list) != 1 {
		t.Errorf("member sees %d attendees", len(list))
	}
	// Cancel with a reason; no more joining.
	if err := f.svc.CancelAction(ctx, m["c"], act.ID, "rain"); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("attendee cancelled: %v", err)
	}
	if err := f.svc.CancelAction(ctx, org, act.ID, ""); instance.Fields(err)["reason"] == nil {
		t.Errorf("cancel without reason: %v", err)
	}
	if err := f.svc.CancelAction(ctx, org, act.ID, "Heavy rain forecast"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.JoinAction(ctx, m["d"], act.ID, 0); err == nil {
		t.Error("joined a cancelled action")
	}
	if got := f.reload(t, org, act); got.State != instance.StateCancelled || got.StateReason != "Heavy rain forecast" {
		t.Errorf("after cancel: %s %q", got.State, got.StateReason)
	}
}

// Many members racing for the last place: exactly one gets it.
func TestLastPlaceRace(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	org := f.member(t, "orla")
	act := f.action(t, org, "", instance.SlotInput{Name: "drivers", Capacity: "1"})
	var wg sync.WaitGroup
	results := make([]instance.AttendStatus, 8)
	for i := range results {
		m := f.member(t, fmt.Sprintf("racer%d", i))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st, err := f.svc.JoinAction(ctx, m, act.ID, act.Slots[0].ID)
			if err != nil {
				t.Error(err)
			}
			results[i] = st
		}(i)
	}
	wg.Wait()
	going := 0
	for _, st := range results {
		if st == instance.AttendGoing {
			going++
		}
	}
	if going != 1 {
		t.Errorf("%d got the last place, want 1", going)
	}
}

func TestOnBehalfPosting(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	coord := f.member(t, "cora", instance.RoleCoordinator)
	friend := f.member(t, "fran")
	plain := f.member(t, "pat")
	in := instance.ItemInput{Kind: instance.KindNeed, Title: "Prescription from the chemist", Category: "prescriptions",
		Area: "Church Road", OnBehalf: true, OnBehalfName: "Mrs Edith Jones", OnBehalfPhone: "01234 111222", Address: "2 Church Road"}
	if _, err := f.svc.CreateItem(ctx, plain, in); instance.Fields(err)["on_behalf"] == nil {
		t.Fatalf("plain member posted on behalf: %v", err)
	}
	if err := f.svc.SetHelperFriend(ctx, plain, friend.ID, true); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("plain member made a helper-friend: %v", err)
	}
	if err := f.svc.SetHelperFriend(ctx, coord, friend.ID, true); err != nil {
		t.Fatal(err)
	}
	friend, _ = f.svc.MemberByID(ctx, friend.ID)
	for _, by := range []*instance.Member{coord, friend} {
		it, err := f.svc.CreateItem(ctx, by, in)
		if err != nil {
			t.Fatalf("%s: %v", by.Handle, err)
		}
		own := f.reload(t, by, it)
		if own.OnBehalfName != "Mrs Edith Jones" || own.OnBehalfPhone != "01234 111222" || !own.OnBehalf() {
			t.Errorf("%s does not see the neighbour's details: %+v", by.Handle, own)
		}
		other := f.reload(t, plain, it)
		if !other.OnBehalf() || other.OnBehalfName == "Mrs Edith Jones" || other.OnBehalfPhone != "" {
			t.Errorf("neighbour's details leak to others: %q %q", other.OnBehalfName, other.OnBehalfPhone)
		}
		// The poster manages it like a requester.
		if err := f.svc.CloseNeed(ctx, by, it.ID, ""); err != nil {
			t.Errorf("%s cannot manage: %v", by.Handle, err)
		}
	}
	in.OnBehalfName = ""
	if _, err := f.svc.CreateItem(ctx, coord, in); instance.Fields(err)["on_behalf_name"] == nil {
		t.Errorf("on-behalf without a name: %v", err)
	}
}

func TestExpiryClaimLapseAndReminder(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	req := f.member(t, "rita")
	helper := f.member(t, "hal")
	open := f.need(t, req, "shopping")
	claimed := f.claimed(t, req, helper)

	// Day 11 of 14: the claim (7 days) has lapsed, so both needs are open,
	// and the requester is asked about each whether it is still needed.
	f.clock.advance(11*24*time.Hour + time.Minute)
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	a, _ := f.svc.MyActivity(ctx, req)
	if len(a.Expiring) != 2 {
		t.Errorf("expiring = %d needs, want 2", len(a.Expiring))
	}
	codes := map[instance.NoteKind]int{}
	notes, _ := f.svc.Notifications(ctx, req)
	for _, n := range notes {
		codes[n.Kind]++
	}
	if codes[instance.NoteStillNeeded] != 2 || codes[instance.NoteClaimLapsed] != 1 {
		t.Errorf("notifications %v", codes)
	}
	if h, _ := f.svc.Notifications(ctx, helper); len(h) == 0 || h[0].Kind != instance.NoteClaimLapsedHelper {
		t.Errorf("helper not told of the lapse: %+v", h)
	}
	if got := f.reload(t, req, claimed); got.State != instance.StateOpen || got.ClaimedBy != 0 {
		t.Errorf("lapsed claim: %s by %d", got.State, got.ClaimedBy)
	}
	// A second sweep does not remind twice.
	f.svc.Sweep(ctx)
	notes, _ = f.svc.Notifications(ctx, req)
	n := 0
	for _, x := range notes {
		if x.Kind == instance.NoteStillNeeded {
			n++
		}
	}
	if n != 2 { // still one per open need
		t.Errorf("%d reminders, want 2", n)
	}
	// Renew the first with one button; let the other expire.
	if err := f.svc.RenewNeed(ctx, req, open.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(4 * 24 * time.Hour)
	f.svc.Sweep(ctx)
	if got := f.reload(t, req, open); got.State != instance.StateOpen {
		t.Errorf("renewed need: %s", got.State)
	}
	got := f.reload(t, req, claimed)
	if got.State != instance.StateClosed || got.StateReason != instance.ReasonExpired {
		t.Fatalf("unrenewed need: %s %q", got.State, got.StateReason)
	}
	// An expired need can be renewed back to open.
	if err := f.svc.RenewNeed(ctx, req, claimed.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.reload(t, req, claimed); got.State != instance.StateOpen {
		t.Errorf("after renewing an expired need: %s", got.State)
	}
}

func TestItemValidationAndVisibility(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	m := f.member(t, "ann")
	cases := []struct {
		name  string
		in    instance.ItemInput
		field string
	}{
		{"no title", instance.ItemInput{Kind: instance.KindNeed, Category: "food", Area: "x"}, "title"},
		{"long title", instance.ItemInput{Kind: instance.KindNeed, Title: string(make([]byte, 121)), Category: "food", Area: "x"}, "title"},
		{"unknown category", instance.ItemInput{Kind: instance.KindNeed, Title: "t", Category: "weapons", Area: "x"}, "category"},
		{"no area", instance.ItemInput{Kind: instance.KindNeed, Title: "t", Category: "food"}, "area"},
		{"bad date", instance.ItemInput{Kind: instance.KindNeed, Title: "t", Category: "food", Area: "x", NeededBy: instance.DateInput{Day: "31", Month: "12", Year: "26"}}, "needed_by"},
		{"past date", instance.ItemInput{Kind: instance.KindNeed, Title: "t", Category: "food", Area: "x", NeededBy: instance.DateOf("2020-01-01")}, "needed_by"},
		{"bad visibility", instance.ItemInput{Kind: instance.KindNeed, Title: "t", Category: "food", Area: "x", Visibility: "secret"}, "visibility"},
		{"end before start", instance.ItemInput{Kind: instance.KindAction, Title: "t", Place: "p", StartDate: instance.DateOf("2026-12-01"), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf("2026-12-01"), EndTime: instance.TimeOf("09:00")}, "end_time"},
		{"bad time", instance.ItemInput{Kind: instance.KindAction, Title: "t", Place: "p", StartDate: instance.DateOf("2026-12-01"), StartTime: instance.TimeOf("25:00"), EndDate: instance.DateOf("2026-12-01"), EndTime: instance.TimeOf("11:00")}, "start_time"},
		{"slot without capacity", instance.ItemInput{Kind: instance.KindAction, Title: "t", Place: "p", StartDate: instance.DateOf("2026-12-01"), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf("2026-12-01"), EndTime: instance.TimeOf("11:00"), Slots: []instance.SlotInput{{Name: "drivers"}}}, "slot_capacity_1"},
		{"negative capacity", instance.ItemInput{Kind: instance.KindAction, Title: "t", Place: "p", StartDate: instance.DateOf("2026-12-01"), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf("2026-12-01"), EndTime: instance.TimeOf("11:00"), Capacity: "-1"}, "capacity"},
		{"group not joined", instance.ItemInput{Kind: instance.KindOffer, Title: "t", Category: "food", Group: "nope"}, "group"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.CreateItem(ctx, m, c.in)
			if instance.Fields(err)[c.field] == nil {
				t.Errorf("err = %v, want a problem on %s", err, c.field)
			}
		})
	}
	if items, _ := f.svc.Items(ctx, m, instance.ItemFilter{}); len(items) != 0 {
		t.Errorf("bad input stored %d items", len(items))
	}
	// Visibility: visitors see public items only; members see all three.
	for _, v := range []string{"public", "followers", "village"} {
		if _, err := f.svc.CreateItem(ctx, m, instance.ItemInput{Kind: instance.KindOffer, Title: "Offer " + v, Category: "food", Visibility: v}); err != nil {
			t.Fatal(err)
		}
	}
	if items, _ := f.svc.Items(ctx, nil, instance.ItemFilter{}); len(items) != 1 || items[0].Visibility != instance.VisibilityPublic {
		t.Errorf("visitor sees %d items", len(items))
	}
	if items, _ := f.svc.Items(ctx, m, instance.ItemFilter{}); len(items) != 3 {
		t.Errorf("member sees %d items", len(items))
	}
	village, _ := f.svc.Items(ctx, m, instance.ItemFilter{Query: "village"})
	if len(village) != 1 {
		t.Fatalf("search: %d", len(village))
	}
	if _, err := f.svc.Item(ctx, nil, instance.KindOffer, village[0].ID); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("visitor fetched a village-only item: %v", err)
	}
	// Deleting leaves a tombstone: ErrGone, not ErrNotFound.
	if err := f.svc.DeleteItem(ctx, m, village[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Item(ctx, m, instance.KindOffer, village[0].ID); !errors.Is(err, instance.ErrGone) {
		t.Errorf("deleted item: %v", err)
	}
	if items, _ := f.svc.Items(ctx, m, instance.ItemFilter{Query: "village"}); len(items) != 0 {
		t.Errorf("deleted item still found by search")
	}
}

func TestEditKeepsUpdatedTime(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	m := f.member(t, "ann")
	it := f.need(t, m, "food")
	f.clock.advance(time.Hour)
	if err := f.svc.UpdateItem(ctx, m, it.ID, instance.ItemInput{Title: "Soup", Category: "food", Area: "The green", Address: "4 Mill Lane"}); err != nil {
		t.Fatal(err)
	}
	got := f.reload(t, m, it)
	if got.Title != "Soup" || !got.UpdatedAt.After(got.CreatedAt) || got.State != instance.StateOpen {
		t.Errorf("after edit: %q updated %v created %v", got.Title, got.UpdatedAt, got.CreatedAt)
	}
}

// An organiser changes an action's roles after people have signed up:
// renaming, more places (the waiting list moves up and is told), a new
// role, removing an empty one; never fewer places than are taken, never
// removing a role somebody chose.
func TestEditActionRoles(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	org := f.member(t, "orla")
	act := f.action(t, org, "", instance.SlotInput{Name: "Drivers", Capacity: "1"}, instance.SlotInput{Name: "Packers", Capacity: "2"})
	drivers, packers := act.Slots[0].ID, act.Slots[1].ID
	ann, bob, cat := f.member(t, "ann"), f.member(t, "bob"), f.member(t, "cat")
	for _, j := range []struct {
		m    *instance.Member
		slot int64
		want instance.AttendStatus
	}{{ann, drivers, instance.AttendGoing}, {bob, drivers, instance.AttendWaiting}, {cat, packers, instance.AttendGoing}} {
		if st, err := f.svc.JoinAction(ctx, j.m, act.ID, j.slot); err != nil || st != j.want {
			t.Fatalf("%s joins: %s %v", j.m.Handle, st, err)
		}
	}
	day := act.StartsAt.In(time.UTC).Format("2006-01-02")
	edit := func(capacity string, slots ...instance.SlotInput) error {
		return f.svc.UpdateItem(ctx, org, act.ID, instance.ItemInput{Title: "Litter-pick", Place: "The green",
			StartDate: instance.DateOf(day), StartTime: instance.TimeOf(act.StartsAt.In(time.UTC).Format("15:04")), EndDate: instance.DateOf(day),
			EndTime: instance.TimeOf(act.EndsAt.In(time.UTC).Format("15:04")), Capacity: capacity, Slots: slots})
	}
	roles := func() string {
		var out []string
		for _, sl := range f.reload(t, org, act).Slots {
			out = append(out, fmt.Sprintf("%s %d/%d+%d", sl.Name, sl.Going, sl.Capacity, sl.Waiting))
		}
		return strings.Join(out, ", ")
	}
	if got := roles(); got != "Drivers 1/1+1, Packers 1/2+0" {
		t.Fatalf("before: %s", got)
	}

	// Refused, with the reason beside the field, and nothing changed.
	six := []instance.SlotInput{{ID: drivers, Name: "Drivers", Capacity: "1"}, {ID: packers, Name: "Packers", Capacity: "2"}}
	for _, n := range []string{"Tea", "Bags", "Gloves", "Maps", "Music"} {
		six = append(six, instance.SlotInput{Name: n, Capacity: "1"})
	}
	for _, c := range []struct {
		name, capacity, field, code string
		slots                       []instance.SlotInput
	}{
		{"removing a role with people", "", "slot_name_2", "err.slot_in_use", []instance.SlotInput{{ID: drivers, Name: "Drivers", Capacity: "1"}, {ID: packers}}},
		{"action smaller than its attendance", "1", "capacity", "err.capacity_below_going", nil},
		{"a role of another action", "", "slot_name_1", "err.slot_gone", []instance.SlotInput{{ID: 9999, Name: "Ghosts", Capacity: "1"}}},
		{"a role without places", "", "slot_capacity_3", "err.required", []instance.SlotInput{{ID: drivers, Name: "Drivers", Capacity: "1"}, {ID: packers, Name: "Packers", Capacity: "2"}, {Name: "Tea"}}},
		{"a seventh role", "", "slot_name_7", "err.too_many_slots", six},
	} {
		err := edit(c.capacity, c.slots...)
		if fe := instance.Fields(err)[c.field]; fe == nil || fe.Code != c.code {
			t.Errorf("%s: %v, want %s on %s", c.name, err, c.code, c.field)
		}
	}
	if got := roles(); got != "Drivers 1/1+1, Packers 1/2+0" {
		t.Fatalf("refused edits changed the roles: %s", got)
	}

	// More drivers: Bob moves up from the waiting list and is told.
	// Packers renamed; a new role added after them.
	if err := edit("", instance.SlotInput{ID: drivers, Name: "Drivers", Capacity: "2"},
		instance.SlotInput{ID: packers, Name: "Packing", Capacity: "2"}, instance.SlotInput{Name: "Tea makers", Capacity: "3"}); err != nil {
		t.Fatal(err)
	}
	if got := roles(); got != "Drivers 2/2+0, Packing 1/2+0, Tea makers 0/3+0" {
		t.Fatalf("after the edit: %s", got)
	}
	if notes, _ := f.svc.Notifications(ctx, bob); len(notes) == 0 || notes[0].Kind != instance.NotePromoted {
		t.Errorf("Bob was not told he has a place: %+v", notes)
	}
	// Two drivers now have places: the role cannot go back to one.
	err := edit("", instance.SlotInput{ID: drivers, Name: "Drivers", Capacity: "1"})
	if fe := instance.Fields(err)["slot_capacity_1"]; fe == nil || fe.Code != "err.slot_below_going" {
		t.Errorf("fewer places than taken: %v, want err.slot_below_going", err)
	}
	// Roles the form leaves out are kept; an empty role can be removed.
	tea := f.reload(t, org, act).Slots[2].ID
	if err := edit("", instance.SlotInput{ID: tea}); err != nil {
		t.Fatal(err)
	}
	if got := roles(); got != "Drivers 2/2+0, Packing 1/2+0" {
		t.Fatalf("after removing the empty role: %s", got)
	}
	// A role someone joins after the organiser opened the form: the store
	// refuses to make it smaller than its places, and keeps everything.
	it := f.reload(t, org, act)
	it.Title = "Changed"
	it.Slots[1].Capacity = 0
	if _, err := f.store.UpdateItem(ctx, it, instance.Notices{}, nil); !errors.Is(err, instance.ErrConflict) {
		t.Fatalf("store update below the places taken: %v, want ErrConflict", err)
	}
	if got := f.reload(t, org, act); got.Title != "Litter-pick" {
		t.Errorf("a refused update saved the title %q", got.Title)
	}
}

// Members joining a role while the organiser makes it smaller: whatever
// the interleaving, no role ends up with more people going than places,
// and a refused edit says why on the form.
func TestShrinkingARoleWhileMembersJoin(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	org := f.member(t, "orla")
	act := f.action(t, org, "", instance.SlotInput{Name: "Drivers", Capacity: "6"})
	drivers := act.Slots[0].ID
	var members []*instance.Member
	for i := 0; i < 8; i++ {
		members = append(members, f.member(t, fmt.Sprintf("m%d", i)))
	}
	day := act.StartsAt.In(time.UTC).Format("2006-01-02")
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.svc.JoinAction(ctx, m, act.ID, drivers); err != nil {
				t.Errorf("join: %v", err)
			}
		}()
	}
	codes := map[string]int{}
	var mu sync.Mutex
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 6; j++ { // the organiser changes their mind: 3 places, 6, 3…
				err := f.svc.UpdateItem(ctx, org, act.ID, instance.ItemInput{Title: "Litter-pick", Place: "The green",
					StartDate: instance.DateOf(day), StartTime: instance.TimeOf(act.StartsAt.In(time.UTC).Format("15:04")), EndDate: instance.DateOf(day),
					EndTime: instance.TimeOf(act.EndsAt.In(time.UTC).Format("15:04")), Slots: []instance.SlotInput{{ID: drivers, Name: "Drivers", Capacity: []string{"3", "6"}[(i+j)%2]}}})
				mu.Lock()
				if err == nil {
					codes["saved"]++
				} else if fe := firstField(err, "slot_name_1", "slot_capacity_1"); fe != nil &&
					(fe.Code == "action.changed_meanwhile" || fe.Code == "err.slot_below_going") {
					codes[fe.Code]++
				} else {
					t.Errorf("a refused edit: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sl := f.reload(t, org, act).Slots[0]
	if sl.Going > sl.Capacity {
		t.Fatalf("Drivers: %d going for %d places (edits: %v)", sl.Going, sl.Capacity, codes)
	}
	t.Logf("edits: %v; Drivers %d going of %d, %d waiting", codes, sl.Going, sl.Capacity, sl.Waiting)
	if sl.Going+sl.Waiting != len(members) {
		t.Errorf("Drivers: %d going and %d waiting, want all %d somewhere", sl.Going, sl.Waiting, len(members))
	}
}

// firstField returns the error on the first of fields that has one.
func firstField(err error, fields ...string) *instance.FieldError {
	for _, name := range fields {
		if fe := instance.Fields(err)[name]; fe != nil {
			return fe
		}
	}
	return nil
}
