package config

import (
	"strings"
	"testing"
)

// [store]: SQLite by default; PostgreSQL with a DSN, from the file or
// HEARTH_STORE_DSN (which wins); the refusals name the key and never
// repeat the DSN.
func TestStore(t *testing.T) {
	cfg, err := Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Driver != "sqlite" || cfg.Postgres() || cfg.Store.DSN != "" {
		t.Errorf("default store = %+v, want sqlite", cfg.Store)
	}
	file := writeConfig(t, "[store]\ndriver = \"postgres\"\ndsn = \"postgres://hearth:fromfile@db/hearth\"\n")
	cfg, err = Load(file, noEnv)
	if err != nil || !cfg.Postgres() || cfg.Store.DSN != "postgres://hearth:fromfile@db/hearth" {
		t.Fatalf("postgres from the file: %+v, %v", cfg, err)
	}
	env := func(k string) string {
		if k == "HEARTH_STORE_DSN" {
			return "postgres://hearth:fromenv@db/hearth"
		}
		return ""
	}
	if cfg, err = Load(file, env); err != nil || cfg.Store.DSN != "postgres://hearth:fromenv@db/hearth" {
		t.Fatalf("HEARTH_STORE_DSN does not override the file: %+v, %v", cfg, err)
	}
	for _, c := range []struct{ name, body, key string }{
		{"postgres without a dsn", "[store]\ndriver = \"postgres\"\n", "store.dsn: must be set"},
		{"a dsn with sqlite", "[store]\ndsn = \"postgres://hearth:s3cret@db/hearth\"\n", "store.dsn: is set"},
		{"an unknown driver", "[store]\ndriver = \"mysql\"\ndsn = \"mysql://hearth:s3cret@db\"\n", `store.driver: must be "sqlite" or "postgres" (got "mysql")`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, c.body), noEnv)
			if err == nil || !strings.Contains(err.Error(), c.key) {
				t.Fatalf("err = %v, want %q", err, c.key)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the DSN's password: %v", err)
			}
		})
	}
}
