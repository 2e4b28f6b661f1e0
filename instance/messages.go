package instance

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Message is one private message on a need, between its requester (or the
// coordinator who posted it for a neighbour), the accepted helper and
// coordinators. Messages never leave the instance: they are in no
// federated document, no activity and no email.
type Message struct {
	ID       int64
	ItemID   int64
	AuthorID int64
	Author   string
	// HelperID is the helper whose claim it was written in: a thread is
	// between the requester and one helper, and a later helper never
	// reads what was said to an earlier one (nor the other way round).
	HelperID  int64
	Body      string
	Held      bool // waiting for a coordinator (a hold word)
	CreatedAt time.Time
}

// MessageStore keeps private messages.
type MessageStore interface {
	// AddMessage stores a message with its notices, in one transaction.
	AddMessage(ctx context.Context, m *Message, n Notices) (int64, error)
	ListMessages(ctx context.Context, itemID int64) ([]*Message, error)
	MessageByID(ctx context.Context, id int64) (*Message, error)
	// ReleaseMessage lets a held message through, with its notices;
	// ErrConflict when it is not held.
	ReleaseMessage(ctx context.Context, id int64, now time.Time, n Notices) error
	// WasHelper reports whether the member's offer of help on the item was
	// ever accepted (it is accepted, or was released).
	WasHelper(ctx context.Context, itemID, memberID int64) (bool, error)
}

// MessageGrace is how long after a need is done its helper may still
// write in its private thread (to say thank you, to return a key); then
// the thread is read-only for them.
const MessageGrace = 7 * 24 * time.Hour

// PrivateThread is a need's private messages as one viewer may see them.
type PrivateThread struct {
	Messages []*Message
	// CanWrite says the viewer may send one now; Closed says why not
	// ("message.closed_helper": their part ended).
	CanWrite bool
	Closed   string
}

// HelperContact is how the requester (or coordinator) reaches the
// accepted helper: what the helper chose on their profile.
type HelperContact struct {
	Name       string
	Preference ContactPreference
	Phone      string
	Email      string
}

// threadOpen reports whether the need's private thread takes new messages:
// while a helper's claim holds, and for MessageGrace after it is done.
func (s *Service) threadOpen(it *Item) bool {
	now := s.now()
	switch it.State {
	case StateClaimed:
		return it.ClaimedBy != 0 && now.Before(it.ClaimExpiresAt)
	case StateDone:
		return it.ClaimedBy != 0 && now.Before(it.UpdatedAt.Add(MessageGrace))
	}
	return false
}

// canReadThread: the requester (or whoever posted the need for a
// neighbour), coordinators always (safeguarding), and anyone who was the
// accepted helper (read-only once their part ended).
func (s *Service) canReadThread(ctx context.Context, m *Member, it *Item) (bool, error) {
	if it.Kind != KindNeed || !m.Has(RoleMember) {
		return false, nil
	}
	if m.ID == it.AuthorID || m.IsCoordinator() || (it.ClaimedBy == m.ID && it.ClaimedBy != 0) {
		return true, nil
	}
	ok, err := s.store.WasHelper(ctx, it.ID, m.ID)
	if err != nil {
		return false, fmt.Errorf("instance: was member %d a helper on need %d: %w", m.ID, it.ID, err)
	}
	return ok, nil
}

// canWriteThread: while the thread is open, its requester, coordinators,
// and the helper whose claim it is.
func (s *Service) canWriteThread(m *Member, it *Item) bool {
	if !s.threadOpen(it) || !m.Has(RoleMember) {
		return false
	}
	return m.ID == it.AuthorID || m.IsCoordinator() || m.ID == it.ClaimedBy
}

// MessageThread returns a need's private thread for a viewer, or nil when
// they may not read it. A held message is shown only to its author and
// coordinators until it is released.
func (s *Service) MessageThread(ctx context.Context, viewer *Member, it *Item) (*PrivateThread, error) {
	ok, err := s.canReadThread(ctx, viewer, it)
	if err != nil || !ok {
		return nil, err
	}
	all, err := s.store.ListMessages(ctx, it.ID)
	if err != nil {
		return nil, fmt.Errorf("instance: messages of need %d: %w", it.ID, err)
	}
	t := &PrivateThread{CanWrite: s.canWriteThread(viewer, it)}
	everything := viewer.ID == it.AuthorID || viewer.IsCoordinator()
	for _, m := range all {
		if !everything && m.HelperID != viewer.ID {
			continue
		}
		if !m.Held || m.AuthorID == viewer.ID || viewer.IsCoordinator() {
			t.Messages = append(t.Messages, m)
		}
	}
	// Without a helper yet, there is nobody to write to: the thread shows
	// only once there is.
	if len(t.Messages) == 0 && !t.CanWrite {
		return nil, nil
	}
	if !t.CanWrite {
		t.Closed = "message.closed"
	}
	return t, nil
}

// messageParties are who hear of a message on a need: its requester (the
// poster) and its helper; the writer is left out by tell.
func messageParties(it *Item) []int64 {
	return []int64{it.AuthorID, it.ClaimedBy}
}

// SendMessage writes a private message on a need. Messages follow the
// rules of replies (length, links, mentions, hold words, the hourly
// limit); a held one tells only coordinators until one releases it.
func (s *Service) SendMessage(ctx context.Context, by *Member, needID int64, body string) (*Message, error) {
	it, err := s.liveItem(ctx, needID)
	if err != nil {
		return nil, err
	}
	if err := requireKind(it, KindNeed); err != nil {
		return nil, err
	}
	ok, err := s.canReadThread(ctx, by, it)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrForbidden
	}
	if !s.canWriteThread(by, it) {
		return nil, problem(ErrConflict, "message.closed")
	}
	body, fe := cleanText(body, textRule{field: "message_body", required: true, max: MaxResponse, multiline: true})
	if fe == nil {
		fe = replyLimits("message_body", body)
	}
	if fe != nil {
		return nil, fe
	}
	count, err := s.rateLimit(ctx, by, "response")
	if err != nil {
		return nil, err
	}
	m := &Message{ItemID: it.ID, AuthorID: by.ID, Author: by.DisplayName, HelperID: it.ClaimedBy, Body: body, Held: s.holdFor(body), CreatedAt: s.now()}
	var n Notices
	if m.Held {
		n, err = s.tellCoordinators(ctx, event{kind: NoteMessageHeld, item: it, by: by})
	} else {
		n, err = s.tell(ctx, event{kind: NoteMessage, item: it, by: by}, messageParties(it)...)
	}
	if err != nil {
		return nil, err
	}
	if m.ID, err = s.store.AddMessage(ctx, m, n); err != nil {
		return nil, err
	}
	count()
	s.log.Info("private message sent", "need", it.ID, "by", by.Handle, "held", m.Held)
	return m, nil
}

// ReleaseMessage lets a held message through (coordinators), and tells
// the others as if it had just been sent.
func (s *Service) ReleaseMessage(ctx context.Context, by *Member, id int64) (*Message, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	m, err := s.store.MessageByID(ctx, id)
	if err != nil {
		return nil, err
	}
	it, err := s.liveItem(ctx, m.ItemID)
	if err != nil {
		return nil, err
	}
	writer, err := s.store.MemberByID(ctx, m.AuthorID)
	if err != nil {
		return nil, err
	}
	n, err := s.tell(ctx, event{kind: NoteMessage, item: it, by: writer}, messageParties(it)...)
	if err != nil {
		return nil, err
	}
	if err := s.store.ReleaseMessage(ctx, id, s.now(), n); err != nil {
		return nil, err
	}
	s.log.Info("held private message released", "message", id, "need", it.ID, "by", by.Handle)
	return m, nil
}

// HelperContact returns how to reach the accepted helper, for the
// requester and coordinators while the claim holds (nil otherwise): what
// the helper chose on their profile, a phone number, an email address, or
// messages on the site.
func (s *Service) HelperContact(ctx context.Context, viewer *Member, it *Item) (*HelperContact, error) {
	if it.Kind != KindNeed || it.State != StateClaimed || it.ClaimedBy == 0 || !s.CanManage(viewer, it) || !s.now().Before(it.ClaimExpiresAt) {
		return nil, nil
	}
	h, err := s.store.MemberByID(ctx, it.ClaimedBy)
	if err != nil {
		return nil, fmt.Errorf("instance: helper %d of need %d: %w", it.ClaimedBy, it.ID, err)
	}
	c := &HelperContact{Name: h.DisplayName, Preference: h.ContactPreference}
	switch h.ContactPreference {
	case ContactPhone:
		c.Phone = strings.TrimSpace(h.Phone)
	case ContactEmail:
		c.Email = h.Email
	}
	if c.Phone == "" && c.Email == "" {
		c.Preference = ContactSite
	}
	return c, nil
}
