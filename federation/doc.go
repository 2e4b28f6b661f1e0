// Package federation is Hearth's ActivityPub side: WebFinger, NodeInfo,
// the Group, Person and Application actors, collections, the inbox with
// full HTTP-signature verification, the inbound queue worker, the
// publishing worker (transactional outbox → activities → deliveries), the
// delivery worker with retries, and the remote actor cache. FEDERATION.md
// at the top of the repository describes what goes over the wire.
//
// It is the only package that imports go-fed (streams for the vocabulary,
// httpsig for signatures; not go-fed's pub framework). web and instance
// never import it.
package federation
