package instance

import (
	"strings"
	"time"
)

// The records below are federation's bookkeeping (the inbound queue, the
// transactional outbox, deliveries). They live in instance, beside
// RemoteActor, so that instance/store can implement federation's Store
// interface without importing federation or go-fed.

// InboxRow is one verified activity to queue. Key is what makes it a
// duplicate (empty: its ActivityID): an Update's key adds its object's
// version, since GoToSocial sends every edit of a post under one id.
type InboxRow struct {
	ActivityID, Actor, Type string
	Key                     string
	Body                    []byte
}

// DedupeKey is the key an inbound activity is recorded under.
func (r *InboxRow) DedupeKey() string {
	if r.Key == "" {
		return r.ActivityID
	}
	return r.Key
}

// InboxActivity is one queued inbound activity.
type InboxActivity struct {
	ID            int64
	ActivityID    string
	Actor         string
	Type          string
	Body          []byte
	Attempts      int // failed attempts so far
	ReceivedAt    time.Time
	NextAttemptAt time.Time // zero: due at once
}

// InboxResult is how handling one queued inbound activity went: Done
// marks it processed, Err (empty on success) records why it failed, and
// Next, when it is not Done, is when to try again.
type InboxResult struct {
	ID   int64
	Done bool
	Err  string
	Next time.Time
}

// EventSubject names what a federation event is about: the table its
// SubjectID points into.
type EventSubject string

// The subjects of federation events (fed_events.subject).
const (
	SubjectItem           EventSubject = "item"            // a need, offer or action changed
	SubjectResponse       EventSubject = "response"        // a member's reply changed
	SubjectNeighbourReply EventSubject = "neighbour_reply" // a member answered a neighbour's item
	SubjectFollow         EventSubject = "follow"          // a group follows a remote actor
	SubjectUnfollow       EventSubject = "unfollow"        // … and stops
	SubjectFlag           EventSubject = "flag"            // a report to forward
	SubjectGroup          EventSubject = "group"           // a group's profile changed
)

// Signer names the local actor whose key signs an activity: a group
// ("group:village"), a member ("member:ann") or the instance actor.
type Signer string

// InstanceSigner is the instance actor (signed fetches, forwarded reports).
const InstanceSigner Signer = "instance"

// GroupSigner is a group's signer.
func GroupSigner(handle string) Signer { return Signer("group:" + handle) }

// MemberSigner is a member's signer.
func MemberSigner(handle string) Signer { return Signer("member:" + handle) }

// Parse splits a signer into its kind ("group", "member" or "instance")
// and handle.
func (s Signer) Parse() (kind, handle string) {
	kind, handle, _ = strings.Cut(string(s), ":")
	return kind, handle
}

// FedEvent is one change waiting to be federated.
type FedEvent struct {
	ID        int64
	Subject   EventSubject
	SubjectID int64
	CreatedAt time.Time
	Attempts  int // failed attempts so far
}

// Delivery is one activity to POST to one inbox.
type Delivery struct {
	ID            int64
	Inbox         string
	Host          string
	Signer        Signer
	ActivityID    string
	Body          []byte
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
}

// OutboxEntry is an activity we published.
type OutboxEntry struct {
	ID         int64
	Actor      string // our actor IRI
	ActivityID string
	ObjectID   string // the Note it carries
	Type       string
	Body       []byte
	Public     bool
	CreatedAt  time.Time
}

// Publication is the result of handling one federation event, written in
// one transaction: the activity for the outbox, its deliveries, and the
// "federated" flag on the item or response.
type Publication struct {
	EventID int64
	Outbox  *OutboxEntry
	// Also are further activities published with Outbox, after it: the
	// group's Announce of a member's reply with its Create, its Undo with
	// the reply's Delete.
	Also       []*OutboxEntry
	Deliveries []*Delivery
	// SetFederated, when SubjectItem or SubjectResponse, sets that row's
	// federated flag to Federated.
	SetFederated EventSubject
	SubjectID    int64
	Federated    bool
	// ItemPublishedAt is the `published` of an item's Create (kept as its
	// revision's publication time).
	ItemPublishedAt time.Time
	// Following, when set, saves a follow's progress (resolved and sent,
	// or failed for good); ForgetFollowing, when not 0, deletes the follow
	// whose Undo this is.
	Following       *Following
	ForgetFollowing int64
	// Overflows are a need's offers to neighbours in their new state
	// (sent, or withdrawn), each saved only from the state it was read in
	// (From).
	Overflows []OverflowChange
}

// OverflowChange moves one offer of a need to a neighbour.
type OverflowChange struct {
	ID       int64
	From, To OverflowState
}

// ItemFederation is where an item stands with other servers.
type ItemFederation struct {
	// Federated: a Create of its current revision went out, and no Delete
	// since.
	Federated bool
	// Revision counts the Deletes that went out: the item is published
	// again under a new id, since Mastodon refuses a Create for an id it
	// has a Tombstone for.
	Revision int
	// PublishedAt is when the current revision's Create went out (zero for
	// one published before this was kept); WithdrawnAt when the last
	// Delete did.
	PublishedAt, WithdrawnAt time.Time
}

// DeliveryResult is what happened to one attempt.
type DeliveryResult struct {
	ID      int64
	Host    string
	Status  string // "done", "failed" (final) or "pending" (retry at Next)
	Next    time.Time
	Error   string
	Success bool // the host answered (2xx, or a final 4xx): it is up
	// HostDown: the host itself failed (timed out, refused, 429, 502,
	// 503, 504), so its circuit opens until HostRetryAt and its other
	// deliveries wait until then instead of each trying it.
	HostDown    bool
	HostRetryAt time.Time
}

// NeighbourReply is a member's answer to a neighbour's item.
type NeighbourReply struct {
	ID         int64
	Item       *RemoteItem
	MemberID   int64
	MemberName string
	Body       string
	CreatedAt  time.Time
	// Held answers (a hold word) wait for a coordinator and are not sent.
	Held bool
}
