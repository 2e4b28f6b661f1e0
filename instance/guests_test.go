package instance_test

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// action posts an action of olly's two days from the fixture's clock.
func (f *noteFixture) action(t *testing.T, capacity string, slots ...instance.SlotInput) *instance.Item {
	t.Helper()
	start := f.clock.now().Add(48 * time.Hour)
	return f.post(t, "olly", instance.ItemInput{Kind: instance.KindAction, Title: "Litter pick", Place: "The green",
		StartDate: instance.DateOf(start.Format("2006-01-02")), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf(start.Format("2006-01-02")), EndTime: instance.TimeOf("12:00"),
		Capacity: capacity, Slots: slots, Visibility: "public"})
}

var linkRE = regexp.MustCompile(`https://village\.example(/guest-places/(?:confirm|cancel)\?t=[A-Za-z0-9_.-]+)`)

// guestLinks returns the confirm and cancel links of the last email to
// address.
func (f *noteFixture) guestLinks(t *testing.T, address string) (confirm, cancel string) {
	t.Helper()
	var body string
	if err := f.store.DB().QueryRow(f.store.SQL(`SELECT body_text FROM mail_queue WHERE to_address = ? ORDER BY id DESC LIMIT 1`), address).Scan(&body); err != nil {
		t.Fatalf("no email to %s: %v", address, err)
	}
	for _, m := range linkRE.FindAllStringSubmatch(body, -1) {
		if strings.Contains(m[1], "/confirm?") {
			confirm = m[1]
		} else {
			cancel = m[1]
		}
	}
	return confirm, cancel
}

func token(link string) string {
	u, _ := url.Parse(link)
	return u.Query().Get("t")
}

func (f *noteFixture) guest(t *testing.T, it *instance.Item, name string, slot int64) (confirm, cancel string) {
	t.Helper()
	email := strings.ToLower(name) + "@guest.example"
	if _, err := f.svc.JoinAsGuest(ctx, it.ID, instance.GuestPlaceInput{Name: name, Email: email, Slot: slot}, "198.51.100."+name[:1]); err != nil {
		t.Fatalf("guest %s: %v", name, err)
	}
	return f.guestLinks(t, email)
}

// A guest's place counts once confirmed by the emailed link, against the
// action's capacity like a member's; the organiser is told and sees the
// guest's name and email; cancelling frees the place for whoever waits.
func TestGuestPlaceCountsOnceConfirmed(t *testing.T) {
	f := newNoteFixture(t)
	it := f.action(t, "1")
	confirm, cancel := f.guest(t, it, "Gwen", 0)
	if confirm == "" || cancel == "" {
		t.Fatal("the confirmation email has no confirm or cancel link")
	}
	if it = f.fresh(t, it); it.Going != 0 {
		t.Fatalf("an unconfirmed guest counts: going %d", it.Going)
	}
	f.check(t, step{name: "the guest confirms", want: []string{"olly:action_joined"}, do: func() error {
		_, _, err := f.svc.ConfirmGuest(ctx, token(confirm))
		return err
	}})
	if _, _, err := f.svc.ConfirmGuest(ctx, token(confirm)); err != nil {
		t.Fatalf("the link used twice: %v", err)
	}
	if it = f.fresh(t, it); it.Going != 1 {
		t.Fatalf("going %d after the guest confirmed, want 1", it.Going)
	}
	var note string
	f.store.DB().QueryRow(`SELECT actor_name FROM notifications WHERE code = 'action_joined' ORDER BY id DESC`).Scan(&note)
	if note != "Gwen" {
		t.Errorf("the organiser was told of %q, want Gwen", note)
	}
	for who, want := range map[string]int{"olly": 1, "cora": 1, "hal": 0} {
		guests, err := f.svc.Guests(ctx, f.m[who], it)
		if err != nil || len(guests) != want || (want == 1 && guests[0].Email != "gwen@guest.example") {
			t.Errorf("%s sees guests %+v (%v), want %d", who, guests, err, want)
		}
	}
	st, err := f.svc.JoinAction(ctx, f.m["hal"], it.ID, 0)
	if err != nil || st != instance.AttendWaiting {
		t.Fatalf("a member after the guest took the only place: %s %v, want the waiting list", st, err)
	}
	f.check(t, step{name: "the guest cancels", want: []string{"olly:action_left", "hal:promoted"}, do: func() error {
		_, _, err := f.svc.CancelGuest(ctx, token(cancel))
		return err
	}})
	if _, _, err := f.svc.ConfirmGuest(ctx, token(confirm)); problemCode(err) != "guestplace.bad_link" {
		t.Errorf("confirming a cancelled place: %v", err)
	}
}

// A role's places count guests too; a full role or action refuses guests
// at once.
func TestGuestPlacesCountAgainstRoles(t *testing.T) {
	f := newNoteFixture(t)
	it := f.action(t, "", instance.SlotInput{Name: "Drivers", Capacity: "1"}, instance.SlotInput{Name: "Pickers", Capacity: "5"})
	it = f.fresh(t, it)
	drivers := it.Slots[0].ID
	confirm, _ := f.guest(t, it, "Dora", drivers)
	again, _ := f.guest(t, it, "Dan", drivers) // both pending: neither counts yet
	if _, _, err := f.svc.ConfirmGuest(ctx, token(confirm)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.ConfirmGuest(ctx, token(again)); problemCode(err) != "guestplace.full" {
		t.Errorf("a second guest confirming the last driver's place: %v, want guestplace.full", err)
	}
	_, err := f.svc.JoinAsGuest(ctx, it.ID, instance.GuestPlaceInput{Name: "Eve", Email: "eve@guest.example", Slot: drivers}, "x")
	if problemCode(err) != "guestplace.full" {
		t.Errorf("asking for a full role: %v, want guestplace.full", err)
	}
	if st, _ := f.svc.JoinAction(ctx, f.m["hal"], it.ID, drivers); st != instance.AttendWaiting {
		t.Errorf("a member for the role a guest filled: %s, want waiting", st)
	}
}

// Links are signed for one place and one purpose; one not confirmed within
// a day no longer works, and the sweep drops the place.
func TestGuestLinksAndExpiry(t *testing.T) {
	f := newNoteFixture(t)
	it := f.action(t, "")
	confirm, cancel := f.guest(t, it, "Gwen", 0)
	// Tampered in the middle, where every bit of a base64 character
	// counts (the last character's spare bits would let a change there
	// decode to the same token now and then).
	tampered := []byte(token(confirm))
	if mid := len(tampered) / 2; tampered[mid] == 'A' {
		tampered[mid] = 'B'
	} else {
		tampered[mid] = 'A'
	}
	for name, tok := range map[string]string{"tampered": string(tampered), "the cancel link": token(cancel), "empty": ""} {
		if _, _, err := f.svc.ConfirmGuest(ctx, tok); problemCode(err) != "guestplace.bad_link" {
			t.Errorf("confirming with %s: %v, want guestplace.bad_link", name, err)
		}
	}
	f.clock.advance(instance.GuestConfirmWithin + time.Minute)
	if _, _, err := f.svc.ConfirmGuest(ctx, token(confirm)); problemCode(err) != "guestplace.expired" {
		t.Fatalf("confirming after a day: %v, want guestplace.expired", err)
	}
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, f.fixture, "guest_places"); n != 0 {
		t.Errorf("%d guest places after the sweep, want the unconfirmed one gone", n)
	}
}

// Guest sign-ups are limited per email address and per client network.
func TestGuestSignUpsThrottled(t *testing.T) {
	f := newNoteFixture(t)
	it := f.action(t, "")
	join := func(email, client string) error {
		_, err := f.svc.JoinAsGuest(ctx, it.ID, instance.GuestPlaceInput{Name: "Sam", Email: email}, client)
		return err
	}
	for i := range 3 {
		if err := join("sam@guest.example", "c"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := join("SAM@guest.example", "cz"); problemCode(err) != "guestplace.throttled" {
		t.Errorf("a 4th for one address: %v, want guestplace.throttled", err)
	}
	for i := range 10 {
		if err := join("p"+string(rune('a'+i))+"@guest.example", "one-network"); err != nil {
			t.Fatal(err)
		}
	}
	if err := join("new@guest.example", "one-network"); problemCode(err) != "guestplace.throttled" {
		t.Errorf("an 11th from one network: %v, want guestplace.throttled", err)
	}
}

// Guests get a reminder the day before (with the cancel link), are told
// if it is cancelled, and their name and address are erased
// purge_after_days after the action.
func TestGuestReminderAndErasure(t *testing.T) {
	f := newNoteFixture(t)
	it := f.action(t, "")
	confirm, _ := f.guest(t, it, "Gwen", 0)
	if _, _, err := f.svc.ConfirmGuest(ctx, token(confirm)); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(26 * time.Hour) // the day before
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	var subject, body string
	f.store.DB().QueryRow(`SELECT subject, body_text FROM mail_queue WHERE to_address = 'gwen@guest.example' ORDER BY id DESC`).Scan(&subject, &body)
	if subject != "Tomorrow: Litter pick" || !strings.Contains(body, "/guest-places/cancel?t=") {
		t.Fatalf("reminder %q: want tomorrow's, with the cancel link", subject)
	}
	f.clock.advance(2*24*time.Hour + 30*24*time.Hour)
	if err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	var name, email string
	f.store.DB().QueryRow(`SELECT name, email FROM guest_places`).Scan(&name, &email)
	if name != "" || email != "" {
		t.Fatalf("after purge_after_days the guest is still %q <%s>", name, email)
	}
	if it = f.fresh(t, it); it.Going != 1 {
		t.Errorf("erasing the guest changed the action's count to %d", it.Going)
	}
}

// A cancelled action tells its guests by email.
func TestGuestToldOfCancellation(t *testing.T) {
	f := newNoteFixture(t)
	it := f.action(t, "")
	confirm, _ := f.guest(t, it, "Gwen", 0)
	f.svc.ConfirmGuest(ctx, token(confirm))
	if err := f.svc.CancelAction(ctx, f.m["olly"], it.ID, "Rain all day"); err != nil {
		t.Fatal(err)
	}
	var subject, body string
	f.store.DB().QueryRow(`SELECT subject, body_text FROM mail_queue WHERE to_address = 'gwen@guest.example' ORDER BY id DESC`).Scan(&subject, &body)
	if subject != "Cancelled: Litter pick" || !strings.Contains(body, "Rain all day") {
		t.Errorf("cancellation email %q", subject)
	}
}

// Without email there are no guest places; village-only actions take no
// guests.
func TestGuestPlacesNeedEmailAndAPublicAction(t *testing.T) {
	f := newNoteFixture(t)
	it := f.post(t, "olly", instance.ItemInput{Kind: instance.KindAction, Title: "Members' meeting", Place: "Hall",
		StartDate: instance.DateOf("2026-12-01"), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf("2026-12-01"), EndTime: instance.TimeOf("11:00"), Visibility: "village"})
	_, err := f.svc.JoinAsGuest(ctx, it.ID, instance.GuestPlaceInput{Name: "Gwen", Email: "g@guest.example"}, "x")
	if !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("a village-only action: %v, want ErrNotFound", err)
	}
	off := newNoteFixture(t, func(o *instance.Options) { o.Mailer = nil })
	pub := off.action(t, "")
	if _, err := off.svc.JoinAsGuest(ctx, pub.ID, instance.GuestPlaceInput{Name: "Gwen", Email: "g@guest.example"}, "x"); problemCode(err) != "guestplace.off" {
		t.Errorf("without email: %v, want guestplace.off", err)
	}
}
