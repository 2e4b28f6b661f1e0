package store

import "testing"

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
