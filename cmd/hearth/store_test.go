package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hearth/instance/store"
	"hearth/instance/store/pgtest"
)

// servePostgres runs "hearth serve" with driver = "postgres" and dsn in
// HEARTH_STORE_DSN; it must stop at once with one line on stderr that
// contains want and never the password.
func servePostgres(t *testing.T, dsn, want string) {
	t.Helper()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "hearth.toml")
	if err := os.WriteFile(cfgFile, []byte("[store]\ndriver = \"postgres\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HEARTH_STORE_DSN", dsn)
	code, _, errs := hearth(t, dir, "", "serve", "-config", cfgFile)
	if code != 1 || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, errs, want)
	}
	if n := strings.Count(strings.TrimRight(errs, "\n"), "\n"); n != 0 {
		t.Errorf("stderr has %d lines, want one: %q", n+1, errs)
	}
	if strings.Contains(errs, "s3cret") {
		t.Errorf("stderr shows the password: %q", errs)
	}
}

// A DSN that does not parse, or a server that does not answer, stops
// start-up with one line naming the problem.
func TestStartRefusesABadPostgresDSN(t *testing.T) {
	t.Run("does not parse", func(t *testing.T) {
		servePostgres(t, "postgres://hearth:s3cret@127.0.0.1:notaport/hearth", "hearth: store: postgres dsn is not valid: ")
	})
	t.Run("nobody answers", func(t *testing.T) {
		servePostgres(t, "postgres://hearth:s3cret@127.0.0.1:1/hearth?connect_timeout=5",
			"hearth: store: connect to postgres hearth@127.0.0.1:1/hearth: ")
	})
	t.Run("no such database", func(t *testing.T) {
		dsn := pgtest.WithDatabase(pgtest.DSN(t), "hearth_no_such_database")
		servePostgres(t, dsn, `database "hearth_no_such_database" does not exist`)
	})
}

// A database from a newer Hearth stops start-up, saying so, and is left
// as it was.
func TestStartRefusesANewerPostgresDatabase(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, "UPDATE schema_version SET version = 999"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	servePostgres(t, dsn, "database is from a newer version of Hearth (database schema 999")
	st2, err := store.OpenPostgres(ctx, dsn)
	if err == nil {
		st2.Close()
		t.Fatal("the newer database was changed: it opens now")
	}
}
