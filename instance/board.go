package instance

import (
	"context"
	"fmt"
)

// BoardLimit is how many posts of each kind a printed noticeboard shows:
// about a page of A4 with the other kinds.
const BoardLimit = 8

// Noticeboard is what a printed noticeboard shows: the open needs and
// offers and the upcoming actions of a group (or of the whole village),
// without anything private.
type Noticeboard struct {
	// Group is the group it is for; nil for the whole village.
	Group                  *Group
	Needs, Offers, Actions []*Item
	// More says there are more of a kind than the board has room for.
	MoreNeeds, MoreOffers, MoreActions bool
	// MembersOnly says some of its posts are not public: the sheet is for
	// a members' noticeboard, not a shop window.
	MembersOnly bool
}

// Empty reports whether the board has no post at all.
func (b *Noticeboard) Empty() bool {
	return len(b.Needs)+len(b.Offers)+len(b.Actions) == 0
}

// Noticeboard gathers a noticeboard for a viewer: visitors get public
// posts only, members those they may see, unless publicOnly asks for a
// sheet anyone may read. A board is pinned up where anyone passes, so it
// never carries an address, a contact, a phone number or anyone's name
// (not the requester's, not who posted for them, not a helper's), whoever
// prints it. group "" is the whole village.
func (s *Service) Noticeboard(ctx context.Context, viewer *Member, group string, publicOnly bool) (*Noticeboard, error) {
	b := &Noticeboard{}
	f := ItemFilter{Current: true, Limit: BoardLimit + 1}
	if group != "" {
		g, err := s.Group(ctx, group)
		if err != nil {
			return nil, err
		}
		b.Group, f.GroupID = g, g.ID
	}
	if publicOnly {
		viewer = nil
	}
	var err error
	list := func(kind Kind, upcoming bool, more *bool) []*Item {
		if err != nil {
			return nil
		}
		kf := f
		kf.Kind, kf.Upcoming = kind, upcoming
		var items []*Item
		if items, err = s.Items(ctx, viewer, kf); err != nil {
			err = fmt.Errorf("instance: noticeboard %ss: %w", kind, err)
			return nil
		}
		if len(items) > BoardLimit {
			items, *more = items[:BoardLimit], true
		}
		for _, it := range items {
			boardCopy(it)
			b.MembersOnly = b.MembersOnly || it.Visibility != VisibilityPublic
		}
		return items
	}
	b.Needs = list(KindNeed, false, &b.MoreNeeds)
	b.Offers = list(KindOffer, false, &b.MoreOffers)
	b.Actions = list(KindAction, true, &b.MoreActions)
	return b, err
}

// boardCopy clears what a noticeboard never shows.
func boardCopy(it *Item) {
	it.Address, it.Contact, it.OnBehalfName, it.OnBehalfPhone = "", "", "", ""
	it.AuthorID, it.Author, it.AuthorHandle = 0, "", ""
	it.ClaimedBy, it.ClaimedByName, it.TakenBy, it.TakenByName = 0, "", 0, ""
}

// PlacesLeft is how many places an action with a limit (Capacity > 0)
// still has; 0 when it is full.
func (i *Item) PlacesLeft() int { return max(i.Capacity-i.Going, 0) }
