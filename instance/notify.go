package instance

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// NoteKind is what a notification says happened. Each kind has its
// texts in the message catalogue: "note.<kind>" (with %[1]s, who did it,
// and %[2]s, the item's title; either may be left out) and, when the
// spec says so, "note.<kind>_next", the next step ("choose a helper").
//
// To add a kind: a constant here, its NoteSpec in NoteSpecs, its texts
// in web/messages/en.json and fr.json, and a call to Service.tell (or a
// Notification in the store transaction) where it happens. The header
// count, the notifications page, email (at once or in a digest, by the
// member's choice for its NoticeKind) and digests pick it up from there.
type NoteKind string

// Notification kinds about a member's own needs, offers, actions and
// replies.
const (
	NoteHelpOffered       NoteKind = "help_offered"        // to the requester: someone offered to help
	NoteHelpWithdrawn     NoteKind = "help_withdrawn"      // to the requester: they took the offer back
	NoteHelpAccepted      NoteKind = "help_accepted"       // to the helper: the requester accepted
	NoteClaimReleased     NoteKind = "claim_released"      // to the helper: the requester released them
	NoteHelperWithdrew    NoteKind = "helper_withdrew"     // to the requester: the accepted helper can no longer help
	NoteNeedClosed        NoteKind = "need_closed"         // to the helper: the need was closed
	NoteNeedExpired       NoteKind = "need_expired"        // to the requester: it closed by itself
	NoteClaimLapsed       NoteKind = "claim_lapsed"        // to the requester: the helper's claim ran out
	NoteClaimLapsedHelper NoteKind = "claim_lapsed_helper" // to the helper: their claim ran out
	NoteClaimLapsing      NoteKind = "claim_lapsing"       // to the helper: the claim runs out within a day
	NoteStillNeeded       NoteKind = "still_needed"        // to the requester: "is this still needed?"
	NoteNeedTomorrow      NoteKind = "need_tomorrow"       // to the helper: the need is for tomorrow
	NoteOfferWanted       NoteKind = "offer_wanted"        // to the offerer: someone would like it
	NoteOfferUnwanted     NoteKind = "offer_unwanted"      // to the offerer: they no longer would
	NoteOfferGiven        NoteKind = "offer_given"         // to whoever was chosen
	NoteReply             NoteKind = "reply"               // to the author and earlier repliers
	NoteActionJoined      NoteKind = "action_joined"       // to the organiser
	NoteActionLeft        NoteKind = "action_left"         // to the organiser
	NotePromoted          NoteKind = "promoted"            // to whoever waited: a place came up
	NoteActionTomorrow    NoteKind = "action_tomorrow"     // to the organiser and everyone going
	NoteActionCancelled   NoteKind = "action_cancelled"    // to everyone coming or waiting
	NoteApproved          NoteKind = "application_approved"
	NoteRejected          NoteKind = "application_rejected"
	NoteItemHidden        NoteKind = "item_hidden"      // with the coordinator's reason
	NoteResponseRemoved   NoteKind = "response_removed" // with the coordinator's reason
	NoteWarning           NoteKind = "warning"          // with the coordinator's reason
	// NoteThanked tells the helper of a done need that its requester said
	// thank you, with their note, if they wrote one.
	NoteThanked NoteKind = "thanked"
	// NoteMessage tells the other party of a private message on a need
	// (never its text: not on the page, not by email, not on a phone).
	NoteMessage NoteKind = "message"
	// Repeating actions: a standing place taken or given up (to the
	// organiser), a member put on a date's role (to them), and a date to
	// come with a free role (to the series' regulars not on it).
	NoteSeriesJoined NoteKind = "series_joined"
	NoteSeriesLeft   NoteKind = "series_left"
	NoteRotaAssigned NoteKind = "rota_assigned"
	NoteRotaGap      NoteKind = "rota_gap"
)

// Notification kinds for coordinators and safeguarding leads.
const (
	NoteNewApplication NoteKind = "new_application"
	NoteNewReport      NoteKind = "new_report"
	NotePostHeld       NoteKind = "post_held"
	NoteUnanswered     NoteKind = "need_unanswered"
	// NoteOverflowed tells a requester their need was offered to
	// neighbouring villages (the actor: the neighbours' names).
	NoteOverflowed NoteKind = "need_overflowed"
	// NoteNearbyNeed tells coordinators that a neighbouring village
	// offered us a need nobody there could help with.
	NoteNearbyNeed NoteKind = "nearby_need"
	// NoteNewConcern says only that a concern needs a lead: never who
	// raised it, about whom, or what it says (not on the page, not in
	// email).
	NoteNewConcern NoteKind = "new_concern"
	// NoteConcernNoLead tells admins, while nobody is a safeguarding
	// lead, that a concern waits for one (and nothing else about it).
	NoteConcernNoLead NoteKind = "concern_no_lead"
	// NoteMessageHeld tells coordinators a private message waits for them
	// (it had a hold word): they release it from the need's page.
	NoteMessageHeld NoteKind = "message_held"
)

// Notification kinds of deciding together (budget rounds and panels).
const (
	NoteBudgetVotingOpen NoteKind = "budget_voting_open" // to everyone who may vote
	NoteBudgetClosing    NoteKind = "budget_closing"     // to those who have not voted: it closes tomorrow
	NoteBudgetResults    NoteKind = "budget_results"     // to everyone who could take part, linked to the results post
	NotePanelDrawn       NoteKind = "panel_drawn"        // to each member drawn by lot
	NotePollOpened       NoteKind = "poll_opened"        // to the group's members, linked to the poll
	NotePollClosing      NoteKind = "poll_closing"       // to those who have not voted: it closes tomorrow
	NotePollResults      NoteKind = "poll_results"       // to the group's members: it closed
	NoteProposalOpened   NoteKind = "proposal_opened"    // to the group's members, with its title
	NoteProposalClosing  NoteKind = "proposal_closing"   // to those who have not answered: it closes tomorrow
	NoteProposalResults  NoteKind = "proposal_results"   // to the group's members: the outcome is out
)

// NoteSpec describes a kind of notification.
type NoteSpec struct {
	Kind NoteKind
	// Notice is the email choice that covers it.
	Notice NoticeKind
	// Anchor is the element of the item page it links to ("offers").
	Anchor string
	// Path is the page it links to when it is about no item.
	Path string
	// Next says the catalogue has "note.<kind>_next", the next step.
	Next bool
	// Words says the detail is what someone wrote to the reader (a
	// thank-you note), not a coordinator's reason: the page words it with
	// "note.<kind>_detail" (%[1]s the actor, %[2]s the item, %[3]s the
	// words), and email never carries it, like every message's text.
	Words bool
}

// NoteSpecs lists every kind.
var NoteSpecs = []NoteSpec{
	{Kind: NoteHelpOffered, Notice: NoticeAboutMe, Anchor: "offers", Next: true},
	{Kind: NoteHelpWithdrawn, Notice: NoticeAboutMe, Anchor: "offers"},
	{Kind: NoteHelpAccepted, Notice: NoticeAboutMe, Anchor: "helping", Next: true},
	{Kind: NoteClaimReleased, Notice: NoticeAboutMe},
	{Kind: NoteHelperWithdrew, Notice: NoticeAboutMe, Anchor: "offers", Next: true},
	{Kind: NoteNeedClosed, Notice: NoticeAboutMe},
	{Kind: NoteNeedExpired, Notice: NoticeAboutMe, Anchor: "manage", Next: true},
	{Kind: NoteClaimLapsed, Notice: NoticeAboutMe, Anchor: "offers", Next: true},
	{Kind: NoteClaimLapsedHelper, Notice: NoticeAboutMe},
	{Kind: NoteClaimLapsing, Notice: NoticeAboutMe, Anchor: "helping", Next: true},
	{Kind: NoteStillNeeded, Notice: NoticeAboutMe, Anchor: "manage", Next: true},
	{Kind: NoteNeedTomorrow, Notice: NoticeAboutMe, Anchor: "helping"},
	{Kind: NoteOfferWanted, Notice: NoticeAboutMe, Anchor: "requests", Next: true},
	{Kind: NoteOfferUnwanted, Notice: NoticeAboutMe, Anchor: "requests"},
	{Kind: NoteOfferGiven, Notice: NoticeAboutMe, Next: true},
	{Kind: NoteReply, Notice: NoticeAboutMe, Anchor: "responses"},
	{Kind: NoteActionJoined, Notice: NoticeAboutMe, Anchor: "coming"},
	{Kind: NoteActionLeft, Notice: NoticeAboutMe, Anchor: "coming"},
	{Kind: NotePromoted, Notice: NoticeAboutMe},
	{Kind: NoteActionTomorrow, Notice: NoticeAboutMe},
	{Kind: NoteActionCancelled, Notice: NoticeAboutMe},
	{Kind: NoteApproved, Notice: NoticeAboutMe, Path: "/", Next: true},
	{Kind: NoteRejected, Notice: NoticeAboutMe, Path: "/login"},
	{Kind: NoteItemHidden, Notice: NoticeAboutMe},
	{Kind: NoteResponseRemoved, Notice: NoticeAboutMe, Anchor: "responses"},
	{Kind: NoteWarning, Notice: NoticeAboutMe, Path: "/conduct"},
	{Kind: NoteThanked, Notice: NoticeAboutMe, Anchor: "thanks", Words: true},
	{Kind: NoteMessage, Notice: NoticeAboutMe, Anchor: "messages", Next: true},
	{Kind: NoteSeriesJoined, Notice: NoticeAboutMe, Anchor: "coming"},
	{Kind: NoteSeriesLeft, Notice: NoticeAboutMe, Anchor: "coming"},
	{Kind: NoteRotaAssigned, Notice: NoticeAboutMe, Anchor: "coming"},
	{Kind: NoteRotaGap, Notice: NoticeAboutMe, Anchor: "coming", Next: true},
	{Kind: NoteNewApplication, Notice: NoticeCoordination, Path: "/admin/applications", Next: true},
	{Kind: NoteNewReport, Notice: NoticeCoordination, Path: "/admin/moderation#reports", Next: true},
	{Kind: NotePostHeld, Notice: NoticeCoordination, Path: "/admin/moderation#held", Next: true},
	{Kind: NoteUnanswered, Notice: NoticeCoordination, Next: true},
	{Kind: NoteOverflowed, Notice: NoticeAboutMe},
	{Kind: NoteNearbyNeed, Notice: NoticeCoordination, Path: "/neighbours/nearby", Next: true},
	{Kind: NoteNewConcern, Notice: NoticeSafeguarding, Path: "/safeguarding", Next: true},
	{Kind: NoteConcernNoLead, Notice: NoticeSafeguarding, Path: "/admin/members", Next: true},
	{Kind: NoteMessageHeld, Notice: NoticeCoordination, Anchor: "messages", Next: true},
	{Kind: NoteBudgetVotingOpen, Notice: NoticeAboutMe, Path: "/decide"},
	{Kind: NoteBudgetClosing, Notice: NoticeAboutMe, Path: "/decide"},
	{Kind: NoteBudgetResults, Notice: NoticeAboutMe, Path: "/decide"},
	{Kind: NotePanelDrawn, Notice: NoticeAboutMe, Path: "/decide"},
	{Kind: NotePollOpened, Notice: NoticeAboutMe, Anchor: "vote", Path: "/decide"},
	{Kind: NotePollClosing, Notice: NoticeAboutMe, Anchor: "vote", Path: "/decide"},
	{Kind: NotePollResults, Notice: NoticeAboutMe, Anchor: "results", Path: "/decide"},
	{Kind: NoteProposalOpened, Notice: NoticeAboutMe, Path: "/decide", Words: true},
	{Kind: NoteProposalClosing, Notice: NoticeAboutMe, Path: "/decide", Words: true},
	{Kind: NoteProposalResults, Notice: NoticeAboutMe, Path: "/decide", Words: true},
}

// Spec returns the kind's description (the zero NoteSpec for a kind this
// version does not know, from an older database).
func (k NoteKind) Spec() NoteSpec {
	for _, s := range NoteSpecs {
		if s.Kind == k {
			return s
		}
	}
	return NoteSpec{Kind: k, Notice: NoticeAboutMe}
}

// Link is where a notification takes its reader: the exact place on the
// item's page, or the page of a kind about no item. A reply's place is on
// the page of the thread that holds it (?reply=ID: a long thread is paged,
// and an old reply is not on the latest page).
func (n *Notification) Link() string {
	spec := n.Kind.Spec()
	if n.ItemID == 0 || n.ItemPath == "" {
		return spec.Path
	}
	anchor := n.Anchor
	if anchor == "" {
		anchor = spec.Anchor
	}
	if anchor == "" {
		return n.ItemPath
	}
	if id, ok := strings.CutPrefix(anchor, AnchorNewResponse); ok && id != "" && strings.Trim(id, "0123456789") == "" {
		return n.ItemPath + "?reply=" + id + "#" + anchor
	}
	return n.ItemPath + "#" + anchor
}

// Notices are what one change tells people: notifications for their
// pages, and the emails of those who chose "at once". The store writes
// them in the transaction of the change, so a notice exists exactly when
// the change does.
type Notices struct {
	Notify []Notification
	Mail   []Mail
	// Push are the Web Push messages of members who turned notifications
	// on for a device and chose "at once" for the kind.
	Push []Push
}

// add appends o's notices to n.
func (n *Notices) add(o Notices) {
	n.Notify = append(n.Notify, o.Notify...)
	n.Mail = append(n.Mail, o.Mail...)
	n.Push = append(n.Push, o.Push...)
}

// Empty reports whether there is nothing to tell.
func (n Notices) Empty() bool { return len(n.Notify) == 0 && len(n.Mail) == 0 && len(n.Push) == 0 }

// event is one thing that happened, to tell the people it concerns.
type event struct {
	kind NoteKind
	item *Item // nil for an event about no item
	// by did it, and is never told of their own doing; remote names a
	// remote actor who did it.
	by     *Member
	remote string
	// anchor overrides the kind's (a reply's own element).
	anchor string
	detail string
}

// channel carries one notification beyond the member's page: it appends
// what it would send (by the member's choice for the kind's NoticeKind)
// to out, which the store writes in the change's transaction and a
// worker sends later. Email and Web Push are the two; to add one:
// a field in Notices for what it queues, its writing in the store's tell
// (instance/store/notify.go), a channel here added in channelsOf, and
// its worker in cmd. Every kind, and every place that tells, then uses
// it.
type channel func(ctx context.Context, m *Member, n *Notification, out *Notices) error

// channelsOf lists the channels that are on: email, when a relay is
// configured, and Web Push (it queues nothing for members without a
// device).
func (s *Service) channelsOf() []channel {
	out := []channel{s.pushChannel}
	if s.mailer != nil {
		out = append(out, s.mailChannel)
	}
	return out
}

// mailChannel writes the email of a notification for a member who chose
// "at once" for its kind (nothing when they have no address).
func (s *Service) mailChannel(ctx context.Context, m *Member, n *Notification, out *Notices) error {
	mail, err := s.composeMail(ctx, m, n.Kind.Spec().Notice, s.noteMail(m, n))
	if err != nil {
		return fmt.Errorf("instance: mail member %d of %s: %w", m.ID, n.Kind, err)
	}
	if mail != nil {
		out.Mail = append(out.Mail, *mail)
	}
	return nil
}

// tell writes e's notification for each member in to (once each, never
// for whoever did it) and what each channel sends them. The caller hands
// the result to the store method that makes the change.
func (s *Service) tell(ctx context.Context, e event, to ...int64) (Notices, error) {
	var out Notices
	seen := map[int64]bool{0: true}
	if e.by != nil {
		seen[e.by.ID] = true
	}
	for _, id := range to {
		if seen[id] {
			continue
		}
		seen[id] = true
		n := Notification{MemberID: id, Kind: e.kind, Anchor: e.anchor, Detail: e.detail, Actor: e.remote}
		if e.by != nil {
			n.ActorID, n.Actor = e.by.ID, e.by.DisplayName
		}
		if e.item != nil {
			n.ItemID, n.ItemTitle, n.ItemPath = e.item.ID, e.item.Title, e.item.Path()
		}
		out.Notify = append(out.Notify, n)
		channels := s.channelsOf()
		if len(channels) == 0 {
			continue
		}
		m, err := s.store.MemberByID(ctx, id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return Notices{}, fmt.Errorf("instance: tell member %d of %s: %w", id, e.kind, err)
		}
		if m.Status == StatusSuspended {
			continue
		}
		for _, ch := range channels {
			if err := ch(ctx, m, &n, &out); err != nil {
				return Notices{}, err
			}
		}
	}
	return out, nil
}

// noteMail is the email of one notification: what happened, its next
// step, and a link to the page. Like every email it names the item and
// who did it, never an address, a phone number or a message's text; a
// welfare concern's says only that one needs the reader.
func (s *Service) noteMail(m *Member, n *Notification) MailContent {
	spec := n.Kind.Spec()
	text := Say("note."+string(n.Kind), n.Actor, n.ItemTitle)
	c := MailContent{Subject: text, Before: []MailText{Say("mail.hello", m.DisplayName), text}, LinkText: Say("mail.note_link")}
	if n.Detail != "" && !spec.Words {
		c.Before = append(c.Before, Say("note.reason", n.Detail))
	}
	if spec.Next {
		c.Before = append(c.Before, Say("note."+string(n.Kind)+"_next"))
	}
	c.Link = n.Link()
	if n.Kind == NoteReply {
		// The reply's own element is known only once it is stored.
		c.Link = n.ItemPath + "#responses"
	}
	if c.Link == "" {
		c.Link = "/notifications"
	}
	return c
}

// tellAll merges the notices of several events.
func tellAll(list ...Notices) Notices {
	var out Notices
	for _, n := range list {
		out.add(n)
	}
	return out
}

// withRole lists active members holding a role (coordinator includes
// admins).
func (s *Service) withRole(ctx context.Context, r Role) ([]int64, error) {
	ids, err := s.store.MembersWithRole(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("instance: members with role %s: %w", r, err)
	}
	return ids, nil
}

// tellCoordinators tells every coordinator (and admin) of e.
func (s *Service) tellCoordinators(ctx context.Context, e event) (Notices, error) {
	ids, err := s.withRole(ctx, RoleCoordinator)
	if err != nil {
		return Notices{}, err
	}
	return s.tell(ctx, e, ids...)
}

// concernRecipients are the safeguarding leads, told a concern needs
// them; until there is one, the admins, told to name one (they cannot
// read concerns, and their home page says a lead is needed).
// Coordinators who are neither never hear of it.
func (s *Service) concernRecipients(ctx context.Context) ([]int64, NoteKind, error) {
	leads, err := s.withRole(ctx, RoleSafeguardingLead)
	if err != nil || len(leads) > 0 {
		return leads, NoteNewConcern, err
	}
	admins, err := s.withRole(ctx, RoleAdmin)
	return admins, NoteConcernNoLead, err
}

// NotificationStore keeps members' notifications.
type NotificationStore interface {
	// MembersWithRole lists the ids of active members holding a role
	// (RoleCoordinator includes admins).
	MembersWithRole(ctx context.Context, r Role) ([]int64, error)
	ListNotifications(ctx context.Context, memberID int64, limit int) ([]*Notification, error)
	// UnreadNotifications counts a member's unread notifications (one
	// indexed query: the header shows it on every page).
	UnreadNotifications(ctx context.Context, memberID int64) (int, error)
	// HasUnreadAbout reports whether any unread notification of the
	// member is about the item.
	HasUnreadAbout(ctx context.Context, memberID, itemID int64) (bool, error)
	// MarkNotificationsRead marks a member's notifications read: those
	// about one item, or all (itemID 0).
	MarkNotificationsRead(ctx context.Context, memberID, itemID int64, now time.Time) error
}

// Notifications lists a member's latest notifications, newest first.
func (s *Service) Notifications(ctx context.Context, m *Member) ([]*Notification, error) {
	if !m.Has(RoleMember) {
		return nil, ErrForbidden
	}
	return s.store.ListNotifications(ctx, m.ID, 100)
}

// UnreadCount is the number the header shows ("3 new").
func (s *Service) UnreadCount(ctx context.Context, m *Member) (int, error) {
	if !m.Has(RoleMember) {
		return 0, nil
	}
	return s.store.UnreadNotifications(ctx, m.ID)
}

// MarkNotificationsRead clears the "new" marker on all of a member's
// notifications.
func (s *Service) MarkNotificationsRead(ctx context.Context, m *Member) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	return s.store.MarkNotificationsRead(ctx, m.ID, 0, s.now())
}

// OpenedItem marks the member's notifications about an item read: they
// opened its page. It writes only when there is something to mark.
func (s *Service) OpenedItem(ctx context.Context, m *Member, itemID int64) error {
	if !m.Has(RoleMember) {
		return nil
	}
	unread, err := s.store.HasUnreadAbout(ctx, m.ID, itemID)
	if err != nil || !unread {
		return err
	}
	return s.store.MarkNotificationsRead(ctx, m.ID, itemID, s.now())
}

// NoteGroup is the notifications about one item (or, for those about no
// item, one email choice: about me, coordinating, safeguarding), newest
// first, for the notifications page.
type NoteGroup struct {
	ItemID int64
	Title  string // the item's title ("" for a group about no item)
	Link   string // the item's page ("" for a group about no item)
	Notice NoticeKind
	Notes  []*Notification
	Unread int
}

// GroupNotifications groups notifications by item, keeping the order of
// their newest.
func GroupNotifications(list []*Notification) []*NoteGroup {
	var out []*NoteGroup
	index := map[string]*NoteGroup{}
	for _, n := range list {
		spec := n.Kind.Spec()
		key := fmt.Sprintf("item:%d", n.ItemID)
		if n.ItemID == 0 || n.ItemPath == "" {
			key = "notice:" + string(spec.Notice)
		}
		g := index[key]
		if g == nil {
			g = &NoteGroup{Notice: spec.Notice}
			if n.ItemPath != "" {
				g.ItemID, g.Title, g.Link = n.ItemID, n.ItemTitle, n.ItemPath
			}
			index[key] = g
			out = append(out, g)
		}
		g.Notes = append(g.Notes, n)
		if !n.Read {
			g.Unread++
		}
	}
	return out
}

// replyNotices tells of a reply (local, by, or from another server): its
// item's author and everyone here who replied before, at the reply's own
// place on the page. A held reply tells only coordinators, that it waits
// for them; the others are told when it is released.
func (s *Service) replyNotices(ctx context.Context, it *Item, r *Response, by *Member) (Notices, error) {
	e := event{kind: NoteReply, item: it, by: by, anchor: AnchorNewResponse}
	if by == nil {
		e.remote = r.Author
	}
	if r.ID != 0 {
		e.anchor = fmt.Sprintf("response-%d", r.ID)
	}
	if r.Held {
		return s.tellCoordinators(ctx, event{kind: NotePostHeld, by: by, remote: e.remote})
	}
	repliers, err := s.store.ThreadRepliers(ctx, it.ID)
	if err != nil {
		return Notices{}, fmt.Errorf("instance: thread of item %d: %w", it.ID, err)
	}
	// A released reply's own author is "by", and tell leaves them out.
	return s.tell(ctx, e, append([]int64{it.AuthorID}, repliers...)...)
}

// waitingNotices prepares, for everyone on an action's waiting list, what
// they are told if a change gives them a place (the store knows who only
// inside its transaction, and writes only theirs).
func (s *Service) waitingNotices(ctx context.Context, it *Item) (map[int64]Notices, error) {
	if it.Kind != KindAction || it.Waiting == 0 {
		return nil, nil
	}
	people, err := s.store.ListAttendees(ctx, it.ID)
	if err != nil {
		return nil, fmt.Errorf("instance: waiting list of action %d: %w", it.ID, err)
	}
	out := map[int64]Notices{}
	for _, a := range people {
		if a.Status != AttendWaiting {
			continue
		}
		n, err := s.tell(ctx, event{kind: NotePromoted, item: it}, a.MemberID)
		if err != nil {
			return nil, err
		}
		out[a.MemberID] = n
	}
	return out, nil
}

// reportNotices tells coordinators that a report waits (never the
// reporter: coordinators see who reported in the queue).
func (s *Service) reportNotices(ctx context.Context, reporter int64) (Notices, error) {
	ids, err := s.withRole(ctx, RoleCoordinator)
	if err != nil {
		return Notices{}, err
	}
	return s.tell(ctx, event{kind: NoteNewReport}, without(ids, reporter)...)
}

// releasedReplyNotices tells of a held reply a coordinator releases, as
// if it had just arrived.
func (s *Service) releasedReplyNotices(ctx context.Context, responseID int64) (Notices, error) {
	r, err := s.store.ResponseByID(ctx, responseID)
	if err != nil {
		return Notices{}, err
	}
	if !r.Held || r.Deleted || r.Removed {
		return Notices{}, nil
	}
	it, err := s.liveItem(ctx, r.ItemID)
	if err != nil {
		return Notices{}, err
	}
	var by *Member
	if r.AuthorID != 0 {
		if by, err = s.store.MemberByID(ctx, r.AuthorID); err != nil {
			return Notices{}, err
		}
	}
	r.Held = false
	return s.replyNotices(ctx, it, r, by)
}

// without drops one id from a list.
func without(ids []int64, drop int64) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id != drop {
			out = append(out, id)
		}
	}
	return out
}
