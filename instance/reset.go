package instance

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Password reset: a single-use link by email (valid an hour), or for
// members without email a one-off code a coordinator reads out over the
// phone (valid a day, recorded in the moderation log). Both are stored
// only as SHA-256 hashes; using one sets the new password, ends every
// session of the member and spends all their other resets, in one
// transaction.
const (
	resetLinkLifetime = time.Hour
	resetCodeLifetime = 24 * time.Hour

	maxResetsPerAddress = 3  // link requests per address (or username) an hour
	maxResetsPerClient  = 10 // link requests per network an hour
	maxCodeTriesHandle  = 5  // wrong codes per username an hour
	maxCodeTriesClient  = 20 // wrong codes per network an hour
)

// Reset kinds.
const (
	ResetKindLink = "link"
	ResetKindCode = "code"
)

// PasswordReset is a stored reset. MemberID is 0 for a request that named
// nobody: it is stored all the same (and can never be used), so that a
// request costs the same whether or not the address exists.
type PasswordReset struct {
	TokenHash string
	MemberID  int64
	Kind      string
	CreatedBy int64 // the coordinator who made a code; 0 for the member or the command line
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ResetStore keeps password resets.
type ResetStore interface {
	// SavePasswordReset stores a reset with its email and, for a code, its
	// moderation log line, in one transaction.
	SavePasswordReset(ctx context.Context, r *PasswordReset, mails []Mail, log *ModLog) error
	// PasswordReset returns an unused, unexpired reset of a member, or
	// ErrNotFound.
	PasswordReset(ctx context.Context, tokenHash string, now time.Time) (*PasswordReset, error)
	// UsePasswordReset spends the reset (it must still be unused and
	// unexpired: ErrNotFound otherwise), sets the password hash, ends all
	// of the member's sessions and spends their other resets. A link also
	// confirms the address it was sent to.
	UsePasswordReset(ctx context.Context, tokenHash, passwordHash string, now time.Time) (memberID int64, err error)
	PurgePasswordResets(ctx context.Context, before time.Time) (int, error)
}

type resetLimits struct {
	requests *throttle
	codes    *throttle
}

func newResetLimits(store ThrottleStore, now Clock) *resetLimits {
	return &resetLimits{requests: newWindow(store, now, "reset", time.Hour), codes: newWindow(store, now, "code", time.Hour)}
}

// allowAll reports whether both keys are under their limits in t.
func (s *Service) allowAll(ctx context.Context, t *throttle, k1 string, max1 int, k2 string, max2 int) (bool, error) {
	ok, err := t.allow(ctx, k1, max1)
	if err != nil || !ok {
		return ok, err
	}
	return t.allow(ctx, k2, max2)
}

// failAll counts one event for each key in t.
func (s *Service) failAll(ctx context.Context, t *throttle, keys ...string) error {
	for _, k := range keys {
		if err := t.fail(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// RequestPasswordReset is "Forgotten your password?": when login (an
// email address or username) names an active member with an address, a
// single-use link is queued to it. The answer is the same, and the work
// about the same, whether or not it names anyone, so the form cannot be
// used to find out who is a member. Requests are limited per address and
// per client network (a *Problem with ErrThrottled).
func (s *Service) RequestPasswordReset(ctx context.Context, login, client string) error {
	login = normaliseLogin(login)
	if login == "" {
		return &FieldError{Field: "login", Code: "err.required"}
	}
	if len(login) > 254 {
		return &FieldError{Field: "login", Code: "err.too_long", Args: []any{254, len(login)}}
	}
	addrKey, clientKey := "reset:"+login, "reset-ip:"+client
	if ok, err := s.allowAll(ctx, s.resets.requests, addrKey, maxResetsPerAddress, clientKey, maxResetsPerClient); err != nil {
		return err
	} else if !ok {
		s.log.Warn("password reset requests throttled", "client", client)
		return problem(ErrThrottled, "reset.throttled")
	}
	if err := s.failAll(ctx, s.resets.requests, addrKey, clientKey); err != nil {
		return err
	}
	m, err := s.store.MemberByLogin(ctx, login)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	token := RandomToken(32)
	now := s.now()
	r := &PasswordReset{TokenHash: hashToken(token), Kind: ResetKindLink, CreatedAt: now, ExpiresAt: now.Add(resetLinkLifetime)}
	var mails []Mail
	if m != nil && m.Status == StatusActive && m.Email != "" {
		r.MemberID = m.ID
		mail, err := s.composeMail(ctx, m, "", MailContent{
			Subject: Say("mail.reset_subject"),
			Before:  []MailText{Say("mail.hello", m.DisplayName), Say("mail.reset_intro")},
			Link:    "/reset-password?t=" + token, LinkText: Say("mail.reset_link"),
			After: []MailText{Say("mail.reset_ignore")},
		})
		if err != nil {
			return err
		}
		if mail != nil {
			mails = append(mails, *mail)
		}
	}
	if err := s.store.SavePasswordReset(ctx, r, mails, nil); err != nil {
		return fmt.Errorf("instance: save password reset: %w", err)
	}
	if r.MemberID != 0 {
		s.log.Info("password reset link queued", "member", m.Handle)
	}
	return nil
}

func badResetLink() error { return problem(ErrNotFound, "reset.bad_link") }

// CheckResetLink tells whether a reset link can still be used (the page
// that asks for the new password shows only then).
func (s *Service) CheckResetLink(ctx context.Context, token string) error {
	r, err := s.store.PasswordReset(ctx, hashToken(token), s.now())
	if errors.Is(err, ErrNotFound) || (err == nil && r.Kind != ResetKindLink) {
		return badResetLink()
	}
	return err
}

// ResetPassword sets a new password through a reset link.
func (s *Service) ResetPassword(ctx context.Context, token, password, confirm string) error {
	if err := s.CheckResetLink(ctx, token); err != nil {
		return err
	}
	if err := newPasswordErrors("password", "password_confirm", password, confirm); err != nil {
		return err
	}
	return s.useReset(ctx, hashToken(token), password, "reset link")
}

func newPasswordErrors(field, confirmField, pw, confirm string) error {
	var v ValidationErrors
	if fe := checkPassword(field, pw); fe != nil {
		v.add(fe)
	} else if pw != confirm {
		v.add(&FieldError{Field: confirmField, Code: "err.password_mismatch"})
	}
	return v.err()
}

func (s *Service) useReset(ctx context.Context, tokenHash, password, how string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	id, err := s.store.UsePasswordReset(ctx, tokenHash, hash, s.now())
	if errors.Is(err, ErrNotFound) {
		return badResetLink() // used or expired meanwhile
	}
	if err != nil {
		return fmt.Errorf("instance: use password reset: %w", err)
	}
	s.log.Info("password reset; all sessions ended", "member_id", id, "by", how)
	return nil
}

// codeAlphabet has no 0/O, 1/I/L: easy to read out and type.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// newResetCode is 12 characters (about 59 bits) in groups of four.
func newResetCode() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // as RandomToken
	}
	var out strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(codeAlphabet[int(c)%len(codeAlphabet)])
	}
	return out.String()
}

// normaliseCode lets people type a code in any case, with or without
// the dashes and spaces.
func normaliseCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

func hashCode(code string) string { return hashToken("code:" + normaliseCode(code)) }

// ResetCode is a one-off code to read out to a member.
type ResetCode struct {
	Code      string
	Member    *Member
	ExpiresAt time.Time
}

// MakeResetCode makes a one-off reset code for a member who cannot get
// email, to read out over the phone. Coordinators may make one for
// members without coordinator, safeguarding or admin roles; for those,
// only an admin may (a coordinator must not be able to take over a more
// trusted account). Nobody makes one for themselves. The operator (at the
// command line) may make one for anyone. The code is recorded in the
// moderation log (never the code itself).
func (s *Service) MakeResetCode(ctx context.Context, by *Member, handle string) (*ResetCode, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	m, err := s.store.MemberByHandle(ctx, handle)
	if err != nil {
		return nil, err
	}
	if !by.IsOperator() {
		if by.ID == m.ID {
			return nil, problem(ErrForbidden, "reset.code_self")
		}
		trusted := m.Has(RoleCoordinator) || m.Has(RoleSafeguardingLead)
		if trusted && !by.IsAdmin() {
			return nil, problem(ErrForbidden, "reset.code_admin_only")
		}
	}
	if m.Status != StatusActive {
		return nil, problem(ErrConflict, "reset.code_inactive")
	}
	code := newResetCode()
	now := s.now()
	r := &PasswordReset{TokenHash: hashCode(code), MemberID: m.ID, Kind: ResetKindCode, CreatedAt: now, ExpiresAt: now.Add(resetCodeLifetime)}
	if !by.IsOperator() {
		r.CreatedBy = by.ID
	}
	log := s.modLog(by, "make password reset code", "@"+m.Handle, "valid until "+r.ExpiresAt.UTC().Format(time.RFC3339), 0)
	if err := s.store.SavePasswordReset(ctx, r, nil, log); err != nil {
		return nil, fmt.Errorf("instance: save reset code for member %d: %w", m.ID, err)
	}
	s.log.Info("password reset code made", "member", m.Handle, "by", actorName(by))
	return &ResetCode{Code: code, Member: m, ExpiresAt: r.ExpiresAt}, nil
}

// CodeReset is the "I have a reset code" form.
type CodeReset struct {
	Handle, Code, Password, Confirm string
}

// ResetWithCode sets a new password with a one-off code. Wrong codes are
// limited per username and per client network.
func (s *Service) ResetWithCode(ctx context.Context, in CodeReset, client string) error {
	handle := strings.TrimPrefix(normaliseLogin(in.Handle), "@")
	var v ValidationErrors
	if handle == "" {
		v.add(&FieldError{Field: "handle", Code: "err.required"})
	}
	if strings.TrimSpace(in.Code) == "" {
		v.add(&FieldError{Field: "code", Code: "err.required"})
	}
	if err := newPasswordErrors("password", "password_confirm", in.Password, in.Confirm); err != nil {
		v = append(v, err.(ValidationErrors)...)
	}
	if err := v.err(); err != nil {
		return err
	}
	handleKey, clientKey := "code:"+handle, "code-ip:"+client
	if ok, err := s.allowAll(ctx, s.resets.codes, handleKey, maxCodeTriesHandle, clientKey, maxCodeTriesClient); err != nil {
		return err
	} else if !ok {
		s.log.Warn("password reset codes throttled", "client", client)
		return problem(ErrThrottled, "reset.throttled")
	}
	wrong := func() error {
		if err := s.failAll(ctx, s.resets.codes, handleKey, clientKey); err != nil {
			return err
		}
		return &FieldError{Field: "code", Code: "err.reset_code_wrong"}
	}
	r, err := s.store.PasswordReset(ctx, hashCode(in.Code), s.now())
	if errors.Is(err, ErrNotFound) {
		return wrong()
	}
	if err != nil {
		return err
	}
	m, err := s.store.MemberByID(ctx, r.MemberID)
	if err != nil {
		return err
	}
	if r.Kind != ResetKindCode || m.Handle != handle {
		return wrong()
	}
	if err := s.useReset(ctx, r.TokenHash, in.Password, "reset code"); err != nil {
		var p *Problem
		if errors.As(err, &p) {
			return wrong()
		}
		return err
	}
	if err := s.resets.codes.reset(ctx, handleKey); err != nil {
		s.log.Error("forgetting wrong reset codes", "err", err) // the password is changed
	}
	return nil
}

// SetPasswordByOperator sets a member's password from the command line;
// it ends all of their sessions and is recorded in the moderation log.
// Only the operator identity may call it.
func (s *Service) SetPasswordByOperator(ctx context.Context, by *Member, handle, password string) (*Member, error) {
	if !by.IsOperator() {
		return nil, ErrForbidden
	}
	m, err := s.store.MemberByHandle(ctx, handle)
	if err != nil {
		return nil, err
	}
	if fe := checkPassword("password", password); fe != nil {
		return nil, fe
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetPassword(ctx, m.ID, hash); err != nil {
		return nil, fmt.Errorf("instance: set password of member %d: %w", m.ID, err)
	}
	if err := s.store.LogModeration(ctx, s.modLog(by, "set password", "@"+m.Handle, "command line", 0)); err != nil {
		return nil, err
	}
	s.log.Info("password set from the command line; all sessions ended", "member", m.Handle)
	return m, nil
}
