package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hearth.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The example file documents every key; it must parse, with no unknown
// keys, and describe the same defaults as Default().
func TestExampleConfigLoads(t *testing.T) {
	cfg, err := Load("../../config.example.toml", noEnv)
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	def := Default()
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != def.Listen || cfg.DataDir != def.DataDir || cfg.BaseURL != def.BaseURL ||
		cfg.Instance.Group != def.Instance.Group || cfg.Instance.Registration != def.Instance.Registration ||
		cfg.Federation.AllowPrivateAddresses || !cfg.Federation.Enabled || cfg.TLS.ACME {
		t.Errorf("example config differs from the defaults:\nexample %+v\ndefault %+v", cfg, def)
	}
	want := DefaultCategories()
	if len(cfg.Categories) != len(want) {
		t.Errorf("example lists %d categories, the defaults %d", len(cfg.Categories), len(want))
	}
	for i, c := range cfg.Categories {
		if i >= len(want) || !reflect.DeepEqual(c, want[i]) {
			t.Errorf("example category %d = %+v, want %+v", i, c, want[i])
		}
	}
	if cfg.Moderation.PostsPerHour != def.Moderation.PostsPerHour || cfg.Moderation.InboundPerHost != def.Moderation.InboundPerHost ||
		cfg.Moderation.NewAccountDays != def.Moderation.NewAccountDays || len(cfg.Moderation.HoldWords) != 0 {
		t.Errorf("example [moderation] %+v, default %+v", cfg.Moderation, def.Moderation)
	}
	if cfg.Items != def.Items {
		t.Errorf("example [items] %+v, default %+v", cfg.Items, def.Items)
	}
	if cfg.Notify != def.Notify || cfg.Notify.Weekday() != time.Monday {
		t.Errorf("example [notify] %+v, default %+v", cfg.Notify, def.Notify)
	}
	if strings.TrimSpace(cfg.Instance.Conduct) != strings.TrimSpace(DefaultConduct) {
		t.Errorf("example conduct differs from DefaultConduct")
	}
}

func TestDefaultsWithoutFile(t *testing.T) {
	cfg, err := Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8080" || cfg.BaseURL != "http://127.0.0.1:8080" || cfg.DataDir != "hearth-data" {
		t.Errorf("defaults = %q %q %q", cfg.Listen, cfg.BaseURL, cfg.DataDir)
	}
	if cfg.Instance.Group != "village" || cfg.Instance.Registration != "approval" || cfg.Federation.AllowPrivateAddresses {
		t.Errorf("instance defaults = %+v, federation %+v", cfg.Instance, cfg.Federation)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	path := writeConfig(t, "listen = \"127.0.0.1:9000\"\ndata_dir = \"from-file\"\n")
	env := map[string]string{
		"HEARTH_CONFIG":        path,
		"HEARTH_LISTEN":        "127.0.0.1:9100",
		"HEARTH_BASE_URL":      "https://village.example",
		"HEARTH_DATA_DIR":      "/tmp/from-env",
		"HEARTH_SMTP_PASSWORD": "from-env",
		"HEARTH_METRICS_TOKEN": strings.Repeat("t", 32),
	}
	cfg, err := Load("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MetricsToken != env["HEARTH_METRICS_TOKEN"] || !cfg.MetricsOn() {
		t.Errorf("metrics token %q from the environment not used", cfg.MetricsToken)
	}
	if cfg.SMTP.Password != "from-env" {
		t.Errorf("smtp password %q: the environment keeps secrets out of the file", cfg.SMTP.Password)
	}
	if cfg.Listen != "127.0.0.1:9100" || cfg.BaseURL != "https://village.example" || cfg.DataDir != "/tmp/from-env" {
		t.Errorf("got listen %q base %q data %q", cfg.Listen, cfg.BaseURL, cfg.DataDir)
	}
	// HEARTH_CONFIG was used: without the overrides, the file's values show.
	cfg, err = Load("", func(k string) string {
		if k == "HEARTH_CONFIG" {
			return path
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "from-file" || cfg.BaseURL != "http://127.0.0.1:9000" {
		t.Errorf("file values not used: data %q base %q", cfg.DataDir, cfg.BaseURL)
	}
}

// Every refusal names the key and says why.
func TestRefusals(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"unknown top-level key", `lissten = "x"`, "unknown key lissten"},
		{"unknown nested key", "[instance]\nnmae = \"x\"", "unknown key instance.nmae"},
		{"syntax error", "listen = ", "line 1"},
		{"wrong type", "listen = 8080", "listen"},
		{"bad listen", `listen = "8080"`, "listen: must be host:port"},
		{"http base_url on a public host", `base_url = "http://village.example"`, "base_url: must use https://"},
		{"base_url with a path", `base_url = "https://village.example/hearth"`, "base_url: must be just scheme and host"},
		{"base_url not a URL", `base_url = "village.example"`, "base_url"},
		{"ftp base_url", `base_url = "ftp://village.example"`, "base_url"},
		{"empty data_dir", `data_dir = " "`, "data_dir: must not be empty"},
		{"bad trusted proxy", `trusted_proxies = ["not-an-ip"]`, "trusted_proxies"},
		{"bad group handle", "[instance]\ngroup = \"Our Village\"", "instance.group"},
		{"bad registration", "[instance]\nregistration = \"closed\"", `instance.registration: must be "open", "approval" or "invite" (got "closed")`},
		{"bad language", "[instance]\nlanguage = \"English\"", "instance.language"},
		{"language without a translation", "[instance]\nlanguage = \"cy\"", "instance.language"},
		{"bad time zone", "[instance]\ntime_zone = \"Mars/Olympus\"", "instance.time_zone"},
		{"empty name", "[instance]\nname = \"\"", "instance.name"},
		{"empty question in approval mode", "[instance]\nregistration = \"approval\"\napplication_question = \"\"", "instance.application_question"},
		{"empty conduct", "[instance]\nconduct = \"  \"", "instance.conduct"},
		{"contact on two lines", "[instance]\ncontact = \"Ring Jo\\non 01234\"", "instance.contact: must be one line"},
		{"category name in an unknown language", "[[categories]]\nname = \"food\"\nnames = { xx = \"nosh\" }", "categories[0].names.xx"},
		{"empty category name in French", "[[categories]]\nname = \"food\"\nnames = { fr = \" \" }", "categories[0].names.fr: must be 1 to 40"},
		{"contact too long", "[instance]\ncontact = \"" + strings.Repeat("x", 201) + "\"", "instance.contact"},
		{"bad blocked domain", "[federation]\nblocked_domains = [\"not a domain\"]", "federation.blocked_domains"},
		{"negative retention", "[federation]\nretention_days = -1", "federation.retention_days: must be between 0 (keep for ever) and 3650 days (got -1)"},
		{"no deliveries per host", "[federation]\ndelivery_per_host = 0", "federation.delivery_per_host: must be between 1 and 64 (got 0)"},
		{"cert without key", "base_url = \"https://v.example\"\n[tls]\ncert_file = \"c.pem\"", "tls: cert_file and key_file must be given together"},
		{"acme and cert", "base_url = \"https://v.example\"\n[tls]\nacme = true\nhttp_listen = \":80\"\ncert_file = \"c\"\nkey_file = \"k\"", "tls.acme: cannot be used together"},
		{"acme on http", "[tls]\nacme = true\nhttp_listen = \":80\"", "base_url: must use https:// when TLS is configured"},
		{"acme on localhost", "base_url = \"https://localhost\"\n[tls]\nacme = true\nhttp_listen = \":80\"", "tls.acme: needs a public DNS name"},
		{"acme without http_listen", "base_url = \"https://v.example\"\n[tls]\nacme = true", "tls.http_listen"},
		{"bad acme email", "base_url = \"https://v.example\"\n[tls]\nacme = true\nhttp_listen = \":80\"\nacme_email = \"nope\"", "tls.acme_email"},
		{"bad log level", "[log]\nlevel = \"loud\"", "log.level"},
		{"zero expiry", "[items]\nneed_expiry_days = 0", "items.need_expiry_days"},
		{"zero purge", "[items]\npurge_after_days = 0", "items.purge_after_days"},
		{"smtp without from", "[smtp]\nhost = \"mail.example\"", "smtp.from"},
		{"smtp bad port", "[smtp]\nhost = \"mail.example\"\nfrom = \"a@b.example\"\nport = 0", "smtp.port"},
		{"smtp bad tls", "[smtp]\nhost = \"mail.example\"\nfrom = \"a@b.example\"\ntls = \"ssl\"", "smtp.tls"},
		{"smtp starttls on 465", "[smtp]\nhost = \"mail.example\"\nfrom = \"a@b.example\"\nport = 465", "smtp.tls"},
		{"smtp bad timeout", "[smtp]\nhost = \"mail.example\"\nfrom = \"a@b.example\"\ntimeout_seconds = 0", "smtp.timeout_seconds"},
		{"zero rate limit", "[moderation]\nposts_per_hour = 0", "moderation.posts_per_hour"},
		{"empty hold word", "[moderation]\nhold_words = [\"\"]", "moderation.hold_words"},
		{"reminder after expiry", "[items]\nneed_expiry_days = 5\nreminder_days = 5", "items.reminder_days"},
		{"bad claim days", "[items]\nclaim_days = 400", "items.claim_days"},
		{"bad default visibility", "[items]\ndefault_visibility = \"secret\"", "items.default_visibility"},
		{"empty category", "[[categories]]\nname = \"\"", "categories[0].name"},
		{"duplicate category", "[[categories]]\nname = \"Food\"\n[[categories]]\nname = \"food\"", "categories[1].name: \"food\" is listed twice"},
		{"unknown category key", "[[categories]]\nname = \"food\"\nsensitiv = true", "unknown key categories.sensitiv"},
		{"bad log format", "[log]\nformat = \"xml\"", "log.format"},
		{"unanswered never", "[notify]\nunanswered_hours = 0", "notify.unanswered_hours"},
		{"overflow never", "[overflow]\nafter_hours = 0", "overflow.after_hours"},
		{"overflow a category in the past", "[[categories]]\nname = \"lifts\"\noverflow_hours = -1", "categories[0].overflow_hours"},
		{"digest hour 24", "[notify]\ndigest_hour = 24", "notify.digest_hour: must be an hour from 0 to 23"},
		{"digest weekday in French", "[notify]\ndigest_weekday = \"lundi\"", "notify.digest_weekday"},
		{"unknown notify key", "[notify]\ndigest_minute = 5", "unknown key notify.digest_minute"},
		{"bad metrics_listen", `metrics_listen = "9090"`, "metrics_listen: must be host:port"},
		{"metrics on the main listener's address", "listen = \"127.0.0.1:8080\"\nmetrics_listen = \"127.0.0.1:8080\"", "metrics_listen: must be another address"},
		{"public metrics without a token", `metrics_listen = ":9090"`, "metrics_listen: \":9090\" listens on every interface"},
		{"profiles without a metrics address", `metrics_profiling = true`, "metrics_profiling: needs metrics_listen"},
		{"short metrics token", `metrics_token = "secret"`, "metrics_token: must be at least 32 characters"},
		{"metrics token with a space", `metrics_token = "` + strings.Repeat("a", 32) + ` b"`, "metrics_token: must be"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, c.body), noEnv)
			if err == nil {
				t.Fatalf("accepted %q", c.body)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestAccepted(t *testing.T) {
	cases := map[string]string{
		"http on loopback v4":             `base_url = "http://127.0.0.1:8080"`,
		"http on loopback v6":             `base_url = "http://[::1]:8080"`,
		"http on localhost":               `base_url = "http://localhost:8080"`,
		"https public":                    `base_url = "https://village.example/"`,
		"acme":                            "listen = \":443\"\nbase_url = \"https://village.example\"\n[tls]\nacme = true\nhttp_listen = \":80\"",
		"blocked wildcard":                "[federation]\nblocked_domains = [\"*.spam.example\", \"Bad.Example\"]",
		"proxies":                         `trusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1"]`,
		"invite no question":              "[instance]\nregistration = \"invite\"\napplication_question = \"\"",
		"french, other zone":              "[instance]\nlanguage = \"fr\"\ntime_zone = \"Europe/Paris\"",
		"digests at midnight":             "[notify]\ndigest_hour = 0\ndigest_weekday = \"Sunday\"",
		"metrics on loopback":             `metrics_listen = "127.0.0.1:9090"`,
		"public metrics with a token":     "metrics_listen = \":9090\"\nmetrics_token = \"" + strings.Repeat("0123456789abcdef", 4) + "\"",
		"metrics token only":              `metrics_token = "` + strings.Repeat("x", 32) + `"`,
		"profiles on the metrics address": "metrics_listen = \"127.0.0.1:9090\"\nmetrics_profiling = true",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(writeConfig(t, body), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(cfg.BaseURL, "/") {
				t.Errorf("base_url keeps its trailing slash: %q", cfg.BaseURL)
			}
		})
	}
}

func TestMissingFileIsAnError(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"), noEnv)
	if err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Fatalf("err = %v", err)
	}
}
