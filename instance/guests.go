package instance

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// GuestStatus is where a guest place stands.
type GuestStatus string

// A guest place is pending until its confirmation link is used (and is
// dropped if that takes more than GuestConfirmWithin), then going; the
// guest may cancel it; its details are erased after the action.
const (
	GuestPending   GuestStatus = "pending"
	GuestGoing     GuestStatus = "going"
	GuestCancelled GuestStatus = "cancelled"
)

// GuestConfirmWithin is how long a guest has to confirm their place.
const GuestConfirmWithin = 24 * time.Hour

// Guest sign-up limits: per client network and per email address, an hour.
const (
	guestsPerClient = 10
	guestsPerEmail  = 3
)

// GuestPlace is a place on an action for someone without an account.
type GuestPlace struct {
	ID        int64
	ItemID    int64
	SlotID    int64
	SlotName  string
	Name      string
	Email     string
	Status    GuestStatus
	CreatedAt time.Time
}

// GuestPlaceInput is the action page's form for people without an account.
type GuestPlaceInput struct {
	Name, Email string
	Slot        int64
}

// GuestStore keeps guest places. A confirmed place is also a row of the
// action's places, so it counts against the action's and its role's
// capacity exactly as a member's does.
type GuestStore interface {
	// AddGuest stores a pending place and the emails compose writes for
	// its id (its confirmation link), in one transaction. compose must not
	// use the store.
	AddGuest(ctx context.Context, g *GuestPlace, compose func(id int64) ([]Mail, error)) (int64, error)
	GuestByID(ctx context.Context, id int64) (*GuestPlace, error)
	// ConfirmGuest gives a pending place (made after since) a place on
	// the action, if one is free overall and in its role, with n, in one
	// transaction. ErrConflict: none is free; ErrNotFound: no such
	// pending place (confirmed, cancelled, expired).
	ConfirmGuest(ctx context.Context, id int64, since, now time.Time, n Notices) error
	// CancelGuest gives a guest's place up (pending or going) and promotes
	// whoever waits first (telling each what promoted holds for them);
	// ErrNotFound when it is not held.
	CancelGuest(ctx context.Context, id int64, now time.Time, n Notices, promoted map[int64]Notices) ([]int64, error)
	// ListGuests lists the confirmed guests of an action.
	ListGuests(ctx context.Context, itemID int64) ([]*GuestPlace, error)
	// ExpireGuests drops pending places made before before.
	ExpireGuests(ctx context.Context, before time.Time) (int, error)
	// EraseGuests erases the names and addresses of guests of actions
	// that ended before before.
	EraseGuests(ctx context.Context, before, now time.Time) (int, error)
}

// GuestPlacesOn reports whether people without an account can take a
// place: only with email, which confirms them.
func (s *Service) GuestPlacesOn() bool { return s.mailer != nil }

// guestToken signs a guest place's link for one purpose ("confirm",
// "cancel"), with a key made at first use and kept in the database. The
// links need no storage, and none can be made for another place.
func (s *Service) guestToken(ctx context.Context, id int64, purpose string) (string, error) {
	key, err := s.guestKey(ctx)
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
	return payload + "." + base64.RawURLEncoding.EncodeToString(guestMAC(key, purpose, payload)), nil
}

func guestMAC(key []byte, purpose, payload string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("hearth guest place v1\x00" + purpose + "\x00" + payload))
	return h.Sum(nil)[:16]
}

func (s *Service) guestKey(ctx context.Context) ([]byte, error) {
	c := s.guestKeys
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key != nil {
		return c.key, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	key, err := s.store.Secret(ctx, "guest_hmac", fresh)
	if err != nil {
		return nil, fmt.Errorf("instance: guest key: %w", err)
	}
	c.key = key
	return key, nil
}

// guestFromToken reads a signed link; a forged, damaged or spent one gives
// a *Problem "guestplace.bad_link".
func (s *Service) guestFromToken(ctx context.Context, token, purpose string) (*GuestPlace, error) {
	bad := problem(ErrNotFound, "guestplace.bad_link")
	payload, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil, bad
	}
	key, err := s.guestKey(ctx)
	if err != nil {
		return nil, err
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, guestMAC(key, purpose, payload)) {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, bad
	}
	id, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return nil, bad
	}
	g, err := s.store.GuestByID(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && g.Status == GuestCancelled) || (err == nil && g.Name == "") {
		return nil, bad
	}
	return g, err
}

// guestMember is who a guest's email is written to: not a member, in the
// instance's language.
func (s *Service) guestMember(g *GuestPlace) *Member {
	return &Member{DisplayName: g.Name, Email: g.Email, Language: s.lang}
}

// guestMail writes an email to a guest about their place, with its cancel
// link (transactional: it has no unsubscribe).
func (s *Service) guestMail(ctx context.Context, g *GuestPlace, it *Item, c MailContent) (*Mail, error) {
	cancel, err := s.guestToken(ctx, g.ID, "cancel")
	if err != nil {
		return nil, err
	}
	c.Before = append([]MailText{Say("mail.hello", g.Name)}, c.Before...)
	c.Before = append(c.Before, Say("guestplace.mail_when", it.Title, s.dayTime(s.lang, it.StartsAt), it.Place))
	c.After = append(c.After, Say("guestplace.mail_cancel", s.baseURL+"/guest-places/cancel?t="+cancel))
	return s.writeMail(ctx, s.guestMember(g), "", c)
}

// JoinAsGuest takes a place on a public action for someone without an
// account: name and email, a place (in a role, or none) that counts once
// confirmed by the link emailed to them. client is the caller's network
// (for the limits).
func (s *Service) JoinAsGuest(ctx context.Context, actionID int64, in GuestPlaceInput, client string) (*GuestPlace, error) {
	if !s.GuestPlacesOn() {
		return nil, problem(ErrConflict, "guestplace.off")
	}
	it, err := s.liveItem(ctx, actionID)
	if err != nil {
		return nil, err
	}
	if it.Kind != KindAction || !s.CanSee(nil, it) || it.Held || it.HiddenReason != "" {
		return nil, ErrNotFound
	}
	if it.State != StateScheduled || it.Happened(s.now()) {
		return nil, problem(ErrConflict, "action.not_open")
	}
	var v ValidationErrors
	name, fe := cleanText(in.Name, textRule{field: "guest_name", required: true, max: MaxDisplayName, name: true})
	v.add(fe)
	email, fe := CheckEmail("guest_email", in.Email, true)
	v.add(fe)
	g := &GuestPlace{ItemID: it.ID, Name: name, Email: strings.ToLower(email), Status: GuestPending, CreatedAt: s.now()}
	if in.Slot != 0 {
		for _, sl := range it.Slots {
			if sl.ID == in.Slot {
				g.SlotID, g.SlotName = sl.ID, sl.Name
			}
		}
		if g.SlotID == 0 {
			v.add(&FieldError{Field: "guest_slot", Code: "err.choice"})
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	full := it.Full()
	for _, sl := range it.Slots {
		full = full || (sl.ID == g.SlotID && sl.Full())
	}
	if full {
		return nil, problem(ErrConflict, "guestplace.full")
	}
	byClient, byEmail := "guest-client:"+client, "guest-email:"+g.Email
	if ok, err := s.allowAll(ctx, s.limits, byClient, guestsPerClient, byEmail, guestsPerEmail); err != nil {
		return nil, err
	} else if !ok {
		s.log.Warn("guest sign-ups throttled", "client", client, "action", it.ID)
		return nil, problem(ErrThrottled, "guestplace.throttled")
	}
	if err := s.failAll(ctx, s.limits, byClient, byEmail); err != nil {
		return nil, err
	}
	// The links are signed with the place's id, known only once it is
	// stored: the store asks for the email inside its transaction, so the
	// place and its confirmation exist together or not at all. The key is
	// loaded first, so composing touches no database.
	if _, err := s.guestKey(ctx); err != nil {
		return nil, err
	}
	g.ID, err = s.store.AddGuest(ctx, g, func(id int64) ([]Mail, error) {
		g.ID = id
		return s.guestConfirmation(ctx, g, it)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("guest place asked for", "action", it.ID, "guest", g.ID)
	return g, nil
}

// guestConfirmation is the email with a pending place's confirmation link.
func (s *Service) guestConfirmation(ctx context.Context, g *GuestPlace, it *Item) ([]Mail, error) {
	confirm, err := s.guestToken(ctx, g.ID, "confirm")
	if err != nil {
		return nil, err
	}
	mail, err := s.guestMail(ctx, g, it, MailContent{Subject: Say("guestplace.confirm_subject", it.Title),
		Before: []MailText{Say("guestplace.confirm_intro")}, Link: s.baseURL + "/guest-places/confirm?t=" + confirm,
		LinkText: Say("guestplace.confirm_link")})
	if err != nil || mail == nil {
		return nil, err
	}
	return []Mail{*mail}, nil
}

// GuestPlaceFor reads a guest's link for its page ("confirm" or
// "cancel"): the place and its action.
func (s *Service) GuestPlaceFor(ctx context.Context, token, purpose string) (*GuestPlace, *Item, error) {
	g, err := s.guestFromToken(ctx, token, purpose)
	if err != nil {
		return nil, nil, err
	}
	it, err := s.liveItem(ctx, g.ItemID)
	if err != nil {
		return nil, nil, err
	}
	return g, it, nil
}

// ConfirmGuest uses a confirmation link: the place counts from now, if
// one is still free; the organiser is told. A link used twice confirms
// once.
func (s *Service) ConfirmGuest(ctx context.Context, token string) (*GuestPlace, *Item, error) {
	g, it, err := s.GuestPlaceFor(ctx, token, "confirm")
	if err != nil {
		return nil, nil, err
	}
	if g.Status == GuestGoing {
		return g, it, nil
	}
	if it.State != StateScheduled || it.Happened(s.now()) {
		return nil, nil, problem(ErrConflict, "action.not_open")
	}
	n, err := s.tell(ctx, event{kind: NoteActionJoined, item: it, remote: g.Name}, it.AuthorID)
	if err != nil {
		return nil, nil, err
	}
	switch err := s.store.ConfirmGuest(ctx, g.ID, s.now().Add(-GuestConfirmWithin), s.now(), n); {
	case errors.Is(err, ErrConflict):
		return nil, nil, problem(ErrConflict, "guestplace.full")
	case errors.Is(err, ErrNotFound):
		return nil, nil, problem(ErrNotFound, "guestplace.expired")
	case err != nil:
		return nil, nil, err
	}
	g.Status = GuestGoing
	s.log.Info("guest place confirmed", "action", it.ID, "guest", g.ID)
	return g, it, nil
}

// CancelGuest uses a cancel link: the place is given up, the organiser
// told, and whoever waits first gets it.
func (s *Service) CancelGuest(ctx context.Context, token string) (*GuestPlace, *Item, error) {
	g, it, err := s.GuestPlaceFor(ctx, token, "cancel")
	if err != nil {
		return nil, nil, err
	}
	var n Notices
	if g.Status == GuestGoing {
		if n, err = s.tell(ctx, event{kind: NoteActionLeft, item: it, remote: g.Name}, it.AuthorID); err != nil {
			return nil, nil, err
		}
	}
	waiting, err := s.waitingNotices(ctx, it)
	if err != nil {
		return nil, nil, err
	}
	promoted, err := s.store.CancelGuest(ctx, g.ID, s.now(), n, waiting)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, problem(ErrNotFound, "guestplace.bad_link")
	}
	if err != nil {
		return nil, nil, err
	}
	if len(promoted) > 0 {
		s.log.Info("waiting list promoted", "action", it.ID, "members", promoted)
	}
	g.Status = GuestCancelled
	return g, it, nil
}

// Guests lists an action's confirmed guests for its organiser and
// coordinators (nil for anyone else).
func (s *Service) Guests(ctx context.Context, viewer *Member, it *Item) ([]*GuestPlace, error) {
	if it.Kind != KindAction || !s.CanManage(viewer, it) {
		return nil, nil
	}
	return s.store.ListGuests(ctx, it.ID)
}

// guestReminders are the emails reminding an action's guests that it is
// tomorrow, each with its cancel link.
func (s *Service) guestReminders(ctx context.Context, it *Item) ([]Mail, error) {
	if s.mailer == nil {
		return nil, nil
	}
	guests, err := s.store.ListGuests(ctx, it.ID)
	if err != nil {
		return nil, fmt.Errorf("instance: guests of action %d: %w", it.ID, err)
	}
	var out []Mail
	for _, g := range guests {
		m, err := s.guestMail(ctx, g, it, MailContent{Subject: Say("guestplace.reminder_subject", it.Title),
			Before: []MailText{Say("guestplace.reminder_intro")}, Link: it.Path(), LinkText: Say("guestplace.page_link")})
		if err != nil {
			return nil, err
		}
		if m != nil {
			out = append(out, *m)
		}
	}
	return out, nil
}

// guestCancellations are the emails telling an action's guests it was
// cancelled, with the organiser's reason.
func (s *Service) guestCancellations(ctx context.Context, it *Item, reason string) ([]Mail, error) {
	if s.mailer == nil {
		return nil, nil
	}
	guests, err := s.store.ListGuests(ctx, it.ID)
	if err != nil {
		return nil, fmt.Errorf("instance: guests of action %d: %w", it.ID, err)
	}
	var out []Mail
	for _, g := range guests {
		m, err := s.writeMail(ctx, s.guestMember(g), "", MailContent{Subject: Say("guestplace.cancelled_subject", it.Title),
			Before: []MailText{Say("mail.hello", g.Name), Say("guestplace.cancelled_intro", it.Title), Say("note.reason", reason)}})
		if err != nil {
			return nil, err
		}
		if m != nil {
			out = append(out, *m)
		}
	}
	return out, nil
}

// sweepGuests drops places not confirmed in time and erases guests'
// details purge_after_days after their action ended.
func (s *Service) sweepGuests(ctx context.Context, now time.Time) (int, error) {
	expired, err := s.store.ExpireGuests(ctx, now.Add(-GuestConfirmWithin))
	if err != nil {
		return 0, fmt.Errorf("instance: expire guest places: %w", err)
	}
	erased, err := s.store.EraseGuests(ctx, now.Add(-s.purge), now)
	if err != nil {
		return 0, fmt.Errorf("instance: erase guests: %w", err)
	}
	return expired + erased, nil
}

// GuestCancelLink is the path of a guest's cancel link, for the page that
// confirms their place.
func (s *Service) GuestCancelLink(ctx context.Context, g *GuestPlace) (string, error) {
	t, err := s.guestToken(ctx, g.ID, "cancel")
	if err != nil {
		return "", err
	}
	return "/guest-places/cancel?t=" + t, nil
}
