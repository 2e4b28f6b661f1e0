package instance

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Overflow to neighbouring villages (issue 17 point 4). A group names
// trusted neighbours among the groups it follows that follow it back. A
// need whose requester agreed ("Share with … if no one here can help?")
// and that nobody here offered to help with after the overflow delay of
// its category is offered to those neighbours (never a sensitive one,
// unless the neighbour is trusted for sensitive categories too). The
// sweep records the offer, with a federation event, in one transaction;
// the federation worker sends it, and withdraws it (a Delete) as soon as
// the need is claimed, closed, done, deleted or the requester says no:
// every change of the need's row queues that check (store.fedEvent).
// Only what a public copy of the need would carry leaves: never the
// address, the contact or the on-behalf name and phone.

// TrustedNeighbour is a remote group one of ours offers needs to.
type TrustedNeighbour struct {
	ID        int64
	GroupID   int64
	ActorID   string
	Name      string
	Sensitive bool // trusted with needs in sensitive categories too
	CreatedAt time.Time
}

// OverflowState is where the offer of a need to one neighbour stands.
type OverflowState string

// An offer is queued (the worker has not sent it), sent, then withdrawn.
const (
	OverflowQueued    OverflowState = "queued"
	OverflowSent      OverflowState = "sent"
	OverflowWithdrawn OverflowState = "withdrawn"
)

// Overflow is a need offered to one neighbour.
type Overflow struct {
	ID          int64
	ItemID      int64
	ActorID     string
	Name        string
	State       OverflowState
	CreatedAt   time.Time
	WithdrawnAt time.Time
}

// SubjectOverflow is the federation event of a need's offers to its
// neighbours: send the queued ones, or withdraw the sent ones.
const SubjectOverflow EventSubject = "overflow"

// OverflowStore is what overflow keeps.
type OverflowStore interface {
	// MutualNeighbours lists a group's accepted follows of remote actors
	// that follow the group back.
	MutualNeighbours(ctx context.Context, groupID int64) ([]*Following, error)
	// TrustedNeighbours lists a group's trusted neighbours that are still
	// mutual (a neighbour that stopped following, or that we stopped
	// following, is not offered anything).
	TrustedNeighbours(ctx context.Context, groupID int64) ([]*TrustedNeighbour, error)
	SaveTrustedNeighbour(ctx context.Context, n *TrustedNeighbour) error
	RemoveTrustedNeighbour(ctx context.Context, groupID int64, actorID string) error
	// OverflowCandidates lists open needs of groups with a trusted
	// neighbour, with the requester's consent, not yet offered, with no
	// offer of help, created at or before createdBefore, after afterID in
	// id order.
	OverflowCandidates(ctx context.Context, createdBefore time.Time, afterID int64, limit int) ([]*Item, error)
	// ApplyOverflow records the offers (queued) and their federation
	// event and n, in one transaction, if the need is still a candidate
	// created at or before createdBefore.
	ApplyOverflow(ctx context.Context, itemID int64, createdBefore time.Time, to []*Overflow, now time.Time, n Notices) (bool, error)
	// SetOverflowConsent records the requester's answer (a no withdraws
	// what was sent, through the federation event it queues).
	SetOverflowConsent(ctx context.Context, itemID int64, consent bool, now time.Time) error
	ItemOverflows(ctx context.Context, itemID int64) ([]*Overflow, error)
	// OverflowSentTo reports whether a need's offer reached (and was not
	// withdrawn from) a neighbour on host.
	OverflowSentTo(ctx context.Context, itemID int64, host string) (bool, error)

	// The receiving side: neighbours' needs offered to us.
	NearbyNeeds(ctx context.Context, limit int) ([]*RemoteItem, error)
	ShareNearbyNeed(ctx context.Context, id int64, now time.Time, log *ModLog) error
}

// Overflows reports whether a need may be (or stay) offered to
// neighbours: open, the requester agreed, and live.
func (i *Item) Overflows() bool {
	return i.Kind == KindNeed && i.State == StateOpen && i.OverflowConsent && !i.Deleted() && !i.Held && i.HiddenReason == ""
}

// MainGroup is the village group (the instance itself).
func (s *Service) MainGroup(ctx context.Context) (*Group, error) { return s.mainGroup(ctx) }

// OverflowAfter is how long a need of the category waits for an offer of
// help here before it is offered to neighbours.
func (s *Service) OverflowAfter(category string) time.Duration {
	if c, ok := s.category(category); ok && c.OverflowAfter > 0 {
		return c.OverflowAfter
	}
	return s.overflowAfter
}

// MutualNeighbours lists the groups that g follows and that follow g
// back, each with whether it is trusted (and for sensitive needs).
// Coordinators only.
func (s *Service) MutualNeighbours(ctx context.Context, by *Member, g *Group) ([]*Following, []*TrustedNeighbour, error) {
	if err := s.MayManageGroups(by); err != nil {
		return nil, nil, err
	}
	mutual, err := s.store.MutualNeighbours(ctx, g.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("instance: neighbours of group %s: %w", g.Handle, err)
	}
	trusted, err := s.store.TrustedNeighbours(ctx, g.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("instance: trusted neighbours of group %s: %w", g.Handle, err)
	}
	return mutual, trusted, nil
}

// NeighbourNames lists the names of a group's trusted neighbours, for
// the requester's question ("Share with Nether Wittering …?"). Members
// only.
func (s *Service) NeighbourNames(ctx context.Context, by *Member, groupID int64) ([]string, error) {
	if !by.Has(RoleMember) {
		return nil, ErrForbidden
	}
	trusted, err := s.store.TrustedNeighbours(ctx, groupID)
	if err != nil {
		return nil, fmt.Errorf("instance: trusted neighbours of group %d: %w", groupID, err)
	}
	names := make([]string, 0, len(trusted))
	for _, t := range trusted {
		names = append(names, t.Name)
	}
	return names, nil
}

// TrustLevel is a coordinator's choice for one neighbour.
type TrustLevel string

// Not trusted, trusted with needs, trusted with sensitive needs too.
const (
	TrustNone      TrustLevel = "none"
	TrustNeeds     TrustLevel = "needs"
	TrustSensitive TrustLevel = "sensitive"
)

// TrustNeighbour sets how far a group trusts a neighbour: only a group it
// follows that follows it back can be trusted. Coordinators only.
func (s *Service) TrustNeighbour(ctx context.Context, by *Member, groupHandle, actorID string, level TrustLevel) error {
	if err := s.MayManageGroups(by); err != nil {
		return err
	}
	g, err := s.Group(ctx, groupHandle)
	if err != nil {
		return err
	}
	if level == TrustNone {
		if err := s.store.RemoveTrustedNeighbour(ctx, g.ID, actorID); err != nil {
			return fmt.Errorf("instance: stop trusting %s for group %s: %w", actorID, g.Handle, err)
		}
		s.log.Info("neighbour no longer trusted", "group", g.Handle, "actor", actorID, "by", actorName(by))
		return nil
	}
	if level != TrustNeeds && level != TrustSensitive {
		return &FieldError{Field: "trust", Code: "err.choice"}
	}
	mutual, err := s.store.MutualNeighbours(ctx, g.ID)
	if err != nil {
		return fmt.Errorf("instance: neighbours of group %s: %w", g.Handle, err)
	}
	for _, fo := range mutual {
		if fo.ActorID == actorID {
			n := &TrustedNeighbour{GroupID: g.ID, ActorID: actorID, Name: fo.Name, Sensitive: level == TrustSensitive, CreatedAt: s.now()}
			if n.Name == "" {
				n.Name = fo.Address
			}
			if err := s.store.SaveTrustedNeighbour(ctx, n); err != nil {
				return fmt.Errorf("instance: trust %s for group %s: %w", actorID, g.Handle, err)
			}
			s.log.Info("neighbour trusted", "group", g.Handle, "actor", actorID, "sensitive", n.Sensitive, "by", actorName(by))
			return nil
		}
	}
	return problem(ErrConflict, "overflow.not_mutual")
}

// SetOverflowConsent records the requester's answer to "Share with …
// if no one here can help?" on an open need. Saying no withdraws a need
// already offered. The requester (or whoever manages the need) only.
func (s *Service) SetOverflowConsent(ctx context.Context, by *Member, needID int64, consent bool) error {
	it, err := s.needFor(ctx, by, needID, false)
	if err != nil {
		return err
	}
	if consent && it.State != StateOpen {
		return problem(ErrConflict, "need.state_changed")
	}
	if err := s.store.SetOverflowConsent(ctx, it.ID, consent, s.now()); err != nil {
		return err
	}
	s.log.Info("overflow consent", "need", it.ID, "consent", consent, "by", by.Handle)
	return nil
}

// NeedOverflows lists where a need was offered (its requester and
// coordinators see it on the need's page).
func (s *Service) NeedOverflows(ctx context.Context, by *Member, it *Item) ([]*Overflow, error) {
	if !s.CanManage(by, it) {
		return nil, nil
	}
	return s.store.ItemOverflows(ctx, it.ID)
}

// sweepOverflow offers needs that waited long enough to the trusted
// neighbours of their group; it returns how many needs it offered.
func (s *Service) sweepOverflow(ctx context.Context, now time.Time) (int, error) {
	shortest := s.overflowAfter
	for _, c := range s.cats {
		if c.OverflowAfter > 0 && c.OverflowAfter < shortest {
			shortest = c.OverflowAfter
		}
	}
	done := 0
	neighbours := map[int64][]*TrustedNeighbour{}
	var after int64
	for {
		items, err := s.store.OverflowCandidates(ctx, now.Add(-shortest), after, sweepBatch)
		if err != nil {
			return done, err
		}
		for _, it := range items {
			after = it.ID
			before := now.Add(-s.OverflowAfter(it.Category))
			if it.CreatedAt.After(before) {
				continue // its category waits longer
			}
			trusted, ok := neighbours[it.GroupID]
			if !ok {
				if trusted, err = s.store.TrustedNeighbours(ctx, it.GroupID); err != nil {
					return done, err
				}
				neighbours[it.GroupID] = trusted
			}
			var to []*Overflow
			sensitive := s.Sensitive(it)
			for _, t := range trusted {
				if sensitive && !t.Sensitive {
					continue
				}
				to = append(to, &Overflow{ItemID: it.ID, ActorID: t.ActorID, Name: t.Name, State: OverflowQueued, CreatedAt: now})
			}
			if len(to) == 0 {
				continue // nobody to offer it to (yet)
			}
			names := make([]string, len(to))
			for i, o := range to {
				names[i] = o.Name
			}
			n, err := s.tell(ctx, event{kind: NoteOverflowed, item: it, remote: clipText(strings.Join(names, ", "), 200)}, it.AuthorID)
			if err != nil {
				return done, err
			}
			ok, err = s.store.ApplyOverflow(ctx, it.ID, before, to, now, n)
			if err != nil {
				return done, err
			}
			if ok {
				done++
				s.log.Info("need offered to neighbours", "need", it.ID, "neighbours", len(to), "category", it.Category)
			}
		}
		if len(items) < sweepBatch {
			return done, nil
		}
	}
}

// NearbyNeeds lists needs that neighbouring villages offered to us, for
// coordinators ("Needs from nearby").
func (s *Service) NearbyNeeds(ctx context.Context, by *Member) ([]*RemoteItem, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	return s.store.NearbyNeeds(ctx, 100)
}

// ShareNearbyNeed shows a neighbour's offered need to our members, under
// Other villages, where they can answer it. Coordinators only; logged.
func (s *Service) ShareNearbyNeed(ctx context.Context, by *Member, id int64) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	it, err := s.store.RemoteItemByID(ctx, id)
	if err != nil {
		return err
	}
	if !it.Overflow || it.Deleted {
		return ErrNotFound
	}
	if !it.SharedAt.IsZero() {
		return nil
	}
	l := s.modLog(by, "share nearby need", fmt.Sprintf("neighbour post %d", id), "", 0)
	if err := s.store.ShareNearbyNeed(ctx, id, s.now(), l); err != nil {
		return fmt.Errorf("instance: share nearby need %d: %w", id, err)
	}
	s.log.Info("nearby need shared with members", "neighbour_item", id, "by", actorName(by))
	return nil
}

// AcceptRemoteHelper accepts a neighbouring village's helper, who offered
// help with a reply to a need offered to their village: the need is
// claimed for them (they have no account here, so the claim does not
// lapse; the requester marks it done or releases them), and the offer to
// the neighbours is withdrawn. The requester (or a coordinator) only.
func (s *Service) AcceptRemoteHelper(ctx context.Context, by *Member, needID, responseID int64) error {
	it, err := s.needFor(ctx, by, needID, false)
	if err != nil {
		return err
	}
	r, err := s.store.ResponseByID(ctx, responseID)
	if err != nil {
		return err
	}
	if r.ItemID != it.ID || r.RemoteActor == "" || r.Deleted || r.Removed || r.Held {
		return ErrNotFound
	}
	ok, err := s.store.OverflowSentTo(ctx, it.ID, hostOfActor(r.RemoteActor))
	if err != nil {
		return err
	}
	if !ok {
		return problem(ErrConflict, "overflow.not_offered")
	}
	name := r.Author
	if r.AuthorHandle != "" {
		name = r.Author + " (" + r.AuthorHandle + ")"
	}
	return s.transition(ctx, it, []ItemState{StateOpen}, ItemChange{State: StateClaimed, SetClaim: true, RemoteClaim: r.RemoteActor,
		RemoteClaimName: clipText(name, 200)}, "need.taken")
}

// MayAcceptRemote reports whether the viewer may choose a remote reply's
// author as the helper of a need (the need page shows the button).
func (s *Service) MayAcceptRemote(ctx context.Context, by *Member, it *Item, r *Response) bool {
	if !s.CanManage(by, it) || it.Kind != KindNeed || it.State != StateOpen || r.RemoteActor == "" || r.Held || r.Deleted || r.Removed {
		return false
	}
	ok, err := s.store.OverflowSentTo(ctx, it.ID, hostOfActor(r.RemoteActor))
	return err == nil && ok
}

func hostOfActor(actor string) string {
	u, err := url.Parse(actor)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
