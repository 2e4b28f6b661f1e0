// Package storetest opens stores for the tests of packages above the
// store (instance, web): on PostgreSQL when HEARTH_TEST_POSTGRES is set, a
// database of the test's own copied from a template migrated once per
// test process (see pgtest), or else a SQLite file in the test's
// temporary directory. Call Main from the package's TestMain, so the
// templates are dropped at the end.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"hearth/instance/store"
	"hearth/instance/store/pgtest"
)

// Open returns a migrated, empty store for t, closed when t ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	var st *store.Store
	var err error
	if pgtest.Enabled() {
		st, err = store.OpenPostgres(ctx, pgtest.NewMigratedDatabase(t, "storetest", func(dsn string) error {
			s, err := store.OpenPostgres(ctx, dsn)
			if err != nil {
				return err
			}
			return s.Close()
		}))
	} else {
		st, err = store.Open(ctx, filepath.Join(t.TempDir(), "hearth.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Main runs the tests and drops the template databases; it returns the
// exit code.
func Main(m *testing.M) int {
	code := m.Run()
	pgtest.DropTemplates()
	return code
}
