package instance_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"hearth/instance"
)

func withSlots(p *instance.PasswordSlots) func(*instance.Options) {
	return func(o *instance.Options) { o.PasswordSlots = p }
}

// A hundred guesses at one account sent at once: each is counted before
// its password is checked, so exactly the ten the limit allows reach
// Argon2 and the other ninety are refused at once. Before, all hundred
// passed the check before the first failure was counted.
func TestGuessesAreCountedBeforeTheyAreChecked(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, instance.RegistrationOpen, withSlots(instance.NewPasswordSlots(2, time.Hour)))
	f.member(t, "ann")
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := f.svc.Login(ctx, "ann", "a wrong guess", fmt.Sprintf("10.0.0.%d", i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, instance.ErrBadCredentials):
				got["checked"]++
			case errors.Is(err, instance.ErrThrottled):
				got["throttled"]++
			default:
				got[fmt.Sprint(err)]++
			}
		}()
	}
	wg.Wait()
	if got["checked"] != 10 || got["throttled"] != 90 || len(got) != 2 {
		t.Errorf("answers %v, want 10 checked and 90 throttled", got)
	}
}

// When every password slot is taken, sign-in, joining, creating a member,
// changing and confirming a password wait briefly, then say "too many
// people are signing in" (ErrBusy, code login.busy); nothing is stored or
// lost, and the refused attempts are not held against the account.
func TestBusyWhenTooManyPasswordsAtOnce(t *testing.T) {
	ctx := context.Background()
	slots := instance.NewPasswordSlots(1, time.Millisecond)
	f := newFixture(t, instance.RegistrationOpen, withSlots(slots))
	ann := f.member(t, "ann")
	release, err := slots.Acquire(ctx) // a crowd signing in holds the only slot
	if err != nil {
		t.Fatal(err)
	}
	busy := func(what string, err error) {
		t.Helper()
		var p *instance.Problem
		if !errors.Is(err, instance.ErrBusy) || !errors.As(err, &p) || p.Code != "login.busy" {
			t.Errorf("%s: err = %v, want ErrBusy with login.busy", what, err)
		}
	}
	for range 20 {
		_, _, err := f.svc.Login(ctx, "ann", goodPassword, "1.1.1.1")
		busy("login", err)
	}
	_, err = f.svc.SignUp(ctx, signUp("bea"))
	busy("sign up", err)
	_, err = f.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "cal", DisplayName: "Cal", Password: goodPassword})
	busy("create member", err)
	_, err = f.svc.ChangePassword(ctx, ann, instance.PasswordChange{Current: goodPassword, New: "another long one", Confirm: "another long one"})
	busy("change password", err)
	busy("delete account", f.svc.DeleteAccount(ctx, ann, goodPassword))
	release()

	if n, _ := f.store.CountMembers(ctx, instance.StatusActive); n != 1 {
		t.Errorf("%d active members, want only ann", n)
	}
	// Twenty busy answers did not throttle ann, and her password is unchanged.
	if _, _, err := f.svc.Login(ctx, "ann", goodPassword, "1.1.1.1"); err != nil {
		t.Errorf("ann after the crowd: %v", err)
	}
}

// A caller who gives up while waiting for a slot stops waiting.
func TestPasswordSlotsFollowTheContext(t *testing.T) {
	slots := instance.NewPasswordSlots(1, time.Hour)
	release, err := slots.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := slots.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
