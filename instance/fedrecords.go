package instance

import "time"

// The records below are federation's bookkeeping (the inbound queue, the
// transactional outbox, deliveries). They live in instance, beside
// RemoteActor, so that instance/store can implement federation's Store
// interface without importing federation or go-fed.

// InboxRow is one verified activity to queue.
type InboxRow struct {
	ActivityID, Actor, Type string
	Body                    []byte
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

// FedEvent is one change waiting to be federated.
type FedEvent struct {
	ID        int64
	Subject   string
	SubjectID int64
	CreatedAt time.Time
	Attempts  int // failed attempts so far
}

// Delivery is one activity to POST to one inbox.
type Delivery struct {
	ID            int64
	Inbox         string
	Host          string
	Signer        string // the local actor whose key signs: "group:village"
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
	EventID    int64
	Outbox     *OutboxEntry
	Deliveries []*Delivery
	// SetFederated, when not empty ("item" or "response"), sets that row's
	// federated flag to Federated.
	SetFederated string
	SubjectID    int64
	Federated    bool
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
	ID        int64
	Item      *RemoteItem
	MemberID  int64
	Body      string
	CreatedAt time.Time
}
