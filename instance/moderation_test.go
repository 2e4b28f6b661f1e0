package instance_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/store"
)

func TestReportsQueueAndLog(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	coord := f.member(t, "cora", instance.RoleCoordinator)
	ann := f.member(t, "ann")
	bob := f.member(t, "bob")
	it := f.need(t, bob, "food")
	if _, err := f.svc.FileReport(ctx, ann, instance.ReportInput{Subject: "item", ID: it.ID, Category: "nonsense"}); instance.Fields(err)["category"] == nil {
		t.Errorf("bad category accepted: %v", err)
	}
	r, err := f.svc.FileReport(ctx, ann, instance.ReportInput{Subject: "item", ID: it.ID, Category: "spam", Details: "Selling things"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Queue(ctx, ann); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a member saw the queue: %v", err)
	}
	q, err := f.svc.Queue(ctx, coord)
	if err != nil || len(q.Reports) != 1 || q.Reports[0].SubjectTitle != it.Title || q.Reports[0].Reporter != ann.DisplayName {
		t.Fatalf("queue: %+v %v", q, err)
	}
	// Hiding needs a reason; with one, the item is hidden, its author is
	// told why, the report resolved and the log written.
	if err := f.svc.Moderate(ctx, coord, instance.ModerationAction{Action: "hide", ReportID: r.ID, ID: it.ID}); instance.Fields(err)["reason"] == nil {
		t.Errorf("hide without a reason: %v", err)
	}
	if err := f.svc.Moderate(ctx, coord, instance.ModerationAction{Action: "hide", ReportID: r.ID, ID: it.ID, Reason: "Advertising"}); err != nil {
		t.Fatal(err)
	}
	if items, _ := f.svc.Items(ctx, ann, instance.ItemFilter{}); len(items) != 0 {
		t.Error("a hidden item is still listed")
	}
	if _, err := f.svc.Item(ctx, ann, instance.KindNeed, it.ID); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("others can open a hidden item: %v", err)
	}
	own, err := f.svc.Item(ctx, bob, instance.KindNeed, it.ID)
	if err != nil || own.HiddenReason != "Advertising" {
		t.Errorf("the author cannot see why: %v %v", own, err)
	}
	if notes, _ := f.svc.Notifications(ctx, bob); len(notes) == 0 || notes[0].Kind != instance.NoteItemHidden || notes[0].Detail != "Advertising" {
		t.Errorf("author not told: %+v", notes)
	}
	if q, _ := f.svc.Queue(ctx, coord); len(q.Reports) != 0 {
		t.Error("the report is still open")
	}
	log, err := f.svc.ModerationLog(ctx, coord)
	if err != nil || len(log) == 0 || log[0].Action != "hide item" || log[0].Actor != coord.DisplayName || log[0].Reason != "Advertising" {
		t.Errorf("log: %+v %v", log, err)
	}
	if _, err := f.svc.ModerationLog(ctx, ann); !errors.Is(err, instance.ErrForbidden) {
		t.Error("a member read the moderation log")
	}
	// Warn and suspend: the suspended member's items are withdrawn too.
	bobItem := f.need(t, f.member(t, "dan"), "food")
	_ = bobItem
	dan, _ := f.svc.Member(ctx, "dan")
	if err := f.svc.Moderate(ctx, coord, instance.ModerationAction{Action: "warn", ID: dan.ID, Reason: "Be kinder"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Moderate(ctx, coord, instance.ModerationAction{Action: "suspend", ID: dan.ID, Reason: "Repeated abuse"}); err != nil {
		t.Fatal(err)
	}
	if items, _ := f.svc.Items(ctx, ann, instance.ItemFilter{}); len(items) != 0 {
		t.Error("a suspended member's item is still listed")
	}
	if _, _, err := f.svc.Login(ctx, "dan", goodPassword, "1.1.1.1"); err == nil {
		t.Error("a suspended member logged in")
	}
	// Removing a member deletes their account and logs it.
	eve := f.member(t, "eve")
	f.need(t, eve, "food")
	if err := f.svc.Moderate(ctx, coord, instance.ModerationAction{Action: "remove", ID: eve.ID, Reason: "Spam account"}); err != nil {
		t.Fatal(err)
	}
	if gone, _ := f.svc.MemberByID(ctx, eve.ID); gone.DisplayName != "Deleted member" {
		t.Errorf("removed member kept: %+v", gone)
	}
	if log, _ := f.svc.ModerationLog(ctx, coord); log[0].Action != "remove member" || log[0].Reason != "Spam account" {
		t.Errorf("removal not logged: %+v", log[0])
	}
	// A remote account can be reported directly.
	if r, err := f.svc.FileReport(ctx, ann, instance.ReportInput{Subject: "remote_actor", RemoteActor: "https://spam.example/users/x",
		Category: "spam", Forward: true}); err != nil || !r.Forward || r.RemoteActor != "https://spam.example/users/x" {
		t.Errorf("remote actor report: %+v %v", r, err)
	}
	// Blocking a domain needs a real domain name.
	if err := f.svc.Moderate(ctx, coord, instance.ModerationAction{Action: "block_domain", Target: "not a domain"}); instance.Fields(err)["target"] == nil {
		t.Errorf("bad domain: %v", err)
	}
	if err := f.svc.Moderate(ctx, coord, instance.ModerationAction{Action: "block_domain", Target: "*.Spam.Example", Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	if q, _ := f.svc.Queue(ctx, coord); len(q.BlockedDomains) != 1 || q.BlockedDomains[0] != "spam.example" {
		t.Errorf("blocked: %v", q.BlockedDomains)
	}
}

func TestRateLimitsUnderBurst(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	svc, _ := instance.New(instance.Options{Store: st, Clock: c.now, PostsPerHour: 10, NewPostsPerHour: 3, RepliesPerHour: 10, NewRepliesPerHour: 2})
	svc.EnsureMainGroup(ctx, "village", "V")
	m, _ := svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "newbie", DisplayName: "New", Password: goodPassword})
	m, _ = svc.MemberByID(ctx, m.ID)
	post := func(title string) error {
		_, err := svc.CreateItem(ctx, m, instance.ItemInput{Kind: instance.KindOffer, Title: title, Category: "food"})
		return err
	}
	// A bad post does not use up the allowance.
	if err := post(""); instance.Fields(err)["title"] == nil {
		t.Fatal(err)
	}
	for i, title := range []string{"one", "two", "three"} {
		if err := post(title); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	err = post("four")
	var p *instance.Problem
	if !errors.Is(err, instance.ErrThrottled) || !errors.As(err, &p) || p.Code != "limit.post" {
		t.Fatalf("fourth post from a new account: %v", err)
	}
	items, _ := svc.Items(ctx, m, instance.ItemFilter{})
	if len(items) != 3 {
		t.Errorf("earlier posts: %d, want all 3 kept", len(items))
	}
	// An hour later (and once the account is older) the higher limit holds.
	c.advance(4 * 24 * time.Hour)
	for i := 0; i < 10; i++ {
		if err := post("later"); err != nil {
			t.Fatalf("older account, post %d: %v", i, err)
		}
	}
	if err := post("too many"); !errors.Is(err, instance.ErrThrottled) {
		t.Errorf("11th post in an hour: %v", err)
	}
	// Replies have their own limit.
	if _, err := svc.AddResponse(ctx, m, items[0].ID, "hello"); err != nil {
		t.Fatal(err)
	}
}

func TestHoldWords(t *testing.T) {
	ctx := context.Background()
	st, _ := store.Open(ctx, filepath.Join(t.TempDir(), "hearth.db"))
	defer st.Close()
	svc, _ := instance.New(instance.Options{Store: st, HoldWords: []string{"bitcoin", "casino"}})
	svc.EnsureMainGroup(ctx, "village", "V")
	coord, _ := svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "cora", DisplayName: "Cora", Password: goodPassword, Roles: []instance.Role{instance.RoleCoordinator}})
	coord, _ = svc.MemberByID(ctx, coord.ID)
	m, _ := svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "ann", DisplayName: "Ann", Password: goodPassword})
	m, _ = svc.MemberByID(ctx, m.ID)
	held, err := svc.CreateItem(ctx, m, instance.ItemInput{Kind: instance.KindOffer, Title: "Free BITCOIN advice", Category: "food"})
	if err != nil || !held.Held {
		t.Fatalf("not held: %v %v", held, err)
	}
	fine, _ := svc.CreateItem(ctx, m, instance.ItemInput{Kind: instance.KindOffer, Title: "Casinos of the world book", Category: "lending"})
	if fine.Held {
		t.Error("a word inside another word held a post")
	}
	if items, _ := svc.Items(ctx, coord, instance.ItemFilter{}); len(items) != 1 {
		t.Errorf("listed: %d, want only the unheld one", len(items))
	}
	q, _ := svc.Queue(ctx, coord)
	if len(q.HeldItems) != 1 || q.HeldItems[0].ID != held.ID {
		t.Fatalf("held queue: %+v", q.HeldItems)
	}
	if err := svc.Moderate(ctx, coord, instance.ModerationAction{Action: "release", ID: held.ID}); err != nil {
		t.Fatal(err)
	}
	if items, _ := svc.Items(ctx, coord, instance.ItemFilter{}); len(items) != 2 {
		t.Errorf("after release: %d", len(items))
	}
}

func TestVerificationsAndSensitiveNeeds(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	coord := f.member(t, "cora", instance.RoleCoordinator)
	req := f.member(t, "rita")
	helper := f.member(t, "hal", instance.RoleHelper)
	sens := f.need(t, req, "personal care")
	if err := f.svc.OfferHelp(ctx, helper, sens.ID, "", false); !errors.Is(err, instance.ErrForbidden) {
		t.Fatalf("unverified: %v", err)
	}
	if err := f.svc.RecordVerification(ctx, helper, helper.ID, "dbs", instance.DateOf("2026-11-01"), instance.DateOf("2027-11-01")); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a helper verified themselves: %v", err)
	}
	if err := f.svc.RecordVerification(ctx, coord, helper.ID, "dbs", instance.DateOf("2026-11-01"), instance.DateOf("2026-01-01")); instance.Fields(err)["expires_on"] == nil {
		t.Errorf("expired verification accepted: %v", err)
	}
	if err := f.svc.RecordVerification(ctx, coord, helper.ID, "dbs", instance.DateOf("2026-11-01"), instance.DateOf("2027-11-01")); err != nil {
		t.Fatal(err)
	}
	helper, _ = f.svc.MemberByID(ctx, helper.ID)
	if !helper.Has(instance.RoleVerifiedHelper) {
		t.Fatal("verification did not grant the role")
	}
	if err := f.svc.OfferHelp(ctx, helper, sens.ID, "", false); err != nil {
		t.Fatalf("verified helper refused: %v", err)
	}
	vs, _ := f.svc.Verifications(ctx, coord, helper.ID)
	if len(vs) != 1 || vs[0].CheckType != "dbs" || vs[0].VerifiedByName != coord.DisplayName {
		t.Fatalf("verifications: %+v", vs)
	}
	if err := f.svc.RevokeVerification(ctx, coord, vs[0].ID, ""); instance.Fields(err)["reason"] == nil {
		t.Errorf("revoke without reason: %v", err)
	}
	if err := f.svc.RevokeVerification(ctx, coord, vs[0].ID, "Left the scheme"); err != nil {
		t.Fatal(err)
	}
	helper, _ = f.svc.MemberByID(ctx, helper.ID)
	if helper.Has(instance.RoleVerifiedHelper) {
		t.Error("revocation kept the role")
	}
	// Expiry: a check that runs out removes the role at the next sweep.
	f.svc.RecordVerification(ctx, coord, helper.ID, "id_seen", instance.DateOf("2026-11-20"), instance.DateOf("2026-12-01"))
	f.clock.advance(10 * 24 * time.Hour)
	f.svc.Sweep(ctx)
	helper, _ = f.svc.MemberByID(ctx, helper.ID)
	if helper.Has(instance.RoleVerifiedHelper) {
		t.Error("an expired verification kept the role")
	}
	log, _ := f.svc.ModerationLog(ctx, coord)
	if len(log) < 3 {
		t.Errorf("verification actions not logged: %+v", log)
	}
}

func TestConcernsAreForSafeguardingLeadsOnly(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	admin := f.member(t, "ada", instance.RoleAdmin)
	coord := f.member(t, "cora", instance.RoleCoordinator)
	lead := f.member(t, "sam", instance.RoleSafeguardingLead)
	ann := f.member(t, "ann")
	if err := f.svc.RaiseConcern(ctx, ann, "", "x"); instance.Fields(err)["about"] == nil {
		t.Errorf("empty concern: %v", err)
	}
	if err := f.svc.RaiseConcern(ctx, ann, "Mr Green at number 7", "Not seen him for a week; curtains closed."); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*instance.Member{admin, coord, ann} {
		if _, err := f.svc.Concerns(ctx, m); !errors.Is(err, instance.ErrForbidden) {
			t.Errorf("%s saw concerns: %v", m.Handle, err)
		}
	}
	list, err := f.svc.Concerns(ctx, lead)
	if err != nil || len(list) != 1 || list[0].About != "Mr Green at number 7" {
		t.Fatalf("lead: %+v %v", list, err)
	}
	if err := f.svc.HandleConcern(ctx, coord, list[0].ID, "nosing", false); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("coordinator handled a concern: %v", err)
	}
	if err := f.svc.HandleConcern(ctx, lead, list[0].ID, "Phoned his daughter; he is in hospital.", true); err != nil {
		t.Fatal(err)
	}
	c, _ := f.svc.Concern(ctx, lead, list[0].ID)
	if c.Status != "closed" || len(c.Log) != 1 || c.Log[0].Actor != lead.DisplayName {
		t.Errorf("concern after handling: %+v", c)
	}
	// Nothing of it is in the moderation log coordinators read.
	log, _ := f.svc.ModerationLog(ctx, coord)
	for _, l := range log {
		if strings.Contains(l.Subject+l.Reason, "Green") {
			t.Error("the concern leaked into the moderation log")
		}
	}
}

func TestBreakAndPurgeAndExportAndDelete(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	rita := f.member(t, "rita")
	hal := f.member(t, "hal")
	other := f.member(t, "olly")
	need := f.need(t, rita, "shopping")
	f.need(t, other, "food") // someone else's, with "4 Mill Lane SECRET"? see below
	// A break stops offers of help.
	if err := f.svc.SetOnBreak(ctx, hal, true); err != nil {
		t.Fatal(err)
	}
	hal, _ = f.svc.MemberByID(ctx, hal.ID)
	if err := f.svc.OfferHelp(ctx, hal, need.ID, "", false); err == nil {
		t.Error("a member on a break offered help")
	}
	f.svc.SetOnBreak(ctx, hal, false)
	// Purge: 30 days after closing, the address goes.
	if err := f.svc.CloseNeed(ctx, rita, need.ID, "sorted"); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(29 * 24 * time.Hour)
	f.svc.Sweep(ctx)
	if got := f.reload(t, rita, need); got.Address == "" {
		t.Fatal("purged too early")
	}
	f.clock.advance(2 * 24 * time.Hour)
	f.svc.Sweep(ctx)
	if got := f.reload(t, rita, need); got.Address != "" || got.Contact != "" {
		t.Errorf("not purged after 31 days: %q %q", got.Address, got.Contact)
	}
	// Export: everything about rita, nothing about olly.
	f.svc.AddResponse(ctx, rita, need.ID, "Thanks all")
	data, err := f.svc.Export(ctx, rita)
	if err != nil {
		t.Fatal(err)
	}
	if data.Member.Handle != "rita" || data.Member.PasswordHash != "" {
		t.Errorf("export member %q, hash %q: want rita and no hash", data.Member.Handle, data.Member.PasswordHash)
	}
	raw, _ := json.Marshal(data)
	for _, want := range []string{"Lift to the surgery", "Thanks all", "village"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("export lacks %q", want)
		}
	}
	for _, notWant := range []string{"olly", `"Handle":"hal"`, "argon2"} {
		if strings.Contains(string(raw), notWant) {
			t.Errorf("export contains %q", notWant)
		}
	}
	// Delete: wrong password refused; then posts gone and no login.
	if err := f.svc.DeleteAccount(ctx, rita, "wrong"); instance.Fields(err)["password"] == nil {
		t.Errorf("wrong password: %v", err)
	}
	if err := f.svc.DeleteAccount(ctx, rita, goodPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Item(ctx, hal, instance.KindNeed, need.ID); !errors.Is(err, instance.ErrGone) {
		t.Errorf("deleted member's need: %v", err)
	}
	if _, _, err := f.svc.Login(ctx, "rita", goodPassword, "1.1.1.1"); err == nil {
		t.Error("a deleted account logged in")
	}
	gone, _ := f.svc.MemberByID(ctx, rita.ID)
	if gone.DisplayName != "Deleted member" || gone.Email != "" {
		t.Errorf("personal details kept: %+v", gone)
	}
}
