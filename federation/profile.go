package federation

import (
	"context"
	"errors"
	"html"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// A group's profile on the fediverse: its images (icon, image), its fields
// (PropertyValue attachments, as Mastodon writes them), the featured
// collections every actor links, and Update{Group} when any of it changes.

// profileExtra adds the profile terms to an actor document: featured and
// featuredTags for every actor (GoToSocial dereferences featured for each
// actor it sees and logs an error when there is none), and a group's
// images and fields.
func (f *Federation) profileExtra(a actorInfo, extra map[string]any) {
	extra["featured"] = a.iri + "/collections/featured"
	extra["featuredTags"] = a.iri + "/collections/tags"
	if a.icon != nil {
		extra["icon"] = f.imageObject(a.icon)
	}
	if a.image != nil {
		extra["image"] = f.imageObject(a.image)
	}
	if len(a.fields) > 0 {
		var att []any
		for _, fl := range a.fields {
			att = append(att, map[string]any{"type": "PropertyValue", "name": fl.Name, "value": fieldValue(fl)})
		}
		extra["attachment"] = att
	}
}

// imageObject is an icon or image: an Image with its type and URL, and
// the alt text as name (GoToSocial writes and reads it there).
func (f *Federation) imageObject(img *instance.GroupImage) map[string]any {
	m := map[string]any{"type": "Image", "mediaType": img.ContentType, "url": f.uris.base + img.Path()}
	if img.Alt != "" {
		m["name"] = img.Alt
	}
	return m
}

// fieldValue is a profile field's value as HTML: a web address becomes a
// link (Mastodon shows it as one, and marks it verified when the page
// links back with rel="me"), anything else escaped text.
func fieldValue(fl instance.ProfileField) string {
	u := fl.URL()
	if u == "" {
		return html.EscapeString(fl.Value)
	}
	shown := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://"), "/")
	return `<a href="` + html.EscapeString(u) + `" rel="nofollow noopener me" translate="no">` + html.EscapeString(shown) + `</a>`
}

// publishGroup sends Update{Group}, the whole actor document, to the
// group's followers, so their servers show its new name, description,
// images and fields (Mastodon requires the object's id to be the actor).
// Nothing goes in the public outbox: Mastodon counts the outbox as posts.
func (f *Federation) publishGroup(ctx context.Context, id int64) (*instance.Publication, error) {
	g, err := f.store.GroupByID(ctx, id)
	if errors.Is(err, instance.ErrNotFound) {
		return &instance.Publication{}, nil
	}
	if err != nil {
		return nil, err
	}
	doc, err := f.updateGroup(ctx, g)
	if err != nil {
		return nil, err
	}
	body, err := encode(doc)
	if err != nil {
		return nil, err
	}
	inboxes, err := f.store.FollowerInboxes(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	f.docs.drop("group:" + g.Handle) // our own GET shows the change at once
	return &instance.Publication{Deliveries: f.deliveriesTo(inboxes, instance.GroupSigner(g.Handle), str(doc, "id"), body)}, nil
}

// updateGroup builds Update{Group} with the actor embedded.
func (f *Federation) updateGroup(ctx context.Context, g *instance.Group) (map[string]any, error) {
	actor, err := f.actorDocument(ctx, f.groupInfo(g))
	if err != nil {
		return nil, err
	}
	delete(actor, "@context")
	iri := f.uris.groupActor(g.Handle)
	return map[string]any{
		"@context":  actorContext,
		"id":        f.newActivityID(),
		"type":      "Update",
		"actor":     iri,
		"to":        []any{publicCollection},
		"cc":        []any{iri + "/followers"},
		"published": f.now().UTC().Format("2006-01-02T15:04:05Z"),
		"object":    actor,
	}, nil
}

// groupFeatured serves a group's featured collections (404 for a group
// that does not exist).
func (f *Federation) groupFeatured(w http.ResponseWriter, r *http.Request) {
	if _, err := f.store.GroupByHandle(r.Context(), mux.Vars(r)["handle"]); err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	f.featured(w, r)
}

// featured serves an actor's featured posts (an OrderedCollection, as
// Mastodon's pinned posts) or featured hashtags (a Collection). Both are
// empty: Hearth has no pinned posts, and a group's upcoming actions would
// stay "pinned" on other servers until they refetch the actor, long after
// the action took place.
func (f *Federation) featured(w http.ResponseWriter, r *http.Request) {
	id := f.uris.base + r.URL.Path
	m := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id, "totalItems": 0}
	if mux.Vars(r)["coll"] == "featured" {
		m["type"], m["orderedItems"] = "OrderedCollection", []any{}
	} else {
		m["type"], m["items"] = "Collection", []any{}
	}
	writeJSON(w, http.StatusOK, activityJSON, m)
}

// drop forgets a cached document.
func (c *docCache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}
