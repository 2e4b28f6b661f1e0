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
	"hearth/instance/markup"
)

// inboxHandlers are what the worker does with each activity type it acts
// on; the inbox answers any other type 202 without queueing it.
var inboxHandlers = map[string]func(f *Federation, ctx context.Context, actor string, m map[string]any) error{
	"Follow": (*Federation).onFollow,
	"Undo":   (*Federation).onUndo,
	"Block": func(f *Federation, ctx context.Context, actor string, m map[string]any) error {
		if g, ok := f.uris.localGroup(idOf(m["object"])); ok {
			return f.removeFollower(ctx, g, actor)
		}
		return nil
	},
	"Accept": func(f *Federation, ctx context.Context, actor string, m map[string]any) error {
		_, err := f.store.SetFollowingState(ctx, idOf(m["object"]), actor, "accepted")
		return err
	},
	"Reject": func(f *Federation, ctx context.Context, actor string, m map[string]any) error {
		_, err := f.store.SetFollowingState(ctx, idOf(m["object"]), actor, "rejected")
		return err
	},
	"Create": (*Federation).onCreate,
	"Update": (*Federation).onUpdate,
	"Delete": (*Federation).onDelete,
	"Flag":   (*Federation).onFlag,
}

// handles reports whether the worker acts on activities of type typ.
func handles(typ string) bool { _, ok := inboxHandlers[typ]; return ok }

// handle applies one verified activity. The signature, the key owner and
// the activity's host were checked before it was queued.
func (f *Federation) handle(ctx context.Context, a *instance.InboxActivity) error {
	h, ok := inboxHandlers[a.Type]
	if !ok {
		return nil // queued before this type was dropped at the door
	}
	var m map[string]any
	if err := decodeJSON(a.Body, &m); err != nil {
		return err
	}
	return h(f, ctx, a.Actor, m)
}

func (f *Federation) onFollow(ctx context.Context, actor string, m map[string]any) error {
	handle, ok := f.uris.localGroup(idOf(m["object"]))
	if !ok {
		return nil // follows of members or the instance actor are not offered
	}
	g, err := f.store.GroupByHandle(ctx, handle)
	if errors.Is(err, instance.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ra, err := f.actor(ctx, actor, false)
	if err != nil {
		return err
	}
	fr := followRef{id: str(m, "id"), actor: actor, object: f.uris.groupActor(g.Handle)}
	if err := f.store.AddFollower(ctx, &instance.Follower{GroupID: g.ID, ActorID: actor, Host: ra.Host, Inbox: ra.Inbox,
		SharedInbox: ra.SharedInbox, FollowID: fr.id, CreatedAt: f.now()}); err != nil {
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
	f.log.Info("follower accepted", "group", g.Handle, "actor", actor)
	return f.store.EnqueueDeliveries(ctx, []*instance.Delivery{{Inbox: ra.Inbox, Host: hostOf(ra.Inbox), Signer: "group:" + g.Handle,
		ActivityID: str(doc, "id"), Body: body}}, f.now())
}

func (f *Federation) removeFollower(ctx context.Context, handle, actor string) error {
	g, err := f.store.GroupByHandle(ctx, handle)
	if err != nil {
		return nil // not one of ours: nothing to do
	}
	n, err := f.store.RemoveFollower(ctx, g.ID, actor)
	if n > 0 {
		f.log.Info("follower removed", "group", g.Handle, "actor", actor)
	}
	return err
}

// onUndo handles Undo{Follow}, with the Follow embedded (GoToSocial,
// Mastodon) or by id. Mastodon's Follow ids are not always dereferenceable,
// so a bare id is matched against the stored follow id, never fetched.
func (f *Federation) onUndo(ctx context.Context, actor string, m map[string]any) error {
	obj, _ := m["object"].(map[string]any)
	if obj == nil {
		_, err := f.store.RemoveFollowerByFollowID(ctx, idOf(m["object"]), actor)
		return err
	}
	if typeOf(obj) != "Follow" || idOf(obj["actor"]) != actor {
		return nil // Undo{Like}, Undo{Announce}…: nothing kept, nothing to undo
	}
	if g, ok := f.uris.localGroup(idOf(obj["object"])); ok {
		return f.removeFollower(ctx, g, actor)
	}
	_, err := f.store.RemoveFollowerByFollowID(ctx, str(obj, "id"), actor)
	return err
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
	case !sameHost(n.id, actor):
		return nil, fmt.Errorf("object %s is not on the actor's host", n.id)
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
		return f.saveReply(ctx, actor, itemID, n)
	}
	f.log.Debug("create not kept: not a reply to one of our items", "object", n.id, "in_reply_to", n.inReplyTo, "actor", actor)
	follows, err := f.store.FollowingByActor(ctx, actor)
	if err != nil {
		return err
	}
	for _, fo := range follows {
		if fo.State == "accepted" || fo.State == "pending" {
			return f.saveNeighbourItem(ctx, actor, n)
		}
	}
	return nil
}

// Caps on a remote reply: more links or mentions than this and it is
// spam, not a neighbour's answer (security-catalogue G1).
const (
	maxReplyLinks    = 5
	maxReplyMentions = 5
)

// saveReply stores a remote reply on one of our items, sanitised and
// capped, with the author's name and handle.
func (f *Federation) saveReply(ctx context.Context, actor string, itemID int64, n *note) error {
	if links, mentions := strings.Count(strings.ToLower(n.content), "<a "), countMentions(n.raw); links > maxReplyLinks || mentions > maxReplyMentions {
		f.log.Warn("remote reply dropped: too many links or mentions", "object", n.id, "links", links, "mentions", mentions)
		return nil
	}
	it, err := f.store.ItemByID(ctx, itemID)
	if errors.Is(err, instance.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if it.Deleted() || it.Visibility == instance.VisibilityVillage {
		return nil
	}
	ra, err := f.actor(ctx, actor, false)
	if err != nil {
		return err
	}
	now := f.now()
	published := n.published
	if published.IsZero() || published.After(now) {
		published = now
	}
	return f.store.SaveRemoteResponse(ctx, &instance.Response{ItemID: it.ID, RemoteActor: actor, Author: displayName(ra),
		AuthorHandle: ra.Handle(), APID: n.id, ContentHTML: markup.Remote(n.content), CreatedAt: published, UpdatedAt: now})
}

func displayName(a *instance.RemoteActor) string {
	if strings.TrimSpace(a.Name) != "" {
		return a.Name
	}
	if a.Username != "" {
		return a.Username
	}
	return a.Host
}

// saveNeighbourItem rebuilds a need, offer or action from a followed
// group's Note (Hearth's extension fields), or keeps a plain post as text.
func (f *Federation) saveNeighbourItem(ctx context.Context, actor string, n *note) error {
	ra, err := f.actor(ctx, actor, false)
	if err != nil {
		return err
	}
	now := f.now()
	it := &instance.RemoteItem{APID: n.id, Actor: actor, ActorName: displayName(ra), ContentHTML: markup.Remote(n.content),
		URL: n.url, Published: n.published, Updated: now}
	if it.Published.IsZero() || it.Published.After(now) {
		it.Published = now
	}
	if it.URL == "" || !sameHost(it.URL, actor) {
		it.URL = n.id
	}
	switch k := instance.Kind(str(n.raw, "kind")); k {
	case instance.KindNeed, instance.KindOffer, instance.KindAction:
		it.Kind = k
	}
	clip := func(s string, max int) string {
		if r := []rune(s); len(r) > max {
			return string(r[:max])
		}
		return s
	}
	it.Category = clip(str(n.raw, "category"), 60)
	it.Area = clip(str(n.raw, "area"), instance.MaxArea)
	it.State = clip(str(n.raw, "state"), 20)
	it.Title = clip(titleFrom(it.ContentHTML), instance.MaxTitle)
	if t, err := time.Parse(time.RFC3339, str(n.raw, "startTime")); err == nil {
		it.StartsAt = t
	}
	if t, err := time.Parse(time.RFC3339, str(n.raw, "endTime")); err == nil {
		it.EndsAt = t
	}
	if loc, ok := n.raw["location"].(map[string]any); ok {
		it.Place = clip(str(loc, "name"), instance.MaxPlace)
	}
	return f.store.SaveRemoteItem(ctx, it)
}

// titleFrom picks a title out of a Hearth Note's content: its second
// paragraph (the first is "Need · category · area"), or the first line of
// any other post, as text.
func titleFrom(html string) string {
	paras := strings.Split(html, "</p>")
	pick := paras[0]
	if len(paras) > 2 && strings.Contains(paras[0], "<strong>") {
		pick = paras[1]
	}
	var b strings.Builder
	in := false
	for _, r := range pick {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'", "&quot;", `"`).Replace(b.String()))
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
	if ok, err := f.store.UpdateRemoteResponse(ctx, n.id, actor, markup.Remote(n.content), f.now()); err != nil || ok {
		return err
	}
	if existing, err := f.store.RemoteItemByAPID(ctx, n.id); err == nil && existing.Actor == actor {
		return f.saveNeighbourItem(ctx, actor, n)
	}
	return nil
}

// onDelete removes a reply or neighbour's item (only its author's), or
// everything of a deleted actor.
func (f *Federation) onDelete(ctx context.Context, actor string, m map[string]any) error {
	target := idOf(m["object"])
	if target == actor {
		f.log.Info("remote actor deleted", "actor", actor)
		return f.store.DeleteRemoteActorContent(ctx, actor, f.now())
	}
	if _, err := f.store.DeleteRemoteResponse(ctx, target, actor, f.now()); err != nil {
		return err
	}
	_, err := f.store.DeleteRemoteItem(ctx, target, actor, f.now())
	return err
}
