package federation

import (
	"context"
	"time"
)

// Several nodes on one database share their inbox limits' counts, so a
// server that spreads its requests over the nodes behind a load balancer
// gets no more through than against one node. Each node keeps counting
// in memory (an inbox request costs no database round trip for its
// limit); once a second it writes its counts per key in the window and
// reads the other nodes' sums, which its limiters add to their own. A
// node's counts reach the others within about a second; a stopped
// node's last counts go on counting for one window (erring on the side
// of refusing).
const rateShareEvery = time.Second

// snapshot returns the key's events in the window, per key.
func (h *hostLimiter) snapshot() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.seen))
	for k := range h.seen {
		if n := len(h.recent(k)); n > 0 {
			out[k] = n
		}
	}
	return out
}

func (h *hostLimiter) setOthers(m map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.others = m
}

// ShareRates writes this node's inbox limit counts and takes in the other
// nodes' (the running worker calls it every second when SharedDatabase is
// set; tests call it directly).
func (f *Federation) ShareRates(ctx context.Context) error {
	limiters := map[string]*hostLimiter{"host:": f.perHost, "client:": f.perClient}
	counts := map[string]int{}
	for prefix, h := range limiters {
		for k, n := range h.snapshot() {
			counts[prefix+k] = n
		}
	}
	now := f.now()
	others, err := f.store.ShareRateCounts(ctx, f.opt.Node, counts, now, now.Add(-f.perHost.window))
	if err != nil {
		return err
	}
	for prefix, h := range limiters {
		m := map[string]int{}
		for k, n := range others {
			if len(k) > len(prefix) && k[:len(prefix)] == prefix {
				m[k[len(prefix):]] = n
			}
		}
		h.setOthers(m)
	}
	return nil
}

// shareLoop runs ShareRates every rateShareEvery until ctx ends.
func (f *Federation) shareLoop(ctx context.Context) {
	t := time.NewTicker(rateShareEvery)
	defer t.Stop()
	for {
		if err := f.ShareRates(ctx); err != nil && ctx.Err() == nil {
			f.log.Error("federation worker", "worker", "share inbox limits", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
