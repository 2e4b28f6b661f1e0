package instance_test

import (
	"errors"
	"testing"
	"time"

	"hearth/instance"
)

// A claim that has lapsed cannot be renewed by the helper, even before the
// sweeper has reopened the need: the lapse is read from the clock, not
// from the sweeper's work. Before, a helper could renew an expired claim
// until the next sweep and keep the requester's address.
func TestLapsedClaimCannotBeRenewedBeforeTheSweep(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	req := f.member(t, "rita")
	helper := f.member(t, "hal", instance.RoleHelper)
	it := f.claimed(t, req, helper)
	f.clock.advance(6 * 24 * time.Hour) // a day left of the 7: renewing works
	if err := f.svc.RenewClaim(ctx, helper, it.ID); err != nil {
		t.Fatalf("renewing a live claim: %v", err)
	}
	renewed := f.reload(t, req, it)
	f.clock.advance(7*24*time.Hour + time.Minute) // past the renewed claim; no sweep
	var p *instance.Problem
	if err := f.svc.RenewClaim(ctx, helper, it.ID); !errors.As(err, &p) || p.Code != "need.claim_lapsed" {
		t.Errorf("renewing a lapsed claim: %v, want need.claim_lapsed", err)
	}
	if err := f.svc.MarkDone(ctx, helper, it.ID); !errors.As(err, &p) || p.Code != "need.claim_lapsed" {
		t.Errorf("the helper marked a lapsed claim done: %v", err)
	}
	after := f.reload(t, req, it)
	if after.State != instance.StateClaimed || !after.ClaimExpiresAt.Equal(renewed.ClaimExpiresAt) {
		t.Errorf("the lapsed claim changed: %s until %v (was until %v)", after.State, after.ClaimExpiresAt, renewed.ClaimExpiresAt)
	}
	if got := f.reload(t, helper, it); got.Address != "" {
		t.Error("the helper of a lapsed claim sees the address")
	}
	// The helper may still withdraw, which reopens the need at once.
	if err := f.svc.Unclaim(ctx, helper, it.ID); err != nil {
		t.Errorf("helper withdrawing from a lapsed claim: %v", err)
	}
	if got := f.reload(t, req, it); got.State != instance.StateOpen {
		t.Errorf("after the helper withdrew: %s", got.State)
	}
}
