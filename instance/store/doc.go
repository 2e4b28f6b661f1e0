// Package store is Hearth's SQLite storage (modernc.org/sqlite, no cgo) and
// the only package that contains SQL. It implements instance.Store.
//
// Every pooled connection is opened with WAL, a busy timeout, foreign keys
// and synchronous=NORMAL, and write transactions begin IMMEDIATE so that two
// writers queue on the lock instead of failing half-way. Reads use a pool of
// connections; every write goes through one writer connection, so writers
// in this process queue in Go rather than in SQLite's busy handler (a write
// inside a transaction must use that transaction). The schema is a
// list of numbered, embedded .sql migrations applied in order at start, each
// in its own transaction, with the version kept in PRAGMA user_version.
package store
