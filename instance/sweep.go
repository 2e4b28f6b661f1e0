package instance

import (
	"context"
	"fmt"
	"time"
)

// Due is one of the time-driven changes the sweep makes to items. Each is
// made to an item, with its notices, in one transaction that records it,
// so an item is told once even across restarts.
type Due string

// The sweep's changes.
const (
	// DueExpire closes an open need past its expiry.
	DueExpire Due = "expire"
	// DueLapse reopens a need whose claim was not renewed.
	DueLapse Due = "lapse"
	// DueStillNeeded asks the requester "is this still needed?" a few
	// days before expiry.
	DueStillNeeded Due = "still_needed"
	// DueLapsing warns the helper a day before their claim lapses.
	DueLapsing Due = "lapsing"
	// DueTomorrow reminds of an action that starts tomorrow (the
	// organiser and everyone going), or a claimed need that is needed by
	// tomorrow (the helper).
	DueTomorrow Due = "tomorrow"
	// DueUnanswered tells coordinators of a need nobody offered to help
	// with after [notify] unanswered_hours.
	DueUnanswered Due = "unanswered"
)

// DueWindow is when a sweep runs: now, and the window some changes look
// at (tomorrow's day for DueTomorrow, the remind or lapse horizon).
type DueWindow struct {
	Now, From, To time.Time
}

// sweepBatch is how many items one pass of a change loads at a time.
const sweepBatch = 100

// Sweep does the time-driven work: needs past expiry close, claims not
// renewed lapse back to open, requesters are asked a few days before
// expiry whether the need is still needed, helpers are warned a day before
// their claim lapses, people are reminded of tomorrow's actions and
// needs, coordinators are told of needs nobody answered, and the digests
// that are due are sent. cmd runs it every minute; tests call it with an
// injected clock.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	local := now.In(s.loc)
	tomorrow := startOfDay(local).AddDate(0, 0, 1)
	changes := []struct {
		due Due
		w   DueWindow
	}{
		{DueExpire, DueWindow{Now: now}},
		{DueLapse, DueWindow{Now: now}},
		{DueStillNeeded, DueWindow{Now: now, To: now.Add(s.remind)}},
		{DueLapsing, DueWindow{Now: now, To: now.Add(claimWarning)}},
		{DueTomorrow, DueWindow{Now: now, From: tomorrow, To: tomorrow.AddDate(0, 0, 1)}},
		{DueUnanswered, DueWindow{Now: now, From: now.Add(-s.unanswered)}},
	}
	counts := map[Due]int{}
	for _, c := range changes {
		n, err := s.sweepDue(ctx, c.due, c.w)
		if err != nil {
			return fmt.Errorf("sweep: %s: %w", c.due, err)
		}
		counts[c.due] = n
	}
	overflowed, err := s.sweepOverflow(ctx, now)
	if err != nil {
		return fmt.Errorf("sweep: overflow: %w", err)
	}
	counts["overflow"] = overflowed
	if _, err := s.store.PruneThrottles(ctx, now.Add(-throttleKept)); err != nil {
		return fmt.Errorf("sweep: throttles: %w", err)
	}
	purged, err := s.store.PurgeClosedNeeds(ctx, now.Add(-s.purge), now)
	if err != nil {
		return fmt.Errorf("sweep: purge: %w", err)
	}
	unverified, err := s.store.ExpireVerifications(ctx, now)
	if err != nil {
		return fmt.Errorf("sweep: verifications: %w", err)
	}
	guests, err := s.sweepGuests(ctx, now)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	dates, rolled, err := s.makeSeriesDates(ctx)
	if err != nil {
		return fmt.Errorf("sweep: series dates: %w", err)
	}
	gaps, err := s.tellRotaGaps(ctx)
	if err != nil {
		return fmt.Errorf("sweep: rota gaps: %w", err)
	}
	total := purged + unverified + guests + dates + rolled + gaps
	for _, n := range counts {
		total += n
	}
	if total > 0 {
		s.log.Info("sweep", "needs_expired", counts[DueExpire], "claims_lapsed", counts[DueLapse], "reminders", counts[DueStillNeeded],
			"lapse_warnings", counts[DueLapsing], "tomorrow", counts[DueTomorrow], "unanswered", counts[DueUnanswered],
			"overflowed", overflowed, "addresses_purged", purged, "verifications_expired", unverified, "guest_places_expired_or_erased", guests,
			"series_dates_made", dates, "series_next_federated", rolled, "rota_gaps_told", gaps)
	}
	if err := s.Digests(ctx); err != nil {
		return fmt.Errorf("sweep: digests: %w", err)
	}
	return nil
}

// sweepDue makes one change to every item it applies to, each with its
// notices in its own transaction.
func (s *Service) sweepDue(ctx context.Context, due Due, w DueWindow) (int, error) {
	done := 0
	var coordinators []int64
	for {
		items, err := s.store.DueItems(ctx, due, w, sweepBatch)
		if err != nil {
			return done, err
		}
		applied := 0
		for _, it := range items {
			if due == DueUnanswered && coordinators == nil {
				if coordinators, err = s.withRole(ctx, RoleCoordinator); err != nil {
					return done, err
				}
			}
			n, err := s.dueNotices(ctx, due, it, coordinators)
			if err != nil {
				return done, err
			}
			ok, err := s.store.ApplyDue(ctx, due, it.ID, w, n)
			if err != nil {
				return done, err
			}
			if ok {
				applied++
			}
		}
		done += applied
		// A batch in which nothing applied (another sweep got there
		// first) ends the pass rather than loading it again.
		if len(items) < sweepBatch || applied == 0 {
			return done, nil
		}
	}
}

// dueNotices is who a sweep change tells, and what.
func (s *Service) dueNotices(ctx context.Context, due Due, it *Item, coordinators []int64) (Notices, error) {
	switch due {
	case DueExpire:
		return s.tell(ctx, event{kind: NoteNeedExpired, item: it}, it.AuthorID)
	case DueLapse:
		a, err := s.tell(ctx, event{kind: NoteClaimLapsed, item: it}, it.AuthorID)
		if err != nil {
			return Notices{}, err
		}
		h, err := s.tell(ctx, event{kind: NoteClaimLapsedHelper, item: it}, it.ClaimedBy)
		return tellAll(a, h), err
	case DueStillNeeded:
		return s.tell(ctx, event{kind: NoteStillNeeded, item: it}, it.AuthorID)
	case DueLapsing:
		return s.tell(ctx, event{kind: NoteClaimLapsing, item: it}, it.ClaimedBy)
	case DueTomorrow:
		if it.Kind == KindNeed {
			return s.tell(ctx, event{kind: NoteNeedTomorrow, item: it}, it.ClaimedBy)
		}
		people, err := s.store.ListAttendees(ctx, it.ID)
		if err != nil {
			return Notices{}, err
		}
		to := []int64{it.AuthorID}
		for _, a := range people {
			if a.Status == AttendGoing {
				to = append(to, a.MemberID)
			}
		}
		n, err := s.tell(ctx, event{kind: NoteActionTomorrow, item: it}, to...)
		if err != nil {
			return Notices{}, err
		}
		guests, err := s.guestReminders(ctx, it)
		n.Mail = append(n.Mail, guests...)
		return n, err
	case DueUnanswered:
		var to []int64
		for _, id := range coordinators {
			if id != it.AuthorID {
				to = append(to, id)
			}
		}
		return s.tell(ctx, event{kind: NoteUnanswered, item: it}, to...)
	}
	return Notices{}, fmt.Errorf("instance: unknown sweep change %q", due)
}
