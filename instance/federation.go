package instance

import (
	"context"
	"strings"
	"time"
)

// The types below are what federation keeps about the rest of the
// fediverse. They live here (not in federation) so that instance/store can
// persist them without importing go-fed.

// RemoteActor is a cached actor on another server.
type RemoteActor struct {
	ID           string
	Type         string
	Username     string
	Host         string
	Name         string
	URL          string
	Inbox        string
	SharedInbox  string
	KeyID        string
	PublicKeyPEM string
	FetchedAt    time.Time
}

// Handle is @user@host for display.
func (a *RemoteActor) Handle() string {
	if a.Username == "" {
		return a.Host
	}
	return "@" + a.Username + "@" + a.Host
}

// Follower is a remote actor following one of our groups.
type Follower struct {
	ID          int64
	GroupID     int64
	ActorID     string
	Host        string
	Inbox       string
	SharedInbox string
	FollowID    string
	CreatedAt   time.Time
}

// Following is a remote group (or person) that one of our groups follows.
type Following struct {
	ID        int64
	GroupID   int64
	Address   string // user@host as the coordinator typed it
	ActorID   string
	Name      string
	FollowID  string
	State     FollowingState
	Error     string // why it failed: "unreachable" (still trying), "not_found"
	CreatedAt time.Time
}

// FollowingState is where one of our follows of a remote actor is.
type FollowingState string

// A follow is resolving (the address is being looked up), then pending
// (the Follow was sent) until accepted or rejected; it failed when the
// address could not be found or its server never answered, and is
// removing while the Undo is sent.
const (
	FollowingResolving FollowingState = "resolving"
	FollowingPending   FollowingState = "pending"
	FollowingAccepted  FollowingState = "accepted"
	FollowingRejected  FollowingState = "rejected"
	FollowingFailed    FollowingState = "failed"
	FollowingRemoving  FollowingState = "removing"
)

// Why a follow is failing (Following.Error).
const (
	FollowUnreachable = "unreachable"
	FollowNotFound    = "not_found"
)

// RemoteItem is a need, offer or action (or a plain post) published by a
// group we follow.
type RemoteItem struct {
	ID          int64
	APID        string
	Actor       string
	ActorName   string
	Kind        Kind // empty for a plain post
	Title       string
	ContentHTML string // sanitised at ingest
	Category    string
	Area        string
	State       string
	URL         string
	StartsAt    time.Time
	EndsAt      time.Time
	Place       string
	Published   time.Time
	Updated     time.Time
	Deleted     bool
	// Held items wait for a coordinator (they contained a hold word) and
	// are not listed.
	Held bool
	// Overflow: a neighbouring village offered us this need because
	// nobody there could help; members see it once a coordinator shared
	// it (SharedAt).
	Overflow bool
	SharedAt time.Time
}

// FollowingStore is what the neighbours features need from storage.
type FollowingStore interface {
	// AddFollowing records a follow request and queues it for the
	// federation worker (WebFinger lookup and the Follow happen there, so
	// the web request never waits on another server).
	AddFollowing(ctx context.Context, f *Following) error
	ListFollowing(ctx context.Context, groupID int64) ([]*Following, error)
	// RemoveFollowing queues an Undo{Follow} and forgets the follow.
	RemoveFollowing(ctx context.Context, id int64, now time.Time) error
	ListRemoteItems(ctx context.Context, limit int) ([]*RemoteItem, error)
	RemoteItemByID(ctx context.Context, id int64) (*RemoteItem, error)
	// AddNeighbourReply stores a member's answer and, unless it is held,
	// queues its delivery, in one transaction; it returns the answer's id.
	AddNeighbourReply(ctx context.Context, r *NeighbourReply) (int64, error)
	// HeldNeighbourReplies lists answers waiting for a coordinator.
	HeldNeighbourReplies(ctx context.Context) ([]*NeighbourReply, error)
	// ReleaseNeighbourReply sends a held answer; RemoveNeighbourReply
	// deletes one that never left. Both write log in the same transaction.
	ReleaseNeighbourReply(ctx context.Context, id int64, now time.Time, log *ModLog) error
	RemoveNeighbourReply(ctx context.Context, id int64, log *ModLog) error
}

// FollowGroup makes a local group follow a remote group given as
// @name@host (or name@host). Coordinators only.
func (s *Service) FollowGroup(ctx context.Context, by *Member, groupHandle, address string) (*Following, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	g, err := s.Group(ctx, groupHandle)
	if err != nil {
		return nil, err
	}
	addr, fe := cleanText(address, textRule{field: "address", required: true, max: 200})
	if fe != nil {
		return nil, fe
	}
	addr = strings.ToLower(strings.TrimPrefix(addr, "@"))
	user, host, ok := strings.Cut(addr, "@")
	if !ok || user == "" || host == "" || strings.ContainsAny(addr, " /?#") || strings.Contains(host, "@") {
		return nil, &FieldError{Field: "address", Code: "err.address_format"}
	}
	f := &Following{GroupID: g.ID, Address: addr, FollowID: "", State: FollowingResolving, CreatedAt: s.now()}
	if err := s.store.AddFollowing(ctx, f); err != nil {
		return nil, err
	}
	s.log.Info("group follow requested", "group", g.Handle, "address", addr, "by", by.Handle)
	return f, nil
}

// Following lists what a group follows.
func (s *Service) Following(ctx context.Context, g *Group) ([]*Following, error) {
	return s.store.ListFollowing(ctx, g.ID)
}

// Unfollow stops following a remote group. Coordinators only.
func (s *Service) Unfollow(ctx context.Context, by *Member, id int64) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	return s.store.RemoveFollowing(ctx, id, s.now())
}

// Neighbours lists what followed groups publish; members only.
func (s *Service) Neighbours(ctx context.Context, viewer *Member) ([]*RemoteItem, error) {
	if !viewer.Has(RoleMember) {
		return nil, ErrForbidden
	}
	return s.store.ListRemoteItems(ctx, 100)
}

// Neighbour returns one item from a followed group.
func (s *Service) Neighbour(ctx context.Context, viewer *Member, id int64) (*RemoteItem, error) {
	if !viewer.Has(RoleMember) {
		return nil, ErrForbidden
	}
	it, err := s.store.RemoteItemByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if it.Deleted {
		return nil, ErrGone
	}
	if (it.Held || (it.Overflow && it.SharedAt.IsZero())) && !viewer.IsCoordinator() {
		return nil, ErrNotFound // held, or offered to us and not yet shared with members
	}
	return it, nil
}

// AnswerNeighbour sends a member's "I can help" (or any answer) to a
// neighbour's item as a reply. Like a local reply, an answer with a hold
// word waits for a coordinator (Held is then true) and leaves only when
// released.
func (s *Service) AnswerNeighbour(ctx context.Context, by *Member, id int64, body string) (*NeighbourReply, error) {
	it, err := s.Neighbour(ctx, by, id)
	if err != nil {
		return nil, err
	}
	body, fe := cleanText(body, textRule{field: "body", required: true, max: MaxResponse, multiline: true})
	if fe == nil {
		fe = replyLimits("body", body)
	}
	if fe != nil {
		return nil, fe
	}
	r := &NeighbourReply{Item: it, MemberID: by.ID, MemberName: by.DisplayName, Body: body, CreatedAt: s.now(), Held: s.holdFor(body)}
	if r.ID, err = s.store.AddNeighbourReply(ctx, r); err != nil {
		return nil, err
	}
	if r.Held {
		s.log.Info("answer to a neighbour held for review", "answer", r.ID, "neighbour_item", it.ID, "member", by.Handle)
	}
	return r, nil
}
