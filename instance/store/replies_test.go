package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"hearth/instance"
)

// threadFixture makes an item with n replies (every tenth deleted, the
// fifth held) and returns its id.
func threadFixture(t *testing.T, s *Store, n int) int64 {
	t.Helper()
	ctx := context.Background()
	gid, err := s.CreateGroup(ctx, &instance.Group{Handle: "village", Name: "V", Main: true, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	mid, err := s.CreateMember(ctx, member("ann", "", instance.StatusActive), "", t0, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	item, err := s.CreateItem(ctx, &instance.Item{Kind: instance.KindNeed, GroupID: gid, AuthorID: mid, Title: "A lift",
		Visibility: instance.VisibilityPublic, State: instance.StateOpen, CreatedAt: t0, UpdatedAt: t0, ExpiresAt: t0}, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := s.begin(context.Background())
	for i := 1; i <= n; i++ {
		var deleted any
		if i%10 == 0 {
			deleted = ts(t0)
		}
		if _, err := tx.Exec(`INSERT INTO responses (item_id, author_id, body, created_at, updated_at, deleted_at, held) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			item, mid, fmt.Sprintf("reply %d", i), ts(t0), ts(t0), deleted, i == 5); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return item
}

func bodies(list []*instance.Response) string {
	var out []string
	for _, r := range list {
		out = append(out, strings.TrimPrefix(r.Body, "reply "))
	}
	return strings.Join(out, " ")
}

// A page of replies is the latest ones (oldest first), the ones before an
// id or the ones after it; the count leaves out deleted and held ones.
func TestResponsePages(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	item := threadFixture(t, s, 25)
	// Deleted and held replies keep their place in the thread (the page
	// shows a placeholder); the fixture keeps their text.
	latest, err := s.ResponsePage(ctx, item, 0, 0, 4)
	if got := bodies(latest); got != "22 23 24 25" {
		t.Errorf("latest page: %q %v", got, err)
	}
	if got := bodies(must(s.ResponsePage(ctx, item, latest[0].ID, 0, 4))); got != "18 19 20 21" {
		t.Errorf("before 22: %q", got)
	}
	if got := bodies(must(s.ResponsePage(ctx, item, 0, latest[0].ID, 2))); got != "23 24" {
		t.Errorf("after 22: %q", got)
	}
	if got := bodies(must(s.ResponsePage(ctx, item+1, 0, 0, 4))); got != "" {
		t.Errorf("another item's page: %q", got)
	}
	if n, err := s.CountResponses(ctx, item); err != nil || n != 25-2-1 {
		t.Errorf("count %d %v, want 22 (2 deleted, 1 held)", n, err)
	}
}

func must(list []*instance.Response, err error) []*instance.Response {
	if err != nil {
		panic(err)
	}
	return list
}

// The page and count queries use the indexes: SQLite walks responses_item
// from one end (no temporary sort, no full scan) and counts from
// responses_live alone.
func TestResponsePagesUseTheIndex(t *testing.T) {
	s := newStore(t)
	if s.e == postgresEngine {
		t.Skip("about SQLite's query planner (INDEXED BY, EXPLAIN QUERY PLAN); PostgreSQL plans by its own statistics")
	}
	threadFixture(t, s, 50)
	if _, err := s.w.Exec(`ANALYZE`); err != nil { // statistics that favour the rowid
		t.Fatal(err)
	}
	plan := func(q string, args ...any) string {
		rows, err := s.w.Query(`EXPLAIN QUERY PLAN `+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var steps []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			steps = append(steps, detail)
		}
		return strings.Join(steps, "; ")
	}
	for name, q := range map[string]string{"before": responsesBefore[sqliteEngine], "after": responsesAfter[sqliteEngine]} {
		p := plan(q, 1, 10, 51)
		if !strings.Contains(p, "SEARCH r USING INDEX responses_item (item_id=? AND id") || strings.Contains(p, "TEMP B-TREE") ||
			strings.Contains(p, "SCAN r") {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// The reply count follows every change a reply can go through: added
// (visible or held), deleted by its author, removed by a coordinator,
// released from hold, deleted from the database.
func TestReplyCountIsKept(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	item := threadFixture(t, s, 30)
	check := func(when string) {
		t.Helper()
		var real int
		s.rd.QueryRowContext(context.Background(), `SELECT count(*) FROM responses WHERE item_id = ? AND deleted_at IS NULL AND held = 0`, item).Scan(&real)
		if n, err := s.CountResponses(ctx, item); err != nil || n != real {
			t.Errorf("%s: count %d, really %d (%v)", when, n, real, err)
		}
	}
	check("after 30 replies")
	id, err := s.AddResponse(ctx, &instance.Response{ItemID: item, AuthorID: 1, Body: "new", CreatedAt: t0, UpdatedAt: t0}, instance.Notices{})
	if err != nil {
		t.Fatal(err)
	}
	check("after a new reply")
	held, _ := s.AddResponse(ctx, &instance.Response{ItemID: item, AuthorID: 1, Body: "held", CreatedAt: t0, UpdatedAt: t0, Held: true}, instance.Notices{})
	check("after a held reply")
	if err := s.UpdateResponse(ctx, id, "changed", true, t0); err != nil {
		t.Fatal(err)
	}
	check("after an edit holds a reply")
	if _, err := s.wr.ExecContext(context.Background(), `UPDATE responses SET held = 0 WHERE id = ?`, held); err != nil {
		t.Fatal(err)
	}
	check("after a reply is released")
	if err := s.DeleteResponse(ctx, held, 0, t0); err != nil {
		t.Fatal(err)
	}
	check("after the author deletes one")
	if err := s.DeleteResponse(ctx, 1, 1, t0); err != nil {
		t.Fatal(err)
	}
	check("after a coordinator removes one")
	if _, err := s.wr.ExecContext(context.Background(), `DELETE FROM responses WHERE id IN (2, 10)`); err != nil {
		t.Fatal(err)
	}
	check("after rows are deleted")
	if n, _ := s.CountResponses(ctx, item); n != 30-3-1+1-2-1 {
		t.Errorf("count %d", n)
	}
}
