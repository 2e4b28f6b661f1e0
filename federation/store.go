package federation

import (
	"context"
	"time"

	"hearth/instance"
)

// Store is what federation keeps in the database, and the reads it needs
// to publish and serve. federation declares it and instance/store
// implements it; cmd/hearth wires the two, so this package never imports
// instance/store.
//
// It writes only federation's own bookkeeping. Everything a remote
// activity does to the domain (a reply, a neighbour's post, a Flag, a
// follower, an answer to our follow, a deleted actor) goes through
// instance.Service, which applies the rules local input obeys.
//
// The domain reads below are deliberately raw, not instance.Service's
// visibility-filtered ones: publishing must see an item or reply in every
// state (held, hidden, deleted, made village-only) to decide between
// Create, Update and Delete, and serving answers 410 for a deleted item
// and 404 for one that does not federate. What may leave the instance is
// decided by the domain in one place (instance.Item.Federates), and the
// documents are built from the fields that may leave (itemNote never reads
// an address or contact; the golden tests check every document).
type Store interface {
	// Ready reports whether the database answers (an error wraps
	// instance.ErrUnavailable): asked after a failure, to answer 503.
	Ready(ctx context.Context) error

	// Keys of our actors.
	ActorKey(ctx context.Context, signer instance.Signer) (privatePEM, publicPEM string, err error)
	SaveActorKey(ctx context.Context, signer instance.Signer, privatePEM, publicPEM string, now time.Time) error

	// The remote actor cache.
	RemoteActor(ctx context.Context, id string) (*instance.RemoteActor, error)
	RemoteActorByKeyID(ctx context.Context, keyID string) (*instance.RemoteActor, error)
	SaveRemoteActor(ctx context.Context, a *instance.RemoteActor) error

	// The inbound queue, handled in lanes (one actor's activities in
	// order), a bounded window per host.
	EnqueueInboxBatch(ctx context.Context, rows []*instance.InboxRow, now time.Time) ([]bool, error)
	InboxHosts(ctx context.Context, limit int) ([]string, error)
	InboxWindow(ctx context.Context, host string, limit int) ([]*instance.InboxHead, error)
	InboxLane(ctx context.Context, actor string, afterID int64, limit int) ([]*instance.InboxActivity, error)
	FinishInbox(ctx context.Context, results []instance.InboxResult, now time.Time) error
	// Batch runs fn with a context whose store calls (the domain's
	// included) share one write transaction, committed when fn returns
	// nil; Step runs a part of a batch under a savepoint, undone alone if
	// it fails. fn must not wait for the network: every other write waits
	// for the batch.
	Batch(ctx context.Context, fn func(context.Context) error) error
	Step(ctx context.Context, fn func(context.Context) error) error
	// WriterWaiting reports whether another write waits for the batch
	// in progress, which then commits after its current step.
	WriterWaiting() bool

	// The transactional outbox: events, their publication, retries.
	// ClaimFedEvents takes due events nobody holds until until (a lease),
	// oldest first.
	ClaimFedEvents(ctx context.Context, now, until time.Time, limit int) ([]*instance.FedEvent, error)
	Publish(ctx context.Context, p *instance.Publication, now time.Time) error
	RetryFedEvent(ctx context.Context, id int64, cause string, next time.Time, follow *instance.Following) error
	GiveUpFedEvent(ctx context.Context, id int64, cause string, now time.Time, follow *instance.Following) error

	// Deliveries, claimed with a lease, and the health of the hosts they
	// go to.
	EnqueueDeliveries(ctx context.Context, list []*instance.Delivery, now time.Time) error
	DeliveryCandidates(ctx context.Context, now time.Time, perHost, limit int) ([]instance.DeliveryCandidate, error)
	ClaimDeliveries(ctx context.Context, ids []int64, now, until time.Time) ([]*instance.Delivery, error)
	FinishDelivery(ctx context.Context, r instance.DeliveryResult, now time.Time) error
	ReleaseDeliveries(ctx context.Context, ids []int64) error
	HostAnswered(ctx context.Context, host string, now time.Time) error
	HostFailingSince(ctx context.Context, host string) (time.Time, error)
	HostState(ctx context.Context, host string) (instance.HostState, error)

	// Leases, so that several nodes on one database never do the same
	// work at once: a lease has one holder until it runs out (or is
	// renewed by its holder). Inbox lanes ("inbox:" + actor) and the prune
	// sweep are leased.
	TakeLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	TakeLeases(ctx context.Context, names []string, holder string, now, until time.Time) ([]string, error)

	// ShareRateCounts records node's inbox limit counts per key (keys not
	// in counts are removed), forgets counts written before since, and
	// returns the other nodes' sums per key.
	ShareRateCounts(ctx context.Context, node string, counts map[string]int, now, since time.Time) (map[string]int, error)

	// Pruning after the retention.
	PruneFederation(ctx context.Context, c instance.PruneCutoffs) (instance.PruneCounts, error)

	// Published activities, for outbox collections and GET by id.
	ListOutbox(ctx context.Context, actor string, beforeID int64, limit int) ([]*instance.OutboxEntry, error)
	CountOutbox(ctx context.Context, actor string) (int, error)
	OutboxActivity(ctx context.Context, activityID string) (*instance.OutboxEntry, error)
	// LastAnnounce is actor's latest Announce of an object (to undo it).
	LastAnnounce(ctx context.Context, actor, objectID string) (*instance.OutboxEntry, error)
	ItemFederation(ctx context.Context, id int64) (*instance.ItemFederation, error)
	ResponseFederated(ctx context.Context, id int64) (bool, error)

	// Followers (where to deliver, who may fetch followers-only objects)
	// and follows (the following collection, the follow worker).
	FollowerInboxes(ctx context.Context, groupID int64) ([]string, error)
	// FollowIsCurrent reports whether actorID follows one of our groups by
	// the Follow followID (not undone, not replaced by a later Follow).
	FollowIsCurrent(ctx context.Context, followID, actorID string) (bool, error)
	ListFollowers(ctx context.Context, groupID, afterID int64, limit int) ([]*instance.Follower, error)
	CountFollowers(ctx context.Context, groupID int64) (int, error)
	ListFollowing(ctx context.Context, groupID int64) ([]*instance.Following, error)
	FollowingByID(ctx context.Context, id int64) (*instance.Following, error)

	// Blocks, checked at the inbox door and before each delivery.
	BlockedActors(ctx context.Context) ([]string, error)
	BlockedDomains(ctx context.Context) ([]string, error)
	BlocksVersion() uint64

	// Domain reads for publishing and serving (see above).
	GroupByHandle(ctx context.Context, handle string) (*instance.Group, error)
	GroupByID(ctx context.Context, id int64) (*instance.Group, error)
	ItemByID(ctx context.Context, id int64) (*instance.Item, error)
	// PollByItem is a poll item's options and counted votes.
	PollByItem(ctx context.Context, itemID int64) (*instance.Poll, error)
	ResponseByID(ctx context.Context, id int64) (*instance.Response, error)
	MemberByHandle(ctx context.Context, handle string) (*instance.Member, error)
	MemberByID(ctx context.Context, id int64) (*instance.Member, error)
	MemberHasPublicResponses(ctx context.Context, memberID int64) (bool, error)
	NeighbourReplyByID(ctx context.Context, id int64) (*instance.NeighbourReply, error)
	// ItemOverflows lists a need's offers to neighbouring villages.
	ItemOverflows(ctx context.Context, itemID int64) ([]*instance.Overflow, error)
	ReportByID(ctx context.Context, id int64) (*instance.Report, error)
	CountMembers(ctx context.Context, status instance.Status) (int, error)
	CountLocalItems(ctx context.Context) (int, error)
}
