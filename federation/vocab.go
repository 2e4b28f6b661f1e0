package federation

import (
	"bytes"
	"encoding/json"
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// Outgoing documents are built with go-fed's streams types and serialized
// with streams.Serialize. Three things are then fixed on the map, as
// go-fed-notes.md §3.4–3.5 explains: @context is replaced with ours (go-fed
// would write a bare, non-dereferenceable joinmastodon.org/ns), terms go-fed
// does not know (endpoints, manuallyApprovesFollowers, the FEP-0837 and
// Hearth extension fields) are added, and to/cc are always arrays.

// actorContext is the @context of actor documents: ActivityStreams, the
// security vocabulary (publicKey) and inline term definitions only, so
// nothing in it needs fetching.
var actorContext = []any{
	"https://www.w3.org/ns/activitystreams",
	"https://w3id.org/security/v1",
	map[string]any{
		"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
		"toot":                      "http://joinmastodon.org/ns#",
		"discoverable":              "toot:discoverable",
		"indexable":                 "toot:indexable",
		// As Mastodon's context_helper.rb defines them.
		"featured":      map[string]any{"@id": "toot:featured", "@type": "@id"},
		"featuredTags":  map[string]any{"@id": "toot:featuredTags", "@type": "@id"},
		"schema":        "http://schema.org#",
		"PropertyValue": "schema:PropertyValue",
		"value":         "schema:value",
	},
}

// objectContext is the @context of Notes and activities. FEP-0837's
// "purpose" comes from ValueFlows; Hearth's own fields are under a tag:
// IRI (RFC 4151), an identifier that is never dereferenced.
var objectContext = []any{
	"https://www.w3.org/ns/activitystreams",
	map[string]any{
		"sensitive":      "as:sensitive",
		"vf":             "https://w3id.org/valueflows/ont/vf#",
		"purpose":        "vf:purpose",
		"hearth":         "tag:hearth.coop,2026:ns#",
		"kind":           "hearth:kind",
		"category":       "hearth:category",
		"area":           "hearth:area",
		"state":          "hearth:state",
		"neededBy":       "hearth:neededBy",
		"expires":        "hearth:expires",
		"availableUntil": "hearth:availableUntil",
		"capacity":       "hearth:capacity",
		"description":    "hearth:description",
	},
}

func mustIRI(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		// Every IRI here is built from our validated base_url or was parsed
		// from a remote document before; a failure is a programming error.
		panic("federation: bad IRI " + s)
	}
	return u
}

func setID(t interface{ SetJSONLDId(vocab.JSONLDIdProperty) }, iri string) {
	p := streams.NewJSONLDIdProperty()
	p.Set(mustIRI(iri))
	t.SetJSONLDId(p)
}

func setTo(t interface {
	SetActivityStreamsTo(vocab.ActivityStreamsToProperty)
}, iris ...string) {
	p := streams.NewActivityStreamsToProperty()
	for _, i := range iris {
		p.AppendIRI(mustIRI(i))
	}
	t.SetActivityStreamsTo(p)
}

func setCc(t interface {
	SetActivityStreamsCc(vocab.ActivityStreamsCcProperty)
}, iris ...string) {
	if len(iris) == 0 {
		return
	}
	p := streams.NewActivityStreamsCcProperty()
	for _, i := range iris {
		p.AppendIRI(mustIRI(i))
	}
	t.SetActivityStreamsCc(p)
}

func setActor(t interface {
	SetActivityStreamsActor(vocab.ActivityStreamsActorProperty)
}, iri string) {
	p := streams.NewActivityStreamsActorProperty()
	p.AppendIRI(mustIRI(iri))
	t.SetActivityStreamsActor(p)
}

func setObjectIRI(t interface {
	SetActivityStreamsObject(vocab.ActivityStreamsObjectProperty)
}, iri string) {
	p := streams.NewActivityStreamsObjectProperty()
	p.AppendIRI(mustIRI(iri))
	t.SetActivityStreamsObject(p)
}

func setPublished(t interface {
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
}, at time.Time) {
	p := streams.NewActivityStreamsPublishedProperty()
	p.Set(at.UTC())
	t.SetActivityStreamsPublished(p)
}

func setUpdated(t interface {
	SetActivityStreamsUpdated(vocab.ActivityStreamsUpdatedProperty)
}, at time.Time) {
	p := streams.NewActivityStreamsUpdatedProperty()
	p.Set(at.UTC())
	t.SetActivityStreamsUpdated(p)
}

func setName(t interface {
	SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
}, s string) {
	p := streams.NewActivityStreamsNameProperty()
	p.AppendXMLSchemaString(s)
	t.SetActivityStreamsName(p)
}

func setURL(t interface {
	SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
}, iri string) {
	p := streams.NewActivityStreamsUrlProperty()
	p.AppendIRI(mustIRI(iri))
	t.SetActivityStreamsUrl(p)
}

// document serializes t with our @context and extra fields, and forces
// to/cc/orderedItems into arrays.
func document(t vocab.Type, context []any, extra map[string]any) (map[string]any, error) {
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, err
	}
	m["@context"] = context
	for k, v := range extra {
		m[k] = v
	}
	preciseUpdated(t, m)
	forceArrays(m)
	return m, nil
}

// updatedFormat is xsd:dateTime to the millisecond (what the store
// keeps), without a fraction when there is none.
const updatedFormat = "2006-01-02T15:04:05.999Z07:00"

// preciseUpdated writes t's `updated` to the millisecond into m. go-fed
// writes whole seconds, and receivers (Mastodon, GoToSocial, Hearth) apply
// an edit only if its `updated` is later than the last one's, so a second
// edit within the same second would be dropped.
func preciseUpdated(t vocab.Type, m map[string]any) {
	u, ok := t.(interface {
		GetActivityStreamsUpdated() vocab.ActivityStreamsUpdatedProperty
	})
	if !ok || u.GetActivityStreamsUpdated() == nil || !u.GetActivityStreamsUpdated().IsXMLSchemaDateTime() {
		return
	}
	m["updated"] = u.GetActivityStreamsUpdated().Get().UTC().Truncate(time.Millisecond).Format(updatedFormat)
}

// forceArrays makes single-valued addressing properties and tags arrays (go-fed
// writes one value as a scalar; some servers expect arrays), recursing into
// embedded objects.
func forceArrays(m map[string]any) {
	for _, k := range []string{"to", "cc", "tag", "orderedItems"} {
		if v, ok := m[k]; ok {
			if _, isList := v.([]any); !isList {
				m[k] = []any{v}
			}
		}
	}
	if obj, ok := m["object"].(map[string]any); ok {
		delete(obj, "@context")
		forceArrays(obj)
	}
}

// encode writes JSON without escaping <, > and & (content is HTML).
func encode(m map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
