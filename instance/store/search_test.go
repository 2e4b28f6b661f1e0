package store

import "testing"

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"shoping", "shopping", 1}, {"shopping", "shopping", 0}, {"recieve", "receive", 1}, {"prescripton", "prescriptions", 2},
		{"ladder", "lather", 2}, {"dog", "cat", 3}, {"café", "cafe", 1},
	} {
		if got := editDistance(c.a, c.b, 2); got != min(c.want, 3) {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
