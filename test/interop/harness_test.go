// Package interop tests Hearth against software nobody here wrote: a real
// fediverse server built on Fedify (peer.mjs), and pages checked in a real
// Chromium with axe-core. The tests need Node.js with `npm ci` run in this
// folder, and Debian's chromium; without them they skip with a message,
// unless HEARTH_REQUIRE_INTEROP=1 (as in CI), when they fail.
package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/store"
)

var hearthBin string

// TestMain builds the hearth binary once, so the tests run the real thing.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hearth-interop-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hearthBin = filepath.Join(dir, "hearth")
	if runtime.GOOS == "windows" {
		hearthBin += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", hearthBin, "../../cmd/hearth")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building hearth:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// need skips (or, with HEARTH_REQUIRE_INTEROP=1, fails) when a tool is
// missing.
func need(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("HEARTH_REQUIRE_INTEROP") == "1" {
		t.Fatalf("HEARTH_REQUIRE_INTEROP=1 but %s", what)
	}
	t.Skipf("skipping: %s", what)
}

func needNode(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("node")
	need(t, err == nil, "node is not installed (Node.js 20+ is needed for the Fedify peer)")
	_, err = os.Stat("node_modules/@fedify/fedify/package.json")
	need(t, err == nil, "node_modules is missing: run `npm ci` in test/interop")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// hearth is a running instance of the built binary.
type hearth struct {
	url, host, dir, log string
	cmd                 *exec.Cmd
}

// startHearth runs hearth with a fresh data dir and an admin "cora".
func startHearth(t *testing.T, registration string, extra ...string) *hearth {
	t.Helper()
	return startHearthWith(t, registration, true, extra...)
}

// startHearthWith runs hearth with a fresh data dir and, when admin is
// true, an admin "cora" (without, the site is still being set up).
func startHearthWith(t *testing.T, registration string, admin bool, extra ...string) *hearth {
	t.Helper()
	port := freePort(t)
	h := &hearth{host: fmt.Sprintf("127.0.0.1:%d", port), dir: t.TempDir()}
	h.url = "http://" + h.host
	cfg := filepath.Join(h.dir, "hearth.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`listen = %q
base_url = %q
data_dir = %q
[instance]
name = "Testham"
registration = %q
contact = "Ring Jo on 01234 567890"
[federation]
allow_private_addresses = true
[log]
level = "debug"
`, h.host, h.url, filepath.Join(h.dir, "data"), registration)+strings.Join(extra, "\n")), 0o600)
	if admin {
		cmd := exec.Command(hearthBin, "admin", "create-member", "-config", cfg, "--handle", "cora", "--name", "Cora Coordinator",
			"--email", "cora@example.org", "--role", "admin,safeguarding_lead")
		cmd.Stdin = strings.NewReader("correct horse battery\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("create admin: %v\n%s", err, out)
		}
	}
	h.log = filepath.Join(h.dir, "hearth.log")
	logf, err := os.Create(h.log)
	if err != nil {
		t.Fatal(err)
	}
	h.cmd = exec.Command(hearthBin, "serve", "-config", cfg)
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- h.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			h.cmd.Process.Kill()
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(h.log)
			t.Logf("hearth log:\n%s", tail(string(b), 60000))
		}
	})
	waitFor(t, 15*time.Second, "hearth to start", func() bool {
		resp, err := http.Get(h.url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return h
}

// waitDrained waits until the instance's federation queues are empty: no
// unprocessed inbound activity or event, no pending delivery. It reads
// the database beside the running server (SQLite in WAL mode allows it).
func (h *hearth) waitDrained(t *testing.T) {
	t.Helper()
	h.waitDrainedWithin(t, 20*time.Second)
}

// waitDrainedWithin is waitDrained with its own limit, for queues that
// hold work due later (a poll's next Update).
func (h *hearth) waitDrainedWithin(t *testing.T, limit time.Duration) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(h.dir, "data", "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var inbox, events, deliveries int
	waitFor(t, limit, "the federation queues to drain", func() bool {
		inbox, events, deliveries, err = st.FederationBacklog(context.Background())
		return err == nil && inbox+events+deliveries == 0
	})
}

// failingHost records, beside the running server, a delivery to a server
// that said it was down, so the federation health page has one to show
// (its retry is an hour away: the running worker leaves it alone).
func (h *hearth) failingHost(t *testing.T, host string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(h.dir, "data", "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if err := st.EnqueueDeliveries(ctx, []*instance.Delivery{{Inbox: "https://" + host + "/inbox", Host: host, Signer: "group:village",
		ActivityID: h.url + "/activities/seed", Body: []byte(`{}`)}}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	due, err := st.DueDeliveries(ctx, now.Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range due {
		if d.Host != host {
			continue
		}
		if err := st.FinishDelivery(ctx, instance.DeliveryResult{ID: d.ID, Host: host, Status: "pending", Next: now.Add(time.Hour),
			Error: "HTTP 503", HostDown: true, HostRetryAt: now.Add(time.Hour)}, now); err != nil {
			t.Fatal(err)
		}
	}
}

// member creates an active member from the command line (as an
// operator would, with the instance running).
func (h *hearth) member(t *testing.T, handle, name string) {
	t.Helper()
	cmd := exec.Command(hearthBin, "admin", "create-member", "-config", filepath.Join(h.dir, "hearth.toml"), "--handle", handle,
		"--name", name, "--email", handle+"@example.org")
	cmd.Stdin = strings.NewReader("correct horse battery\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create member %s: %v\n%s", handle, err, out)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// waitFor polls cond until it holds or the deadline passes (bounded).
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// browser is a cookie-keeping HTTP client for Hearth's web forms.
type browser struct {
	t      *testing.T
	h      *hearth
	client *http.Client
}

func (h *hearth) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, h: h, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.h.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.h.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.client.Get(b.h.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) login(handle, password string) {
	b.t.Helper()
	if code, _, body := b.post("/login", url.Values{"login": {handle}, "password": {password}}); code != http.StatusSeeOther {
		b.t.Fatalf("login %s: %d %s", handle, code, tail(body, 500))
	}
}

// peer is the running Fedify server.
type peer struct {
	url, host string
}

func startPeer(t *testing.T) *peer {
	t.Helper()
	cmd := exec.Command("node", "peer.mjs", "--port", "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("peer stderr:\n%s", tail(stderr.String(), 4000))
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if port, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- port
			}
		}
	}()
	select {
	case port := <-ready:
		p := &peer{host: "127.0.0.1:" + port}
		p.url = "http://" + p.host
		return p
	case <-time.After(30 * time.Second):
		t.Fatalf("the Fedify peer did not start:\n%s", stderr.String())
	}
	return nil
}

func (p *peer) actor() string { return p.url + "/users/alice" }

// call POSTs to the control API and decodes the answer.
func (p *peer) call(t *testing.T, path string, in any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(in)
	resp, err := http.Post(p.url+"/control/"+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 200 {
		t.Fatalf("peer %s: %d %v", path, resp.StatusCode, out)
	}
	return out
}

// activity is one the peer received and verified: kept, or dropped by
// its GoToSocial-like filter, with the reason.
type activity struct {
	Type   string         `json:"type"`
	ID     string         `json:"id"`
	Actor  string         `json:"actor"`
	JSON   map[string]any `json:"json"`
	Kept   bool           `json:"kept"`
	Reason string         `json:"reason"`
}

func (p *peer) received() ([]activity, []string) {
	resp, err := http.Get(p.url + "/control/received")
	if err != nil {
		return nil, []string{err.Error()}
	}
	defer resp.Body.Close()
	var out struct {
		Received []activity `json:"received"`
		Errors   []string   `json:"errors"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	return out.Received, out.Errors
}

// gotCreate reports whether a Create containing text reached the peer
// (kept or dropped: it was delivered).
func (p *peer) gotCreate(text string) bool {
	all, _ := p.received()
	for _, c := range all {
		raw, _ := json.Marshal(c.JSON)
		if c.Type == "Create" && strings.Contains(string(raw), text) {
			return true
		}
	}
	return false
}

// ofType lists the activities of a type the peer kept.
func (p *peer) ofType(typ string) []activity {
	return p.filter(func(a activity) bool { return a.Type == typ && a.Kept })
}

// dropped lists the activities of a type the peer's filter dropped.
func (p *peer) dropped(typ string) []activity {
	return p.filter(func(a activity) bool { return a.Type == typ && !a.Kept })
}

func (p *peer) filter(want func(activity) bool) []activity {
	all, _ := p.received()
	var out []activity
	for _, a := range all {
		if want(a) {
			out = append(out, a)
		}
	}
	return out
}
