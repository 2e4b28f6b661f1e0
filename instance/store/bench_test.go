package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"hearth/instance"
	"hearth/instance/store/pgtest"
)

// benchStore opens an empty store for a benchmark: on PostgreSQL with
// HEARTH_TEST_POSTGRES set, on SQLite otherwise.
func benchStore(b *testing.B) *Store {
	b.Helper()
	ctx := context.Background()
	var s *Store
	var err error
	if pgtest.Enabled() {
		s, err = OpenPostgres(ctx, pgtest.NewDatabase(b))
	} else {
		s, err = Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// seedItems fills a store with n items (a third each of needs, offers and
// actions) in one transaction.
func seedItems(b *testing.B, n int) *Store {
	b.Helper()
	ctx := context.Background()
	s := benchStore(b)
	gid, err := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0})
	if err != nil {
		b.Fatal(err)
	}
	mid, err := s.CreateMember(ctx, member("ann", "", instance.StatusActive), "", t0, instance.Notices{})
	if err != nil {
		b.Fatal(err)
	}
	words := []string{"lift", "surgery", "shopping", "ladder", "soup", "garden", "dog", "walk", "prescription", "bread"}
	cats := []string{"lifts", "shopping", "lending", "food", "dog walking"}
	tx, err := s.begin(context.Background())
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

// benchRows makes n inbound activities of about 600 bytes with unique ids.
func benchRows(seq *int, n int) []*instance.InboxRow {
	rows := make([]*instance.InboxRow, n)
	for i := range rows {
		*seq++
		id := fmt.Sprintf("https://remote.example/users/bench/likes/%d", *seq)
		body := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Like","actor":"https://remote.example/users/bench","object":"https://hearth.example/needs/1","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://remote.example/users/bench/followers"],"published":"2026-11-27T09:00:00Z","content":"%0300d"}`, id, 0)
		rows[i] = &instance.InboxRow{ActivityID: id, Actor: "https://remote.example/users/bench", Type: "Like", Body: []byte(body)}
	}
	return rows
}

// BenchmarkEnqueueInboxBatch: the inbox's group commit, 1, 4 and 32
// activities a commit (under load 32 senders gave groups of four or five
// on two cores); ns/op is per activity.
func BenchmarkEnqueueInboxBatch(b *testing.B) {
	for _, n := range []int{1, 4, 32} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			s := seedItems(b, 0)
			ctx := context.Background()
			seq := 0
			b.ResetTimer()
			for done := 0; done < b.N; done += n {
				b.StopTimer()
				rows := benchRows(&seq, n)
				b.StartTimer()
				if _, err := s.EnqueueInboxBatch(ctx, rows, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInboxWorkerStep: the inbox worker's database work for a batch
// of 50: read the waiting activities, then record their results; ns/op is
// per activity.
func BenchmarkInboxWorkerStep(b *testing.B) {
	s := seedItems(b, 0)
	ctx := context.Background()
	seq := 0
	for done := 0; done < b.N; done += 50 {
		b.StopTimer()
		if _, err := s.EnqueueInboxBatch(ctx, benchRows(&seq, 50), t0); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		acts, err := s.NextInbox(ctx, 50)
		if err != nil || len(acts) != 50 {
			b.Fatal(len(acts), err)
		}
		res := make([]instance.InboxResult, len(acts))
		for i, a := range acts {
			res[i] = instance.InboxResult{ID: a.ID, Done: true}
		}
		if err := s.FinishInbox(ctx, res, t0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkItemByID: one item with its counts, as every item page and
// every remote reply loads it.
func BenchmarkItemByID(b *testing.B) {
	s := seedItems(b, 1000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.ItemByID(ctx, int64(1+i%999)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnqueueFanOut: one post's deliveries to 200 shared inboxes,
// queued in one write transaction (what posting with 1,000 followers on
// 200 inboxes writes); ns/op is per fan-out. With HEARTH_TEST_POSTGRES set
// it runs on PostgreSQL, where each statement is a round trip.
func BenchmarkEnqueueFanOut(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	body := []byte(strings.Repeat("x", 1500))
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		list := make([]*instance.Delivery, 200)
		for i := range list {
			list[i] = &instance.Delivery{Inbox: fmt.Sprintf("https://h%d.example/inbox", i), Host: fmt.Sprintf("h%d.example", i),
				Signer: "group:village", ActivityID: fmt.Sprintf("https://village.example/activities/%d", n), Body: body}
		}
		if err := s.EnqueueDeliveries(ctx, list, t0); err != nil {
			b.Fatal(err)
		}
	}
}
