// Command hearth-bench measures a Hearth instance against the limits of the
// machine it runs on, in one run, on loopback only:
//
//	go run ./cmd/hearth-bench            # builds hearth, seeds 10,000 items, measures
//	go run ./cmd/hearth-bench -quick     # shorter phases, for a smoke test
//	go run ./cmd/hearth-bench -store postgres -dsn postgres://… -nodes 2
//	                                     # on PostgreSQL, then two nodes on it
//
// It starts the real hearth binary with a temporary data dir, serves fake
// remote shared inboxes itself (verifying every delivery's signature), and
// prints a table of each figure and its ratio to the reference measured in
// the same run: a bare net/http handler at the same concurrency (GET, and
// the inbox phase's signed POSTs read only or also verified once), and
// RSA-2048 signatures and verifications per second on one core. Every loop
// is bounded in count or time. See BENCHMARKS.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

type options struct {
	items       int
	concurrency int
	phase       time.Duration
	followers   int
	inboxes     int
	hearth      string
	signed      int
	subscribers int
	replies     int
	store       string
	dsn         string
	nodes       int
	profile     string
}

func main() {
	var o options
	bare := flag.String("bare", "", "internal: serve the bare net/http reference on this address")
	bareKey := flag.String("bare-key", "", "internal: PEM public key the bare reference verifies POSTs to /verify with")
	flag.IntVar(&o.items, "items", 10000, "items to seed")
	flag.IntVar(&o.concurrency, "c", 32, "concurrent connections for throughput phases")
	flag.DurationVar(&o.phase, "phase", 5*time.Second, "length of each throughput phase")
	flag.IntVar(&o.followers, "followers", 1000, "followers for the fan-out phase")
	flag.IntVar(&o.inboxes, "inboxes", 200, "shared inboxes the followers live on")
	flag.StringVar(&o.hearth, "hearth", "", "hearth binary to run (default: build ./cmd/hearth)")
	flag.IntVar(&o.signed, "signed", 30000, "signed activities for the inbox phase (signed before it starts)")
	flag.IntVar(&o.subscribers, "subscribers", 1000, "members subscribed at once to the posted needs' category")
	flag.IntVar(&o.replies, "replies", 100000, "replies from other servers on one need, for the long-thread page")
	flag.StringVar(&o.store, "store", "sqlite", "the instance's database: sqlite or postgres")
	flag.StringVar(&o.dsn, "dsn", os.Getenv("HEARTH_TEST_POSTGRES"), "with -store postgres: a PostgreSQL server the bench may create (and drop) its own database on")
	flag.IntVar(&o.nodes, "nodes", 1, "hearth processes sharing the database (more than one needs -store postgres)")
	flag.StringVar(&o.profile, "profile", "", "write CPU profiles of hearth during the inbox bursts into this directory (metrics_profiling on a side address)")
	quick := flag.Bool("quick", false, "short phases and fewer items, for a smoke test")
	flag.Parse()
	if *bare != "" {
		serveBare(*bare, *bareKey)
		return
	}
	if *quick { // shorter defaults; flags given on the command line still win
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["items"] {
			o.items = 1000
		}
		if !set["phase"] {
			o.phase = time.Second
		}
		if !set["signed"] {
			o.signed = 3000
		}
		if !set["replies"] {
			o.replies = 10000
		}
	}
	if o.nodes > 1 && o.store != "postgres" {
		fmt.Fprintln(os.Stderr, "hearth-bench: -nodes needs -store postgres: several nodes share one PostgreSQL database")
		os.Exit(2)
	}
	start := time.Now()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "hearth-bench:", err)
		os.Exit(1)
	}
	fmt.Printf("\nfinished in %s\n", time.Since(start).Round(time.Second))
}

// buildHearth compiles the hearth binary into dir.
func buildHearth(dir string) (string, error) {
	bin := filepath.Join(dir, "hearth")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/hearth")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building hearth (run from the repository root): %w", err)
	}
	return bin, nil
}
