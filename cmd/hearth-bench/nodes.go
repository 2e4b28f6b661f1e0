package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// stamp is the store's time format, for the bench's own queries.
const stamp = "2006-01-02T15:04:05.000Z07:00"

// cluster is the phase with several hearth processes on one database:
// the first node is the one the single-node phases measured; the others
// run the same configuration on their own ports, as behind a load
// balancer (the requests keep the first node's Host, the base URL).
type cluster struct {
	o       options
	bin     string
	tmp     string
	cfg     string // the first node's configuration
	host    string // the first node's listen address, also the base URL's host
	base    string
	first   *exec.Cmd
	db      sqlDB
	rem     *remote
	browser *http.Client
	add     func(row)
	ingest  result // the single node's inbox run
}

func (c *cluster) run(ctx context.Context) error {
	addrs := []string{c.host}
	var others []*exec.Cmd
	defer func() {
		for _, p := range others {
			p.Process.Signal(syscall.SIGTERM)
			p.Wait()
		}
	}()
	for i := 2; i <= c.o.nodes; i++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		cfg := filepath.Join(c.tmp, fmt.Sprintf("hearth-node%d.toml", i))
		text := strings.Replace(c.cfg, fmt.Sprintf("listen = %q", c.host), fmt.Sprintf("listen = %q", addr), 1)
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			return err
		}
		logf, _ := os.Create(filepath.Join(c.tmp, fmt.Sprintf("hearth-node%d.log", i)))
		defer logf.Close()
		p := exec.Command(c.bin, "serve", "-config", cfg)
		p.Stdout, p.Stderr = logf, logf
		if err := p.Start(); err != nil {
			return err
		}
		others = append(others, p)
		if _, err := waitHealthy(ctx, "http://"+addr+"/healthz", 30*time.Second); err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		addrs = append(addrs, addr)
	}
	n := len(addrs)
	fmt.Fprintf(os.Stderr, "%d nodes on one database\n", n)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

	// The single node's inbox phase leaves a backlog its worker is still
	// storing: let it drain (bounded), so the reads below measure reads.
	for t1 := time.Now(); unprocessed(c.db) > 0 && time.Since(t1) < 3*time.Minute; {
		time.Sleep(50 * time.Millisecond)
	}
	// Page reads: the home page, first on one node, then on all.
	home := func() (*http.Request, error) { return http.NewRequest(http.MethodGet, c.base+"/", nil) }
	one := hammer(c.o.concurrency, c.o.phase, home, addrs[0])
	all := hammer(c.o.concurrency, c.o.phase, home, addrs...)
	c.add(row{fmt.Sprintf("home page GET, %d nodes", n), fmt.Sprintf("%.0f req/s (p50 %s, p99 %s, %d errors)", all.rps(), ms(all.pct(.5)), ms(all.pct(.99)), all.errors),
		fmt.Sprintf("%.0f req/s on one node", one.rps()), fmt.Sprintf("%.0f %%", 100*all.rps()/one.rps()), "0 errors"})

	// Inbox ingest spread over the nodes, then every reply stored once.
	signed, err := presign(c.o.signed, c.base+"/inbox", c.rem, false)
	if err != nil {
		return err
	}
	ing := replay(c.o.concurrency, signed, addrs...)
	c.add(row{fmt.Sprintf("inbox: signed replies accepted / s, %d nodes", n), fmt.Sprintf("%.0f (p50 %s, p99 %s, %d errors)", ing.rps(), ms(ing.pct(.5)), ms(ing.pct(.99)), ing.errors),
		fmt.Sprintf("%.0f / s on one node", c.ingest.rps()), fmt.Sprintf("%.0f %%", 100*ing.rps()/c.ingest.rps()), "0 errors"})
	for t1 := time.Now(); unprocessed(c.db) > 0 && time.Since(t1) < 2*time.Minute; {
		time.Sleep(50 * time.Millisecond)
	}
	var rows, distinct int
	c.db.QueryRow(`SELECT count(*), count(DISTINCT ap_id) FROM responses WHERE remote_actor = ?`, c.rem.actor()).Scan(&rows, &distinct)
	c.add(row{"replies stored twice (all inbox runs)", fmt.Sprint(rows - distinct), fmt.Sprintf("%d stored", rows), "", "0"})

	// Fan-out with every node's workers claiming deliveries.
	if err := setFollowers(c.db, c.o.followers, c.o.inboxes, c.rem.url); err != nil {
		return err
	}
	repeated := c.rem.repeated.Load()
	took, got, err := fanOut(c.browser, c.base, c.rem, min(c.o.inboxes, c.o.followers))
	if err != nil {
		return err
	}
	waitDrained(c.db, 60*time.Second)
	c.add(row{fmt.Sprintf("fan-out, %d followers on %d inboxes, %d nodes", c.o.followers, c.o.inboxes, n), fanOutValue(took, got, min(c.o.inboxes, c.o.followers)),
		fmt.Sprintf("%d delivered twice", c.rem.repeated.Load()-repeated), "", "≤ 3 s, 0 twice"})

	// A node killed with -9 while deliveries are queued: the others take
	// its claims over when their lease runs out; nothing is lost, and
	// nothing is sent twice but what was in flight.
	const queued = 1000
	if err := setFollowers(c.db, queued, queued, c.rem.url); err != nil {
		return err
	}
	repeated = c.rem.repeated.Load()
	var note string
	if r := postNeeds(c.browser, c.base, 1, &note); r.errors > 0 {
		return fmt.Errorf("posting the kill phase's need failed")
	}
	for t1 := time.Now(); time.Since(t1) < time.Minute; time.Sleep(5 * time.Millisecond) {
		if got, _ := c.rem.arrivals(note); got >= queued/10 {
			break
		}
	}
	var inFlight int
	c.db.QueryRow(`SELECT count(*) FROM deliveries WHERE status = 'pending' AND claimed_until > ?`, time.Now().UTC().Format(stamp)).Scan(&inFlight)
	atKill, _ := c.rem.arrivals(note)
	c.first.Process.Kill()
	c.first.Wait()
	fmt.Fprintf(os.Stderr, "killed node 1 after %d of %d deliveries (%d claimed); waiting for the others to take over\n", atKill, queued, inFlight)
	deadline := time.Now().Add(4 * time.Minute) // the delivery lease is two minutes
	for {
		got, _ := c.rem.arrivals(note)
		if got >= queued || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	got, _ = c.rem.arrivals(note)
	c.add(row{fmt.Sprintf("kill -9 of 1 of %d nodes, %d deliveries queued: lost", n, queued), fmt.Sprint(queued - got),
		fmt.Sprintf("%d delivered before the kill", atKill), "", "0"})
	c.add(row{"… delivered twice", fmt.Sprint(c.rem.repeated.Load() - repeated), fmt.Sprintf("%d claimed at the kill", inFlight), "", "≤ claimed"})
	return nil
}

// fanOut posts one public need and waits (bounded) until want inboxes
// have it; it returns the time to the last arrival and how many arrived.
func fanOut(browser *http.Client, base string, rem *remote, want int) (time.Duration, int, error) {
	t0 := time.Now()
	var note string
	if r := postNeeds(browser, base, 1, &note); r.errors > 0 {
		return 0, 0, fmt.Errorf("posting the fan-out need failed")
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, last := rem.arrivals(note)
		if got >= want {
			return last.Sub(t0), got, nil
		}
		if time.Now().After(deadline) {
			return 0, got, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fanOutValue(took time.Duration, got, want int) string {
	if got < want {
		return fmt.Sprintf("only %d of %d inboxes in 60 s", got, want)
	}
	return fmt.Sprintf("%.2f ms", float64(took.Microseconds())/1000)
}
