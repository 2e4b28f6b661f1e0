// Package multinode runs two hearth serve processes on one PostgreSQL
// database, as two nodes behind a load balancer would, and checks that
// they serve one instance: what one writes the other shows, a block made
// on one is enforced by the other within a second, and each queued
// delivery is sent once, by one of them. It needs HEARTH_TEST_POSTGRES
// (skips without it; fails under HEARTH_REQUIRE_INTEROP=1).
package multinode

import (
	"bufio"
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
	"strings"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
	"hearth/instance/store"
	"hearth/instance/store/pgtest"

	"github.com/jackc/pgx/v5"
)

var hearthBin string

// TestMain builds the hearth binary once, so the tests run the real thing
// (not when they are to skip for want of PostgreSQL).
func TestMain(m *testing.M) {
	if !pgtest.Enabled() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "hearth-multinode-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hearthBin = filepath.Join(dir, "hearth")
	cmd := exec.Command("go", "build", "-o", hearthBin, "../../cmd/hearth")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building hearth:", err)
		os.Exit(1)
	}
	code := m.Run()
	pgtest.DropTemplates()
	os.RemoveAll(dir)
	os.Exit(code)
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

// node is one running hearth serve process.
type node struct {
	name, url, cfg, log string
	cmd                 *exec.Cmd
}

// writeConfig writes a node's configuration: its own listen address and
// data directory, the instance's base URL and database shared.
func writeConfig(t *testing.T, dir, listen, base, dsn string) string {
	t.Helper()
	cfg := filepath.Join(dir, "hearth.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`listen = %q
base_url = %q
data_dir = %q
[store]
driver = "postgres"
dsn = %q
[instance]
name = "Testham"
registration = "open"
[federation]
allow_private_addresses = true
[log]
level = "debug"
`, listen, base, filepath.Join(dir, "data"), dsn)), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func start(t *testing.T, name, cfg string, port int) *node {
	t.Helper()
	n := &node{name: name, url: fmt.Sprintf("http://127.0.0.1:%d", port), cfg: cfg, log: filepath.Join(filepath.Dir(cfg), "hearth.log")}
	logf, err := os.Create(n.log)
	if err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(hearthBin, "serve", "-config", cfg)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = n.cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- n.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = n.cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(n.log)
			t.Logf("log of node %s:\n%s", n.name, tail(string(b), 20000))
		}
	})
	waitFor(t, 30*time.Second, "node "+name+" to start", func() bool {
		resp, err := http.Get(n.url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	return n
}

// logCount counts the lines of a node's log that contain every part.
func (n *node) logCount(t *testing.T, parts ...string) int {
	t.Helper()
	f, err := os.Open(n.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	count := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
scan:
	for sc.Scan() {
		for _, p := range parts {
			if !strings.Contains(sc.Text(), p) {
				continue scan
			}
		}
		count++
	}
	return count
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", d, what)
}

// browser keeps cookies for 127.0.0.1, so a session made on one node is
// sent to the other (cookies do not depend on the port): the session
// must live in the shared database for the other node to know it.
type browser struct {
	t      *testing.T
	base   string // the instance's base URL (the Origin of forms)
	client *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) post(n *node, path string, form url.Values) (int, string, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, n.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func (b *browser) get(n *node, path string) (int, string) {
	b.t.Helper()
	resp, err := b.client.Get(n.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Two nodes, one database: a post made on one shows on the other (with
// the session made on the first); a block made on one is enforced by the
// other within a second; each of many queued deliveries is sent exactly
// once, counted by fake inboxes that verify every signature, with both
// nodes sending.
func TestTwoNodesServeOneInstance(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	portA, portB := freePort(t), freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", portA) // node A answers for the instance's documents
	cfgA := writeConfig(t, t.TempDir(), fmt.Sprintf("127.0.0.1:%d", portA), base, dsn)
	cfgB := writeConfig(t, t.TempDir(), fmt.Sprintf("127.0.0.1:%d", portB), base, dsn)
	create := exec.Command(hearthBin, "admin", "create-member", "-config", cfgA, "--handle", "cora", "--name", "Cora Coordinator",
		"--email", "cora@example.org", "--role", "admin,safeguarding_lead")
	create.Stdin = strings.NewReader("correct horse battery\n")
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("create admin: %v\n%s", err, out)
	}
	a, b := start(t, "a", cfgA, portA), start(t, "b", cfgB, portB)

	// A post made on A, by a member signed in on A, shows on B to the
	// same session.
	cora := newBrowser(t, base)
	if code, _, body := cora.post(a, "/login", url.Values{"login": {"cora"}, "password": {"correct horse battery"}}); code != http.StatusSeeOther {
		t.Fatalf("login on a: %d %s", code, tail(body, 500))
	}
	code, need, body := cora.post(a, "/needs/new", url.Values{"title": {"A lift to the surgery on two nodes"}, "description": {"Tuesday"},
		"category": {"lifts"}, "area": {"Mill Lane"}, "visibility": {"public"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(need, "/needs/") {
		t.Fatalf("posting a need on a: %d %q %s", code, need, tail(body, 500))
	}
	if code, page := cora.get(b, need); code != http.StatusOK || !strings.Contains(page, "A lift to the surgery on two nodes") {
		t.Errorf("the need posted on a, read on b: %d, title shown: %v", code, strings.Contains(page, "A lift to the surgery on two nodes"))
	}
	if code, page := cora.get(b, "/settings/profile"); code != http.StatusOK || !strings.Contains(page, "Cora Coordinator") {
		t.Errorf("the session made on a is unknown to b: %d", code)
	}

	// A block made on A is enforced by B within a second.
	spam := fedtest.New(t, "spam")
	like := func(i int) map[string]any {
		return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": fmt.Sprintf("%s#like-%d", spam.Actor("spam"), i),
			"type": "Like", "actor": spam.Actor("spam"), "object": base + need}
	}
	// The Like is signed for the instance's address and sent to b, as a
	// load balancer in front of both would pass it on.
	toB := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, strings.TrimPrefix(b.url, "http://"))
		}}}
	sendToB := func(activity map[string]any) int {
		body, _ := json.Marshal(activity)
		resp, err := toB.Do(spam.SignedRequest("spam", base+"/inbox", body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := sendToB(like(0)); code != http.StatusAccepted {
		t.Fatalf("before the block, b answered %d to a signed Like, want 202", code)
	}
	if code, _, body := cora.post(a, "/admin/moderation", url.Values{"action": {"block_actor"}, "target": {spam.Actor("spam")},
		"reason": {"spam"}}); code != http.StatusSeeOther {
		t.Fatalf("blocking on a: %d %s", code, tail(body, 500))
	}
	blockedAt := time.Now()
	i := 1
	waitFor(t, time.Second, "b to refuse the actor blocked on a", func() bool {
		code := sendToB(like(i))
		i++
		return code == http.StatusForbidden
	})
	t.Logf("b enforced the block %s after a made it", time.Since(blockedAt).Round(time.Millisecond))
	waitFor(t, 5*time.Second, "b's log to give the refusal's reason", func() bool {
		return b.logCount(t, "inbound request refused", "reason=blocked_actor") > 0
	})

	// Many deliveries queued at once: both nodes send, and each is sent
	// exactly once.
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const hosts, perHost = 10, 30
	remotes := make([]*fedtest.Remote, hosts)
	var list []*instance.Delivery
	group := base + "/groups/village"
	for h := range remotes {
		remotes[h] = fedtest.New(t)
		for u := range perHost {
			id := fmt.Sprintf("%s/activities/multinode-%d-%d", base, h, u)
			body := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Announce","actor":%q,"object":%q}`,
				id, group, base+need)
			list = append(list, &instance.Delivery{Inbox: fmt.Sprintf("%s/users/u%d/inbox", remotes[h].URL, u), Host: remotes[h].Host(),
				Signer: "group:village", ActivityID: id, Body: []byte(body)})
		}
	}
	if err := st.EnqueueDeliveries(ctx, list, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Minute, "the deliveries to be sent", func() bool {
		_, _, pending, err := st.FederationBacklog(ctx)
		return err == nil && pending == 0
	})
	got := map[string]int{}
	for _, r := range remotes {
		for _, f := range r.Failures() {
			t.Errorf("a fake inbox refused a delivery: %s", f)
		}
		for _, rec := range r.Received() {
			got[fmt.Sprint(rec.Activity["id"])]++
		}
	}
	if len(got) != len(list) {
		t.Errorf("%d of %d deliveries arrived", len(got), len(list))
	}
	for id, k := range got {
		if k != 1 {
			t.Errorf("%s arrived %d times", id, k)
		}
	}
	sentA, sentB := a.logCount(t, "msg=delivered", "multinode-"), b.logCount(t, "msg=delivered", "multinode-")
	t.Logf("deliveries sent: %d by a, %d by b", sentA, sentB)
	if sentA == 0 || sentB == 0 || sentA+sentB != len(list) {
		t.Errorf("deliveries sent: %d by a and %d by b, want both nodes sending, %d in all", sentA, sentB, len(list))
	}

	// The database goes away under both nodes: pages and inboxes answer
	// 503 with Retry-After (never 202 for what was not stored), and both
	// recover by themselves when it is back.
	admin, err := pgx.Connect(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	u, _ := url.Parse(dsn)
	name := pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()
	exec := func(q string) {
		t.Helper()
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false")
	exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + strings.TrimPrefix(u.Path, "/") + "'")
	visitor := newBrowser(t, base)
	helper := fedtest.New(t, "helper")
	resp, err := http.Get(a.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("home on a with the database away: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	reply := func(i int) map[string]any {
		note := fmt.Sprintf("%s/notes/away-%d", helper.Actor("helper"), i)
		return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": note + "/create", "type": "Create",
			"actor": helper.Actor("helper"), "object": map[string]any{"id": note, "type": "Note", "attributedTo": helper.Actor("helper"),
				"inReplyTo": base + need, "content": "<p>I can drive on Tuesday</p>", "to": []string{"https://www.w3.org/ns/activitystreams#Public"}}}
	}
	raw, _ := json.Marshal(reply(0))
	resp, err = toB.Do(helper.SignedRequest("helper", base+"/inbox", raw))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("inbox on b with the database away: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true")
	waitFor(t, 30*time.Second, "both nodes to serve again once the database is back", func() bool {
		ca, _ := visitor.get(a, "/")
		cb, _ := visitor.get(b, "/")
		return ca == http.StatusOK && cb == http.StatusOK
	})
	raw, _ = json.Marshal(reply(1))
	resp, err = toB.Do(helper.SignedRequest("helper", base+"/inbox", raw))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("inbox on b once the database is back: %d, want 202", resp.StatusCode)
	}
}
