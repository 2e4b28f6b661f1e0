package federation

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"hearth/instance"
)

// Every IRI we mint or recognise is built here. Paths stay ASCII so that
// go-fed/httpsig's (request-target), built from the decoded path, matches.

const publicCollection = "https://www.w3.org/ns/activitystreams#Public"

type uris struct{ base string }

func (u uris) groupActor(handle string) string  { return u.base + "/groups/" + handle }
func (u uris) memberActor(handle string) string { return u.base + "/members/" + handle }
func (u uris) instanceActor() string            { return u.base + "/actor" }
func (u uris) sharedInbox() string              { return u.base + "/inbox" }
func (u uris) keyID(actor string) string        { return actor + "#main-key" }
func (u uris) item(it *instance.Item) string    { return u.base + it.Path() }
func (u uris) response(id int64) string         { return fmt.Sprintf("%s/responses/%d", u.base, id) }
func (u uris) neighbourReply(id int64) string   { return fmt.Sprintf("%s/replies/%d", u.base, id) }
func (u uris) activity(token string) string     { return u.base + "/activities/" + token }

// authority is our host[:port], the domain part of our @handle@host.
func (u uris) authority() string { return u.base[strings.Index(u.base, "//")+2:] }

// actorIRI maps a signer to its actor IRI.
func (u uris) actorIRI(signer instance.Signer) string {
	kind, handle := signer.Parse()
	switch kind {
	case "group":
		return u.groupActor(handle)
	case "member":
		return u.memberActor(handle)
	}
	return u.instanceActor()
}

// local reports whether an IRI is on this instance.
func (u uris) local(iri string) bool {
	return iri == u.base || strings.HasPrefix(iri, u.base+"/") || strings.HasPrefix(iri, u.base+"#")
}

// localGroup returns the handle of the group an IRI names, if any.
func (u uris) localGroup(iri string) (string, bool) {
	rest, ok := strings.CutPrefix(iri, u.base+"/groups/")
	if !ok || rest == "" || strings.ContainsAny(rest, "/#?") {
		return "", false
	}
	return rest, true
}

// localItemID returns the id of the item an IRI names (/needs/1…, or a
// later revision of it, /needs/1?r=2).
func (u uris) localItemID(iri string) (int64, bool) {
	iri, query, _ := strings.Cut(iri, "?")
	if _, ok := itemRevision(query); !ok {
		return 0, false
	}
	for _, k := range append(instance.Kinds[:len(instance.Kinds):len(instance.Kinds)], instance.KindPoll) {
		if rest, ok := strings.CutPrefix(iri, u.base+"/"+string(k)+"s/"); ok {
			var id int64
			if _, err := fmt.Sscanf(rest, "%d", &id); err == nil && fmt.Sprint(id) == rest {
				return id, true
			}
		}
	}
	return 0, false
}

// hostOf returns the lower-cased host (without port) of an IRI.
func hostOf(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// origin returns an IRI's scheme://host[:port], lower-cased and without
// the scheme's default port, or "" when it has no scheme or host. Two
// IRIs are on one origin (FEP-fe34) when their origins are equal.
func origin(iri string) string {
	u, err := url.Parse(iri)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" || strings.Contains(host, ":") {
		host = net.JoinHostPort(host, port)
		host = strings.TrimSuffix(host, ":")
	}
	return scheme + "://" + host
}

// sameOrigin reports whether two IRIs have the same scheme, host and port.
func sameOrigin(a, b string) bool {
	o := origin(a)
	return o != "" && o == origin(b)
}

// stripFragment removes #… from an IRI.
func stripFragment(iri string) string {
	if i := strings.IndexByte(iri, '#'); i >= 0 {
		return iri[:i]
	}
	return iri
}

// addressedToUs reports whether a request's Host names this instance: our
// base URL's host, case-insensitively, with or without the scheme's
// default port.
func (u uris) addressedToUs(host string) bool {
	if host == "" || strings.ContainsAny(host, "/@?#\\ ") {
		return false
	}
	scheme, _, _ := strings.Cut(u.base, "://")
	return origin(scheme+"://"+host) == origin(u.base)
}
