package federation

import (
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"hearth/instance"
)

// newActivityID mints a fresh, fetchable activity id.
func (f *Federation) newActivityID() string {
	return f.uris.activity(instance.RandomToken(12))
}

// wrap builds Create, Update or Delete of an object (a Note or Tombstone)
// by actor, with the object's addressing and a fresh published time
// (Mastodon keeps posts older than a few hours out of home timelines).
func (f *Federation) wrap(kind, id, actor string, object vocab.Type, objectExtra map[string]any, to, cc []string, now time.Time) (map[string]any, error) {
	var act interface {
		vocab.Type
		SetJSONLDId(vocab.JSONLDIdProperty)
		SetActivityStreamsActor(vocab.ActivityStreamsActorProperty)
		SetActivityStreamsObject(vocab.ActivityStreamsObjectProperty)
		SetActivityStreamsTo(vocab.ActivityStreamsToProperty)
		SetActivityStreamsCc(vocab.ActivityStreamsCcProperty)
		SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	}
	switch kind {
	case "Create":
		act = streams.NewActivityStreamsCreate()
	case "Update":
		act = streams.NewActivityStreamsUpdate()
	default:
		act = streams.NewActivityStreamsDelete()
	}
	setID(act, id)
	setActor(act, actor)
	obj := streams.NewActivityStreamsObjectProperty()
	if err := obj.AppendType(object); err != nil {
		return nil, err
	}
	act.SetActivityStreamsObject(obj)
	setTo(act, to...)
	setCc(act, cc...)
	setPublished(act, now)
	m, err := document(act, contextFor(object), nil)
	if err != nil {
		return nil, err
	}
	if inner, ok := m["object"].(map[string]any); ok {
		for k, v := range objectExtra {
			inner[k] = v
		}
		preciseUpdated(object, inner)
	}
	return m, nil
}

// followRef is a Follow as received or sent: enough to embed it.
type followRef struct {
	id, actor, object string
}

func followType(fr followRef) vocab.ActivityStreamsFollow {
	fo := streams.NewActivityStreamsFollow()
	setID(fo, fr.id)
	setActor(fo, fr.actor)
	setObjectIRI(fo, fr.object)
	return fo
}

// acceptFollow is the group's Accept of a received Follow, with the Follow
// embedded and its id unchanged (Mastodon matches on it).
func (f *Federation) acceptFollow(group string, fr followRef) (map[string]any, error) {
	acc := streams.NewActivityStreamsAccept()
	setID(acc, f.newActivityID())
	setActor(acc, group)
	obj := streams.NewActivityStreamsObjectProperty()
	obj.AppendActivityStreamsFollow(followType(fr))
	acc.SetActivityStreamsObject(obj)
	setTo(acc, fr.actor)
	return document(acc, objectContext, nil)
}

// follow is our group's Follow of a remote actor.
func (f *Federation) follow(fr followRef) (map[string]any, error) {
	fo := followType(fr)
	setTo(fo, fr.object)
	return document(fo, objectContext, nil)
}

// undoFollow takes back our Follow.
func (f *Federation) undoFollow(fr followRef) (map[string]any, error) {
	u := streams.NewActivityStreamsUndo()
	setID(u, f.newActivityID())
	setActor(u, fr.actor)
	obj := streams.NewActivityStreamsObjectProperty()
	obj.AppendActivityStreamsFollow(followType(fr))
	u.SetActivityStreamsObject(obj)
	setTo(u, fr.object)
	return document(u, objectContext, nil)
}
