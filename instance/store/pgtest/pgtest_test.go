package pgtest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// WithDatabase replaces the database of both DSN forms and keeps the rest.
func TestWithDatabase(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"postgres://u:p@127.0.0.1:5432/base?sslmode=disable", "postgres://u:p@127.0.0.1:5432/other?sslmode=disable"},
		{"postgres://postgres@/base?host=/tmp/pg&port=55432", "postgres://postgres@/other?host=/tmp/pg&port=55432"},
		{"host=/tmp/pg port=55432 dbname=base", "host=/tmp/pg port=55432 dbname=base dbname=other"},
	} {
		got := WithDatabase(c.dsn, "other")
		if got != c.want {
			t.Errorf("WithDatabase(%q) = %q, want %q", c.dsn, got, c.want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil || cfg.Database != "other" {
			t.Errorf("%q parses to database %q (%v), want other", got, cfg.Database, err)
		}
	}
}

// A test's database exists while it runs, is named after the DSN's
// database and this process, and is gone after its clean-up.
func TestPostgresNewDatabase(t *testing.T) {
	base := DSN(t)
	var dsn string
	t.Run("inner", func(t *testing.T) {
		dsn = NewDatabase(t)
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		baseCfg, _ := pgx.ParseConfig(base)
		if !strings.HasPrefix(cfg.Database, strings.ToLower(baseCfg.Database)+"_") || !strings.Contains(cfg.Database, "_"+strconv.Itoa(os.Getpid())+"_") {
			t.Errorf("database %q is not named after %q and the process", cfg.Database, baseCfg.Database)
		}
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatalf("the new database does not answer: %v", err)
		}
		conn.Close(context.Background())
	})
	if conn, err := pgx.Connect(context.Background(), dsn); err == nil {
		conn.Close(context.Background())
		t.Errorf("database of %s still exists after its test", dsn)
	}
}
