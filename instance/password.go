package instance

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: the OWASP Password Storage Cheat Sheet minimum
// (19 MiB of memory, 2 iterations, 1 thread). About 30–60 ms on a small
// server, which slows guessing without making a Raspberry Pi struggle.
// They are written into every hash, so they can be raised later without
// breaking old hashes.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns a PHC-format Argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrUnreadableHash means a stored password hash is not one CheckPassword
// can read: damaged, or written by other software. No password matches it.
var ErrUnreadableHash = errors.New("password: stored hash cannot be read")

// NoPassword is the stored hash of an account that has none (a deleted
// account): no password matches it.
const NoPassword = "!"

// CheckPassword reports whether pw matches the PHC-format hash. It compares
// in constant time. A hash it cannot read gives ErrUnreadableHash.
func CheckPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("%w: unknown hash format", ErrUnreadableHash)
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("%w: unsupported argon2 version", ErrUnreadableHash)
	}
	var mem, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || mem == 0 || t == 0 || p == 0 {
		return false, fmt.Errorf("%w: parameters %q", ErrUnreadableHash, parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("%w: salt: %v", ErrUnreadableHash, err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("%w: key", ErrUnreadableHash)
	}
	got := argon2.IDKey([]byte(pw), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// RandomToken returns n random bytes as URL-safe base64 text, for session
// ids, invite codes and generated passwords.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ panics
		// itself); keep the signature simple.
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// PasswordSlots bounds how many passwords are hashed or checked at once.
// Each Argon2id computation holds 19 MiB for its whole run, and the CPU
// does not get faster with more of them in flight: a hundred sign-ins at
// once took 1.8 GiB of memory and none finished sooner. Extra callers wait
// a moment for a slot, then are asked to try again.
type PasswordSlots struct {
	slots chan struct{}
	wait  time.Duration
}

// NewPasswordSlots allows n hashes at once; a caller waits at most wait
// for its turn. The Service's default is one per core (runtime.GOMAXPROCS)
// and two seconds.
func NewPasswordSlots(n int, wait time.Duration) *PasswordSlots {
	return &PasswordSlots{slots: make(chan struct{}, max(n, 1)), wait: wait}
}

// Acquire takes a slot, waiting at most the slots' wait; the caller must
// call release when done. It fails with ErrBusy (a *Problem, code
// login.busy) when no slot came free in time, or with ctx's error when the
// caller gave up first.
func (p *PasswordSlots) Acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-p.slots }
	select {
	case p.slots <- struct{}{}:
		return release, nil
	default:
	}
	timer := time.NewTimer(p.wait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
		return release, nil
	case <-timer.C:
		return nil, problem(ErrBusy, "login.busy")
	case <-ctx.Done():
		return nil, fmt.Errorf("password: waiting for a turn: %w", ctx.Err())
	}
}

// hashPassword is HashPassword within the service's bound.
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	release, err := s.hashing.Acquire(ctx)
	if err != nil {
		s.busy(err)
		return "", err
	}
	defer release()
	return HashPassword(pw)
}

// checkPassword is CheckPassword within the service's bound. A deleted
// account's NoPassword, and a stored hash it cannot read, are a wrong
// password, never a failure: the person sees the ordinary "not right"
// message, and the operator a warning naming the member. The dummy hash
// is checked instead, so such an account answers as slowly as any other.
func (s *Service) checkPassword(ctx context.Context, memberID int64, hash, pw string) (bool, error) {
	release, err := s.hashing.Acquire(ctx)
	if err != nil {
		s.busy(err)
		return false, err
	}
	defer release()
	if hash == NoPassword {
		s.log.Info("sign-in to a deleted account", "member_id", memberID)
		_, _ = CheckPassword(s.dummyHash, pw) // same cost as a real check; the answer is no either way
		return false, nil
	}
	ok, err := CheckPassword(hash, pw)
	if errors.Is(err, ErrUnreadableHash) {
		s.log.Warn("stored password hash cannot be read; treated as a wrong password (reset it with hearth admin reset-password)",
			"member_id", memberID, "err", err)
		_, _ = CheckPassword(s.dummyHash, pw)
		return false, nil
	}
	return ok, err
}

// busy logs a refusal for want of a slot, for the operator.
func (s *Service) busy(err error) {
	if errors.Is(err, ErrBusy) {
		s.log.Warn("too many passwords to check at once; asked someone to try again in a minute",
			"at_once", cap(s.hashing.slots), "waited", s.hashing.wait)
	}
}
