package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hearth/instance"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the SQL implementation of instance.Store, on SQLite (Open) or
// PostgreSQL (OpenPostgres).
type Store struct {
	// db is a pool of connections for reads (WAL lets them run beside a
	// write); w is one connection for every write. SQLite allows one
	// writer at a time anyway: with a single writer connection, writers
	// queue in Go and take their turn at once, instead of sleeping in
	// SQLite's busy handler (1, 2, 5, 10… ms) and retrying. On PostgreSQL
	// db and w are the same pool (see OpenPostgres).
	db *sql.DB
	w  *sql.DB
	// e is the engine behind db and w (dialect.go).
	e engine
	// blocks is the version of the domain and actor blocks (nodes.go), so
	// in-memory caches of them (federation) reload when one changes, on
	// this node or another.
	blocks blocksVersion
	// rd runs reads on db, and wr statements on w outside a transaction,
	// through prepared statements kept for reuse.
	rd, wr *prepared
	// waiting counts write transactions waiting for the write lock
	// (beginAs), batches apart from the rest, so that a batch can
	// give way to other writes (WriterWaiting) but not to another batch.
	waiting [2]atomic.Int32
	// path and file are the database file as opened: Ready checks that
	// the file at path is still that one (open connections keep using a
	// file that was deleted or replaced, and nothing else would notice).
	// Both are empty on PostgreSQL.
	path string
	file os.FileInfo
}

// prepared runs queries on a database through statements prepared once
// per query text. modernc's driver prepares every query afresh otherwise,
// and for the item query (five joins) preparing cost four times as much as
// running it: ItemByID took 85 µs, now 17 µs (BenchmarkItemByID).
// database/sql prepares a statement again on each pooled connection that
// first runs it. Queries built with a variable number of parameters could
// make the set grow without end, so past maxPrepared it stops keeping
// new ones.
type prepared struct {
	s     *Store // whose batch (Store.Batch) a context may carry
	db    *sql.DB
	e     engine
	stmts sync.Map // query text → *sql.Stmt
	n     atomic.Int64
}

const maxPrepared = 256

func (r *prepared) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := r.stmts.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if r.n.Load() >= maxPrepared {
		return nil
	}
	st, err := r.db.PrepareContext(ctx, r.e.rebind(query))
	if err != nil {
		return nil // the plain query below reports the error
	}
	if prev, loaded := r.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	r.n.Add(1)
	return st
}

func (r *prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if b := r.s.batchIn(ctx); b != nil {
		return b.QueryContext(ctx, query, args...)
	}
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, r.e.args(query, args)...)
	}
	return r.db.QueryContext(ctx, r.e.rebind(query), r.e.args(query, args)...)
}

func (r *prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if b := r.s.batchIn(ctx); b != nil {
		return b.QueryRowContext(ctx, query, args...)
	}
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, r.e.args(query, args)...)
	}
	return r.db.QueryRowContext(ctx, r.e.rebind(query), r.e.args(query, args)...)
}

func (r *prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if b := r.s.batchIn(ctx); b != nil {
		return b.ExecContext(ctx, query, args...)
	}
	if st := r.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, r.e.args(query, args)...)
	}
	return r.db.ExecContext(ctx, r.e.rebind(query), r.e.args(query, args)...)
}

// inTx returns query's statement for use in tx; close it when done. Only
// statements prepared before (see Open) are reused: tx holds the writer's
// one connection, so preparing on the database now would wait for itself.
func (r *prepared) inTx(ctx context.Context, tx *Tx, query string) (*txStmt, error) {
	if st, ok := r.stmts.Load(query); ok {
		return &txStmt{tx.tx.StmtContext(ctx, st.(*sql.Stmt)), r.e, query}, nil
	}
	st, err := tx.tx.PrepareContext(ctx, r.e.rebind(query))
	if err != nil {
		return nil, err
	}
	return &txStmt{st, r.e, query}, nil
}

// txStmt is a statement of inTx: it passes its arguments as the engine
// takes them (engine.args), as every other query does.
type txStmt struct {
	st    *sql.Stmt
	e     engine
	query string
}

func (t *txStmt) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return t.st.ExecContext(ctx, t.e.args(t.query, args)...)
}

func (t *txStmt) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return t.st.QueryRowContext(ctx, t.e.args(t.query, args)...)
}

func (t *txStmt) Close() error { return t.st.Close() }

func (r *prepared) close() {
	r.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
}

var _ instance.Store = (*Store)(nil)

// dsn builds the connection string. The _pragma parameters run on every new
// pooled connection, in this order: busy_timeout must come before
// journal_mode, because switching to WAL itself may need to wait for a lock.
// _txlock=immediate makes BeginTx take the write lock at once, so a
// read-then-write transaction never fails with SQLITE_BUSY half-way through.
func dsn(path string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path and brings its
// schema up to date. It refuses a database written by a newer Hearth.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	// Readers: no cap on open connections (a request may hold rows while
	// it runs another query), but keep a few idle ones, with their
	// prepared statements, instead of database/sql's default of two, so a
	// busy moment does not open, set up and close connections all the
	// time; idle ones go after five minutes and give their memory back.
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, w: w, rd: &prepared{db: db}, wr: &prepared{db: w}, path: path}
	s.rd.s, s.wr.s = s, s
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.file, err = os.Stat(path); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	for _, q := range []string{enqueueInbox, finishInbox, insertNotification, insertRemoteReply} { // used in transactions: see inTx
		s.wr.stmt(ctx, q)
	}
	return s, nil
}

// Close closes the database cleanly (the last connection to close
// checkpoints the WAL).
func (s *Store) Close() error {
	s.rd.close()
	s.wr.close()
	err := s.db.Close()
	if s.w == s.db {
		return err
	}
	if werr := s.w.Close(); err == nil {
		err = werr
	}
	return err
}

// DB exposes the handle for tests and for packages that keep their own
// tables in this database in later work. Application code goes through
// methods.
func (s *Store) DB() *sql.DB { return s.db }

type migration struct {
	version int
	name    string
	sql     string
}

// migrations are SQLite's migrations, numbered from 1.
func migrations() ([]migration, error) {
	out, err := readMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migrations must be numbered 1, 2, 3…; found %s at position %d", m.name, i+1)
		}
	}
	return out, nil
}

// readMigrations reads the NNNN_name.sql files of dir, in order.
func readMigrations(files embed.FS, dir string) ([]migration, error) {
	entries, err := files.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %s: name must start with a number and _", e.Name())
		}
		body, err := files.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// SchemaVersion returns the version this build migrates to, the same on
// both engines (TestPostgresMigrationsMatchSQLite).
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// ErrNewerSchema means the database was written by a newer Hearth.
var ErrNewerSchema = errors.New("store: database is from a newer version of Hearth")

func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	var current int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("%w (database schema %d, this build knows up to %d); run a newer hearth or restore a backup", ErrNewerSchema, current, len(ms))
	}
	for _, m := range ms[current:] {
		if err := s.tx(ctx, func(tx *Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return err
		}); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// tx runs fn in one immediate transaction on the writer connection,
// committing if it returns nil. fn must use tx for its writes (the writer
// is busy until it returns); reads through s.db see only committed data.
func (s *Store) tx(ctx context.Context, fn func(*Tx) error) error {
	return s.withTx(ctx, writeLock, fn)
}

// withTx is tx under the given PostgreSQL advisory lock.
func (s *Store) withTx(ctx context.Context, lock int64, fn func(*Tx) error) error {
	if b := s.batchIn(ctx); b != nil {
		return b.inTx(ctx, lock, fn)
	}
	return s.txAs(ctx, lock, aWrite, fn)
}

// Who waits for the write lock (Store.waiting).
const (
	aWrite = iota
	aBatch
)

// txAs runs fn in a write transaction begun as who.
func (s *Store) txAs(ctx context.Context, lock int64, who int, fn func(*Tx) error) error {
	tx, err := s.beginAs(ctx, lock, who)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error from fn is the one that matters
		return err
	}
	return tx.Commit()
}

// begin starts a write transaction. On PostgreSQL it first takes the
// write lock, so there is one write transaction at a time on every node,
// as SQLite's single writer gives: read-then-write transactions written
// for SQLite stay correct without SERIALIZABLE retries. Statements outside
// transactions and all reads still run side by side.
func (s *Store) begin(ctx context.Context) (*Tx, error) {
	return s.beginAs(ctx, writeLock, aWrite)
}

// beginAs is begin under the given advisory lock (noLock: none), counted
// as who while it waits for the write lock.
func (s *Store) beginAs(ctx context.Context, lock int64, who int) (*Tx, error) {
	// On SQLite every write transaction waits for the one writer
	// connection; on PostgreSQL those that take the write lock wait for it.
	if s.e == sqliteEngine || lock != noLock {
		s.waiting[who].Add(1)
		defer s.waiting[who].Add(-1)
	}
	t, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	tx := &Tx{tx: t, e: s.e}
	if s.e == postgresEngine && lock != noLock {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", lock); err != nil {
			_ = t.Rollback()
			return nil, err
		}
	}
	return tx, nil
}

// WriterWaiting reports whether a write transaction of this process is
// waiting for the one a batch holds (on SQLite any, the inbox queue's
// included; on PostgreSQL those that take the write lock): the inbox
// worker then commits its batch after the step it is in, so an inbox POST
// waits for one reply's work, not for a whole batch. Another batch
// waiting does not count: two lanes giving way to each other would make
// every batch one activity long.
func (s *Store) WriterWaiting() bool { return s.waiting[aWrite].Load() > 0 }

// Backup writes a consistent copy of the database to path with VACUUM INTO,
// which is safe while the instance is running. It refuses to overwrite.
// On PostgreSQL it refuses: pg_dump is the tool for that.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.e == postgresEngine {
		return postgresBackup()
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("store: backup: %s already exists", path)
	}
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	return nil
}

// Check runs SQLite's integrity and foreign-key checks and returns the
// problems found (none means healthy). On PostgreSQL, which enforces
// both itself, it looks for what can still be wrong (postgresCheck).
func (s *Store) Check(ctx context.Context) ([]string, error) {
	if s.e == postgresEngine {
		return s.postgresCheck(ctx)
	}
	var problems []string
	rows, err := s.db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			rows.Close()
			return nil, err
		}
		if msg != "ok" {
			problems = append(problems, "integrity: "+msg)
		}
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var table, parent string
		var rowid, fkid sql.NullInt64
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return nil, err
		}
		problems = append(problems, fmt.Sprintf("foreign key: %s row %d → %s", table, rowid.Int64, parent))
	}
	return problems, rows.Err()
}

// Times are stored as UTC RFC 3339 text with a fixed three-digit fraction
// ("2026-11-27T07:18:24.000Z"): fixed width keeps text order equal to time
// order, and milliseconds keep an edit made in the same second as its
// post "newer" (ActivityPub Updates need a later updated time).
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func ts(t time.Time) string { return t.UTC().Format(timeFormat) }

func nullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

func parseTS(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// wrapf adds the operation and its ids to err (nil stays nil), keeping
// errors.Is and errors.As working on what it wraps.
func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return instance.ErrNotFound
	}
	return err
}
