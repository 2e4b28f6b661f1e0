package storetest

import (
	"context"
	"os"
	"testing"

	"hearth/instance/store/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.DropTemplates()
	os.Exit(code)
}

// Open gives a migrated store on the engine the environment names, and
// Postgres one on PostgreSQL.
func TestOpen(t *testing.T) {
	if err := Open(t).Ready(context.Background()); err != nil {
		t.Errorf("Open: not ready: %v", err)
	}
}

func TestPostgresStore(t *testing.T) {
	s, dsn := Postgres(t)
	if err := s.Ready(context.Background()); err != nil || dsn == "" {
		t.Errorf("Postgres: %q not ready: %v", dsn, err)
	}
	if _, ok := s.Pools()["pool"]; !ok {
		t.Errorf("Postgres did not open PostgreSQL: pools %v", s.Pools())
	}
}
