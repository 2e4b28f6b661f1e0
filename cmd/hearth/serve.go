package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/crypto/acme/autocert"

	"hearth/federation"
	"hearth/instance"
	"hearth/instance/config"
	"hearth/instance/mail"
	"hearth/instance/metrics"
	"hearth/instance/netguard"
	"hearth/instance/push"
	"hearth/instance/store"
	"hearth/web"
)

func serve(args []string, stderr io.Writer) error {
	fs, cfgPath := newFlags("serve", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath, nil)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.Log, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveContext(ctx, cfg, logger, nil)
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// app is an opened instance: its store and services, and the background
// workers that write to the store.
type app struct {
	cfg   *config.Config
	store *store.Store
	svc   *instance.Service
	log   *slog.Logger
	bg    background
	// metrics is nil unless metrics_listen or metrics_token is set.
	metrics *metrics.Metrics
	// translate is the interface's catalogue, for text written outside
	// it (emails, federated posts).
	translate func(lang, key string, args ...any) string
	// node names this process in the leases it takes (nodes.go).
	node string
}

// background runs workers until stopped.
type background struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// start runs each fn in its own goroutine until ctx ends or stop is called.
func (b *background) start(ctx context.Context, fns ...func(context.Context)) {
	ctx, b.cancel = context.WithCancel(ctx)
	for _, fn := range fns {
		b.wg.Go(func() { fn(ctx) })
	}
}

// stop ends the workers and returns once every one of them has returned.
func (b *background) stop() {
	if b.cancel != nil {
		b.cancel()
	}
	b.wg.Wait()
}

// openApp opens the database (migrating it), builds the domain service and
// makes sure the main village group exists.
func openApp(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*app, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cats := make([]instance.Category, len(cfg.Categories))
	for i, c := range cfg.Categories {
		cats[i] = instance.Category{Name: c.Name, Sensitive: c.Sensitive, Names: c.Names, OverflowAfter: time.Duration(c.OverflowHours) * time.Hour}
	}
	day := 24 * time.Hour
	translate, err := web.Translator()
	if err != nil {
		st.Close()
		return nil, err
	}
	svc, err := instance.New(instance.Options{
		Store: st, Logger: logger, Registration: instance.Registration(cfg.Instance.Registration),
		ConductVersion: cfg.Instance.ConductVersion, Location: cfg.Location(), Categories: cats,
		NeedExpiry: time.Duration(cfg.Items.NeedExpiryDays) * day, ClaimLapse: time.Duration(cfg.Items.ClaimDays) * day,
		ReminderBefore: time.Duration(cfg.Items.ReminderDays) * day, DefaultVisibility: instance.Visibility(cfg.Items.DefaultVisibility),
		PurgeAfter: time.Duration(cfg.Items.PurgeAfterDays) * day, HoldWords: cfg.Moderation.HoldWords,
		PostsPerHour: cfg.Moderation.PostsPerHour, NewPostsPerHour: cfg.Moderation.NewPostsPerHour,
		RepliesPerHour: cfg.Moderation.RepliesPerHour, NewRepliesPerHour: cfg.Moderation.NewRepliesPerHour,
		NewAccountAge:            time.Duration(cfg.Moderation.NewAccountDays) * day,
		RequireEmailConfirmation: cfg.Moderation.RequireEmailConfirmation, Mailer: mailer(cfg), BaseURL: cfg.BaseURL,
		Language: cfg.Instance.Language, Translate: translate, SiteName: cfg.Instance.Name, BlockedDomains: cfg.Federation.BlockedDomains,
		UnansweredAfter: time.Duration(cfg.Notify.UnansweredHours) * time.Hour, DigestHour: cfg.Notify.DigestHour,
		OverflowAfter: time.Duration(cfg.Overflow.AfterHours) * time.Hour,
		DigestWeekday: cfg.Notify.Weekday(), ConductWritten: strings.TrimSpace(cfg.Instance.Conduct) != strings.TrimSpace(config.DefaultConduct),
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	if _, err := svc.EnsureMainGroup(ctx, cfg.Instance.Group, cfg.Instance.GroupName); err != nil {
		st.Close()
		return nil, err
	}
	// The Web Push keys are made at the first start and kept: browsers
	// tie every device's subscription to them.
	if _, err := svc.VAPIDKeys(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return &app{cfg: cfg, store: st, svc: svc, log: logger, translate: translate, node: nodeName()}, nil
}

// openStore opens the database [store] names: the SQLite file in
// data_dir, or PostgreSQL at dsn. Its errors are one line naming the
// problem (a DSN that does not parse, a server that does not answer, a
// database from a newer Hearth), never the password.
func openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	if cfg.Postgres() {
		return store.OpenPostgres(ctx, cfg.Store.DSN)
	}
	return store.Open(ctx, cfg.DatabasePath())
}

// mailer returns the SMTP relay, or nil when none is configured (then
// nothing is queued: see instance.Options.Mailer).
func mailer(cfg *config.Config) instance.Mailer {
	s := relay(cfg)
	if !s.Configured() {
		return nil
	}
	return s
}

func relay(cfg *config.Config) *mail.SMTP {
	c := cfg.SMTP
	return &mail.SMTP{Host: c.Host, Port: c.Port, Username: c.Username, Password: c.Password, From: c.From, TLS: c.TLS,
		Timeout: time.Duration(c.TimeoutSeconds) * time.Second}
}

// close stops the background workers, waiting for them, and then closes
// the database: no worker ever writes to a closed store.
func (a *app) close() {
	a.bg.stop()
	if err := a.store.Close(); err != nil {
		a.log.Error("closing the database", "err", err)
		return
	}
	a.log.Debug("database closed")
}

// handler builds the whole HTTP handler: federation takes discovery,
// inboxes and ActivityPub requests (content negotiation on the same URLs),
// the web interface everything else. setupToken unlocks the first-run page
// while no admin exists.
func (a *app) handler(setupToken string, fed *federation.Federation) (http.Handler, error) {
	w, err := web.New(web.Options{
		Service: a.svc, Logger: a.log, SiteName: a.cfg.Instance.Name, BaseURL: a.cfg.BaseURL, Secure: a.cfg.Secure(),
		Language: a.cfg.Instance.Language, Location: a.cfg.Location(), Question: a.cfg.Instance.ApplicationQuestion,
		Conduct: a.cfg.Instance.Conduct, Contact: a.cfg.Instance.Contact, SetupToken: setupToken, TrustedProxy: a.cfg.TrustedProxy,
		SearchEngines: a.cfg.Instance.SearchEngines, Observe: a.observe(),
	})
	if err != nil {
		return nil, err
	}

	r := mux.NewRouter()
	w.Register(r)
	html := w.Middleware(r)
	top := http.NewServeMux()
	if h := a.metricsOnMain(); h != nil {
		top.Handle("GET /metrics", h)
	}
	if fed == nil {
		top.Handle("/", html)
		return top, nil
	}
	top.Handle("/", http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if fed.Match(req) {
			fed.ServeHTTP(rw, req)
			return
		}
		html.ServeHTTP(rw, req)
	}))
	return top, nil
}

// federation builds the ActivityPub side, or nil when it is turned off.
func (a *app) federation() *federation.Federation {
	if !a.cfg.Federation.Enabled {
		return nil
	}
	return federation.New(federation.Options{
		Store: a.store, Service: a.svc, Logger: a.log, BaseURL: a.cfg.BaseURL, Version: versionString(),
		SiteName: a.cfg.Instance.Name, OpenRegistration: a.cfg.Instance.Registration == "open",
		AllowPrivateAddresses: a.cfg.Federation.AllowPrivateAddresses, BlockedDomains: a.cfg.Federation.BlockedDomains,
		InboundPerHost: a.cfg.Moderation.InboundPerHost, TrustedProxy: a.cfg.TrustedProxy,
		DeliveryPerHost: a.cfg.Federation.DeliveryPerHost, Retention: retention(a.cfg.Federation.RetentionDays),
		Translate: a.translate, Language: a.cfg.Instance.Language, Counters: a.counters(),
		Node: a.node, SharedDatabase: a.store.SharedDatabase(),
	})
}

// counters is what federation counts into: the metrics, or nothing.
func (a *app) counters() federation.Counters {
	if a.metrics == nil {
		return nil
	}
	return a.metrics.Federation()
}

// retention turns retention_days into federation's Retention (0 days:
// keep everything).
func retention(days int) time.Duration {
	if days == 0 {
		return -1
	}
	return time.Duration(days) * 24 * time.Hour
}

// serveContext runs the instance until ctx ends, then shuts down
// gracefully: in-flight requests get up to 20 seconds, then the database is
// closed. ready, when not nil, receives the listening address.
func serveContext(ctx context.Context, cfg *config.Config, logger *slog.Logger, ready chan<- string) error {
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()

	a.metrics = a.newMetrics()
	setupToken := ""
	if has, err := a.svc.HasAdmin(ctx); err != nil {
		return err
	} else if !has {
		setupToken = instance.RandomToken(18)
		logger.Warn("no administrator yet: open this link to create one (or use `hearth admin create-member --role admin`)",
			"url", cfg.BaseURL+"/setup?token="+setupToken)
	}
	fed := a.federation()
	h, err := a.handler(setupToken, fed)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	msrv, mln, err := a.metricsServer()
	if err != nil {
		ln.Close()
		return err
	}
	var redirect *http.Server
	switch {
	case cfg.TLS.ACME:
		m := &autocert.Manager{
			Prompt: autocert.AcceptTOS, HostPolicy: autocert.HostWhitelist(hostname(cfg.Host())),
			Cache: autocert.DirCache(filepath.Join(cfg.DataDir, "acme")), Email: cfg.TLS.ACMEEmail,
		}
		srv.TLSConfig = m.TLSConfig()
		redirect = &http.Server{Addr: cfg.TLS.HTTPListen, Handler: m.HTTPHandler(nil), ReadHeaderTimeout: 10 * time.Second}
		ln = tls.NewListener(ln, srv.TLSConfig)
	case cfg.TLS.CertFile != "":
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		if cfg.TLS.HTTPListen != "" {
			redirect = &http.Server{Addr: cfg.TLS.HTTPListen, Handler: http.HandlerFunc(toHTTPS(cfg.BaseURL)), ReadHeaderTimeout: 10 * time.Second}
		}
	}
	// Start-up (migrations, checks, templates, keys) leaves garbage behind;
	// hand it back to the system before serving, so a small server's
	// resident memory reflects what Hearth needs, not what it needed once.
	debug.FreeOSMemory()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if redirect != nil {
		go func() { errc <- redirect.ListenAndServe() }()
	}
	if msrv != nil {
		go func() { errc <- msrv.Serve(mln) }()
		logger.Info("metrics are served", "url", "http://"+mln.Addr().String()+"/metrics", "token", a.cfg.MetricsToken != "")
	}
	// The background workers write to the database: a.close (deferred
	// above) stops them and waits for them before closing it.
	workers := []func(context.Context){
		func(ctx context.Context) { sweepSessions(ctx, a, logger) },
		func(ctx context.Context) { sweepItems(ctx, a, logger) },
		func(ctx context.Context) { announceItems(ctx, a, logger) },
	}
	if m := mailer(cfg); m != nil {
		workers = append(workers, func(ctx context.Context) { runMail(ctx, a, m, logger) })
	} else {
		logger.Info("email is off: no [smtp] host in the configuration; nothing is queued")
	}
	pusher, err := a.pusher(ctx)
	if err != nil {
		return err
	}
	pushWorker := instance.NewPushWorker(instance.PushWorkerOptions{Store: a.store, Pusher: pusher, Logger: logger})
	workers = append(workers, pushWorker.Run, func(ctx context.Context) { sweepPush(ctx, a, logger) })
	if fed != nil {
		workers = append(workers, fed.Run)
	}
	a.bg.start(ctx, workers...)
	logger.Info("hearth is running", "version", versionString(), "url", cfg.BaseURL, "listen", ln.Addr().String(),
		"data_dir", cfg.DataDir, "registration", cfg.Instance.Registration)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	logger.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if redirect != nil {
		_ = redirect.Shutdown(shutdownCtx) // best effort; the main server matters
	}
	if msrv != nil {
		_ = msrv.Shutdown(shutdownCtx) // best effort too
	}
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped cleanly")
	return nil
}

// toHTTPS redirects plain-HTTP requests to the https base URL.
func toHTTPS(base string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, base+r.URL.RequestURI(), http.StatusMovedPermanently)
	}
}

func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// sweepSessions deletes expired sessions once an hour.
func sweepSessions(ctx context.Context, a *app, logger *slog.Logger) {
	a.onOneNode(ctx, "sessions", time.Hour, func(ctx context.Context) error {
		n, err := a.store.DeleteExpiredSessions(ctx, time.Now())
		if err == nil && n > 0 {
			logger.Debug("swept expired sessions", "count", n)
		}
		return err
	})
}

// sweepItems runs the time-driven item work (expiry, claim lapses,
// "still needed?" reminders, digests) and the budget rounds' and panels'
// steps once a minute.
func sweepItems(ctx context.Context, a *app, logger *slog.Logger) {
	a.onOneNode(ctx, "items", time.Minute, func(ctx context.Context) error {
		if err := a.svc.Sweep(ctx); err != nil {
			return fmt.Errorf("sweeping items: %w", err)
		}
		if err := a.svc.SweepDecide(ctx); err != nil {
			return fmt.Errorf("sweeping budget rounds and panels: %w", err)
		}
		return nil
	})
}

// announceItems emails new posts at once to the members who chose that,
// a few seconds after they are posted (never in the request that posts).
func announceItems(ctx context.Context, a *app, logger *slog.Logger) {
	a.onOneNode(ctx, "announce", 5*time.Second, func(ctx context.Context) error {
		_, err := a.svc.Announce(ctx)
		return err
	})
}

// runMail sends the mail queue (on every node: each mail is claimed with
// a lease), and once an hour, on one node, forgets old mail and spent
// password resets.
func runMail(ctx context.Context, a *app, m instance.Mailer, logger *slog.Logger) {
	w := instance.NewMailWorker(instance.MailWorkerOptions{Store: a.store, Mailer: m, Logger: logger})
	go w.Run(ctx)
	a.onOneNode(ctx, "mail", time.Hour, a.svc.SweepMail)
}

// pusher sends Web Push messages with the instance's VAPID keys, to public
// https endpoints only (unless [federation] allow_private_addresses, for
// tests). The VAPID contact is the instance's https address, or else the
// sender address of its email.
func (a *app) pusher(ctx context.Context) (*push.Sender, error) {
	keys, err := a.svc.VAPIDKeys(ctx)
	if err != nil {
		return nil, err
	}
	sub := a.cfg.BaseURL
	if !strings.HasPrefix(sub, "https://") {
		sub = a.cfg.SMTP.From
		if sub == "" {
			sub = "hearth@" + hostname(a.cfg.Host())
		}
	}
	client := netguard.Client(netguard.Options{AllowPrivate: a.cfg.Federation.AllowPrivateAddresses, Timeout: 30 * time.Second})
	return &push.Sender{Keys: keys, Subscriber: sub, Client: client}, nil
}

// sweepPush forgets pushes a week after they were sent, once an hour.
func sweepPush(ctx context.Context, a *app, logger *slog.Logger) {
	a.onOneNode(ctx, "push", time.Hour, a.svc.SweepPush)
}
