package instance

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrUnavailable means the database cannot be used just now (unreachable,
// closed, or its schema is not the one this build expects). Pages answer
// 503 and inboxes 503 with Retry-After; nothing is lost, and the next
// request tries again.
var ErrUnavailable = errors.New("instance: database unavailable")

// HealthStore is what readiness and the federation health page read.
type HealthStore interface {
	// Ready checks that the database answers and that its schema is the
	// one this build migrates to; an error wraps ErrUnavailable.
	Ready(ctx context.Context) error
	// QueueStats counts the work waiting in each queue, with the age of
	// its oldest item (cheap: it runs at every metrics scrape).
	QueueStats(ctx context.Context) ([]QueueStat, error)
	// FailingHosts lists the remote servers deliveries are failing to,
	// longest failing first, at most limit.
	FailingHosts(ctx context.Context, limit int) ([]FailingHost, error)
}

// Queue names, as the metrics and the federation health page show them.
const (
	QueueInbox      = "inbox"      // verified inbound activities not yet processed
	QueueDeliveries = "deliveries" // outgoing activities not yet delivered (or given up)
	QueueFedEvents  = "fed_events" // changes not yet turned into activities
	QueueMail       = "mail"       // emails not yet sent
	QueuePush       = "push"       // phone notifications not yet sent
)

// QueueStat is one queue's backlog.
type QueueStat struct {
	Queue  string
	Depth  int
	Oldest time.Time // when the oldest waiting item was queued (zero: empty)
}

// FailingHost is a remote server that deliveries are failing to.
type FailingHost struct {
	Host         string
	FailingSince time.Time
	// Failures counts the times in a row it timed out or said it was down
	// (its circuit opened); RetryAt is when its circuit lets a delivery
	// through again (zero: not open).
	Failures int
	RetryAt  time.Time
	// Pending deliveries wait for it; the next is due at NextAttempt.
	Pending     int
	NextAttempt time.Time
	LastError   string // of the latest failed attempt ("HTTP 503", a timeout)
}

// Unavailable reports whether the host counts as gone: failing for longer
// than unavailableAfter (deliveries to it are given up at once).
func (h FailingHost) Unavailable(now time.Time) bool {
	return !h.FailingSince.IsZero() && now.Sub(h.FailingSince) > UnavailableAfter
}

// UnavailableAfter is how long a host may fail before it is treated as
// unavailable (federation gives up deliveries to it until it answers).
const UnavailableAfter = 72 * time.Hour

// Ready reports whether the instance can serve: the database answers and
// is migrated to this build's schema. An error wraps ErrUnavailable.
func (s *Service) Ready(ctx context.Context) error {
	return s.store.Ready(ctx)
}

// FederationHealth is what the federation health page shows: the queues
// and the servers that are failing.
type FederationHealth struct {
	Queues  []QueueStat
	Failing []FailingHost
	Now     time.Time
}

// maxFailingShown caps the failing servers listed on the health page.
const maxFailingShown = 100

// FederationHealth returns the queues and the failing servers, for
// admins only.
func (s *Service) FederationHealth(ctx context.Context, by *Member) (*FederationHealth, error) {
	if by == nil || !by.IsAdmin() {
		return nil, ErrForbidden
	}
	q, err := s.store.QueueStats(ctx)
	if err != nil {
		return nil, fmt.Errorf("instance: federation health: %w", err)
	}
	f, err := s.store.FailingHosts(ctx, maxFailingShown)
	if err != nil {
		return nil, fmt.Errorf("instance: federation health: %w", err)
	}
	return &FederationHealth{Queues: q, Failing: f, Now: s.now()}, nil
}
