package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
)

// engine names the SQL database behind a Store. Queries are written once,
// in the SQL that SQLite and PostgreSQL share, with ? or ?N placeholders;
// where the two differ, the difference is a method of engine, in this
// file, so the dialect lives in one place.
type engine int

const (
	sqliteEngine engine = iota
	postgresEngine
)

func (e engine) String() string {
	if e == postgresEngine {
		return "postgres"
	}
	return "sqlite"
}

// rebound caches rebind's work: the same few hundred query texts come back
// all the time.
var rebound sync.Map // query text → PostgreSQL text

// rebind rewrites the ? and ?N placeholders of query as PostgreSQL's $N
// (a plain ? takes the next number, as in SQLite). Text in quotes, quoted
// identifiers and comments are left alone. For SQLite it returns query.
func (e engine) rebind(query string) string {
	if e != postgresEngine || !strings.Contains(query, "?") {
		return query
	}
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	next := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) && query[j] != c {
				j++
			}
			b.WriteString(query[i:min(j+1, len(query))])
			i = j
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j - 1
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if j > i+1 {
				n, _ := strconv.Atoi(query[i+1 : j])
				next = max(next, n)
				b.WriteString("$" + query[i+1:j])
			} else {
				next++
				b.WriteString("$" + strconv.Itoa(next))
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	rebound.Store(query, out)
	return out
}

// schemaVersionQuery reads the database's schema version: SQLite keeps
// it in the file's header, PostgreSQL in schema_version (store_postgres.go).
func (e engine) schemaVersionQuery() string {
	if e == postgresEngine {
		return "SELECT version FROM schema_version"
	}
	return "PRAGMA user_version"
}

// uniqueViolation reports whether err is a UNIQUE or PRIMARY KEY failure on
// the given key, written as SQLite names it: "table.column", or
// "table.a, table.b" for a key of several columns.
func uniqueViolation(err error, key string) bool {
	if err == nil {
		return false
	}
	if strings.Contains(err.Error(), "constraint failed: "+key) {
		return true // SQLite
	}
	var table string
	var columns []string
	for _, tc := range strings.Split(key, ", ") {
		t, c, _ := strings.Cut(tc, ".")
		table, columns = t, append(columns, c)
	}
	return pgUniqueViolation(err, table, columns)
}

// writeLock is the PostgreSQL advisory lock every write transaction takes
// (see Store.tx). Its number is arbitrary but fixed: "hearth" in ASCII.
const writeLock = 0x686561727468

// Tx is a write transaction on either engine: its methods rebind the
// query's placeholders, so code in a transaction is written once.
type Tx struct {
	tx *sql.Tx
	e  engine
}

func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.e.rebind(query), args...)
}

func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.e.rebind(query), args...)
}

func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.e.rebind(query), args...)
}

// Exec and Query are the context-free forms, for tests and set-up code.
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) {
	return t.ExecContext(context.Background(), query, args...)
}

func (t *Tx) Commit() error   { return t.tx.Commit() }
func (t *Tx) Rollback() error { return t.tx.Rollback() }

// Rebind returns query with its placeholders in this store's dialect, for
// tools and tests outside the package that run their own SQL on DB().
func (s *Store) Rebind(query string) string { return s.e.rebind(query) }
