package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/mail"
	"hearth/instance/store"
	"hearth/instance/store/pgtest"
)

// The benchmark's figures are only as good as its signing, its checks and
// its client: these tests pin each down.

func TestSignedRequestVerifiesAndTamperingIsCaught(t *testing.T) {
	rem, err := newRemote()
	if err != nil {
		t.Fatal(err)
	}
	defer rem.srv.Close()
	reqs, err := presign(2, "http://127.0.0.1:9/verify", rem, false)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Fatal("presigned activities share a body; each needs a unique id")
	}
	toReq := func(s signedRequest) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(s.body))
		r.Header = s.header.Clone()
		r.Host = r.URL.Host
		return r
	}
	key := &rem.key.PublicKey
	if err := verify(toReq(reqs[0]), reqs[0].body, key); err != nil {
		t.Fatalf("a request signed by the remote does not verify: %v", err)
	}
	tampered := append([]byte{}, reqs[0].body...)
	tampered[len(tampered)-2] ^= 1
	if verify(toReq(reqs[0]), tampered, key) == nil {
		t.Error("a changed body passed the Digest check")
	}
	r := toReq(reqs[0])
	r.Header.Set("Date", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	if verify(r, reqs[0].body, key) == nil {
		t.Error("a changed signed header passed the signature check")
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	if verify(toReq(reqs[0]), reqs[0].body, &other.PublicKey) == nil {
		t.Error("another key verified the signature")
	}
	back, err := parsePublicKey(publicPEM(key))
	if err != nil || !back.Equal(key) {
		t.Fatalf("PEM round trip: %v", err)
	}
	if _, err := parsePublicKey([]byte("not a key")); err == nil {
		t.Error("parsePublicKey accepted garbage")
	}
}

func TestReplayCountsAcceptedAndRefused(t *testing.T) {
	rem, err := newRemote()
	if err != nil {
		t.Fatal(err)
	}
	defer rem.srv.Close()
	srv := httptest.NewServer(bareHandler(&rem.key.PublicKey))
	defer srv.Close()
	reqs, err := presign(20, srv.URL+"/verify", rem, false)
	if err != nil {
		t.Fatal(err)
	}
	reqs[3].body = append([]byte{}, reqs[3].body...)
	reqs[3].body[10] ^= 1 // one forged activity
	res := replay(4, reqs)
	if res.requests != 19 || res.errors != 1 {
		t.Fatalf("replayed 20 with one forgery: %d accepted, %d errors; want 19 and 1", res.requests, res.errors)
	}
	if len(res.lat) != 19 || res.pct(0.99) <= 0 || res.pct(0.5) > res.pct(0.99) {
		t.Errorf("latencies: %d recorded, p50 %s, p99 %s", len(res.lat), res.pct(0.5), res.pct(0.99))
	}
	// Without a key the verify-once handler refuses everything.
	bare := httptest.NewServer(bareHandler(nil))
	defer bare.Close()
	reqs, _ = presign(3, bare.URL+"/verify", rem, true)
	if res := replay(2, reqs); res.requests != 0 || res.errors != 3 {
		t.Errorf("no key: %d accepted, %d errors; want 0 and 3", res.requests, res.errors)
	}
}

func TestRawConnKeepsAliveReadsChunkedAndRedialsAfterClose(t *testing.T) {
	var dials atomic.Int64
	big := strings.Repeat("x", 10000)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte(big[:5000]))
			w.(http.Flusher).Flush() // forces chunked encoding
			w.Write([]byte(big[5000:]))
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		case "/missing":
			http.NotFound(w, r)
		default:
			w.Write([]byte("ok"))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	var c rawConn
	defer c.close()
	get := func(path string) int {
		t.Helper()
		r, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		status, err := c.do(r)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return status
	}
	for _, p := range []string{"/", "/chunked", "/", "/missing", "/"} {
		want := http.StatusOK
		if p == "/missing" {
			want = http.StatusNotFound
		}
		if got := get(p); got != want {
			t.Fatalf("%s: status %d, want %d", p, got, want)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("five requests, one of them chunked, took %d connections; want 1 (keep-alive)", n)
	}
	get("/close")
	get("/")
	if n := dials.Load(); n != 2 {
		t.Fatalf("after the server closed the connection: %d connections in all, want 2", n)
	}
}

func TestCPUTimeCountsThisProcess(t *testing.T) {
	before := cpuTime(0)
	deadline := time.Now().Add(10 * time.Second)
	x := 0
	for cpuTime(0)-before < 50*time.Millisecond && time.Now().Before(deadline) {
		for i := 0; i < 1e6; i++ {
			x += i
		}
	}
	if d := cpuTime(0) - before; d < 50*time.Millisecond {
		t.Fatalf("spinning for up to 10 s added %s of CPU time (x=%d)", d, x)
	}
	if cpuTime(1<<30) != 0 {
		t.Error("a process that does not exist has CPU time")
	}
}

// The sink counts what the real mail code sends it, and subscribe makes
// members the domain really finds subscribed.
func TestSinkAndSubscribers(t *testing.T) {
	sink, err := startSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.close()
	host, port, _ := strings.Cut(sink.addr, ":")
	p, _ := strconv.Atoi(port)
	relay := &mail.SMTP{Host: host, Port: p, From: "hearth@bench.example", TLS: mail.TLSNone, Timeout: 5 * time.Second}
	if err := relay.Send(context.Background(), &instance.Email{To: "a@bench.example", Subject: "hi", Text: "hello", MessageID: "<1@bench>"}); err != nil {
		t.Fatal(err)
	}
	if n := sink.received.Load(); n != 1 {
		t.Errorf("sink received %d", n)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, _ := instance.New(instance.Options{Store: st})
	if _, err := svc.EnsureMainGroup(ctx, "village", "Bench"); err != nil {
		t.Fatal(err)
	}
	if err := subscribe(sqlDB{st}, 3); err != nil {
		t.Fatal(err)
	}
	author, _ := svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "bench", DisplayName: "Bench", Password: "bench password 123"})
	author, _ = svc.MemberByID(ctx, author.ID)
	it, err := svc.CreateItem(ctx, author, instance.ItemInput{Kind: instance.KindNeed, Title: "Bread", Category: "shopping", Area: "Mill Lane"})
	if err != nil {
		t.Fatal(err)
	}
	if subs, err := st.Subscribers(ctx, it, instance.NoticeNewNeeds, instance.FreqWeekly); err != nil || len(subs) != 3 {
		t.Errorf("subscribers %d %v", len(subs), err)
	}
}

// The seed writes the items and the long thread the run measures, with
// every column today's schema requires (a column added to items without
// the seed following it stops the whole run).
func TestSeedMakesItemsAndTheLongThread(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		checkSeed(t, &where{path: filepath.Join(t.TempDir(), "hearth.db")})
	})
	// The same seed on PostgreSQL, as -store postgres runs it.
	t.Run("postgres", func(t *testing.T) {
		checkSeed(t, &where{dsn: pgtest.NewDatabase(t)})
	})
}

func checkSeed(t *testing.T, w *where) {
	ctx := context.Background()
	thread, err := seed(ctx, w, 6, 3)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	st, err := w.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var items, replies int
	if err := (sqlDB{st}).QueryRow(`SELECT count(*) FROM items`).Scan(&items); err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(thread, "/needs/"), 10, 64)
	if err := (sqlDB{st}).QueryRow(`SELECT count(*) FROM responses WHERE item_id = ?`, id).Scan(&replies); err != nil {
		t.Fatal(err)
	}
	if items != 7 || replies != 3 {
		t.Errorf("seeded %d items and %d replies on %s, want 7 and 3", items, replies, thread)
	}
}
