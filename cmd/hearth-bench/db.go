package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"

	"github.com/jackc/pgx/v5"

	"hearth/instance/store"
)

// sqlDB runs the bench's own SQL (seeding, counting) on either engine:
// queries are written with ? and rebound for the store's dialect.
type sqlDB struct{ st *store.Store }

func (d sqlDB) Exec(q string, args ...any) (sql.Result, error) {
	return d.st.DB().Exec(d.st.SQL(q), args...)
}

func (d sqlDB) QueryRow(q string, args ...any) *sql.Row {
	return d.st.DB().QueryRow(d.st.SQL(q), args...)
}

func (d sqlDB) Begin() (*sqlTx, error) {
	tx, err := d.st.DB().Begin()
	return &sqlTx{tx: tx, st: d.st}, err
}

type sqlTx struct {
	tx *sql.Tx
	st *store.Store
}

func (t *sqlTx) Exec(q string, args ...any) (sql.Result, error) {
	return t.tx.Exec(t.st.SQL(q), args...)
}

func (t *sqlTx) QueryRow(q string, args ...any) *sql.Row {
	return t.tx.QueryRow(t.st.SQL(q), args...)
}

func (t *sqlTx) Prepare(q string) (*sql.Stmt, error) { return t.tx.Prepare(t.st.SQL(q)) }
func (t *sqlTx) Commit() error                       { return t.tx.Commit() }
func (t *sqlTx) Rollback() error                     { return t.tx.Rollback() }

// where is the instance's database: a SQLite file, or a PostgreSQL
// database the bench created for this run (and drops at the end).
type where struct {
	path  string // SQLite
	dsn   string // PostgreSQL
	admin string // the DSN the database was created from
	name  string
}

// newWhere makes the run's database: for postgres, a fresh database
// named after the process, created from admin's server.
func newWhere(ctx context.Context, engine, admin, dir string) (*where, error) {
	switch engine {
	case "sqlite":
		return &where{path: dir + "/hearth.db"}, nil
	case "postgres":
		if admin == "" {
			return nil, fmt.Errorf("-store postgres needs -dsn (or HEARTH_TEST_POSTGRES): a server the bench may create a database on")
		}
		name := fmt.Sprintf("hearth_bench_%d", os.Getpid())
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return nil, fmt.Errorf("postgres: create database %s: %w", name, err)
		}
		u, err := url.Parse(admin)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, fmt.Errorf("-dsn must be a postgres:// URL")
		}
		u.Path = "/" + name
		return &where{dsn: u.String(), admin: admin, name: name}, nil
	}
	return nil, fmt.Errorf("-store must be sqlite or postgres, not %q", engine)
}

func (w *where) open(ctx context.Context) (*store.Store, error) {
	if w.dsn != "" {
		return store.OpenPostgres(ctx, w.dsn)
	}
	return store.Open(ctx, w.path)
}

// config is the [store] part of hearth's configuration.
func (w *where) config() string {
	if w.dsn != "" {
		return fmt.Sprintf("[store]\ndriver = \"postgres\"\ndsn = %q\n", w.dsn)
	}
	return ""
}

func (w *where) drop(ctx context.Context) {
	if w.name == "" {
		return
	}
	conn, err := pgx.Connect(ctx, w.admin)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{w.name}.Sanitize()+" WITH (FORCE)")
}
