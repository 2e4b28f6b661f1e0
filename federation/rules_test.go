package federation

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// fedEvent reads an event's progress.
func fedEvent(t *testing.T, n *node, subject instance.EventSubject) (processed bool, attempts int, lastErr string) {
	t.Helper()
	var at *string
	if err := n.st.DB().QueryRow(n.st.SQL(`SELECT processed_at, attempts, last_error FROM fed_events WHERE subject = ? ORDER BY id DESC LIMIT 1`),
		subject).Scan(&at, &attempts, &lastErr); err != nil {
		t.Fatal(err)
	}
	return at != nil, attempts, lastErr
}

// An event whose publication keeps failing (a neighbour's server gone
// while we answer its need) is retried with backoff for 72 hours and then
// given up, its last error kept.
func TestFedEventGivenUpAfter72Hours(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // its address now refuses connections
	remote := &instance.RemoteItem{APID: gone.URL + "/needs/1", Actor: gone.URL + "/groups/village", ActorName: "Gone village",
		Kind: instance.KindNeed, Title: "A lift", ContentHTML: "<p>A lift</p>", URL: gone.URL + "/needs/1", Published: clock.now(), Updated: clock.now()}
	if err := n.st.SaveRemoteItem(ctx, remote, instance.Notices{}); err != nil {
		t.Fatal(err)
	}
	list, _ := n.svc.Neighbours(ctx, n.admin)
	if _, err := n.svc.AnswerNeighbour(ctx, n.admin, list[0].ID, "I can help"); err != nil {
		t.Fatal(err)
	}
	start := clock.now()
	for clock.now().Sub(start) < giveUpAfter-10*time.Minute {
		n.settle()
		clock.advance(10 * time.Minute)
	}
	processed, attempts, lastErr := fedEvent(t, n, instance.SubjectNeighbourReply)
	if processed || attempts < 5 || attempts > 20 {
		t.Fatalf("before 72 hours: processed %v after %d attempts; want still retrying, with backoff", processed, attempts)
	}
	// The first attempt due after 72 hours (at most one backoff step, 12
	// hours, later) gives it up.
	for !processed && clock.now().Sub(start) < giveUpAfter+13*time.Hour {
		clock.advance(10 * time.Minute)
		n.settle()
		processed, _, lastErr = fedEvent(t, n, instance.SubjectNeighbourReply)
	}
	if !processed || !strings.Contains(lastErr, "connect") {
		t.Fatalf("after 72 hours: processed %v, last error %q; want given up with the error kept", processed, lastErr)
	}
}

// An event of a subject this build does not know fails loudly: an error
// the event records, at once given up, and a log line.
func TestUnknownEventSubjectFailsLoudly(t *testing.T) {
	logs := &logBuffer{}
	n := newNode(t, func(o *Options) { o.Logger = newJSONLogger(logs) })
	e := &instance.FedEvent{Subject: "poll", SubjectID: 1, CreatedAt: n.fed.now()}
	p, err := n.fed.publication(ctx, e)
	var unknown *unknownSubject
	if p != nil || !errors.As(err, &unknown) {
		t.Fatalf("publication of an unknown subject: %v, %v", p, err)
	}
	// Recorded on a real event row (the schema allows only known subjects).
	if _, err := n.st.DB().Exec(n.st.SQL(`INSERT INTO fed_events (subject, subject_id, created_at) VALUES ('flag', 1, ?)`),
		e.CreatedAt.Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	n.st.DB().QueryRow(`SELECT id FROM fed_events`).Scan(&e.ID)
	if err := n.fed.eventFailed(ctx, e, err, n.fed.now()); err != nil {
		t.Fatal(err)
	}
	processed, attempts, lastErr := fedEvent(t, n, instance.SubjectFlag)
	if !processed || attempts != 1 || !strings.Contains(lastErr, `unknown event subject "poll"`) {
		t.Errorf("event: processed %v, attempts %d, error %q", processed, attempts, lastErr)
	}
	if logged := logs.find("publishing given up"); len(logged) != 1 || logged[0]["level"] != "ERROR" {
		t.Errorf("log: %v", logged)
	}
}

// A host that has failed for more than three days is unavailable: its
// deliveries fail at once, without a request, until it answers again.
func TestUnavailableHostIsNotContacted(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	n := newNode(t, func(o *Options) { o.Clock = clock.now })
	r := fedtest.New(t, "alice")
	host := hostOf(r.URL)
	failingSince := func(d time.Duration) {
		t.Helper()
		if _, err := n.st.DB().Exec(n.st.SQL(`INSERT INTO hosts (host, failing_since) VALUES (?1, ?2)
			ON CONFLICT (host) DO UPDATE SET failing_since = ?2`), host, clock.now().Add(-d).Format("2006-01-02T15:04:05.000Z07:00")); err != nil {
			t.Fatal(err)
		}
	}
	// deliver queues one activity to the fake, runs the worker, and
	// returns how the delivery ended.
	deliver := func(id string) (status, lastErr string) {
		t.Helper()
		activity := n.url + "/activities/" + id
		if err := n.st.EnqueueDeliveries(ctx, []*instance.Delivery{{Inbox: r.URL + "/inbox", Host: host, Signer: instance.InstanceSigner,
			ActivityID: activity, Body: []byte(`{"id":"` + activity + `","type":"Like","actor":"` + n.url + `/actor"}`)}},
			clock.now()); err != nil {
			t.Fatal(err)
		}
		if _, err := n.fed.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		if err := n.st.DB().QueryRow(n.st.SQL(`SELECT status, last_error FROM deliveries WHERE activity_id = ?`), activity).Scan(&status, &lastErr); err != nil {
			t.Fatal(err)
		}
		return status, lastErr
	}
	failingSince(unavailableFor + time.Hour)
	if status, lastErr := deliver("a"); status != "failed" || !strings.HasPrefix(lastErr, "host unavailable") || len(r.Received()) != 0 {
		t.Fatalf("to an unavailable host: %s %q, %d requests", status, lastErr, len(r.Received()))
	}
	failingSince(unavailableFor - time.Hour)
	if status, lastErr := deliver("b"); status != "done" || len(r.Received()) != 1 {
		t.Fatalf("to a host failing for less than three days: %s %q, %d requests, failures %v", status, lastErr, len(r.Received()), r.Failures())
	}
}

// A delivery queued before its host was blocked is not sent: the block is
// checked again when it is due (here the operator blocked the server in
// the config and restarted).
func TestDeliveryToAHostBlockedAfterQueueingIsNotSent(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "1"), fedtest.SendOptions{})
	n.settle()
	accepts := len(r.Received())
	n.postNeed("public")
	if _, err := n.fed.PublishEvents(ctx); err != nil { // queued, not yet sent
		t.Fatal(err)
	}
	restarted := New(Options{Store: n.st, Service: n.svc, BaseURL: n.url, AllowPrivateAddresses: true, BlockedDomains: []string{hostOf(r.URL)}})
	if _, err := restarted.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(r.Received()); got != accepts {
		t.Fatalf("%d requests reached the blocked host", got-accepts)
	}
	var status, lastErr string
	n.st.DB().QueryRow(`SELECT status, last_error FROM deliveries ORDER BY id DESC LIMIT 1`).Scan(&status, &lastErr)
	if status != "failed" || lastErr != "blocked domain" {
		t.Errorf("delivery: %s %q", status, lastErr)
	}
}

// blockingStore holds the inbox worker inside the store until released.
type blockingStore struct {
	Store
	entered  chan struct{}
	release  chan struct{}
	inFlight atomic.Int32
	once     atomic.Bool
}

func (b *blockingStore) InboxHosts(ctx context.Context, limit int) ([]string, error) {
	b.inFlight.Add(1)
	defer b.inFlight.Add(-1)
	if b.once.CompareAndSwap(false, true) {
		close(b.entered)
		<-b.release
	}
	return b.Store.InboxHosts(ctx, limit)
}

// Run returns only when ctx has ended and every worker has left the
// store, so that the caller can close it.
func TestRunWaitsForItsWorkers(t *testing.T) {
	n := newNode(t)
	bs := &blockingStore{Store: n.st, entered: make(chan struct{}), release: make(chan struct{})}
	fed := New(Options{Store: bs, Service: n.svc, BaseURL: n.url, AllowPrivateAddresses: true})
	runCtx, cancel := context.WithCancel(ctx)
	var cancelled atomic.Bool
	type state struct {
		cancelled bool
		inFlight  int32
	}
	returned := make(chan state, 1)
	go func() {
		fed.Run(runCtx)
		returned <- state{cancelled.Load(), bs.inFlight.Load()}
	}()
	<-bs.entered // the inbox worker is in the store
	cancelled.Store(true)
	cancel()
	close(bs.release)
	got := <-returned
	if !got.cancelled || got.inFlight != 0 {
		t.Fatalf("Run returned with ctx cancelled %v and %d workers in the store", got.cancelled, got.inFlight)
	}
}
