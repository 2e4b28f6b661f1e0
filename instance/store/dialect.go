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

// skipLocked ends the subquery that picks a queue's rows to claim. On
// PostgreSQL, FOR UPDATE SKIP LOCKED makes a node pass over rows another
// node is claiming at that moment instead of waiting for its commit (the
// claim's own WHERE still decides who gets a row: a lease not run out is
// never taken). SQLite has one writer, and no such clause.
func (e engine) skipLocked() string {
	if e == postgresEngine {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// shared reports whether several processes may use the database at once:
// PostgreSQL is made for it; a SQLite file is one Hearth process's.
func (e engine) shared() bool { return e == postgresEngine }

// rebound caches rebind's work: the same few hundred query texts come back
// all the time.
var rebound sync.Map // query text → *pgText

// pgText is a query's text for PostgreSQL, and which of the arguments
// given for the SQLite text it takes (nil: all of them, in order).
type pgText struct {
	text string
	keep []int
	n    int // the number of parameters, when keep is nil
}

// rebind rewrites the ? and ?N placeholders of query as PostgreSQL's $N
// (a plain ? takes the next number, as in SQLite). Text in quotes, quoted
// identifiers and comments are left alone. For SQLite it returns query.
func (e engine) rebind(query string) string {
	if e != postgresEngine {
		return query
	}
	return rebindPostgres(query).text
}

// rebindPostgres is rebind for PostgreSQL. SQLite lets a statement leave
// out some of its numbered parameters (a list of statements run with the
// same arguments, each using ?1, ?2 or both); PostgreSQL must know every
// parameter's type, so the ones a statement leaves out are dropped and
// the others renumbered, and keep says which arguments remain (args).
func rebindPostgres(query string) *pgText {
	if q, ok := rebound.Load(query); ok {
		return q.(*pgText)
	}
	if !strings.Contains(query, "?") {
		q := &pgText{text: query}
		rebound.Store(query, q)
		return q
	}
	// Text between placeholders, and each placeholder's SQLite number.
	var parts []string
	var nums []int
	var b strings.Builder
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
			n := next + 1
			if j > i+1 {
				n, _ = strconv.Atoi(query[i+1 : j])
			}
			next = max(next, n)
			parts, nums = append(parts, b.String()), append(nums, n)
			b.Reset()
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	q := &pgText{}
	renumber := make([]int, next+1) // SQLite number → PostgreSQL number
	for _, n := range nums {
		renumber[n] = 1
	}
	k := 0
	for n := 1; n <= next; n++ {
		if renumber[n] != 0 {
			k++
			renumber[n] = k
			q.keep = append(q.keep, n-1)
		}
	}
	if k == next {
		q.keep, q.n = nil, next // every argument, in order
	}
	var out strings.Builder
	out.Grow(len(query) + 16)
	for i, p := range parts {
		out.WriteString(p)
		out.WriteString("$" + strconv.Itoa(renumber[nums[i]]))
	}
	out.WriteString(b.String())
	q.text = out.String()
	rebound.Store(query, q)
	return q
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

// noLock is a transaction that takes no advisory lock on PostgreSQL: for
// writes that are right whatever runs beside them (an INSERT … ON CONFLICT
// DO NOTHING into the inbox queue), so accepting an activity never waits
// for the inbox worker's batch or a fan-out holding the write lock.
const noLock = 0

// Tx is a write transaction on either engine: its methods rebind the
// query's placeholders, so code in a transaction is written once.
type Tx struct {
	tx *sql.Tx
	e  engine
}

func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.e.rebind(query), t.e.args(query, args)...)
}

func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.e.rebind(query), t.e.args(query, args)...)
}

func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.e.rebind(query), t.e.args(query, args)...)
}

// Exec and Query are the context-free forms, for tests and set-up code.
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) {
	return t.ExecContext(context.Background(), query, args...)
}

func (t *Tx) Commit() error   { return t.tx.Commit() }
func (t *Tx) Rollback() error { return t.tx.Rollback() }

// The methods below are the SQL that differs between the engines, each
// returning a piece of query text.

// idsIn is a subquery giving the ids of a list passed as one parameter
// (param, such as "?3") holding jsonIDs' text: a list of any length is one
// statement, prepared once.
func (e engine) idsIn(param string) string {
	if e == postgresEngine {
		return "SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(" + param + " AS JSON))"
	}
	return "SELECT value FROM json_each(" + param + ")"
}

// jsonIDs is the parameter for idsIn: the ids as a JSON array.
func jsonIDs(ids []int64) string {
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// groupConcat joins the values of expr in a group with commas.
func (e engine) groupConcat(expr string) string {
	if e == postgresEngine {
		return "string_agg(" + expr + ", ',')"
	}
	return "group_concat(" + expr + ")"
}

// search is how the engine finds items by their words: FTS5 on SQLite
// (search_sqlite.go), a tsvector and pg_trgm on PostgreSQL
// (search_postgres.go).
func (e engine) search() searchEngine {
	if e == postgresEngine {
		return pgSearch
	}
	return ftsSearch
}

// like is the case-insensitive LIKE operator (SQLite's LIKE ignores the
// case of ASCII letters; PostgreSQL's does not).
func (e engine) like() string {
	if e == postgresEngine {
		return "ILIKE"
	}
	return "LIKE"
}

// greatest is the larger of two values (SQLite's max with two arguments
// is a scalar function; PostgreSQL's max is only an aggregate).
func (e engine) greatest(a, b string) string {
	if e == postgresEngine {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "max(" + a + ", " + b + ")"
}

// indexedBy holds SQLite's planner to an index where its statistics
// would lead it astray (see the callers); PostgreSQL plans by its own.
func (e engine) indexedBy(index string) string {
	if e == postgresEngine {
		return ""
	}
	return " INDEXED BY " + index
}

// secureDelete is the statement that makes SQLite overwrite deleted and
// changed values on disk instead of leaving them in free pages (on) or
// stops it (off); empty on PostgreSQL, which has no such setting (old row
// versions stay until VACUUM reclaims them; see the README on backups).
func (e engine) secureDelete(on bool) string {
	switch {
	case e == postgresEngine:
		return ""
	case on:
		return "PRAGMA secure_delete = ON"
	}
	return "PRAGMA secure_delete = OFF"
}

// forgetBallotOrder are the statements, run after a budget round's
// ballots were unlinked from their voters, that leave neither the old
// links nor the order ballots were cast in on disk. SQLite keeps ballots
// in token order already (WITHOUT ROWID) and overwrote the old values
// (secure_delete): folding its write-ahead log into the file removes the
// old page images there. PostgreSQL keeps rows in the order they were
// written, which budget_voters' order would match, and old row versions
// until a vacuum: CLUSTER rewrites both tables in token order (random)
// into new files, without the old versions.
func (e engine) forgetBallotOrder() []string {
	if e == postgresEngine {
		return []string{"CLUSTER budget_ballots USING budget_ballots_pkey", "CLUSTER budget_choices USING budget_choices_pkey"}
	}
	return []string{"PRAGMA wal_checkpoint(TRUNCATE)"}
}

// args are a query's arguments as the engine's driver takes them. On
// PostgreSQL, those the statement does not use are left out (see
// rebindPostgres), and flags become int64: flags are INTEGER 0/1 columns
// on both engines, SQLite's driver stores a Go bool as 0/1, but pgx
// encodes a bool only as a PostgreSQL boolean; converting here, once for
// every query, spares doing it at every call. (Reading is no trouble:
// database/sql scans 0 and 1 into a bool.) SQL that needs a truth value
// from a flag parameter compares it: CASE WHEN ? <> 0.
func (e engine) args(query string, args []any) []any {
	if e != postgresEngine || len(args) == 0 {
		return args
	}
	out := args
	if q := rebindPostgres(query); q.keep == nil {
		out = args[:min(q.n, len(args))]
	} else if keep := q.keep; keep != nil {
		out = make([]any, 0, len(keep))
		for _, i := range keep {
			if i < len(args) {
				out = append(out, args[i])
			}
		}
	}
	if len(out) == 0 {
		return out
	}
	copied := &out[0] != &args[0] || len(out) < len(args)
	for i, a := range out {
		if b, ok := a.(bool); ok {
			if !copied {
				out, copied = append([]any(nil), out...), true
			}
			out[i] = b2i(b)
		}
	}
	return out
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// SQL returns query, written with SQLite's ? or ?N placeholders, in the
// words of the store's engine: for tests and tools that run their own SQL
// on DB(), which does not rebind.
func (s *Store) SQL(query string) string { return s.e.rebind(query) }

// Postgres reports whether the store is on PostgreSQL, for tests that
// read the engine's catalogue.
func (s *Store) Postgres() bool { return s.e == postgresEngine }
