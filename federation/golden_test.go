package federation

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/store"
	"hearth/instance/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var goldenTime = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// goldenFed is a federation on https://village.example with a fixed
// clock, for byte-stable documents.
func goldenFed(t *testing.T) (*Federation, *instance.Service, *store.Store, *instance.Member) {
	t.Helper()
	st := storetest.Open(t)
	clock := func() time.Time { return goldenTime }
	svc, err := instance.New(instance.Options{Store: st, Clock: clock, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureMainGroup(ctx, "village", "Little Snoring"); err != nil {
		t.Fatal(err)
	}
	m, err := svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "ann", DisplayName: "Ann Smith", Password: "correct horse battery",
		Roles: []instance.Role{instance.RoleCoordinator}})
	if err != nil {
		t.Fatal(err)
	}
	f := New(Options{Store: st, Service: svc, BaseURL: "https://village.example", Clock: clock, Version: "1.0", SiteName: "Little Snoring",
		Translate: translator(t)})
	return f, svc, st, m
}

var activityIDRE = regexp.MustCompile(`https://village\.example/activities/[A-Za-z0-9_-]+`)

// normalise makes a document stable: keys sorted, the PEM and random
// activity ids replaced, HTML not escaped.
func normalise(t *testing.T, raw []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if k == "publicKeyPem" {
					x[k] = "<PEM>"
				} else {
					x[k] = walk(val)
				}
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case string:
			return activityIDRE.ReplaceAllString(x, "https://village.example/activities/<ID>")
		}
		return v
	}
	v = walk(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, name string, raw []byte) {
	t.Helper()
	got := normalise(t, raw)
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./federation -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}

func serveGet(t *testing.T, f *Federation, path, accept string) (int, http.Header, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "https://village.example"+path, nil)
	req.Header.Set("Accept", accept)
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

// Every document we send or serve, compared with a reviewed golden file.
func TestGoldenDocuments(t *testing.T) {
	f, svc, st, ann := goldenFed(t)
	g, _ := st.GroupByHandle(ctx, "village")
	need, err := svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindNeed, Title: "A lift to the surgery on Tuesday",
		Description: "Appointment at *10:30*, back by noon.", Category: "lifts", Area: "Mill Lane", NeededBy: instance.DateOf("2026-12-01"),
		Address: "4 Mill Lane", Contact: "01234 567890", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	offer, err := svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindOffer, Title: "Ladder to lend", Category: "lending",
		AvailableUntil: instance.DateOf("2026-12-20"), Visibility: "followers"})
	if err != nil {
		t.Fatal(err)
	}
	action, err := svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindAction, Title: "Litter-pick on the green",
		Description: "Gloves provided.", Place: "The green", StartDate: instance.DateOf("2026-12-05"), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf("2026-12-05"),
		EndTime: instance.TimeOf("12:00"), Capacity: "20"})
	if err != nil {
		t.Fatal(err)
	}
	get := map[string]string{
		"actor-group":          "/groups/village",
		"actor-instance":       "/actor",
		"note-need":            need.Path(),
		"note-action":          action.Path(),
		"collection-outbox":    "/groups/village/outbox",
		"collection-followers": "/groups/village/followers",
		"webfinger":            "/.well-known/webfinger?resource=acct:village@village.example",
		"nodeinfo-2.1":         "/nodeinfo/2.1",
		"nodeinfo-2.0":         "/nodeinfo/2.0",
	}
	for name, path := range get {
		code, h, body := serveGet(t, f, path, "application/activity+json")
		if code != 200 {
			t.Errorf("%s: %d", name, code)
			continue
		}
		if strings.HasPrefix(name, "actor") || strings.HasPrefix(name, "note") || strings.HasPrefix(name, "collection") {
			if h.Get("Content-Type") != activityJSON {
				t.Errorf("%s: content type %q", name, h.Get("Content-Type"))
			}
		}
		golden(t, name, body)
	}
	// Followers-only notes are not served to unsigned requests.
	if code, _, _ := serveGet(t, f, offer.Path(), "application/activity+json"); code != 404 {
		t.Errorf("followers-only note to an anonymous fetch: %d", code)
	}
	offerNote, extra := f.itemNote(offer, g)
	offerDoc, _ := document(offerNote, objectContext, extra)
	b, _ := encode(offerDoc)
	golden(t, "note-offer", b)

	note, extra := f.itemNote(need, g)
	for _, kind := range []string{"Create", "Update", "Delete"} {
		var doc map[string]any
		var err error
		if kind == "Delete" {
			doc, err = f.wrap(kind, f.newActivityID(), f.uris.groupActor("village"), tombstone(f.uris.item(need), goldenTime), nil,
				[]string{publicCollection}, []string{f.uris.groupActor("village") + "/followers"}, goldenTime)
		} else {
			to, cc := f.addressing(need, g)
			doc, err = f.wrap(kind, f.newActivityID(), f.uris.groupActor("village"), note, extra, to, cc, goldenTime)
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := encode(doc)
		golden(t, strings.ToLower(kind)+"-need", b)
	}
	fr := followRef{id: "https://mastodon.example/6d1a0c3e-follow", actor: "https://mastodon.example/users/alice", object: f.uris.groupActor("village")}
	acc, err := f.acceptFollow(fr.object, fr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = encode(acc)
	golden(t, "accept", b)
	out := followRef{id: f.newActivityID(), actor: f.uris.groupActor("village"), object: "https://next.example/groups/lunch"}
	fo, _ := f.follow(out)
	b, _ = encode(fo)
	golden(t, "follow", b)
	undo, _ := f.undoFollow(out)
	b, _ = encode(undo)
	golden(t, "undo-follow", b)
	// Publishing once fills the outbox page.
	if _, err := f.PublishEvents(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, body := serveGet(t, f, "/groups/village/outbox?page=true", "application/activity+json")
	golden(t, "collection-outbox-page", body)
}

// The @context of everything we serve lists only dereferenceable context
// documents (no bare joinmastodon.org/ns).
func TestContextsAreDereferenceable(t *testing.T) {
	for _, ctx := range [][]any{actorContext, objectContext} {
		for _, c := range ctx {
			if s, ok := c.(string); ok && s != "https://www.w3.org/ns/activitystreams" && s != "https://w3id.org/security/v1" {
				t.Errorf("context %q is not a known, fetchable context", s)
			}
		}
	}
}
