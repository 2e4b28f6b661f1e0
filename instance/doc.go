// Package instance is Hearth's domain: members, roles, groups, sessions and
// (in later work) needs, offers, actions and followers.
//
// It depends only on the standard library (and golang.org/x/crypto for
// password hashing). It never imports web, federation, go-fed or an HTTP
// router. It declares the Store interface it needs; instance/store implements
// it on SQLite. User-visible problems are reported as *FieldError or the
// sentinel errors in errors.go, whose Code is a message-catalogue key, so the
// web layer can translate them and no internal text reaches a user.
package instance
