package config

import "strings"

// Store is the [store] table: where the instance keeps its data.
type Store struct {
	// Driver is "sqlite" (the default: one file, hearth.db in data_dir)
	// or "postgres" (a PostgreSQL database that several Hearth nodes can
	// share).
	Driver string `toml:"driver"`
	// DSN is the PostgreSQL connection string, a URL
	// (postgres://user:password@host:5432/hearth?sslmode=verify-full) or
	// libpq's key=value form. HEARTH_STORE_DSN overrides it, to keep the
	// password out of the file. Never shown in errors or logs.
	DSN string `toml:"dsn"`
}

// Postgres reports whether the store is PostgreSQL.
func (c *Config) Postgres() bool { return c.Store.Driver == "postgres" }

// validateStore checks [store]. It never repeats the DSN, which may hold
// a password: the store itself says what is wrong with one that does not
// parse or connect, without it.
func (c *Config) validateStore(bad func(key, format string, args ...any)) {
	c.Store.DSN = strings.TrimSpace(c.Store.DSN)
	switch c.Store.Driver {
	case "sqlite":
		if c.Store.DSN != "" {
			bad("store.dsn", `is set (in the file or HEARTH_STORE_DSN) but store.driver is "sqlite": set driver = "postgres" to use it, or remove it`)
		}
	case "postgres":
		if c.Store.DSN == "" {
			bad("store.dsn", `must be set when store.driver is "postgres" (in the file or HEARTH_STORE_DSN), such as postgres://hearth:password@127.0.0.1:5432/hearth`)
		}
	default:
		bad("store.driver", `must be "sqlite" or "postgres" (got %q)`, c.Store.Driver)
	}
}
