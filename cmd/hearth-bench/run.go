package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"hearth/instance"
)

type row struct {
	name, value, reference, ratio, target string
}

func run(o options) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "hearth-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := o.hearth
	if bin == "" {
		if bin, err = buildHearth(tmp); err != nil {
			return err
		}
	}
	var rows []row
	add := func(r row) {
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "  %-46s %s\n", r.name, r.value)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

	// Reference limits, measured now on this machine.
	fmt.Fprintln(os.Stderr, "reference: RSA and a bare net/http server")
	signs, verifies := rsaRates(2 * time.Second)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// The fake remote that signs the inbox phase's activities also signs
	// the reference POSTs, and its key is the one the bare server checks.
	rem, err := newRemote()
	if err != nil {
		return err
	}
	keyFile := filepath.Join(tmp, "remote-key.pem")
	if err := os.WriteFile(keyFile, publicPEM(&rem.key.PublicKey), 0o600); err != nil {
		return err
	}
	barePort, err := freePort()
	if err != nil {
		return err
	}
	bareURL := fmt.Sprintf("http://127.0.0.1:%d/", barePort)
	bareCmd := exec.Command(self, "-bare", fmt.Sprintf("127.0.0.1:%d", barePort), "-bare-key", keyFile)
	if err := bareCmd.Start(); err != nil {
		return err
	}
	if _, err := waitHealthy(ctx, bareURL, 10*time.Second); err != nil {
		return err
	}
	bare := hammer(o.concurrency, o.phase, get(bareURL))
	// The same POSTs the inbox phase sends (signed, about 1 KB of headers
	// and body), to a handler that only reads them: the HTTP ceiling; and
	// to one that also checks each one's Digest and signature once: the
	// ceiling for any inbox that verifies what it accepts.
	fmt.Fprintf(os.Stderr, "reference: signing 2 × %d activities\n", o.signed)
	barePosts, err := presign(o.signed, bareURL+"inbox", rem, false)
	if err != nil {
		return err
	}
	verifyPosts, err := presign(o.signed, bareURL+"verify", rem, false)
	if err != nil {
		return err
	}
	barePost := replay(o.concurrency, barePosts)
	verifyPost := replay(o.concurrency, verifyPosts)
	// The bare server stays up: the verify-once reference is taken again
	// just before the inbox phase, minutes later, so the inbox's ratio
	// compares two runs made side by side (on a shared machine the speed
	// can move between the start and the inbox phase).
	defer func() {
		bareCmd.Process.Kill()
		bareCmd.Wait()
	}()
	add(row{"RSA-2048 signatures / s (one core)", fmt.Sprintf("%.0f", signs), "", "", ""})
	add(row{"RSA-2048 verifications / s (one core)", fmt.Sprintf("%.0f", verifies), "", "", ""})
	add(row{fmt.Sprintf("bare net/http GET, %d conns", o.concurrency), fmt.Sprintf("%.0f req/s (p50 %s, p99 %s)", bare.rps(), ms(bare.pct(.5)), ms(bare.pct(.99))), "", "", ""})
	add(row{fmt.Sprintf("bare net/http POST of a signed activity, %d conns", o.concurrency), fmt.Sprintf("%.0f req/s (p50 %s, p99 %s)", barePost.rps(), ms(barePost.pct(.5)), ms(barePost.pct(.99))), "", "", ""})
	add(row{"the same POST, Digest and signature verified once", fmt.Sprintf("%.0f req/s (p50 %s, p99 %s, %d errors)", verifyPost.rps(), ms(verifyPost.pct(.5)), ms(verifyPost.pct(.99)), verifyPost.errors), "", "", ""})

	// Hearth, seeded.
	port, err := freePort()
	if err != nil {
		return err
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	base := "http://" + host
	dataDir := filepath.Join(tmp, "data")
	cfgPath := filepath.Join(tmp, "hearth.toml")
	db, err := newWhere(ctx, o.store, o.dsn, dataDir)
	if err != nil {
		return err
	}
	defer db.drop(ctx)
	// The relay is the bench's own sink: members who chose "at once"
	// get their emails through the real queue and worker.
	sink, err := startSink()
	if err != nil {
		return err
	}
	defer sink.close()
	sinkHost, sinkPort, _ := strings.Cut(sink.addr, ":")
	// With -profile, the first node serves Go's profiles on a side
	// address (metrics_profiling), which other nodes do not get.
	var prof *profiler
	profCfg := ""
	if o.profile != "" {
		if prof, err = newProfiler(o.profile); err != nil {
			return err
		}
		profCfg = prof.config()
	}
	cfg := fmt.Sprintf("listen = %q\nbase_url = %q\ndata_dir = %q\n%s[instance]\nregistration = \"open\"\n[federation]\nallow_private_addresses = true\n"+
		"[moderation]\ninbound_per_host = 100000\n[log]\nlevel = \"warn\"\n[smtp]\nhost = %q\nport = %s\ntls = \"none\"\nfrom = \"hearth@bench.example\"\n%s",
		host, base, dataDir, profCfg, sinkHost, sinkPort, db.config())
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seeding %d items and a need with %d replies\n", o.items, o.replies)
	threadPath, err := seed(ctx, db, o.items, o.replies)
	if err != nil {
		return err
	}
	logf, _ := os.Create(filepath.Join(tmp, "hearth.log"))
	defer logf.Close()
	hearth := exec.Command(bin, "serve", "-config", cfgPath)
	hearth.Stdout, hearth.Stderr = logf, logf
	started := time.Now()
	if err := hearth.Start(); err != nil {
		return err
	}
	defer func() {
		hearth.Process.Signal(syscall.SIGTERM)
		hearth.Wait()
	}()
	cold, err := waitHealthy(ctx, base+"/healthz", 30*time.Second)
	if err != nil {
		return err
	}
	_ = started
	add(row{fmt.Sprintf("cold start with %d items", o.items), ms(cold), "", "", "≤ 1 s"})
	time.Sleep(2 * time.Second)
	idle, _ := memory(hearth.Process.Pid)
	add(row{"RSS idle after start", fmt.Sprintf("%.1f MiB", idle), "", "", "≤ 50 MB"})

	fmt.Fprintln(os.Stderr, "discovery throughput")
	wf := hammer(o.concurrency, o.phase, get(base+"/.well-known/webfinger?resource=acct:village@"+host))
	add(row{"WebFinger GET", fmt.Sprintf("%.0f req/s (p50 %s, p99 %s, %d errors)", wf.rps(), ms(wf.pct(.5)), ms(wf.pct(.99)), wf.errors),
		fmt.Sprintf("%.0f req/s", bare.rps()), fmt.Sprintf("%.0f %%", 100*wf.rps()/bare.rps()), "≥ 50 %"})
	ac := hammer(o.concurrency, o.phase, get(base+"/groups/village"))
	add(row{"actor document GET", fmt.Sprintf("%.0f req/s (p50 %s, p99 %s, %d errors)", ac.rps(), ms(ac.pct(.5)), ms(ac.pct(.99)), ac.errors),
		fmt.Sprintf("%.0f req/s", bare.rps()), fmt.Sprintf("%.0f %%", 100*ac.rps()/bare.rps()), "≥ 50 %"})

	fmt.Fprintln(os.Stderr, "list and search pages")
	page := func(path string) func(*http.Client, int64) (*http.Request, error) {
		return func(*http.Client, int64) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, base+path, nil)
		}
	}
	list := sequential(200, page("/"))
	add(row{fmt.Sprintf("home list page, %d items", o.items), fmt.Sprintf("p50 %s, p99 %s", ms(list.pct(.5)), ms(list.pct(.99))), "", "", "p50 ≤ 10 ms"})
	search := sequential(200, page("/?q=ladder+soup"))
	add(row{fmt.Sprintf("search page, %d items", o.items), fmt.Sprintf("p50 %s, p99 %s", ms(search.pct(.5)), ms(search.pct(.99))), "", "", "p50 ≤ 10 ms"})
	// A need that drew a crowd from other servers: its page shows the
	// latest replies and links to earlier ones, whatever their number.
	rssBefore, _ := memory(hearth.Process.Pid)
	for _, tp := range []struct{ name, path string }{{"latest", threadPath}, {"earlier", fmt.Sprintf("%s?before=%d", threadPath, o.replies/2)}} {
		th := sequential(200, page(tp.path))
		add(row{fmt.Sprintf("need page, %d replies (%s)", o.replies, tp.name), fmt.Sprintf("p50 %s, p99 %s, %.1f KB, %d errors",
			ms(th.pct(.5)), ms(th.pct(.99)), float64(th.size)/1024, th.errors), "", "", "p50 ≤ 10 ms, ≤ 30 KB"})
	}
	if rssAfter, _ := memory(hearth.Process.Pid); rssAfter > 0 {
		add(row{"RSS before and after the long-thread pages", fmt.Sprintf("%.1f → %.1f MiB", rssBefore, rssAfter), "", "", ""})
	}

	if err := rem.fetchGroupKey(base + "/groups/village"); err != nil {
		return err
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if code, _ := postForm(browser, base, "/login", url.Values{"login": {"bench"}, "password": {"bench password 123"}}); code != http.StatusSeeOther {
		return fmt.Errorf("login: %d", code)
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	sq := sqlDB{st}
	var lastNote string
	for _, n := range []int{0, 100, o.followers} {
		if err := setFollowers(sq, n, o.inboxes, rem.url); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "posting needs with %d followers\n", n)
		post := postNeeds(browser, base, 30, &lastNote)
		add(row{fmt.Sprintf("post a need (web), %d followers", n), fmt.Sprintf("p50 %s, p99 %s", ms(post.pct(.5)), ms(post.pct(.99))), "", "", "p99 < 50 ms"})
		// Let the deliveries of this phase finish before the next one.
		waitDrained(sq, 60*time.Second)
	}

	fmt.Fprintf(os.Stderr, "fan-out to %d followers on %d inboxes\n", o.followers, o.inboxes)
	before := rem.verified.Load()
	want := min(o.inboxes, o.followers)
	took, got, err := fanOut(browser, base, rem, want)
	if err != nil {
		return err
	}
	add(row{fmt.Sprintf("fan-out, %d followers on %d inboxes", o.followers, o.inboxes), fanOutValue(took, got, want),
		fmt.Sprintf("%d deliveries verified", rem.verified.Load()-before), "", "≤ 3 s"})
	waitDrained(sq, 60*time.Second)
	if n := rem.rejected.Load(); n > 0 {
		add(row{"deliveries refused by the fake inboxes", fmt.Sprint(n), "", "", "0"})
	}

	// Members subscribed to the need's category at once: posting must
	// not wait for their emails (a worker queues them).
	if err := setFollowers(sq, 0, o.inboxes, rem.url); err != nil {
		return err
	}
	if err := mailPhase(sq, browser, base, sink, o.subscribers, 30, add); err != nil {
		return err
	}

	// Signing costs about 1 ms per request (RSA-2048 private key), so the
	// requests are signed before the clock starts: the phase then measures
	// Hearth, not the load generator.
	fmt.Fprintf(os.Stderr, "inbox ingest: signing 2 × %d activities first\n", o.signed)
	signed, err := presign(o.signed, base+"/inbox", rem, false)
	if err != nil {
		return err
	}
	likes, err := presign(o.signed, base+"/inbox", rem, true)
	if err != nil {
		return err
	}
	nearPosts, err := presign(o.signed, bareURL+"verify", rem, false)
	if err != nil {
		return err
	}
	nearIdle := machineIdle()
	verifyNear := replay(o.concurrency, nearPosts)
	nearIdleShare := nearIdle()
	add(row{"verify-once POST again, just before the inbox phase", fmt.Sprintf("%.0f req/s (p50 %s, p99 %s, %d errors)", verifyNear.rps(), ms(verifyNear.pct(.5)), ms(verifyNear.pct(.99)), verifyNear.errors), "", "", ""})
	stopProf := prof.start("replies", ingestFor(len(signed), verifyNear.rps()))
	coresIdle := machineIdle()
	hCPU := cpuTime(hearth.Process.Pid)
	ingest := replay(o.concurrency, signed)
	hCPU = cpuTime(hearth.Process.Pid) - hCPU
	idleShare := coresIdle()
	stopProf()
	add(row{"inbox: signed replies accepted / s (verified, queued)", fmt.Sprintf("%.0f (p50 %s, p99 %s, %d errors)", ingest.rps(), ms(ingest.pct(.5)), ms(ingest.pct(.99)), ingest.errors),
		fmt.Sprintf("%.0f verif/s × 2 cores", verifies), fmt.Sprintf("%.0f %%", 100*ingest.rps()/(2*verifies)), "≥ 50 %"})
	add(row{"inbox compared with the verify-once POST (taken just before)", "", fmt.Sprintf("%.0f req/s", verifyNear.rps()), fmt.Sprintf("%.0f %%", 100*ingest.rps()/verifyNear.rps()), "≥ 50 % (SQLite), ≥ 30 % (PostgreSQL)"})
	add(row{"inbox compared with the bare POST", "", fmt.Sprintf("%.0f req/s", barePost.rps()), fmt.Sprintf("%.0f %%", 100*ingest.rps()/barePost.rps()), ""})
	// Hearth's own CPU per accepted activity (the worker's work during
	// the burst included), against the cost of one verification: the ratio
	// that does not depend on how much of the two cores the load generator
	// takes.
	if ingest.requests > 0 {
		per := hCPU / time.Duration(ingest.requests)
		add(row{"Hearth CPU per accepted reply", fmt.Sprintf("%.0f µs", float64(per.Nanoseconds())/1000),
			fmt.Sprintf("%.0f µs per verification", 1e6/verifies), fmt.Sprintf("%.0f %%", 100*(1e6/verifies)/(float64(per.Nanoseconds())/1000)), ""})
	}
	add(row{"cores idle during the replies burst", fmt.Sprintf("%.0f %%", 100*idleShare), fmt.Sprintf("%.0f %% during the verify-once POST", 100*nearIdleShare), "", ""})
	pending := unprocessed(sq)
	t1 := time.Now()
	for unprocessed(sq) > 0 && time.Since(t1) < 2*time.Minute {
		time.Sleep(50 * time.Millisecond)
	}
	processed := float64(ingest.requests) / (ingest.elapsed.Seconds() + time.Since(t1).Seconds())
	add(row{"inbox worker: replies stored / s", fmt.Sprintf("%.0f (%d were waiting after the burst)", processed, pending), "", "", ""})
	var stored int
	sq.QueryRow(`SELECT count(*) FROM responses WHERE remote_actor = ?`, rem.actor()).Scan(&stored)
	if stored != ingest.requests {
		add(row{"replies accepted but not stored", fmt.Sprint(ingest.requests - stored), "", "", "0"})
	}
	// Likes, the bulk of what a popular post brings, are verified and
	// answered without touching the database.
	stopProf = prof.start("likes", ingestFor(len(likes), verifyNear.rps()))
	likeIdle := machineIdle()
	likeRun := replay(o.concurrency, likes)
	likeIdleShare := likeIdle()
	stopProf()
	add(row{"cores idle during the Likes burst", fmt.Sprintf("%.0f %%", 100*likeIdleShare), "", "", ""})
	add(row{"inbox: signed Likes answered / s (verified, not stored)", fmt.Sprintf("%.0f (p50 %s, p99 %s, %d errors)", likeRun.rps(), ms(likeRun.pct(.5)), ms(likeRun.pct(.99)), likeRun.errors),
		fmt.Sprintf("%.0f req/s verify-once", verifyNear.rps()), fmt.Sprintf("%.0f %%", 100*likeRun.rps()/verifyNear.rps()), ""})
	_, peak := memory(hearth.Process.Pid)
	add(row{"RSS peak under this load", fmt.Sprintf("%.1f MiB", peak), "", "", ""})
	if o.nodes > 1 {
		c := &cluster{o: o, bin: bin, tmp: tmp, cfg: strings.Replace(cfg, profCfg, "", 1), host: host, base: base, first: hearth, db: sq, rem: rem, browser: browser, add: add, ingest: ingest}
		if err := c.run(ctx); err != nil {
			return err
		}
	}

	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "| measure\t| value\t| reference (same run)\t| ratio\t| target\t|")
	fmt.Fprintln(tw, "|---\t|---\t|---\t|---\t|---\t|")
	for _, r := range rows {
		fmt.Fprintf(tw, "| %s\t| %s\t| %s\t| %s\t| %s\t|\n", r.name, r.value, r.reference, r.ratio, r.target)
	}
	return tw.Flush()
}

// seed creates the instance's database with an admin, n items, and one
// public need with the given number of replies from another server; it
// returns that need's path.
func seed(ctx context.Context, w *where, n, replies int) (string, error) {
	st, err := w.open(ctx)
	if err != nil {
		return "", err
	}
	defer st.Close()
	svc, err := instance.New(instance.Options{Store: st})
	if err != nil {
		return "", err
	}
	g, err := svc.EnsureMainGroup(ctx, "village", "Bench village")
	if err != nil {
		return "", err
	}
	m, err := svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "bench", DisplayName: "Bench", Password: "bench password 123",
		Roles: []instance.Role{instance.RoleAdmin}})
	if err != nil {
		return "", err
	}
	words := []string{"lift", "surgery", "shopping", "ladder", "soup", "garden", "dog", "walk", "prescription", "bread"}
	cats := []string{"lifts", "shopping", "lending", "food", "dog walking"}
	now := time.Now().UTC()
	db := sqlDB{st}
	const insertItem = `INSERT INTO items (kind, group_id, author_id, title, description, category, area, visibility, state,
		created_at, updated_at, expires_at, starts_at, ends_at, federated, announced_at, unanswered_at)
		VALUES (?, ?, ?, ?, ?, ?, 'Mill Lane', 'public', ?, ?, ?, ?, ?, ?, 1, ?, ?)`
	f := "2006-01-02T15:04:05.000Z07:00"
	if err := inBatches(ctx, db, insertItem, n, func(i int) []any {
		kind := []string{"need", "offer", "action"}[i%3]
		state := map[string]string{"need": "open", "offer": "open", "action": "scheduled"}[kind]
		title := fmt.Sprintf("%s %s number %d", words[i%len(words)], words[(i/7)%len(words)], i)
		return []any{kind, g.ID, m.ID, title, "Some words about " + title, cats[i%len(cats)], state,
			now.Format(f), now.Format(f), now.AddDate(0, 0, 14).Format(f), now.AddDate(0, 0, 3).Format(f), now.AddDate(0, 0, 3).Add(2 * time.Hour).Format(f),
			now.Format(f), now.Format(f)}
	}); err != nil {
		return "", err
	}
	var thread int64
	if err := db.QueryRow(insertItem+" RETURNING id", "need", g.ID, m.ID, "A need that many people answered", "Everyone replied", "lifts", "open",
		now.Format(f), now.Format(f), now.AddDate(0, 0, 14).Format(f), nil, nil, now.Format(f), now.Format(f)).Scan(&thread); err != nil {
		return "", err
	}
	if err := inBatches(ctx, db, `INSERT INTO responses (item_id, body, content_html, remote_actor, remote_name, remote_handle,
		ap_id, created_at, updated_at) VALUES (?, '', ?, 'https://crowd.example/users/alice', 'Alice', '@alice@crowd.example', ?, ?, ?)`, replies, func(i int) []any {
		return []any{thread, fmt.Sprintf("<p>I can help with that, reply %d</p>", i), fmt.Sprintf("https://crowd.example/notes/%d", i), now.Format(f), now.Format(f)}
	}); err != nil {
		return "", err
	}
	// PostgreSQL plans with the statistics ANALYZE gathers; autovacuum
	// would gather them some time after a bulk load like this one, and
	// until then the home page's query takes 50 ms instead of 1 (as
	// migrate-store does after its copy). SQLite needs nothing here.
	if st.Postgres() {
		if _, err := st.DB().ExecContext(ctx, "ANALYZE"); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("/needs/%d", thread), nil
}

// inBatches runs query for rows 0…n-1 with args(i), a thousand rows a
// transaction: PostgreSQL keeps every version of a row that a transaction
// updates until it ends, and the reply-count and word-count triggers
// update the same few rows again and again, so one transaction for
// 100,000 rows took minutes there; SQLite does not mind either way.
func inBatches(ctx context.Context, db sqlDB, query string, n int, args func(int) []any) error {
	for start := 0; start < n; start += 1000 {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		stmt, err := tx.Prepare(query)
		if err != nil {
			tx.Rollback()
			return err
		}
		for i := start; i < min(n, start+1000); i++ {
			if _, err := stmt.ExecContext(ctx, args(i)...); err != nil {
				tx.Rollback()
				return fmt.Errorf("row %d: %w", i, err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// setFollowers makes the village group have n followers spread over the
// fake remote's shared inboxes.
func setFollowers(db sqlDB, n, inboxes int, remote string) error {
	if _, err := db.Exec(`DELETE FROM followers`); err != nil {
		return err
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		shared := fmt.Sprintf("%s/inbox/%d", remote, i%inboxes)
		if _, err := tx.Exec(`INSERT INTO followers (group_id, actor_id, host, inbox, shared_inbox, follow_id, created_at)
			VALUES (1, ?, '127.0.0.1', ?, ?, ?, ?)`, fmt.Sprintf("%s/users/f%d", remote, i), shared, shared, fmt.Sprintf("%s/follows/%d", remote, i), now); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func postForm(c *http.Client, base, path string, form url.Values) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		return 0, ""
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// postNeeds posts n needs through the web form, one after another, and
// keeps the Note id of the last.
func postNeeds(c *http.Client, base string, n int, last *string) result {
	r := result{}
	start := time.Now()
	for i := 0; i < n; i++ {
		t0 := time.Now()
		code, loc := postForm(c, base, "/needs/new", url.Values{"title": {fmt.Sprintf("Bench need %d at %d", i, time.Now().UnixNano())},
			"category": {"shopping"}, "area": {"Mill Lane"}, "visibility": {"public"}, "address": {"1 Bench Road"}})
		if code != http.StatusSeeOther {
			r.errors++
			continue
		}
		r.lat = append(r.lat, time.Since(t0))
		*last = base + loc
	}
	r.requests, r.elapsed = len(r.lat), time.Since(start)
	return r
}

func unprocessed(db sqlDB) int {
	var n int
	db.QueryRow(`SELECT count(*) FROM inbox_queue WHERE processed_at IS NULL`).Scan(&n)
	return n
}

// waitDrained waits (bounded) until no event or delivery is pending.
func waitDrained(db sqlDB, limit time.Duration) {
	start := time.Now()
	for time.Since(start) < limit {
		var events, deliveries int
		db.QueryRow(`SELECT count(*) FROM fed_events WHERE processed_at IS NULL`).Scan(&events)
		db.QueryRow(`SELECT count(*) FROM deliveries WHERE status = 'pending'`).Scan(&deliveries)
		if events+deliveries == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
