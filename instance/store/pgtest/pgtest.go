// Package pgtest gives tests their own PostgreSQL databases. Set
// HEARTH_TEST_POSTGRES to the DSN of a server and database the tests may
// create databases from (postgres://postgres@127.0.0.1:5432/postgres); every
// database a test gets is named after that DSN's database, the process id
// and a counter, and dropped when the test ends, so test processes and
// people sharing a server never collide. Without the variable the tests
// that need PostgreSQL skip, or fail when HEARTH_REQUIRE_INTEROP=1 (CI).
//
// It does not import the store (the store's own tests use it): whoever
// needs a migrated database passes the function that migrates one.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env is the variable that holds the DSN.
const Env = "HEARTH_TEST_POSTGRES"

// Enabled reports whether tests run on PostgreSQL.
func Enabled() bool { return os.Getenv(Env) != "" }

// DSN returns the DSN of HEARTH_TEST_POSTGRES. Without it the test skips,
// saying how to run it, or fails under HEARTH_REQUIRE_INTEROP=1.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		const why = Env + " is not set: this test needs PostgreSQL (e.g. " + Env + "=postgres://postgres@127.0.0.1:5432/postgres)"
		if os.Getenv("HEARTH_REQUIRE_INTEROP") == "1" {
			t.Fatal(why + ", and HEARTH_REQUIRE_INTEROP=1 requires it")
		}
		t.Skip(why)
	}
	return dsn
}

var counter atomic.Int64

// NewDatabase creates an empty database for this test and returns its
// DSN; the database is dropped when the test ends.
func NewDatabase(t testing.TB) string { return create(t, "") }

// template is one migrated database per test process, copied for each
// test: CREATE DATABASE … TEMPLATE copies files, much faster than
// migrating every time.
type template struct {
	once sync.Once
	name string
	err  error
}

var templates sync.Map // key → *template

// NewMigratedDatabase returns the DSN of a database for this test made
// from a template that migrate (given the template's DSN, and expected to
// close every connection it opens) brought up once per test process under
// key. The template is dropped by DropTemplates: call it from TestMain
// after m.Run.
func NewMigratedDatabase(t testing.TB, key string, migrate func(dsn string) error) string {
	t.Helper()
	base := DSN(t)
	v, _ := templates.LoadOrStore(key, &template{})
	tpl := v.(*template)
	tpl.once.Do(func() {
		tpl.name = name(t, base, "tpl_"+key)
		if tpl.err = admin(base, "CREATE DATABASE "+pgx.Identifier{tpl.name}.Sanitize()); tpl.err != nil {
			return
		}
		if tpl.err = migrate(withDatabase(base, tpl.name)); tpl.err != nil {
			_ = admin(base, drop(tpl.name))
		}
	})
	if tpl.err != nil {
		t.Fatalf("pgtest: template database %s: %v", tpl.name, tpl.err)
	}
	return create(t, tpl.name)
}

// DropTemplates drops the template databases this process made.
func DropTemplates() {
	base := os.Getenv(Env)
	templates.Range(func(_, v any) bool {
		if tpl := v.(*template); tpl.name != "" && tpl.err == nil {
			_ = admin(base, drop(tpl.name))
		}
		return true
	})
}

func create(t testing.TB, from string) string {
	t.Helper()
	base := DSN(t)
	db := name(t, base, "")
	q := "CREATE DATABASE " + pgx.Identifier{db}.Sanitize()
	if from != "" {
		q += " TEMPLATE " + pgx.Identifier{from}.Sanitize()
	}
	if err := admin(base, q); err != nil {
		t.Fatalf("pgtest: %s: %v", q, err)
	}
	t.Cleanup(func() {
		if err := admin(base, drop(db)); err != nil {
			t.Errorf("pgtest: drop database %s: %v", db, err)
		}
	})
	return withDatabase(base, db)
}

func drop(db string) string {
	return "DROP DATABASE IF EXISTS " + pgx.Identifier{db}.Sanitize() + " WITH (FORCE)"
}

// name is the DSN's database, then the process id, a counter and suffix.
func name(t testing.TB, base, suffix string) string {
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", Env, err)
	}
	n := fmt.Sprintf("%s_%d_%d", cfg.Database, os.Getpid(), counter.Add(1))
	if suffix != "" {
		n += "_" + suffix
	}
	return strings.ToLower(n)
}

// admin runs one statement on the DSN's own database.
func admin(base, q string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, q)
	return err
}

// withDatabase returns dsn with its database replaced by db: in the path
// of a URL, or as a dbname pair appended to key=value (the last wins).
func withDatabase(dsn, db string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + db
		return u.String()
	}
	return dsn + " dbname=" + db
}
