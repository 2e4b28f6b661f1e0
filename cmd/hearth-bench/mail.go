package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpSink is the relay of the bench: it accepts every message and
// counts it (on loopback, no TLS, no login).
type smtpSink struct {
	addr     string
	received atomic.Int64
	// first and last are when the first and the latest message arrived
	// (UnixNano).
	first, last atomic.Int64
	srv         *smtp.Server
}

func startSink() (*smtpSink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &smtpSink{addr: l.Addr().String()}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "sink.bench"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	go s.srv.Serve(l)
	return s, nil
}

func (s *smtpSink) close() { s.srv.Close() }

// NewSession implements smtp.Backend.
func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }

type sinkSession struct{ sink *smtpSink }

func (*sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	now := time.Now().UnixNano()
	ss.sink.first.CompareAndSwap(0, now)
	ss.sink.last.Store(now)
	ss.sink.received.Add(1)
	return nil
}
func (*sinkSession) Reset()        {}
func (*sinkSession) Logout() error { return nil }

// subscribe adds n active members with an address who chose to hear of
// new needs in "shopping" at once (the category postNeeds uses).
func subscribe(db sqlDB, n int) error {
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		handle := fmt.Sprintf("sub%d", i)
		for _, q := range []struct {
			query string
			args  []any
		}{
			{`INSERT INTO handles (handle, kind) VALUES (?, 'member')`, []any{handle}},
			{`INSERT INTO members (handle, display_name, email, password_hash, status, conduct_accepted_at, created_at)
				VALUES (?, ?, ?, '!', 'active', ?, ?)`, []any{handle, "Subscriber " + handle, handle + "@bench.example", now, now}},
			{`INSERT INTO group_members (group_id, member_id, joined_at) SELECT 1, id, ? FROM members WHERE handle = ?`, []any{now, handle}},
			{`INSERT INTO notice_prefs (member_id, kind, frequency) SELECT id, 'new_needs', 'now' FROM members WHERE handle = ?`, []any{handle}},
			{`INSERT INTO member_categories (member_id, category) SELECT id, 'shopping' FROM members WHERE handle = ?`, []any{handle}},
		} {
			if _, err := tx.Exec(q.query, q.args...); err != nil {
				tx.Rollback()
				return fmt.Errorf("subscriber %d: %w", i, err)
			}
		}
	}
	return tx.Commit()
}

// postNeedsPaced posts n needs through the web form, one every interval,
// so the announcing worker's fan-out (a thousand emails a need) runs
// while the posting goes on.
func postNeedsPaced(c *http.Client, base string, n int, interval time.Duration) result {
	r := result{}
	start := time.Now()
	for i := 0; i < n; i++ {
		t0 := time.Now()
		code, _ := postForm(c, base, "/needs/new", url.Values{"title": {fmt.Sprintf("Subscribed need %d at %d", i, time.Now().UnixNano())},
			"category": {"shopping"}, "area": {"Mill Lane"}, "visibility": {"public"}, "address": {"1 Bench Road"}})
		if code != http.StatusSeeOther {
			r.errors++
		} else {
			r.lat = append(r.lat, time.Since(t0))
		}
		if left := interval - time.Since(t0); left > 0 {
			time.Sleep(left)
		}
	}
	r.requests, r.elapsed = len(r.lat), time.Since(start)
	return r
}

// mailPhase posts needs with subscribers waiting for each, then measures
// how long the worker takes to queue their emails and how fast the mail
// worker sends them to the sink.
func mailPhase(db sqlDB, browser *http.Client, base string, sink *smtpSink, subscribers, posts int, add func(row)) error {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
	// Earlier phases' needs are announced (to nobody) first, so the
	// subscribers get only this phase's.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var left int
		db.QueryRow(`SELECT count(*) FROM items WHERE announced_at IS NULL`).Scan(&left)
		if left == 0 {
			break
		}
	}
	fmt.Fprintf(os.Stderr, "adding %d members subscribed to new needs at once\n", subscribers)
	if err := subscribe(db, subscribers); err != nil {
		return err
	}
	var before int64
	db.QueryRow(`SELECT COALESCE(max(id), 0) FROM mail_queue`).Scan(&before)
	sentBefore := sink.received.Load()
	fmt.Fprintf(os.Stderr, "posting %d needs, each with %d subscribers\n", posts, subscribers)
	t0 := time.Now()
	post := postNeedsPaced(browser, base, posts, 100*time.Millisecond)
	add(row{fmt.Sprintf("post a need (web), %d members subscribed", subscribers), fmt.Sprintf("p50 %s, p99 %s, %d errors",
		ms(post.pct(.5)), ms(post.pct(.99)), post.errors), "", "", "p99 < 50 ms"})
	want := int64(subscribers * post.requests)
	deadline := time.Now().Add(2 * time.Minute)
	var queued int64
	for time.Now().Before(deadline) {
		var left int
		db.QueryRow(`SELECT count(*) FROM items WHERE announced_at IS NULL`).Scan(&left)
		db.QueryRow(`SELECT count(*) FROM mail_queue WHERE id > ?`, before).Scan(&queued)
		if left == 0 && queued >= want {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	add(row{"emails of the new needs queued (worker)", fmt.Sprintf("%d of %d in %s from the first post", queued, want,
		time.Since(t0).Round(time.Millisecond)), "", "", ""})
	// The mail worker sends them to the sink (bounded).
	for sink.received.Load()-sentBefore < want && time.Since(t0) < 3*time.Minute {
		time.Sleep(20 * time.Millisecond)
	}
	sent := sink.received.Load() - sentBefore
	span := time.Duration(sink.last.Load() - sink.first.Load())
	add(row{"mail worker: emails sent / s (loopback relay)", fmt.Sprintf("%.0f (%d of %d in %s)", float64(sent)/span.Seconds(), sent, want,
		span.Round(time.Millisecond)), "", "", ""})
	return nil
}
