package instance_test

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/mail"
	"hearth/instance/mail/mailtest"
	"hearth/instance/store/storetest"
	"hearth/web"
)

// noteFixture is an instance with email on (queued, not sent), the real
// catalogue, a hold word, and members in every role, each with an address.
type noteFixture struct {
	*fixture
	opts instance.Options
	m    map[string]*instance.Member
}

func newNoteFixture(t *testing.T, change ...func(*instance.Options)) *noteFixture {
	t.Helper()
	st := storetest.Open(t)
	srv := mailtest.Start(t, mailtest.Options{})
	tr, err := web.Translator()
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	o := instance.Options{Store: st, Clock: c.now, Registration: instance.RegistrationApproval, HoldWords: []string{"viagra"},
		Mailer:  &mail.SMTP{Host: srv.Host, Port: srv.Port, From: "hearth@village.example", TLS: mail.TLSNone, Timeout: 5 * time.Second},
		BaseURL: "https://village.example", Translate: tr, SiteName: "Our village", DigestHour: 8, DigestWeekday: time.Monday,
		PostsPerHour: 1000, NewPostsPerHour: 1000, RepliesPerHour: 1000, NewRepliesPerHour: 1000}
	for _, fn := range change {
		fn(&o)
	}
	svc, err := instance.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureMainGroup(ctx, "village", "Our village"); err != nil {
		t.Fatal(err)
	}
	f := &noteFixture{fixture: &fixture{svc: svc, store: st, clock: c}, opts: o, m: map[string]*instance.Member{}}
	for handle, roles := range map[string][]instance.Role{
		"rita": nil, "hal": nil, "olly": nil, "cora": {instance.RoleCoordinator}, "ada": {instance.RoleAdmin},
	} {
		f.add(t, handle, roles...)
	}
	return f
}

// add makes an active member with an address.
func (f *noteFixture) add(t *testing.T, handle string, roles ...instance.Role) *instance.Member {
	t.Helper()
	m, err := f.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: handle, DisplayName: strings.ToUpper(handle[:1]) + handle[1:],
		Email: handle + "@example.org", Password: goodPassword, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = f.svc.MemberByID(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	f.m[handle] = m
	return m
}

// restart builds a new Service on the same database, as a new process
// would.
func (f *noteFixture) restart(t *testing.T) {
	t.Helper()
	svc, err := instance.New(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
}

// told is what was written since mark: "handle:kind" for each
// notification, and "handle:notice kind" for each email, sorted.
type told struct {
	notes, mails []string
	subjects     []string
	bodies       []string
}

func (f *noteFixture) mark(t *testing.T) (int64, int64) {
	t.Helper()
	var n, m int64
	db := f.store.DB()
	if err := db.QueryRow(`SELECT COALESCE(max(id), 0) FROM notifications`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COALESCE(max(id), 0) FROM mail_queue`).Scan(&m); err != nil {
		t.Fatal(err)
	}
	return n, m
}

func (f *noteFixture) since(t *testing.T, noteID, mailID int64) told {
	t.Helper()
	var out told
	rows, err := f.store.DB().Query(f.store.SQL(`SELECT m.handle, n.code FROM notifications n JOIN members m ON m.id = n.member_id WHERE n.id > ?`), noteID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h, k string
		rows.Scan(&h, &k)
		out.notes = append(out.notes, h+":"+k)
	}
	rows.Close()
	rows, err = f.store.DB().Query(f.store.SQL(`SELECT m.handle, q.kind, q.subject, q.body_text FROM mail_queue q JOIN members m ON m.id = q.member_id
		WHERE q.id > ? ORDER BY q.id`), mailID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h, k, subject, body string
		rows.Scan(&h, &k, &subject, &body)
		if strings.HasPrefix(k, "digest_") {
			continue // digests have their own tests
		}
		out.mails = append(out.mails, h+":"+k)
		out.subjects = append(out.subjects, subject)
		out.bodies = append(out.bodies, body)
	}
	rows.Close()
	sort.Strings(out.notes)
	sort.Strings(out.mails)
	return out
}

// snapshot dumps the tables a change or its notices write, to compare.
func (f *noteFixture) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"items", "interests", "attendees", "responses", "members", "reports", "concerns",
		"notifications", "mail_queue", "remote_items", "digests"} {
		rows, err := f.store.DB().Query(`SELECT * FROM ` + table + ` ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			fmt.Fprintf(&b, "%s %v\n", table, vals)
		}
		rows.Close()
	}
	return b.String()
}

// failNotifications makes every notification insert fail until undone.
func (f *noteFixture) failNotifications(t *testing.T) func() {
	t.Helper()
	create, drop := `CREATE TRIGGER fail_notify BEFORE INSERT ON notifications BEGIN SELECT RAISE(ABORT, 'disk full'); END`, `DROP TRIGGER fail_notify`
	if f.store.Postgres() {
		create = `CREATE OR REPLACE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
			CREATE TRIGGER fail_notify BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION fail_insert()`
		drop += ` ON notifications`
	}
	if _, err := f.store.DB().Exec(create); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := f.store.DB().Exec(drop); err != nil {
			t.Fatal(err)
		}
	}
}

// step is one thing that happens and who it must tell.
type step struct {
	name string
	do   func() error
	want []string // "handle:kind", in any order
}

// check runs a step twice: first with notifications failing, when the
// whole change must fail and leave nothing behind (the notices are in the
// change's transaction), then for real, when exactly want is told, once
// each, and everyone told who chose "at once" gets one email of the
// kind's email choice.
func (f *noteFixture) check(t *testing.T, s step) {
	t.Helper()
	if len(s.want) > 0 {
		before := f.snapshot(t)
		undo := f.failNotifications(t)
		err := s.do()
		undo()
		if err == nil {
			t.Fatalf("%s: succeeded although its notification could not be written", s.name)
		}
		if after := f.snapshot(t); after != before {
			t.Fatalf("%s: a failed notification left the change (or part of it) behind", s.name)
		}
	}
	n, m := f.mark(t)
	if err := s.do(); err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	got := f.since(t, n, m)
	want := slices.Clone(s.want)
	sort.Strings(want)
	if strings.Join(got.notes, " ") != strings.Join(want, " ") {
		t.Errorf("%s: told %v, want %v", s.name, got.notes, want)
	}
	var wantMail []string
	for _, w := range want {
		handle, kind, _ := strings.Cut(w, ":")
		wantMail = append(wantMail, handle+":"+string(instance.NoteKind(kind).Spec().Notice))
	}
	sort.Strings(wantMail)
	if strings.Join(got.mails, " ") != strings.Join(wantMail, " ") {
		t.Errorf("%s: emails %v, want %v", s.name, got.mails, wantMail)
	}
	for i, body := range got.bodies {
		for _, secret := range []string{"4 Mill Lane", "01234 567890"} {
			if strings.Contains(body, secret) || strings.Contains(got.subjects[i], secret) {
				t.Errorf("%s: an email contains the private %q", s.name, secret)
			}
		}
	}
}

func (f *noteFixture) post(t *testing.T, by string, in instance.ItemInput) *instance.Item {
	t.Helper()
	it, err := f.svc.CreateItem(ctx, f.m[by], in)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func needInput(title string) instance.ItemInput {
	return instance.ItemInput{Kind: instance.KindNeed, Title: title, Category: "lifts", Area: "Mill Lane",
		Address: "4 Mill Lane", Contact: "01234 567890"}
}

func (f *noteFixture) interest(t *testing.T, it *instance.Item, handle string) int64 {
	t.Helper()
	list, err := f.store.ListInterests(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		if in.MemberID == f.m[handle].ID {
			return in.ID
		}
	}
	t.Fatalf("no interest from %s", handle)
	return 0
}

// Every kind of notification about needs, offers, replies and actions
// is written once, in the transaction of its change, for the people it
// concerns and nobody else, with an email for those who chose "at once".
func TestEveryKindTellsTheRightPeople(t *testing.T) {
	f := newNoteFixture(t)
	m := f.m
	in := needInput("A lift to the surgery")
	in.Visibility = string(instance.VisibilityPublic) // other servers may reply
	need := f.post(t, "rita", in)
	offer := f.post(t, "rita", instance.ItemInput{Kind: instance.KindOffer, Title: "Ladder to lend", Category: "lending"})
	day := f.clock.now().Add(72 * time.Hour).Format("2006-01-02")
	action := f.post(t, "rita", instance.ItemInput{Kind: instance.KindAction, Title: "Litter-pick", Place: "The green",
		StartDate: instance.DateOf(day), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf(day), EndTime: instance.TimeOf("12:00"), Capacity: "1"})
	alice := &instance.RemoteActor{ID: "https://gts.example/users/alice", Host: "gts.example", Username: "alice", Name: "Alice"}
	var held *instance.Response
	for _, s := range []step{
		{"someone offers to help", func() error { return f.svc.OfferHelp(ctx, m["hal"], need.ID, "I can drive", false) },
			[]string{"rita:help_offered"}},
		{"the same offer again, with a new message", func() error { return f.svc.OfferHelp(ctx, m["hal"], need.ID, "Tuesday?", false) }, nil},
		{"they take it back", func() error { return f.svc.WithdrawInterest(ctx, m["hal"], need.ID) }, []string{"rita:help_withdrawn"}},
		{"they offer again", func() error { return f.svc.OfferHelp(ctx, m["hal"], need.ID, "", false) }, []string{"rita:help_offered"}},
		{"the requester accepts", func() error { return f.svc.AcceptHelp(ctx, m["rita"], need.ID, f.interest(t, need, "hal")) },
			[]string{"hal:help_accepted"}},
		{"the requester releases the helper", func() error { return f.svc.Unclaim(ctx, m["rita"], need.ID) }, []string{"hal:claim_released"}},
		{"accepted again", func() error { return f.svc.AcceptHelp(ctx, m["rita"], need.ID, f.interest(t, need, "hal")) },
			[]string{"hal:help_accepted"}},
		{"the helper can no longer help", func() error { return f.svc.Unclaim(ctx, m["hal"], need.ID) }, []string{"rita:helper_withdrew"}},
		{"accepted once more", func() error { return f.svc.AcceptHelp(ctx, m["rita"], need.ID, f.interest(t, need, "hal")) },
			[]string{"hal:help_accepted"}},
		{"a reply from the helper", func() error {
			_, err := f.svc.AddResponse(ctx, m["hal"], need.ID, "I'll be there at 9:45")
			return err
		}, []string{"rita:reply"}},
		{"a reply from a neighbour tells the author and the earlier replier", func() error {
			_, err := f.svc.AddResponse(ctx, m["olly"], need.ID, "Good luck at the surgery")
			return err
		}, []string{"rita:reply", "hal:reply"}},
		{"a reply from the fediverse tells them all, like a local one", func() error {
			return f.svc.ReceiveReply(ctx, need.ID, &instance.RemoteNote{ID: alice.ID + "/statuses/1", Author: alice, HTML: "<p>Hope it goes well</p>"})
		}, []string{"rita:reply", "hal:reply", "olly:reply"}},
		{"the same remote reply again tells nobody", func() error {
			return f.svc.ReceiveReply(ctx, need.ID, &instance.RemoteNote{ID: alice.ID + "/statuses/1", Author: alice, HTML: "<p>Hope it goes well</p>"})
		}, nil},
		{"a held reply tells only coordinators", func() error {
			var err error
			held, err = f.svc.AddResponse(ctx, m["olly"], need.ID, "cheap viagra here")
			return err
		}, []string{"cora:post_held", "ada:post_held"}},
		{"released, it tells the thread", func() error {
			return f.svc.Moderate(ctx, m["cora"], instance.ModerationAction{Action: "release_response", ID: held.ID})
		}, []string{"rita:reply", "hal:reply"}},
		{"the requester closes the need", func() error { return f.svc.CloseNeed(ctx, m["rita"], need.ID, "sorted") }, []string{"hal:need_closed"}},
		{"someone would like the offer", func() error { return f.svc.WantOffer(ctx, m["olly"], offer.ID, "") }, []string{"rita:offer_wanted"}},
		{"and no longer would", func() error { return f.svc.WithdrawInterest(ctx, m["olly"], offer.ID) }, []string{"rita:offer_unwanted"}},
		{"asks again", func() error { return f.svc.WantOffer(ctx, m["olly"], offer.ID, "please") }, []string{"rita:offer_wanted"}},
		{"is chosen", func() error { return f.svc.GiveOffer(ctx, m["rita"], offer.ID, f.interest(t, offer, "olly")) }, []string{"olly:offer_given"}},
		{"someone joins the action", func() error {
			_, err := f.svc.JoinAction(ctx, m["hal"], action.ID, 0)
			return err
		}, []string{"rita:action_joined"}},
		{"someone joins the waiting list", func() error {
			_, err := f.svc.JoinAction(ctx, m["olly"], action.ID, 0)
			return err
		}, []string{"rita:action_joined"}},
		{"the first leaves, and whoever waited has a place", func() error { return f.svc.LeaveAction(ctx, m["hal"], action.ID) },
			[]string{"rita:action_left", "olly:promoted"}},
		{"the organiser cancels", func() error { return f.svc.CancelAction(ctx, m["rita"], action.ID, "Rain") }, []string{"olly:action_cancelled"}},
	} {
		f.check(t, s)
	}
	// A reply notification points at the reply itself; its email at the
	// thread.
	notes, _ := f.svc.Notifications(ctx, m["rita"])
	var reply *instance.Notification
	for _, n := range notes {
		if n.Kind == instance.NoteReply && n.Actor == "Alice" {
			reply = n
		}
	}
	var link []string
	if reply != nil {
		link = regexp.MustCompile(`^` + need.Path() + `\?reply=(\d+)#response-(\d+)$`).FindStringSubmatch(reply.Link())
	}
	if link == nil || link[1] != link[2] {
		t.Errorf("remote reply notification: %+v (link %q)", reply, reply.Link())
	}
}

// A thank-you tells the helper, in its transaction (a failed notification
// keeps no thanks), with the requester's words on the page and never in
// the email, and links to where the thanks are shown.
func TestThanksTellTheHelper(t *testing.T) {
	f := newNoteFixture(t)
	m := f.m
	need := f.post(t, "rita", needInput("Help with the shopping"))
	for _, s := range []step{
		{"an offer", func() error { return f.svc.OfferHelp(ctx, m["hal"], need.ID, "", false) }, []string{"rita:help_offered"}},
		{"accepted", func() error { return f.svc.AcceptHelp(ctx, m["rita"], need.ID, f.interest(t, need, "hal")) },
			[]string{"hal:help_accepted"}},
		{"done", func() error { return f.svc.MarkDone(ctx, m["hal"], need.ID) }, nil},
	} {
		f.check(t, s)
	}
	const words = "You were a star, thank you"
	before, mails := f.mark(t)
	f.check(t, step{"the requester says thank you", func() error { return f.svc.SayThanks(ctx, m["rita"], need.ID, words) },
		[]string{"hal:thanked"}})
	got := f.since(t, before, mails)
	if len(got.bodies) != 1 {
		t.Fatalf("emails: %v", got.mails)
	}
	if strings.Contains(got.bodies[0], words) || strings.Contains(got.subjects[0], words) || strings.Contains(got.bodies[0], "Reason") {
		t.Errorf("the thank-you email carries the note: %q %q", got.subjects[0], got.bodies[0])
	}
	notes, _ := f.svc.Notifications(ctx, m["hal"])
	if len(notes) == 0 || notes[0].Kind != instance.NoteThanked || notes[0].Detail != words || notes[0].Actor == "" ||
		notes[0].Link() != need.Path()+"#thanks" {
		t.Errorf("the helper's notification: %+v", notes[0])
	}
}

// Applications, reports, held posts, hidden posts, removed replies and
// warnings tell the people they concern.
func TestMembershipAndModerationTell(t *testing.T) {
	f := newNoteFixture(t)
	m := f.m
	var applicant *instance.Member
	var item *instance.Item
	var reply *instance.Response
	need := f.post(t, "rita", needInput("Shopping"))
	for _, s := range []step{
		{"an application tells the coordinators", func() error {
			var err error
			applicant, err = f.svc.SignUp(ctx, signUp("dot"))
			return err
		}, []string{"cora:new_application", "ada:new_application"}},
		{"approved, the applicant is told", func() error { return f.svc.Approve(ctx, m["cora"], applicant.ID) },
			[]string{"dot:application_approved"}},
		{"another is rejected", func() error {
			p, err := f.svc.SignUp(ctx, signUp("eve"))
			if err != nil {
				return err
			}
			return f.svc.Reject(ctx, m["cora"], p.ID)
		}, []string{"cora:new_application", "ada:new_application", "eve:application_rejected"}},
		{"a held post tells the coordinators", func() error {
			it, err := f.svc.CreateItem(ctx, m["olly"], instance.ItemInput{Kind: instance.KindOffer, Title: "Cheap viagra", Category: "lending"})
			item = it
			return err
		}, []string{"cora:post_held", "ada:post_held"}},
		{"a report tells the coordinators, not the reporter", func() error {
			_, err := f.svc.FileReport(ctx, m["cora"], instance.ReportInput{Subject: "member", ID: m["olly"].ID, Category: "spam"})
			return err
		}, []string{"ada:new_report"}},
		{"a hidden post tells its author, with the reason", func() error {
			return f.svc.Moderate(ctx, m["cora"], instance.ModerationAction{Action: "hide", ID: item.ID, Reason: "Selling"})
		}, []string{"olly:item_hidden"}},
		{"a reply", func() error {
			var err error
			reply, err = f.svc.AddResponse(ctx, m["olly"], need.ID, "Rude words")
			return err
		}, []string{"rita:reply"}},
		{"a removed reply tells its author", func() error {
			return f.svc.Moderate(ctx, m["cora"], instance.ModerationAction{Action: "remove_response", ID: reply.ID, Reason: "Unkind"})
		}, []string{"olly:response_removed"}},
		{"a warning tells the member", func() error {
			return f.svc.Moderate(ctx, m["ada"], instance.ModerationAction{Action: "warn", ID: m["olly"].ID, Reason: "Be kind"})
		}, []string{"olly:warning"}},
	} {
		f.check(t, s)
	}
	notes, _ := f.svc.Notifications(ctx, m["olly"])
	for _, n := range notes {
		if n.Kind == instance.NoteItemHidden && n.Detail != "Selling" {
			t.Errorf("hidden without its reason: %+v", n)
		}
	}
}

// A welfare concern reaches only safeguarding leads, saying only that a
// concern needs them; a coordinator who is not a lead never hears of it.
// Until there is a lead, it goes to the admins (whose home page says a
// lead is needed).
func TestConcernsReachOnlyLeads(t *testing.T) {
	f := newNoteFixture(t)
	m := f.m
	raise := func() error {
		return f.svc.RaiseConcern(ctx, m["olly"], "Mr Green at number 4", "Not seen him for a week; his curtains are shut")
	}
	f.check(t, step{"no lead yet: the admins, to name one", raise, []string{"ada:concern_no_lead"}})
	if d, _ := f.svc.Desk(ctx, m["ada"]); d == nil || !d.LeadNeeded {
		t.Errorf("admin's desk does not say a lead is needed: %+v", d)
	}
	f.add(t, "lee", instance.RoleSafeguardingLead)
	f.add(t, "cole", instance.RoleCoordinator, instance.RoleSafeguardingLead)
	n, ml := f.mark(t)
	f.check(t, step{"with leads: only they", raise, []string{"lee:new_concern", "cole:new_concern"}})
	if d, _ := f.svc.Desk(ctx, m["ada"]); d.LeadNeeded {
		t.Error("still says a lead is needed")
	}
	got := f.since(t, n, ml)
	rows, err := f.store.DB().Query(`SELECT actor_id IS NULL, actor_name, detail, anchor, item_id IS NULL FROM notifications
		WHERE code IN ('new_concern', 'concern_no_lead')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var noActor, noItem bool
		var actor, detail, anchor string
		rows.Scan(&noActor, &actor, &detail, &anchor, &noItem)
		if !noActor || actor != "" || detail != "" || anchor != "" || !noItem {
			t.Errorf("a concern notification carries something: actor %q detail %q", actor, detail)
		}
	}
	rows.Close()
	for i, body := range got.bodies {
		for _, secret := range []string{"Green", "number 4", "curtains", "Olly"} {
			if strings.Contains(body, secret) || strings.Contains(got.subjects[i], secret) {
				t.Errorf("a concern's email says %q:\n%s", secret, body)
			}
		}
		if got.subjects[i] != "A new concern needs you" {
			t.Errorf("subject %q", got.subjects[i])
		}
	}
}

// A notification's email is in the recipient's language, says what
// happened and the next step, links to the exact place on the page and
// can be stopped with one click; a member who chose a digest for the kind
// gets no email at once (the notification is still on their page).
func TestNotificationEmail(t *testing.T) {
	f := newNoteFixture(t)
	if err := f.svc.UpdateProfile(ctx, f.m["rita"], instance.Profile{DisplayName: "Rita", Language: "fr"}); err != nil {
		t.Fatal(err)
	}
	need := f.post(t, "rita", needInput("A lift to the surgery"))
	n, ml := f.mark(t)
	if err := f.svc.OfferHelp(ctx, f.m["hal"], need.ID, "", false); err != nil {
		t.Fatal(err)
	}
	got := f.mailOf(t, ml, "about_me")["rita"]
	if len(got) != 1 {
		t.Fatalf("mails to rita: %v", got)
	}
	m := got[0]
	if m.subject != "Hal propose d'aider pour « A lift to the surgery »" {
		t.Errorf("subject %q", m.subject)
	}
	for _, want := range []string{"Bonjour Rita,", "Choisissez qui vous aidera", "https://village.example" + need.Path() + "#offers",
		"https://village.example/settings/notifications"} {
		if !strings.Contains(m.text, want) {
			t.Errorf("email lacks %q:\n%s", want, m.text)
		}
	}
	if !strings.HasPrefix(m.unsubscribe, "https://village.example/unsubscribe?t=") {
		t.Errorf("unsubscribe %q", m.unsubscribe)
	}
	// Chose the daily summary: told on the page, no email at once.
	f.choose(t, "hal", map[string]string{"about_me": "daily"})
	if err := f.svc.AcceptHelp(ctx, f.m["rita"], need.ID, f.interest(t, need, "hal")); err != nil {
		t.Fatal(err)
	}
	if got := f.since(t, n, ml); strings.Join(got.notes, " ") != "hal:help_accepted rita:help_offered" || strings.Join(got.mails, " ") != "rita:about_me" {
		t.Errorf("told %v, emails %v", got.notes, got.mails)
	}
}
