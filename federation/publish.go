package federation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-fed/activity/streams/vocab"

	"hearth/instance"
)

// PublishEvents turns queued changes (the transactional outbox written with
// each change) into activities and deliveries; it returns how many events
// it handled. An event whose handling fails stays queued and is retried
// with the deliveries' backoff (a minute, five, fifteen, an hour, …),
// and is given up after giveUpAfter with its last error kept.
func (f *Federation) PublishEvents(ctx context.Context) (int, error) {
	now := f.now()
	events, err := f.store.ClaimFedEvents(ctx, now, now.Add(eventLease), 50)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, e := range events {
		p, err := f.publication(ctx, e)
		if err != nil {
			if ctx.Err() != nil {
				return done, ctx.Err() // shutting down: not the event's fault
			}
			if err := f.eventFailed(ctx, e, err, now); err != nil {
				return done, err
			}
			continue
		}
		p.EventID = e.ID
		if err := f.store.Publish(ctx, p, f.now()); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// eventLease is how long a node holds the events it claimed: longer than
// publishing fifty takes, short enough that a dead node's are published
// by another soon after.
const eventLease = 2 * time.Minute

// eventFailed schedules a failed event's next attempt, or gives it up,
// with what the failure has to record (a follow whose server does not
// answer) in the same transaction.
func (f *Federation) eventFailed(ctx context.Context, e *instance.FedEvent, cause error, now time.Time) error {
	var ff *followFailure
	var follow *instance.Following
	if errors.As(cause, &ff) {
		follow = ff.follow
	}
	var unknown *unknownSubject
	if now.Sub(e.CreatedAt) <= giveUpAfter && !errors.As(cause, &unknown) {
		next := nextAttempt(e.Attempts, now)
		f.log.Warn("publishing failed; will retry", "event", e.ID, "subject", e.Subject, "id", e.SubjectID,
			"attempt", e.Attempts+1, "next_attempt_at", next, "err", cause)
		return f.store.RetryFedEvent(ctx, e.ID, cause.Error(), next, follow)
	}
	f.log.Error("publishing given up", "event", e.ID, "subject", e.Subject, "id", e.SubjectID, "attempts", e.Attempts+1,
		"since", e.CreatedAt, "err", cause)
	if follow == nil && e.Subject == instance.SubjectFollow {
		if fo, err := f.store.FollowingByID(ctx, e.SubjectID); err == nil {
			follow = fo
		}
	}
	if follow != nil && follow.State == instance.FollowingResolving {
		follow.State, follow.Error = instance.FollowingFailed, instance.FollowUnreachable
	} else {
		follow = nil
	}
	return f.store.GiveUpFedEvent(ctx, e.ID, cause.Error(), now, follow)
}

// followFailure is a follow that could not be sent because the other
// server did not answer: the follow says so while the event is retried.
type followFailure struct {
	follow *instance.Following
	err    error
}

func (e *followFailure) Error() string { return e.err.Error() }
func (e *followFailure) Unwrap() error { return e.err }

// unknownSubject is an event this build cannot publish: given up at once.
type unknownSubject struct{ subject instance.EventSubject }

func (e *unknownSubject) Error() string {
	return fmt.Sprintf("federation: unknown event subject %q", string(e.subject))
}

// publication builds what an event publishes. It has no side effects:
// everything it decides is in the Publication, which store.Publish
// writes in one transaction.
func (f *Federation) publication(ctx context.Context, e *instance.FedEvent) (*instance.Publication, error) {
	build := map[instance.EventSubject]func(context.Context, int64) (*instance.Publication, error){
		instance.SubjectItem:           f.publishItem,
		instance.SubjectResponse:       f.publishResponse,
		instance.SubjectNeighbourReply: f.publishNeighbourReply,
		instance.SubjectFollow:         f.startFollow,
		instance.SubjectUnfollow:       f.stopFollow,
		instance.SubjectFlag:           f.publishFlag,
		instance.SubjectGroup:          f.publishGroup,
		instance.SubjectOverflow:       f.publishOverflow,
	}[e.Subject]
	if build == nil {
		return nil, &unknownSubject{subject: e.Subject}
	}
	p, err := build(ctx, e.SubjectID)
	if err != nil {
		return nil, fmt.Errorf("federation: publish %s %d (event %d): %w", e.Subject, e.SubjectID, e.ID, err)
	}
	return p, nil
}

// deliveriesTo builds one delivery per inbox, skipping blocked hosts.
func (f *Federation) deliveriesTo(inboxes []string, signer instance.Signer, activityID string, body []byte) []*instance.Delivery {
	var out []*instance.Delivery
	for _, in := range inboxes {
		h := hostOf(in)
		if h == "" || f.blockedHost(h) {
			continue
		}
		out = append(out, &instance.Delivery{Inbox: in, Host: h, Signer: signer, ActivityID: activityID, Body: body})
	}
	return out
}

// activityFor wraps an object into Create/Update/Delete, encodes it, and
// builds its outbox entry and deliveries.
func (f *Federation) activityFor(kind, actor string, signer instance.Signer, object vocab.Type, extra map[string]any, to, cc, inboxes []string, public bool) (*instance.Publication, error) {
	objectID := ""
	if idp, ok := object.(interface{ GetJSONLDId() vocab.JSONLDIdProperty }); ok && idp.GetJSONLDId() != nil {
		objectID = idp.GetJSONLDId().Get().String()
	}
	id := f.newActivityID()
	doc, err := f.wrap(kind, id, actor, object, extra, to, cc, f.now())
	if err != nil {
		return nil, err
	}
	body, err := encode(doc)
	if err != nil {
		return nil, err
	}
	return &instance.Publication{
		Outbox:     &instance.OutboxEntry{Actor: actor, ActivityID: id, ObjectID: objectID, Type: kind, Body: body, Public: public, CreatedAt: f.now()},
		Deliveries: f.deliveriesTo(inboxes, signer, id, body),
	}, nil
}

// publishItem sends Create the first time a public or followers-only item
// changes, Update after that, and Delete when it is deleted or made
// village-only. Village-only items never leave the instance.
func (f *Federation) publishItem(ctx context.Context, id int64) (*instance.Publication, error) {
	it, err := f.store.ItemByID(ctx, id)
	if errors.Is(err, instance.ErrNotFound) {
		return &instance.Publication{}, nil
	}
	if err != nil {
		return nil, err
	}
	fed, err := f.store.ItemFederation(ctx, id)
	if err != nil {
		return nil, err
	}
	g, err := f.store.GroupByID(ctx, it.GroupID)
	if err != nil {
		return nil, fmt.Errorf("group %d: %w", it.GroupID, err)
	}
	groupIRI, signer := f.uris.groupActor(g.Handle), instance.GroupSigner(g.Handle)
	inboxes, err := f.store.FollowerInboxes(ctx, g.ID)
	if err != nil {
		return nil, fmt.Errorf("followers of %s: %w", g.Handle, err)
	}
	if !it.Federates() {
		if !fed.Federated {
			return &instance.Publication{}, nil
		}
		deleted := it.DeletedAt
		if deleted.IsZero() {
			deleted = f.now() // withdrawn (village-only, held, hidden), not deleted
		}
		p, err := f.activityFor("Delete", groupIRI, signer, tombstone(f.uris.itemObject(it, fed.Revision), deleted), nil,
			[]string{publicCollection}, []string{groupIRI + "/followers"}, inboxes, true)
		if err != nil {
			return nil, err
		}
		p.SetFederated, p.SubjectID, p.Federated = instance.SubjectItem, id, false
		return p, nil
	}
	// A first publication (or one after a withdrawal: a new revision) is
	// published now; an Update keeps its revision's time.
	kind, published := "Update", itemPublished(it, fed)
	if !fed.Federated {
		kind, published = "Create", f.now().UTC().Truncate(time.Second)
	}
	note, extra, err := f.itemObject(ctx, it, g)
	if err != nil {
		return nil, err
	}
	f.revise(note, it, fed.Revision, published)
	to, cc := f.addressing(it, g)
	p, err := f.activityFor(kind, groupIRI, signer, note, extra, to, cc, inboxes, it.Visibility == instance.VisibilityPublic)
	if err != nil {
		return nil, err
	}
	p.SetFederated, p.SubjectID, p.Federated = instance.SubjectItem, id, true
	if kind == "Create" {
		p.ItemPublishedAt = published
	}
	return p, nil
}

// responseObject builds the Note of a local member's reply on a public
// item; ErrNotFound when it does not federate, ErrGone when deleted.
func (f *Federation) responseObject(ctx context.Context, id int64) (vocab.ActivityStreamsNote, error) {
	r, it, g, m, err := f.responseParts(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Deleted || r.Removed {
		return nil, instance.ErrGone
	}
	if r.Held {
		return nil, instance.ErrNotFound
	}
	note, _, _, err := f.responseNote(ctx, r, it, g, m)
	return note, err
}

func (f *Federation) responseParts(ctx context.Context, id int64) (*instance.Response, *instance.Item, *instance.Group, *instance.Member, error) {
	r, err := f.store.ResponseByID(ctx, id)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if r.AuthorID == 0 {
		return nil, nil, nil, nil, instance.ErrNotFound // remote replies are their authors' to serve
	}
	it, err := f.store.ItemByID(ctx, r.ItemID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if it.Visibility != instance.VisibilityPublic || !it.Federates() {
		return nil, nil, nil, nil, instance.ErrNotFound
	}
	g, err := f.store.GroupByID(ctx, it.GroupID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	m, err := f.store.MemberByID(ctx, r.AuthorID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return r, it, g, m, nil
}

// publishResponse federates a member's reply on a public item from their
// Person actor, to the group's followers.
func (f *Federation) publishResponse(ctx context.Context, id int64) (*instance.Publication, error) {
	r, it, g, m, err := f.responseParts(ctx, id)
	if errors.Is(err, instance.ErrNotFound) {
		return &instance.Publication{}, nil
	}
	if err != nil {
		return nil, err
	}
	federated, err := f.store.ResponseFederated(ctx, id)
	if err != nil {
		return nil, err
	}
	inboxes, err := f.store.FollowerInboxes(ctx, g.ID)
	if err != nil {
		return nil, fmt.Errorf("followers of %s: %w", g.Handle, err)
	}
	author, signer := f.uris.memberActor(m.Handle), instance.MemberSigner(m.Handle)
	note, to, cc, err := f.responseNote(ctx, r, it, g, m)
	if err != nil {
		return nil, err
	}
	// A held reply is published when a coordinator releases it; one held
	// after it went out (an edit with a hold word) is retracted meanwhile,
	// and the group takes back its Announce of it.
	if r.Deleted || r.Removed || r.Held {
		if !federated {
			return &instance.Publication{}, nil
		}
		deleted := r.DeletedAt
		if deleted.IsZero() {
			deleted = f.now() // held after it went out, not deleted
		}
		p, err := f.activityFor("Delete", author, signer, tombstone(f.uris.response(id), deleted), nil, to, cc, inboxes, true)
		if err != nil {
			return nil, err
		}
		if err := f.undoAnnounce(ctx, p, g, f.uris.response(id), inboxes); err != nil {
			return nil, err
		}
		p.SetFederated, p.SubjectID, p.Federated = instance.SubjectResponse, id, false
		return p, nil
	}
	kind := "Update"
	if !federated {
		kind = "Create"
	}
	p, err := f.activityFor(kind, author, signer, note, nil, to, cc, inboxes, true)
	if err != nil {
		return nil, err
	}
	if kind == "Create" {
		if err := f.announceReply(p, g, f.uris.response(id), author, inboxes); err != nil {
			return nil, err
		}
	}
	p.SetFederated, p.SubjectID, p.Federated = instance.SubjectResponse, id, true
	return p, nil
}

// neighbourReplyObject builds the Note of a member's answer to a
// neighbour's item, addressed to that item's author.
func (f *Federation) neighbourReplyObject(ctx context.Context, id int64) (vocab.ActivityStreamsNote, *instance.NeighbourReply, error) {
	nr, err := f.store.NeighbourReplyByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if nr.Held {
		return nil, nil, instance.ErrNotFound // it has not left yet
	}
	m, err := f.store.MemberByID(ctx, nr.MemberID)
	if err != nil {
		return nil, nil, err
	}
	member := f.uris.memberActor(m.Handle)
	to, cc := f.neighbourAnswerAddressing(member, nr.Item)
	note := f.replyNote(f.uris.neighbourReply(nr.ID), member, nr.Item.APID, to, cc, nr.Body, nr.CreatedAt, nr.CreatedAt,
		f.remoteMention(ctx, nr.Item.Actor))
	f.localise(note, m.Language)
	return note, nr, nil
}

func (f *Federation) publishNeighbourReply(ctx context.Context, id int64) (*instance.Publication, error) {
	nr, err := f.store.NeighbourReplyByID(ctx, id)
	if errors.Is(err, instance.ErrNotFound) || (err == nil && nr.Held) {
		return &instance.Publication{}, nil
	}
	if err != nil {
		return nil, err
	}
	// The author's actor, fetched if need be, names the Mention too.
	ra, err := f.actor(ctx, nr.Item.Actor, false)
	if err != nil {
		return nil, err
	}
	note, _, err := f.neighbourReplyObject(ctx, id)
	if err != nil {
		return nil, err
	}
	m, err := f.store.MemberByID(ctx, nr.MemberID)
	if err != nil {
		return nil, err
	}
	inbox := ra.Inbox
	if ra.SharedInbox != "" {
		inbox = ra.SharedInbox
	}
	member := f.uris.memberActor(m.Handle)
	to, cc := f.neighbourAnswerAddressing(member, nr.Item)
	return f.activityFor("Create", member, instance.MemberSigner(m.Handle), note, nil, to, cc, []string{inbox}, !nr.Item.Overflow)
}

// startFollow resolves a coordinator's "follow @group@host" by WebFinger
// and sends the Follow. If the other server cannot be reached the follow
// says so ("unreachable") and the event is retried with backoff; an
// answer that the group does not exist is final ("not_found"). The
// follow's new state goes in the Publication (or, while retrying, with
// the retry), never written from here.
func (f *Federation) startFollow(ctx context.Context, id int64) (*instance.Publication, error) {
	fo, err := f.store.FollowingByID(ctx, id)
	if errors.Is(err, instance.ErrNotFound) {
		return &instance.Publication{}, nil
	}
	if err != nil {
		return nil, err
	}
	if fo.State != instance.FollowingResolving {
		return &instance.Publication{}, nil
	}
	g, err := f.store.GroupByID(ctx, fo.GroupID)
	if err != nil {
		return nil, fmt.Errorf("group %d: %w", fo.GroupID, err)
	}
	fail := func(cause error) (*instance.Publication, error) {
		if transient(cause) {
			fo.Error = instance.FollowUnreachable
			return nil, &followFailure{follow: fo, err: fmt.Errorf("following %s: %w", fo.Address, cause)}
		}
		f.log.Warn("following a remote group failed", "group", g.Handle, "address", fo.Address, "err", cause)
		fo.State, fo.Error = instance.FollowingFailed, instance.FollowNotFound
		return &instance.Publication{Following: fo}, nil
	}
	user, host, _ := strings.Cut(fo.Address, "@")
	actorIRI, err := f.lookup(ctx, user, host)
	if err != nil {
		return fail(err)
	}
	ra, err := f.actor(ctx, actorIRI, true)
	if err != nil {
		return fail(err)
	}
	fr := followRef{id: f.newActivityID(), actor: f.uris.groupActor(g.Handle), object: ra.ID}
	doc, err := f.follow(fr)
	if err != nil {
		return nil, err
	}
	body, err := encode(doc)
	if err != nil {
		return nil, err
	}
	fo.ActorID, fo.Name, fo.FollowID, fo.State, fo.Error = ra.ID, ra.DisplayName(), fr.id, instance.FollowingPending, ""
	return &instance.Publication{Following: fo, Deliveries: f.deliveriesTo([]string{ra.Inbox}, instance.GroupSigner(g.Handle), fr.id, body)}, nil
}

// stopFollow sends Undo{Follow}; the Publication forgets the follow.
func (f *Federation) stopFollow(ctx context.Context, id int64) (*instance.Publication, error) {
	fo, err := f.store.FollowingByID(ctx, id)
	if errors.Is(err, instance.ErrNotFound) {
		return &instance.Publication{}, nil
	}
	if err != nil {
		return nil, err
	}
	p := &instance.Publication{ForgetFollowing: id}
	if fo.ActorID != "" && fo.FollowID != "" {
		g, err := f.store.GroupByID(ctx, fo.GroupID)
		if err != nil {
			return nil, fmt.Errorf("group %d: %w", fo.GroupID, err)
		}
		fr := followRef{id: fo.FollowID, actor: f.uris.groupActor(g.Handle), object: fo.ActorID}
		doc, err := f.undoFollow(fr)
		if err != nil {
			return nil, err
		}
		body, err := encode(doc)
		if err != nil {
			return nil, err
		}
		if ra, err := f.actor(ctx, fo.ActorID, false); err == nil {
			p.Deliveries = f.deliveriesTo([]string{ra.Inbox}, instance.GroupSigner(g.Handle), str(doc, "id"), body)
		}
	}
	return p, nil
}
