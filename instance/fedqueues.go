package instance

import "time"

// The records below let federation's workers schedule their queues:
// which deliveries may start, how a remote host is doing, which inbound
// activities head their actor's lane, and what the pruning sweep removes.

// DeliveryCandidate is a due delivery that nobody holds: its host and how
// many times in a row that host has failed (a failing host gets one probe
// at a time).
type DeliveryCandidate struct {
	ID           int64
	Host         string
	HostFailures int
}

// HostState is what the delivery worker knows about a remote host.
type HostState struct {
	FailingSince time.Time // start of the current failing streak (zero: fine)
	Failures     int       // host-level failures in a row
	RetryAt      time.Time // circuit open until then (zero: closed)
}

// InboxHead is a queued inbound activity without its body, as the inbox
// worker scans a host's queue to find each actor's next activity.
type InboxHead struct {
	ID            int64
	Actor         string
	Host          string
	Attempts      int
	NextAttemptAt time.Time
}

// PruneCutoffs says what the pruning sweep may remove: rows older than
// each time (a zero time keeps everything of that kind).
type PruneCutoffs struct {
	InboxBodies time.Time // bodies of processed inbound activities
	InboxIDs    time.Time // their ids too (kept longer: replays are refused by id)
	Deliveries  time.Time // finished deliveries (done or failed)
	FedEvents   time.Time // processed federation events
	Outbox      time.Time // activities no collection serves (not public)
	Batch       int       // rows per write transaction
}

// PruneCounts is what one sweep removed.
type PruneCounts struct {
	InboxBodies, InboxIDs, Deliveries, FedEvents, Outbox int
}

// Total is the number of rows changed.
func (c PruneCounts) Total() int {
	return c.InboxBodies + c.InboxIDs + c.Deliveries + c.FedEvents + c.Outbox
}
