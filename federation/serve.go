package federation

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/gorilla/mux"

	"hearth/instance"
)

// webfinger answers acct:handle@host for groups and for members who have
// a Person actor. The user part is matched case-insensitively (Mastodon
// does); anything else is 404.
func (f *Federation) webfinger(w http.ResponseWriter, r *http.Request) {
	f.cached(w, r, "wf:"+strings.ToLower(r.URL.Query().Get("resource")), f.webfingerUncached)
}

// webfingerHandle reads a WebFinger resource: acct:user@our-host (the
// user part case-insensitive) or one of our actor URLs. It returns a
// handle that could exist here (the instance actor's is our host name),
// or false; no query is made for anything else.
func (u uris) webfingerHandle(resource string) (string, bool) {
	host := u.base[strings.Index(u.base, "//")+2:]
	var handle string
	switch {
	case strings.HasPrefix(resource, "acct:"):
		user, h, ok := strings.Cut(strings.TrimPrefix(resource, "acct:"), "@")
		if !ok || !strings.EqualFold(h, host) {
			return "", false
		}
		handle = strings.ToLower(user)
	case u.local(resource):
		if g, ok := u.localGroup(resource); ok {
			handle = g
		} else if m, ok := strings.CutPrefix(resource, u.base+"/members/"); ok {
			handle = m
		} else if resource == u.instanceActor() {
			handle = hostOf(u.base)
		}
	}
	if handle == hostOf(u.base) {
		return handle, true
	}
	if h, err := instance.CheckHandle("resource", handle); err != nil || h != handle {
		return "", false
	}
	return handle, true
}

func (f *Federation) webfingerUncached(w http.ResponseWriter, r *http.Request) {
	host := f.uris.base[strings.Index(f.uris.base, "//")+2:]
	handle, ok := f.uris.webfingerHandle(r.URL.Query().Get("resource"))
	if !ok {
		http.Error(w, "", http.StatusNotFound)
		return
	}
	actor := ""
	if handle == hostOf(f.uris.base) {
		actor = f.uris.instanceActor()
	} else if g, err := f.store.GroupByHandle(r.Context(), handle); err == nil {
		actor = f.uris.groupActor(g.Handle)
	} else if m, err := f.publicMember(r, handle); err == nil {
		actor = f.uris.memberActor(m.Handle)
	}
	if actor == "" {
		http.Error(w, "", http.StatusNotFound)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, "application/jrd+json", map[string]any{
		"subject": "acct:" + handle + "@" + host,
		"aliases": []string{actor},
		"links": []any{
			map[string]any{"rel": "self", "type": activityJSON, "href": actor},
			map[string]any{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor},
		},
	})
}

// hostMeta points old clients at WebFinger.
func (f *Federation) hostMeta(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"><Link rel="lrdd" template="%s/.well-known/webfinger?resource={uri}"/></XRD>
`, f.uris.base)
}

func (f *Federation) nodeinfoLinks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"links": []any{
		map[string]any{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": f.uris.base + "/nodeinfo/2.1"},
		map[string]any{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": f.uris.base + "/nodeinfo/2.0"},
	}})
}

// nodeinfo serves NodeInfo 2.1 and 2.0 (2.0 has no software.repository).
func (f *Federation) nodeinfo(w http.ResponseWriter, r *http.Request) {
	version := mux.Vars(r)["version"]
	users, err := f.store.CountMembers(r.Context(), instance.StatusActive)
	if err != nil {
		f.internal(w, r, err)
		return
	}
	posts, err := f.store.CountLocalItems(r.Context())
	if err != nil {
		f.internal(w, r, err)
		return
	}
	software := map[string]any{"name": "hearth", "version": f.opt.Version}
	if version == "2.1" {
		software["homepage"] = f.uris.base
	}
	writeJSON(w, http.StatusOK, `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/`+version+`#"`, map[string]any{
		"version":           version,
		"software":          software,
		"protocols":         []string{"activitypub"},
		"services":          map[string]any{"inbound": []string{}, "outbound": []string{}},
		"openRegistrations": f.opt.OpenRegistration,
		"usage":             map[string]any{"users": map[string]any{"total": users}, "localPosts": posts},
		"metadata":          map[string]any{"nodeName": f.opt.SiteName},
	})
}

func (f *Federation) internal(w http.ResponseWriter, r *http.Request, err error) {
	if f.storeDown(r.Context(), err) {
		f.log.Error("database unavailable: answering 503", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", retryUnavailable)
		http.Error(w, "", http.StatusServiceUnavailable)
		return
	}
	f.log.Error("federation request failed", "path", r.URL.Path, "err", err)
	http.Error(w, "", http.StatusInternalServerError)
}

// notFoundOr answers 404 for ErrNotFound and 500 otherwise.
func (f *Federation) notFoundOr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, instance.ErrNotFound) {
		http.Error(w, "", http.StatusNotFound)
		return
	}
	f.internal(w, r, err)
}

func (f *Federation) instanceActorDoc(w http.ResponseWriter, r *http.Request) {
	f.cached(w, r, "actor", f.instanceActorDocUncached)
}

func (f *Federation) instanceActorDocUncached(w http.ResponseWriter, r *http.Request) {
	m, err := f.actorDocument(r.Context(), f.instanceInfo())
	if err != nil {
		f.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, activityJSON, m)
}

// groupDoc serves a Group actor. Actor documents never require a
// signature (Mastodon fetches keys unsigned).
func (f *Federation) groupDoc(w http.ResponseWriter, r *http.Request) {
	f.cached(w, r, "group:"+mux.Vars(r)["handle"], f.groupDocUncached)
}

func (f *Federation) groupDocUncached(w http.ResponseWriter, r *http.Request) {
	g, err := f.store.GroupByHandle(r.Context(), mux.Vars(r)["handle"])
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	m, err := f.actorDocument(r.Context(), f.groupInfo(g))
	if err != nil {
		f.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, activityJSON, m)
}

// publicMember returns an active member who has a Person actor: only
// members who have replied in public do, so the fediverse cannot list a
// village's residents.
func (f *Federation) publicMember(r *http.Request, handle string) (*instance.Member, error) {
	m, err := f.store.MemberByHandle(r.Context(), handle)
	if err != nil {
		return nil, err
	}
	if m.Status != instance.StatusActive {
		return nil, instance.ErrNotFound
	}
	ok, err := f.store.MemberHasPublicResponses(r.Context(), m.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, instance.ErrNotFound
	}
	return m, nil
}

func (f *Federation) memberDoc(w http.ResponseWriter, r *http.Request) {
	m, err := f.publicMember(r, mux.Vars(r)["handle"])
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	doc, err := f.actorDocument(r.Context(), f.memberInfo(m))
	if err != nil {
		f.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, activityJSON, doc)
}

const pageSize = 20

// collection writes an OrderedCollection, or one page of it when ?page=
// is given.
func collection(w http.ResponseWriter, id string, total int, page bool, items []any, next string) {
	if !page {
		oc := streams.NewActivityStreamsOrderedCollection()
		setID(oc, id)
		ti := streams.NewActivityStreamsTotalItemsProperty()
		ti.Set(total)
		oc.SetActivityStreamsTotalItems(ti)
		first := streams.NewActivityStreamsFirstProperty()
		first.SetIRI(mustIRI(id + "?page=true"))
		oc.SetActivityStreamsFirst(first)
		m, err := document(oc, []any{"https://www.w3.org/ns/activitystreams"}, nil)
		if err != nil {
			http.Error(w, "", http.StatusInternalServerError)
			return
		}
		writeJSON(w, http.StatusOK, activityJSON, m)
		return
	}
	p := streams.NewActivityStreamsOrderedCollectionPage()
	pageID := id + "?page=true"
	setID(p, pageID)
	po := streams.NewActivityStreamsPartOfProperty()
	po.SetIRI(mustIRI(id))
	p.SetActivityStreamsPartOf(po)
	ti := streams.NewActivityStreamsTotalItemsProperty()
	ti.Set(total)
	p.SetActivityStreamsTotalItems(ti)
	if next != "" {
		n := streams.NewActivityStreamsNextProperty()
		n.SetIRI(mustIRI(next))
		p.SetActivityStreamsNext(n)
	}
	m, err := document(p, objectContext, map[string]any{"orderedItems": items})
	if err != nil {
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	if items == nil {
		m["orderedItems"] = []any{}
	}
	writeJSON(w, http.StatusOK, activityJSON, m)
}

// outbox pages a group's public activities, newest first.
func (f *Federation) outbox(w http.ResponseWriter, r *http.Request) {
	g, err := f.store.GroupByHandle(r.Context(), mux.Vars(r)["handle"])
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	actor := f.uris.groupActor(g.Handle)
	total, err := f.store.CountOutbox(r.Context(), actor)
	if err != nil {
		f.internal(w, r, err)
		return
	}
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	var items []any
	next := ""
	if q.Get("page") != "" {
		entries, err := f.store.ListOutbox(r.Context(), actor, before, pageSize)
		if err != nil {
			f.internal(w, r, err)
			return
		}
		for _, e := range entries {
			var m map[string]any
			if err := decodeJSON(e.Body, &m); err == nil {
				delete(m, "@context")
				items = append(items, m)
			}
		}
		if len(entries) == pageSize {
			next = fmt.Sprintf("%s/outbox?page=true&before=%d", actor, entries[len(entries)-1].ID)
		}
	}
	collection(w, actor+"/outbox", total, q.Get("page") != "", items, next)
}

// followers shows how many follow a group; the list itself only to the
// group (our own requests), never to others (security-catalogue F5).
func (f *Federation) followers(w http.ResponseWriter, r *http.Request) {
	g, err := f.store.GroupByHandle(r.Context(), mux.Vars(r)["handle"])
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	n, err := f.store.CountFollowers(r.Context(), g.ID)
	if err != nil {
		f.internal(w, r, err)
		return
	}
	actor := f.uris.groupActor(g.Handle)
	var items []any
	if r.URL.Query().Get("page") != "" {
		items = []any{}
	}
	collection(w, actor+"/followers", n, r.URL.Query().Get("page") != "", items, "")
}

func (f *Federation) following(w http.ResponseWriter, r *http.Request) {
	g, err := f.store.GroupByHandle(r.Context(), mux.Vars(r)["handle"])
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	list, err := f.store.ListFollowing(r.Context(), g.ID)
	if err != nil {
		f.internal(w, r, err)
		return
	}
	var items []any
	for _, fo := range list {
		if fo.State == instance.FollowingAccepted {
			items = append(items, fo.ActorID)
		}
	}
	page := r.URL.Query().Get("page") != ""
	if !page {
		items = nil
	} else if items == nil {
		items = []any{}
	}
	collection(w, f.uris.groupActor(g.Handle)+"/following", len(items), page, items, "")
}

// emptyCollection serves the collections that exist only to be
// dereferenceable (members' and the instance actor's).
func (f *Federation) emptyCollection(w http.ResponseWriter, r *http.Request) {
	page := r.URL.Query().Get("page") != ""
	var items []any
	if page {
		items = []any{}
	}
	collection(w, f.uris.base+r.URL.Path, 0, page, items, "")
}

// itemDoc serves the Note of an item. Village-only items answer 404 (they
// never leave the instance); deleted ones 410 with a Tombstone, and so do
// the ids of its earlier revisions (see revision.go).
func (f *Federation) itemDoc(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	revision, ok := itemRevision(r.URL.RawQuery)
	it, err := f.store.ItemByID(r.Context(), id)
	if err != nil || !ok || "/"+string(it.Kind)+"s" != "/"+mux.Vars(r)["kinds"] {
		if err == nil || errors.Is(err, instance.ErrNotFound) {
			http.Error(w, "", http.StatusNotFound)
		} else {
			f.internal(w, r, err)
		}
		return
	}
	fed, err := f.store.ItemFederation(r.Context(), id)
	if err != nil {
		f.internal(w, r, err)
		return
	}
	switch {
	case revision < fed.Revision:
		// Other servers were sent its Delete: it is gone, whatever the
		// item is now.
		f.gone(w, f.uris.itemObject(it, revision), fed.WithdrawnAt)
		return
	case revision > fed.Revision, it.Visibility == instance.VisibilityVillage:
		http.Error(w, "", http.StatusNotFound)
		return
	case it.Deleted():
		f.gone(w, f.uris.itemObject(it, revision), it.DeletedAt)
		return
	}
	if !it.Federates() {
		http.Error(w, "", http.StatusNotFound)
		return
	}
	if it.Visibility == instance.VisibilityFollowers && !f.signedByFollower(r, it.GroupID) {
		http.Error(w, "", http.StatusNotFound)
		return
	}
	g, err := f.store.GroupByID(r.Context(), it.GroupID)
	if err != nil {
		f.internal(w, r, err)
		return
	}
	note, extra, err := f.itemObject(r.Context(), it, g)
	if err != nil {
		f.internal(w, r, err)
		return
	}
	f.revise(note, it, fed.Revision, itemPublished(it, fed))
	m, err := document(note, contextFor(note), extra)
	if err != nil {
		f.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, activityJSON, m)
}

// gone answers 410 with the Tombstone of an object deleted at a given
// time (not the time of the request: it says when the object went).
func (f *Federation) gone(w http.ResponseWriter, id string, deleted time.Time) {
	m, err := document(tombstone(id, deleted), objectContext, nil)
	if err != nil {
		http.Error(w, "", http.StatusGone)
		return
	}
	writeJSON(w, http.StatusGone, activityJSON, m)
}

// responseDoc serves a local member's reply on a public item.
func (f *Federation) responseDoc(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	note, err := f.responseObject(r.Context(), id)
	switch {
	case errors.Is(err, instance.ErrGone):
		var deleted time.Time
		if resp, err := f.store.ResponseByID(r.Context(), id); err == nil {
			deleted = resp.DeletedAt
		}
		f.gone(w, f.uris.response(id), deleted)
	case err != nil:
		f.notFoundOr(w, r, err)
	default:
		m, err := document(note, objectContext, nil)
		if err != nil {
			f.internal(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, activityJSON, m)
	}
}

// replyDoc serves a member's answer to a neighbour's item.
func (f *Federation) replyDoc(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	note, _, err := f.neighbourReplyObject(r.Context(), id)
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	m, err := document(note, objectContext, nil)
	if err != nil {
		f.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, activityJSON, m)
}

// activityDoc serves an activity we published publicly.
func (f *Federation) activityDoc(w http.ResponseWriter, r *http.Request) {
	e, err := f.store.OutboxActivity(r.Context(), f.uris.activity(mux.Vars(r)["token"]))
	if err != nil || !e.Public {
		http.Error(w, "", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", activityJSON)
	_, _ = w.Write(e.Body)
}
