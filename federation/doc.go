// Package federation will hold Hearth's ActivityPub side: WebFinger,
// NodeInfo, actors, collections, the inbox, HTTP signatures and the
// delivery worker. It is the only package allowed to import go-fed; the
// instance and web packages never import it (CI checks this).
package federation
