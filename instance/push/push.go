// Package push sends Web Push messages: encrypted for the device (RFC
// 8291, aes128gcm) and signed with the instance's VAPID key (RFC 8292),
// by github.com/SherClockHolmes/webpush-go, through a client that
// reaches public https endpoints only (instance/netguard). It implements
// instance.Pusher and holds no state of its own.
package push

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"hearth/instance"
)

// Sender implements instance.Pusher.
type Sender struct {
	// Keys are the instance's VAPID keys (Service.VAPIDKeys).
	Keys instance.VAPIDKeys
	// Subscriber is the VAPID "sub": the instance's https URL or a
	// contact address, so a push service can reach its operator.
	Subscriber string
	// Client sends the requests (netguard.Client in production).
	Client *http.Client
	// TTL is how long a push service keeps a message for a device that
	// is offline (default a day).
	TTL time.Duration
}

// pushError is a push service's refusal, with its status.
type pushError struct {
	status int
	body   string
	kind   error
}

func (e *pushError) Error() string {
	return fmt.Sprintf("push service answered %d: %s", e.status, e.body)
}

func (e *pushError) Unwrap() error { return e.kind }

// Push implements instance.Pusher: 201 (or any 2xx) is success; 404 and
// 410 mean the device is gone (instance.ErrPushGone); 429 and 5xx are
// worth trying again; any other 4xx refuses this message for good
// (instance.ErrPushRefused).
func (s *Sender) Push(ctx context.Context, sub *instance.PushSubscription, payload []byte) error {
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	resp, err := webpush.SendNotificationWithContext(ctx, payload, &webpush.Subscription{Endpoint: sub.Endpoint,
		Keys: webpush.Keys{P256dh: sub.P256dh, Auth: sub.Auth}}, &webpush.Options{HTTPClient: s.Client, Subscriber: s.Subscriber,
		VAPIDPublicKey: s.Keys.Public, VAPIDPrivateKey: s.Keys.Private, TTL: int(ttl.Seconds()), Urgency: webpush.UrgencyNormal})
	if err != nil {
		return fmt.Errorf("push to device %d: %w", sub.ID, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 300)) // for the log only
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return &pushError{status: resp.StatusCode, body: string(body), kind: instance.ErrPushGone}
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return &pushError{status: resp.StatusCode, body: string(body)}
	default:
		return &pushError{status: resp.StatusCode, body: string(body), kind: instance.ErrPushRefused}
	}
}
