package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/store"
	"hearth/instance/store/pgtest"
	"hearth/web"
)

// village is a SQLite instance with some of everything, made through the
// domain as people would: members, groups, a need with replies, an event,
// a poll, a group image, deliveries waiting and a signed-in session.
type village struct {
	dir     string
	clock   func() time.Time
	need    int64
	action  int64
	poll    int64
	session string
}

const migratePW = "correct horse battery"

func seedVillage(t *testing.T) *village {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	v := &village{dir: t.TempDir(), clock: func() time.Time { return now }}
	st, err := store.Open(ctx, filepath.Join(v.dir, "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := villageService(t, st, v.clock)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	member := func(handle string, roles ...instance.Role) *instance.Member {
		m, err := svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: handle, DisplayName: "Name " + handle, Password: migratePW, Roles: roles})
		must(err)
		return m
	}
	ada := member("ada", instance.RoleMember, instance.RoleAdmin, instance.RoleCoordinator)
	ann, bob := member("ann", instance.RoleMember), member("bob", instance.RoleMember)
	_, err = svc.CreateGroup(ctx, instance.Operator(), instance.GroupInput{Handle: "garden", Name: "Garden club", Description: "Digging together."})
	must(err)
	must(svc.JoinGroup(ctx, ann, "garden"))
	must(svc.UpdateGroupImages(ctx, ada, "garden", instance.GroupImagesInput{Avatar: pngImage(t), AvatarAlt: "A spade"}))
	need, err := svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindNeed, Title: "A lift to the surgery",
		Description: "On Tuesday morning.", Category: "lifts", Area: "Mill Lane", Visibility: "public"})
	must(err)
	v.need = need.ID
	for _, by := range []*instance.Member{bob, ada} {
		_, err := svc.AddResponse(ctx, by, need.ID, "I can take you, "+by.Handle+" here.")
		must(err)
	}
	action, err := svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindAction, Group: "garden", Title: "Planting bulbs",
		Description: "Bring gloves.", Place: "The green", Visibility: "public",
		StartDate: instance.DateOf("2026-12-05"), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf("2026-12-05"), EndTime: instance.TimeOf("12:00")})
	must(err)
	v.action = action.ID
	poll, err := svc.CreatePoll(ctx, ann, instance.PollInput{Question: "Where should the new bench go?",
		Options: "By the pond\nOn the green", Results: string(instance.ResultsAfterVote), Visibility: "public", ClosesOn: instance.DateOf("2026-12-01"), ClosesAt: instance.TimeOf("18:00")})
	must(err)
	v.poll = poll.ID
	// Deliveries waiting, one of them failed once: the federation page
	// shows the queue and the failing server.
	must(st.EnqueueDeliveries(ctx, []*instance.Delivery{
		{Inbox: "https://far.example/inbox", Host: "far.example", Signer: instance.GroupSigner("village"), ActivityID: "https://x/1", Body: []byte(`{"a":1}`)},
		{Inbox: "https://far.example/inbox", Host: "far.example", Signer: instance.GroupSigner("village"), ActivityID: "https://x/2", Body: []byte(`{"a":2}`)},
		{Inbox: "https://near.example/inbox", Host: "near.example", Signer: instance.InstanceSigner, ActivityID: "https://x/3", Body: []byte(`{"a":3}`)},
	}, now))
	due, err := st.DueDeliveries(ctx, now, 10)
	must(err)
	if len(due) == 0 {
		t.Fatal("no deliveries due")
	}
	must(st.FinishDelivery(ctx, instance.DeliveryResult{ID: due[0].ID, Host: due[0].Host, Status: "pending", Next: now.Add(time.Hour),
		Error: "503 Service Unavailable", HostDown: true, HostRetryAt: now.Add(time.Hour)}, now))
	// An activity from another server waiting in the inbox queue.
	_, err = st.EnqueueInboxBatch(ctx, []*instance.InboxRow{{ActivityID: "https://far.example/notes/1/create", Actor: "https://far.example/users/zed",
		Type: "Create", Body: []byte(`{"type":"Create"}`)}}, now)
	must(err)
	v.session, _, err = svc.Login(ctx, "ada", migratePW, "192.0.2.1")
	must(err)
	// The keys: the group's signing key and the Web Push keys.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	must(err)
	must(st.SaveActorKey(ctx, instance.GroupSigner("village"),
		string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})), now))
	_, err = svc.VAPIDKeys(ctx)
	must(err)
	return v
}

func villageService(t *testing.T, st *store.Store, clock func() time.Time) *instance.Service {
	t.Helper()
	svc, err := instance.New(instance.Options{Store: st, Clock: clock, Registration: instance.Registration("approval"),
		PostsPerHour: 1000, NewPostsPerHour: 1000, RepliesPerHour: 1000, NewRepliesPerHour: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureMainGroup(context.Background(), "village", "Our village"); err != nil {
		t.Fatal(err)
	}
	return svc
}

func villageHandler(t *testing.T, st *store.Store, clock func() time.Time) http.Handler {
	t.Helper()
	loc, _ := time.LoadLocation("Europe/London")
	w, err := web.New(web.Options{Service: villageService(t, st, clock), SiteName: "Testham", BaseURL: "http://127.0.0.1:8080",
		Location: loc, Question: "How are you connected?", Conduct: "Be kind."})
	if err != nil {
		t.Fatal(err)
	}
	return w.Handler()
}

func pngImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	for i := range img.Pix {
		img.Pix[i] = 180
	}
	img.SetNRGBA(0, 0, color.NRGBA{A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fetch gets path from h, signed in with session when it is not "".
func fetch(h http.Handler, path, session string) (int, string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = "127.0.0.1:8080"
	req.RemoteAddr = "192.0.2.1:1234"
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "hearth_session", Value: session})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

var mediaRE = regexp.MustCompile(`/media/[A-Za-z0-9_.-]+`)

// TestMigrateStoreRoundTrip: a village copied from SQLite into PostgreSQL
// serves the same pages, to visitors and to its signed-in admin (the
// session came along), with every table's rows counted on both sides; a
// second copy into the now full database is refused and changes nothing.
func TestMigrateStoreRoundTrip(t *testing.T) {
	dsn := postgresDSN(t)
	v := seedVillage(t)
	file := filepath.Join(v.dir, "hearth.db")
	original, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := hearth(t, v.dir, "", "admin", "migrate-store", "--to", dsn)
	if code != 0 {
		t.Fatalf("migrate-store: %d\n%s\n%s", code, out, errs)
	}
	if now, err := os.ReadFile(file); err != nil || !bytes.Equal(now, original) {
		t.Errorf("the SQLite file changed (%v)", err)
	}
	ctx := context.Background()
	lite, err := store.Open(ctx, filepath.Join(v.dir, "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()

	// The report: every table, with the rows both databases hold.
	for _, table := range []string{"members", "sessions", "items", "responses", "polls", "poll_options", "media", "deliveries", "inbox_queue", "fed_events", "hosts", "actor_keys", "secrets"} {
		var inLite, inPG int64
		if err := lite.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&inLite); err != nil {
			t.Fatal(err)
		}
		if err := pg.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&inPG); err != nil {
			t.Fatal(err)
		}
		if inLite == 0 || inLite != inPG {
			t.Errorf("%s: %d rows in SQLite, %d in PostgreSQL", table, inLite, inPG)
		}
		if !regexp.MustCompile(`(?m)^  ` + table + ` +` + strconv.FormatInt(inPG, 10) + `$`).MatchString(out) {
			t.Errorf("the report does not give %s's %d rows:\n%s", table, inPG, out)
		}
	}
	// The planner has statistics at once (a manual ANALYZE; autovacuum's
	// would be last_autoanalyze).
	var analyzed int
	if err := pg.DB().QueryRow(`SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('items', 'responses', 'members') AND last_analyze IS NOT NULL`).Scan(&analyzed); err != nil || analyzed != 3 {
		t.Errorf("%d of 3 tables analyzed (%v)", analyzed, err)
	}
	// Derived values came as they were, not counted again by triggers as
	// the rows went in (the need has two replies, not four).
	counts := func(db *sql.DB) string {
		var s string
		if err := db.QueryRow(`SELECT COALESCE(string_agg(id || ':' || reply_count, ','), '') FROM (SELECT id, reply_count FROM items ORDER BY id) x`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if c1, c2 := counts(lite.DB()), counts(pg.DB()); c1 != c2 || !strings.Contains(c1, strconv.FormatInt(v.need, 10)+":2") {
		t.Errorf("reply counts: SQLite %s, PostgreSQL %s", c1, c2)
	}
	// Every identity sequence is past its table's copied ids: the next id
	// it gives is free.
	rows, err := pg.DB().Query(`SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	var identities [][2]string
	for rows.Next() {
		var tc [2]string
		if err := rows.Scan(&tc[0], &tc[1]); err != nil {
			t.Fatal(err)
		}
		identities = append(identities, tc)
	}
	rows.Close()
	if len(identities) < 10 {
		t.Fatalf("%d identity columns", len(identities))
	}
	for _, tc := range identities {
		var next, top int64
		if err := pg.DB().QueryRow(`SELECT nextval(pg_get_serial_sequence($1, $2))`, tc[0], tc[1]).Scan(&next); err != nil {
			t.Fatal(err)
		}
		if err := pg.DB().QueryRow(`SELECT COALESCE(max(` + tc[1] + `), 0) FROM ` + tc[0]).Scan(&top); err != nil {
			t.Fatal(err)
		}
		if next <= top {
			t.Errorf("%s.%s: the sequence gives %d, the table holds %d", tc[0], tc[1], next, top)
		}
	}
	if strings.Contains(out, "items_fts") || strings.Contains(out, "items_vocab") {
		t.Errorf("the report lists SQLite's search tables:\n%s", out)
	}

	before, after := villageHandler(t, lite, v.clock), villageHandler(t, pg, v.clock)
	need, action, poll := strconv.FormatInt(v.need, 10), strconv.FormatInt(v.action, 10), strconv.FormatInt(v.poll, 10)
	pages := []struct{ path, session, want string }{
		{"/", "", "A lift to the surgery"}, {"/", v.session, "Planting bulbs"},
		{"/needs/" + need, "", "I can take you, bob here."}, {"/needs/" + need, v.session, "I can take you, ada here."},
		{"/actions/" + action, "", "Bring gloves."}, {"/polls/" + poll, v.session, "On the green"},
		{"/groups/garden", "", "Digging together."}, {"/admin/federation", v.session, "far.example"},
		{"/?q=surgery", "", "A lift to the surgery"},
	}
	for _, p := range pages {
		c1, b1 := fetch(before, p.path, p.session)
		c2, b2 := fetch(after, p.path, p.session)
		if c1 != http.StatusOK || c2 != c1 || b1 != b2 || !strings.Contains(b2, p.want) {
			t.Errorf("%s (signed in: %t): SQLite %d, PostgreSQL %d; same page: %t; shows %q: %t",
				p.path, p.session != "", c1, c2, b1 == b2, p.want, strings.Contains(b2, p.want))
		}
	}
	_, group := fetch(after, "/groups/garden", "")
	img := mediaRE.FindString(group)
	if img == "" {
		t.Fatal("the group page shows no image")
	}
	c1, b1 := fetch(before, img, "")
	c2, b2 := fetch(after, img, "")
	if c1 != http.StatusOK || c2 != c1 || b1 != b2 {
		t.Errorf("group image %s: %d / %d, same bytes %t", img, c1, c2, b1 == b2)
	}

	// The sequences were moved past the copied ids: new rows go in.
	svc := villageService(t, pg, v.clock)
	if ann, err := svc.Member(ctx, "ann"); err != nil {
		t.Errorf("ann on PostgreSQL: %v", err)
	} else if _, err := svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindNeed, Title: "Soup", Description: "For two.",
		Category: "food", Area: "Mill Lane", Visibility: "public"}); err != nil {
		t.Errorf("a new need on PostgreSQL: %v", err)
	}

	// Now full: a second copy is refused, with the reason, and adds nothing.
	var items int64
	pg.DB().QueryRow(`SELECT count(*) FROM items`).Scan(&items)
	code, _, errs = hearth(t, v.dir, "", "admin", "migrate-store", "--to", dsn)
	if code != 1 || !strings.Contains(errs, "the target database is not empty") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("into a full database: exit %d, %q", code, errs)
	}
	var itemsAfter int64
	pg.DB().QueryRow(`SELECT count(*) FROM items`).Scan(&itemsAfter)
	if itemsAfter != items {
		t.Errorf("the refused copy changed the target: %d items, then %d", items, itemsAfter)
	}
}

// TestMigrateStoreRefusals: a source at another schema version and a
// target that holds rows are refused before anything is copied, each with
// its reason; a copy that fails half-way leaves the target empty; the
// source is never written.
func TestMigrateStoreRefusals(t *testing.T) {
	ctx := context.Background()
	v := seedVillage(t)
	path := filepath.Join(v.dir, "hearth.db")

	// An older file: the operator is told to start the new hearth on it.
	setVersion(t, path, store.SchemaVersion()-1)
	_, err := store.OpenSource(ctx, path)
	if !errors.Is(err, store.ErrSourceVersion) || !strings.Contains(err.Error(), "start this hearth once on the SQLite file") {
		t.Errorf("older source: %v", err)
	}
	if got := fileVersion(t, path); got != store.SchemaVersion()-1 {
		t.Errorf("the source was written: version %d", got)
	}
	setVersion(t, path, store.SchemaVersion()+1)
	if _, err := store.OpenSource(ctx, path); !errors.Is(err, store.ErrSourceVersion) || !strings.Contains(err.Error(), "newer Hearth") {
		t.Errorf("newer source: %v", err)
	}
	dsn := postgresDSN(t)
	code, _, errs := hearth(t, v.dir, "", "admin", "migrate-store", "--to", dsn)
	if code != 1 || !strings.Contains(errs, "not at this build's schema version") {
		t.Errorf("command with a newer source: %d %q", code, errs)
	}
	setVersion(t, path, store.SchemaVersion())

	// A target with one row anywhere is refused.
	pg, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, err := pg.DB().Exec(`CREATE TABLE public.notes (x TEXT); INSERT INTO public.notes VALUES ('keep me')`); err != nil {
		t.Fatal(err)
	}
	src, err := store.OpenSource(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := pg.CopyFrom(ctx, src); !errors.Is(err, store.ErrTargetNotEmpty) || !strings.Contains(err.Error(), "notes") {
		t.Errorf("non-empty target: %v", err)
	}
	if _, err := pg.DB().Exec(`DROP TABLE public.notes`); err != nil {
		t.Fatal(err)
	}

	// A value PostgreSQL cannot take, in a table copied late: the copy
	// fails naming it, and the tables copied before it are empty again.
	rw, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.DB().Exec(`UPDATE responses SET body = CAST(X'6869FF' AS TEXT) WHERE id = (SELECT max(id) FROM responses)`); err != nil {
		t.Fatal(err)
	}
	rw.Close()
	_ = src.Close()
	src, err = store.OpenSource(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pg.CopyFrom(ctx, src)
	if err == nil || !strings.Contains(err.Error(), "invalid UTF-8") {
		t.Fatalf("bad text: %v", err)
	}
	var members int64
	if err := pg.DB().QueryRow(`SELECT count(*) FROM members`).Scan(&members); err != nil || members != 0 {
		t.Errorf("after a failed copy the target holds %d members (%v)", members, err)
	}
}

func setVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("PRAGMA user_version = " + strconv.Itoa(v)); err != nil {
		t.Fatal(err)
	}
}

func fileVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// postgresDSN is a new, empty PostgreSQL database for this test (see
// pgtest: skipped without HEARTH_TEST_POSTGRES, failed without it under
// HEARTH_REQUIRE_INTEROP=1).
func postgresDSN(t *testing.T) string { return pgtest.NewDatabase(t) }

// TestMigrateStoreBadTarget: no PostgreSQL address, or one that does not
// answer, gives one line that never shows the password.
func TestMigrateStoreBadTarget(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := hearth(t, dir, "", "admin", "migrate-store", "--to", "postgres://hearth@localhost/hearth"); code != 1 || !strings.Contains(errs, "hearth.db") {
		t.Errorf("without a SQLite file: %d %q", code, errs)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	// While the file is open (its WAL holds the migrations), the operator
	// is warned the instance seems to be running.
	if _, out, _ := hearth(t, dir, "", "admin", "migrate-store", "--to", "postgres://hearth@127.0.0.1:1/hearth"); !strings.Contains(out, "Hearth seems to be running on this file") {
		t.Errorf("no warning while the file is open: %q", out)
	}
	st.Close()
	if _, out, _ := hearth(t, dir, "", "admin", "migrate-store", "--to", "postgres://hearth@127.0.0.1:1/hearth"); strings.Contains(out, "running") {
		t.Errorf("a warning once the file is closed: %q", out)
	}
	if code, _, errs := hearth(t, dir, "", "admin", "migrate-store"); code != 2 || !strings.Contains(errs, "--to is required") {
		t.Errorf("without --to: %d %q", code, errs)
	}
	if code, _, errs := hearth(t, dir, "", "admin", "migrate-store", "--to", "/var/lib/hearth.db"); code != 1 || !strings.Contains(errs, "give a PostgreSQL connection string") {
		t.Errorf("a file for --to: %d %q", code, errs)
	}
	for _, dsn := range []string{"postgres://hearth:s3cret-pw@127.0.0.1:1/hearth", "host=127.0.0.1 port=1 user=hearth password=s3cret-pw dbname=hearth"} {
		code, out, errs := hearth(t, dir, "", "admin", "migrate-store", "--to", dsn)
		if code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "127.0.0.1") {
			t.Errorf("%s: %d %q", dsn, code, errs)
		}
		if strings.Contains(errs+out, "s3cret-pw") {
			t.Errorf("the password is shown: %q", errs)
		}
	}
}

func TestHidePassword(t *testing.T) {
	for _, dsn := range []string{"postgres://hearth:s3cret-pw@db/hearth", "host=db user=hearth password=s3cret-pw"} {
		err := hidePassword(errors.New("store: could not reach hearth:s3cret-pw@db:\n\tthe reason"), dsn)
		if strings.Contains(err.Error(), "s3cret-pw") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %q", dsn, err)
		}
	}
}
