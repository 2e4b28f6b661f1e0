package instance

import (
	"context"
	"errors"
	"regexp"
)

// JoinAction gives the member a place on an action, in a role slot when
// slotID is not 0. When the action or slot is full they join the waiting
// list instead; the status says which.
func (s *Service) JoinAction(ctx context.Context, by *Member, actionID, slotID int64) (AttendStatus, error) {
	it, err := s.liveItem(ctx, actionID)
	if err != nil {
		return "", err
	}
	if err := requireKind(it, KindAction); err != nil {
		return "", err
	}
	if !by.Has(RoleMember) || !s.CanSee(by, it) {
		return "", ErrForbidden
	}
	if it.State != StateScheduled || it.Happened(s.now()) {
		return "", problem(ErrConflict, "action.not_open")
	}
	if slotID != 0 {
		found := false
		for _, sl := range it.Slots {
			found = found || sl.ID == slotID
		}
		if !found {
			return "", problem(ErrInvalid, "action.no_such_slot")
		}
	}
	n, err := s.tell(ctx, event{kind: NoteActionJoined, item: it, by: by}, it.AuthorID)
	if err != nil {
		return "", err
	}
	st, err := s.store.JoinAction(ctx, it.ID, slotID, by.ID, s.now(), n)
	if errors.As(err, new(*Clash)) {
		return "", clashProblem(err)
	}
	if errors.Is(err, ErrConflict) {
		return "", problem(ErrConflict, "action.already_joined")
	}
	return st, err
}

// LeaveAction gives up a place (or a waiting-list place). Whoever waits
// first for the freed place is promoted and told on their page.
func (s *Service) LeaveAction(ctx context.Context, by *Member, actionID int64) error {
	it, err := s.liveItem(ctx, actionID)
	if err != nil {
		return err
	}
	if err := requireKind(it, KindAction); err != nil {
		return err
	}
	if !by.Has(RoleMember) {
		return ErrForbidden
	}
	n, err := s.tell(ctx, event{kind: NoteActionLeft, item: it, by: by}, it.AuthorID)
	if err != nil {
		return err
	}
	waiting, err := s.waitingNotices(ctx, it)
	if err != nil {
		return err
	}
	promoted, err := s.store.LeaveAction(ctx, it.ID, by.ID, s.now(), n, waiting)
	if errors.Is(err, ErrNotFound) {
		return problem(ErrConflict, "action.not_joined")
	}
	if err != nil {
		return err
	}
	if len(promoted) > 0 {
		s.log.Info("waiting list promoted", "action", it.ID, "members", promoted)
	}
	return nil
}

// CancelAction cancels a scheduled action with a reason; everyone coming
// or waiting is told.
func (s *Service) CancelAction(ctx context.Context, by *Member, actionID int64, reason string) error {
	it, err := s.managed(ctx, by, KindAction, actionID)
	if err != nil {
		return err
	}
	reason, fe := cleanText(reason, textRule{field: "reason", required: true, max: MaxReason})
	if fe != nil {
		return fe
	}
	people, err := s.store.ListAttendees(ctx, it.ID)
	if err != nil {
		return err
	}
	var to []int64
	for _, a := range people {
		to = append(to, a.MemberID)
	}
	n, err := s.tell(ctx, event{kind: NoteActionCancelled, item: it, by: by, detail: reason}, to...)
	if err != nil {
		return err
	}
	guests, err := s.guestCancellations(ctx, it, reason)
	if err != nil {
		return err
	}
	n.Mail = append(n.Mail, guests...)
	return s.transition(ctx, it, []ItemState{StateScheduled}, ItemChange{State: StateCancelled, Reason: reason, Notices: n},
		"action.not_open")
}

// Attendees lists who is coming and waiting. Organisers and coordinators
// see everyone; other members see only themselves (and the counts on the
// item).
func (s *Service) Attendees(ctx context.Context, viewer *Member, it *Item) ([]*Attendee, error) {
	if !viewer.Has(RoleMember) {
		return nil, nil
	}
	list, err := s.store.ListAttendees(ctx, it.ID)
	if err != nil || s.CanManage(viewer, it) {
		return list, err
	}
	var own []*Attendee
	for _, a := range list {
		if a.MemberID == viewer.ID {
			own = append(own, a)
		}
	}
	return own, nil
}

// AddResponse adds a comment to an item's thread.
func (s *Service) AddResponse(ctx context.Context, by *Member, itemID int64, body string) (*Response, error) {
	it, err := s.liveItem(ctx, itemID)
	if err != nil {
		return nil, err
	}
	if !by.Has(RoleMember) || !s.CanSee(by, it) {
		return nil, ErrForbidden
	}
	body, fe := cleanText(body, textRule{field: "body", required: true, max: MaxResponse, multiline: true})
	if fe == nil {
		fe = replyLimits("body", body)
	}
	if fe != nil {
		return nil, fe
	}
	count, err := s.rateLimit(ctx, by, "response")
	if err != nil {
		return nil, err
	}
	now := s.now()
	r := &Response{ItemID: it.ID, AuthorID: by.ID, Author: by.DisplayName, Body: body, CreatedAt: now, UpdatedAt: now, Held: s.holdFor(body)}
	n, err := s.replyNotices(ctx, it, r, by)
	if err != nil {
		return nil, err
	}
	if r.ID, err = s.store.AddResponse(ctx, r, n); err != nil {
		return nil, err
	}
	count()
	return r, nil
}

// Response returns one response for editing by its author.
func (s *Service) Response(ctx context.Context, by *Member, id int64) (*Response, error) {
	r, err := s.store.ResponseByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Deleted || r.Removed {
		return nil, ErrGone
	}
	if !by.Has(RoleMember) || by.ID != r.AuthorID {
		return nil, ErrForbidden
	}
	return r, nil
}

// EditResponse changes a response's text; its author only.
func (s *Service) EditResponse(ctx context.Context, by *Member, id int64, body string) (*Response, error) {
	r, err := s.Response(ctx, by, id)
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
	// An edit can hold a reply (a hold word added), never release one.
	held := s.holdFor(body)
	if err := s.store.UpdateResponse(ctx, id, body, held, s.now()); err != nil {
		return nil, err
	}
	r.Body, r.Held = body, r.Held || held
	return r, nil
}

var (
	linkPattern = regexp.MustCompile(`(?i)\bhttps?://`)
	// mentionPattern finds fediverse addresses (@user@host.example).
	mentionPattern = regexp.MustCompile(`(?:^|[^\w@])@[\w.-]+@[\w-]+(?:\.[\w-]+)+`)
)

// replyLimits applies the link and mention limits to a local reply's
// text, as remoteText does to a remote one's.
func replyLimits(field, body string) *FieldError {
	if n := len(linkPattern.FindAllStringIndex(body, -1)); n > MaxLinks {
		return &FieldError{Field: field, Code: "err.too_many_links", Args: []any{MaxLinks, n}}
	}
	if n := len(mentionPattern.FindAllStringIndex(body, -1)); n > MaxMentions {
		return &FieldError{Field: field, Code: "err.too_many_mentions", Args: []any{MaxMentions, n}}
	}
	return nil
}

// DeleteResponse: the author deletes their own response.
func (s *Service) DeleteResponse(ctx context.Context, by *Member, id int64) (*Response, error) {
	r, err := s.Response(ctx, by, id)
	if err != nil {
		return nil, err
	}
	return r, s.store.DeleteResponse(ctx, id, 0, s.now())
}

// RemoveResponse: a coordinator removes someone's response.
func (s *Service) RemoveResponse(ctx context.Context, by *Member, id int64) (*Response, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	r, err := s.store.ResponseByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.log.Info("response removed", "response", id, "by", by.Handle)
	return r, s.store.DeleteResponse(ctx, id, by.ID, s.now())
}

// Responses lists an item's thread (deleted and removed ones stay as a
// placeholder so replies keep their context).
func (s *Service) Responses(ctx context.Context, it *Item) ([]*Response, error) {
	return s.store.ListResponses(ctx, it.ID)
}

// RepliesPerPage is the most replies an item page shows at once.
const RepliesPerPage = 50

// replyPageBytes bounds the text of one page of replies, so that a page of
// long replies still fits the page budget (30 KB with its CSS): a page
// stops early rather than grow, and always shows at least one reply.
const replyPageBytes = 12000

// Thread is one page of an item's replies, oldest first.
type Thread struct {
	Replies []*Response
	// Count is how many replies anyone can see (deleted, removed and held
	// ones are not counted).
	Count int
	// Earlier and Later, when not 0, page on: the replies before Earlier,
	// the replies after Later. The latest page has no Later.
	Earlier, Later int64
}

// Thread returns one page of an item's replies for a viewer: the latest
// (before and after 0), the ones before a reply's id, or the ones after
// it. However many replies an item has, a page reads at most
// RepliesPerPage+1 rows through an index. On a need, a visitor does not
// see which member wrote a reply (the requester's own reply would say who
// asked); replies from other servers keep their author, who is public
// there anyway.
func (s *Service) Thread(ctx context.Context, viewer *Member, it *Item, before, after int64) (*Thread, error) {
	list, err := s.store.ResponsePage(ctx, it.ID, before, after, RepliesPerPage+1)
	if err != nil {
		return nil, err
	}
	th := &Thread{}
	if th.Count, err = s.store.CountResponses(ctx, it.ID); err != nil {
		return nil, err
	}
	size := func(r *Response) int { return len(r.Body) + len(r.ContentHTML) + 200 }
	if after > 0 {
		// From the oldest after the anchor, forwards.
		more := len(list) > RepliesPerPage
		if more {
			list = list[:RepliesPerPage]
		}
		total := 0
		for i, r := range list {
			if total += size(r); total > replyPageBytes && i > 0 {
				list, more = list[:i], true
				break
			}
		}
		if len(list) > 0 {
			th.Earlier = list[0].ID
			if more {
				th.Later = list[len(list)-1].ID
			}
		}
	} else {
		// From the newest before the anchor, backwards.
		more := len(list) > RepliesPerPage
		if more {
			list = list[1:]
		}
		total := 0
		for i := len(list) - 1; i >= 0; i-- {
			if total += size(list[i]); total > replyPageBytes && i < len(list)-1 {
				list, more = list[i+1:], true
				break
			}
		}
		if len(list) > 0 {
			if more {
				th.Earlier = list[0].ID
			}
			if before > 0 {
				th.Later = list[len(list)-1].ID
			}
		}
	}
	if it.Kind == KindNeed && !viewer.Has(RoleMember) {
		for _, r := range list {
			if r.RemoteActor == "" {
				r.Author, r.AuthorHandle = "", ""
			}
		}
	}
	th.Replies = list
	return th, nil
}
