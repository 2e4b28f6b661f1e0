package store

// Moving an instance from its SQLite file into PostgreSQL (hearth admin
// migrate-store): every table is read generically, by the names and
// columns the two schemas share, so a new migration needs nothing here.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Refusals of a copy, before anything is written.
var (
	// ErrTargetNotEmpty: the PostgreSQL database already holds rows.
	ErrTargetNotEmpty = errors.New("the target database is not empty")
	// ErrSourceVersion: the SQLite file is not at this build's schema.
	ErrSourceVersion = errors.New("the SQLite file is not at this build's schema version")
)

// Source is an instance's SQLite file opened read-only, to be copied.
type Source struct {
	db      *sql.DB
	path    string
	version int
}

// OpenSource opens the SQLite file at path read-only (it is never written,
// not even migrated) and refuses one whose schema version is not this
// build's: copying needs both schemas to be the same version.
func OpenSource(ctx context.Context, path string) (*Source, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: source %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("store: source %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	src := &Source{db: db, path: path}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&src.version); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: source %s: read schema version: %w", path, err)
	}
	if want := SchemaVersion(); src.version != want {
		db.Close()
		hint := "start this hearth once on the SQLite file first (it upgrades it), stop it, then migrate"
		if src.version > want {
			hint = "it was written by a newer Hearth: migrate with that version"
		}
		return nil, fmt.Errorf("store: source %s: %w (file at %d, this build at %d): %s", path, ErrSourceVersion, src.version, want, hint)
	}
	return src, nil
}

// Version is the source's schema version.
func (src *Source) Version() int { return src.version }

// Close closes the source.
func (src *Source) Close() error { return src.db.Close() }

// TableCount is one copied table and its rows, as counted on both sides.
type TableCount struct {
	Table string
	Rows  int64
}

// CopyReport is what a copy moved.
type CopyReport struct {
	Tables []TableCount
	Rows   int64
	Took   time.Duration
	// AnalyzeErr is why PostgreSQL's statistics could not be gathered
	// after the copy (which stands): until autovacuum does it, queries
	// may be planned badly.
	AnalyzeErr error
}

// sqliteTables lists the source's tables of data: not SQLite's own, and
// not full-text search (virtual tables and their shadow tables), which
// PostgreSQL keeps its own way.
func sqliteTables(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) (map[string][]string, []string, error) {
	names, err := queryStrings(ctx, q, `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, nil, fmt.Errorf("list tables: %w", err)
	}
	cols := make(map[string][]string, len(names))
	for _, t := range names {
		if cols[t], err = queryStrings(ctx, q, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, t); err != nil {
			return nil, nil, fmt.Errorf("columns of %s: %w", t, err)
		}
	}
	return cols, names, nil
}

func queryStrings(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// pgColumn is a column of the target table.
type pgColumn struct {
	typ       string // pg_type.typname: int8, text, bytea…
	generated bool
	identity  bool
}

// CopyFrom copies every table of src into dst, a PostgreSQL store at the
// same schema version that holds no rows, in one transaction: a failure
// anywhere leaves dst as empty as it was. Foreign keys are checked once
// every row is in (SET CONSTRAINTS ALL DEFERRED), so the order of tables
// does not matter; triggers that keep derived values (reply counts) are
// off during the copy, since the copied rows already hold them; identity
// sequences are moved past the copied ids; and every table's rows are
// counted on both sides before committing.
func (dst *Store) CopyFrom(ctx context.Context, src *Source) (*CopyReport, error) {
	start := time.Now()
	if dst.e != postgresEngine {
		return nil, errors.New("store: copy: the target must be a PostgreSQL store")
	}
	// One read transaction on the source: every table as of one moment.
	rtx, err := src.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: copy: read %s: %w", src.path, err)
	}
	defer rtx.Rollback() //nolint:errcheck // read only
	cols, tables, err := sqliteTables(ctx, rtx)
	if err != nil {
		return nil, fmt.Errorf("store: copy: read %s: %w", src.path, err)
	}
	conn, err := dst.w.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: copy: connect to the target: %w", err)
	}
	defer conn.Close()
	var report *CopyReport
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("target connection is %T, not pgx", dc)
		}
		report, err = copyTables(ctx, rtx, c.Conn(), src.version, tables, cols)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: copy: %w", err)
	}
	// Statistics for the planner now, not when autovacuum comes round:
	// a bulk load leaves the tables without any, and the first pages
	// would be planned as if they were empty.
	if _, err := dst.w.ExecContext(ctx, "ANALYZE"); err != nil {
		report.AnalyzeErr = fmt.Errorf("store: copy: analyze: %w", err)
	}
	report.Took = time.Since(start)
	return report, nil
}

// madeByMigrations are the tables whose rows a fresh schema already has
// (0021 starts the blocks' version at 0): they do not make a target "not
// empty", and the copy replaces them with the source's rows.
var madeByMigrations = map[string]bool{"versions": true}

func copyTables(ctx context.Context, rtx *sql.Tx, pc *pgx.Conn, version int, tables []string, cols map[string][]string) (*CopyReport, error) {
	tx, err := pc.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it does nothing
	// The write lock of every write transaction (see Store.begin): a
	// node started on the target by mistake cannot write beside the copy,
	// and the target found empty stays empty until it is done.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(writeLock)); err != nil {
		return nil, err
	}
	var v int
	if err := tx.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&v); err != nil {
		return nil, fmt.Errorf("target schema version: %w", err)
	} else if v != version {
		return nil, fmt.Errorf("target schema at %d, source at %d", v, version)
	}
	if table, err := holdsData(ctx, tx); err != nil {
		return nil, fmt.Errorf("check the target is empty: %w", err)
	} else if table != "" {
		return nil, fmt.Errorf("%w (table %s has rows): migrate into a new, empty database", ErrTargetNotEmpty, table)
	}
	if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL DEFERRED"); err != nil {
		return nil, err
	}
	target, err := pgTables(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("list target tables: %w", err)
	}
	// Triggers that keep derived values (reply counts) stay off while
	// the copied rows, which already hold those values, go in. They are
	// all paused before the first row: a table with rows waiting for their
	// deferred foreign-key checks cannot be altered.
	for _, t := range tables {
		if _, ok := target[t]; !ok {
			return nil, fmt.Errorf("table %s is missing from the target schema", t)
		}
		if _, err := tx.Exec(ctx, "ALTER TABLE "+pgx.Identifier{t}.Sanitize()+" DISABLE TRIGGER USER"); err != nil {
			return nil, fmt.Errorf("table %s: pause triggers: %w", t, err)
		}
	}
	copied := make(map[string]int64, len(tables))
	for _, t := range tables {
		tcols := target[t]
		types := make([]string, len(cols[t]))
		for i, c := range cols[t] {
			pcol, ok := tcols[c]
			if !ok || pcol.generated {
				return nil, fmt.Errorf("column %s.%s is missing from the target schema", t, c)
			}
			types[i] = pcol.typ
		}
		if madeByMigrations[t] {
			// The source's own rows replace the ones the target's
			// migrations made.
			if _, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{t}.Sanitize()); err != nil {
				return nil, fmt.Errorf("table %s: %w", t, err)
			}
		}
		if copied[t], err = copyTable(ctx, rtx, tx, t, cols[t], types); err != nil {
			return nil, fmt.Errorf("table %s: %w", t, err)
		}
		ident := pgx.Identifier{t}.Sanitize()
		for c, pcol := range tcols {
			if !pcol.identity {
				continue
			}
			if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(%s) FROM %s), 0) + 1, false)`,
				pgx.Identifier{c}.Sanitize(), ident), ident, c); err != nil {
				return nil, fmt.Errorf("table %s: move the sequence of %s: %w", t, c, err)
			}
		}
	}
	// Every row is in: check the foreign keys now (a table cannot be
	// altered while checks are pending), then turn the triggers back on.
	if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL IMMEDIATE"); err != nil {
		return nil, fmt.Errorf("check foreign keys: %w", err)
	}
	for _, t := range tables {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+pgx.Identifier{t}.Sanitize()+" ENABLE TRIGGER USER"); err != nil {
			return nil, fmt.Errorf("table %s: restore triggers: %w", t, err)
		}
	}
	report, err := verifyCounts(ctx, rtx, tx, tables, copied)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return report, nil
}

// verifyCounts counts every table's rows on both sides, in the copy's
// transactions: what COPY reports is what it sent, not what the table
// holds, and a mismatch, from whatever cause, must not be committed.
func verifyCounts(ctx context.Context, rtx *sql.Tx, tx pgx.Tx, tables []string, copied map[string]int64) (*CopyReport, error) {
	report := &CopyReport{}
	for _, t := range tables {
		var want, got int64
		if err := rtx.QueryRowContext(ctx, `SELECT count(*) FROM "`+t+`"`).Scan(&want); err != nil {
			return nil, fmt.Errorf("table %s: count the source: %w", t, err)
		}
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{t}.Sanitize()).Scan(&got); err != nil {
			return nil, fmt.Errorf("table %s: count the target: %w", t, err)
		}
		if want != got || got != copied[t] {
			return nil, fmt.Errorf("table %s: %d rows in the source, %d copied, %d in the target", t, want, copied[t], got)
		}
		report.Tables = append(report.Tables, TableCount{Table: t, Rows: got})
		report.Rows += got
	}
	return report, nil
}

// holdsData returns the name of a table of the target that has a row, in
// any schema but PostgreSQL's own, or "" when there is none. The schema
// version's one row is the migration's, not data.
func holdsData(ctx context.Context, tx pgx.Tx) (string, error) {
	rows, err := tx.Query(ctx, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
		ORDER BY n.nspname <> current_schema(), n.nspname, c.relname`)
	if err != nil {
		return "", err
	}
	var tables []pgx.Identifier
	for rows.Next() {
		var ns, name string
		if err := rows.Scan(&ns, &name); err != nil {
			rows.Close()
			return "", err
		}
		tables = append(tables, pgx.Identifier{ns, name})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	for _, t := range tables {
		if t[1] == "schema_version" || madeByMigrations[t[1]] {
			continue
		}
		var has bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+t.Sanitize()+")").Scan(&has); err != nil {
			return "", fmt.Errorf("%s: %w", t.Sanitize(), err)
		}
		if has {
			return strings.Join(t, "."), nil
		}
	}
	return "", nil
}

// pgTables reads the target's tables and columns in the current schema.
func pgTables(ctx context.Context, tx pgx.Tx) (map[string]map[string]pgColumn, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname, a.attname, t.typname, a.attgenerated <> '', a.attidentity <> ''
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		JOIN pg_type t ON t.oid = a.atttypid
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]pgColumn{}
	for rows.Next() {
		var table, col string
		var c pgColumn
		if err := rows.Scan(&table, &col, &c.typ, &c.generated, &c.identity); err != nil {
			return nil, err
		}
		if out[table] == nil {
			out[table] = map[string]pgColumn{}
		}
		out[table][col] = c
	}
	return out, rows.Err()
}

// copyTable streams one table's rows from the source into COPY.
func copyTable(ctx context.Context, rtx *sql.Tx, tx pgx.Tx, table string, cols, types []string) (int64, error) {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
	}
	rows, err := rtx.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+table+`"`)
	if err != nil {
		return 0, fmt.Errorf("read the source: %w", err)
	}
	defer rows.Close()
	rs := &rowSource{rows: rows, cols: cols, types: types, vals: make([]any, len(cols)), ptrs: make([]any, len(cols))}
	for i := range rs.vals {
		rs.ptrs[i] = &rs.vals[i]
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, rs)
	if err != nil {
		if rs.err != nil {
			return 0, rs.err
		}
		return 0, fmt.Errorf("copy (row %d): %w", rs.n, err)
	}
	return n, nil
}

// rowSource feeds pgx's CopyFrom from the source's rows, each value turned
// into what the target column's type takes.
type rowSource struct {
	rows  *sql.Rows
	cols  []string
	types []string
	vals  []any
	ptrs  []any
	n     int64
	err   error
}

func (r *rowSource) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	r.n++
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = fmt.Errorf("read row %d: %w", r.n, err)
		return false
	}
	return true
}

func (r *rowSource) Values() ([]any, error) {
	out := make([]any, len(r.vals))
	for i, v := range r.vals {
		c, err := convert(v, r.types[i])
		if err != nil {
			r.err = fmt.Errorf("row %d, column %s: %w", r.n, r.cols[i], err)
			return nil, r.err
		}
		out[i] = c
	}
	return out, nil
}

func (r *rowSource) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// convert turns a value as SQLite stored it into one for a PostgreSQL
// column of type typ. SQLite's columns (outside STRICT tables) take any
// value; PostgreSQL's take their type only, so what the store wrote as a
// number into a text column (or the reverse) is converted here.
func convert(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "int2", "int4", "int8":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if x == float64(int64(x)) {
				return int64(x), nil
			}
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n, nil
			}
		case []byte:
			if n, err := strconv.ParseInt(strings.TrimSpace(string(x)), 10, 64); err == nil {
				return n, nil
			}
		}
		return nil, fmt.Errorf("%q is not a whole number", fmt.Sprint(v))
	case "bool":
		if x, ok := v.(int64); ok {
			return x != 0, nil
		}
	case "float4", "float8", "numeric":
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case string:
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return f, nil
			}
		}
	case "text", "varchar", "bpchar", "json", "jsonb":
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		case int64:
			return strconv.FormatInt(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		default:
			return v, nil
		}
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return nil, errors.New("text that PostgreSQL cannot hold (invalid UTF-8 or a NUL character)")
		}
		return s, nil
	case "bytea":
		if x, ok := v.(string); ok {
			return []byte(x), nil
		}
	}
	return v, nil
}
