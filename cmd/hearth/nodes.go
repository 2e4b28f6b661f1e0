package main

import (
	"context"
	"os"
	"time"

	"hearth/instance"
)

// Several nodes (hearth serve processes) may serve one instance from one
// PostgreSQL database. Each names itself in the leases it takes: the
// host name, so an operator reading the leases table knows which machine
// holds what, and a random part, so two processes on one machine differ.
func nodeName() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "hearth"
	}
	return host + "-" + instance.RandomToken(6)
}

// onOneNode runs fn at once and then every interval until ctx ends, on
// one node of the instance at a time: the node holding the lease
// "sweep:"+name. Its holder renews it at each run, for two intervals, so
// the sweep stays where it is; when that node stops, another takes the
// lease over two intervals after the holder's last run. A failed run is
// logged and tried again at the next tick.
func (a *app) onOneNode(ctx context.Context, name string, every time.Duration, fn func(context.Context) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := a.runIfMine(ctx, name, every, time.Now(), fn); err != nil && ctx.Err() == nil {
			a.log.Error("periodic work failed; will run again", "sweep", name, "node", a.node, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runIfMine runs fn if this node holds the sweep's lease at now, or can
// take it; it reports whether fn ran.
func (a *app) runIfMine(ctx context.Context, name string, every time.Duration, now time.Time, fn func(context.Context) error) (bool, error) {
	mine, err := a.store.TakeLease(ctx, "sweep:"+name, a.node, now, now.Add(2*every))
	if err != nil || !mine {
		return false, err
	}
	return true, fn(ctx)
}
