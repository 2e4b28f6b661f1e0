package federation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"hearth/instance"
)

// inboxHandlers are what the worker does with each activity type it acts
// on; the inbox answers any other type 202 without queueing it. Each
// parses the activity and calls the domain, which applies the rules.
var inboxHandlers = map[string]func(f *Federation, ctx context.Context, actor string, m map[string]any) error{
	"Follow": (*Federation).onFollow,
	"Undo":   (*Federation).onUndo,
	"Block": func(f *Federation, ctx context.Context, actor string, m map[string]any) error {
		if g, ok := f.uris.localGroup(idOf(m["object"])); ok {
			return f.svc.RemoveRemoteFollower(ctx, g, actor)
		}
		return nil
	},
	"Accept": func(f *Federation, ctx context.Context, actor string, m map[string]any) error {
		return f.svc.FollowAccepted(ctx, idOf(m["object"]), actor)
	},
	"Reject": func(f *Federation, ctx context.Context, actor string, m map[string]any) error {
		return f.svc.FollowRejected(ctx, idOf(m["object"]), actor)
	},
	"Create": (*Federation).onCreate,
	"Update": (*Federation).onUpdate,
	"Delete": (*Federation).onDelete,
	"Flag":   (*Federation).onFlag,
}

// handles reports whether the worker acts on activities of type typ.
func handles(typ string) bool { _, ok := inboxHandlers[typ]; return ok }

// handle applies one verified activity. The signature, the key owner and
// the activity's host were checked before it was queued. An activity the
// domain refuses (a blocked actor, a reply with too many links…) is done
// with: the refusal and its reason are logged, and it is not retried.
func (f *Federation) handle(ctx context.Context, a *instance.InboxActivity) error {
	h, ok := inboxHandlers[a.Type]
	if !ok {
		return nil // queued before this type was dropped at the door
	}
	var m map[string]any
	if err := decodeJSON(a.Body, &m); err != nil {
		return fmt.Errorf("federation: activity %s: %w", a.ActivityID, err)
	}
	err := h(f, ctx, a.Actor, m)
	var refused *instance.Refusal
	if errors.As(err, &refused) {
		f.log.Info("remote activity refused", "activity_id", a.ActivityID, "type", a.Type, "actor", a.Actor,
			"reason", string(refused.Reason), "detail", refused.Detail)
		return nil
	}
	if err != nil {
		return fmt.Errorf("federation: %s %s from %s: %w", a.Type, a.ActivityID, a.Actor, err)
	}
	return nil
}

func (f *Federation) onFollow(ctx context.Context, actor string, m map[string]any) error {
	handle, ok := f.uris.localGroup(idOf(m["object"]))
	if !ok {
		return nil // follows of members or the instance actor are not offered
	}
	ra, err := f.actor(ctx, actor, false)
	if err != nil {
		return err
	}
	fr := followRef{id: str(m, "id"), actor: actor, object: f.uris.groupActor(handle)}
	g, err := f.svc.AddRemoteFollower(ctx, handle, &instance.Follower{ActorID: actor, Host: ra.Host, Inbox: ra.Inbox,
		SharedInbox: ra.SharedInbox, FollowID: fr.id, CreatedAt: f.now()})
	if err != nil {
		return err
	}
	// Every Follow is answered, a repeated one too (Mastodon re-sends
	// Follows after key changes and waits for the Accept).
	doc, err := f.acceptFollow(fr.object, fr)
	if err != nil {
		return err
	}
	body, err := encode(doc)
	if err != nil {
		return err
	}
	return f.store.EnqueueDeliveries(ctx, []*instance.Delivery{{Inbox: ra.Inbox, Host: hostOf(ra.Inbox), Signer: instance.GroupSigner(g.Handle),
		ActivityID: str(doc, "id"), Body: body}}, f.now())
}

// onUndo handles Undo{Follow}, with the Follow embedded (GoToSocial,
// Mastodon) or by id. Mastodon's Follow ids are not always dereferenceable,
// so a bare id is matched against the stored follow id, never fetched.
func (f *Federation) onUndo(ctx context.Context, actor string, m map[string]any) error {
	obj, _ := m["object"].(map[string]any)
	if obj == nil {
		return f.svc.RemoveRemoteFollowerByFollowID(ctx, idOf(m["object"]), actor)
	}
	if typeOf(obj) != "Follow" || idOf(obj["actor"]) != actor {
		return nil // Undo{Like}, Undo{Announce}…: nothing kept, nothing to undo
	}
	if g, ok := f.uris.localGroup(idOf(obj["object"])); ok {
		return f.svc.RemoveRemoteFollower(ctx, g, actor)
	}
	return f.svc.RemoveRemoteFollowerByFollowID(ctx, str(obj, "id"), actor)
}

// note is what we read from an inbound Note (parsed with go-fed's
// streams, which also tells us its type is one we know).
type note struct {
	id, attributedTo, inReplyTo, content, url string
	published, updated                        time.Time
	raw                                       map[string]any
}

var noteTypes = map[string]bool{"Note": true, "Article": true, "Page": true, "Question": true, "Event": true}

// parseNote reads an embedded object, checking it is a Note-like type from
// the actor's own host and attributed to that actor (object origin: a
// server may only speak for its own objects).
func parseNote(ctx context.Context, actor string, raw map[string]any) (*note, error) {
	if !noteTypes[typeOf(raw)] {
		return nil, nil
	}
	withContext := map[string]any{}
	for k, v := range raw {
		withContext[k] = v
	}
	withContext["@context"] = "https://www.w3.org/ns/activitystreams"
	t, err := streams.ToType(ctx, withContext)
	if err != nil {
		return nil, fmt.Errorf("unreadable %s: %w", typeOf(raw), err)
	}
	n := &note{raw: raw}
	type common interface {
		GetJSONLDId() vocab.JSONLDIdProperty
		GetActivityStreamsAttributedTo() vocab.ActivityStreamsAttributedToProperty
		GetActivityStreamsInReplyTo() vocab.ActivityStreamsInReplyToProperty
		GetActivityStreamsContent() vocab.ActivityStreamsContentProperty
		GetActivityStreamsPublished() vocab.ActivityStreamsPublishedProperty
		GetActivityStreamsUpdated() vocab.ActivityStreamsUpdatedProperty
	}
	c, ok := t.(common)
	if !ok {
		return nil, nil
	}
	if p := c.GetJSONLDId(); p != nil && p.Get() != nil {
		n.id = p.Get().String()
	}
	if p := c.GetActivityStreamsAttributedTo(); p != nil && p.Len() > 0 && p.At(0).GetIRI() != nil {
		n.attributedTo = p.At(0).GetIRI().String()
	} else {
		n.attributedTo = idOf(raw["attributedTo"]) // embedded actor object
	}
	if p := c.GetActivityStreamsInReplyTo(); p != nil && p.Len() > 0 && p.At(0).GetIRI() != nil {
		n.inReplyTo = p.At(0).GetIRI().String()
	} else if p != nil && p.Len() > 0 {
		n.inReplyTo = idOf(raw["inReplyTo"])
	}
	if p := c.GetActivityStreamsContent(); p != nil && p.Len() > 0 && p.At(0).IsXMLSchemaString() {
		n.content = p.At(0).GetXMLSchemaString()
	}
	if p := c.GetActivityStreamsPublished(); p != nil && p.IsXMLSchemaDateTime() {
		n.published = p.Get()
	}
	if p := c.GetActivityStreamsUpdated(); p != nil && p.IsXMLSchemaDateTime() {
		n.updated = p.Get()
	}
	n.url = idOf(raw["url"])
	switch {
	case n.id == "":
		return nil, errors.New("object without id")
	case !sameOrigin(n.id, actor):
		return nil, fmt.Errorf("object %s is not on the actor's origin", n.id)
	case n.attributedTo != "" && n.attributedTo != actor:
		return nil, fmt.Errorf("object %s is attributed to %s, not to %s", n.id, n.attributedTo, actor)
	}
	return n, nil
}

// onCreate keeps replies to our items and posts from groups we follow.
func (f *Federation) onCreate(ctx context.Context, actor string, m map[string]any) error {
	raw, ok := m["object"].(map[string]any)
	if !ok {
		return nil // a bare IRI: we only take embedded objects
	}
	n, err := parseNote(ctx, actor, raw)
	if err != nil || n == nil {
		return err
	}
	if itemID, ok := f.uris.localItemID(n.inReplyTo); ok {
		if name, vote := pollVote(n); vote {
			_, err := f.svc.ReceivePollVote(ctx, itemID, actor, n.id, name)
			return err
		}
	}
	rn, err := f.remoteNote(ctx, actor, n)
	if err != nil {
		return err
	}
	if itemID, ok := f.uris.localItemID(n.inReplyTo); ok {
		return f.svc.ReceiveReply(ctx, itemID, rn)
	}
	if itemID, ok := f.uris.localOverflowItemID(n.inReplyTo); ok {
		return f.svc.ReceiveReply(ctx, itemID, rn) // an answer to a need we offered its village
	}
	return f.svc.ReceiveNeighbourPost(ctx, rn)
}

// remoteNote turns a parsed Note into the domain's plain values, with its
// author's cached actor (for their name and handle).
func (f *Federation) remoteNote(ctx context.Context, actor string, n *note) (*instance.RemoteNote, error) {
	ra, err := f.actor(ctx, actor, false)
	if err != nil {
		return nil, err
	}
	rn := &instance.RemoteNote{ID: n.id, Author: ra, HTML: n.content, Mentions: countMentions(n.raw), Published: n.published, Updated: n.updated,
		Kind: instance.Kind(str(n.raw, "kind")), Category: str(n.raw, "category"), Area: str(n.raw, "area"), State: str(n.raw, "state")}
	if n.url != "" && sameOrigin(n.url, actor) {
		rn.URL = n.url
	}
	if t, err := time.Parse(time.RFC3339, str(n.raw, "startTime")); err == nil {
		rn.StartsAt = t
	}
	if t, err := time.Parse(time.RFC3339, str(n.raw, "endTime")); err == nil {
		rn.EndsAt = t
	}
	if loc, ok := n.raw["location"].(map[string]any); ok {
		rn.Place = str(loc, "name")
	}
	rn.Description, rn.HasDescription = n.raw["description"].(string)
	rn.Overflow, _ = n.raw[overflowTerm].(bool)
	return rn, nil
}

// onUpdate applies edits by their author: a reply's text, a neighbour's
// item, or a refreshed actor.
func (f *Federation) onUpdate(ctx context.Context, actor string, m map[string]any) error {
	raw, ok := m["object"].(map[string]any)
	if !ok {
		return nil
	}
	if actorTypes[typeOf(raw)] {
		if str(raw, "id") != actor {
			return fmt.Errorf("update of actor %s by %s", str(raw, "id"), actor)
		}
		_, err := f.actor(ctx, actor, true)
		return err
	}
	n, err := parseNote(ctx, actor, raw)
	if err != nil || n == nil {
		return err
	}
	rn, err := f.remoteNote(ctx, actor, n)
	if err != nil {
		return err
	}
	if ok, err := f.svc.ReceiveReplyEdit(ctx, rn); err != nil || ok {
		return err
	}
	_, err = f.svc.ReceiveNeighbourEdit(ctx, rn)
	return err
}

// onDelete removes a reply or neighbour's item (only its author's), or
// everything of a deleted actor.
func (f *Federation) onDelete(ctx context.Context, actor string, m map[string]any) error {
	target := idOf(m["object"])
	if target == actor {
		return f.svc.RemoteActorDeleted(ctx, actor)
	}
	return f.svc.ReceiveDelete(ctx, actor, target)
}

// pollVote reports whether a Note is a vote on a poll, as Mastodon and
// GoToSocial send one: a Note with a `name` (the option) and no content,
// in reply to the Question (app/lib/activitypub/activity/create.rb,
// poll_vote?). A Note with content is a reply, even with a name.
func pollVote(n *note) (string, bool) {
	if typeOf(n.raw) != "Note" || strings.TrimSpace(n.content) != "" {
		return "", false
	}
	name, ok := n.raw["name"].(string)
	if !ok || strings.TrimSpace(name) == "" {
		return "", false
	}
	return name, true
}
