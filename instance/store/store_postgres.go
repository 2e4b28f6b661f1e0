package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

//go:embed migrations/postgres/*.sql
var postgresMigrationFiles embed.FS

// postgresBase is the first schema version PostgreSQL has: its first
// migration file is the whole schema at that version.
const postgresBase = 20

// postgresPool is the size of the one pool PostgreSQL's reads and writes
// share. Write transactions queue on the write lock (see Store.begin), so
// they hold few connections at once; a request holding rows while it runs
// another query needs two. Sixteen per node leaves a hundred-connection
// server room for several nodes and the tools beside them.
const postgresPool = 16

// OpenPostgres connects to the PostgreSQL database of dsn (a URL,
// postgres://user:password@host:port/database?sslmode=…, or libpq's
// key=value form) and brings its schema up to date, as Open does for a
// SQLite file. It refuses a database written by a newer Hearth
// (ErrNewerSchema). Its errors name the database by user, host and name,
// never with the password.
func OpenPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := postgresConfig(dsn)
	if err != nil {
		return nil, err
	}
	where := describe(cfg)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(postgresPool)
	db.SetMaxIdleConns(postgresPool / 2)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to postgres %s: %w", where, connectProblem(err))
	}
	s := &Store{db: db, w: db, e: postgresEngine, rd: &prepared{db: db, e: postgresEngine}, wr: &prepared{db: db, e: postgresEngine}}
	s.rd.s, s.wr.s = s, s
	if err := s.migratePostgres(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("%w (postgres %s)", err, where)
	}
	for _, q := range []string{enqueueInbox, finishInbox, insertNotification, insertRemoteReply} { // see inTx
		s.wr.stmt(ctx, q)
	}
	return s, nil
}

// connectTimeout bounds each connection attempt when the DSN sets no
// connect_timeout: without one, a server that drops packets holds
// start-up for the system's TCP timeout (minutes) before saying anything.
const connectTimeout = 10 * time.Second

// postgresConfig parses dsn, with connectTimeout unless it says otherwise.
func postgresConfig(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message quotes the DSN with its password masked, but it
		// also says why, so keep only that.
		return nil, fmt.Errorf("store: postgres dsn is not valid: %s", parseProblem(err))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	return cfg, nil
}

// describe names a database for messages: user, host and name, no secret.
func describe(cfg *pgx.ConnConfig) string {
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	}
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, host, cfg.Port, cfg.Database)
}

// parseProblem is what is wrong with a DSN, without the DSN: pgx quotes
// it with the password masked, but only where it recognises one, and the
// reason may quote part of it again ("parse \"postgres://…\": invalid
// port"), so quoted text goes too.
func parseProblem(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		msg = msg[i+3:]
	}
	return quoted.ReplaceAllString(msg, `"…"`)
}

var quoted = regexp.MustCompile(`"[^"]*"|` + "`[^`]*`")

// connectProblem keeps the useful end of a connection error ("connection
// refused", "password authentication failed for user …", "database …
// does not exist"), redacted.
func connectProblem(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return fmt.Errorf("%s (SQLSTATE %s)", pg.Message, pg.Code)
	}
	return errors.New(redact(oneLine(err.Error())))
}

// oneLine joins the lines of a message with ": ", once each: pgx lists
// every address and TLS attempt it made on lines of their own, often the
// same failure twice (sslmode=prefer tries with TLS, then without).
func oneLine(msg string) string {
	var parts []string
	seen := map[string]bool{}
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimRight(strings.TrimSpace(l), ":")
		if l != "" && !seen[l] {
			seen[l] = true
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, ": ")
}

// redact removes anything that looks like a URL's password.
func redact(s string) string {
	for _, f := range strings.Fields(s) {
		f = strings.Trim(f, "`'\"(),:")
		if u, err := url.Parse(f); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				s = strings.ReplaceAll(s, f, u.Redacted())
			}
		}
	}
	return s
}

// postgresMigrations are PostgreSQL's migrations: the whole schema at
// postgresBase, then one file for each later version, numbered as its
// SQLite twin (see TestPostgresMigrationsMatchSQLite).
func postgresMigrations() ([]migration, error) {
	ms, err := readMigrations(postgresMigrationFiles, "migrations/postgres")
	if err != nil {
		return nil, err
	}
	for i, m := range ms {
		if m.version != postgresBase+i {
			return nil, fmt.Errorf("store: postgres migrations must be numbered %d, %d…; found %s at position %d",
				postgresBase, postgresBase+1, m.name, i+1)
		}
	}
	return ms, nil
}

// migrateLock is the advisory lock migrations run under, so two nodes
// starting together on an empty database migrate it once: the second
// waits, then finds it current.
const migrateLock = 0x686561727468 + 1

// schemaVersionTable keeps PostgreSQL's schema version, SQLite's
// user_version. A one-row table rather than COMMENT ON DATABASE: it
// changes in the migration's own transaction (a failed migration leaves
// it as it was), and pg_dump / pg_restore into another database carry it
// (a database's comment is only dumped with --create).
const schemaVersionTable = `CREATE TABLE IF NOT EXISTS schema_version (
	one     BIGINT PRIMARY KEY DEFAULT 1 CHECK (one = 1),
	version BIGINT NOT NULL
)`

// migratePostgres applies the missing migrations in one transaction,
// under migrateLock.
func (s *Store) migratePostgres(ctx context.Context) error {
	ms, err := postgresMigrations()
	if err != nil {
		return err
	}
	last := ms[len(ms)-1].version
	return s.withTx(ctx, migrateLock, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, schemaVersionTable); err != nil {
			return fmt.Errorf("store: schema version: %w", err)
		}
		var current int
		err := tx.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&current)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: read schema version: %w", err)
		}
		if current > last {
			return fmt.Errorf("%w (database schema %d, this build knows up to %d); run a newer hearth or restore a backup", ErrNewerSchema, current, last)
		}
		if current != 0 && current < postgresBase {
			return fmt.Errorf("store: database schema %d is older than PostgreSQL's first, %d", current, postgresBase)
		}
		for _, m := range ms {
			if m.version <= current {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("store: migration postgres/%s: %w", m.name, err)
			}
		}
		if current == last {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_version (one, version) VALUES (1, ?)
			ON CONFLICT (one) DO UPDATE SET version = excluded.version`, last)
		return err
	})
}

// postgresBackup: a PostgreSQL database is backed up with its own tools.
func postgresBackup() error {
	return errors.New("store: backup: this instance keeps its data in PostgreSQL; back it up with pg_dump -Fc (and restore with pg_restore), see README")
}

// postgresCheck is Check on PostgreSQL. The server enforces foreign keys
// and keeps its own files consistent, so what can be wrong is what an
// operator left half-done: a constraint added NOT VALID and never
// validated, or an index whose build failed (CREATE INDEX CONCURRENTLY),
// which then silently serves nothing.
func (s *Store) postgresCheck(ctx context.Context) ([]string, error) {
	var problems []string
	rows, err := s.db.QueryContext(ctx, `
		SELECT 'constraint not validated: ' || c.conrelid::regclass || '.' || c.conname
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE n.nspname = current_schema() AND NOT c.convalidated
		UNION ALL
		SELECT 'index not valid: ' || i.indexrelid::regclass
		FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready)
		ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("store: check: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		problems = append(problems, p)
	}
	return problems, rows.Err()
}

// pgUniqueViolation is uniqueViolation on PostgreSQL: SQLSTATE 23505 on
// table, whose key (from the error's detail, "Key (a, b)=(…) already
// exists.") starts with columns. The start, as SQLite's message matches:
// "following.group_id" names the key (group_id, address), as SQLite's
// "UNIQUE constraint failed: following.group_id, following.address"
// contains it.
func pgUniqueViolation(err error, table string, columns []string) bool {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || pg.Code != "23505" || pg.TableName != table {
		return false
	}
	key, ok := strings.CutPrefix(pg.Detail, "Key (")
	if !ok {
		return false
	}
	key, _, ok = strings.Cut(key, ")=(")
	want := strings.Join(columns, ", ")
	return ok && (key == want || strings.HasPrefix(key, want+", "))
}
