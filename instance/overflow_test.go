package instance_test

import (
	"errors"
	"testing"
	"time"

	"hearth/instance"
)

// neighbour makes the village group follow a remote group that follows it
// back (mutual), or only one way.
func (f *noteFixture) neighbour(t *testing.T, host, name string, followsBack bool) string {
	t.Helper()
	actor := "https://" + host + "/groups/village"
	fo, err := f.svc.FollowGroup(ctx, f.m["cora"], "village", "village@"+host)
	if err != nil {
		t.Fatal(err)
	}
	fo.ActorID, fo.Name, fo.State = actor, name, instance.FollowingAccepted
	if err := f.store.UpdateFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	if followsBack {
		g, err := f.svc.Group(ctx, "village")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.AddFollower(ctx, &instance.Follower{GroupID: g.ID, ActorID: actor, Host: host, Inbox: actor + "/inbox",
			FollowID: actor + "/follows/1", CreatedAt: f.clock.now()}); err != nil {
			t.Fatal(err)
		}
	}
	return actor
}

func (f *noteFixture) trust(t *testing.T, actor string, level instance.TrustLevel) {
	t.Helper()
	if err := f.svc.TrustNeighbour(ctx, f.m["cora"], "village", actor, level); err != nil {
		t.Fatal(err)
	}
}

// offeredTo lists the neighbours a need was offered to (and not withdrawn).
func (f *noteFixture) offeredTo(t *testing.T, it *instance.Item) []string {
	t.Helper()
	list, err := f.store.ItemOverflows(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range list {
		if o.State != instance.OverflowWithdrawn {
			out = append(out, o.Name)
		}
	}
	return out
}

// overflowEvents counts the queued federation events that check a need's
// offers to neighbours.
func (f *noteFixture) overflowEvents(t *testing.T, it *instance.Item) int {
	t.Helper()
	events, err := f.store.NextFedEvents(ctx, f.clock.now().Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Subject == instance.SubjectOverflow && e.SubjectID == it.ID {
			n++
		}
	}
	return n
}

func shared(title, category string, consent bool) instance.ItemInput {
	in := needInput(title)
	in.Category, in.ShareNearby = category, consent
	return in
}

// A need leaves the village only with its requester's yes, only after
// [overflow] after_hours (or its category's own delay) without an offer
// of help, only to trusted neighbours that follow back, and a sensitive
// one only to a neighbour trusted with sensitive needs. The sweep offers
// each once, with the requester told, in one transaction.
func TestOverflowTimingConsentAndSensitive(t *testing.T) {
	f := newNoteFixture(t, func(o *instance.Options) {
		o.OverflowAfter = 48 * time.Hour
		o.UnansweredAfter = 30 * 24 * time.Hour // not part of this test
		o.Categories = []instance.Category{{Name: "lifts"}, {Name: "shopping", OverflowAfter: 12 * time.Hour},
			{Name: "personal care", Sensitive: true}}
	})
	nether := f.neighbour(t, "nether.example", "Nether Wittering", true)
	upper := f.neighbour(t, "upper.example", "Upper Wittering", true)
	oneWay := f.neighbour(t, "oneway.example", "One Way", false)
	var p *instance.Problem
	if err := f.svc.TrustNeighbour(ctx, f.m["cora"], "village", oneWay, instance.TrustNeeds); !errors.As(err, &p) || p.Code != "overflow.not_mutual" {
		t.Fatalf("trusting a group that does not follow back: %v, want overflow.not_mutual", err)
	}
	if err := f.svc.TrustNeighbour(ctx, f.m["rita"], "village", nether, instance.TrustNeeds); !errors.Is(err, instance.ErrForbidden) {
		t.Fatalf("a member trusting a neighbour: %v, want forbidden", err)
	}
	f.trust(t, nether, instance.TrustNeeds)
	f.trust(t, upper, instance.TrustSensitive)

	lift := f.post(t, "rita", shared("A lift to the surgery", "lifts", true))
	noConsent := f.post(t, "rita", shared("A lift to the dentist", "lifts", false))
	shopping := f.post(t, "rita", shared("Shopping on Friday", "shopping", true))
	care := f.post(t, "rita", shared("Help getting dressed", "personal care", true))
	answered := f.post(t, "rita", shared("A lift to the station", "lifts", true))
	if err := f.svc.OfferHelp(ctx, f.m["hal"], answered.ID, "", false); err != nil {
		t.Fatal(err)
	}
	sweep := func() error { return f.svc.Sweep(ctx) }

	f.clock.advance(12*time.Hour - time.Minute)
	f.check(t, step{"before the shopping category's 12 hours", sweep, nil})
	f.clock.advance(time.Minute)
	f.check(t, step{"the shopping category's 12 hours", sweep, []string{"rita:need_overflowed"}})
	if got := f.offeredTo(t, shopping); len(got) != 2 {
		t.Errorf("shopping offered to %v, want both trusted neighbours", got)
	}
	if got := f.offeredTo(t, lift); len(got) != 0 {
		t.Errorf("a lift offered after 12 hours: %v", got)
	}
	f.clock.advance(36*time.Hour - time.Minute) // 47:59
	f.check(t, step{"a minute before after_hours", sweep, nil})
	f.clock.advance(time.Minute)
	f.check(t, step{"after_hours", sweep, []string{"rita:need_overflowed", "rita:need_overflowed"}})
	f.check(t, step{"swept again", sweep, nil})
	f.restart(t)
	f.check(t, step{"after a restart", sweep, nil})

	if got := f.offeredTo(t, lift); len(got) != 2 || got[0] != "Nether Wittering" || got[1] != "Upper Wittering" {
		t.Errorf("the lift offered to %v, want Nether and Upper Wittering", got)
	}
	if got := f.offeredTo(t, care); len(got) != 1 || got[0] != "Upper Wittering" {
		t.Errorf("a sensitive need offered to %v, want only the neighbour trusted with sensitive needs", got)
	}
	if got := f.offeredTo(t, noConsent); len(got) != 0 {
		t.Errorf("a need without the requester's yes was offered to %v", got)
	}
	if got := f.offeredTo(t, answered); len(got) != 0 {
		t.Errorf("a need with an offer of help was offered to %v", got)
	}
	if n := f.overflowEvents(t, lift); n != 1 {
		t.Errorf("%d federation events for the lift's offers, want 1", n)
	}
	// Saying yes later starts the wait again from the sweep's view: the
	// need is offered at the next sweep (it is already old enough).
	if err := f.svc.SetOverflowConsent(ctx, f.m["hal"], noConsent.ID, true); !errors.Is(err, instance.ErrForbidden) {
		t.Fatalf("someone else answering for the requester: %v, want forbidden", err)
	}
	if err := f.svc.SetOverflowConsent(ctx, f.m["rita"], noConsent.ID, true); err != nil {
		t.Fatal(err)
	}
	f.check(t, step{"the requester said yes later", sweep, []string{"rita:need_overflowed"}})
}

// Claiming, closing, expiring, deleting, or the requester's no: each
// queues the check that withdraws the offers (federation sends the
// Delete; see federation's overflow tests), in the change's transaction.
func TestOverflowWithdrawnWhenNoLongerOpen(t *testing.T) {
	f := newNoteFixture(t)
	f.trust(t, f.neighbour(t, "nether.example", "Nether Wittering", true), instance.TrustNeeds)
	needs := map[string]*instance.Item{}
	for _, name := range []string{"claimed", "closed", "deleted", "no", "expired", "untouched"} {
		needs[name] = f.post(t, "rita", shared("A lift: "+name, "lifts", true))
	}
	f.clock.advance(48 * time.Hour)
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	// drain does what the federation worker does with the events (without
	// the documents): it sends the queued offers of a need that overflows
	// and withdraws those of one that does not.
	drain := func() {
		events, err := f.store.NextFedEvents(ctx, f.clock.now().Add(time.Hour), 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			p := &instance.Publication{EventID: e.ID}
			if e.Subject == instance.SubjectOverflow {
				it, err := f.store.ItemByID(ctx, e.SubjectID)
				if err != nil {
					t.Fatal(err)
				}
				list, err := f.store.ItemOverflows(ctx, it.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range list {
					to := instance.OverflowSent
					if !it.Overflows() {
						to = instance.OverflowWithdrawn
					}
					p.Overflows = append(p.Overflows, instance.OverflowChange{ID: o.ID, From: o.State, To: to})
				}
			}
			if err := f.store.Publish(ctx, p, f.clock.now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	drain()
	if err := f.svc.OfferHelp(ctx, f.m["hal"], needs["claimed"].ID, "", false); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AcceptHelp(ctx, f.m["rita"], needs["claimed"].ID, f.interest(t, needs["claimed"], "hal")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CloseNeed(ctx, f.m["rita"], needs["closed"].ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteItem(ctx, f.m["rita"], needs["deleted"].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetOverflowConsent(ctx, f.m["rita"], needs["no"].ID, false); err != nil {
		t.Fatal(err)
	}
	queued := func(when string, want map[string]int) {
		t.Helper()
		for name, it := range needs {
			if got := f.overflowEvents(t, it); got != want[name] {
				t.Errorf("%s: %s: %d checks of its offers queued, want %d", when, name, got, want[name])
			}
		}
	}
	queued("after the changes", map[string]int{"claimed": 1, "closed": 1, "deleted": 1, "no": 1})
	drain()
	f.clock.advance(14 * 24 * time.Hour) // past the need expiry: the sweep closes the rest
	if err := f.svc.RenewNeed(ctx, f.m["rita"], needs["untouched"].ID); err != nil {
		t.Fatal(err)
	}
	drain() // renewing is a change too: its check finds the need still open
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	queued("after the expiry", map[string]int{"expired": 1})
}

// A reply from a neighbour's server is taken on a village-only need only
// while the need is offered to a neighbour there; the requester can then
// choose that helper, which claims the need and withdraws the offers.
func TestRemoteHelperAcceptedOnlyWhereOffered(t *testing.T) {
	f := newNoteFixture(t)
	f.trust(t, f.neighbour(t, "nether.example", "Nether Wittering", true), instance.TrustNeeds)
	need := f.post(t, "rita", shared("A lift to the surgery", "lifts", true))
	helper := &instance.RemoteActor{ID: "https://nether.example/members/jo", Host: "nether.example", Username: "jo", Name: "Jo"}
	stranger := &instance.RemoteActor{ID: "https://far.example/users/max", Host: "far.example", Username: "max", Name: "Max"}
	reply := func(id string, by *instance.RemoteActor) error {
		return f.svc.ReceiveReply(ctx, need.ID, &instance.RemoteNote{ID: id, Author: by, HTML: "<p>I can drive you on Tuesday</p>"})
	}
	refusedFor(t, reply("https://nether.example/replies/1", helper), instance.RefusedNoReplies)
	f.clock.advance(48 * time.Hour)
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	refusedFor(t, reply("https://nether.example/replies/1", helper), instance.RefusedNoReplies) // queued, not sent yet
	list, err := f.store.ItemOverflows(ctx, need.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("offers: %v %v", list, err)
	}
	if err := f.store.Publish(ctx, &instance.Publication{Overflows: []instance.OverflowChange{{ID: list[0].ID, From: instance.OverflowQueued,
		To: instance.OverflowSent}}}, f.clock.now()); err != nil {
		t.Fatal(err)
	}
	refusedFor(t, reply("https://far.example/replies/1", stranger), instance.RefusedNoReplies)
	if err := reply("https://nether.example/replies/1", helper); err != nil {
		t.Fatal(err)
	}
	r, err := f.store.RemoteResponseByAPID(ctx, "https://nether.example/replies/1")
	if err != nil {
		t.Fatal(err)
	}
	it := f.reload(t, f.m["rita"], need)
	if !f.svc.MayAcceptRemote(ctx, f.m["rita"], it, r) || f.svc.MayAcceptRemote(ctx, f.m["hal"], it, r) {
		t.Error("only the requester may choose the neighbour's helper")
	}
	// A public need takes replies from anywhere, but only a helper from a
	// village it was offered to can be chosen as one.
	pub := needInput("A lift to the market")
	pub.Visibility = "public"
	public := f.post(t, "rita", pub)
	if err := f.svc.ReceiveReply(ctx, public.ID, &instance.RemoteNote{ID: "https://far.example/replies/2", Author: stranger,
		HTML: "<p>I can take you</p>"}); err != nil {
		t.Fatal(err)
	}
	far, err := f.store.RemoteResponseByAPID(ctx, "https://far.example/replies/2")
	if err != nil {
		t.Fatal(err)
	}
	var p *instance.Problem
	if err := f.svc.AcceptRemoteHelper(ctx, f.m["rita"], public.ID, far.ID); !errors.As(err, &p) || p.Code != "overflow.not_offered" {
		t.Fatalf("choosing a helper from a village the need was not offered to: %v, want overflow.not_offered", err)
	}
	if err := f.svc.AcceptRemoteHelper(ctx, f.m["hal"], need.ID, r.ID); !errors.Is(err, instance.ErrForbidden) {
		t.Fatalf("someone else choosing: %v, want forbidden", err)
	}
	if err := f.svc.AcceptRemoteHelper(ctx, f.m["rita"], need.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	it = f.reload(t, f.m["rita"], need)
	if it.State != instance.StateClaimed || it.ClaimedRemote != helper.ID || it.ClaimedBy != 0 || it.ClaimedRemoteName != "Jo (@jo@nether.example)" {
		t.Errorf("after choosing the neighbour's helper: %s %q %q %d", it.State, it.ClaimedRemote, it.ClaimedRemoteName, it.ClaimedBy)
	}
	if f.svc.CanSeePrivate(f.m["hal"], it) {
		t.Error("a member who is not the helper sees the private details")
	}
	// The claim does not lapse (the helper has no account to renew it);
	// the requester marks it done.
	f.clock.advance(30 * 24 * time.Hour)
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.MarkDone(ctx, f.m["rita"], need.ID); err != nil {
		t.Fatal(err)
	}
	if it = f.reload(t, f.m["rita"], need); it.State != instance.StateDone || it.ClaimedRemote != helper.ID {
		t.Errorf("done: %s %q", it.State, it.ClaimedRemote)
	}
}
