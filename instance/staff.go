package instance

import (
	"context"
	"fmt"
)

// StaffSummary is what waits for the people who look after the site, for
// the page that gathers their tools: what they may do and how much waits.
type StaffSummary struct {
	Coordinator, Admin, Lead bool
	Applications             int // waiting for a decision
	Reports                  int // open
	Held                     int // posts and replies waiting to be checked
	Concerns                 int // open (safeguarding leads only)
}

// StaffSummary returns what waits for by: coordinators (and admins) see
// applications and moderation, safeguarding leads open concerns. Anyone
// else is refused.
func (s *Service) StaffSummary(ctx context.Context, by *Member) (*StaffSummary, error) {
	sum := &StaffSummary{Coordinator: by.IsCoordinator(), Admin: by.IsAdmin(), Lead: by.Has(RoleSafeguardingLead)}
	if !sum.Coordinator && !sum.Lead {
		return nil, ErrForbidden
	}
	if sum.Coordinator {
		n, err := s.store.CountMembers(ctx, StatusPending)
		if err != nil {
			return nil, fmt.Errorf("instance: count applications: %w", err)
		}
		sum.Applications = n
		q, err := s.Queue(ctx, by)
		if err != nil {
			return nil, err
		}
		sum.Reports, sum.Held = len(q.Reports), len(q.HeldItems)+len(q.HeldResponses)+len(q.HeldNeighbourItems)
	}
	if sum.Lead {
		list, err := s.Concerns(ctx, by)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			if c.Status == "open" {
				sum.Concerns++
			}
		}
	}
	return sum, nil
}
