package federation

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// logBuffer collects JSON log lines for tests that check why something
// was refused.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// find returns the log records with message msg.
func (l *logBuffer) find(msg string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// loadCaptured reads a captured payload with its hosts rewritten to the
// fake remote and to n (see TestCapturedPayloads).
func loadCapturedReply(t *testing.T, n *node, r *fedtest.Remote, it *instance.Item, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "remote", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(
		"https://village.test/groups/village/notes/1795504772003", n.url+it.Path(),
		"https://village.test", n.url,
		"https://gts.test", r.URL,
	).Replace(string(b)))
}

// GoToSocial's captured reply, signed and sent to our inbox and processed
// by the worker, obeys the hold words as a local reply does: it is held
// for a coordinator and in the moderation queue, not shown. (Before
// federation went through the domain it was published.)
func TestCapturedReplyWithHoldWordIsHeld(t *testing.T) {
	n := newNodeWith(t, func(o *instance.Options) { o.HoldWords = []string{"ladder"} })
	r := fedtest.New(t, "alice")
	it := n.postNeed("public")
	resp := r.SendRaw("alice", n.url+"/inbox", loadCapturedReply(t, n, r, it, "gotosocial/create-reply.json"), fedtest.SendOptions{})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	n.settle()
	list := responses(t, n, it)
	if len(list) != 1 || !strings.Contains(list[0].ContentHTML, "ladder") {
		t.Fatalf("responses: %+v", list)
	}
	if !list[0].Held {
		t.Fatal("a remote reply with a hold word was published, not held")
	}
	q, err := n.svc.Queue(ctx, n.admin)
	if err != nil || len(q.HeldResponses) != 1 || q.HeldResponses[0].RemoteActor != r.Actor("alice") {
		t.Fatalf("moderation queue: %+v %v", q, err)
	}
}

// A coordinator's block of one remote actor: what it had already sent
// (queued, not yet processed) is refused by the worker, with the reason
// in the log; what it sends next is refused at the door (403). Others on
// its server are not affected.
func TestCoordinatorActorBlock(t *testing.T) {
	logs := &logBuffer{}
	n := newNode(t, func(o *Options) { o.Logger = newJSONLogger(logs) })
	r := fedtest.New(t, "alice", "bob")
	it := n.postNeed("public")
	if resp := r.Send("alice", n.url+"/inbox", replyTo(r, "alice", "1", n.url+it.Path(), "<p>first</p>"), fedtest.SendOptions{}); resp.StatusCode != 202 {
		t.Fatalf("before the block: %d", resp.StatusCode)
	}
	if err := n.svc.Moderate(ctx, n.admin, instance.ModerationAction{Action: "block_actor", Target: r.Actor("alice"), Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	n.settle()
	if list := responses(t, n, it); len(list) != 0 {
		t.Fatalf("a blocked actor's queued reply was kept: %+v", list)
	}
	refused := logs.find("remote activity refused")
	if len(refused) != 1 || refused[0]["reason"] != string(instance.RefusedBlocked) || refused[0]["actor"] != r.Actor("alice") {
		t.Errorf("refusal log: %v", refused)
	}
	resp := r.Send("alice", n.url+"/inbox", replyTo(r, "alice", "2", n.url+it.Path(), "<p>second</p>"), fedtest.SendOptions{})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("after the block: %d, want 403", resp.StatusCode)
	}
	door := logs.find("inbound request refused")
	if len(door) == 0 || door[len(door)-1]["reason"] != string(refusedBlockedActor) {
		t.Errorf("door refusal log: %v", door)
	}
	r.Send("bob", n.url+"/inbox", replyTo(r, "bob", "3", n.url+it.Path(), "<p>bob here</p>"), fedtest.SendOptions{})
	n.settle()
	if list := responses(t, n, it); len(list) != 1 || list[0].RemoteActor != r.Actor("bob") {
		t.Errorf("another actor on the same server: %+v", list)
	}
}

// Replies that break the link limit are refused by the worker with the
// reason logged (the inbox still answered 202: the reason is ours).
func TestRefusedReplyIsLoggedWithReason(t *testing.T) {
	logs := &logBuffer{}
	n := newNode(t, func(o *Options) { o.Logger = newJSONLogger(logs) })
	r := fedtest.New(t, "alice")
	it := n.postNeed("public")
	links := `<p>` + strings.Repeat(`<a href="https://spam.example/x">x</a> `, 6) + `</p>`
	r.Send("alice", n.url+"/inbox", replyTo(r, "alice", "1", n.url+it.Path(), links), fedtest.SendOptions{})
	n.settle()
	if len(responses(t, n, it)) != 0 {
		t.Fatal("a link-stuffed reply was kept")
	}
	refused := logs.find("remote activity refused")
	if len(refused) != 1 || refused[0]["reason"] != string(instance.RefusedTooManyLinks) {
		t.Errorf("refusal log: %v", refused)
	}
	// Not retried: a refusal is final.
	if q, _ := n.st.NextInbox(ctx, 10); len(q) != 0 {
		t.Errorf("a refused activity is still queued: %d", len(q))
	}
}

// A member's reply on a public item goes to the group's followers as a
// Create from the member's Person actor; a held reply goes only once a
// coordinator releases it; a reply held after it went out is retracted.
func TestLocalReplyFederates(t *testing.T) {
	n := newNodeWith(t, func(o *instance.Options) { o.HoldWords = []string{"casino"} })
	r := fedtest.New(t, "alice")
	r.Send("alice", n.url+"/inbox", followOf(r, "alice", n.group(), "1"), fedtest.SendOptions{})
	n.settle()
	it := n.postNeed("public")
	n.settle()
	ann, err := n.svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "ann", DisplayName: "Ann", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	ann, _ = n.svc.MemberByID(ctx, ann.ID)
	reply, err := n.svc.AddResponse(ctx, ann, it.ID, "I can drive on Tuesday.")
	if err != nil {
		t.Fatal(err)
	}
	n.settle()
	var creates []map[string]any
	for _, c := range r.OfType("Create") {
		if obj := c["object"].(map[string]any); obj["inReplyTo"] == n.url+it.Path() {
			creates = append(creates, c)
		}
	}
	if len(creates) != 1 {
		t.Fatalf("reply creates delivered: %d, failures %v", len(creates), r.Failures())
	}
	c, obj := creates[0], creates[0]["object"].(map[string]any)
	if c["actor"] != n.url+"/members/ann" || obj["attributedTo"] != n.url+"/members/ann" || obj["id"] != n.url+"/responses/"+itoa(reply.ID) ||
		!strings.Contains(obj["content"].(string), "I can drive on Tuesday.") {
		t.Errorf("reply create: %v", c)
	}
	// It answers the group: tagged, named in its text and addressed to
	// it, so a server whose user follows the group but not the member
	// (GoToSocial) keeps it.
	if to, cc := c["to"].([]any), c["cc"].([]any); len(to) != 1 || to[0] != n.group() || len(cc) != 2 ||
		cc[0] != n.group()+"/followers" || cc[1] != "https://www.w3.org/ns/activitystreams#Public" {
		t.Errorf("to = %v, cc = %v", c["to"], c["cc"])
	}
	if tags, _ := obj["tag"].([]any); len(tags) != 1 || tags[0].(map[string]any)["type"] != "Mention" ||
		tags[0].(map[string]any)["href"] != n.group() || !strings.Contains(obj["content"].(string), `class="u-url mention">@<span>village</span>`) {
		t.Errorf("the reply does not mention the group: tag %v, content %v", obj["tag"], obj["content"])
	}
	// The group announces it to its followers, who then see the thread.
	announces := r.OfType("Announce")
	if len(announces) != 1 || announces[0]["actor"] != n.group() || announces[0]["object"] != obj["id"] {
		t.Fatalf("announces: %v", announces)
	}
	if f := r.Failures(); len(f) > 0 {
		t.Errorf("the fake refused our requests (the member's signature): %v", f)
	}
	// Held: nothing goes out until it is released.
	sent := len(r.OfType("Create"))
	held, err := n.svc.AddResponse(ctx, ann, it.ID, "Try the casino")
	if err != nil || !held.Held {
		t.Fatalf("held reply: %+v %v", held, err)
	}
	n.settle()
	if len(r.OfType("Create")) != sent {
		t.Fatal("a held reply was federated")
	}
	if err := n.svc.Moderate(ctx, n.admin, instance.ModerationAction{Action: "release_response", ID: held.ID}); err != nil {
		t.Fatal(err)
	}
	n.settle()
	if len(r.OfType("Create")) != sent+1 || len(r.OfType("Announce")) != 2 {
		t.Fatal("a released reply was not federated and announced")
	}
	// An edit that adds a hold word retracts the federated reply.
	if _, err := n.svc.EditResponse(ctx, ann, reply.ID, "Or the casino"); err != nil {
		t.Fatal(err)
	}
	n.settle()
	deletes := r.OfType("Delete")
	if len(deletes) != 1 || deletes[0]["object"].(map[string]any)["id"] != n.url+"/responses/"+itoa(reply.ID) {
		t.Errorf("deletes after a held edit: %v", deletes)
	}
	if len(r.OfType("Update")) != 0 {
		t.Error("the held edit went out as an Update")
	}
	// The group takes its Announce back, embedded (GoToSocial reads only
	// an embedded one).
	undos := r.OfType("Undo")
	if len(undos) != 1 || undos[0]["actor"] != n.group() {
		t.Fatalf("undos: %v", undos)
	}
	if undone, _ := undos[0]["object"].(map[string]any); undone["id"] != announces[0]["id"] || undone["type"] != "Announce" {
		t.Errorf("the Undo does not embed the reply's Announce: %v", undos[0]["object"])
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func newJSONLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
