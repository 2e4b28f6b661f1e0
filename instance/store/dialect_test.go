package store

import (
	"slices"
	"testing"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{"UPDATE t SET a = ?1 WHERE b <= ?2 AND c <= ?1", "UPDATE t SET a = $1 WHERE b <= $2 AND c <= $1"},
		{"SELECT '?' , \"a?\" FROM t WHERE b = ? -- why?\n AND c = ?", "SELECT '?' , \"a?\" FROM t WHERE b = $1 -- why?\n AND c = $2"},
		{"SELECT 'it''s' WHERE x = ?", "SELECT 'it''s' WHERE x = $1"},
		{"no placeholders", "no placeholders"},
	} {
		if got := postgresEngine.rebind(c.in); got != c.want {
			t.Errorf("rebind(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		if got := sqliteEngine.rebind(c.in); got != c.in {
			t.Errorf("SQLite rebind changed %q to %q", c.in, got)
		}
	}
}

// PostgreSQL must know every parameter's type: a statement that leaves
// out some of the numbered parameters it is given (as SQLite allows) gets
// the others renumbered and only their arguments, and flags go as 0/1.
func TestRebindLeavesOutUnusedParameters(t *testing.T) {
	for _, c := range []struct {
		in, want string
		args     []any
		wantArgs []any
	}{
		{"DELETE FROM t WHERE member_id = ?2", "DELETE FROM t WHERE member_id = $1", []any{"now", int64(7)}, []any{int64(7)}},
		{"UPDATE t SET a = ?3 WHERE b = ?1", "UPDATE t SET a = $2 WHERE b = $1", []any{1, 2, 3}, []any{1, 3}},
		{"UPDATE t SET a = ?1 WHERE b = ?2", "UPDATE t SET a = $1 WHERE b = $2", []any{1, true, 3}, []any{1, int64(1)}},
		{"SELECT ? , ?", "SELECT $1 , $2", []any{false, "x"}, []any{int64(0), "x"}},
	} {
		if got := postgresEngine.rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := postgresEngine.args(c.in, c.args); !slices.Equal(got, c.wantArgs) {
			t.Errorf("args(%q, %v) = %v, want %v", c.in, c.args, got, c.wantArgs)
		}
		if got := sqliteEngine.args(c.in, c.args); !slices.Equal(got, c.args) {
			t.Errorf("SQLite args changed %v to %v", c.args, got)
		}
	}
}
