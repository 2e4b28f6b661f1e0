package instance_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/netguard"
	"hearth/instance/push"
	"hearth/web"
)

// device is a browser's side of a push subscription, made as a browser
// makes it: a P-256 key pair and a 16-byte auth secret.
type device struct {
	key  *ecdh.PrivateKey
	auth []byte
	path string
}

func newDevice(t *testing.T, path string) *device {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return &device{key: key, auth: auth, path: path}
}

func (d *device) input(base string) instance.PushSubscriptionInput {
	return instance.PushSubscriptionInput{Endpoint: base + d.path, Device: "Firefox on Android",
		P256dh: base64.RawURLEncoding.EncodeToString(d.key.PublicKey().Bytes()), Auth: base64.RawURLEncoding.EncodeToString(d.auth)}
}

// decrypt undoes RFC 8291 (aes128gcm, one record) with the device's
// private key and secret, as the browser does.
func (d *device) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("short body")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen || rs < 18 {
		return nil, errors.New("bad header")
	}
	asPublic, ciphertext := body[21:21+idlen], body[21+idlen:]
	asKey, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, err
	}
	shared, err := d.key.ECDH(asKey)
	if err != nil {
		return nil, err
	}
	prkKey, err := hkdf.Extract(sha256.New, shared, d.auth)
	if err != nil {
		return nil, err
	}
	info := "WebPush: info\x00" + string(d.key.PublicKey().Bytes()) + string(asPublic)
	ikm, err := hkdf.Expand(sha256.New, prkKey, info, 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return nil, err
	}
	// The last (only) record ends with the delimiter 0x02, then padding.
	end := len(plain) - 1
	for end >= 0 && plain[end] == 0 {
		end--
	}
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:end], nil
}

// pushService is a fake push service: it checks each request as a real
// one does (VAPID JWT signed by the key it names, for its own origin, not
// expired, with a contact; aes128gcm), decrypts the message for the
// device it is addressed to and records it. status, by path, is what it
// answers (201 by default).
type pushService struct {
	t       *testing.T
	srv     *httptest.Server
	vapid   string // the instance's public key, base64url
	mu      sync.Mutex
	devices map[string]*device
	status  map[string]int
	got     []instance.PushMessage
	hits    map[string]int
}

func newPushService(t *testing.T, vapid string) *pushService {
	p := &pushService{t: t, vapid: vapid, devices: map[string]*device{}, status: map[string]int{}, hits: map[string]int{}}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pushService) add(d *device) { p.mu.Lock(); p.devices[d.path] = d; p.mu.Unlock() }

func (p *pushService) answer(path string, status int) {
	p.mu.Lock()
	p.status[path] = status
	p.mu.Unlock()
}

func (p *pushService) messages() []instance.PushMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]instance.PushMessage(nil), p.got...)
}

func (p *pushService) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hits[r.URL.Path]++
	fail := func(format string, args ...any) {
		p.t.Errorf("push service: "+format, args...)
		http.Error(w, "bad request", http.StatusBadRequest)
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		fail("method %s, Content-Encoding %q, TTL %q", r.Method, r.Header.Get("Content-Encoding"), r.Header.Get("TTL"))
		return
	}
	if err := p.checkVAPID(r.Header.Get("Authorization")); err != nil {
		fail("VAPID: %v", err)
		return
	}
	// RFC 8292 carries the key in the Authorization's k=; the older
	// drafts' Crypto-Key header, if sent at all, must name the same key.
	if ck := r.Header.Get("Crypto-Key"); ck != "" && !strings.Contains(ck, "p256ecdsa="+p.vapid) {
		fail("Crypto-Key %q names another key", ck)
		return
	}
	if st := p.status[r.URL.Path]; st != 0 {
		w.WriteHeader(st)
		return
	}
	d := p.devices[r.URL.Path]
	if d == nil {
		http.Error(w, "no such subscription", http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	plain, err := d.decrypt(body)
	if err != nil {
		fail("decrypt: %v", err)
		return
	}
	var m instance.PushMessage
	if err := json.Unmarshal(plain, &m); err != nil {
		fail("payload %q: %v", plain, err)
		return
	}
	p.got = append(p.got, m)
	w.WriteHeader(http.StatusCreated)
}

// checkVAPID verifies "vapid t=<JWT>, k=<public key>" (RFC 8292): the key
// is the instance's, the ES256 signature is right, aud is this origin,
// exp is in the future and at most 24 hours away, sub is a contact.
func (p *pushService) checkVAPID(h string) error {
	rest, ok := strings.CutPrefix(h, "vapid ")
	if !ok {
		return errors.New("no vapid scheme: " + h)
	}
	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		params[k] = v
	}
	if params["k"] != p.vapid {
		return errors.New("k is not the instance's VAPID key")
	}
	pub, err := base64.RawURLEncoding.DecodeString(params["k"])
	if err != nil {
		return err
	}
	x, y := elliptic.Unmarshal(elliptic.P256(), pub)
	if x == nil {
		return errors.New("k is not a P-256 point")
	}
	parts := strings.Split(params["t"], ".")
	if len(parts) != 3 {
		return errors.New("t is not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return errors.New("bad signature encoding")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return errors.New("JWT signature does not verify with k")
	}
	var header struct{ Alg string }
	var claims struct {
		Aud string
		Exp int64
		Sub string
	}
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil || header.Alg != "ES256" {
		return errors.New("bad JWT header or claims")
	}
	if claims.Aud != p.srv.URL {
		return errors.New("aud " + claims.Aud + " is not " + p.srv.URL)
	}
	// The library signs with the real time, not the test clock.
	if exp := time.Unix(claims.Exp, 0); !exp.After(time.Now()) || exp.After(time.Now().Add(24*time.Hour)) {
		return errors.New("exp out of range")
	}
	if claims.Sub != "https://village.example" {
		return errors.New("sub " + claims.Sub)
	}
	return nil
}

// pushFixture is the notification fixture with a fake push service and a
// worker sending to it.
type pushFixture struct {
	*noteFixture
	svc    *pushService
	worker *instance.PushWorker
	keys   instance.VAPIDKeys
}

func newPushFixture(t *testing.T) *pushFixture {
	t.Helper()
	f := newNoteFixture(t)
	keys, err := f.fixture.svc.VAPIDKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ps := newPushService(t, keys.Public)
	sender := &push.Sender{Keys: keys, Subscriber: "https://village.example", Client: ps.srv.Client()}
	return &pushFixture{noteFixture: f, svc: ps, keys: keys,
		worker: instance.NewPushWorker(instance.PushWorkerOptions{Store: f.store, Pusher: sender, Clock: f.clock.now, Lease: time.Minute})}
}

func (f *pushFixture) subscribe(t *testing.T, handle, path string) *device {
	t.Helper()
	d := newDevice(t, path)
	f.svc.add(d)
	if err := f.fixture.svc.SubscribePush(ctx, f.m[handle], d.input(f.svc.srv.URL)); err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *pushFixture) run(t *testing.T) int {
	t.Helper()
	n, err := f.worker.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *pushFixture) states(t *testing.T) map[string]int {
	t.Helper()
	s, err := f.store.PushStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A notification reaches the member's phone: queued with it, encrypted
// for the device (decrypted here with the device's own key), signed with
// the instance's VAPID key, in the member's language, with the link.
func TestPushReachesTheDevice(t *testing.T) {
	f := newPushFixture(t)
	svc := f.fixture.svc
	if err := svc.UpdateProfile(ctx, f.m["rita"], instance.Profile{DisplayName: "Rita", Language: "fr"}); err != nil {
		t.Fatal(err)
	}
	f.m["rita"].Language = "fr"
	f.subscribe(t, "rita", "/push/rita-phone")
	it := f.post(t, "rita", needInput("Aller à la pharmacie"))
	if err := svc.OfferHelp(ctx, f.m["hal"], it.ID, "", false); err != nil {
		t.Fatal(err)
	}
	if st := f.states(t); st["queued"] != 1 {
		t.Fatalf("queue after the offer: %v, want one push queued with the notification", st)
	}
	if n := f.run(t); n != 1 {
		t.Fatalf("worker claimed %d, want 1", n)
	}
	got := f.svc.messages()
	if len(got) != 1 {
		t.Fatalf("push service got %d messages, want 1", len(got))
	}
	m := got[0]
	tr, err := web.Translator()
	if err != nil {
		t.Fatal(err)
	}
	if want := tr("fr", "note.help_offered", "Hal", "Aller à la pharmacie"); m.Title != "Our village" || m.Body != want {
		t.Errorf("message %+v: want the notification's text in French, %q", m, want)
	}
	if want := "https://village.example" + it.Path() + "#offers"; m.URL != want {
		t.Errorf("url %q, want %q", m.URL, want)
	}
	if strings.Contains(m.Body, "4 Mill Lane") || strings.Contains(m.Body, "01234") {
		t.Errorf("a push carries a private detail: %q", m.Body)
	}
	devices, _ := svc.PushDevices(ctx, f.m["rita"])
	if len(devices) != 1 || devices[0].LastSuccess.IsZero() {
		t.Errorf("device after a push: %+v, want its last success recorded", devices)
	}
	if st := f.states(t); st["sent"] != 1 || f.run(t) != 0 {
		t.Errorf("queue after sending: %v, want it sent and nothing left", st)
	}
}

// Pushes follow the member's email choice for the kind: "at once" only.
func TestPushFollowsTheChoices(t *testing.T) {
	f := newPushFixture(t)
	svc := f.fixture.svc
	f.subscribe(t, "rita", "/push/rita")
	if err := svc.SetNoticePrefs(ctx, f.m["rita"], map[string]string{"about_me": "daily"}); err != nil {
		t.Fatal(err)
	}
	it := f.post(t, "rita", needInput("A lift"))
	if err := svc.OfferHelp(ctx, f.m["hal"], it.ID, "", false); err != nil {
		t.Fatal(err)
	}
	if st := f.states(t); len(st) != 0 {
		t.Fatalf("queue %v: a member who chose a daily summary got a push", st)
	}
}

// A welfare concern's push says only that a concern needs the lead.
func TestPushOfAConcernSaysNothingAboutIt(t *testing.T) {
	f := newPushFixture(t)
	f.add(t, "lena", instance.RoleSafeguardingLead)
	f.subscribe(t, "lena", "/push/lena")
	if err := f.fixture.svc.RaiseConcern(ctx, f.m["olly"], "Mrs Jones at 4 Mill Lane", "She has not been seen for days"); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	got := f.svc.messages()
	if len(got) != 1 || got[0].Body != "A new concern needs you" || got[0].URL != "https://village.example/safeguarding" {
		t.Fatalf("concern push %+v, want only “A new concern needs you”", got)
	}
}

// A device the push service no longer knows (410, 404) is removed with
// what was queued for it; the member's other devices still get theirs.
func TestPushGoneRemovesTheDevice(t *testing.T) {
	f := newPushFixture(t)
	svc := f.fixture.svc
	f.subscribe(t, "rita", "/push/old-phone")
	f.subscribe(t, "rita", "/push/new-phone")
	f.svc.answer("/push/old-phone", http.StatusGone)
	it := f.post(t, "rita", needInput("A lift"))
	if err := svc.OfferHelp(ctx, f.m["hal"], it.ID, "", false); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	devices, err := svc.PushDevices(ctx, f.m["rita"])
	if err != nil {
		t.Fatal(err)
	}
	if len(devices) != 1 || !strings.HasSuffix(devices[0].Endpoint, "/push/new-phone") {
		t.Fatalf("devices after a 410: %+v, want only the new phone", devices)
	}
	if len(f.svc.messages()) != 1 {
		t.Errorf("the other device got %d messages, want 1", len(f.svc.messages()))
	}
	if st := f.states(t); st["queued"] != 0 {
		t.Errorf("queue %v: the gone device's push is still queued", st)
	}
}

// A push service in trouble (5xx) is tried again with backoff, by the
// injected clock, and the push is sent once it answers.
func TestPushRetriesWithBackoff(t *testing.T) {
	f := newPushFixture(t)
	svc := f.fixture.svc
	f.subscribe(t, "rita", "/push/rita")
	f.svc.answer("/push/rita", http.StatusServiceUnavailable)
	it := f.post(t, "rita", needInput("A lift"))
	if err := svc.OfferHelp(ctx, f.m["hal"], it.ID, "", false); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	if f.svc.hits["/push/rita"] != 1 || f.states(t)["queued"] != 1 {
		t.Fatalf("after a 503: %d requests, queue %v; want one attempt and the push still queued", f.svc.hits["/push/rita"], f.states(t))
	}
	if n := f.run(t); n != 0 {
		t.Fatalf("retried at once (%d): want to wait a minute", n)
	}
	f.clock.advance(time.Minute)
	f.run(t) // the second attempt, also 503
	f.clock.advance(4 * time.Minute)
	if n := f.run(t); n != 0 {
		t.Fatalf("third attempt after 4 minutes (%d): want the backoff to grow to 5", n)
	}
	f.svc.answer("/push/rita", 0)
	f.clock.advance(time.Minute)
	if n := f.run(t); n != 1 || len(f.svc.messages()) != 1 || f.states(t)["sent"] != 1 {
		t.Fatalf("after the service recovered: claimed %d, got %d, queue %v", n, len(f.svc.messages()), f.states(t))
	}
}

// A worker that dies after claiming a push (before or while sending it)
// loses nothing: the next one sends it once its lease runs out, exactly
// once.
func TestPushCrashBetweenEnqueueAndSendSendsOnce(t *testing.T) {
	f := newPushFixture(t)
	svc := f.fixture.svc
	f.subscribe(t, "rita", "/push/rita")
	it := f.post(t, "rita", needInput("A lift"))
	if err := svc.OfferHelp(ctx, f.m["hal"], it.ID, "", false); err != nil {
		t.Fatal(err)
	}
	// The first process claims the push and dies before sending it.
	if claimed, err := f.store.ClaimPush(ctx, f.clock.now(), time.Minute, 10); err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	restarted := instance.NewPushWorker(instance.PushWorkerOptions{Store: f.store, Clock: f.clock.now, Lease: time.Minute,
		Pusher: &push.Sender{Keys: f.keys, Subscriber: "https://village.example", Client: f.svc.srv.Client()}})
	if n, err := restarted.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("while the dead worker's lease holds: claimed %d (%v), want 0", n, err)
	}
	f.clock.advance(time.Minute)
	for range 3 {
		if _, err := restarted.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		f.clock.advance(time.Minute)
	}
	if got := len(f.svc.messages()); got != 1 {
		t.Fatalf("the push was sent %d times after the crash, want exactly once", got)
	}
}

// Pushes go only to public https endpoints: a subscription naming an
// address on the instance's own network is refused when sending (and
// kept for another try: the network may change), and one that is not
// https is refused when it is made.
func TestPushNeverReachesPrivateAddresses(t *testing.T) {
	f := newPushFixture(t)
	svc := f.fixture.svc
	f.subscribe(t, "rita", "/push/rita")
	guarded := &push.Sender{Keys: f.keys, Subscriber: "https://village.example", Client: netguard.Client(netguard.Options{})}
	err := guarded.Push(ctx, &instance.PushSubscription{ID: 1, Endpoint: f.svc.srv.URL + "/push/rita",
		P256dh: newDevice(t, "").input("").P256dh, Auth: newDevice(t, "").input("").Auth}, []byte("{}"))
	if !errors.Is(err, netguard.ErrPrivateAddress) {
		t.Fatalf("push to %s: %v, want ErrPrivateAddress", f.svc.srv.URL, err)
	}
	if f.svc.hits["/push/rita"] != 0 {
		t.Fatal("the request reached the loopback service")
	}
	plain := newDevice(t, "/x").input("http://push.example")
	err = svc.SubscribePush(ctx, f.m["rita"], plain)
	var p *instance.Problem
	if !errors.As(err, &p) || p.Code != "push.bad_subscription" {
		t.Fatalf("an http endpoint: %v, want push.bad_subscription", err)
	}
}

// A member's devices go with their account.
func TestDevicesGoWithTheAccount(t *testing.T) {
	f := newPushFixture(t)
	f.subscribe(t, "rita", "/push/rita")
	if err := f.fixture.svc.DeleteAccount(ctx, f.m["rita"], goodPassword); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, f.fixture, "push_subscriptions"); n != 0 {
		t.Fatalf("%d devices left after the account was deleted", n)
	}
}

// A device belongs to the last member who turned notifications on with
// it (a shared phone): the earlier member stops getting pushes there. A
// member may have at most MaxPushDevices devices.
func TestSharedDeviceAndDeviceLimit(t *testing.T) {
	f := newPushFixture(t)
	svc := f.fixture.svc
	d := f.subscribe(t, "rita", "/push/shared")
	if err := svc.SubscribePush(ctx, f.m["hal"], d.input(f.svc.srv.URL)); err != nil {
		t.Fatal(err)
	}
	rita, _ := svc.PushDevices(ctx, f.m["rita"])
	hal, _ := svc.PushDevices(ctx, f.m["hal"])
	if len(rita) != 0 || len(hal) != 1 {
		t.Fatalf("after hal turned on rita's phone: rita %d devices, hal %d; want 0 and 1", len(rita), len(hal))
	}
	for i := 1; i < instance.MaxPushDevices; i++ {
		f.subscribe(t, "hal", "/push/hal-"+string(rune('a'+i)))
	}
	err := svc.SubscribePush(ctx, f.m["hal"], newDevice(t, "/push/one-too-many").input(f.svc.srv.URL))
	if problemCode(err) != "push.too_many" {
		t.Fatalf("device %d: %v, want push.too_many", instance.MaxPushDevices+1, err)
	}
	if err := svc.SubscribePush(ctx, f.m["hal"], d.input(f.svc.srv.URL)); err != nil {
		t.Errorf("turning a known device on again at the limit: %v", err)
	}
}
