package federation

import (
	"context"
	"time"

	"hearth/instance"
)

// Store is what federation keeps in the database. federation declares it
// and instance/store implements it; cmd/hearth wires the two, so this
// package never imports instance/store.
type Store interface {
	ActorKey(ctx context.Context, actor string) (privatePEM, publicPEM string, err error)
	AddFollower(ctx context.Context, f *instance.Follower) error
	AddReport(ctx context.Context, r *instance.Report) (int64, error)
	BlockedActors(ctx context.Context) ([]string, error)
	BlockedDomains(ctx context.Context) ([]string, error)
	BlocksVersion() uint64
	ClaimDeliveries(ctx context.Context, ids []int64, now, until time.Time) ([]*instance.Delivery, error)
	CountFollowers(ctx context.Context, groupID int64) (int, error)
	CountLocalItems(ctx context.Context) (int, error)
	CountMembers(ctx context.Context, status instance.Status) (int, error)
	CountOutbox(ctx context.Context, actor string) (int, error)
	DeleteFollowing(ctx context.Context, id int64) error
	DeleteRemoteActorContent(ctx context.Context, actor string, now time.Time) error
	DeleteRemoteItem(ctx context.Context, apID, actor string, now time.Time) (bool, error)
	DeleteRemoteResponse(ctx context.Context, apID, actor string, now time.Time) (bool, error)
	DeliveryCandidates(ctx context.Context, now time.Time, perHost, limit int) ([]instance.DeliveryCandidate, error)
	EnqueueDeliveries(ctx context.Context, list []*instance.Delivery, now time.Time) error
	EnqueueInboxBatch(ctx context.Context, rows []*instance.InboxRow, now time.Time) ([]bool, error)
	FinishDelivery(ctx context.Context, r instance.DeliveryResult, now time.Time) error
	FinishInbox(ctx context.Context, results []instance.InboxResult, now time.Time) error
	FollowerInboxes(ctx context.Context, groupID int64) ([]string, error)
	FollowingByActor(ctx context.Context, actorID string) ([]*instance.Following, error)
	FollowingByID(ctx context.Context, id int64) (*instance.Following, error)
	GiveUpFedEvent(ctx context.Context, id int64, cause string, now time.Time) error
	GroupByHandle(ctx context.Context, handle string) (*instance.Group, error)
	GroupByID(ctx context.Context, id int64) (*instance.Group, error)
	HostAnswered(ctx context.Context, host string, now time.Time) error
	HostFailingSince(ctx context.Context, host string) (time.Time, error)
	HostState(ctx context.Context, host string) (instance.HostState, error)
	InboxHosts(ctx context.Context, limit int) ([]string, error)
	InboxLane(ctx context.Context, actor string, afterID int64, limit int) ([]*instance.InboxActivity, error)
	InboxWindow(ctx context.Context, host string, limit int) ([]*instance.InboxHead, error)
	ItemByID(ctx context.Context, id int64) (*instance.Item, error)
	ItemFederated(ctx context.Context, id int64) (bool, error)
	ListFollowers(ctx context.Context, groupID, afterID int64, limit int) ([]*instance.Follower, error)
	ListFollowing(ctx context.Context, groupID int64) ([]*instance.Following, error)
	ListOutbox(ctx context.Context, actor string, beforeID int64, limit int) ([]*instance.OutboxEntry, error)
	MemberByHandle(ctx context.Context, handle string) (*instance.Member, error)
	MemberByID(ctx context.Context, id int64) (*instance.Member, error)
	MemberHasPublicResponses(ctx context.Context, memberID int64) (bool, error)
	NeighbourReplyByID(ctx context.Context, id int64) (*instance.NeighbourReply, error)
	NextFedEvents(ctx context.Context, now time.Time, limit int) ([]*instance.FedEvent, error)
	OutboxActivity(ctx context.Context, activityID string) (*instance.OutboxEntry, error)
	Publish(ctx context.Context, p *instance.Publication, now time.Time) error
	PruneFederation(ctx context.Context, c instance.PruneCutoffs) (instance.PruneCounts, error)
	ReleaseDeliveries(ctx context.Context, ids []int64) error
	RemoteActor(ctx context.Context, id string) (*instance.RemoteActor, error)
	RemoteActorByKeyID(ctx context.Context, keyID string) (*instance.RemoteActor, error)
	RemoteItemByAPID(ctx context.Context, apID string) (*instance.RemoteItem, error)
	RemoveFollower(ctx context.Context, groupID int64, actorID string) (int64, error)
	RemoveFollowerByFollowID(ctx context.Context, followID, actorID string) (int64, error)
	ReportByID(ctx context.Context, id int64) (*instance.Report, error)
	ResponseByID(ctx context.Context, id int64) (*instance.Response, error)
	ResponseFederated(ctx context.Context, id int64) (bool, error)
	RetryFedEvent(ctx context.Context, id int64, cause string, next time.Time) error
	SaveActorKey(ctx context.Context, actor, privatePEM, publicPEM string, now time.Time) error
	SaveRemoteActor(ctx context.Context, a *instance.RemoteActor) error
	SaveRemoteItem(ctx context.Context, it *instance.RemoteItem) error
	SaveRemoteResponse(ctx context.Context, r *instance.Response) error
	SetFollowingState(ctx context.Context, followID, actorID, state string) (bool, error)
	UpdateFollowing(ctx context.Context, f *instance.Following) error
	UpdateRemoteResponse(ctx context.Context, apID, actor, html string, now time.Time) (bool, error)
}
