package instance_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// claimed posts rita's need, hal offers and rita accepts him.
func (f *noteFixture) claimed(t *testing.T) *instance.Item {
	t.Helper()
	it := f.post(t, "rita", needInput("A lift to the surgery"))
	if err := f.svc.OfferHelp(ctx, f.m["hal"], it.ID, "", false); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AcceptHelp(ctx, f.m["rita"], it.ID, f.interest(t, it, "hal")); err != nil {
		t.Fatal(err)
	}
	return f.fresh(t, it)
}

func (f *noteFixture) fresh(t *testing.T, it *instance.Item) *instance.Item {
	t.Helper()
	it, err := f.store.ItemByID(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func (f *noteFixture) thread(t *testing.T, handle string, it *instance.Item) *instance.PrivateThread {
	t.Helper()
	th, err := f.svc.MessageThread(ctx, f.m[handle], f.fresh(t, it))
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// Once a helper is accepted, the requester and the helper write to each
// other privately, each told of the other's message (never of its text);
// coordinators read it; nobody else sees it or may write; and nothing of
// it is queued for other servers.
func TestPrivateMessagesBetweenRequesterAndHelper(t *testing.T) {
	f := newNoteFixture(t)
	it := f.post(t, "rita", needInput("A lift to the surgery"))
	if th := f.thread(t, "rita", it); th != nil {
		t.Fatalf("a thread before anyone was accepted: %+v", th)
	}
	it = f.claimed(t)
	events := countRows(t, f.fixture, "fed_events")
	f.check(t, step{name: "requester writes", want: []string{"hal:message"}, do: func() error {
		_, err := f.svc.SendMessage(ctx, f.m["rita"], it.ID, "I'm at 4 Mill Lane, ring twice. 01234 567890")
		return err
	}})
	f.check(t, step{name: "helper answers", want: []string{"rita:message"}, do: func() error {
		_, err := f.svc.SendMessage(ctx, f.m["hal"], it.ID, "I'll pick you up at 9:45. Blue Ford Galaxy.")
		return err
	}})
	f.check(t, step{name: "a coordinator writes", want: []string{"hal:message", "rita:message"}, do: func() error {
		_, err := f.svc.SendMessage(ctx, f.m["cora"], it.ID, "Hal, the surgery has moved its car park.")
		return err
	}})
	if got := countRows(t, f.fixture, "fed_events"); got != events {
		t.Fatalf("private messages queued %d events for other servers", got-events)
	}
	for _, who := range []string{"rita", "hal", "cora", "ada"} {
		if th := f.thread(t, who, it); th == nil || len(th.Messages) != 3 || !th.CanWrite {
			t.Errorf("%s's thread %+v: want all three messages, writable", who, th)
		}
	}
	if th := f.thread(t, "olly", it); th != nil {
		t.Errorf("another member sees the thread: %+v", th)
	}
	if _, err := f.svc.SendMessage(ctx, f.m["olly"], it.ID, "hello"); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("another member writing: %v, want ErrForbidden", err)
	}
	var notes []string
	rows, _ := f.store.DB().Query(`SELECT n.detail || n.actor_name FROM notifications n WHERE n.code = 'message'`)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		notes = append(notes, s)
	}
	rows.Close()
	if strings.Contains(strings.Join(notes, " "), "Galaxy") {
		t.Error("a notification carries the message's text")
	}
}

// Messages follow the rules of replies: the length cap, the link limit,
// and hold words (a held message reaches only coordinators until one lets
// it through, and then the others are told).
func TestPrivateMessageRules(t *testing.T) {
	f := newNoteFixture(t)
	it := f.claimed(t)
	_, err := f.svc.SendMessage(ctx, f.m["rita"], it.ID, strings.Repeat("a", instance.MaxResponse+1))
	if fe := instance.Fields(err)["message_body"]; fe == nil || fe.Code != "err.too_long" {
		t.Errorf("a long message: %v, want err.too_long beside message_body", err)
	}
	_, err = f.svc.SendMessage(ctx, f.m["rita"], it.ID, strings.Repeat("https://spam.example ", instance.MaxLinks+1))
	if fe := instance.Fields(err)["message_body"]; fe == nil || fe.Code != "err.too_many_links" {
		t.Errorf("links: %v, want err.too_many_links", err)
	}
	if _, err := f.svc.SendMessage(ctx, f.m["rita"], it.ID, "  "); instance.Fields(err)["message_body"] == nil {
		t.Errorf("an empty message: %v", err)
	}
	var held *instance.Message
	f.check(t, step{name: "a held message", want: []string{"ada:message_held", "cora:message_held"}, do: func() error {
		var err error
		held, err = f.svc.SendMessage(ctx, f.m["rita"], it.ID, "cheap viagra here")
		return err
	}})
	if th := f.thread(t, "hal", it); len(th.Messages) != 0 {
		t.Errorf("the helper sees a held message: %+v", th.Messages)
	}
	if th := f.thread(t, "rita", it); len(th.Messages) != 1 || !th.Messages[0].Held {
		t.Errorf("its writer's thread: %+v, want it shown as held", th.Messages)
	}
	if _, err := f.svc.ReleaseMessage(ctx, f.m["hal"], held.ID); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("the helper releasing: %v", err)
	}
	f.check(t, step{name: "released", want: []string{"hal:message"}, do: func() error {
		_, err := f.svc.ReleaseMessage(ctx, f.m["cora"], held.ID)
		return err
	}})
	if th := f.thread(t, "hal", it); len(th.Messages) != 1 {
		t.Errorf("after release the helper sees %d messages", len(th.Messages))
	}
}

// When the claim ends (released, lapsed, or some days after it is done)
// the thread is read-only for the helper; coordinators can always read it.
func TestPrivateThreadClosesWithTheClaim(t *testing.T) {
	t.Run("released", func(t *testing.T) {
		f := newNoteFixture(t)
		it := f.claimed(t)
		f.svc.SendMessage(ctx, f.m["hal"], it.ID, "On my way")
		if err := f.svc.Unclaim(ctx, f.m["rita"], it.ID); err != nil {
			t.Fatal(err)
		}
		th := f.thread(t, "hal", it)
		if th == nil || th.CanWrite || len(th.Messages) != 1 || th.Closed != "message.closed" {
			t.Fatalf("the released helper's thread: %+v, want it read-only", th)
		}
		if _, err := f.svc.SendMessage(ctx, f.m["hal"], it.ID, "Still there?"); problemCode(err) != "message.closed" {
			t.Errorf("the released helper writing: %v, want message.closed", err)
		}
		if th := f.thread(t, "cora", it); th == nil || len(th.Messages) != 1 {
			t.Errorf("a coordinator's view: %+v", th)
		}
		// A new helper: the thread is open again, between rita and olly
		// only; hal still cannot write, and reads only what was his.
		if err := f.svc.OfferHelp(ctx, f.m["olly"], it.ID, "", false); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.AcceptHelp(ctx, f.m["rita"], it.ID, f.interest(t, it, "olly")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SendMessage(ctx, f.m["rita"], it.ID, "Olly, the door code is 4711"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SendMessage(ctx, f.m["hal"], it.ID, "Can I still help?"); problemCode(err) != "message.closed" {
			t.Errorf("the earlier helper writing to the new helper's thread: %v, want message.closed", err)
		}
		if th := f.thread(t, "hal", it); th == nil || len(th.Messages) != 1 || th.CanWrite {
			t.Errorf("the earlier helper's view: %+v, want only his own message, read-only", th)
		}
		if th := f.thread(t, "olly", it); th == nil || len(th.Messages) != 1 || th.Messages[0].Body != "Olly, the door code is 4711" {
			t.Errorf("the new helper's view: %+v, want only the message to him", th)
		}
		if th := f.thread(t, "rita", it); th == nil || len(th.Messages) != 2 {
			t.Errorf("the requester's view: %+v, want both", th)
		}
	})
	t.Run("lapsed", func(t *testing.T) {
		f := newNoteFixture(t)
		it := f.claimed(t)
		f.clock.advance(8 * 24 * time.Hour) // past the 7-day claim, before the sweep reopens it
		if _, err := f.svc.SendMessage(ctx, f.m["hal"], it.ID, "Hello?"); problemCode(err) != "message.closed" {
			t.Errorf("writing after the claim lapsed: %v, want message.closed", err)
		}
	})
	t.Run("done", func(t *testing.T) {
		f := newNoteFixture(t)
		it := f.claimed(t)
		if err := f.svc.MarkDone(ctx, f.m["hal"], it.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.advance(instance.MessageGrace - time.Hour)
		if _, err := f.svc.SendMessage(ctx, f.m["hal"], it.ID, "Here is your key back"); err != nil {
			t.Fatalf("thanks within the grace: %v", err)
		}
		f.clock.advance(2 * time.Hour)
		if _, err := f.svc.SendMessage(ctx, f.m["hal"], it.ID, "One more thing"); problemCode(err) != "message.closed" {
			t.Errorf("after the grace: %v, want message.closed", err)
		}
		if th := f.thread(t, "hal", it); th == nil || len(th.Messages) != 1 || th.CanWrite {
			t.Errorf("the helper's view after the grace: %+v, want read-only", th)
		}
	})
}

// The requester (and coordinators) see the accepted helper's chosen
// contact while the claim holds; nobody else does.
func TestHelperContactForTheRequester(t *testing.T) {
	f := newNoteFixture(t)
	hal := f.m["hal"]
	if err := f.svc.UpdateProfile(ctx, hal, instance.Profile{DisplayName: "Hal", ContactPreference: "phone", Phone: "01234 999888"}); err != nil {
		t.Fatal(err)
	}
	it := f.claimed(t)
	for who, want := range map[string]string{"rita": "01234 999888", "cora": "01234 999888", "hal": "", "olly": ""} {
		c, err := f.svc.HelperContact(ctx, f.m[who], it)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if c != nil {
			got = c.Phone
		}
		if got != want {
			t.Errorf("%s sees the helper's phone %q, want %q", who, got, want)
		}
	}
	if err := f.svc.UpdateProfile(ctx, hal, instance.Profile{DisplayName: "Hal", ContactPreference: "email"}); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.svc.HelperContact(ctx, f.m["rita"], it); c == nil || c.Email != "hal@example.org" || c.Phone != "" {
		t.Errorf("an email preference: %+v, want the address only", c)
	}
	if err := f.svc.Unclaim(ctx, f.m["rita"], it.ID); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.svc.HelperContact(ctx, f.m["rita"], f.fresh(t, it)); c != nil {
		t.Errorf("contact after the claim ended: %+v", c)
	}
}

// Private messages are erased with the need's address, purge_after_days
// after it is closed or done, and with their writer's account.
func TestPrivateMessagesErased(t *testing.T) {
	f := newNoteFixture(t)
	it := f.claimed(t)
	f.svc.SendMessage(ctx, f.m["hal"], it.ID, "See you at 9")
	if err := f.svc.MarkDone(ctx, f.m["rita"], it.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(29 * 24 * time.Hour)
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, f.fixture, "need_messages"); n != 1 {
		t.Fatalf("%d messages before purge_after_days, want 1", n)
	}
	f.clock.advance(2 * 24 * time.Hour)
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, f.fixture, "need_messages"); n != 0 {
		t.Fatalf("%d messages after purge_after_days, want 0", n)
	}
	other := f.claimedBy(t, "olly")
	f.svc.SendMessage(ctx, f.m["olly"], other.ID, "I can come at 10")
	f.svc.SendMessage(ctx, f.m["rita"], other.ID, "Lovely")
	if err := f.svc.DeleteAccount(ctx, f.m["olly"], goodPassword); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, f.fixture, "need_messages"); n != 1 {
		t.Fatalf("%d messages after the helper deleted their account, want only rita's", n)
	}
}

// claimedBy is a need of rita's with helper accepted.
func (f *noteFixture) claimedBy(t *testing.T, helper string) *instance.Item {
	t.Helper()
	it := f.post(t, "rita", needInput("Another lift"))
	if err := f.svc.OfferHelp(ctx, f.m[helper], it.ID, "", false); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AcceptHelp(ctx, f.m["rita"], it.ID, f.interest(t, it, helper)); err != nil {
		t.Fatal(err)
	}
	return f.fresh(t, it)
}
