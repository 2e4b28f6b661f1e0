package federation

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/federation/fedtest"
	"hearth/instance"
	"hearth/instance/store"
	"hearth/instance/store/storetest"
)

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// pollFed is goldenFed with a clock the test moves.
func pollFed(t *testing.T) (*Federation, *instance.Service, *store.Store, *instance.Member, *testClock) {
	t.Helper()
	st := storetest.Open(t)
	c := &testClock{t: goldenTime}
	svc, err := instance.New(instance.Options{Store: st, Clock: c.now, Location: time.UTC})
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
	f := New(Options{Store: st, Service: svc, BaseURL: "https://village.example", Clock: c.now, Version: "1.0", SiteName: "Little Snoring",
		Translate: translator(t)})
	return f, svc, st, m, c
}

func benchPoll(t *testing.T, svc *instance.Service, by *instance.Member, multiple bool, results instance.PollResults) (*instance.Item, *instance.Poll) {
	t.Helper()
	it, err := svc.CreatePoll(ctx, by, instance.PollInput{Question: "Where should the new bench go?", Description: "The parish pays for *one*.",
		Options: "By the pond\nOn the green\nOutside the shop", Multiple: multiple, Results: string(results), Visibility: "public",
		ClosesOn: instance.DateOf("2026-12-01"), ClosesAt: instance.TimeOf("18:00")})
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := svc.Poll(ctx, by, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	return it, p
}

// lastOutbox is the group's latest published activity of a type.
func lastOutbox(t *testing.T, st *store.Store, typ string) []byte {
	t.Helper()
	list, err := st.ListOutbox(ctx, "https://village.example/groups/village", 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.Type == typ {
			return e.Body
		}
	}
	t.Fatalf("no %s in the outbox", typ)
	return nil
}

// The Question of a poll, open and closed, and the Update that carries
// new counts: compared with reviewed golden files.
func TestGoldenQuestion(t *testing.T) {
	f, svc, st, ann, c := pollFed(t)
	it, p := benchPoll(t, svc, ann, false, instance.ResultsAfterVote)
	if err := svc.Vote(ctx, ann, it.ID, []int64{p.Options[1].ID}); err != nil {
		t.Fatal(err)
	}
	for i, who := range []string{"alice", "bob"} {
		actor := "https://mastodon.example/users/" + who
		if ok, err := svc.ReceivePollVote(ctx, it.ID, actor, actor+"#votes/"+who, p.Options[i].Name); err != nil || !ok {
			t.Fatalf("vote by %s: %v %v", who, ok, err)
		}
	}
	code, _, body := serveGet(t, f, it.Path(), "application/activity+json")
	if code != 200 {
		t.Fatalf("GET %s: %d", it.Path(), code)
	}
	golden(t, "question-open", body)
	// The votes came while the Create was due: an event that is due may be
	// being built from counts read before a vote, so it does not stand in
	// for one. The first vote gets an Update at once, the next ones the
	// slot a minute later.
	if n, err := f.PublishEvents(ctx); err != nil || n != 2 {
		t.Fatalf("the Create and the first Update: %d published (%v)", n, err)
	}
	dave := "https://mastodon.example/users/dave"
	if ok, err := svc.ReceivePollVote(ctx, it.ID, dave, dave+"#votes/1", "By the pond"); err != nil || !ok {
		t.Fatalf("dave's vote: %v %v", ok, err)
	}
	if n, err := f.PublishEvents(ctx); err != nil || n != 0 {
		t.Fatalf("a vote with an Update waiting for its minute: %d published (%v)", n, err)
	}
	c.set(goldenTime.Add(30 * time.Second))
	actor := "https://mastodon.example/users/carol"
	if ok, err := svc.ReceivePollVote(ctx, it.ID, actor, actor+"#votes/1", "On the green"); err != nil || !ok {
		t.Fatalf("carol's vote: %v %v", ok, err)
	}
	if n, _ := f.PublishEvents(ctx); n != 0 {
		t.Errorf("an Update went %s after the last one", 30*time.Second)
	}
	c.set(goldenTime.Add(time.Minute))
	if n, err := f.PublishEvents(ctx); err != nil || n != 1 {
		t.Fatalf("a minute after the last Update: %d published (%v)", n, err)
	}
	golden(t, "update-question", lastOutbox(t, st, "Update"))

	c.set(time.Date(2026, 12, 1, 18, 0, 30, 0, time.UTC))
	if err := svc.SweepDecide(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := f.PublishEvents(ctx); err != nil || n != 1 {
		t.Fatalf("at closing: %d published (%v)", n, err)
	}
	_, _, body = serveGet(t, f, it.Path(), "application/activity+json")
	golden(t, "question-closed", body)
	var closed map[string]any
	json.Unmarshal(lastOutbox(t, st, "Update"), &closed)
	if obj, _ := closed["object"].(map[string]any); obj["closed"] != "2026-12-01T18:00:00Z" {
		t.Errorf("the closing Update says closed = %v", obj["closed"])
	}
}

// A poll whose results wait for its closing shows other servers no
// counts until then; several choices are anyOf.
func TestQuestionHiddenCountsAnyOf(t *testing.T) {
	f, svc, _, ann, c := pollFed(t)
	it, p := benchPoll(t, svc, ann, true, instance.ResultsAfterClose)
	if err := svc.Vote(ctx, ann, it.ID, []int64{p.Options[0].ID, p.Options[2].ID}); err != nil {
		t.Fatal(err)
	}
	doc := noteOf(t, f, it.Path())
	opts, _ := doc["anyOf"].([]any)
	if doc["type"] != "Question" || len(opts) != 3 || doc["oneOf"] != nil {
		t.Fatalf("a several-choice poll: %v", doc)
	}
	total := func(o any) any { return o.(map[string]any)["replies"].(map[string]any)["totalItems"] }
	if total(opts[0]) != float64(0) || doc["votersCount"] != float64(0) {
		t.Errorf("hidden counts left: %v, %v voters", total(opts[0]), doc["votersCount"])
	}
	c.set(time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC))
	doc = noteOf(t, f, it.Path())
	opts, _ = doc["anyOf"].([]any)
	if total(opts[0]) != float64(1) || total(opts[2]) != float64(1) || doc["votersCount"] != float64(1) {
		t.Errorf("after closing: %v %v, %v voters", total(opts[0]), total(opts[2]), doc["votersCount"])
	}
}

// A Mastodon user's votes, in the shape Mastodon sends them (a Note
// with name and inReplyTo and no content, addressed to the poll's actor
// as a plain string), replayed against the inbox: the first counts, the
// account's second vote on a one-choice poll and a vote for an option the
// poll lacks are ignored, and a follower is sent Update{Question} with
// the new count.
func TestMastodonPollVoteReplay(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice", "bob")
	it, err := n.svc.CreatePoll(ctx, n.admin, instance.PollInput{Question: "Where should the new bench go?",
		Options: "By the pond\nOn the green", Results: "after_vote", Visibility: "public",
		ClosesOn: instance.DateOf(time.Now().AddDate(0, 0, 7).Format("2006-01-02")), ClosesAt: instance.TimeOf("18:00")})
	if err != nil {
		t.Fatal(err)
	}
	load := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "remote", name))
		if err != nil {
			t.Fatal(err)
		}
		return []byte(strings.NewReplacer("https://village.test/polls/1", n.url+it.Path(),
			"https://village.test", n.url, "https://mastodon.test", r.URL).Replace(string(b)))
	}
	counts := func() []int {
		_, p, err := n.svc.Poll(ctx, n.admin, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		return []int{p.Options[0].Votes, p.Options[1].Votes}
	}
	for _, step := range []struct {
		file string
		want []int
	}{
		{"gotosocial/follow.json", []int{0, 0}},
		{"mastodon/poll-vote.json", []int{0, 1}},
		{"mastodon/poll-vote-again.json", []int{0, 1}},
		{"mastodon/poll-vote-unknown.json", []int{0, 1}},
		// Another account's reply with a name is a reply (refused: polls
		// take votes), not a vote.
		{"mastodon/poll-reply.json", []int{0, 1}},
	} {
		body := load(step.file)
		if step.file == "gotosocial/follow.json" {
			body = []byte(strings.ReplaceAll(string(body), "https://gts.test", r.URL))
		}
		user := "alice"
		if strings.Contains(string(body), "/users/bob") {
			user = "bob"
		}
		if resp := r.SendRaw(user, n.url+"/inbox", body, fedtest.SendOptions{}); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: %d", step.file, resp.StatusCode)
		}
		n.settle()
		if got := counts(); got[0] != step.want[0] || got[1] != step.want[1] {
			t.Errorf("after %s: counts %v, want %v", step.file, got, step.want)
		}
	}
	var update map[string]any
	for _, u := range r.OfType("Update") {
		if obj, _ := u["object"].(map[string]any); obj["type"] == "Question" {
			update = obj
		}
	}
	if update == nil {
		t.Fatalf("the follower got no Update{Question}: %v", r.OfType("Update"))
	}
	opts, _ := update["oneOf"].([]any)
	if len(opts) != 2 || opts[1].(map[string]any)["replies"].(map[string]any)["totalItems"] != float64(1) || update["votersCount"] != float64(1) {
		t.Errorf("the Update's counts: %v", update)
	}
	if got := responses(t, n, it); len(got) != 0 {
		t.Errorf("replies kept on the poll: %+v", got)
	}
}
