// Package config reads Hearth's TOML configuration file, applies the
// HEARTH_* environment overrides and checks every value, refusing unknown
// keys and bad values with the key's name and the reason.
package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"

	"hearth/instance"

	// Embedded zone data: small servers and containers often lack
	// /usr/share/zoneinfo, and the instance time zone must always load.
	_ "time/tzdata"
)

// Config is the whole configuration. Every key is documented in
// config.example.toml, which a test parses.
type Config struct {
	Listen         string   `toml:"listen"`
	BaseURL        string   `toml:"base_url"`
	DataDir        string   `toml:"data_dir"`
	TrustedProxies []string `toml:"trusted_proxies"`
	// MetricsListen is a separate address serving only /metrics (for
	// Prometheus); MetricsToken, when set, is the bearer token /metrics
	// requires, on that address or, without one, on listen. Neither set:
	// no metrics anywhere. MetricsProfiling adds Go's runtime profiles
	// (/debug/pprof/) to that separate address, behind the same token.
	MetricsListen    string     `toml:"metrics_listen"`
	MetricsToken     string     `toml:"metrics_token"`
	MetricsProfiling bool       `toml:"metrics_profiling"`
	Store            Store      `toml:"store"`
	Instance         Instance   `toml:"instance"`
	Federation       Federation `toml:"federation"`
	TLS              TLS        `toml:"tls"`
	Log              Log        `toml:"log"`
	Items            Items      `toml:"items"`
	Moderation       Moderation `toml:"moderation"`
	SMTP             SMTP       `toml:"smtp"`
	Notify           Notify     `toml:"notify"`
	Overflow         Overflow   `toml:"overflow"`
	Categories       []Category `toml:"categories"`

	// trustedNets is TrustedProxies parsed.
	trustedNets []*net.IPNet
}

// Instance is the [instance] table.
type Instance struct {
	Name                string `toml:"name"`
	Group               string `toml:"group"`
	GroupName           string `toml:"group_name"`
	Registration        string `toml:"registration"`
	Language            string `toml:"language"`
	TimeZone            string `toml:"time_zone"`
	ApplicationQuestion string `toml:"application_question"`
	Conduct             string `toml:"conduct"`
	ConductVersion      string `toml:"conduct_version"`
	// Contact says how to reach a coordinator, in the village's own words
	// ("Ring Jo on 01234 567890"): shown in every page's footer and on the
	// invite-only join page. Empty shows nothing.
	Contact string `toml:"contact"`
	// SearchEngines lets search engines list the public pages (never
	// needs) in robots.txt.
	SearchEngines bool `toml:"search_engines"`
}

// Federation is the [federation] table.
type Federation struct {
	Enabled               bool     `toml:"enabled"`
	AllowPrivateAddresses bool     `toml:"allow_private_addresses"`
	BlockedDomains        []string `toml:"blocked_domains"`
	// RetentionDays is how long processed inbound activities, finished
	// deliveries and other federation records are kept (0: for ever).
	RetentionDays int `toml:"retention_days"`
	// DeliveryPerHost caps the deliveries in flight to one server.
	DeliveryPerHost int `toml:"delivery_per_host"`
}

// TLS is the [tls] table.
type TLS struct {
	CertFile  string `toml:"cert_file"`
	KeyFile   string `toml:"key_file"`
	ACME      bool   `toml:"acme"`
	ACMEEmail string `toml:"acme_email"`
	// HTTPListen is a plain-HTTP address that redirects to https (and
	// answers ACME challenges); empty turns it off.
	HTTPListen string `toml:"http_listen"`
}

// Items is the [items] table: how long needs and claims last.
type Items struct {
	PurgeAfterDays    int    `toml:"purge_after_days"`
	NeedExpiryDays    int    `toml:"need_expiry_days"`
	ClaimDays         int    `toml:"claim_days"`
	ReminderDays      int    `toml:"reminder_days"`
	DefaultVisibility string `toml:"default_visibility"`
}

// Moderation is the [moderation] table.
type Moderation struct {
	HoldWords         []string `toml:"hold_words"`
	PostsPerHour      int      `toml:"posts_per_hour"`
	NewPostsPerHour   int      `toml:"new_posts_per_hour"`
	RepliesPerHour    int      `toml:"replies_per_hour"`
	NewRepliesPerHour int      `toml:"new_replies_per_hour"`
	NewAccountDays    int      `toml:"new_account_days"`
	InboundPerHost    int      `toml:"inbound_per_host"`
	// RequireEmailConfirmation makes new members confirm their address.
	RequireEmailConfirmation bool `toml:"require_email_confirmation"`
}

// SMTP is the [smtp] table: the relay for every email.
type SMTP struct {
	Host     string `toml:"host"`
	Port     int    `toml:"port"`
	Username string `toml:"username"`
	Password string `toml:"password"`
	From     string `toml:"from"`
	// TLS is "starttls" (required), "opportunistic", "implicit" or "none".
	TLS            string `toml:"tls"`
	TimeoutSeconds int    `toml:"timeout_seconds"`
}

// Notify is the [notify] table: when people are told what.
type Notify struct {
	// UnansweredHours: coordinators are told of a need nobody offered to
	// help with after this long.
	UnansweredHours int `toml:"unanswered_hours"`
	// DigestHour is the local hour (0–23) summaries are sent at, and
	// DigestWeekday the day of the weekly one.
	DigestHour    int    `toml:"digest_hour"`
	DigestWeekday string `toml:"digest_weekday"`
}

// Weekday is DigestWeekday as a time.Weekday (Validate checked it).
func (n Notify) Weekday() time.Weekday {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(n.DigestWeekday, d.String()) {
			return d
		}
	}
	return time.Monday
}

// Overflow is the [overflow] table: needs offered to neighbouring
// villages.
type Overflow struct {
	// AfterHours: a need nobody here offered to help with for this long
	// is offered to the group's trusted neighbours, if its requester
	// agreed (a category's overflow_hours overrides it).
	AfterHours int `toml:"after_hours"`
}

// Configured reports whether email is turned on.
func (s SMTP) Configured() bool { return s.Host != "" }

// Category is one [[categories]] entry.
type Category struct {
	Name      string `toml:"name"`
	Sensitive bool   `toml:"sensitive"`
	// Names are the category's names in other languages, by language
	// code: names = { fr = "courses" }. Posts keep Name; each reader sees
	// the name in their language, or Name when there is none.
	Names map[string]string `toml:"names"`
	// OverflowHours, when not 0, replaces [overflow] after_hours for
	// needs of this category.
	OverflowHours int `toml:"overflow_hours"`
}

// DefaultCategories is the starter list (the sensitive ones can only be
// claimed by verified helpers).
func DefaultCategories() []Category {
	var out []Category
	for _, c := range instance.DefaultCategories {
		out = append(out, Category{Name: c.Name, Sensitive: c.Sensitive, Names: maps.Clone(c.Names)})
	}
	return out
}

// Log is the [log] table.
type Log struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// DefaultConduct is the code of conduct used when the config gives none.
const DefaultConduct = `Be kind. Treat every neighbour with respect, whoever they are.
Keep people safe. Never share someone's address or phone number without asking them.
Only offer what you can do. If you can no longer help, say so early.
No selling, no politics campaigning, no hate. Coordinators may remove posts that break these rules.`

// Default returns the configuration used when no file is given: a working
// instance on http://127.0.0.1:8080 with its data in ./hearth-data.
func Default() Config {
	return Config{
		Listen:  "127.0.0.1:8080",
		DataDir: "hearth-data",
		Store:   Store{Driver: "sqlite"},
		Instance: Instance{
			Name:                "Our village",
			Group:               "village",
			GroupName:           "Our village",
			Registration:        "approval",
			Language:            "en",
			TimeZone:            "Europe/London",
			ApplicationQuestion: "How are you connected to the village? (For example: I live on Mill Lane.)",
			Conduct:             DefaultConduct,
			ConductVersion:      "1",
		},
		Federation: Federation{Enabled: true, RetentionDays: 14, DeliveryPerHost: 4},
		Log:        Log{Level: "info", Format: "text"},
		SMTP:       SMTP{Port: 587, TLS: "starttls", TimeoutSeconds: 30},
		Notify:     Notify{UnansweredHours: 48, DigestHour: 8, DigestWeekday: "monday"},
		Overflow:   Overflow{AfterHours: 48},
		Items:      Items{NeedExpiryDays: 14, ClaimDays: 7, ReminderDays: 3, DefaultVisibility: "public", PurgeAfterDays: 30},
		Moderation: Moderation{PostsPerHour: 20, NewPostsPerHour: 5, RepliesPerHour: 60, NewRepliesPerHour: 15, NewAccountDays: 3,
			InboundPerHost: 300},
	}
}

// Env returns an environment variable; tests pass their own.
type Env func(string) string

// Load reads the file at path (or HEARTH_CONFIG when path is empty; no file
// at all means the defaults), then applies HEARTH_LISTEN, HEARTH_BASE_URL
// HEARTH_DATA_DIR, HEARTH_SMTP_PASSWORD, HEARTH_METRICS_TOKEN and
// HEARTH_STORE_DSN, then validates.
func Load(path string, env Env) (*Config, error) {
	if env == nil {
		env = os.Getenv
	}
	if path == "" {
		path = env("HEARTH_CONFIG")
	}
	cfg := Default()
	categoriesGiven := false
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := Parse(data, &cfg); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
		categoriesGiven = len(cfg.Categories) > 0
	}
	if !categoriesGiven {
		cfg.Categories = DefaultCategories()
	}
	if v := env("HEARTH_LISTEN"); v != "" {
		cfg.Listen = v
	}
	if v := env("HEARTH_BASE_URL"); v != "" {
		cfg.BaseURL = v
	}
	if v := env("HEARTH_SMTP_PASSWORD"); v != "" {
		cfg.SMTP.Password = v
	}
	if v := env("HEARTH_DATA_DIR"); v != "" {
		cfg.DataDir = v
	}
	if v := env("HEARTH_METRICS_TOKEN"); v != "" {
		cfg.MetricsToken = v
	}
	if v := env("HEARTH_STORE_DSN"); v != "" {
		cfg.Store.DSN = v
	}
	if err := cfg.Validate(); err != nil {
		if path != "" {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	return &cfg, nil
}

// Parse decodes TOML into cfg (over its current values) and refuses keys
// that Hearth does not know, naming them.
func Parse(data []byte, cfg *Config) error {
	md, err := toml.Decode(string(data), cfg)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return fmt.Errorf("line %d: %s", perr.Position.Line, perr.Message)
		}
		return err
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return fmt.Errorf("unknown key %s (check the spelling against config.example.toml)", strings.Join(keys, ", "))
	}
	return nil
}

// keyError names the key and says what is wrong with it.
type keyError struct {
	key, reason string
}

func (e *keyError) Error() string { return e.key + ": " + e.reason }

var (
	handleRE   = regexp.MustCompile(`^[a-z0-9_]+([.-][a-z0-9_]+)*$`)
	languageRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	domainRE   = regexp.MustCompile(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$`)
)

// Validate checks every value and fills in derived ones (base_url from
// listen when it is unset). It reports all problems at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &keyError{key, fmt.Sprintf(format, args...)})
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil || port == "" {
		bad("listen", "must be host:port, such as 127.0.0.1:8080 (got %q)", c.Listen)
	}
	if c.BaseURL == "" && err == nil {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, port)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || u.Host == "" || u.Hostname() == "" {
		bad("base_url", "must be an absolute URL such as https://village.example (got %q)", c.BaseURL)
	} else {
		switch {
		case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			bad("base_url", "must be just scheme and host, with no path, query or user (got %q)", c.BaseURL)
		case u.Scheme == "http" && !IsLoopback(u.Hostname()):
			bad("base_url", "must use https:// unless the host is loopback (127.0.0.1, ::1 or localhost) for development (got %q)", c.BaseURL)
		case u.Scheme != "http" && u.Scheme != "https":
			bad("base_url", "must start with https:// (got %q)", c.BaseURL)
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("data_dir", "must not be empty")
	}
	c.trustedNets = nil
	for _, p := range c.TrustedProxies {
		if !strings.Contains(p, "/") {
			if strings.Contains(p, ":") {
				p += "/128"
			} else {
				p += "/32"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			bad("trusted_proxies", "%q is not an IP address or CIDR range", p)
			continue
		}
		c.trustedNets = append(c.trustedNets, n)
	}

	c.validateMetrics(bad)
	c.validateStore(bad)

	in := &c.Instance
	if strings.TrimSpace(in.Name) == "" || len([]rune(in.Name)) > 80 {
		bad("instance.name", "must be 1 to 80 characters")
	}
	if !handleRE.MatchString(in.Group) || len(in.Group) > 30 {
		bad("instance.group", "must be a handle of lowercase letters, digits and _ (dots or hyphens between), up to 30 characters (got %q)", in.Group)
	}
	if in.GroupName == "" {
		in.GroupName = in.Name
	}
	switch in.Registration {
	case "open", "approval", "invite":
	default:
		bad("instance.registration", `must be "open", "approval" or "invite" (got %q)`, in.Registration)
	}
	if !languageRE.MatchString(in.Language) {
		bad("instance.language", "must be a language code such as \"en\" or \"fr\" (got %q)", in.Language)
	} else if !slices.Contains(instance.Languages, in.Language) {
		bad("instance.language", "Hearth has no %q translation yet; use one of %s (a translation is a file in web/messages)",
			in.Language, strings.Join(instance.Languages, ", "))
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "" {
		bad("instance.time_zone", "must be an IANA time zone such as \"Europe/London\" (got %q)", in.TimeZone)
	}
	if in.Registration == "approval" && strings.TrimSpace(in.ApplicationQuestion) == "" {
		bad("instance.application_question", "must not be empty when registration is \"approval\"")
	}
	if strings.TrimSpace(in.Conduct) == "" {
		bad("instance.conduct", "must not be empty: people accept it when they join")
	}
	if strings.TrimSpace(in.ConductVersion) == "" {
		bad("instance.conduct_version", "must not be empty")
	}
	in.Contact = strings.TrimSpace(in.Contact)
	if len([]rune(in.Contact)) > 200 || strings.ContainsFunc(in.Contact, unicode.IsControl) {
		bad("instance.contact", "must be one line of at most 200 characters, such as \"Ring Jo on 01234 567890\"")
	}

	for i, d := range c.Federation.BlockedDomains {
		d = strings.ToLower(strings.TrimSpace(d))
		c.Federation.BlockedDomains[i] = d
		if !domainRE.MatchString(d) {
			bad("federation.blocked_domains", "%q is not a domain name", d)
		}
	}

	if d := c.Federation.RetentionDays; d < 0 || d > 3650 {
		bad("federation.retention_days", "must be between 0 (keep for ever) and 3650 days (got %d)", d)
	}
	if n := c.Federation.DeliveryPerHost; n < 1 || n > 64 {
		bad("federation.delivery_per_host", "must be between 1 and 64 (got %d)", n)
	}

	t := &c.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		bad("tls", "cert_file and key_file must be given together")
	}
	if t.ACME && t.CertFile != "" {
		bad("tls.acme", "cannot be used together with cert_file/key_file; choose one")
	}
	if (t.ACME || t.CertFile != "") && !strings.HasPrefix(c.BaseURL, "https://") {
		bad("base_url", "must use https:// when TLS is configured")
	}
	if t.ACME && strings.HasPrefix(c.BaseURL, "https://") {
		if u, err := url.Parse(c.BaseURL); err == nil && (IsLoopback(u.Hostname()) || net.ParseIP(u.Hostname()) != nil) {
			bad("tls.acme", "needs a public DNS name in base_url, not an IP address or localhost")
		}
	}
	if t.HTTPListen != "" {
		if _, _, err := net.SplitHostPort(t.HTTPListen); err != nil {
			bad("tls.http_listen", "must be host:port such as :80 (got %q)", t.HTTPListen)
		}
	}
	if t.ACME && t.HTTPListen == "" {
		bad("tls.http_listen", "must be set (usually \":80\") when acme = true: Let's Encrypt checks the domain over plain HTTP")
	}
	if t.ACMEEmail != "" && !strings.Contains(t.ACMEEmail, "@") {
		bad("tls.acme_email", "must be an email address (got %q)", t.ACMEEmail)
	}

	it := &c.Items
	if it.NeedExpiryDays < 1 || it.NeedExpiryDays > 365 {
		bad("items.need_expiry_days", "must be between 1 and 365 (got %d)", it.NeedExpiryDays)
	}
	if it.ClaimDays < 1 || it.ClaimDays > 90 {
		bad("items.claim_days", "must be between 1 and 90 (got %d)", it.ClaimDays)
	}
	if it.ReminderDays < 1 || it.ReminderDays >= it.NeedExpiryDays {
		bad("items.reminder_days", "must be at least 1 and less than need_expiry_days (got %d)", it.ReminderDays)
	}
	if it.PurgeAfterDays < 1 || it.PurgeAfterDays > 3650 {
		bad("items.purge_after_days", "must be between 1 and 3650 (got %d)", it.PurgeAfterDays)
	}
	mo := &c.Moderation
	for key, v := range map[string]int{"posts_per_hour": mo.PostsPerHour, "new_posts_per_hour": mo.NewPostsPerHour,
		"replies_per_hour": mo.RepliesPerHour, "new_replies_per_hour": mo.NewRepliesPerHour, "new_account_days": mo.NewAccountDays,
		"inbound_per_host": mo.InboundPerHost} {
		if v < 1 || v > 100000 {
			bad("moderation."+key, "must be between 1 and 100000 (got %d)", v)
		}
	}
	for _, w := range mo.HoldWords {
		if strings.TrimSpace(w) == "" {
			bad("moderation.hold_words", "must not contain empty words")
		}
	}
	if sm := c.SMTP; sm.Host != "" {
		if sm.Port < 1 || sm.Port > 65535 {
			bad("smtp.port", "must be a port number (got %d)", sm.Port)
		}
		if !strings.Contains(sm.From, "@") {
			bad("smtp.from", "must be the sender's email address when smtp.host is set (got %q)", sm.From)
		}
		switch sm.TLS {
		case "starttls", "opportunistic", "implicit", "none":
		default:
			bad("smtp.tls", `must be "starttls", "opportunistic", "implicit" or "none" (got %q)`, sm.TLS)
		}
		if sm.TLS == "starttls" && sm.Port == 465 {
			bad("smtp.tls", `port 465 speaks TLS from the start: set tls = "implicit" (or use port 587 with "starttls")`)
		}
		if sm.TimeoutSeconds < 1 || sm.TimeoutSeconds > 600 {
			bad("smtp.timeout_seconds", "must be between 1 and 600 (got %d)", sm.TimeoutSeconds)
		}
	}
	if n := c.Notify; n.UnansweredHours < 1 || n.UnansweredHours > 24*30 {
		bad("notify.unanswered_hours", "must be between 1 and 720 (got %d)", n.UnansweredHours)
	}
	if h := c.Overflow.AfterHours; h < 1 || h > 24*30 {
		bad("overflow.after_hours", "must be between 1 and 720 (got %d)", h)
	}
	if n := c.Notify; n.DigestHour < 0 || n.DigestHour > 23 {
		bad("notify.digest_hour", "must be an hour from 0 to 23 (got %d)", n.DigestHour)
	}
	if n := c.Notify; !slices.ContainsFunc([]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"},
		func(d string) bool { return strings.EqualFold(d, n.DigestWeekday) }) {
		bad("notify.digest_weekday", `must be a day of the week in English, such as "monday" (got %q)`, n.DigestWeekday)
	}
	switch it.DefaultVisibility {
	case "public", "followers", "village":
	default:
		bad("items.default_visibility", `must be "public", "followers" or "village" (got %q)`, it.DefaultVisibility)
	}
	seen := map[string]bool{}
	for i, cat := range c.Categories {
		name := strings.TrimSpace(cat.Name)
		key := fmt.Sprintf("categories[%d].name", i)
		switch {
		case name == "" || len([]rune(name)) > 40:
			bad(key, "must be 1 to 40 characters (got %q)", cat.Name)
		case seen[strings.ToLower(name)]:
			bad(key, "%q is listed twice", name)
		}
		seen[strings.ToLower(name)] = true
		c.Categories[i].Name = name
		if h := cat.OverflowHours; h < 0 || h > 24*30 {
			bad(fmt.Sprintf("categories[%d].overflow_hours", i), "must be between 1 and 720, or 0 for [overflow] after_hours (got %d)", h)
		}
		for lang, n := range cat.Names {
			key := fmt.Sprintf("categories[%d].names.%s", i, lang)
			n = strings.TrimSpace(n)
			switch {
			case !slices.Contains(instance.Languages, lang):
				bad(key, "%q is not a language Hearth has (%s)", lang, strings.Join(instance.Languages, ", "))
			case n == "" || len([]rune(n)) > 40:
				bad(key, "must be 1 to 40 characters (got %q)", n)
			}
			c.Categories[i].Names[lang] = n
		}
	}

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", `must be "debug", "info", "warn" or "error" (got %q)`, c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", `must be "text" or "json" (got %q)`, c.Log.Format)
	}
	return errors.Join(errs...)
}

// IsLoopback reports whether host names this machine only.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Secure reports whether the instance is served over https.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// Host returns the host (and port, if any) of base_url.
func (c *Config) Host() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// DatabasePath is where the SQLite file lives (driver "sqlite").
func (c *Config) DatabasePath() string { return c.DataDir + string(os.PathSeparator) + "hearth.db" }

// Location returns the instance's time zone.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Instance.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// TrustedProxy reports whether a peer address belongs to a configured
// reverse proxy, whose X-Forwarded-For header may then be believed.
func (c *Config) TrustedProxy(ip net.IP) bool {
	for _, n := range c.trustedNets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// minMetricsToken is the shortest bearer token accepted for /metrics.
const minMetricsToken = 32

// tokenRE is what a bearer token may hold (RFC 6750's b64token).
var tokenRE = regexp.MustCompile(`^[A-Za-z0-9._~+/-]+=*$`)

// validateMetrics checks metrics_listen and metrics_token: metrics are
// never public unless someone chose that, with a token.
func (c *Config) validateMetrics(bad func(key, format string, args ...any)) {
	if t := c.MetricsToken; t != "" {
		if len(t) < minMetricsToken || !tokenRE.MatchString(t) {
			bad("metrics_token", "must be at least %d characters of letters, digits and -._~+/ (for example the output of `openssl rand -hex 32`)", minMetricsToken)
		}
	}
	if c.MetricsListen == "" {
		if c.MetricsProfiling {
			bad("metrics_profiling", "needs metrics_listen: the profiles are served only on that separate address, never on listen")
		}
		return
	}
	host, port, err := net.SplitHostPort(c.MetricsListen)
	if err != nil || port == "" {
		bad("metrics_listen", "must be host:port, such as 127.0.0.1:9090 (got %q)", c.MetricsListen)
		return
	}
	if port != "0" && (c.MetricsListen == c.Listen || c.MetricsListen == c.TLS.HTTPListen) {
		bad("metrics_listen", "must be another address than listen and tls.http_listen (got %q)", c.MetricsListen)
	}
	if (host == "" || host == "0.0.0.0" || host == "::") && c.MetricsToken == "" {
		bad("metrics_listen", "%q listens on every interface, which would make the metrics public: use 127.0.0.1 or a private address, or set metrics_token", c.MetricsListen)
	}
}

// MetricsOn reports whether /metrics is served anywhere.
func (c *Config) MetricsOn() bool { return c.MetricsListen != "" || c.MetricsToken != "" }
