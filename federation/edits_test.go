package federation

import (
	"net/http"
	"strings"
	"testing"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// GoToSocial sends every edit of a status under one activity id
// (…/statuses/ID/activity#Update; captured in update-note.json). Replayed
// through the inbox: each newer edit under that id is applied (the second
// wins), the same edit again is a duplicate, and an older edit arriving
// after a newer one is ignored, with a line in the log that says so.
func TestGoToSocialEditsUnderOneID(t *testing.T) {
	logs := &logBuffer{}
	n := newNodeWith(t, func(o *instance.Options) { o.Logger = newJSONLogger(logs) }, func(o *Options) { o.Logger = newJSONLogger(logs) })
	r := fedtest.New(t, "alice")
	it := n.postNeed("public")
	send := func(body []byte) {
		t.Helper()
		if resp := r.SendRaw("alice", n.url+"/inbox", body, fedtest.SendOptions{}); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("inbox: %d", resp.StatusCode)
		}
		n.settle()
	}
	content := func() string {
		t.Helper()
		list := responses(t, n, it)
		if len(list) != 1 {
			t.Fatalf("replies: %d", len(list))
		}
		return list[0].ContentHTML
	}
	send(loadCapturedReply(t, n, r, it, "gotosocial/create-reply.json"))
	first := loadCapturedReply(t, n, r, it, "gotosocial/update-note.json")
	send(first)
	if c := content(); !strings.Contains(c, "(3 m, aluminium)") {
		t.Fatalf("the first edit was not applied: %q", c)
	}
	// GoToSocial's second edit: the same activity id, a later `updated`.
	edit := func(text, updated string) []byte {
		s := strings.ReplaceAll(string(first), "(3 m, aluminium), happy to lend it", text)
		return []byte(strings.ReplaceAll(s, `"updated": "2026-11-24T07:20:23Z"`, `"updated": "`+updated+`"`))
	}
	second := edit("(3 m) and a spare one", "2026-11-24T07:21:40Z")
	send(second)
	if c := content(); !strings.Contains(c, "(3 m) and a spare one") {
		t.Fatalf("a second edit under the same id was not applied: %q", c)
	}
	received := logs.find("activity received")
	if last := received[len(received)-1]; last["result"] != "queued" || last["activity_id"] != r.URL+"/users/alice/statuses/01M866SVZGN3C48TCSQSFPZBXT/activity#Update" {
		t.Errorf("the second edit at the inbox: %v", last)
	}
	// The same edit again is a replay.
	send(second)
	if last := logs.find("activity received"); last[len(last)-1]["result"] != "duplicate" {
		t.Errorf("a replayed edit: %v", last[len(last)-1])
	}
	// An edit older than the one kept (delivered late) changes nothing.
	send(edit("STALE", "2026-11-24T07:21:00Z"))
	if c := content(); strings.Contains(c, "STALE") || !strings.Contains(c, "(3 m) and a spare one") {
		t.Fatalf("an older edit was applied after a newer one: %q", c)
	}
	ignored := logs.find("remote edit ignored: not newer than the version kept")
	if len(ignored) != 1 || ignored[0]["level"] != "INFO" || ignored[0]["actor"] != r.Actor("alice") ||
		ignored[0]["object"] != r.URL+"/users/alice/statuses/01M866SVZGN3C48TCSQSFPZBXT" {
		t.Errorf("the ignored edit's log: %v", ignored)
	}
	// An edit without `updated` is told apart by its content's hash.
	noTime := []byte(strings.ReplaceAll(string(edit("(3 m), no time given", "x")), `"updated": "x",`, ""))
	send(noTime)
	send(noTime)
	if c := content(); !strings.Contains(c, "no time given") {
		t.Errorf("an edit without updated: %q", c)
	}
	if last := logs.find("activity received"); last[len(last)-1]["result"] != "duplicate" {
		t.Errorf("the same edit without updated again: %v", last[len(last)-1])
	}
}
