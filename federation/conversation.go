package federation

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"hearth/instance"
)

// Members' replies, as other servers keep them. A reply names the
// account it answers (a Mention tag and an h-card in its text), is
// addressed to that account with the followers collection and Public in
// cc, and, when it is a reply on one of our groups' public items, the
// group Announces it to its followers: GoToSocial drops a Create from an
// account its receiver does not follow unless the receiver is mentioned,
// and Mastodon keeps replies out of home timelines, so without the
// Announce a village's followers would see only the first post.

// groupMention is the Mention of one of our groups.
func (f *Federation) groupMention(g *instance.Group) mention {
	iri := f.uris.groupActor(g.Handle)
	return mention{href: iri, url: iri, user: g.Handle, name: "@" + g.Handle + "@" + f.uris.authority()}
}

// remoteMention is the Mention of a remote actor, from our cache (no
// fetch: it serves documents too); without a cached actor, the user part
// is the last segment of its id.
func (f *Federation) remoteMention(ctx context.Context, actor string) mention {
	m := mention{href: actor, url: actor}
	if a, err := f.store.RemoteActor(ctx, actor); err == nil {
		m.user = a.Username
		if u, err := url.Parse(a.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
			m.url = a.URL
		}
	}
	if m.user == "" {
		u, _ := url.Parse(actor)
		if u != nil {
			m.user = u.Path[strings.LastIndexByte(u.Path, '/')+1:]
		}
	}
	u, _ := url.Parse(actor)
	host := ""
	if u != nil {
		host = u.Host
	}
	m.name = "@" + m.user + "@" + host
	return m
}

// responseNote is the Note of a member's reply on one of our public
// items (the item's current revision): to the group, cc the group's
// followers and Public.
func (f *Federation) responseNote(ctx context.Context, r *instance.Response, it *instance.Item, g *instance.Group, m *instance.Member) (vocab.ActivityStreamsNote, []string, []string, error) {
	fed, err := f.store.ItemFederation(ctx, it.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	groupIRI := f.uris.groupActor(g.Handle)
	to, cc := []string{groupIRI}, []string{groupIRI + "/followers", publicCollection}
	note := f.replyNote(f.uris.response(r.ID), f.uris.memberActor(m.Handle), f.uris.itemObject(it, fed.Revision), to, cc, r.Body,
		r.CreatedAt, r.UpdatedAt, f.groupMention(g))
	f.localise(note, m.Language)
	return note, to, cc, nil
}

// neighbourAnswerAddressing is to/cc of a member's answer to a
// neighbour's item: to its author, cc the member's followers and Public.
//
// An answer to a need a neighbouring village offered us (overflow) goes
// to that village's group alone: the need is not public there, so
// neither is the answer.
func (f *Federation) neighbourAnswerAddressing(member string, it *instance.RemoteItem) (to, cc []string) {
	if it.Overflow {
		return []string{it.Actor}, nil
	}
	return []string{it.Actor}, []string{member + "/followers", publicCollection}
}

// announce is a group's Announce of a member's reply, in the shape
// Mastodon and GoToSocial send and show as a boost: object the Note's id,
// to Public, cc the group's followers and the Note's author, published
// now (it is the boost's time).
func (f *Federation) announce(id, group, object, author string, now time.Time) (map[string]any, error) {
	a := streams.NewActivityStreamsAnnounce()
	setID(a, id)
	setActor(a, group)
	setObjectIRI(a, object)
	setTo(a, publicCollection)
	setCc(a, group+"/followers", author)
	setPublished(a, now)
	return document(a, objectContext, nil)
}

// announceReply adds the group's Announce of a member's reply to p (the
// reply's Create), delivered to the group's followers.
func (f *Federation) announceReply(p *instance.Publication, g *instance.Group, replyID, author string, inboxes []string) error {
	group := f.uris.groupActor(g.Handle)
	id := f.newActivityID()
	doc, err := f.announce(id, group, replyID, author, f.now())
	if err != nil {
		return err
	}
	body, err := encode(doc)
	if err != nil {
		return err
	}
	p.Also = append(p.Also, &instance.OutboxEntry{Actor: group, ActivityID: id, ObjectID: replyID, Type: "Announce", Body: body,
		Public: true, CreatedAt: f.now()})
	p.Deliveries = append(p.Deliveries, f.deliveriesTo(inboxes, instance.GroupSigner(g.Handle), id, body)...)
	return nil
}

// undoAnnounce adds to p (the reply's Delete) the group's Undo of its
// latest Announce of the reply, with the Announce embedded (GoToSocial
// reads only an embedded one). A reply the group never announced has
// nothing to undo.
func (f *Federation) undoAnnounce(ctx context.Context, p *instance.Publication, g *instance.Group, replyID string, inboxes []string) error {
	group := f.uris.groupActor(g.Handle)
	prev, err := f.store.LastAnnounce(ctx, group, replyID)
	if errors.Is(err, instance.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var announced map[string]any
	if err := decodeJSON(prev.Body, &announced); err != nil {
		return err
	}
	delete(announced, "@context")
	u := streams.NewActivityStreamsUndo()
	id := f.newActivityID()
	setID(u, id)
	setActor(u, group)
	setObjectIRI(u, prev.ActivityID)
	setTo(u, publicCollection)
	setCc(u, group+"/followers")
	doc, err := document(u, objectContext, nil)
	if err != nil {
		return err
	}
	doc["object"] = announced
	body, err := encode(doc)
	if err != nil {
		return err
	}
	p.Also = append(p.Also, &instance.OutboxEntry{Actor: group, ActivityID: id, ObjectID: prev.ActivityID, Type: "Undo", Body: body,
		CreatedAt: f.now()})
	p.Deliveries = append(p.Deliveries, f.deliveriesTo(inboxes, instance.GroupSigner(g.Handle), id, body)...)
	return nil
}
