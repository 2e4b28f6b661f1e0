package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"hearth/instance"
)

// seedItems fills a store with n items (a third each of needs, offers and
// actions) in one transaction.
func seedItems(b *testing.B, n int) *Store {
	b.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	gid, err := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0})
	if err != nil {
		b.Fatal(err)
	}
	mid, err := s.CreateMember(ctx, member("ann", "", instance.StatusActive), "", t0)
	if err != nil {
		b.Fatal(err)
	}
	words := []string{"lift", "surgery", "shopping", "ladder", "soup", "garden", "dog", "walk", "prescription", "bread"}
	cats := []string{"lifts", "shopping", "lending", "food", "dog walking"}
	tx, err := s.db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		kind := []string{"need", "offer", "action"}[i%3]
		state := map[string]string{"need": "open", "offer": "open", "action": "scheduled"}[kind]
		title := fmt.Sprintf("%s %s number %d", words[i%len(words)], words[(i/7)%len(words)], i)
		if _, err := tx.Exec(`INSERT INTO items (kind, group_id, author_id, title, description, category, area, visibility, state,
			created_at, updated_at, expires_at, starts_at, ends_at) VALUES (?, ?, ?, ?, ?, ?, 'Mill Lane', 'public', ?, ?, ?, ?, ?, ?)`,
			kind, gid, mid, title, "Some words about "+title, cats[i%len(cats)], state, ts(t0), ts(t0),
			ts(t0.AddDate(0, 0, 14)), ts(t0.AddDate(0, 0, 3)), ts(t0.AddDate(0, 0, 3).Add(2*3600e9))); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkListItems: the home page query over 10,000 items.
func BenchmarkListItems(b *testing.B) {
	s := seedItems(b, 10000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		items, err := s.ListItems(ctx, instance.ItemFilter{Current: true, Now: t0, Limit: 30})
		if err != nil || len(items) != 30 {
			b.Fatalf("%d items, %v", len(items), err)
		}
	}
}

// BenchmarkListItemsFiltered: kind and category filters.
func BenchmarkListItemsFiltered(b *testing.B) {
	s := seedItems(b, 10000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.ListItems(ctx, instance.ItemFilter{Current: true, Now: t0, Kind: instance.KindNeed, Category: "food", Limit: 30}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchItems: full-text search over 10,000 items.
func BenchmarkSearchItems(b *testing.B) {
	s := seedItems(b, 10000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		items, err := s.ListItems(ctx, instance.ItemFilter{Current: true, Now: t0, Query: "ladder soup", Limit: 30})
		if err != nil || len(items) == 0 {
			b.Fatalf("%d items, %v", len(items), err)
		}
	}
}
