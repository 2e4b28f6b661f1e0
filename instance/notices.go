package instance

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// NoticeKind is a kind of notification a member chooses how to hear
// about (at once, in a digest, or never). Every email that belongs to a
// member has one, which its unsubscribe link turns to "never".
type NoticeKind string

// The kinds of notification. To add one: a constant here, an entry in
// NoticeKinds with its default, and "prefs.kind.<kind>" and
// "prefs.kind.<kind>_hint" in both message catalogues.
const (
	// NoticeAboutMe: things about me and what I posted or answered
	// (someone offered to help, I was accepted, a reply…).
	NoticeAboutMe NoticeKind = "about_me"
	// NoticeNewNeeds, NoticeNewOffers and NoticeNewActions: new posts
	// in the categories and groups I follow.
	NoticeNewNeeds   NoticeKind = "new_needs"
	NoticeNewOffers  NoticeKind = "new_offers"
	NoticeNewActions NoticeKind = "new_actions"
	// NoticeCoordination: what waits for coordinators (applications,
	// reports, held posts, needs nobody answered).
	NoticeCoordination NoticeKind = "coordination"
	// NoticeSafeguarding: a welfare concern needs a lead.
	NoticeSafeguarding NoticeKind = "safeguarding"
)

// Digest kinds stand for "every kind I get in the daily (or weekly)
// summary" in a digest's unsubscribe link.
const (
	NoticeDigestDaily  NoticeKind = "digest_daily"
	NoticeDigestWeekly NoticeKind = "digest_weekly"
)

// NoticeAll stands for every kind in an unsubscribe link.
const NoticeAll NoticeKind = "all"

// Frequency is how often a member hears about a kind of notification by
// email.
type Frequency string

// Frequencies, in the order the settings page offers them.
const (
	FreqNow    Frequency = "now"
	FreqDaily  Frequency = "daily"
	FreqWeekly Frequency = "weekly"
	FreqNever  Frequency = "never"
)

// Frequencies lists the choices in display order.
var Frequencies = []Frequency{FreqNow, FreqDaily, FreqWeekly, FreqNever}

// NoticeKindSpec is a kind and its default for members who never chose.
type NoticeKindSpec struct {
	Kind    NoticeKind
	Default Frequency
	// Roles, when set, limit the kind to members holding one of them
	// (the settings page shows it only to them).
	Roles []Role
	// Items is the kind of post whose new ones this kind announces.
	Items Kind
}

// NoticeKinds lists every kind, in the order of the settings page.
var NoticeKinds = []NoticeKindSpec{
	{Kind: NoticeAboutMe, Default: FreqNow},
	{Kind: NoticeNewNeeds, Default: FreqWeekly, Items: KindNeed},
	{Kind: NoticeNewOffers, Default: FreqWeekly, Items: KindOffer},
	{Kind: NoticeNewActions, Default: FreqWeekly, Items: KindAction},
	{Kind: NoticeCoordination, Default: FreqNow, Roles: []Role{RoleCoordinator}},
	{Kind: NoticeSafeguarding, Default: FreqNow, Roles: []Role{RoleSafeguardingLead, RoleAdmin}},
}

// For reports whether the kind concerns the member.
func (k NoticeKindSpec) For(m *Member) bool {
	if len(k.Roles) == 0 {
		return m.Has(RoleMember)
	}
	for _, r := range k.Roles {
		if m.Has(r) {
			return true
		}
	}
	return false
}

// newsKind is the kind that announces new posts of an item kind.
func newsKind(k Kind) NoticeKind {
	for _, s := range NoticeKinds {
		if s.Items == k && k != "" {
			return s.Kind
		}
	}
	return ""
}

func knownKind(k NoticeKind) (NoticeKindSpec, bool) {
	for _, s := range NoticeKinds {
		if s.Kind == k {
			return s, true
		}
	}
	return NoticeKindSpec{}, false
}

// NoticeStore keeps members' choices and the instance's own secrets.
type NoticeStore interface {
	// NoticePrefs returns the kinds the member chose for (others take
	// their default).
	NoticePrefs(ctx context.Context, memberID int64) (map[NoticeKind]Frequency, error)
	SetNoticePrefs(ctx context.Context, memberID int64, prefs map[NoticeKind]Frequency) error
	// Secret returns the secret stored under name, storing fresh first
	// when there is none yet (so the first caller's value wins for good).
	Secret(ctx context.Context, name string, fresh []byte) ([]byte, error)
}

// NoticePref is one row of the settings page.
type NoticePref struct {
	Kind      NoticeKind
	Frequency Frequency
	Default   Frequency
}

// NoticePrefs returns the member's choice for every kind, defaults filled in.
func (s *Service) NoticePrefs(ctx context.Context, m *Member) ([]NoticePref, error) {
	if !m.Has(RoleMember) {
		return nil, ErrForbidden
	}
	chosen, err := s.store.NoticePrefs(ctx, m.ID)
	if err != nil {
		return nil, fmt.Errorf("instance: notice prefs of member %d: %w", m.ID, err)
	}
	var out []NoticePref
	for _, k := range NoticeKinds {
		if !k.For(m) {
			continue
		}
		p := NoticePref{Kind: k.Kind, Frequency: k.Default, Default: k.Default}
		if f, ok := chosen[k.Kind]; ok {
			p.Frequency = f
		}
		out = append(out, p)
	}
	return out, nil
}

// choices is a member's frequency for every kind, defaults filled in.
func (s *Service) choices(ctx context.Context, memberID int64) (map[NoticeKind]Frequency, error) {
	chosen, err := s.store.NoticePrefs(ctx, memberID)
	if err != nil {
		return nil, fmt.Errorf("instance: notice prefs of member %d: %w", memberID, err)
	}
	out := map[NoticeKind]Frequency{}
	for _, k := range NoticeKinds {
		out[k.Kind] = k.Default
		if f, ok := chosen[k.Kind]; ok {
			out[k.Kind] = f
		}
	}
	return out, nil
}

// digestKind is the unsubscribe kind of a digest's frequency.
func digestKind(f Frequency) NoticeKind {
	if f == FreqDaily {
		return NoticeDigestDaily
	}
	return NoticeDigestWeekly
}

// frequencyFor is the member's choice for one kind.
func (s *Service) frequencyFor(ctx context.Context, memberID int64, kind NoticeKind) (Frequency, error) {
	spec, ok := knownKind(kind)
	if !ok {
		return "", fmt.Errorf("instance: unknown notice kind %q", kind)
	}
	chosen, err := s.store.NoticePrefs(ctx, memberID)
	if err != nil {
		return "", fmt.Errorf("instance: notice prefs of member %d: %w", memberID, err)
	}
	if f, ok := chosen[kind]; ok {
		return f, nil
	}
	return spec.Default, nil
}

// SetNoticePrefs saves the settings form: one frequency per kind, by the
// kind's name. A kind left out keeps its current choice.
func (s *Service) SetNoticePrefs(ctx context.Context, m *Member, in map[string]string) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	var v ValidationErrors
	prefs := map[NoticeKind]Frequency{}
	for _, k := range NoticeKinds {
		val, ok := in[string(k.Kind)]
		if !ok {
			continue
		}
		if !slices.Contains(Frequencies, Frequency(val)) {
			v.add(&FieldError{Field: string(k.Kind), Code: "err.choice"})
			continue
		}
		prefs[k.Kind] = Frequency(val)
	}
	if err := v.err(); err != nil {
		return err
	}
	return s.store.SetNoticePrefs(ctx, m.ID, prefs)
}

// Unsubscription is what an unsubscribe link stands for.
type Unsubscription struct {
	MemberID int64
	Kind     NoticeKind // or NoticeAll
}

// unsubscribeKey is the HMAC key of unsubscribe links, made at first use
// and kept in the database, so links keep working across restarts.
type secretCache struct {
	mu  sync.Mutex
	key []byte
}

func (s *Service) unsubscribeKey(ctx context.Context) ([]byte, error) {
	c := s.secrets
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key != nil {
		return c.key, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	key, err := s.store.Secret(ctx, "unsubscribe_hmac", fresh)
	if err != nil {
		return nil, fmt.Errorf("instance: unsubscribe key: %w", err)
	}
	c.key = key
	return key, nil
}

func unsubscribeMAC(key []byte, payload string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("hearth unsubscribe v1\x00" + payload))
	return h.Sum(nil)[:16]
}

// UnsubscribeToken signs a member's link to stop one kind of mail (or all).
func (s *Service) UnsubscribeToken(ctx context.Context, memberID int64, kind NoticeKind) (string, error) {
	key, err := s.unsubscribeKey(ctx)
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(memberID, 10) + ":" + string(kind)))
	return payload + "." + base64.RawURLEncoding.EncodeToString(unsubscribeMAC(key, payload)), nil
}

// unsubscribeURL is the link for List-Unsubscribe and the footer.
func (s *Service) unsubscribeURL(ctx context.Context, memberID int64, kind NoticeKind) (string, error) {
	t, err := s.UnsubscribeToken(ctx, memberID, kind)
	if err != nil {
		return "", err
	}
	return s.baseURL + "/unsubscribe?t=" + t, nil
}

// CheckUnsubscribe reads a signed link; a forged or damaged one gives a
// *Problem (ErrNotFound) with code "unsubscribe.bad_link".
func (s *Service) CheckUnsubscribe(ctx context.Context, token string) (*Unsubscription, error) {
	bad := problem(ErrNotFound, "unsubscribe.bad_link")
	payload, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil, bad
	}
	key, err := s.unsubscribeKey(ctx)
	if err != nil {
		return nil, err
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, unsubscribeMAC(key, payload)) {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, bad
	}
	idText, kind, _ := strings.Cut(string(raw), ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return nil, bad
	}
	switch k := NoticeKind(kind); k {
	case NoticeAll, NoticeDigestDaily, NoticeDigestWeekly:
	default:
		if _, known := knownKind(k); !known {
			return nil, bad
		}
	}
	return &Unsubscription{MemberID: id, Kind: NoticeKind(kind)}, nil
}

// Unsubscribe follows a signed link: no sign-in is needed. It sets
// "never" for the link's kind (or every kind). A member who has since
// left gives ErrNotFound.
func (s *Service) Unsubscribe(ctx context.Context, token string) (*Unsubscription, error) {
	u, err := s.CheckUnsubscribe(ctx, token)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.MemberByID(ctx, u.MemberID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, problem(ErrNotFound, "unsubscribe.bad_link")
		}
		return nil, err
	}
	current, err := s.choices(ctx, u.MemberID)
	if err != nil {
		return nil, err
	}
	prefs := map[NoticeKind]Frequency{}
	for _, k := range NoticeKinds {
		// A digest's link stops every kind that came in that digest.
		inDigest := (u.Kind == NoticeDigestDaily && current[k.Kind] == FreqDaily) ||
			(u.Kind == NoticeDigestWeekly && current[k.Kind] == FreqWeekly)
		if u.Kind == NoticeAll || u.Kind == k.Kind || inDigest {
			prefs[k.Kind] = FreqNever
		}
	}
	if err := s.store.SetNoticePrefs(ctx, u.MemberID, prefs); err != nil {
		return nil, fmt.Errorf("instance: unsubscribe member %d from %s: %w", u.MemberID, u.Kind, err)
	}
	s.log.Info("member unsubscribed by email link", "member_id", u.MemberID, "kind", u.Kind)
	return u, nil
}
