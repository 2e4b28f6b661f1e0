package web

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/instance"
)

// The service worker, the manifest and its icons are served to anyone
// (a phone fetches them without a session), each with its content type;
// the worker from the root, so its scope is the whole site.
func TestServiceWorkerAndManifest(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	c := h.client()
	sw := c.get("/sw.js")
	if sw.status != http.StatusOK || !strings.HasPrefix(sw.header.Get("Content-Type"), "text/javascript") ||
		sw.header.Get("Service-Worker-Allowed") != "/" || !strings.Contains(sw.body, "showNotification") {
		t.Fatalf("/sw.js: %d %v", sw.status, sw.header)
	}
	m := c.get("/manifest.webmanifest")
	if m.status != http.StatusOK || m.header.Get("Content-Type") != "application/manifest+json" {
		t.Fatalf("manifest: %d %v", m.status, m.header)
	}
	var man struct {
		Name, StartURL, Display, ThemeColor string
		Icons                               []struct{ Src, Sizes, Type string }
	}
	if err := json.Unmarshal([]byte(strings.NewReplacer(`"start_url"`, `"StartURL"`, `"theme_color"`, `"ThemeColor"`).Replace(m.body)), &man); err != nil {
		t.Fatal(err)
	}
	if man.Name != "Testham" || man.StartURL != "/" || man.Display != "standalone" || man.ThemeColor != themeColour || len(man.Icons) != 2 {
		t.Fatalf("manifest %+v", man)
	}
	if !strings.Contains(string(mustRead(t, "static/style.css")), "--accent: "+themeColour) {
		t.Errorf("the theme colour %s is not the stylesheet's accent", themeColour)
	}
	for _, icon := range man.Icons {
		r := c.get(icon.Src)
		img, err := png.Decode(bytes.NewReader([]byte(r.body)))
		if err != nil || r.header.Get("Content-Type") != "image/png" {
			t.Fatalf("%s: %v %v", icon.Src, err, r.header)
		}
		if got := img.Bounds().Dx(); icon.Sizes != fmt.Sprintf("%dx%d", got, got) {
			t.Errorf("%s is %dpx, manifest says %s", icon.Src, got, icon.Sizes)
		}
	}
	mustContain(t, c.get("/").body, `<link rel="manifest" href="/manifest.webmanifest">`)
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := assets.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var scriptRE = regexp.MustCompile(`<script[^>]*>`)

// Only the notifications page runs a script, an external file of our own
// (no inline script anywhere): its CSP allows scripts from this site, the
// others allow none. Without JavaScript the section says what is needed.
func TestOnlyTheNotificationsPageHasAScript(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	ann := h.as("ann")
	r := ann.get("/notifications")
	csp := r.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "worker-src 'self'") {
		t.Fatalf("notifications CSP %q", csp)
	}
	tags := scriptRE.FindAllString(r.body, -1)
	if len(tags) != 1 || !strings.Contains(tags[0], `src="/static/push-toggle.js?v=`) {
		t.Fatalf("script tags %v: want one external script", tags)
	}
	if strings.Contains(r.body, "<script>") {
		t.Fatal("an inline script")
	}
	mustContain(t, r.body, `<p id="push-status" role="status">Notifications on a phone need JavaScript`,
		`<button type="button" id="push-on" hidden>Turn on notifications on this device</button>`,
		`<button type="button" id="push-off" class="secondary" hidden>Turn off on this device</button>`)
	key := regexp.MustCompile(`data-key="([^"]+)"`).FindStringSubmatch(r.body)
	if raw, err := base64.RawURLEncoding.DecodeString(key[1]); err != nil || len(raw) != 65 || raw[0] != 4 {
		t.Fatalf("data-key %q is not an uncompressed P-256 point", key[1])
	}
	if js := ann.get(tags[0][strings.Index(tags[0], "/static/"):strings.LastIndex(tags[0], `"`)]); js.status != http.StatusOK ||
		!strings.Contains(js.header.Get("Content-Type"), "javascript") {
		t.Fatalf("the script: %d %v", js.status, js.header)
	}
	for _, path := range []string{"/", "/me", "/settings/notifications", "/settings/profile"} {
		page := ann.get(path)
		if strings.Contains(page.header.Get("Content-Security-Policy"), "script-src") || scriptRE.MatchString(page.body) {
			t.Errorf("%s allows or carries a script", path)
		}
	}
}

// A device turned on by the page's script is listed on the settings page
// and removed from there without a script; "Turn off on this device"
// removes it too; another member cannot remove it.
func TestDevicesListedAndRemoved(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	h.member("bob")
	ann, bob := h.as("ann"), h.as("bob")
	key, _ := ecdh.P256().GenerateKey(rand.Reader)
	auth := make([]byte, 16)
	rand.Read(auth)
	sub := url.Values{"endpoint": {"https://push.example/send/abc"}, "p256dh": {base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes())},
		"auth": {base64.RawURLEncoding.EncodeToString(auth)}}
	r := ann.do(http.MethodPost, "/push/subscribe", sub, map[string]string{
		"User-Agent": "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"})
	if r.status != http.StatusNoContent {
		t.Fatalf("subscribe: %d %s", r.status, r.body)
	}
	page := ann.get("/settings/notifications").body
	mustContain(t, page, `<strong>Firefox · Android</strong>`, `Remove Firefox · Android`)
	id := regexp.MustCompile(`/settings/devices/(\d+)/remove`).FindStringSubmatch(page)[1]
	if r := bob.post("/settings/devices/"+id+"/remove", nil); r.status != http.StatusNotFound {
		t.Fatalf("another member removing the device: %d, want 404", r.status)
	}
	if r := ann.post("/settings/devices/"+id+"/remove", nil); r.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.status)
	}
	mustContain(t, ann.get("/settings/notifications").body, "None yet.")
	ann.post("/push/subscribe", sub)
	if r := ann.post("/push/unsubscribe", url.Values{"endpoint": sub["endpoint"]}); r.status != http.StatusNoContent {
		t.Fatalf("unsubscribe: %d", r.status)
	}
	mustContain(t, ann.get("/settings/notifications").body, "None yet.")
	bad := url.Values{"endpoint": {"http://push.example/x"}, "p256dh": sub["p256dh"], "auth": sub["auth"]}
	if r := ann.post("/push/subscribe", bad); r.status != http.StatusBadRequest || !strings.Contains(r.body, "notification subscription we cannot use") {
		t.Fatalf("an http endpoint: %d", r.status)
	}
	if r := h.client().post("/push/subscribe", sub); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Fatalf("a visitor subscribing: %d %s", r.status, r.location())
	}
}
