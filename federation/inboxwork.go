package federation

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"hearth/instance"
)

// The inbox worker. Inbound activities are handled by up to InboxWorkers
// (default 8) lanes at once; a lane is one actor's queue, handled in the
// order it arrived, so a Create, Update and Delete of one object are never
// reordered. Lanes are shared out host by host, at most half of the
// workers to one host, so one server's backlog (or one slow server) cannot
// hold the others. Each activity gets inboxTimeout for everything it does,
// fetches included. A failure is retried with a backoff kept in the
// database (30 s, 2 min, 10 min, 1 h, then every 6 h) and given up, with
// an error in the log, two days after the activity arrived; an error that
// retrying cannot fix (bad input, refused, gone) is final at once. Until
// an activity has failed inboxOrderedFailures times (about twelve minutes
// of retries), its actor's later activities wait behind it; after that it
// is retried on its own, so one broken activity holds its actor's queue
// for minutes, not two days. While the inbox accepts a burst, the worker
// runs one lane at a reduced pace (pace.go).
const (
	defaultInboxWorkers  = 8
	inboxTimeout         = 10 * time.Second
	inboxGiveUpAfter     = 48 * time.Hour
	inboxOrderedFailures = 4
	// inboxChunk activities of a lane are read, handled and recorded
	// together (one transaction); inboxWindow is how far into a host's
	// queue the worker looks for actors to start.
	inboxChunk  = 50
	inboxWindow = 64
	inboxHosts  = 1000
)

var inboxBackoff = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour}

// inboxPool is the inbox worker's state: the lanes running, per actor and
// per host.
type inboxPool struct {
	start  sync.Mutex // one dispatcher at a time
	mu     sync.Mutex
	actors map[string]bool
	byHost map[string]int
	total  int
	// yielding is how many running lanes end after their chunk, since a
	// burst lowered the limit (pace.go).
	yielding int
	wg       sync.WaitGroup
	freed    chan struct{}
}

// lane is one actor's queue being handled; done is closed when it ends.
type lane struct {
	actor, host string
	head        int64     // the first activity, due when the lane started
	leased      time.Time // when its lease was last taken (SharedDatabase)
	done        chan struct{}
	handled     int
	err         error
	yielded     bool // it ends after its chunk, for the burst's pace
}

func (p *inboxPool) idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total == 0
}

// blocks reports whether a waiting activity holds its actor's later ones.
func blocks(h *instance.InboxHead, now time.Time) bool {
	return h.NextAttemptAt.After(now) && h.Attempts < inboxOrderedFailures
}

// startLanes starts a lane for every actor whose next activity is due and
// who has none running, within the limits; it does not wait for them.
func (f *Federation) startLanes(ctx context.Context) ([]*lane, error) {
	p := &f.inboxLanes
	p.start.Lock()
	defer p.start.Unlock()
	now := f.now()
	hosts, err := f.store.InboxHosts(ctx, inboxHosts)
	if err != nil || len(hosts) == 0 {
		return nil, err
	}
	limit := f.inboxLimit()
	p.mu.Lock()
	free := limit - p.total
	perHost := max(1, f.inboxWorkers/2)
	running := make(map[string]bool, len(p.actors))
	for a := range p.actors {
		running[a] = true
	}
	byHost := make(map[string]int, len(p.byHost))
	for h, n := range p.byHost {
		byHost[h] = n
	}
	p.mu.Unlock()
	// Each host's startable actors, oldest first.
	var queues [][]*instance.InboxHead
	for _, h := range hosts {
		room := min(free, perHost-byHost[h])
		if room <= 0 {
			continue
		}
		window, err := f.store.InboxWindow(ctx, h, inboxWindow)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		var q []*instance.InboxHead
		for _, a := range window {
			switch {
			case seen[a.Actor]:
			case running[a.Actor], blocks(a, now):
				seen[a.Actor] = true
			case a.NextAttemptAt.After(now):
				// retried on its own: the actor's next one may start
			default:
				seen[a.Actor] = true
				q = append(q, a)
			}
			if len(q) == room {
				break
			}
		}
		if len(q) > 0 {
			queues = append(queues, q)
		}
	}
	// The hosts in turn, until the workers are taken.
	var heads []*instance.InboxHead
	for i := 0; free > 0; i++ {
		took := false
		for _, q := range queues {
			if i < len(q) && free > 0 {
				heads = append(heads, q[i])
				free--
				took = true
			}
		}
		if !took {
			break
		}
	}
	heads, err = f.leaseLanes(ctx, heads, now)
	if err != nil {
		return nil, err
	}
	out := make([]*lane, 0, len(heads))
	for _, h := range heads {
		out = append(out, f.startLane(ctx, h, now))
	}
	return out, nil
}

// inboxLaneLease is how long a node holds an actor's lane when several
// nodes share the database: renewed while the lane runs, kept after it
// ends (the same node starts the actor's next activity without another
// node waiting for it), run out a minute after a node stopped.
const inboxLaneLease = time.Minute

func laneLease(actor string) string { return "inbox:" + actor }

// leaseLanes keeps the heads whose actor's lane this node could lease,
// when other nodes share the database: two nodes never run one actor's
// lane at once, so its activities stay in order. One process alone needs
// no lease beyond its own table of lanes (and SQLite's speed is kept).
func (f *Federation) leaseLanes(ctx context.Context, heads []*instance.InboxHead, now time.Time) ([]*instance.InboxHead, error) {
	if !f.opt.SharedDatabase || len(heads) == 0 {
		return heads, nil
	}
	names := make([]string, len(heads))
	for i, h := range heads {
		names[i] = laneLease(h.Actor)
	}
	got, err := f.store.TakeLeases(ctx, names, f.opt.Node, now, now.Add(inboxLaneLease))
	if err != nil {
		return nil, err
	}
	mine := make(map[string]bool, len(got))
	for _, n := range got {
		mine[n] = true
	}
	kept := heads[:0]
	for _, h := range heads {
		if mine[laneLease(h.Actor)] {
			kept = append(kept, h)
		}
	}
	return kept, nil
}

// renewLane extends the lane's lease when half of it has gone; it reports
// false when the lease was lost (this node was too slow, and another took
// the lane), and the lane must stop.
func (f *Federation) renewLane(ctx context.Context, l *lane) (bool, error) {
	now := f.now()
	if !f.opt.SharedDatabase || now.Sub(l.leased) < inboxLaneLease/2 {
		return true, nil
	}
	ok, err := f.store.TakeLease(ctx, laneLease(l.actor), f.opt.Node, now, now.Add(inboxLaneLease))
	if ok {
		l.leased = now
	}
	return ok, err
}

func (f *Federation) startLane(ctx context.Context, head *instance.InboxHead, leased time.Time) *lane {
	p := &f.inboxLanes
	l := &lane{actor: head.Actor, host: head.Host, head: head.ID, leased: leased, done: make(chan struct{})}
	p.mu.Lock()
	if p.actors == nil {
		p.actors, p.byHost = map[string]bool{}, map[string]int{}
	}
	p.actors[l.actor] = true
	p.byHost[l.host]++
	p.total++
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		l.err = f.runLane(ctx, l)
		if l.err != nil && ctx.Err() == nil {
			f.log.Error("federation worker", "worker", "inbox", "actor", l.actor, "err", l.err)
		}
		p.mu.Lock()
		delete(p.actors, l.actor)
		if p.byHost[l.host]--; p.byHost[l.host] <= 0 {
			delete(p.byHost, l.host)
		}
		p.total--
		if l.yielded {
			p.yielding--
		}
		p.mu.Unlock()
		close(l.done)
		select {
		case p.freed <- struct{}{}:
		default:
		}
	}()
	return l
}

// runLane handles an actor's activities in order, a chunk at a time, until
// none is left or one must wait for its retry.
func (f *Federation) runLane(ctx context.Context, l *lane) error {
	f.contacted(ctx, hostOf(l.actor)) // a host that sends us activities is up
	after := l.head - 1
	for {
		if ok, err := f.renewLane(ctx, l); err != nil || !ok {
			return err
		}
		list, err := f.store.InboxLane(ctx, l.actor, after, inboxChunk)
		if err != nil || len(list) == 0 {
			return err
		}
		// Every activity of the chunk is the lane's actor's: their cached
		// actor row is read once for the chunk, not once an activity.
		cctx := context.WithValue(ctx, laneActorKey{}, &laneActor{iri: l.actor})
		now := f.now()
		behind := now.Sub(list[0].ReceivedAt) // the lane is in id order: the oldest first
		for len(list) > 0 {
			var stop bool
			list, stop, err = f.runBatch(cctx, l, list, &after, now)
			if err != nil {
				return err
			}
			if stop {
				return nil
			}
		}
		if f.laneYields(l) {
			return nil
		}
		f.pace(ctx, f.now().Sub(now), behind)
	}
}

// inboxBatchFor is how long a batch handles activities before it commits:
// other writes wait for it (on SQLite every other, the inbox's queue
// included; on PostgreSQL all but the queue's, on every node). Five
// milliseconds is 20-40 replies a commit on SQLite.
const inboxBatchFor = 5 * time.Millisecond

// errNeedsNetwork is what a fetch returns in a batch (noNetworkKey): the
// activity is handled again on its own, where it may fetch.
var errNeedsNetwork = errors.New("federation: a fetch is not made in a batch")

type noNetworkKey struct{}

// runBatch handles list's activities in order in one batch (one
// transaction with their results, Store.Batch), each a step that is undone
// alone if it fails, for at most inboxBatchFor. An activity whose step
// fails (an error, or a fetch it needs) is handled again on its own after
// the batch commits, where its error is classified and retried as before,
// so a batch changes how activities are written, never what they do.
// It returns the activities left, and stop when the lane must end.
func (f *Federation) runBatch(ctx context.Context, l *lane, list []*instance.InboxActivity, after *int64, now time.Time) (left []*instance.InboxActivity, stop bool, err error) {
	var alone *instance.InboxActivity
	var results []instance.InboxResult
	pos := 0
	err = f.store.Batch(ctx, func(bctx context.Context) error {
		bctx = context.WithValue(bctx, noNetworkKey{}, true)
		start := time.Now()
		for ; pos < len(list) && !stop && alone == nil; pos++ {
			if pos > 0 && (time.Since(start) >= f.inboxBatchFor || f.store.WriterWaiting()) {
				break // the rest in the next batch: other writes wait for this one
			}
			a := list[pos]
			*after = a.ID
			if a.ID != l.head && a.NextAttemptAt.After(now) {
				if a.Attempts < inboxOrderedFailures {
					stop = true // the actor's later activities wait for this one
				}
				continue // or it is retried on its own
			}
			err := f.store.Step(bctx, func(sctx context.Context) error {
				hctx, cancel := context.WithTimeout(sctx, f.inboxTimeout)
				defer cancel()
				return f.handle(hctx, a)
			})
			switch {
			case err == nil:
				results = append(results, instance.InboxResult{ID: a.ID, Done: true})
			case ctx.Err() != nil:
				stop = true // stopping: leave it for next time
			default:
				alone = a
			}
		}
		// Handlers are idempotent (replies and items are keyed by their
		// id, follows by actor), and the results commit with what they
		// did, so a chunk cut short is handled again harmlessly.
		return f.store.FinishInbox(context.WithoutCancel(bctx), results, f.now())
	})
	if err != nil {
		return nil, true, err
	}
	l.handled += len(results)
	if alone != nil && !stop {
		r, ok := f.processActivity(ctx, alone, now)
		if !ok {
			return nil, true, nil
		}
		if err := f.store.FinishInbox(context.WithoutCancel(ctx), []instance.InboxResult{r}, f.now()); err != nil {
			return nil, true, err
		}
		l.handled++
		stop = !r.Done && alone.Attempts+1 < inboxOrderedFailures
	}
	return list[pos:], stop, nil
}

// laneActor is a lane chunk's memo of its actor's cached row, for
// Federation.actor (a lane's activities are handled one after another, by
// one goroutine).
type laneActor struct {
	iri string
	a   *instance.RemoteActor
}

type laneActorKey struct{}

// processActivity handles one activity within inboxTimeout and says what
// to record; ok is false when ctx ended (we are stopping), which says
// nothing about the activity.
func (f *Federation) processActivity(ctx context.Context, a *instance.InboxActivity, now time.Time) (r instance.InboxResult, ok bool) {
	hctx, cancel := context.WithTimeout(ctx, f.inboxTimeout)
	err := f.handle(hctx, a)
	cancel()
	r = instance.InboxResult{ID: a.ID, Done: true}
	if err == nil {
		return r, true
	}
	if ctx.Err() != nil {
		return r, false
	}
	r.Err = err.Error()
	attempt := a.Attempts + 1
	switch {
	case !retryable(err):
		f.log.Warn("inbound activity failed; not retried", "activity_id", a.ActivityID, "type", a.Type, "actor", a.Actor, "err", err)
	case now.Sub(a.ReceivedAt) > inboxGiveUpAfter:
		f.log.Error("inbound activity given up", "activity_id", a.ActivityID, "type", a.Type, "actor", a.Actor,
			"attempts", attempt, "received_at", a.ReceivedAt, "err", err)
	default:
		r.Done, r.Next = false, now.Add(inboxBackoff[min(a.Attempts, len(inboxBackoff)-1)])
		f.log.Warn("processing an activity failed; will retry", "activity_id", a.ActivityID, "type", a.Type, "actor", a.Actor,
			"attempt", attempt, "next_attempt_at", r.Next, "err", err)
	}
	return r, true
}

// retryable reports whether handling an activity again may succeed: not
// for bad input, a refusal, something gone, or a remote answer that
// retrying cannot change; yes for the rest (a server that did not answer
// in time, a database that was busy, anything unforeseen).
func retryable(err error) bool {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var se *statusError
	switch {
	case errors.Is(err, instance.ErrInvalid), errors.Is(err, instance.ErrForbidden), errors.Is(err, instance.ErrNotFound),
		errors.Is(err, instance.ErrConflict), errors.Is(err, instance.ErrGone), errors.Is(err, errRemoteGone),
		errors.Is(err, errPrivateAddress), errors.As(err, &syntax), errors.As(err, &typeErr):
		return false
	case errors.As(err, &se):
		return transient(err)
	}
	return true
}

// ProcessInbox handles every due inbound activity, as many lanes at once
// as the limits allow, and returns when none is running and none could
// start; it returns how many activities it handled. Tests call it
// directly; the running worker starts lanes as workers free up.
func (f *Federation) ProcessInbox(ctx context.Context) (int, error) {
	var lanes []*lane
	var err error
	for err == nil {
		var started []*lane
		started, err = f.startLanes(ctx)
		lanes = append(lanes, started...)
		if err != nil || len(started) > 0 {
			continue
		}
		if f.inboxLanes.idle() {
			// Lanes may have ended after startLanes counted them: with
			// none running, what it finds now is all there is.
			started, err = f.startLanes(ctx)
			lanes = append(lanes, started...)
			if err != nil || len(started) > 0 {
				continue
			}
			break
		}
		select {
		case <-f.inboxLanes.freed:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	f.inboxLanes.wg.Wait()
	n := 0
	for _, l := range lanes {
		n += l.handled
		if err == nil {
			err = l.err
		}
	}
	return n, err
}

// inboxLoop is the running inbox worker.
func (f *Federation) inboxLoop(ctx context.Context, every time.Duration) {
	defer f.inboxLanes.wg.Wait()
	f.workLoop(ctx, every, "inbox", f.inboxLanes.freed, func(ctx context.Context) (int, error) {
		started, err := f.startLanes(ctx)
		return len(started), err
	})
}
