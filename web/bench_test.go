package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// BenchmarkHomePage renders the home page (list, filters) for a visitor
// and for a member with 10,000 items in the database.
func BenchmarkHomePage(b *testing.B) {
	h := newHarness(&testing.T{}, instance.RegistrationOpen)
	h.member("ann")
	db := h.store.DB()
	tx, _ := db.Begin()
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	later := time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02T15:04:05.000Z07:00")
	for i := 0; i < 10000; i++ {
		kind := []string{"need", "offer", "action"}[i%3]
		state := map[string]string{"need": "open", "offer": "open", "action": "scheduled"}[kind]
		if _, err := tx.Exec(`INSERT INTO items (kind, group_id, author_id, title, description, category, area, visibility, state, created_at,
			updated_at, expires_at, starts_at, ends_at) VALUES (?, 1, 1, ?, 'words', 'food', 'Mill Lane', 'public', ?, ?, ?, ?, ?, ?)`,
			kind, fmt.Sprintf("Item %d about soup", i), state, now, now, later, later, later); err != nil {
			b.Fatal(err)
		}
	}
	tx.Commit()
	for _, path := range []string{"/", "/?q=soup", "/?kind=need&category=food"} {
		b.Run(path, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				rec := httptest.NewRecorder()
				h.h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
	// A signed-in member with unread notifications: the header's count
	// is one more (indexed) query on every page.
	ann := h.as("ann")
	for i := 0; i < 20; i++ {
		if _, err := db.Exec(`INSERT INTO notifications (member_id, item_id, code, created_at) VALUES (1, ?, 'reply', ?)`, i+1, now); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("member", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, c := range ann.cookies {
				req.AddCookie(c)
			}
			rec := httptest.NewRecorder()
			h.h.ServeHTTP(rec, req)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "20 new") {
				b.Fatal(rec.Code)
			}
		}
	})
}

// BenchmarkItemPageLongThread renders a need with 100,000 replies (the
// latest page, and a page from the middle) for a member and a visitor,
// and reports the page's size.
func BenchmarkItemPageLongThread(b *testing.B) {
	h := newHarness(&testing.T{}, instance.RegistrationOpen)
	ann := h.member("ann")
	c := h.as("ann")
	path := postItem(&testing.T{}, c, "needs", needForm())
	h.addReplies(b, itemID(&testing.T{}, path), ann.ID, 100000, "I can help on Tuesday, reply %d")
	cookie := c.cookies[sessionCookie]
	for _, tc := range []struct{ name, path string }{{"latest", path}, {"middle", path + "?before=50000"}, {"visitor", path}} {
		b.Run(tc.name, func(b *testing.B) {
			size := 0
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(http.MethodGet, tc.path, nil)
				if tc.name != "visitor" {
					req.AddCookie(cookie)
				}
				rec := httptest.NewRecorder()
				h.h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "B/page")
		})
	}
}
