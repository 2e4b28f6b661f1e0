package federation

import (
	"context"
	"time"

	"hearth/instance"
)

// Pruning: what federation keeps only for a while. After the retention
// (default 14 days) the sweep empties the bodies of processed inbound
// activities, and deletes finished deliveries, processed events and outbox
// rows that no collection serves (the public ones, which the outbox
// collection and GET /activities/… serve, are kept). The ids of inbound
// activities are kept idsKeptFor longer than their bodies, so a replay or a
// server re-sending an activity is still refused as a duplicate: remote
// servers retry a delivery for a few days at most, and a captured request
// replayed later fails its signature's date check anyway.
const (
	defaultRetention = 14 * 24 * time.Hour
	idsKeptFor       = 30 * 24 * time.Hour
	pruneEvery       = time.Hour
	pruneBatch       = 500
)

// Prune runs one sweep and returns how many rows it changed.
func (f *Federation) Prune(ctx context.Context) (int, error) {
	r := f.opt.Retention
	if r < 0 {
		return 0, nil // keep everything
	}
	cut := f.now().Add(-r)
	n, err := f.store.PruneFederation(ctx, instance.PruneCutoffs{InboxBodies: cut, InboxIDs: cut.Add(-idsKeptFor),
		Deliveries: cut, FedEvents: cut, Outbox: cut, Batch: pruneBatch})
	if n.Total() > 0 {
		f.log.Info("federation records pruned", "retention", r.String(), "inbox_bodies", n.InboxBodies, "inbox_ids", n.InboxIDs,
			"deliveries", n.Deliveries, "events", n.FedEvents, "outbox", n.Outbox)
	}
	return n.Total(), err
}

// pruneLoop sweeps at start and then every interval, on one node at a
// time: the node holding the lease "sweep:federation-prune" (renewed at
// each sweep, taken over by another node two intervals after its holder
// stopped).
func (f *Federation) pruneLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := f.pruneOnce(ctx, every); err != nil && ctx.Err() == nil {
			f.log.Error("federation worker", "worker", "prune", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pruneOnce prunes if this node holds (or can take) the prune lease, for
// two intervals; it reports whether it did.
func (f *Federation) pruneOnce(ctx context.Context, every time.Duration) (bool, error) {
	now := f.now()
	mine, err := f.store.TakeLease(ctx, "sweep:federation-prune", f.opt.Node, now, now.Add(2*every))
	if err != nil || !mine {
		return false, err
	}
	_, err = f.Prune(ctx)
	return true, err
}
