package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/config"
	"hearth/instance/store"
)

// hearth runs the command line in-process with its data in dir.
func hearth(t *testing.T, dir, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("HEARTH_DATA_DIR", dir)
	t.Setenv("HEARTH_CONFIG", "")
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersionAndUsage(t *testing.T) {
	dir := t.TempDir()
	if code, out, _ := hearth(t, dir, "", "version"); code != 0 || !strings.HasPrefix(out, "hearth ") {
		t.Errorf("version: %d %q", code, out)
	}
	cases := [][]string{{"frobnicate"}, {"serve", "extra"}, {"serve", "-nope"}, {"admin"}, {"admin", "frobnicate"},
		{"admin", "create-member", "--name", "X"}, {"admin", "set-role", "--handle", "x", "--role", "emperor"}, {"admin", "backup"}}
	for _, args := range cases {
		code, _, errs := hearth(t, dir, "", args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if strings.Count(strings.TrimSpace(errs), "\n") > 20 || errs == "" && args[0] != "admin" {
			t.Errorf("%v: stderr %q", args, errs)
		}
	}
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := hearth(t, dir, "", "admin", "create-member", "--handle", "ada", "--name", "Ada", "--email", "ada@example.org", "--role", "admin")
	if code != 0 {
		t.Fatalf("create-member: %d %s", code, errs)
	}
	if !strings.Contains(out, "created member @ada") || !strings.Contains(out, "password: ") {
		t.Errorf("output %q", out)
	}
	generated := strings.TrimSpace(strings.SplitN(strings.SplitN(out, "password: ", 2)[1], "\n", 2)[0])

	code, out, errs = hearth(t, dir, "a piped passphrase\n", "admin", "create-member", "--handle", "bob", "--name", "Bob")
	if code != 0 || strings.Contains(out, "password:") {
		t.Fatalf("create-member with stdin: %d %q %s", code, out, errs)
	}
	// Duplicate handle: one clear line, exit 1, nothing changed.
	code, _, errs = hearth(t, dir, "", "admin", "create-member", "--handle", "BOB", "--name", "Other Bob")
	if code != 1 || !strings.Contains(errs, "--handle: is already taken") || strings.Count(errs, "\n") != 1 {
		t.Errorf("duplicate: %d %q", code, errs)
	}
	// A common (or short) password piped in is refused in plain words.
	code, _, errs = hearth(t, dir, "Password1234\n", "admin", "create-member", "--handle", "cal", "--name", "Cal")
	if code != 1 || !strings.Contains(errs, "--password: is one of the most common passwords") {
		t.Errorf("common password: %d %q", code, errs)
	}
	code, _, errs = hearth(t, dir, "elevenchars\n", "admin", "create-member", "--handle", "cal", "--name", "Cal")
	if code != 1 || !strings.Contains(errs, "--password: must be at least 12 characters") {
		t.Errorf("short password: %d %q", code, errs)
	}
	code, _, errs = hearth(t, dir, "", "admin", "create-group", "--handle", "Lunch Club", "--name", "Lunch")
	if code != 1 || !strings.Contains(errs, "--handle: use lowercase") {
		t.Errorf("bad group handle: %d %q", code, errs)
	}
	if code, out, errs = hearth(t, dir, "", "admin", "create-group", "--handle", "lunch_club", "--name", "Lunch club"); code != 0 || !strings.Contains(out, "/groups/lunch_club") {
		t.Errorf("create-group: %d %q %s", code, out, errs)
	}
	if code, _, errs = hearth(t, dir, "", "admin", "set-role", "--handle", "bob", "--role", "coordinator, verified helper"); code != 1 ||
		!strings.Contains(errs, "only from a recorded safety check") {
		t.Errorf("set-role verified helper: %d %s, want a refusal naming the safety check", code, errs)
	}
	if code, _, errs = hearth(t, dir, "", "admin", "set-role", "--handle", "bob", "--role", "coordinator, helper"); code != 0 {
		t.Errorf("set-role: %d %s", code, errs)
	}
	if code, _, errs = hearth(t, dir, "", "admin", "set-role", "--handle", "nobody", "--role", "helper"); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("set-role unknown member: %d %q", code, errs)
	}
	if code, _, errs = hearth(t, dir, "", "admin", "suspend", "--handle", "bob"); code != 0 {
		t.Errorf("suspend: %d %s", code, errs)
	}
	if code, _, errs = hearth(t, dir, "", "admin", "suspend", "--handle", "bob"); code != 1 {
		t.Errorf("suspend twice: %d %s", code, errs)
	}
	code, out, _ = hearth(t, dir, "", "admin", "list-members", "--status", "suspended")
	if code != 0 || !strings.Contains(out, "@bob") || !strings.Contains(out, "coordinator") || !strings.Contains(out, "helper") {
		t.Errorf("list suspended: %d %q", code, out)
	}
	if code, _, _ = hearth(t, dir, "", "admin", "reinstate", "--handle", "bob"); code != 0 {
		t.Errorf("reinstate: %d", code)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code, _, errs = hearth(t, dir, "", "admin", "backup", backup); code != 0 {
		t.Fatalf("backup: %d %s", code, errs)
	}
	if code, out, _ = hearth(t, dir, "", "admin", "check"); code != 0 || !strings.Contains(out, "database ok") {
		t.Errorf("check: %d %q", code, out)
	}

	// The generated and the piped passwords both work, in the backup too.
	st, err := store.Open(context.Background(), backup)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for handle, want := range map[string]string{"ada": generated, "bob": "a piped passphrase"} {
		m, err := st.MemberByHandle(context.Background(), handle)
		if err != nil {
			t.Fatalf("%s in backup: %v", handle, err)
		}
		if ok, _ := instance.CheckPassword(m.PasswordHash, want); !ok {
			t.Errorf("%s: password %q does not match", handle, want)
		}
	}
}

func TestBadConfigRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "hearth.toml")
	os.WriteFile(cfgFile, []byte("[instance]\nregistration = \"closed\"\n"), 0o600)
	code, _, errs := hearth(t, dir, "", "serve", "-config", cfgFile)
	if code != 1 || !strings.Contains(errs, `instance.registration: must be "open", "approval" or "invite"`) {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// serve answers requests, and on shutdown finishes and closes the database
// cleanly (the WAL is checkpointed and removed).
// startServe runs serveContext with cfg until stop is called; stop
// returns what serve returned.
func startServe(t *testing.T, cfg *config.Config, logger *slog.Logger) (addr string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serveContext(ctx, cfg, logger, ready) }()
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	return addr, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(25 * time.Second):
			return errors.New("shutdown hung")
		}
	}
}

func TestServeAndGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.BaseURL = "http://127.0.0.1:8080"
	cfg.DataDir = dir
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	addr, stop := startServe(t, &cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	resp, err := http.Get("http://" + addr + "/groups/village")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Our village") {
		t.Errorf("GET /groups/village: %d", resp.StatusCode)
	}
	// The same URL serves ActivityPub JSON when asked for it.
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/groups/village", nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/activity+json" || !strings.Contains(string(body), `"type":"Group"`) {
		t.Errorf("AP GET /groups/village: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The shared inbox is reachable (an unsigned POST is refused with 401,
	// not swallowed by the web interface's form handling).
	resp, err = http.Post("http://"+addr+"/inbox", "application/activity+json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned inbox POST: %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "/setup?token=") {
		t.Error("no first-run setup link in the log")
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "hearth.db-wal")); !os.IsNotExist(err) {
		t.Errorf("WAL left behind after shutdown (database not closed cleanly): %v", err)
	}
	if !strings.Contains(logs.String(), "stopped cleanly") {
		t.Errorf("log: %s", logs.String())
	}
}

func TestTestEmailNeedsSMTP(t *testing.T) {
	code, _, errs := hearth(t, t.TempDir(), "", "admin", "test-email", "--to", "me@example.org")
	if code != 1 || !strings.Contains(errs, "email is not set up") {
		t.Errorf("exit %d, %q", code, errs)
	}
	if code, _, _ := hearth(t, t.TempDir(), "", "admin", "test-email"); code != 2 {
		t.Errorf("without --to: exit %d", code)
	}
}

// `hearth admin suspend` withdraws the member's posts as the moderation
// queue does (hidden, retracted from other servers) and logs it as the
// command line's doing.
func TestAdminSuspendWithdrawsPosts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if code, _, errs := hearth(t, dir, "a piped passphrase\n", "admin", "create-member", "--handle", "dan", "--name", "Dan"); code != 0 {
		t.Fatalf("create-member: %d %s", code, errs)
	}
	open := func() (*store.Store, *instance.Service) {
		st, err := store.Open(ctx, filepath.Join(dir, "hearth.db"))
		if err != nil {
			t.Fatal(err)
		}
		svc, err := instance.New(instance.Options{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		return st, svc
	}
	st, svc := open()
	dan, _ := svc.Member(ctx, "dan")
	offer, err := svc.CreateItem(ctx, dan, instance.ItemInput{Kind: instance.KindOffer, Title: "Cheap watches", Category: "lending", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	if code, out, errs := hearth(t, dir, "", "admin", "suspend", "--handle", "dan"); code != 0 || !strings.Contains(out, "@dan: suspended (their sessions ended and their posts were withdrawn)") {
		t.Fatalf("suspend: %d %q %s", code, out, errs)
	}
	st, svc = open()
	defer st.Close()
	if _, err := svc.Item(ctx, nil, instance.KindOffer, offer.ID); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("the suspended member's offer is still public: %v", err)
	}
	log, err := svc.ModerationLog(ctx, instance.Operator())
	if err != nil || len(log) == 0 || log[0].Action != "suspend member" || log[0].Subject != "@dan" || log[0].Actor != "command line" {
		t.Errorf("log: %+v %v", log, err)
	}
}

func TestRetentionDays(t *testing.T) {
	for days, want := range map[int]time.Duration{0: -1, 1: 24 * time.Hour, 14: 14 * 24 * time.Hour} {
		if got := retention(days); got != want {
			t.Errorf("retention(%d) = %v, want %v", days, got, want)
		}
	}
}
