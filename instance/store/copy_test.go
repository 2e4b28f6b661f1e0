package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"hearth/instance/store/pgtest"

	"github.com/jackc/pgx/v5"
)

// TestCopyVerifiesCounts: a table whose rows in the target are not the
// source's, whatever put them there, fails the copy before it commits.
func TestCopyVerifiesCounts(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	path := filepath.Join(t.TempDir(), "hearth.db")
	lite, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lite.DB().Exec(`INSERT INTO handles (handle, kind) VALUES ('ann', 'member')`); err != nil {
		t.Fatal(err)
	}
	lite.Close()
	pg, err := OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	pg.Close()
	src, err := OpenSource(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rtx, err := src.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rtx.Rollback()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO handles (handle, kind) VALUES ('ann', 'member')`); err != nil {
		t.Fatal(err)
	}
	if r, err := verifyCounts(ctx, rtx, tx, []string{"handles"}, map[string]int64{"handles": 1}); err != nil || r.Rows != 1 {
		t.Fatalf("matching counts: %v %+v", err, r)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO handles (handle, kind) VALUES ('bob', 'member')`); err != nil {
		t.Fatal(err)
	}
	_, err = verifyCounts(ctx, rtx, tx, []string{"handles"}, map[string]int64{"handles": 1})
	if err == nil || !strings.Contains(err.Error(), "handles: 1 rows in the source, 1 copied, 2 in the target") {
		t.Errorf("a row too many: %v", err)
	}
}

// TestCopyConvert: values SQLite stored in a column of another type are
// turned into the PostgreSQL column's; what PostgreSQL cannot hold is
// refused with the reason.
func TestCopyConvert(t *testing.T) {
	for _, c := range []struct {
		in   any
		typ  string
		want any
		err  string
	}{
		{int64(7), "text", "7", ""}, {"7", "int8", int64(7), ""}, {float64(3), "int8", int64(3), ""},
		{"seven", "int8", nil, "not a whole number"}, {"hi\xff", "text", nil, "invalid UTF-8"}, {"a\x00b", "text", nil, "NUL"},
		{"png", "bytea", []byte("png"), ""}, {nil, "text", nil, ""}, {int64(1), "bool", true, ""},
	} {
		got, err := convert(c.in, c.typ)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%#v as %s: %v, want an error with %q", c.in, c.typ, err, c.err)
			}
			continue
		}
		if err != nil || !equalValue(got, c.want) {
			t.Errorf("%#v as %s: %#v %v, want %#v", c.in, c.typ, got, err, c.want)
		}
	}
}

func equalValue(a, b any) bool {
	if x, ok := a.([]byte); ok {
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	}
	return a == b
}
