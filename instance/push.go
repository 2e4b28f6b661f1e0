package instance

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// PushSubscription is one device (a browser on a phone or a computer) on
// which a member turned notifications on: where its push service takes
// messages, and the keys its messages are encrypted with (RFC 8291).
type PushSubscription struct {
	ID       int64
	MemberID int64
	// Endpoint is the push service's https URL for this device.
	Endpoint string
	// P256dh is the device's public key and Auth its secret, base64url
	// as the browser gives them.
	P256dh, Auth string
	// Device is a short label for the member's list ("Firefox on Android").
	Device      string
	CreatedAt   time.Time
	LastSuccess time.Time // zero until a push was accepted
}

// Push is one notification for one device, written to the push queue in
// the transaction of the change it tells of (Notices.Push).
type Push struct {
	SubscriptionID int64
	MemberID       int64
	Kind           NoteKind
	// Payload is the JSON the service worker shows (PushMessage).
	Payload string
}

// PushMessage is what a device shows: the site's name, what happened in
// the member's language (the notification's own words, never a private
// detail: a welfare concern says only that one needs the reader) and the
// page it opens.
type PushMessage struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"url"`
	Tag   string `json:"tag"`
}

// QueuedPush is one row of the push queue, as the worker sees it.
type QueuedPush struct {
	ID           int64
	Push         Push
	Subscription PushSubscription
	Attempts     int
	// Claim is the worker's lease token.
	Claim string
}

// Pusher sends one push message to a device's push service, encrypted for
// it. instance/push implements it. An error wrapping ErrPushGone means the
// push service no longer knows the device (404 or 410): the subscription
// is removed. One wrapping ErrPushRefused means it refused this message
// for good (another 4xx): it is not tried again. Any other error is worth
// trying again later.
type Pusher interface {
	Push(ctx context.Context, sub *PushSubscription, payload []byte) error
}

// Push errors a Pusher wraps.
var (
	ErrPushGone    = errors.New("push: subscription gone")
	ErrPushRefused = errors.New("push: message refused")
)

// PushStore is the persistence of devices and the push queue.
type PushStore interface {
	// SavePushSubscription stores a device for a member; a device already
	// known (by its endpoint) is given to this member with its new keys.
	SavePushSubscription(ctx context.Context, sub *PushSubscription) (int64, error)
	PushSubscriptions(ctx context.Context, memberID int64) ([]*PushSubscription, error)
	// DeletePushSubscription removes one of the member's devices, by id
	// or (id 0) by endpoint; ErrNotFound when it is not theirs.
	DeletePushSubscription(ctx context.Context, memberID, id int64, endpoint string) error
	// ClaimPush leases up to limit due pushes until now+lease.
	ClaimPush(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*QueuedPush, error)
	// MarkPushSent records the push service's acceptance (and the
	// device's last success); only the claim holder may (ErrConflict).
	MarkPushSent(ctx context.Context, id int64, claim string, now time.Time) error
	// RetryPush gives the lease up and schedules another attempt, or
	// gives up (failed) when next is zero.
	RetryPush(ctx context.Context, id int64, claim string, next time.Time, lastError string) error
	// DropPushSubscription removes a device the push service no longer
	// knows, with everything queued for it.
	DropPushSubscription(ctx context.Context, subscriptionID int64) error
	// PurgePush deletes pushes finished before before.
	PurgePush(ctx context.Context, before time.Time) (int, error)
}

// MaxPushDevices is how many devices one member may turn notifications on
// for.
const MaxPushDevices = 10

// PushSubscriptionInput is what the page's script sends when a member
// turns notifications on: the browser's PushSubscription and a label.
type PushSubscriptionInput struct {
	Endpoint, P256dh, Auth, Device string
}

// decodeKey reads a browser's base64url key (padded or not).
func decodeKey(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(s), "="))
}

// clean checks a subscription as a browser makes it: an https endpoint, a
// P-256 public key and a 16-byte secret.
func (in *PushSubscriptionInput) clean() error {
	bad := problem(ErrInvalid, "push.bad_subscription")
	u, err := url.Parse(strings.TrimSpace(in.Endpoint))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(in.Endpoint) > 1000 {
		return bad
	}
	in.Endpoint = u.String()
	key, err := decodeKey(in.P256dh)
	if err != nil {
		return bad
	}
	if _, err := ecdh.P256().NewPublicKey(key); err != nil {
		return bad
	}
	auth, err := decodeKey(in.Auth)
	if err != nil || len(auth) != 16 {
		return bad
	}
	in.P256dh, in.Auth = base64.RawURLEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(auth)
	if r := []rune(in.Device); len(r) > 60 {
		in.Device = string(r[:60])
	}
	in.Device, _ = cleanText(in.Device, textRule{field: "device", name: true}) // a bad label is dropped, not refused
	return nil
}

// SubscribePush turns notifications on for one of the member's devices.
func (s *Service) SubscribePush(ctx context.Context, m *Member, in PushSubscriptionInput) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	if err := in.clean(); err != nil {
		return err
	}
	have, err := s.store.PushSubscriptions(ctx, m.ID)
	if err != nil {
		return fmt.Errorf("instance: devices of member %d: %w", m.ID, err)
	}
	known := false
	for _, d := range have {
		known = known || d.Endpoint == in.Endpoint
	}
	if !known && len(have) >= MaxPushDevices {
		return problem(ErrConflict, "push.too_many", MaxPushDevices)
	}
	sub := &PushSubscription{MemberID: m.ID, Endpoint: in.Endpoint, P256dh: in.P256dh, Auth: in.Auth, Device: in.Device, CreatedAt: s.now()}
	if _, err := s.store.SavePushSubscription(ctx, sub); err != nil {
		return fmt.Errorf("instance: save device of member %d: %w", m.ID, err)
	}
	s.log.Info("notifications turned on for a device", "member", m.Handle, "device", in.Device)
	return nil
}

// UnsubscribePush turns notifications off for the device with this
// endpoint ("Turn off on this device").
func (s *Service) UnsubscribePush(ctx context.Context, m *Member, endpoint string) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	if err := s.store.DeletePushSubscription(ctx, m.ID, 0, strings.TrimSpace(endpoint)); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// RemovePushDevice turns notifications off for one device from the
// member's list on the settings page.
func (s *Service) RemovePushDevice(ctx context.Context, m *Member, id int64) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	return s.store.DeletePushSubscription(ctx, m.ID, id, "")
}

// PushDevices lists the devices a member turned notifications on for.
func (s *Service) PushDevices(ctx context.Context, m *Member) ([]*PushSubscription, error) {
	if !m.Has(RoleMember) {
		return nil, ErrForbidden
	}
	return s.store.PushSubscriptions(ctx, m.ID)
}

// pushChannel queues a notification for each of the member's devices
// when they chose "at once" for its kind (the same choice as email).
func (s *Service) pushChannel(ctx context.Context, m *Member, n *Notification, out *Notices) error {
	subs, err := s.store.PushSubscriptions(ctx, m.ID)
	if err != nil {
		return fmt.Errorf("instance: devices of member %d: %w", m.ID, err)
	}
	if len(subs) == 0 {
		return nil
	}
	f, err := s.frequencyFor(ctx, m.ID, n.Kind.Spec().Notice)
	if err != nil {
		return err
	}
	if f != FreqNow {
		return nil
	}
	payload, err := json.Marshal(s.pushMessage(m, n))
	if err != nil {
		return err
	}
	for _, sub := range subs {
		out.Push = append(out.Push, Push{SubscriptionID: sub.ID, MemberID: m.ID, Kind: n.Kind, Payload: string(payload)})
	}
	return nil
}

// pushMessage is what a device shows for a notification: the words of the
// notifications page (and of the email's subject) and its link.
func (s *Service) pushMessage(m *Member, n *Notification) PushMessage {
	lang := m.Language
	if lang == "" {
		lang = s.lang
	}
	c := s.noteMail(m, n)
	link := c.Link
	if strings.HasPrefix(link, "/") {
		link = s.baseURL + link
	}
	return PushMessage{Title: s.site, Body: s.tr(lang, c.Subject.Key, c.Subject.Args...), URL: link, Tag: string(n.Kind)}
}

// VAPIDKeys is the instance's key pair for Web Push (RFC 8292), base64url:
// the private P-256 scalar and the uncompressed public point that
// browsers are given as applicationServerKey.
type VAPIDKeys struct {
	Private, Public string
}

type vapidCache struct {
	mu   sync.Mutex
	keys *VAPIDKeys
}

// VAPIDKeys returns the instance's Web Push keys, made at the first start
// and kept in the database (a new key would orphan every device).
func (s *Service) VAPIDKeys(ctx context.Context) (VAPIDKeys, error) {
	c := s.vapid
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys != nil {
		return *c.keys, nil
	}
	fresh, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return VAPIDKeys{}, err
	}
	raw, err := s.store.Secret(ctx, "vapid_p256", fresh.Bytes())
	if err != nil {
		return VAPIDKeys{}, fmt.Errorf("instance: vapid key: %w", err)
	}
	key, err := ecdh.P256().NewPrivateKey(raw)
	if err != nil {
		return VAPIDKeys{}, fmt.Errorf("instance: vapid key: stored key is not a P-256 key: %w", err)
	}
	c.keys = &VAPIDKeys{Private: base64.RawURLEncoding.EncodeToString(key.Bytes()),
		Public: base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes())}
	return *c.keys, nil
}

// SweepPush forgets pushes a week after they were sent or given up.
func (s *Service) SweepPush(ctx context.Context) error {
	_, err := s.store.PurgePush(ctx, s.now().Add(-7*24*time.Hour))
	return err
}
