package instance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// holdFor reports whether any of the texts contains a word that holds a
// post for review.
func (s *Service) holdFor(texts ...string) bool {
	if s.hold == nil {
		return false
	}
	for _, t := range texts {
		if s.hold.MatchString(t) {
			return true
		}
	}
	return false
}

// rateLimit checks a post or reply against the member's hourly limit,
// which is stricter for accounts younger than a few days; coordinators are
// not limited. It refuses before anything is stored. The returned func
// counts the post once it has been stored.
func (s *Service) rateLimit(ctx context.Context, m *Member, kind string) (func(), error) {
	if m.IsCoordinator() {
		return func() {}, nil
	}
	max := s.lim[kind][0]
	if s.now().Sub(m.CreatedAt) < s.newAge {
		max = s.lim[kind][1]
	}
	key := kind + ":" + fmt.Sprint(m.ID)
	if ok, err := s.limits.allow(ctx, key, max); err != nil {
		return nil, err
	} else if !ok {
		s.log.Warn("rate limit reached", "member", m.Handle, "kind", kind, "per_hour", max)
		return nil, problem(ErrThrottled, "limit."+kind, max)
	}
	return func() {
		if err := s.limits.fail(context.WithoutCancel(ctx), key); err != nil {
			s.log.Error("counting a post against its limit", "member", m.Handle, "kind", kind, "err", err) // the post is stored
		}
	}, nil
}

// Registration is how people join the instance.
type Registration string

// Registration modes.
const (
	RegistrationOpen     Registration = "open"
	RegistrationApproval Registration = "approval"
	RegistrationInvite   Registration = "invite"
)

// Options configures a Service. Zero values get sensible defaults.
type Options struct {
	Store        Store
	Clock        Clock
	Logger       *slog.Logger
	Registration Registration
	// SessionLifetime is how long a login lasts (default 30 days).
	SessionLifetime time.Duration
	// InviteLifetime is how long an invite link works (default 14 days).
	InviteLifetime time.Duration
	// ConductVersion names the code of conduct members accept, so a changed
	// code can be accepted again later.
	ConductVersion string

	// Location is the instance's time zone: dates typed into forms are
	// read in it (default UTC).
	Location *time.Location
	// Categories for needs and offers (default DefaultCategories).
	Categories []Category
	// NeedExpiry is how long a need stays open (default 14 days).
	NeedExpiry time.Duration
	// ClaimLapse is how long a claim holds unless renewed (default 7 days).
	ClaimLapse time.Duration
	// ReminderBefore is how long before expiry the requester is asked
	// whether the need is still needed (default 3 days).
	ReminderBefore time.Duration
	// DefaultVisibility for new items (default public).
	DefaultVisibility Visibility
	// PurgeAfter is how long after a need closes its address and contact
	// details are erased (default 30 days).
	PurgeAfter time.Duration
	// HoldWords hold a post or reply for a coordinator when they appear
	// in it (whole words, any case).
	HoldWords []string
	// Limits on posting, per member per hour; new accounts (younger than
	// NewAccountAge, default 3 days) get the New… limits.
	PostsPerHour, RepliesPerHour       int
	NewPostsPerHour, NewRepliesPerHour int
	NewAccountAge                      time.Duration
	// RequireEmailConfirmation makes new members confirm their address
	// through a link before they can sign in.
	RequireEmailConfirmation bool
	// Mailer turns email on: with one, the domain queues mail (a
	// MailWorker sends it); without one, nothing is queued and
	// coordinators see confirmation links instead.
	Mailer Mailer
	// BaseURL builds links in emails.
	BaseURL string
	// Language is the instance's language: new members start with it,
	// and emails are written in it. Default "en".
	Language string
	// BlockedDomains are servers the operator blocked in the config
	// (federation.blocked_domains); each covers its subdomains. Content
	// from them is refused, as from servers coordinators block.
	BlockedDomains []string
	// Translate writes a message from the interface's catalogue
	// (web.Translator); without it, emails are in English.
	Translate func(lang, key string, args ...any) string
	// SiteName signs emails.
	SiteName string
	// PasswordSlots bounds how many passwords are hashed or checked at
	// once, for sign-in, joining, setup and password changes (default: one
	// per core, runtime.GOMAXPROCS, each waiting at most 2 s for its turn).
	PasswordSlots *PasswordSlots
	// UnansweredAfter is how long a need may go without an offer of help
	// before coordinators are told (default 48 hours).
	UnansweredAfter time.Duration
	// OverflowAfter is how long a need may go without an offer of help
	// before it is offered to trusted neighbouring villages, when its
	// requester agreed and its category sets no other delay (default 48
	// hours).
	OverflowAfter time.Duration
	// DigestHour (0–23, in Location) and DigestWeekday are when the daily
	// and weekly summaries go out; cmd passes the configuration's (8,
	// Monday), the zero values are midnight on Sunday.
	DigestHour    int
	DigestWeekday time.Weekday
	// ConductWritten says the village wrote its own code of conduct (the
	// admin's first-run checklist).
	ConductWritten bool
}

// Service holds the use cases. Web handlers and the admin command line call
// it; it never touches HTTP.
type Service struct {
	store    Store
	now      Clock
	log      *slog.Logger
	reg      Registration
	session  time.Duration
	invite   time.Duration
	throttle *throttle
	loc      *time.Location
	cats     []Category
	expiry   time.Duration
	lapse    time.Duration
	remind   time.Duration
	defVis   Visibility
	conduct  string
	purge    time.Duration
	hold     *regexp.Regexp
	limits   *throttle
	lim      map[string][2]int
	newAge   time.Duration
	confirm  bool
	mailer   Mailer
	baseURL  string
	lang     string
	tr       func(lang, key string, args ...any) string
	site     string
	secrets  *secretCache
	vapid    *vapidCache
	// guestKeys holds the key of guest places' links.
	guestKeys *secretCache
	resets    *resetLimits
	// notify settings and the digests' progress (see Digests).
	unanswered     time.Duration
	overflowAfter  time.Duration
	digestHour     int
	digestWeekday  time.Weekday
	digests        *digestProgress
	conductWritten bool
	// blockedDomains is the operator's list, lower-cased.
	blockedDomains []string
	hashing        *PasswordSlots
	// images bounds the uploads decoded at once (imageSlots).
	images chan struct{}
	// dummyHash is checked against when a login names nobody, so that an
	// unknown account costs the same time as a wrong password.
	dummyHash string
}

// New builds a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("instance: no store")
	}
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registration == "" {
		o.Registration = RegistrationApproval
	}
	if o.Language == "" {
		o.Language = "en"
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 30 * 24 * time.Hour
	}
	if o.InviteLifetime <= 0 {
		o.InviteLifetime = 14 * 24 * time.Hour
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if len(o.Categories) == 0 {
		o.Categories = DefaultCategories
	}
	if o.NeedExpiry <= 0 {
		o.NeedExpiry = 14 * 24 * time.Hour
	}
	if o.ClaimLapse <= 0 {
		o.ClaimLapse = 7 * 24 * time.Hour
	}
	if o.ReminderBefore <= 0 {
		o.ReminderBefore = 3 * 24 * time.Hour
	}
	if o.DefaultVisibility == "" {
		o.DefaultVisibility = VisibilityPublic
	}
	if o.PurgeAfter <= 0 {
		o.PurgeAfter = 30 * 24 * time.Hour
	}
	if o.PostsPerHour <= 0 {
		o.PostsPerHour, o.NewPostsPerHour = 20, 5
	}
	if o.RepliesPerHour <= 0 {
		o.RepliesPerHour, o.NewRepliesPerHour = 60, 15
	}
	if o.NewAccountAge <= 0 {
		o.NewAccountAge = 3 * 24 * time.Hour
	}
	if o.PasswordSlots == nil {
		o.PasswordSlots = NewPasswordSlots(runtime.GOMAXPROCS(0), 2*time.Second)
	}
	if o.UnansweredAfter <= 0 {
		o.UnansweredAfter = 48 * time.Hour
	}
	if o.OverflowAfter <= 0 {
		o.OverflowAfter = 48 * time.Hour
	}
	if o.DigestHour < 0 || o.DigestHour > 23 {
		return nil, fmt.Errorf("instance: digest hour %d is not 0–23", o.DigestHour)
	}
	var hold *regexp.Regexp
	if len(o.HoldWords) > 0 {
		words := make([]string, 0, len(o.HoldWords))
		for _, w := range o.HoldWords {
			if w = strings.TrimSpace(w); w != "" {
				words = append(words, regexp.QuoteMeta(strings.ToLower(w)))
			}
		}
		if len(words) > 0 {
			hold = regexp.MustCompile(`(?i)\b(` + strings.Join(words, "|") + `)\b`)
		}
	}
	if o.Translate == nil {
		o.Translate = func(_, key string, args ...any) string { return strings.TrimSpace(key + " " + fmt.Sprint(args...)) }
	}
	dummy, err := HashPassword(RandomToken(16))
	if err != nil {
		return nil, err
	}
	var blocked []string
	for _, d := range o.BlockedDomains {
		if d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "*.")); d != "" {
			blocked = append(blocked, d)
		}
	}
	return &Service{blockedDomains: blocked, images: make(chan struct{}, imageSlots),
		store: o.Store, now: o.Clock, log: o.Logger, reg: o.Registration,
		session: o.SessionLifetime, invite: o.InviteLifetime,
		throttle: newThrottle(o.Store, o.Clock), dummyHash: dummy, hashing: o.PasswordSlots,
		loc: o.Location, cats: o.Categories, expiry: o.NeedExpiry, lapse: o.ClaimLapse, remind: o.ReminderBefore,
		defVis: o.DefaultVisibility, conduct: o.ConductVersion, purge: o.PurgeAfter, hold: hold,
		limits: newWindow(o.Store, o.Clock, "limits", time.Hour), newAge: o.NewAccountAge,
		confirm: o.RequireEmailConfirmation, mailer: o.Mailer, baseURL: o.BaseURL, lang: o.Language, tr: o.Translate,
		site: o.SiteName, secrets: &secretCache{}, vapid: &vapidCache{}, guestKeys: &secretCache{}, resets: newResetLimits(o.Store, o.Clock),
		unanswered: o.UnansweredAfter, overflowAfter: o.OverflowAfter, digestHour: o.DigestHour, digestWeekday: o.DigestWeekday, digests: &digestProgress{},
		conductWritten: o.ConductWritten,
		lim:            map[string][2]int{"post": {o.PostsPerHour, o.NewPostsPerHour}, "response": {o.RepliesPerHour, o.NewRepliesPerHour}},
	}, nil
}

// Registration returns the registration mode.
func (s *Service) Registration() Registration { return s.reg }

// Now returns the service's current time.
func (s *Service) Now() time.Time { return s.now() }

// EnsureMainGroup creates the village group at first start. It is a no-op
// when the group exists.
func (s *Service) EnsureMainGroup(ctx context.Context, handle, name string) (*Group, error) {
	g, err := s.store.GroupByHandle(ctx, handle)
	if err == nil {
		return g, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	in := GroupInput{Handle: handle, Name: name, Description: ""}
	if err := in.clean(); err != nil {
		return nil, fmt.Errorf("instance: main group %q: %w", handle, err)
	}
	g = &Group{Handle: in.Handle, Name: in.Name, Main: true, CreatedAt: s.now()}
	if g.ID, err = s.store.CreateGroup(ctx, g); err != nil {
		return nil, fmt.Errorf("instance: create main group: %w", err)
	}
	s.log.Info("created the main village group", "handle", g.Handle)
	return g, nil
}

// SignUpInput is the join form.
type SignUpInput struct {
	Handle          string
	DisplayName     string
	Email           string
	Password        string
	PasswordConfirm string
	Answer          string // to the instance's question, in approval mode
	AcceptConduct   bool
	InviteCode      string
}

// SignUp registers a member according to the registration mode. In open and
// invite modes the new member is active at once; in approval mode they wait
// for a coordinator, unless they came with an invite.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (*Member, error) {
	var v ValidationErrors
	m := &Member{Roles: []Role{RoleMember}, Language: s.lang, ContactPreference: ContactSite}
	var fe *FieldError
	m.Handle, fe = CheckHandle("handle", in.Handle)
	v.add(fe)
	m.DisplayName, fe = cleanText(in.DisplayName, textRule{field: "display_name", required: true, max: MaxDisplayName, name: true})
	v.add(fe)
	m.Email, fe = CheckEmail("email", in.Email, true)
	v.add(fe)
	if fe := checkPassword("password", in.Password); fe != nil {
		v.add(fe)
	} else if in.Password != in.PasswordConfirm {
		v.add(&FieldError{Field: "password_confirm", Code: "err.password_mismatch"})
	}
	// An invite means a coordinator already said yes: in every mode the
	// invitee is active at once, answers no question, and the invite is
	// spent in the transaction that creates them.
	switch {
	case in.InviteCode != "":
		m.Status = StatusActive
	case s.reg == RegistrationApproval:
		m.ApplicationAnswer, fe = cleanText(in.Answer, textRule{field: "answer", required: true, max: MaxAnswer, multiline: true})
		v.add(fe)
		m.Status = StatusPending
	case s.reg == RegistrationInvite:
		v.add(&FieldError{Field: "invite", Code: "err.invite_needed"})
	default:
		m.Status = StatusActive
	}
	if !in.AcceptConduct {
		v.add(&FieldError{Field: "conduct", Code: "err.conduct"})
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.now()
	m.ConductAcceptedAt, m.ConductVersion = now, s.conduct
	m.CreatedAt = now
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	m.PasswordHash = hash
	// An invite means approved, whatever the mode: the code is spent in
	// the transaction that creates the member.
	code := in.InviteCode
	var told Notices
	if m.Status == StatusPending {
		if told, err = s.tellCoordinators(ctx, event{kind: NoteNewApplication, remote: m.DisplayName}); err != nil {
			return nil, err
		}
	}
	if m.ID, err = s.store.CreateMember(ctx, m, code, now, told); err != nil {
		return nil, err
	}
	s.log.Info("member signed up", "member", m.Handle, "status", m.Status)
	if s.confirm {
		if err := s.sendConfirmation(ctx, m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// NewMemberInput is what an operator gives `hearth admin create-member`.
type NewMemberInput struct {
	Handle      string
	DisplayName string
	Email       string
	Password    string
	Roles       []Role
}

// CreateMemberDirect creates an active member without the sign-up form:
// used by the admin command line and the first-run setup page. The code of
// conduct is recorded as accepted at creation, by the operator's word.
func (s *Service) CreateMemberDirect(ctx context.Context, in NewMemberInput) (*Member, error) {
	var v ValidationErrors
	m := &Member{Status: StatusActive, Language: s.lang, ContactPreference: ContactSite}
	var fe *FieldError
	m.Handle, fe = CheckHandle("handle", in.Handle)
	v.add(fe)
	m.DisplayName, fe = cleanText(in.DisplayName, textRule{field: "display_name", required: true, max: MaxDisplayName, name: true})
	v.add(fe)
	m.Email, fe = CheckEmail("email", in.Email, false)
	v.add(fe)
	v.add(checkPassword("password", in.Password))
	if err := v.err(); err != nil {
		return nil, err
	}
	if containsRole(in.Roles, RoleVerifiedHelper) {
		return nil, problem(ErrForbidden, "members.verified_by_check") // only a recorded check grants it
	}
	m.Roles = normaliseRoles(in.Roles)
	now := s.now()
	m.CreatedAt, m.ConductAcceptedAt, m.ConductVersion = now, now, s.conduct
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	m.PasswordHash = hash
	if m.ID, err = s.store.CreateMember(ctx, m, "", now, Notices{}); err != nil {
		return nil, err
	}
	return m, nil
}

// normaliseRoles always includes RoleMember and drops duplicates, keeping
// the display order of AllRoles.
func normaliseRoles(in []Role) []Role {
	set := map[Role]bool{RoleMember: true}
	for _, r := range in {
		set[r] = true
	}
	out := make([]Role, 0, len(set))
	for _, r := range AllRoles {
		if set[r] {
			out = append(out, r)
		}
	}
	return out
}

// HasAdmin reports whether any active admin exists (first-run setup is
// offered only when none does, and until then visitors are told the site
// is being set up rather than invited to join).
func (s *Service) HasAdmin(ctx context.Context) (bool, error) {
	return s.store.AdminExists(ctx)
}

// hashToken is what the sessions table stores, so that a copy of the
// database does not hand out live logins.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Login checks a handle-or-email and password and starts a new session.
// It returns the session token (for the cookie). A pending, rejected or
// suspended member gets a *Problem saying so (after a correct password, so
// the state is not told to strangers). client identifies the caller's
// network address for throttling.
//
// The attempt is counted before the password is checked, so a hundred
// guesses sent at once are counted as a hundred, and only as many as the
// limits allow ever reach Argon2. A right password takes its attempt back.
// When too many passwords are being checked at once, the caller is asked
// to try again (ErrBusy), and that attempt is not held against anyone.
func (s *Service) Login(ctx context.Context, login, password, client string) (string, *Member, error) {
	account, ip := "acct:"+normaliseLogin(login), "ip:"+client
	if ok, err := s.throttle.take(ctx, ip, maxClientFailures); err != nil || !ok {
		if err == nil {
			s.log.Warn("login throttled", "client", client)
			err = ErrThrottled
		}
		return "", nil, err
	}
	// refund takes an attempt back: a right password, or one that was
	// never checked.
	refund := func(keys ...string) {
		for _, k := range keys {
			if err := s.throttle.refund(ctx, k); err != nil {
				s.log.Error("taking back a sign-in attempt", "err", err)
			}
		}
	}
	if ok, err := s.throttle.take(ctx, account, maxAccountFailures); err != nil || !ok {
		refund(ip)
		if err == nil {
			s.log.Warn("login throttled", "client", client)
			err = ErrThrottled
		}
		return "", nil, err
	}
	m, err := s.store.MemberByLogin(ctx, login)
	if err != nil && !errors.Is(err, ErrNotFound) {
		refund(account, ip)
		return "", nil, err
	}
	hash, id := s.dummyHash, int64(0)
	if m != nil {
		hash, id = m.PasswordHash, m.ID
	}
	ok, err := s.checkPassword(ctx, id, hash, password)
	if err != nil {
		refund(account, ip)
		return "", nil, err
	}
	if m == nil || !ok {
		return "", nil, ErrBadCredentials
	}
	if err := s.throttle.reset(ctx, account); err != nil {
		s.log.Error("forgetting wrong passwords after a right one", "member", m.Handle, "err", err)
	}
	refund(ip)
	if s.confirm && !m.EmailConfirmed && m.Status == StatusActive && !m.IsAdmin() && m.Email != "" {
		return "", m, problem(ErrForbidden, "login.email_unconfirmed", m.Email)
	}
	switch m.Status {
	case StatusPending:
		return "", m, problem(ErrForbidden, "login.pending")
	case StatusRejected:
		return "", m, problem(ErrForbidden, "login.rejected")
	case StatusSuspended:
		return "", m, problem(ErrForbidden, "login.suspended")
	}
	token, err := s.startSession(ctx, m.ID)
	if err != nil {
		return "", nil, err
	}
	s.log.Info("member logged in", "member", m.Handle)
	return token, m, nil
}

// startSession always mints a fresh random id (never reusing one the
// browser brought), which defeats session fixation.
func (s *Service) startSession(ctx context.Context, memberID int64) (string, error) {
	token := RandomToken(32)
	now := s.now()
	if err := s.store.CreateSession(ctx, hashToken(token), memberID, now, now.Add(s.session)); err != nil {
		return "", fmt.Errorf("instance: start session: %w", err)
	}
	return token, nil
}

// SessionLifetime is how long a login lasts.
func (s *Service) SessionLifetime() time.Duration { return s.session }

// Authenticate returns the active member behind a session token, or
// ErrNotFound.
func (s *Service) Authenticate(ctx context.Context, token string) (*Member, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	return s.store.SessionMember(ctx, hashToken(token), s.now())
}

// Logout ends one session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.store.DeleteSession(ctx, hashToken(token))
}

// PasswordChange is the change-password form.
type PasswordChange struct {
	Current, New, Confirm string
}

// ChangePassword checks the current password, stores the new one, ends
// every session of the member (on every device) and returns a fresh session
// token for the browser that made the change.
func (s *Service) ChangePassword(ctx context.Context, m *Member, in PasswordChange) (string, error) {
	if in.Current == "" {
		return "", &FieldError{Field: "current", Code: "err.password_enter"}
	}
	ok, err := s.checkPassword(ctx, m.ID, m.PasswordHash, in.Current)
	if err != nil {
		return "", err
	}
	var v ValidationErrors
	if !ok {
		v.add(&FieldError{Field: "current", Code: "err.password_wrong"})
	}
	if fe := checkPassword("new", in.New); fe != nil {
		v.add(fe)
	} else if in.New != in.Confirm {
		v.add(&FieldError{Field: "confirm", Code: "err.password_mismatch"})
	}
	if err := v.err(); err != nil {
		return "", err
	}
	return s.setPassword(ctx, m, in.New)
}

func (s *Service) setPassword(ctx context.Context, m *Member, pw string) (string, error) {
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return "", err
	}
	if err := s.store.SetPassword(ctx, m.ID, hash); err != nil {
		return "", err
	}
	s.log.Info("password changed; all sessions ended", "member", m.Handle)
	return s.startSession(ctx, m.ID)
}

// UpdateProfile changes a member's own profile.
func (s *Service) UpdateProfile(ctx context.Context, m *Member, p Profile) error {
	if err := p.clean(); err != nil {
		return err
	}
	return s.store.UpdateProfile(ctx, m.ID, p)
}

// Member returns a member by handle.
func (s *Service) Member(ctx context.Context, handle string) (*Member, error) {
	return s.store.MemberByHandle(ctx, handle)
}

// MemberProfile is a member's profile page, for other members only (a
// village noticeboard does not publish its residents to the web); only
// coordinators see members who are not active.
func (s *Service) MemberProfile(ctx context.Context, by *Member, handle string) (*Member, error) {
	if !by.Has(RoleMember) {
		return nil, ErrForbidden
	}
	m, err := s.store.MemberByHandle(ctx, handle)
	if err != nil {
		return nil, err
	}
	if m.Status != StatusActive && !by.IsCoordinator() {
		return nil, ErrNotFound
	}
	return m, nil
}

// MemberByID returns a member by id.
func (s *Service) MemberByID(ctx context.Context, id int64) (*Member, error) {
	return s.store.MemberByID(ctx, id)
}

// CreateInvite makes a single-use invite link code. Coordinators only.
func (s *Service) CreateInvite(ctx context.Context, by *Member, note string) (*Invite, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	note, fe := cleanText(note, textRule{field: "note", max: 200, name: true})
	if fe != nil {
		return nil, fe
	}
	now := s.now()
	inv := &Invite{Code: RandomToken(18), CreatedBy: by.ID, CreatedAt: now, ExpiresAt: now.Add(s.invite), Note: note}
	if err := s.store.CreateInvite(ctx, inv); err != nil {
		return nil, err
	}
	return inv, nil
}

// Invites lists invites that are unused and unexpired. Coordinators only.
func (s *Service) Invites(ctx context.Context, by *Member) ([]*Invite, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	return s.store.ListInvites(ctx, s.now())
}

// CheckInvite tells whether an invite code can be used now.
func (s *Service) CheckInvite(ctx context.Context, code string) error {
	inv, err := s.store.InviteByCode(ctx, code)
	if errors.Is(err, ErrNotFound) {
		return problem(ErrNotFound, "invite.unknown")
	}
	if err != nil {
		return err
	}
	if !inv.Usable(s.now()) {
		return problem(ErrConflict, "invite.spent")
	}
	return nil
}
