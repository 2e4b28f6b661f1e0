package instance

import (
	"context"
	"time"
)

// Store is the persistence the domain needs. instance/store implements it
// on SQLite. Methods that change state do so in one transaction and check
// the current state in the same statement, so two requests racing each
// other cannot both win.
type Store interface {
	ItemStore
	FollowingStore
	ModerationStore
	MailStore
	NoticeStore
	ResetStore
	RemoteStore
	BudgetStore
	PanelStore
	PollStore
	ProposalStore
	NotificationStore
	DigestStore
	DeskStore
	CalendarStore
	FeedStore
	ImpactStore
	ProfileStore
	PushStore
	MessageStore
	GuestStore
	SeriesStore
	HealthStore
	OverflowStore
	ThrottleStore

	// CreateMember inserts a member (and their roles) and joins them to the
	// main group when they are active. A non-empty invite code is consumed
	// in the same transaction; an unknown, used or expired code gives a
	// *Problem. A taken handle or email gives a *FieldError. n (telling
	// coordinators of an application) is written with it.
	CreateMember(ctx context.Context, m *Member, inviteCode string, now time.Time, n Notices) (int64, error)
	MemberByID(ctx context.Context, id int64) (*Member, error)
	MemberByHandle(ctx context.Context, handle string) (*Member, error)
	// MemberByLogin finds a member by handle or email (case-insensitive).
	MemberByLogin(ctx context.Context, login string) (*Member, error)
	ListMembers(ctx context.Context, status Status) ([]*Member, error)
	// SearchMembers returns one page of the members matching q, sorted by
	// name, and how many match in all.
	SearchMembers(ctx context.Context, q MemberQuery) ([]*Member, int, error)
	CountMembers(ctx context.Context, status Status) (int, error)
	UpdateProfile(ctx context.Context, id int64, p Profile) error
	// SetPassword stores a new hash and ends every session of the member.
	SetPassword(ctx context.Context, id int64, hash string) error
	// SetRoles replaces a member's roles, ends their sessions and writes
	// log, in one transaction.
	SetRoles(ctx context.Context, id int64, roles []Role, log *ModLog) error
	// SetStatus moves a member from one of the statuses in from to to; any
	// other current status gives ErrConflict. Leaving StatusActive ends every
	// session; becoming active joins the main group. What comes with the
	// change (its log line, notifications, emails) is written in the same
	// transaction.
	SetStatus(ctx context.Context, id int64, from []Status, to Status, now time.Time, with StatusChange) error
	// AdminExists reports whether any active member is an admin.
	AdminExists(ctx context.Context) (bool, error)

	CreateSession(ctx context.Context, tokenHash string, memberID int64, now, expires time.Time) error
	// SessionMember returns the active member behind a live session.
	SessionMember(ctx context.Context, tokenHash string, now time.Time) (*Member, error)
	DeleteSession(ctx context.Context, tokenHash string) error

	CreateInvite(ctx context.Context, inv *Invite) error
	ListInvites(ctx context.Context, now time.Time) ([]*Invite, error)
	InviteByCode(ctx context.Context, code string) (*Invite, error)

	// CreateGroup inserts a group; a taken handle gives a *FieldError.
	CreateGroup(ctx context.Context, g *Group) (int64, error)
	GroupByHandle(ctx context.Context, handle string) (*Group, error)
	ListGroups(ctx context.Context) ([]*Group, error)
	// UpdateGroup saves a group's name, description, rules and fields,
	// with a SubjectGroup federation event, in one transaction.
	UpdateGroup(ctx context.Context, id int64, in GroupInput, now time.Time) error
	JoinGroup(ctx context.Context, groupID, memberID int64, now time.Time) error
	LeaveGroup(ctx context.Context, groupID, memberID int64) error
	IsGroupMember(ctx context.Context, groupID, memberID int64) (bool, error)
	GroupMembers(ctx context.Context, groupID int64) ([]*Member, error)
	MemberGroups(ctx context.Context, memberID int64) ([]*Group, error)
}

// StatusChange is what is written with a member's change of status, in
// its transaction: the moderation log line, the notifications and the
// emails it causes. Zero fields write nothing.
type StatusChange struct {
	Log *ModLog
	Notices
}

// Invite is a single-use link that lets one person join when registration
// is by invitation.
type Invite struct {
	Code      string
	CreatedBy int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedBy    int64 // 0 while unused
	UsedAt    time.Time
	Note      string // who it is for, for the coordinator's memory
}

// Usable reports whether the invite can still be used at now.
func (i *Invite) Usable(now time.Time) bool {
	return i.UsedBy == 0 && now.Before(i.ExpiresAt)
}

// ItemFilter selects items for a list. Zero fields do not filter.
type ItemFilter struct {
	Kind     Kind
	Category string
	GroupID  int64
	Query    string // full-text search
	// PublicOnly limits to public items (for visitors who are not members).
	PublicOnly bool
	// Current keeps open needs, open offers and scheduled actions that have
	// not ended by Now.
	Current bool
	Now     time.Time
	// People filters for "my activity".
	AuthorID   int64
	ClaimedBy  int64
	TakenBy    int64
	AttendeeID int64
	// Upcoming keeps actions ending after Now, soonest first.
	Upcoming bool
	BeforeID int64 // for paging: items with a smaller id
	Limit    int
	// SeriesID lists one series' dates, soonest first. Otherwise a series
	// is listed once, as its next date, unless EveryDate (or a people
	// filter, for "my places") asks for each.
	SeriesID  int64
	EveryDate bool
}

// ItemChange is a state transition, applied only if the item is in one of
// the expected states (and, with OnlyIfClaimedBy, still claimed by that
// member), so that of two racing requests exactly one wins.
type ItemChange struct {
	State           ItemState
	Reason          string
	Now             time.Time
	SetClaim        bool // set ClaimedBy and ClaimExpiresAt (0 and zero time clear them)
	ClaimedBy       int64
	ClaimExpiresAt  time.Time
	SetExpiry       bool
	ExpiresAt       time.Time
	SetTaken        bool
	TakenBy         int64
	ClearReminder   bool
	OnlyIfClaimedBy int64
	// RemoteClaim, with SetClaim, claims the need for a helper from a
	// neighbouring village (this actor, named RemoteClaimName); any claim
	// change back to open clears it.
	RemoteClaim, RemoteClaimName string
	// InterestOf, when set, moves that member's offer of help to
	// InterestState (accepted, released) in the same transaction.
	InterestOf    int64
	InterestState InterestState
	// Notices (Notify, Mail) are written in the same transaction.
	Notices
}

// InterestState is where an offer of help stands.
type InterestState string

// Offers of help wait for the requester's choice, are accepted (the
// helper claimed the need) or released (the claim ended).
const (
	InterestWaiting  InterestState = "waiting"
	InterestAccepted InterestState = "accepted"
	InterestReleased InterestState = "released"
)

// Interest is an "I can help" on a need or an "I'd like this" on an offer.
type Interest struct {
	ID        int64
	ItemID    int64
	MemberID  int64
	Member    string // display name
	Handle    string
	Verified  bool // the member is a verified helper
	Message   string
	Buddy     bool // "I'll bring a buddy"
	State     InterestState
	CreatedAt time.Time
}

// AttendStatus is a member's place on an action.
type AttendStatus string

// Going, or on the waiting list.
const (
	AttendGoing   AttendStatus = "going"
	AttendWaiting AttendStatus = "waiting"
)

// Attendee is one member's place on an action.
type Attendee struct {
	MemberID  int64
	Member    string
	Handle    string
	SlotID    int64
	SlotName  string
	Status    AttendStatus
	CreatedAt time.Time
}

// Response is a comment in an item's thread, from a member here or from
// someone on another server (AuthorID 0, RemoteActor set).
type Response struct {
	ID           int64
	ItemID       int64
	AuthorID     int64
	Author       string
	AuthorHandle string
	RemoteActor  string
	APID         string
	ContentHTML  string // remote replies: sanitised HTML
	Body         string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Deleted      bool // by its author
	Removed      bool // by a coordinator
	DeletedAt    time.Time
	Held         bool // waiting for a coordinator (a filtered word)
}

// Notification is something a member is told on their page (and, by
// their choice, by email).
type Notification struct {
	ID        int64
	MemberID  int64
	ItemID    int64
	ItemTitle string
	ItemPath  string // "" when the item is gone
	Kind      NoteKind
	// ActorID is the member who did it; Actor their name (or a remote
	// actor's), "" when nobody did (the sweep).
	ActorID int64
	Actor   string
	// Anchor is the element of the item page it points at, when it is not
	// the kind's own ("response-12").
	Anchor    string
	Detail    string // a coordinator's reason, or the words of a kind with Words
	CreatedAt time.Time
	Read      bool
}

// AnchorNewResponse is the anchor of a notification about a reply being
// stored in the same transaction: the store completes it with the
// reply's id ("response-12").
const AnchorNewResponse = "response-"

// ItemStore is the persistence of needs, offers and actions. Methods that
// take Notices write them in the transaction of their change.
type ItemStore interface {
	CreateItem(ctx context.Context, it *Item, n Notices) (int64, error)
	// UpdateItem saves the editable fields (not the state) of a live item,
	// and an action's roles: it.Slots is the whole new list (ID 0 for a new
	// role; roles left out are removed if nobody has signed up for them).
	// Waiting members who now fit are given places and told (promoted
	// holds, by member, what each would be told); their IDs are
	// returned. ErrConflict: a role would end up smaller than the places
	// taken in it (someone signed up meanwhile). it.Held true holds the
	// item; false leaves it as it was.
	UpdateItem(ctx context.Context, it *Item, n Notices, promoted map[int64]Notices) ([]int64, error)
	// ItemByID returns an item, deleted or not, with its slots and counts.
	ItemByID(ctx context.Context, id int64) (*Item, error)
	ListItems(ctx context.Context, f ItemFilter) ([]*Item, error)
	// DeleteItem leaves a tombstone and erases the private fields.
	DeleteItem(ctx context.Context, id int64, now time.Time) error
	TransitionItem(ctx context.Context, id int64, from []ItemState, ch ItemChange) error

	// AddInterest records or updates a member's interest in an open item;
	// n is written only when the interest is new.
	AddInterest(ctx context.Context, in *Interest, n Notices) error
	DeleteInterest(ctx context.Context, itemID, memberID int64, now time.Time, n Notices) error
	InterestByID(ctx context.Context, id int64) (*Interest, error)
	ListInterests(ctx context.Context, itemID int64) ([]*Interest, error)

	// JoinAction gives the member a place (or a waiting-list place) in one
	// transaction, so the last place goes to exactly one member. A member
	// going to another action at an overlapping time is refused with a
	// *Clash (two places at once); one already on it with ErrConflict.
	JoinAction(ctx context.Context, itemID, slotID, memberID int64, now time.Time, n Notices) (AttendStatus, error)
	// LeaveAction removes the member and promotes whoever waits first for a
	// place that is now free (telling each what promoted holds for them);
	// it returns the promoted members.
	LeaveAction(ctx context.Context, itemID, memberID int64, now time.Time, n Notices, promoted map[int64]Notices) ([]int64, error)
	ListAttendees(ctx context.Context, itemID int64) ([]*Attendee, error)

	// AddResponse stores a local reply; notifications in n anchored at
	// AnchorNewResponse point at it.
	AddResponse(ctx context.Context, r *Response, n Notices) (int64, error)
	// UpdateResponse changes a response's text; held holds it for a
	// coordinator (false leaves it as it was).
	UpdateResponse(ctx context.Context, id int64, body string, held bool, now time.Time) error
	// DeleteResponse marks a response deleted (removedBy 0) or removed by a
	// coordinator.
	DeleteResponse(ctx context.Context, id, removedBy int64, now time.Time) error
	ResponseByID(ctx context.Context, id int64) (*Response, error)
	ListResponses(ctx context.Context, itemID int64) ([]*Response, error)
	// ThreadRepliers lists the members here who replied on an item (not
	// deleted replies), without reading the whole thread.
	ThreadRepliers(ctx context.Context, itemID int64) ([]int64, error)
	// ResponsePage returns up to limit responses of an item, oldest first:
	// the latest ones with ids below before (0: the very latest), or, when
	// after is set, the first ones with ids above it. It must not cost more
	// with more replies (keyset paging on an index).
	ResponsePage(ctx context.Context, itemID, before, after int64, limit int) ([]*Response, error)
	// CountResponses counts the replies anyone can see: not deleted,
	// removed or held.
	CountResponses(ctx context.Context, itemID int64) (int, error)

	// Thank records the requester's thank-you note on a done need (once:
	// ErrConflict after that, or if it is not done) and tells the helper.
	Thank(ctx context.Context, id int64, note string, now time.Time, n Notices) error
	// CountHelped counts the needs done since a moment (public ones only
	// when publicOnly).
	CountHelped(ctx context.Context, since time.Time, publicOnly bool) (int, error)

	// DueItems lists (at most limit) items a sweep change applies to.
	DueItems(ctx context.Context, due Due, w DueWindow, limit int) ([]*Item, error)
	// ApplyDue makes a sweep change to one item, with its notices, if it
	// still applies; it reports whether it did.
	ApplyDue(ctx context.Context, due Due, itemID int64, w DueWindow, n Notices) (bool, error)
	// MyInterests lists the member's offers of help and "I'd like this",
	// with their items; MyPlaces their places on actions.
	MyInterests(ctx context.Context, memberID int64) ([]*MyInterest, error)
	MyPlaces(ctx context.Context, memberID int64) ([]*MyPlace, error)
	// InterestCounts counts the waiting interests in each item.
	InterestCounts(ctx context.Context, itemIDs []int64) (map[int64]int, error)

	SetHelperFriend(ctx context.Context, memberID int64, on bool) error
}
