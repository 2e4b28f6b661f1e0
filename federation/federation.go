package federation

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// Options configures federation.
type Options struct {
	Store   Store
	Service *instance.Service
	Logger  *slog.Logger
	Clock   instance.Clock
	BaseURL string
	Version string
	// SiteName and Description feed NodeInfo and the instance actor.
	SiteName         string
	OpenRegistration bool
	// AllowPrivateAddresses lets fetches and deliveries reach loopback and
	// private addresses (tests on one machine only).
	AllowPrivateAddresses bool
	BlockedDomains        []string
	// SignatureWindow is how far a signed request's Date may be from now
	// (default one hour, as Mastodon).
	SignatureWindow time.Duration
	// Client, when set, replaces the outgoing HTTP client (tests).
	Client *http.Client
	// InboundPerHost caps activities accepted from one server in five
	// minutes (default 300, as GoToSocial); more get 429. The same number
	// caps refused requests from one client address.
	InboundPerHost int
	// TrustedProxy says whether a peer address is a reverse proxy whose
	// X-Forwarded-For header may be believed (nil: none is).
	TrustedProxy func(net.IP) bool
	// DeliveryPerHost caps the deliveries in flight to one host (default
	// 4); DeliveryWorkers caps them in all (default 32).
	DeliveryPerHost int
	DeliveryWorkers int
	// InboxWorkers is how many actors' inbound activities are handled at
	// once (default 8; at most half of them for one host).
	InboxWorkers int
	// Translate writes the text of federated posts from the interface's
	// catalogue (web.Translator, wired by cmd), in Language (the
	// instance's) or the poster's language. Without it the catalogue keys
	// themselves are sent.
	Translate func(lang, key string, args ...any) string
	Language  string
	// Counters is told of requests, inbox answers and delivery outcomes
	// (cmd wires the metrics; nil counts nothing).
	Counters Counters
	// Node names this process in the leases it takes (default: a random
	// name); SharedDatabase says other processes serve the same instance
	// from the same database (PostgreSQL), so inbox lanes are leased in
	// the database and not only in memory.
	Node           string
	SharedDatabase bool
	// Retention is how long processed inbound activities, finished
	// deliveries, processed events and outbox rows that no collection
	// serves are kept (default 14 days; negative keeps everything).
	Retention time.Duration
}

// Federation serves and runs the ActivityPub side of an instance.
type Federation struct {
	store     Store
	svc       *instance.Service
	log       *slog.Logger
	now       instance.Clock
	uris      uris
	client    *http.Client
	keys      *keyring
	blocked   []string
	window    time.Duration
	userAgent string
	opt       Options
	count     Counters
	router    *mux.Router
	// perHost limits verified activities from one server, perClient
	// refused requests from one client address.
	perHost   *hostLimiter
	perClient *hostLimiter
	docs      docCache
	keyMemo   keyCache
	blockList blockCache
	batch     inboxBatcher
	burst     burstMeter // the inbox's accepted activities, for the worker's pace
	contacts  contactLog
	// The workers: deliveries and inbound activities in flight, and the
	// goroutines Run started.
	deliveries      deliveryPool
	inboxLanes      inboxPool
	deliveryPerHost int
	deliveryWorkers int
	inboxWorkers    int
	inboxTimeout    time.Duration
	inboxBatchFor   time.Duration                        // how long a batch of the inbox worker runs (inboxwork.go)
	rest            func(context.Context, time.Duration) // how a lane rests during a burst (pace.go)
	running         sync.WaitGroup
}

// New builds the federation side.
func New(o Options) *Federation {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = instance.SystemClock
	}
	if o.SignatureWindow <= 0 {
		o.SignatureWindow = time.Hour
	}
	if o.Client == nil {
		o.Client = newClient(o.AllowPrivateAddresses, 30*time.Second)
	}
	if o.DeliveryPerHost <= 0 {
		o.DeliveryPerHost = defaultDeliveryPerHost
	}
	if o.DeliveryWorkers <= 0 {
		o.DeliveryWorkers = defaultDeliveryWorkers
	}
	if o.InboxWorkers <= 0 {
		o.InboxWorkers = defaultInboxWorkers
	}
	if o.Retention == 0 {
		o.Retention = defaultRetention
	}
	if o.Translate == nil {
		o.Translate = func(_, key string, _ ...any) string { return key }
	}
	if o.Language == "" {
		o.Language = "en"
	}
	if o.Counters == nil {
		o.Counters = noCounters{}
	}
	if o.Node == "" {
		o.Node = instance.RandomToken(9)
	}
	f := &Federation{store: o.Store, svc: o.Service, log: o.Logger, now: o.Clock, uris: uris{base: strings.TrimRight(o.BaseURL, "/")},
		client: o.Client, keys: newKeyring(o.Store, o.Clock), window: o.SignatureWindow, opt: o, count: o.Counters,
		userAgent:       "hearth/" + o.Version + " (+" + o.BaseURL + ")",
		deliveryPerHost: o.DeliveryPerHost, deliveryWorkers: o.DeliveryWorkers, inboxWorkers: o.InboxWorkers, inboxTimeout: inboxTimeout,
		inboxBatchFor: inboxBatchFor, rest: restFor}
	f.deliveries.freed = make(chan struct{}, 1)
	f.inboxLanes.freed = make(chan struct{}, 1)
	for _, d := range o.BlockedDomains {
		f.blocked = append(f.blocked, strings.ToLower(strings.TrimPrefix(d, "*.")))
	}
	f.router = f.routes()
	f.perHost = newHostLimiter(o.InboundPerHost, 5*time.Minute, o.Clock)
	f.perClient = newHostLimiter(o.InboundPerHost, 5*time.Minute, o.Clock)
	return f
}

// activityAccept matches the Accept headers of ActivityPub clients.
var activityAccept = regexp.MustCompile(`application/(activity\+json|ld\+json)`)

// wantsActivity reports whether a request asks for ActivityPub JSON.
func wantsActivity(r *http.Request) bool { return activityAccept.MatchString(r.Header.Get("Accept")) }

// Match reports whether a request belongs to federation rather than to the
// HTML interface: discovery documents, inbox POSTs, and any GET that asks
// for ActivityPub JSON. Everything else is for browsers.
func (f *Federation) Match(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/.well-known/"), strings.HasPrefix(p, "/nodeinfo/"), p == "/actor", strings.HasPrefix(p, "/actor/"),
		strings.HasPrefix(p, "/activities/"):
		return true
	case r.Method == http.MethodPost && (p == "/inbox" || strings.HasSuffix(p, "/inbox")):
		return true
	case strings.HasSuffix(p, "/outbox") || strings.HasSuffix(p, "/followers") || strings.HasSuffix(p, "/following") ||
		strings.HasSuffix(p, "/collections/featured") || strings.HasSuffix(p, "/collections/tags"):
		return strings.HasPrefix(p, "/groups/") || strings.HasPrefix(p, "/members/")
	case strings.HasPrefix(p, "/responses/") && !strings.HasSuffix(p, "/edit") && r.Method == http.MethodGet && wantsActivity(r):
		return true
	case strings.HasPrefix(p, "/replies/"):
		return true
	}
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && wantsActivity(r)
}

// ServeHTTP serves the federation routes.
func (f *Federation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "same-origin")
	start := time.Now()
	slot := &fedRoute{}
	sw := &statusWriter{ResponseWriter: w}
	f.router.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), fedRouteKey{}, slot)))
	route := slot.template
	if route == "" {
		route = "unmatched"
	}
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	f.count.Request(route, r.Method, sw.status, time.Since(start))
}

func (f *Federation) routes() *mux.Router {
	r := mux.NewRouter()
	r.Use(noteRoute)
	get := func(path string, h http.HandlerFunc) { r.HandleFunc(path, h).Methods(http.MethodGet, http.MethodHead) }
	get("/.well-known/webfinger", f.webfinger)
	get("/.well-known/nodeinfo", f.nodeinfoLinks)
	get("/.well-known/host-meta", f.hostMeta)
	get("/nodeinfo/{version:2.0|2.1}", f.nodeinfo)
	get("/actor", f.instanceActorDoc)
	get("/groups/{handle}", f.groupDoc)
	get("/groups/{handle}/outbox", f.outbox)
	get("/groups/{handle}/followers", f.followers)
	get("/groups/{handle}/following", f.following)
	get("/members/{handle}", f.memberDoc)
	get("/members/{handle}/{coll:outbox|followers|following}", f.emptyCollection)
	get("/actor/{coll:outbox|followers|following}", f.emptyCollection)
	get("/groups/{handle}/collections/{coll:featured|tags}", f.groupFeatured)
	get("/members/{handle}/collections/{coll:featured|tags}", f.featured)
	get("/actor/collections/{coll:featured|tags}", f.featured)
	get("/{kinds:needs|offers|actions|polls}/{id:[0-9]+}", f.itemDoc)
	get("/responses/{id:[0-9]+}", f.responseDoc)
	get("/replies/{id:[0-9]+}", f.replyDoc)
	get("/activities/{token}", f.activityDoc)
	post := func(path string) { r.HandleFunc(path, f.inbox).Methods(http.MethodPost) }
	post("/inbox")
	post("/actor/inbox")
	post("/groups/{handle}/inbox")
	post("/members/{handle}/inbox")
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "", http.StatusNotFound) })
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "", http.StatusMethodNotAllowed)
	})
	return r
}

// blockedHost reports whether a host (or a parent domain) is blocked, in
// the config or by a coordinator.
func (f *Federation) blockedHost(host string) bool {
	host = strings.ToLower(host)
	for _, d := range f.blocked {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	domains, _ := f.blocks()
	for _, d := range domains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// Run runs the workers (inbox, publishing, delivery, pruning) until ctx
// ends, and returns once every one of them has stopped (attempts in flight
// included), so that the caller closes the store only after the last
// write.
func (f *Federation) Run(ctx context.Context) {
	// A quarter of a second keeps fan-out quick; each idle tick is one
	// indexed query on a partial index of pending rows. The inbox and
	// delivery workers also start work as soon as a slot frees up.
	if f.opt.SharedDatabase {
		f.running.Add(1)
		go func() { defer f.running.Done(); f.shareLoop(ctx) }()
	}
	f.running.Add(4)
	go func() { defer f.running.Done(); f.inboxLoop(ctx, 250*time.Millisecond) }()
	go func() { defer f.running.Done(); f.loop(ctx, "publish", 250*time.Millisecond, f.PublishEvents) }()
	go func() { defer f.running.Done(); f.deliverLoop(ctx, 250*time.Millisecond) }()
	go func() { defer f.running.Done(); f.pruneLoop(ctx, pruneEvery) }()
	f.running.Wait()
	f.log.Info("federation workers stopped")
}

// Wait returns when the workers Run started have stopped, attempts in
// flight included (call it after ending Run's context, before closing the
// store).
func (f *Federation) Wait() { f.running.Wait() }

// loop runs step until it reports no more work, then waits for the tick.
func (f *Federation) loop(ctx context.Context, name string, every time.Duration, step func(context.Context) (int, error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for {
			n, err := step(ctx)
			if err != nil {
				if ctx.Err() == nil {
					f.log.Error("federation worker", "worker", name, "err", err)
				}
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// writeJSON answers with an ActivityPub document.
func writeJSON(w http.ResponseWriter, status int, contentType string, m map[string]any) {
	b, err := encode(m)
	if err != nil {
		http.Error(w, "", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Vary", "Accept")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client may have gone; nothing to do
}

const activityJSON = "application/activity+json"
