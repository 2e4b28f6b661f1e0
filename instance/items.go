package instance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrGone means the item was deleted: its URL answers "this was removed".
var ErrGone = errors.New("gone")

// Categories returns the configured categories.
func (s *Service) Categories() []Category { return s.cats }

// DefaultVisibility is preselected on new items of a kind. A need starts
// as village only, whatever [items] default_visibility says: it is often
// about someone's health or home, and only the requester should decide to
// show it to the world. Offers and actions start as configured.
func (s *Service) DefaultVisibility(k Kind) Visibility {
	if k == KindNeed {
		return VisibilityVillage
	}
	return s.defVis
}

// Location is the instance's time zone.
func (s *Service) Location() *time.Location { return s.loc }

func (s *Service) category(name string) (Category, bool) {
	for _, c := range s.cats {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Category{}, false
}

// Sensitive reports whether an item's category needs a verified helper.
func (s *Service) Sensitive(it *Item) bool {
	c, _ := s.category(it.Category)
	return c.Sensitive
}

// CanSee reports whether a viewer (nil for a visitor) may see an item.
func (s *Service) CanSee(viewer *Member, it *Item) bool {
	return it.Visibility == VisibilityPublic || viewer.Has(RoleMember)
}

// CanManage reports whether a member may edit, close or delete an item:
// its author (the requester, or whoever posted on a neighbour's behalf) or
// a coordinator.
func (s *Service) CanManage(m *Member, it *Item) bool {
	return m.Has(RoleMember) && (m.ID == it.AuthorID || m.IsCoordinator())
}

// CanSeePrivate reports whether a member may see a need's exact address
// and contact details: the requester, coordinators, and the accepted helper
// while the claim holds. Nobody else, and no federated copy, ever does.
func (s *Service) CanSeePrivate(m *Member, it *Item) bool {
	if !m.Has(RoleMember) {
		return false
	}
	if s.CanManage(m, it) {
		return true
	}
	return it.Kind == KindNeed && it.State == StateClaimed && it.ClaimedBy == m.ID && s.now().Before(it.ClaimExpiresAt)
}

// ExpiresSoon reports whether an open need is close enough to closing by
// itself that its requester should be asked "is it still needed?" (the
// reminder period before it expires): not a minute after posting it.
func (s *Service) ExpiresSoon(it *Item) bool {
	return it.Kind == KindNeed && it.State == StateOpen && it.ExpiresAt.Sub(s.now()) <= s.remind
}

// ClaimLapsed reports whether a need's claim has run out (before the
// sweeper has reopened it): its helper can then only withdraw.
func (s *Service) ClaimLapsed(it *Item) bool {
	return it.State == StateClaimed && !s.now().Before(it.ClaimExpiresAt)
}

// claimWarning is how long before a claim lapses its helper is warned
// (NoteClaimLapsing).
const claimWarning = 24 * time.Hour

// ClaimLapsing reports whether a need's claim runs out within
// claimWarning (its helper has been told): their page then offers more
// time beside their next step, where the warning links.
func (s *Service) ClaimLapsing(it *Item) bool {
	return it.Kind == KindNeed && it.State == StateClaimed && !s.ClaimLapsed(it) && it.ClaimExpiresAt.Sub(s.now()) <= claimWarning
}

// ClaimPeriod is how long a claim lasts before it must be renewed.
func (s *Service) ClaimPeriod() time.Duration { return s.lapse }

// NeedPeriod is how long a need stays open before it must be renewed.
func (s *Service) NeedPeriod() time.Duration { return s.expiry }

// CanClaim says whether a member may offer to help with (and be accepted
// for) a need, and if not, the catalogue code saying why.
func (s *Service) CanClaim(m *Member, it *Item) (bool, string) {
	switch {
	case !m.Has(RoleMember):
		return false, "need.sign_in_to_help"
	case m.ID == it.AuthorID:
		return false, "need.own"
	case s.Sensitive(it) && !m.Has(RoleVerifiedHelper):
		return false, "need.verified_only"
	case m.OnBreak:
		return false, "need.on_break"
	}
	return true, ""
}

func (s *Service) cleanItem(ctx context.Context, by *Member, in *ItemInput, editing *Item) (*itemFields, error) {
	var v ValidationErrors
	var fe *FieldError
	f := &itemFields{}
	f.title, fe = cleanText(in.Title, textRule{field: "title", required: true, max: MaxTitle})
	v.add(fe)
	f.description, fe = cleanText(in.Description, textRule{field: "description", max: MaxDescription, multiline: true})
	v.add(fe)
	catRequired := in.Kind != KindAction
	if c, ok := s.category(strings.TrimSpace(in.Category)); ok {
		f.category = c.Name
	} else if catRequired || strings.TrimSpace(in.Category) != "" {
		v.add(&FieldError{Field: "category", Code: "err.choice"})
	}
	f.area, fe = cleanText(in.Area, textRule{field: "area", required: in.Kind == KindNeed, max: MaxArea})
	v.add(fe)
	switch Visibility(in.Visibility) {
	case VisibilityPublic, VisibilityFollowers, VisibilityVillage:
		f.visibility = Visibility(in.Visibility)
	case "":
		if editing != nil {
			f.visibility = editing.Visibility // an edit that does not say keeps it
		} else {
			f.visibility = s.DefaultVisibility(in.Kind)
		}
	default:
		v.add(&FieldError{Field: "visibility", Code: "err.choice"})
	}
	today := startOfDay(s.now().In(s.loc))
	switch in.Kind {
	case KindNeed:
		f.neededBy, fe = parseDate("needed_by", in.NeededBy, s.loc, false)
		if fe == nil && !f.neededBy.IsZero() && f.neededBy.Before(today) && (editing == nil || !f.neededBy.Equal(editing.NeededBy)) {
			fe = &FieldError{Field: "needed_by", Code: "err.date_past"}
		}
		v.add(fe)
		f.address, fe = cleanText(in.Address, textRule{field: "address", max: MaxPrivate, multiline: true})
		v.add(fe)
		f.contact, fe = cleanText(in.Contact, textRule{field: "contact", max: MaxPrivate, multiline: true})
		v.add(fe)
		if in.OnBehalf {
			if !by.CanPostOnBehalf() {
				v.add(&FieldError{Field: "on_behalf", Code: "err.on_behalf_not_allowed"})
			}
			f.onBehalfName, fe = cleanText(in.OnBehalfName, textRule{field: "on_behalf_name", required: true, max: MaxDisplayName, name: true})
			v.add(fe)
			f.onBehalfPhone, fe = cleanText(in.OnBehalfPhone, textRule{field: "on_behalf_phone", max: MaxPhone})
			v.add(fe)
		}
	case KindOffer:
		f.availableUntil, fe = parseDate("available_until", in.AvailableUntil, s.loc, false)
		if fe == nil && !f.availableUntil.IsZero() && f.availableUntil.Before(today) && (editing == nil || !f.availableUntil.Equal(editing.AvailableUntil)) {
			fe = &FieldError{Field: "available_until", Code: "err.date_past"}
		}
		v.add(fe)
	case KindAction:
		var ok bool
		f.startsAt, f.endsAt, ok = actionTimes(&v, in, s.loc)
		if ok && !f.endsAt.After(f.startsAt) {
			v.add(&FieldError{Field: "end_time", Code: "err.end_before_start"})
		}
		if ok && f.startsAt.Before(s.now()) && (editing == nil || !f.startsAt.Equal(editing.StartsAt)) {
			v.add(&FieldError{Field: "start_date", Code: "err.date_past"})
		}
		f.place, fe = cleanText(in.Place, textRule{field: "place", required: true, max: MaxPlace})
		v.add(fe)
		f.capacity, fe = parseCount("capacity", in.Capacity, 0, MaxCapacity, false)
		v.add(fe)
		f.slots = cleanSlots(&v, in.Slots, editing)
		if editing == nil && ok {
			f.repeat = cleanRepeat(&v, in.Repeat, f.startsAt, s.loc)
		}
		if editing != nil && f.capacity > 0 && f.capacity < editing.Going {
			v.add(&FieldError{Field: "capacity", Code: "err.capacity_below_going", Args: []any{editing.Going}})
		}
	default:
		return nil, problem(ErrInvalid, "item.unknown_kind")
	}
	return f, v.err()
}

// cleanSlots checks an action's role lines. Posting, each filled line is
// a new role. Editing, a line carrying an existing role's ID changes it, or
// removes it when both its fields are cleared; a role cannot be removed
// while anyone has signed up for it, nor made smaller than the places
// already taken. Roles the form did not mention are kept as they are; new
// lines are added after them.
func cleanSlots(v *ValidationErrors, lines []SlotInput, editing *Item) []Slot {
	byID := map[int64]*Slot{}
	var out []Slot
	if editing != nil {
		for i := range editing.Slots {
			byID[editing.Slots[i].ID] = &editing.Slots[i]
		}
	}
	changed := map[int64]Slot{}
	removed := map[int64]bool{}
	var added []Slot
	var addedAt []int // the line each added role came from
	for i, sl := range lines {
		nameField, capField := fmt.Sprintf("slot_name_%d", i+1), fmt.Sprintf("slot_capacity_%d", i+1)
		empty := strings.TrimSpace(sl.Name) == "" && strings.TrimSpace(sl.Capacity) == ""
		old := byID[sl.ID]
		if sl.ID != 0 && old == nil {
			v.add(&FieldError{Field: nameField, Code: "err.slot_gone"})
			continue
		}
		if old != nil && empty {
			if old.Going+old.Waiting > 0 {
				v.add(&FieldError{Field: nameField, Code: "err.slot_in_use", Args: []any{old.Going + old.Waiting}})
			} else {
				removed[old.ID] = true
			}
			continue
		}
		if empty {
			continue
		}
		name, fe := cleanText(sl.Name, textRule{field: nameField, required: true, max: MaxSlotName})
		v.add(fe)
		n, fe := parseCount(capField, sl.Capacity, 1, MaxCapacity, true)
		v.add(fe)
		if old != nil {
			if fe == nil && n < old.Going {
				v.add(&FieldError{Field: capField, Code: "err.slot_below_going", Args: []any{old.Going}})
			}
			changed[old.ID] = Slot{ID: old.ID, Name: name, Capacity: n}
			continue
		}
		added = append(added, Slot{Name: name, Capacity: n})
		addedAt = append(addedAt, i)
	}
	if editing != nil {
		for _, sl := range editing.Slots {
			if c, ok := changed[sl.ID]; ok {
				out = append(out, c)
			} else if !removed[sl.ID] {
				out = append(out, Slot{ID: sl.ID, Name: sl.Name, Capacity: sl.Capacity})
			}
		}
	}
	if room := MaxSlots - len(out); len(added) > room {
		v.add(&FieldError{Field: fmt.Sprintf("slot_name_%d", addedAt[room]+1), Code: "err.too_many_slots", Args: []any{MaxSlots}})
		added = added[:room]
	}
	return append(out, added...)
}

// CreateItem posts a need, offer or action in a group the member belongs
// to (the main group when none is named).
func (s *Service) CreateItem(ctx context.Context, by *Member, in ItemInput) (*Item, error) {
	if !by.Has(RoleMember) {
		return nil, ErrForbidden
	}
	count, err := s.rateLimit(ctx, by, "post")
	if err != nil {
		return nil, err
	}
	f, err := s.cleanItem(ctx, by, &in, nil)
	var g *Group
	if in.Group == "" {
		g, err2 := s.mainGroup(ctx)
		if err2 != nil {
			return nil, err2
		}
		in.Group = g.Handle
	}
	g, gerr := s.Group(ctx, in.Group)
	if gerr == nil {
		if ok, _ := s.IsGroupMember(ctx, g, by); !ok && !by.IsCoordinator() {
			gerr = ErrForbidden
		}
	}
	if gerr != nil {
		var v ValidationErrors
		if err != nil {
			errors.As(err, &v)
		}
		v.add(&FieldError{Field: "group", Code: "err.group_choice"})
		err = v
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	it := &Item{Kind: in.Kind, GroupID: g.ID, AuthorID: by.ID, Title: f.title, Description: f.description,
		Category: f.category, Area: f.area, Visibility: f.visibility, CreatedAt: now, UpdatedAt: now,
		Held: s.holdFor(f.title, f.description, f.area, f.place)}
	switch in.Kind {
	case KindNeed:
		it.State = StateOpen
		it.NeededBy, it.Address, it.Contact = f.neededBy, f.address, f.contact
		it.OnBehalfName, it.OnBehalfPhone = f.onBehalfName, f.onBehalfPhone
		it.ExpiresAt = now.Add(s.expiry)
		it.OverflowConsent = in.ShareNearby
	case KindOffer:
		it.State = StateOpen
		it.AvailableUntil = f.availableUntil
	case KindAction:
		it.State = StateScheduled
		it.StartsAt, it.EndsAt, it.Place, it.Capacity, it.Slots = f.startsAt, f.endsAt, f.place, f.capacity, f.slots
	}
	var n Notices
	if it.Held {
		if n, err = s.tellCoordinators(ctx, event{kind: NotePostHeld, by: by}); err != nil {
			return nil, err
		}
	}
	if f.repeat != nil {
		if err := s.createSeries(ctx, it, f.repeat, n); err != nil {
			return nil, err
		}
	} else if it.ID, err = s.store.CreateItem(ctx, it, n); err != nil {
		return nil, err
	}
	count()
	s.log.Info("item posted", "kind", it.Kind, "id", it.ID, "by", by.Handle, "visibility", it.Visibility)
	return it, nil
}

func (s *Service) mainGroup(ctx context.Context) (*Group, error) {
	groups, err := s.store.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if g.Main {
			return g, nil
		}
	}
	return nil, errors.New("instance: no main group")
}

// UpdateItem edits an item's text, category, area, visibility, dates and
// place, and an action's roles and places; its state is changed only
// through the transitions below. More places (for the action or a role)
// go to whoever is waiting, first come first served, and they are told.
func (s *Service) UpdateItem(ctx context.Context, by *Member, id int64, in ItemInput) error {
	it, err := s.liveItem(ctx, id)
	if err != nil {
		return err
	}
	if !s.CanManage(by, it) {
		return ErrForbidden
	}
	in.Kind = it.Kind
	if it.OnBehalf() {
		in.OnBehalf = true
	}
	f, err := s.cleanItem(ctx, by, &in, it)
	if err != nil {
		return err
	}
	it.Title, it.Description, it.Category, it.Area, it.Visibility = f.title, f.description, f.category, f.area, f.visibility
	it.NeededBy, it.Address, it.Contact, it.OnBehalfName, it.OnBehalfPhone = f.neededBy, f.address, f.contact, f.onBehalfName, f.onBehalfPhone
	it.AvailableUntil = f.availableUntil
	it.StartsAt, it.EndsAt, it.Place, it.Capacity = f.startsAt, f.endsAt, f.place, f.capacity
	if it.Kind == KindAction {
		it.Slots = f.slots
	}
	// An edit that adds a hold word holds the item (and takes it back from
	// other servers) until a coordinator releases it.
	wasHeld := it.Held
	it.Held = it.Held || s.holdFor(f.title, f.description, f.area, f.place)
	it.UpdatedAt = s.now()
	var n Notices
	if it.Held && !wasHeld {
		if n, err = s.tellCoordinators(ctx, event{kind: NotePostHeld, by: by}); err != nil {
			return err
		}
	}
	waiting, err := s.waitingNotices(ctx, it)
	if err != nil {
		return err
	}
	promoted, err := s.store.UpdateItem(ctx, it, n, waiting)
	if errors.Is(err, ErrConflict) {
		// Someone joined while the organiser edited: say so on the form,
		// beside the roles (or the places), keeping what they typed.
		field := "capacity"
		if len(it.Slots) > 0 {
			field = "slot_name_1"
		}
		return ValidationErrors{{Field: field, Code: "action.changed_meanwhile"}}
	}
	if len(promoted) > 0 {
		s.log.Info("waiting list promoted", "action", it.ID, "members", promoted)
	}
	return err
}

// DeleteItem removes an item, leaving a tombstone.
func (s *Service) DeleteItem(ctx context.Context, by *Member, id int64) error {
	it, err := s.liveItem(ctx, id)
	if err != nil {
		return err
	}
	if !s.CanManage(by, it) {
		return ErrForbidden
	}
	s.log.Info("item deleted", "id", id, "by", by.Handle)
	return s.store.DeleteItem(ctx, id, s.now())
}

// liveItem loads an item that has not been deleted.
func (s *Service) liveItem(ctx context.Context, id int64) (*Item, error) {
	it, err := s.store.ItemByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if it.Deleted() {
		return nil, ErrGone
	}
	return it, nil
}

// Item returns an item the viewer may see. A deleted item gives ErrGone;
// one the viewer may not see gives ErrNotFound (not ErrForbidden, so its
// existence is not revealed).
func (s *Service) Item(ctx context.Context, viewer *Member, kind Kind, id int64) (*Item, error) {
	it, err := s.store.ItemByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if it.Kind != kind {
		return nil, ErrNotFound
	}
	if it.Deleted() {
		return nil, ErrGone
	}
	if !s.CanSee(viewer, it) || ((it.Held || it.HiddenReason != "") && !s.CanManage(viewer, it)) {
		return nil, ErrNotFound
	}
	if !s.CanSeePrivate(viewer, it) {
		it.Address, it.Contact, it.OnBehalfPhone = "", "", ""
		if it.OnBehalfName != "" {
			it.OnBehalfName = "-" // still "on behalf of a neighbour", but not who
		}
	}
	hideNames(viewer, it)
	hideThanks(viewer, it)
	return it, nil
}

// hideNames keeps who asked for help, and who is helping, from visitors:
// a need ("help getting dressed · Orchard Close") is often about a person's
// health or home, and the web page is open to anyone. Members see the
// names. (What is sent to other servers is decided in federation, not
// here.)
func hideNames(viewer *Member, it *Item) {
	if it.Kind == KindNeed && !viewer.Has(RoleMember) {
		it.Author, it.AuthorHandle, it.ClaimedByName = "", "", ""
	}
}

// Items lists items for a viewer: visitors see public items only.
func (s *Service) Items(ctx context.Context, viewer *Member, f ItemFilter) ([]*Item, error) {
	f.PublicOnly = !viewer.Has(RoleMember)
	if f.Now.IsZero() {
		f.Now = s.now()
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	items, err := s.store.ListItems(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		it.Address, it.Contact, it.OnBehalfPhone = "", "", ""
		hideNames(viewer, it)
		hideThanks(viewer, it)
	}
	return items, nil
}

// transition applies a state change and maps a lost race to a clear
// message.
func (s *Service) transition(ctx context.Context, it *Item, from []ItemState, ch ItemChange, conflictCode string) error {
	ch.Now = s.now()
	if err := s.store.TransitionItem(ctx, it.ID, from, ch); err != nil {
		if errors.Is(err, ErrConflict) {
			return problem(ErrConflict, conflictCode)
		}
		return err
	}
	s.log.Info("item state changed", "kind", it.Kind, "id", it.ID, "from", it.State, "to", ch.State)
	return nil
}

func requireKind(it *Item, k Kind) error {
	if it.Kind != k {
		return ErrNotFound
	}
	return nil
}

// OfferHelp records "I can help" on an open need (or updates the message).
func (s *Service) OfferHelp(ctx context.Context, by *Member, needID int64, message string, buddy bool) error {
	it, err := s.liveItem(ctx, needID)
	if err != nil {
		return err
	}
	if err := requireKind(it, KindNeed); err != nil {
		return err
	}
	if !s.CanSee(by, it) {
		return ErrNotFound
	}
	if ok, code := s.CanClaim(by, it); !ok {
		return problem(ErrForbidden, code)
	}
	if it.State != StateOpen {
		return problem(ErrConflict, "need.not_open")
	}
	message, fe := cleanText(message, textRule{field: "message", max: MaxMessage, multiline: true})
	if fe != nil {
		return fe
	}
	n, err := s.tell(ctx, event{kind: NoteHelpOffered, item: it, by: by}, it.AuthorID)
	if err != nil {
		return err
	}
	return s.store.AddInterest(ctx, &Interest{ItemID: it.ID, MemberID: by.ID, Message: message, Buddy: buddy, CreatedAt: s.now()}, n)
}

// WithdrawInterest takes back an "I can help" or "I'd like this"; the
// requester (or offerer) is told while the item is open.
func (s *Service) WithdrawInterest(ctx context.Context, by *Member, itemID int64) error {
	if !by.Has(RoleMember) {
		return ErrForbidden
	}
	var n Notices
	it, err := s.liveItem(ctx, itemID)
	switch {
	case err == nil && it.State == StateOpen:
		kind := NoteHelpWithdrawn
		if it.Kind == KindOffer {
			kind = NoteOfferUnwanted
		}
		if n, err = s.tell(ctx, event{kind: kind, item: it, by: by}, it.AuthorID); err != nil {
			return err
		}
	case err != nil && !errors.Is(err, ErrGone):
		return err
	}
	return s.store.DeleteInterest(ctx, itemID, by.ID, s.now(), n)
}

// Interests lists the offers of help on a need (or requests for an
// offer): all of them for whoever manages it, only their own for others.
func (s *Service) Interests(ctx context.Context, viewer *Member, it *Item) ([]*Interest, error) {
	if !viewer.Has(RoleMember) {
		return nil, nil
	}
	list, err := s.store.ListInterests(ctx, it.ID)
	if err != nil || s.CanManage(viewer, it) {
		return list, err
	}
	var own []*Interest
	for _, in := range list {
		if in.MemberID == viewer.ID {
			own = append(own, in)
		}
	}
	return own, nil
}

// AcceptHelp accepts one offer of help, which claims the need for that
// helper. Of two acceptances racing, exactly one wins.
func (s *Service) AcceptHelp(ctx context.Context, by *Member, needID, interestID int64) error {
	it, in, err := s.managedInterest(ctx, by, KindNeed, needID, interestID)
	if err != nil {
		return err
	}
	helper, err := s.store.MemberByID(ctx, in.MemberID)
	if err != nil {
		return err
	}
	if ok, code := s.CanClaim(helper, it); !ok {
		return problem(ErrForbidden, code)
	}
	n, err := s.tell(ctx, event{kind: NoteHelpAccepted, item: it, by: by}, helper.ID)
	if err != nil {
		return err
	}
	return s.transition(ctx, it, []ItemState{StateOpen}, ItemChange{State: StateClaimed, SetClaim: true, ClaimedBy: helper.ID,
		ClaimExpiresAt: s.now().Add(s.lapse), InterestOf: helper.ID, InterestState: InterestAccepted, Notices: n},
		"need.taken")
}

// Unclaim returns a claimed need to open: the helper withdraws, or the
// requester or a coordinator releases them.
func (s *Service) Unclaim(ctx context.Context, by *Member, needID int64) error {
	it, err := s.needFor(ctx, by, needID, true)
	if err != nil {
		return err
	}
	e, to := event{kind: NoteClaimReleased, item: it, by: by}, it.ClaimedBy
	if by.ID == it.ClaimedBy {
		e.kind, to = NoteHelperWithdrew, it.AuthorID
	}
	n, err := s.tell(ctx, e, to)
	if err != nil {
		return err
	}
	return s.transition(ctx, it, []ItemState{StateClaimed}, ItemChange{State: StateOpen, SetClaim: true, Notices: n,
		OnlyIfClaimedBy: it.ClaimedBy, InterestOf: it.ClaimedBy, InterestState: InterestReleased}, "need.state_changed")
}

// RenewClaim extends a claim by the lapse period.
func (s *Service) RenewClaim(ctx context.Context, by *Member, needID int64) error {
	it, err := s.needFor(ctx, by, needID, true)
	if err != nil {
		return err
	}
	if err := s.lapsedForHelper(by, it); err != nil {
		return err
	}
	return s.transition(ctx, it, []ItemState{StateClaimed}, ItemChange{State: StateClaimed, SetClaim: true, ClaimedBy: it.ClaimedBy,
		ClaimExpiresAt: s.now().Add(s.lapse), OnlyIfClaimedBy: it.ClaimedBy}, "need.state_changed")
}

// MarkDone records that a claimed need was met.
func (s *Service) MarkDone(ctx context.Context, by *Member, needID int64) error {
	it, err := s.needFor(ctx, by, needID, true)
	if err != nil {
		return err
	}
	if err := s.lapsedForHelper(by, it); err != nil {
		return err
	}
	return s.transition(ctx, it, []ItemState{StateClaimed}, ItemChange{State: StateDone, SetClaim: true, ClaimedBy: it.ClaimedBy,
		ClaimExpiresAt: it.ClaimExpiresAt}, "need.not_claimed")
}

// CloseNeed closes an open or claimed need that is no longer needed.
func (s *Service) CloseNeed(ctx context.Context, by *Member, needID int64, reason string) error {
	it, err := s.needFor(ctx, by, needID, false)
	if err != nil {
		return err
	}
	reason, fe := cleanText(reason, textRule{field: "reason", max: MaxReason})
	if fe != nil {
		return fe
	}
	n, err := s.tell(ctx, event{kind: NoteNeedClosed, item: it, by: by}, it.ClaimedBy)
	if err != nil {
		return err
	}
	return s.transition(ctx, it, []ItemState{StateOpen, StateClaimed}, ItemChange{State: StateClosed, Reason: reason, Notices: n},
		"need.state_changed")
}

// RenewNeed keeps a need open for another expiry period (the "still
// needed?" button), and reopens one that closed by expiring.
func (s *Service) RenewNeed(ctx context.Context, by *Member, needID int64) error {
	it, err := s.needFor(ctx, by, needID, false)
	if err != nil {
		return err
	}
	ch := ItemChange{State: it.State, SetExpiry: true, ExpiresAt: s.now().Add(s.expiry), ClearReminder: true}
	from := []ItemState{StateOpen, StateClaimed}
	if it.State == StateClosed && it.StateReason == ReasonExpired {
		ch.State, from = StateOpen, []ItemState{StateClosed}
	}
	if it.State == StateClaimed {
		ch.SetClaim, ch.ClaimedBy, ch.ClaimExpiresAt = true, it.ClaimedBy, it.ClaimExpiresAt
	}
	return s.transition(ctx, it, from, ch, "need.state_changed")
}

// managed loads a live item of the given kind that by may manage.
func (s *Service) managed(ctx context.Context, by *Member, kind Kind, id int64) (*Item, error) {
	it, err := s.liveItem(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := requireKind(it, kind); err != nil {
		return nil, err
	}
	if !s.CanManage(by, it) {
		return nil, ErrForbidden
	}
	return it, nil
}

// managedInterest loads a managed item and one interest in it.
func (s *Service) managedInterest(ctx context.Context, by *Member, kind Kind, id, interestID int64) (*Item, *Interest, error) {
	it, err := s.managed(ctx, by, kind, id)
	if err != nil {
		return nil, nil, err
	}
	in, err := s.store.InterestByID(ctx, interestID)
	if err != nil || in.ItemID != it.ID {
		return nil, nil, ErrNotFound
	}
	return it, in, nil
}

// ReasonExpired marks needs closed by expiry.
const ReasonExpired = "expired"

// needFor loads a need and checks who may act on it: managers always; the
// claiming helper too when helperMay is set.
func (s *Service) needFor(ctx context.Context, by *Member, id int64, helperMay bool) (*Item, error) {
	it, err := s.liveItem(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := requireKind(it, KindNeed); err != nil {
		return nil, err
	}
	if s.CanManage(by, it) || (helperMay && by.Has(RoleMember) && it.ClaimedBy == by.ID && it.State == StateClaimed) {
		return it, nil
	}
	return nil, ErrForbidden
}

// lapsedForHelper refuses the helper of a claim that has lapsed, whether or
// not the sweeper has reopened the need yet: their part ended with the
// claim, so they can no longer renew it or mark it done (they may still
// withdraw). The requester and coordinators are not affected.
func (s *Service) lapsedForHelper(by *Member, it *Item) error {
	if !s.CanManage(by, it) && it.ClaimedBy == by.ID && !s.now().Before(it.ClaimExpiresAt) {
		return problem(ErrConflict, "need.claim_lapsed")
	}
	return nil
}

// WantOffer records "I'd like this" on an open offer.
func (s *Service) WantOffer(ctx context.Context, by *Member, offerID int64, message string) error {
	it, err := s.liveItem(ctx, offerID)
	if err != nil {
		return err
	}
	if err := requireKind(it, KindOffer); err != nil {
		return err
	}
	if !by.Has(RoleMember) || !s.CanSee(by, it) {
		return ErrForbidden
	}
	if by.ID == it.AuthorID {
		return problem(ErrForbidden, "offer.own")
	}
	if it.State != StateOpen {
		return problem(ErrConflict, "offer.not_open")
	}
	message, fe := cleanText(message, textRule{field: "message", max: MaxMessage, multiline: true})
	if fe != nil {
		return fe
	}
	n, err := s.tell(ctx, event{kind: NoteOfferWanted, item: it, by: by}, it.AuthorID)
	if err != nil {
		return err
	}
	return s.store.AddInterest(ctx, &Interest{ItemID: it.ID, MemberID: by.ID, Message: message, CreatedAt: s.now()}, n)
}

// GiveOffer: the offerer chooses who gets it.
func (s *Service) GiveOffer(ctx context.Context, by *Member, offerID, interestID int64) error {
	it, in, err := s.managedInterest(ctx, by, KindOffer, offerID, interestID)
	if err != nil {
		return err
	}
	n, err := s.tell(ctx, event{kind: NoteOfferGiven, item: it, by: by}, in.MemberID)
	if err != nil {
		return err
	}
	return s.transition(ctx, it, []ItemState{StateOpen}, ItemChange{State: StateTaken, SetTaken: true, TakenBy: in.MemberID, Notices: n},
		"offer.not_open")
}

// CloseOffer ends an offer (given, or withdrawn).
func (s *Service) CloseOffer(ctx context.Context, by *Member, offerID int64) error {
	it, err := s.managed(ctx, by, KindOffer, offerID)
	if err != nil {
		return err
	}
	return s.transition(ctx, it, []ItemState{StateOpen, StateTaken}, ItemChange{State: StateClosed, SetTaken: true, TakenBy: it.TakenBy},
		"offer.state_changed")
}

// SetHelperFriend lets a member post needs on behalf of neighbours.
// Coordinators only.
func (s *Service) SetHelperFriend(ctx context.Context, by *Member, memberID int64, on bool) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	return s.store.SetHelperFriend(ctx, memberID, on)
}
