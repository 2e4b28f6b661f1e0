package federation

import (
	"bytes"
	"context"
	"fmt"
	"hearth/instance"
	"net/http"
	"sync"
	"time"
)

// Delivery policy: a few concurrent requests per host and overall,
// exponential backoff from a minute to twelve hours, at least 48 hours of
// retrying (we give up after 72), 4xx other than 408 and 429 is final, and
// a host failing for three days is treated as unavailable until it answers
// again.
const (
	deliveryBatch   = 64
	deliveryWorkers = 8
	perHostLimit    = 2
	giveUpAfter     = 72 * time.Hour
	unavailableFor  = 72 * time.Hour
)

var backoff = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour}

func nextAttempt(attempts int, now time.Time) time.Time {
	if attempts >= len(backoff) {
		return now.Add(backoff[len(backoff)-1])
	}
	return now.Add(backoff[attempts])
}

// Deliver sends one batch of due deliveries and records the results in one
// transaction; it returns how many it attempted. Tests call it directly.
func (f *Federation) Deliver(ctx context.Context) (int, error) {
	due, err := f.store.DueDeliveries(ctx, f.now(), deliveryBatch)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	results := make([]instance.DeliveryResult, len(due))
	hostSlots := map[string]chan struct{}{}
	for _, d := range due {
		if hostSlots[d.Host] == nil {
			hostSlots[d.Host] = make(chan struct{}, perHostLimit)
		}
	}
	workers := make(chan struct{}, deliveryWorkers)
	var wg sync.WaitGroup
	for i, d := range due {
		wg.Add(1)
		go func(i int, d *instance.Delivery) {
			defer wg.Done()
			workers <- struct{}{}
			hostSlots[d.Host] <- struct{}{}
			results[i] = f.attempt(ctx, d)
			<-hostSlots[d.Host]
			<-workers
		}(i, d)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return 0, ctx.Err() // shutting down: leave them pending
	}
	return len(due), f.store.FinishDeliveries(ctx, results, f.now())
}

// attempt makes one signed POST.
func (f *Federation) attempt(ctx context.Context, d *instance.Delivery) instance.DeliveryResult {
	now := f.now()
	res := instance.DeliveryResult{ID: d.ID, Host: d.Host}
	retry := func(msg string) instance.DeliveryResult {
		res.Error = msg
		if now.Sub(d.CreatedAt) > giveUpAfter {
			res.Status = "failed"
			f.log.Warn("delivery given up", "inbox", d.Inbox, "attempt", d.Attempts+1, "err", msg)
		} else {
			res.Status, res.Next = "pending", nextAttempt(d.Attempts, now)
			f.log.Info("delivery will be retried", "inbox", d.Inbox, "attempt", d.Attempts+1, "next_attempt_at", res.Next, "err", msg)
		}
		return res
	}
	if f.blockedHost(d.Host) {
		res.Status, res.Error = "failed", "blocked domain"
		return res
	}
	if since, err := f.store.HostFailingSince(ctx, d.Host); err == nil && !since.IsZero() && now.Sub(since) > unavailableFor {
		res.Status, res.Error = "failed", "host unavailable since "+since.Format(time.RFC3339)
		return res
	}
	key, err := f.keys.get(ctx, d.Signer)
	if err != nil {
		return retry(err.Error())
	}
	reqCtx, cancel := contextWithTimeout(ctx)
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
		return retry(err.Error())
	}
	_, _ = readBody(resp.Body) // drain for connection reuse; the content does not matter
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		res.Status, res.Success = "done", true
		f.log.Debug("delivered", "inbox", d.Inbox, "status", resp.StatusCode)
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429:
		res.Status, res.Error, res.Success = "failed", fmt.Sprintf("HTTP %d", resp.StatusCode), true // the host is up
		f.log.Warn("delivery refused", "inbox", d.Inbox, "status", resp.StatusCode)
	default:
		return retry(fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
	return res
}
