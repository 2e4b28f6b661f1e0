package instance_test

import (
	"errors"
	"testing"

	"hearth/instance"
)

// Suspending from the Members page, from `hearth admin suspend` (the
// operator) and from the moderation queue does the same: sessions end,
// the member's posts are withdrawn (hidden here, a federation event queued
// for each, so other servers are told to delete them) and the moderation
// log says who did it. Before, only the queue withdrew the posts: the
// other two left a suspended member's offers public.
func TestSuspensionIsTheSameEverywhere(t *testing.T) {
	entries := map[string]struct {
		suspend func(f *fixture, coord *instance.Member, id int64) error
		actor   string
		reason  string
	}{
		"members page": {func(f *fixture, coord *instance.Member, id int64) error {
			return f.svc.Suspend(ctx, coord, id, "Selling watches")
		}, "Cora", "Selling watches"},
		"command line": {func(f *fixture, _ *instance.Member, id int64) error {
			return f.svc.Suspend(ctx, instance.Operator(), id, "")
		}, "command line", ""},
		"moderation queue": {func(f *fixture, coord *instance.Member, id int64) error {
			return f.svc.Moderate(ctx, coord, instance.ModerationAction{Action: "suspend", ID: id, Reason: "Spam"})
		}, "Cora", "Spam"},
	}
	for name, e := range entries {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, instance.RegistrationOpen)
			coord := f.member(t, "cora", instance.RoleCoordinator)
			dan := f.member(t, "dan")
			need := f.need(t, dan, "food")
			offer, err := f.svc.CreateItem(ctx, dan, instance.ItemInput{Kind: instance.KindOffer, Title: "Cheap watches",
				Category: "lending", Visibility: "public"})
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := f.svc.Login(ctx, "dan", goodPassword, "1.1.1.1")
			if err != nil {
				t.Fatal(err)
			}
			events := countRows(t, f, "fed_events")

			if err := e.suspend(f, coord, dan.ID); err != nil {
				t.Fatal(err)
			}
			for _, it := range []*instance.Item{need, offer} {
				if _, err := f.svc.Item(ctx, nil, it.Kind, it.ID); !errors.Is(err, instance.ErrNotFound) {
					t.Errorf("%s %d still public: %v", it.Kind, it.ID, err)
				}
			}
			if items, _ := f.svc.Items(ctx, coord, instance.ItemFilter{}); len(items) != 0 {
				t.Errorf("%d of the suspended member's items still listed", len(items))
			}
			if got := countRows(t, f, "fed_events"); got != events+2 {
				t.Errorf("%d federation events queued, want 2 (one per item)", got-events)
			}
			log, _ := f.svc.ModerationLog(ctx, coord)
			if len(log) == 0 || log[0].Action != "suspend member" || log[0].Subject != "@dan" || log[0].Actor != e.actor || log[0].Reason != e.reason {
				t.Errorf("log: %+v", log)
			}
			if _, err := f.svc.Authenticate(ctx, tok); !errors.Is(err, instance.ErrNotFound) {
				t.Errorf("the suspended member's session lives on: %v", err)
			}
			var p *instance.Problem
			if _, _, err := f.svc.Login(ctx, "dan", goodPassword, "1.1.1.1"); !errors.As(err, &p) || p.Code != "login.suspended" {
				t.Errorf("suspended member signing in: %v", err)
			}
			// A second suspension changes nothing and says so.
			if err := e.suspend(f, coord, dan.ID); !errors.As(err, &p) || p.Code != "members.state_changed" {
				t.Errorf("suspended twice: %v", err)
			}
		})
	}
}

func countRows(t *testing.T, f *fixture, table string) int {
	t.Helper()
	var n int
	if err := f.store.DB().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
