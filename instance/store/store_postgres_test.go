package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"hearth/instance"
	"hearth/instance/store/pgtest"
)

// openPostgres opens a store on a new, empty PostgreSQL database, so the
// migrations run from nothing.
func openPostgres(t *testing.T) (*Store, string) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	s, err := OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dsn
}

// sqliteOnlyTables are SQLite's FTS5 tables; PostgreSQL searches with
// indexes on items instead (0020_schema.sql).
var sqliteOnlyTables = []string{"items_fts", "items_fts_config", "items_fts_data", "items_fts_docsize", "items_fts_idx", "items_vocab"}

// postgresOnlyTables: PostgreSQL keeps its schema version in a table
// (SQLite in the file's header).
var postgresOnlyTables = []string{"schema_version"}

type column struct {
	typ     string
	notNull bool
}

// sqliteColumns are the tables and columns of a migrated SQLite store, the
// declared type read as PostgreSQL's name for it.
func sqliteColumns(t *testing.T) (map[string]map[string]column, []string) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pgType := map[string]string{"INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea", "REAL": "double precision", "ANY": "?", "": "?"}
	out := map[string]map[string]column{}
	rows, err := s.db.QueryContext(ctx, `SELECT m.name, p.name, p.type, p."notnull", p.pk FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' ORDER BY m.name, p.cid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, name, typ string
		var notNull, pk int
		if err := rows.Scan(&table, &name, &typ, &notNull, &pk); err != nil {
			t.Fatal(err)
		}
		if out[table] == nil {
			out[table] = map[string]column{}
		}
		// A STRICT table's primary key is never NULL, declared or not.
		out[table][name] = column{typ: pgType[strings.ToUpper(typ)], notNull: notNull == 1 || pk > 0}
	}
	var indexes []string
	rows2, err := s.db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows2.Close()
	for rows2.Next() {
		var n string
		rows2.Scan(&n)
		indexes = append(indexes, n)
	}
	return out, indexes
}

func postgresColumns(t *testing.T, s *Store) (map[string]map[string]column, map[string]bool) {
	t.Helper()
	ctx := context.Background()
	out := map[string]map[string]column{}
	rows, err := s.db.QueryContext(ctx, `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable
		FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, name, typ, nullable string
		if err := rows.Scan(&table, &name, &typ, &nullable); err != nil {
			t.Fatal(err)
		}
		if out[table] == nil {
			out[table] = map[string]column{}
		}
		out[table][name] = column{typ: typ, notNull: nullable == "NO"}
	}
	indexes := map[string]bool{}
	rows2, err := s.db.QueryContext(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows2.Close()
	for rows2.Next() {
		var n string
		rows2.Scan(&n)
		indexes[n] = true
	}
	return out, indexes
}

// Both engines have the same tables with the same columns, of the same
// types and nullability, and SQLite's named indexes; the only tables one
// has and the other not are listed above, and do exist where they are
// said to.
func TestSchemaParity(t *testing.T) {
	lite, liteIndexes := sqliteColumns(t)
	s, _ := openPostgres(t)
	pg, pgIndexes := postgresColumns(t, s)
	for _, name := range sqliteOnlyTables {
		if lite[name] == nil {
			t.Errorf("%s is listed as SQLite-only but SQLite has no such table", name)
		}
		if pg[name] != nil {
			t.Errorf("%s is listed as SQLite-only but PostgreSQL has it", name)
		}
		delete(lite, name)
	}
	for _, name := range postgresOnlyTables {
		if pg[name] == nil {
			t.Errorf("%s is listed as PostgreSQL-only but PostgreSQL has no such table", name)
		}
		delete(pg, name)
	}
	var tables []string
	for table := range lite {
		tables = append(tables, table)
	}
	sort.Strings(tables)
	for _, table := range tables {
		if pg[table] == nil {
			t.Errorf("table %s is missing from the PostgreSQL schema", table)
			continue
		}
		for name, want := range lite[table] {
			got, ok := pg[table][name]
			switch {
			case !ok:
				t.Errorf("column %s.%s is missing from the PostgreSQL schema", table, name)
			case got.notNull != want.notNull:
				t.Errorf("column %s.%s: NOT NULL is %v on PostgreSQL, %v on SQLite", table, name, got.notNull, want.notNull)
			case got.typ != want.typ:
				t.Errorf("column %s.%s: type %s on PostgreSQL, want %s", table, name, got.typ, want.typ)
			}
		}
		for name := range pg[table] {
			if _, ok := lite[table][name]; !ok {
				t.Errorf("column %s.%s is on PostgreSQL only", table, name)
			}
		}
	}
	for table := range pg {
		if lite[table] == nil {
			t.Errorf("table %s is on PostgreSQL only", table)
		}
	}
	for _, idx := range liteIndexes {
		if !pgIndexes[idx] {
			t.Errorf("index %s is missing from the PostgreSQL schema", idx)
		}
	}
	for _, idx := range []string{"items_search", "items_trigram"} {
		if !pgIndexes[idx] {
			t.Errorf("search index %s is missing from the PostgreSQL schema", idx)
		}
	}
}

// PostgreSQL's migrations start with the whole schema at postgresBase,
// and every later one has a SQLite twin of the same number: both engines
// end at SchemaVersion.
func TestPostgresMigrationsMatchSQLite(t *testing.T) {
	lite, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := postgresMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if pg[0].version != postgresBase || !strings.HasSuffix(pg[0].name, "_schema.sql") {
		t.Errorf("PostgreSQL's first migration is %s, want %04d_schema.sql", pg[0].name, postgresBase)
	}
	for _, m := range pg[1:] {
		if m.version > len(lite) || !strings.HasPrefix(lite[m.version-1].name, fmt.Sprintf("%04d_", m.version)) {
			t.Errorf("postgres/%s has no SQLite migration of the same number", m.name)
		}
	}
	if last := pg[len(pg)-1].version; last != SchemaVersion() {
		t.Errorf("PostgreSQL migrates to %d, SQLite to %d: add postgres/%04d_….sql", last, SchemaVersion(), SchemaVersion())
	}
}

// A fresh database migrates to this build's version, is ready and has
// nothing to report.
func TestPostgresFreshDatabaseMigrates(t *testing.T) {
	s, _ := openPostgres(t)
	ctx := context.Background()
	var v, rows int
	if err := s.db.QueryRowContext(ctx, "SELECT version, (SELECT count(*) FROM schema_version) FROM schema_version").Scan(&v, &rows); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() || rows != 1 {
		t.Errorf("schema_version = %d (%d rows), want %d (1 row)", v, rows, SchemaVersion())
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready: %v", err)
	}
	problems, err := s.Check(ctx)
	if err != nil || len(problems) != 0 {
		t.Errorf("Check = %v, %v; want nothing", problems, err)
	}
	if pools := s.Pools(); len(pools) != 1 || pools["pool"] != s.db {
		t.Errorf("Pools = %v, want the one pool", pools)
	}
}

// Reopening keeps the data and runs no migration again (which would fail:
// the tables exist).
func TestPostgresReopenDoesNotRemigrate(t *testing.T) {
	s, dsn := openPostgres(t)
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO handles (handle, kind) VALUES ('village', 'group')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err := OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM handles WHERE handle = 'village'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("data after reopen: %d rows, %v", n, err)
	}
}

// A database from a newer Hearth is refused, and not touched.
func TestPostgresRefusesNewerSchema(t *testing.T) {
	s, dsn := openPostgres(t)
	ctx := context.Background()
	setSchemaVersion(t, s, 999)
	if err := s.Ready(ctx); !errors.Is(err, instance.ErrUnavailable) {
		t.Errorf("Ready on a newer schema = %v, want ErrUnavailable", err)
	}
	s.Close()
	_, err := OpenPostgres(ctx, dsn)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("err = %v, want ErrNewerSchema", err)
	}
	if !strings.Contains(err.Error(), "database schema 999") {
		t.Errorf("error does not say the database's version: %v", err)
	}
}

// Two nodes starting together on an empty database both start, and the
// schema is made once (a second run of 0020 would fail on its tables).
func TestPostgresConcurrentOpensMigrateOnce(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			<-start
			s, err := OpenPostgres(ctx, dsn)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
}

// The reply count triggers keep items.reply_count to the visible replies,
// as SQLite's do.
func TestPostgresReplyCountTriggers(t *testing.T) {
	s, _ := openPostgres(t)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO handles (handle, kind) VALUES ('village', 'group'), ('ann', 'member')`,
		`INSERT INTO groups (id, handle, name, created_at) VALUES (1, 'village', 'V', 'x')`,
		`INSERT INTO members (id, handle, display_name, password_hash, status, conduct_accepted_at, created_at) VALUES (1, 'ann', 'Ann', 'x', 'active', 'x', 'x')`,
		`INSERT INTO items (id, kind, group_id, author_id, title, visibility, state, created_at, updated_at) VALUES (1, 'need', 1, 1, 'T', 'public', 'open', 'x', 'x')`,
		`INSERT INTO responses (id, item_id, author_id, body, created_at, updated_at) VALUES (1, 1, 1, 'a', 'x', 'x'), (2, 1, 1, 'b', 'x', 'x')`,
		`INSERT INTO responses (id, item_id, author_id, body, created_at, updated_at, held) VALUES (3, 1, 1, 'held', 'x', 'x', 1)`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	count := func(step string, want int) {
		t.Helper()
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT reply_count FROM items WHERE id = 1`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: reply_count = %d, want %d", step, n, want)
		}
	}
	count("two replies and one held", 2)
	for _, step := range []struct {
		q    string
		want int
	}{
		{`UPDATE responses SET held = 0 WHERE id = 3`, 3},
		{`UPDATE responses SET deleted_at = 'x' WHERE id = 1`, 2},
		{`UPDATE responses SET body = 'edited' WHERE id = 2`, 2},
		{`UPDATE responses SET deleted_at = 'y' WHERE id = 1`, 2},
		{`DELETE FROM responses WHERE id = 1`, 2},
		{`DELETE FROM responses WHERE id = 2`, 1},
	} {
		if _, err := s.db.ExecContext(ctx, step.q); err != nil {
			t.Fatal(err)
		}
		count(step.q, step.want)
	}
}

// uniqueViolation recognises PostgreSQL's 23505 on the table and key the
// callers name, and nothing else.
func TestPostgresUniqueViolation(t *testing.T) {
	s, _ := openPostgres(t)
	ctx := context.Background()
	dup := func(q string) error {
		t.Helper()
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		_, err := s.db.ExecContext(ctx, q)
		if err == nil {
			t.Fatalf("%s twice: no error", q)
		}
		return err
	}
	err := dup(`INSERT INTO handles (handle, kind) VALUES ('ann', 'member')`)
	if !uniqueViolation(err, "handles.handle") {
		t.Errorf("duplicate handle not recognised: %v", err)
	}
	if uniqueViolation(err, "members.email") || uniqueViolation(err, "handles.kind") {
		t.Errorf("duplicate handle taken for another key: %v", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO members (id, handle, display_name, email, password_hash, status, conduct_accepted_at, created_at)
		VALUES (1, 'ann', 'Ann', 'ann@example.org', 'x', 'active', 'x', 'x')`); err != nil {
		t.Fatal(err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO handles (handle, kind) VALUES ('ann2', 'member');
		INSERT INTO members (id, handle, display_name, email, password_hash, status, conduct_accepted_at, created_at)
		VALUES (2, 'ann2', 'Ann', 'ann@example.org', 'x', 'active', 'x', 'x')`)
	if !uniqueViolation(err, "members.email") || uniqueViolation(err, "members.handle") {
		t.Errorf("duplicate email (a partial unique index): %v", err)
	}
	for _, q := range []string{
		`INSERT INTO handles (handle, kind) VALUES ('village', 'group')`,
		`INSERT INTO groups (id, handle, name, created_at) VALUES (1, 'village', 'V', 'x')`,
		`INSERT INTO panels (id, group_id, created_by, title, size, ends_at, created_at) VALUES (1, 1, 1, 'P', 3, 'x', 'x')`,
		`INSERT INTO panel_volunteers (panel_id, code, member_id, created_at) VALUES (1, 'c1', 1, 'x')`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO panel_volunteers (panel_id, code, member_id, created_at) VALUES (1, 'c2', 1, 'x')`)
	if !uniqueViolation(err, "panel_volunteers.panel_id, panel_volunteers.member_id") ||
		uniqueViolation(err, "panel_volunteers.panel_id, panel_volunteers.code") {
		t.Errorf("same member twice on a panel: %v", err)
	}
}

// Backup refuses on PostgreSQL and says what to use instead.
func TestPostgresBackupRefused(t *testing.T) {
	s, _ := openPostgres(t)
	err := s.Backup(context.Background(), filepath.Join(t.TempDir(), "copy.db"))
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("Backup = %v, want a refusal naming pg_dump", err)
	}
}

// Check reports a constraint left unvalidated and a failed index.
func TestPostgresCheckFindsHalfDoneWork(t *testing.T) {
	s, _ := openPostgres(t)
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, `ALTER TABLE handles ADD CONSTRAINT handles_short CHECK (length(handle) < 40) NOT VALID`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'members_status'::regclass`); err != nil {
		t.Fatal(err)
	}
	problems, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(problems, "\n")
	if !strings.Contains(got, "constraint not validated: handles.handles_short") || !strings.Contains(got, "index not valid: members_status") {
		t.Errorf("Check = %q, want the constraint and the index", got)
	}
}

// A DSN that does not parse or a server that does not answer is refused
// with what is wrong, never the password.
func TestPostgresBadDSN(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ dsn, want string }{
		{"postgres://hearth:s3cret@127.0.0.1:notaport/hearth", "dsn is not valid"},
		{"host=127.0.0.1 port=1 user=hearth password=s3cret dbname=hearth connect_timeout=5", "connect to postgres hearth@127.0.0.1:1/hearth"},
		{"postgres://hearth:s3cret@127.0.0.1:1/hearth?connect_timeout=5", "connect to postgres hearth@127.0.0.1:1/hearth"},
	} {
		_, err := OpenPostgres(ctx, c.dsn)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.dsn, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error shows the password: %v", c.dsn, err)
		}
	}
}
