// Package storetest opens a fresh store for a test outside the store
// package (web, federation, cmd, test/…): a SQLite file in the test's
// directory or, when HEARTH_TEST_POSTGRES is set, a PostgreSQL database of
// its own, copied from a template migrated once per test process. Call
// pgtest.DropTemplates from TestMain to drop the template at the end.
//
// The store package's own tests use their newStore, which does the same
// (they cannot import this package: it imports the store).
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"hearth/instance/store"
	"hearth/instance/store/pgtest"
)

// Open returns a migrated, empty store, closed when the test ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	var s *store.Store
	var err error
	if pgtest.Enabled() {
		s, err = store.OpenPostgres(ctx, pgtest.NewMigratedDatabase(t, "storetest", migrate))
	} else {
		s, err = store.Open(ctx, filepath.Join(t.TempDir(), "hearth.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Postgres returns a migrated, empty store on PostgreSQL (skipping without
// HEARTH_TEST_POSTGRES, failing under HEARTH_REQUIRE_INTEROP=1) and its
// DSN, for tests that start a hearth process on it.
func Postgres(t testing.TB) (*store.Store, string) {
	t.Helper()
	dsn := pgtest.NewMigratedDatabase(t, "storetest", migrate)
	s, err := store.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dsn
}

func migrate(dsn string) error {
	s, err := store.OpenPostgres(context.Background(), dsn)
	if err != nil {
		return err
	}
	return s.Close()
}
