package instance_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// choose sets a member's email choices and categories.
func (f *noteFixture) choose(t *testing.T, handle string, prefs map[string]string, categories ...string) {
	t.Helper()
	if err := f.svc.SetNoticePrefs(ctx, f.m[handle], prefs); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetFollowedCategories(ctx, f.m[handle], categories); err != nil {
		t.Fatal(err)
	}
}

// queued is one row of the mail queue.
type queued struct {
	to, kind, subject, text, unsubscribe string
}

// mailOf lists the mail queued since id of one kind ("" for every kind),
// by recipient handle.
func (f *noteFixture) mailOf(t *testing.T, since int64, kind string) map[string][]queued {
	t.Helper()
	rows, err := f.store.DB().Query(f.store.SQL(`SELECT m.handle, q.kind, q.subject, q.body_text, q.unsubscribe FROM mail_queue q
		JOIN members m ON m.id = q.member_id WHERE q.id > ? AND (? = '' OR q.kind = ?) ORDER BY q.id`), since, kind, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]queued{}
	for rows.Next() {
		var h string
		var q queued
		rows.Scan(&h, &q.kind, &q.subject, &q.text, &q.unsubscribe)
		q.to = h
		out[h] = append(out[h], q)
	}
	return out
}

// New posts are emailed at once, by a worker and not in the request,
// to the members who chose "at once" for that kind of post, in the
// post's group and category; held posts wait for a coordinator; nothing
// is sent twice.
func TestNewPostsAnnouncedAtOnce(t *testing.T) {
	f := newNoteFixture(t)
	f.choose(t, "hal", map[string]string{"new_needs": "now"}, "lifts")
	f.choose(t, "olly", map[string]string{"new_needs": "now", "new_offers": "never"})
	// cora keeps the default (weekly); ada chose "at once" but not for offers.
	f.choose(t, "ada", map[string]string{"new_needs": "now"}, "shopping", "lifts")
	lunch, err := f.svc.CreateGroup(ctx, f.m["cora"], instance.GroupInput{Handle: "lunch", Name: "Lunch club"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.JoinGroup(ctx, f.m["rita"], lunch.Handle); err != nil {
		t.Fatal(err)
	}
	_, mark := f.mark(t)
	lift := f.post(t, "rita", needInput("A lift to the surgery"))
	if got := f.mailOf(t, mark, ""); len(got) != 0 {
		t.Fatalf("posting queued mail in the request: %v", got)
	}
	shop := needInput("Shopping from the village shop")
	shop.Category = "shopping"
	f.post(t, "rita", shop)
	f.post(t, "rita", instance.ItemInput{Kind: instance.KindOffer, Title: "Ladder to lend", Category: "lending"})
	group := needInput("Soup for the lunch club")
	group.Group = lunch.Handle
	f.post(t, "rita", group)
	heldIn := needInput("Viagra going cheap")
	held := f.post(t, "olly", heldIn)
	if _, err := f.svc.Announce(ctx); err != nil {
		t.Fatal(err)
	}
	got := f.mailOf(t, mark, "new_needs")
	if len(got["hal"]) != 1 || len(got["olly"]) != 2 || len(got["ada"]) != 2 || len(got["cora"]) != 0 || len(got["rita"]) != 0 {
		t.Fatalf("announcements: %v", got)
	}
	h := got["hal"][0]
	if h.subject != "New need: A lift to the surgery" || !strings.Contains(h.text, "https://village.example"+lift.Path()) ||
		!strings.Contains(h.text, "A lift to the surgery (lifts, Mill Lane)") || strings.Contains(h.text, "4 Mill Lane") ||
		!strings.HasPrefix(h.unsubscribe, "https://village.example/unsubscribe?t=") {
		t.Errorf("announcement:\n%s\n%s", h.subject, h.text)
	}
	for _, q := range append(got["olly"], got["ada"]...) {
		if strings.Contains(q.subject, "lunch club") || strings.Contains(q.subject, "Viagra") {
			t.Errorf("announced outside the member's groups, or held: %s to %s", q.subject, q.to)
		}
	}
	if n, _ := f.svc.Announce(ctx); n != 0 {
		t.Errorf("announced again: %d", n)
	}
	f.restart(t)
	if n, _ := f.svc.Announce(ctx); n != 0 {
		t.Errorf("announced again after a restart: %d", n)
	}
	// Released by a coordinator, the held post is announced then.
	if err := f.svc.Moderate(ctx, f.m["cora"], instance.ModerationAction{Action: "release", ID: held.ID}); err != nil {
		t.Fatal(err)
	}
	_, mark = f.mark(t)
	if _, err := f.svc.Announce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.mailOf(t, mark, "new_needs"); len(got["hal"]) != 1 || len(got["ada"]) != 1 || len(got["olly"]) != 0 {
		t.Errorf("after release: %v", got)
	}
}

// Without email, posts are marked announced and nothing is queued, so
// turning email on later sends no backlog.
func TestNoAnnouncementsWithoutEmail(t *testing.T) {
	f := newNoteFixture(t, func(o *instance.Options) { o.Mailer = nil })
	f.choose(t, "hal", map[string]string{"new_needs": "now"})
	f.post(t, "rita", needInput("A lift"))
	if _, err := f.svc.Announce(ctx); err != nil {
		t.Fatal(err)
	}
	var left, mails int
	f.store.DB().QueryRow(`SELECT count(*) FROM items WHERE announced_at IS NULL`).Scan(&left)
	f.store.DB().QueryRow(`SELECT count(*) FROM mail_queue`).Scan(&mails)
	if left != 0 || mails != 0 {
		t.Errorf("%d posts left unannounced, %d mails queued", left, mails)
	}
}

// Daily and weekly digests go out at the digest hour in the instance's
// time zone, with what is new in the member's groups and categories and
// their unread notifications of kinds they chose for that digest; nothing
// twice (across sweeps and restarts) and nothing missed (a day the
// instance was down is in the next one).
func TestDigestsWithTheInjectedClock(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	f := newNoteFixture(t, func(o *instance.Options) { o.Location = london })
	f.choose(t, "hal", map[string]string{"new_needs": "daily", "about_me": "daily", "new_offers": "never", "new_actions": "never"}, "lifts")
	f.choose(t, "olly", map[string]string{"new_needs": "daily", "new_offers": "daily"})
	// Friday 27 November, 10:00 GMT.
	lift := f.post(t, "rita", needInput("A lift to the surgery"))
	shop := needInput("Shopping from the village shop")
	shop.Category = "shopping"
	f.post(t, "rita", shop)
	f.post(t, "olly", needInput("Cheap viagra")) // held
	own := f.post(t, "hal", needInput("A lift to the dentist"))
	if err := f.svc.OfferHelp(ctx, f.m["olly"], own.ID, "", false); err != nil {
		t.Fatal(err)
	}
	sweep := func() {
		t.Helper()
		if err := f.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_, mark := f.mark(t)
	sweep() // Friday's digest (08:00) covered Thursday to Friday morning: nothing new then.
	if got := f.mailOf(t, mark, "digest_daily"); len(got) != 0 {
		t.Fatalf("a digest of the future: %v", got)
	}
	f.clock.t = time.Date(2026, 11, 28, 7, 59, 0, 0, time.UTC) // Saturday, before the hour
	sweep()
	if got := f.mailOf(t, mark, "digest_daily"); len(got) != 0 {
		t.Fatalf("digest before its hour: %v", got)
	}
	f.clock.t = time.Date(2026, 11, 28, 8, 5, 0, 0, time.UTC)
	sweep()
	got := f.mailOf(t, mark, "digest_daily")
	if len(got["hal"]) != 1 || len(got["olly"]) != 1 || len(got["rita"])+len(got["cora"])+len(got["ada"]) != 0 {
		t.Fatalf("Saturday's digests: %v", got)
	}
	hal := got["hal"][0]
	for _, want := range []string{"1 thing for you", "Olly offered to help with “A lift to the dentist”", "1 new need",
		"A lift to the surgery (lifts, Mill Lane)", "https://village.example" + lift.Path()} {
		if !strings.Contains(hal.text, want) {
			t.Errorf("hal's digest lacks %q:\n%s", want, hal.text)
		}
	}
	for _, not := range []string{"Shopping", "viagra", "dentist (lifts", "4 Mill Lane"} {
		if strings.Contains(hal.text, not) {
			t.Errorf("hal's digest has %q:\n%s", not, hal.text)
		}
	}
	if hal.subject != "Your daily summary from Our village" {
		t.Errorf("subject %q", hal.subject)
	}
	if olly := got["olly"][0].text; !strings.Contains(olly, "3 new needs") || !strings.Contains(olly, "Shopping") {
		t.Errorf("olly's digest (no categories: all of them):\n%s", olly)
	}
	// Nothing twice: again, and after a restart.
	_, mark = f.mark(t)
	sweep()
	f.restart(t)
	sweep()
	if got := f.mailOf(t, mark, ""); len(got) != 0 {
		t.Fatalf("sent again: %v", got)
	}
	// Saturday 09:00 a new need; the instance is down all Sunday; it comes
	// back on Monday at noon: one digest with it, and Monday's weekly ones.
	f.clock.t = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	later := f.post(t, "rita", needInput("A lift home from the station"))
	f.clock.t = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f.restart(t)
	sweep()
	got = f.mailOf(t, mark, "digest_daily")
	if len(got["hal"]) != 1 || !strings.Contains(got["hal"][0].text, later.Title) || strings.Contains(got["hal"][0].text, "to the surgery") {
		t.Errorf("after the downtime: %v", got)
	}
	weekly := f.mailOf(t, mark, "digest_weekly")
	if len(weekly["cora"]) != 1 || len(weekly["hal"]) != 0 || !strings.Contains(weekly["cora"][0].text, "4 new needs") {
		t.Errorf("Monday's weekly digests: %v", weekly)
	}
	// The digest's one-click link stops every kind it carried.
	u, err := url.Parse(got["hal"][0].unsubscribe)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Unsubscribe(ctx, u.Query().Get("t")); err != nil {
		t.Fatal(err)
	}
	prefs, _ := f.svc.NoticePrefs(ctx, f.m["hal"])
	for _, p := range prefs {
		if p.Frequency == instance.FreqDaily {
			t.Errorf("%s still daily after unsubscribing from the daily digest", p.Kind)
		}
	}
}

// Summer time: the digest hour is local, so in July it is 07:00 UTC.
func TestDigestHourIsLocal(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	f := newNoteFixture(t, func(o *instance.Options) { o.Location = london })
	f.clock.t = time.Date(2027, 7, 1, 10, 0, 0, 0, time.UTC)
	f.choose(t, "hal", map[string]string{"new_needs": "daily"})
	f.post(t, "rita", needInput("A lift"))
	f.clock.t = time.Date(2027, 7, 2, 7, 5, 0, 0, time.UTC)
	_, mark := f.mark(t)
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.mailOf(t, mark, "digest_daily"); len(got["hal"]) != 1 {
		t.Errorf("no digest at 08:05 BST: %v", got)
	}
}
