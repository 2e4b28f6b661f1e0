package federation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"hearth/instance"
)

// Delivery policy. Each attempt is recorded as soon as it ends, so a slow
// server delays nobody else's result and a crash re-sends only what was
// in flight. At most DeliveryPerHost requests (default 4) are in flight to
// one host and DeliveryWorkers (default 32) in all, each host's oldest
// first and the hosts in turn. Deliveries are claimed with a lease, so a
// row is never attempted twice at once. A host that times out, refuses
// the connection or answers 429, 502, 503 or 504 has its circuit opened:
// its other deliveries wait until the circuit's backoff ends (30 s, a
// minute, 5, 15, an hour, 3, 6) instead of each trying it, then one
// attempt at a time probes it until one succeeds. Each delivery has its
// own exponential backoff from a minute to twelve hours, at least 48 hours
// of retrying (we give up after 72), 4xx other than 408 and 429 is final,
// and a host failing for three days is treated as unavailable until it
// answers again.
const (
	defaultDeliveryWorkers = 32
	defaultDeliveryPerHost = 4
	deliveryTimeout        = 20 * time.Second
	// deliveryLease outlives any attempt (deliveryTimeout), so a claim
	// only runs out when its worker died.
	deliveryLease  = 2 * time.Minute
	giveUpAfter    = 72 * time.Hour
	unavailableFor = instance.UnavailableAfter
)

var backoff = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour}

var hostBackoff = []time.Duration{30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour}

func nextAttempt(attempts int, now time.Time) time.Time {
	return now.Add(backoff[min(attempts, len(backoff)-1)])
}

// deliveryPool is the delivery worker's state: attempts in flight, in all
// and per host.
type deliveryPool struct {
	start  sync.Mutex // one claimer at a time
	mu     sync.Mutex
	byHost map[string]int
	total  int
	wg     sync.WaitGroup
	// freed is signalled when an attempt ends, so the worker can start
	// another at once.
	freed chan struct{}
}

// sending is one attempt in flight; done is closed once its result is
// recorded (or the claim given back).
type sending struct {
	d    *instance.Delivery
	done chan struct{}
	res  instance.DeliveryResult
}

func (p *deliveryPool) idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total == 0
}

// startDeliveries claims the deliveries that may start now and starts
// them; it does not wait for them.
func (f *Federation) startDeliveries(ctx context.Context) ([]*sending, error) {
	p := &f.deliveries
	p.start.Lock()
	defer p.start.Unlock()
	now := f.now()
	p.mu.Lock()
	free := f.deliveryWorkers - p.total
	busy := make(map[string]int, len(p.byHost))
	for h, n := range p.byHost {
		busy[h] = n
	}
	p.mu.Unlock()
	if free <= 0 {
		return nil, nil
	}
	cands, err := f.store.DeliveryCandidates(ctx, now, f.deliveryPerHost, free+len(busy)*f.deliveryPerHost)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, c := range cands {
		limit := f.deliveryPerHost
		if c.HostFailures > 0 {
			limit = 1 // its circuit just closed: one probe at a time
		}
		if busy[c.Host] >= limit {
			continue
		}
		busy[c.Host]++
		ids = append(ids, c.ID)
		if len(ids) == free {
			break
		}
	}
	claimed, err := f.store.ClaimDeliveries(ctx, ids, now, now.Add(deliveryLease))
	if err != nil {
		return nil, err
	}
	out := make([]*sending, 0, len(claimed))
	for _, d := range claimed {
		s := &sending{d: d, done: make(chan struct{})}
		p.mu.Lock()
		if p.byHost == nil {
			p.byHost = map[string]int{}
		}
		p.byHost[d.Host]++
		p.total++
		p.mu.Unlock()
		p.wg.Add(1)
		go f.send(ctx, s)
		out = append(out, s)
	}
	return out, nil
}

// send makes one attempt and records it at once. A finished attempt is
// recorded even when ctx ends meanwhile (the server answered: that must
// not be lost); an attempt cut short by ctx gives its claim back.
func (f *Federation) send(ctx context.Context, s *sending) {
	p := &f.deliveries
	defer p.wg.Done()
	res := f.attempt(ctx, s.d)
	store := context.WithoutCancel(ctx)
	if res.Status == "" {
		if err := f.store.ReleaseDeliveries(store, []int64{s.d.ID}); err != nil {
			f.log.Warn("giving back a delivery", "delivery", s.d.ID, "err", err) // its lease runs out anyway
		}
	} else if err := f.store.FinishDelivery(store, res, f.now()); err != nil {
		f.log.Error("recording a delivery", "delivery", s.d.ID, "inbox", s.d.Inbox, "err", err)
	}
	s.res = res
	f.countDelivery(res)
	p.mu.Lock()
	if p.byHost[s.d.Host]--; p.byHost[s.d.Host] <= 0 {
		delete(p.byHost, s.d.Host)
	}
	p.total--
	p.mu.Unlock()
	close(s.done)
	select {
	case p.freed <- struct{}{}:
	default:
	}
}

// Deliver sends every due delivery, as many at once as the limits allow,
// and returns when none is in flight and none could start; it returns how
// many it attempted. Tests call it directly; the running worker starts
// attempts as slots free up and never waits for a batch.
func (f *Federation) Deliver(ctx context.Context) (int, error) {
	n := 0
	for {
		started, err := f.startDeliveries(ctx)
		n += len(started)
		if err != nil {
			f.deliveries.wg.Wait()
			return n, err
		}
		if len(started) > 0 {
			continue
		}
		if f.deliveries.idle() {
			// Attempts may have ended after startDeliveries counted them:
			// with none in flight, what it finds now is all there is.
			started, err = f.startDeliveries(ctx)
			n += len(started)
			if err != nil || len(started) == 0 {
				return n, err
			}
			continue
		}
		select {
		case <-f.deliveries.freed:
		case <-ctx.Done():
			f.deliveries.wg.Wait()
			return n, ctx.Err()
		}
	}
}

// deliverLoop is the running delivery worker.
func (f *Federation) deliverLoop(ctx context.Context, every time.Duration) {
	defer f.deliveries.wg.Wait()
	f.workLoop(ctx, every, "deliver", f.deliveries.freed, func(ctx context.Context) (int, error) {
		started, err := f.startDeliveries(ctx)
		return len(started), err
	})
}

// workLoop runs a pool's worker until ctx ends: start work while there is
// some to start, then wait for the tick or for a slot to be freed.
func (f *Federation) workLoop(ctx context.Context, every time.Duration, name string, freed <-chan struct{},
	start func(context.Context) (int, error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for {
			n, err := start(ctx)
			if err != nil {
				if ctx.Err() == nil {
					f.log.Error("federation worker", "worker", name, "err", err)
				}
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-freed:
		}
	}
}

// hostDownStatus are answers that say the server, not this inbox, has a
// problem.
func hostDownStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusBadGateway || code == http.StatusServiceUnavailable ||
		code == http.StatusGatewayTimeout
}

// attempt makes one signed POST. An empty Status means it was cut short
// by ctx (we are stopping) and says nothing about the delivery.
func (f *Federation) attempt(ctx context.Context, d *instance.Delivery) instance.DeliveryResult {
	now := f.now()
	res := instance.DeliveryResult{ID: d.ID, Host: d.Host}
	retry := func(msg string) instance.DeliveryResult {
		res.Error = msg
		if now.Sub(d.CreatedAt) > giveUpAfter {
			res.Status = "failed"
			f.log.Warn("delivery given up", "inbox", d.Inbox, "activity_id", d.ActivityID, "attempt", d.Attempts+1, "err", msg)
		} else {
			res.Status, res.Next = "pending", nextAttempt(d.Attempts, now)
			f.log.Info("delivery will be retried", "inbox", d.Inbox, "activity_id", d.ActivityID, "attempt", d.Attempts+1,
				"next_attempt_at", res.Next, "err", msg)
		}
		return res
	}
	if f.blockedHost(d.Host) {
		res.Status, res.Error = "failed", "blocked domain"
		return res
	}
	host, err := f.store.HostState(ctx, d.Host)
	if err != nil {
		return retry(err.Error())
	}
	if !host.FailingSince.IsZero() && now.Sub(host.FailingSince) > unavailableFor {
		res.Status, res.Error = "failed", "host unavailable since "+host.FailingSince.Format(time.RFC3339)
		return res
	}
	hostDown := func(msg string) instance.DeliveryResult {
		res.HostDown, res.HostRetryAt = true, now.Add(hostBackoff[min(host.Failures, len(hostBackoff)-1)])
		f.log.Warn("host not answering: its deliveries wait", "host", d.Host, "until", res.HostRetryAt, "err", msg)
		return retry(msg)
	}
	key, err := f.keys.get(ctx, d.Signer)
	if err != nil {
		return retry(err.Error())
	}
	reqCtx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, d.Inbox, bytes.NewReader(d.Body))
	if err != nil {
		res.Status, res.Error = "failed", err.Error()
		return res
	}
	req.Header.Set("Content-Type", activityJSON)
	req.Header.Set("Accept", activityJSON)
	req.Header.Set("User-Agent", f.userAgent)
	if err := signRequest(req, d.Body, key.private, f.uris.keyID(f.uris.actorIRI(d.Signer)), now); err != nil {
		return retry(err.Error())
	}
	resp, err := f.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return instance.DeliveryResult{} // stopping: not the host's fault
		}
		if errors.Is(err, errPrivateAddress) {
			res.Status, res.Error = "failed", err.Error()
			return res
		}
		return hostDown(err.Error())
	}
	_, _ = readBody(resp.Body) // drain for connection reuse; the content does not matter
	resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		res.Status, res.Success = "done", true
		f.log.Debug("delivered", "inbox", d.Inbox, "activity_id", d.ActivityID, "status", code)
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		res.Status, res.Error, res.Success = "failed", fmt.Sprintf("HTTP %d", code), true // the host is up
		f.log.Warn("delivery refused", "inbox", d.Inbox, "activity_id", d.ActivityID, "status", code)
	case hostDownStatus(code):
		return hostDown(fmt.Sprintf("HTTP %d", code))
	default:
		return retry(fmt.Sprintf("HTTP %d", code))
	}
	return res
}

// countDelivery counts a finished attempt (one cut short counts nothing).
func (f *Federation) countDelivery(res instance.DeliveryResult) {
	switch res.Status {
	case "done":
		f.count.Delivered("done")
	case "pending":
		f.count.Delivered("retry")
	case "failed":
		f.count.Delivered("failed")
	}
	if res.HostDown {
		f.count.HostDown()
	}
}
