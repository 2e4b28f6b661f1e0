package instance_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/instance"
	"hearth/instance/store"
)

// remoteFixture is a service with hold words, an operator-blocked domain,
// a coordinator, a member and a public need, for the rules remote content
// must obey as local content does.
type remoteFixture struct {
	*fixture
	coord, ann *instance.Member
	item       *instance.Item
	logs       *syncBuffer // the service's log, as JSON lines
}

// syncBuffer is a log sink the service may write to from any goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// logged returns the log records with message msg.
func (b *syncBuffer) logged(msg string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(b.buf.Bytes(), []byte("\n")) {
		var rec map[string]any
		if json.Unmarshal(line, &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func newRemoteFixture(t *testing.T) *remoteFixture {
	t.Helper()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hearth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	logs := &syncBuffer{}
	svc, err := instance.New(instance.Options{Store: st, Clock: c.now, Registration: instance.RegistrationOpen,
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		HoldWords: []string{"viagra"}, BlockedDomains: []string{"*.spam.example"},
		PostsPerHour: 1000, NewPostsPerHour: 1000, RepliesPerHour: 1000, NewRepliesPerHour: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureMainGroup(ctx, "village", "Our village"); err != nil {
		t.Fatal(err)
	}
	f := &remoteFixture{fixture: &fixture{svc: svc, store: st, clock: c}, logs: logs}
	f.coord = f.member(t, "cora", instance.RoleCoordinator)
	f.ann = f.member(t, "ann")
	f.item = f.need(t, f.ann, "food")
	return f
}

var alice = &instance.RemoteActor{ID: "https://gts.example/users/alice", Host: "gts.example", Username: "alice", Name: "Alice"}

func noteFrom(a *instance.RemoteActor, id, html string) *instance.RemoteNote {
	return &instance.RemoteNote{ID: a.ID + "/statuses/" + id, Author: a, HTML: html}
}

// refusedFor fails unless err is a refusal for that reason.
func refusedFor(t *testing.T, err error, want instance.RefusalReason) {
	t.Helper()
	var r *instance.Refusal
	if !errors.As(err, &r) || r.Reason != want {
		t.Fatalf("err = %v, want a refusal for %q", err, want)
	}
	if !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a refusal is not ErrForbidden: %v", err)
	}
}

func (f *remoteFixture) responses(t *testing.T, it *instance.Item) []*instance.Response {
	t.Helper()
	list, err := f.svc.Responses(ctx, it)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// A remote reply with a hold word is held and waits in the moderation
// queue, exactly as a local one with the same word does.
func TestRemoteReplyWithHoldWordIsHeld(t *testing.T) {
	f := newRemoteFixture(t)
	if err := f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(alice, "1", `<p>Cheap <b>VIAGRA</b> here</p>`)); err != nil {
		t.Fatal(err)
	}
	local, err := f.svc.AddResponse(ctx, f.ann, f.item.ID, "Cheap viagra here too")
	if err != nil || !local.Held {
		t.Fatalf("local reply with a hold word: %+v %v", local, err)
	}
	list := f.responses(t, f.item)
	if len(list) != 2 || !list[0].Held || list[0].RemoteActor != alice.ID {
		t.Fatalf("remote reply not held: %+v", list[0])
	}
	q, err := f.svc.Queue(ctx, f.coord)
	if err != nil || len(q.HeldResponses) != 2 || q.HeldResponses[0].APID != alice.ID+"/statuses/1" {
		t.Fatalf("held queue: %+v %v", q, err)
	}
	// An entity cannot hide the word.
	if err := f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(alice, "2", `<p>vi&#97;gra</p>`)); err != nil {
		t.Fatal(err)
	}
	if list := f.responses(t, f.item); !list[2].Held {
		t.Error("an encoded hold word was not seen")
	}
	// The same Note sent again without the word stays held.
	if err := f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(alice, "1", `<p>Cheap pills here</p>`)); err != nil {
		t.Fatal(err)
	}
	if list := f.responses(t, f.item); !list[0].Held || strings.Contains(list[0].ContentHTML, "VIAGRA") {
		t.Errorf("a held reply sent again: %+v", list[0])
	}
	// Released by a coordinator, it shows.
	if err := f.svc.Moderate(ctx, f.coord, instance.ModerationAction{Action: "release_response", ID: list[0].ID}); err != nil {
		t.Fatal(err)
	}
	if list := f.responses(t, f.item); list[0].Held {
		t.Error("release did not release the remote reply")
	}
}

// Links and mentions: more than five of either is spam, from here or
// from elsewhere; refused with the reason, nothing stored.
func TestReplyLinkAndMentionLimits(t *testing.T) {
	f := newRemoteFixture(t)
	links := func(n int) string {
		return "<p>" + strings.Repeat(`<a href="https://shop.example/x">x</a> `, n) + "</p>"
	}
	refusedFor(t, f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(alice, "1", links(6))), instance.RefusedTooManyLinks)
	mentions := noteFrom(alice, "2", "<p>hello all</p>")
	mentions.Mentions = 6
	refusedFor(t, f.svc.ReceiveReply(ctx, f.item.ID, mentions), instance.RefusedTooManyMentions)
	if n := len(f.responses(t, f.item)); n != 0 {
		t.Fatalf("refused replies were stored: %d", n)
	}
	if err := f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(alice, "3", links(5))); err != nil {
		t.Errorf("five links refused: %v", err)
	}
	// The same limits on local replies, beside the field.
	_, err := f.svc.AddResponse(ctx, f.ann, f.item.ID, strings.Repeat("https://shop.example/x ", 6))
	if fe := instance.Fields(err)["body"]; fe == nil || fe.Code != "err.too_many_links" {
		t.Errorf("local reply with six links: %v", err)
	}
	_, err = f.svc.AddResponse(ctx, f.ann, f.item.ID, strings.Repeat("@bob@elsewhere.example ", 6))
	if fe := instance.Fields(err)["body"]; fe == nil || fe.Code != "err.too_many_mentions" {
		t.Errorf("local reply with six mentions: %v", err)
	}
	r, err := f.svc.AddResponse(ctx, f.ann, f.item.ID, "See https://a.example and https://b.example, ask @bob@elsewhere.example")
	if err != nil {
		t.Fatalf("a reply within the limits: %v", err)
	}
	if _, err := f.svc.EditResponse(ctx, f.ann, r.ID, strings.Repeat("https://shop.example/x ", 6)); instance.Fields(err)["body"] == nil {
		t.Errorf("an edit to six links: %v", err)
	}
}

// Blocks by a coordinator (an actor, a domain and its subdomains) and by
// the operator's config refuse remote content, whatever its kind.
func TestBlockedRemoteActorsAreRefused(t *testing.T) {
	f := newRemoteFixture(t)
	if err := f.svc.Moderate(ctx, f.coord, instance.ModerationAction{Action: "block_actor", Target: alice.ID, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Moderate(ctx, f.coord, instance.ModerationAction{Action: "block_domain", Target: "trolls.example", Reason: "abuse"}); err != nil {
		t.Fatal(err)
	}
	bob := &instance.RemoteActor{ID: "https://gts.example/users/bob", Host: "gts.example", Username: "bob"}
	for _, a := range []*instance.RemoteActor{
		alice,
		{ID: "https://eu.trolls.example/users/x", Host: "eu.trolls.example"},
		{ID: "https://trolls.example/users/z", Host: "trolls.example"},
		{ID: "https://a.b.trolls.example/users/w", Host: "a.b.trolls.example"},
		{ID: "https://a.spam.example/users/y", Host: "a.spam.example"},
	} {
		refusedFor(t, f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(a, "1", "<p>hello</p>")), instance.RefusedBlocked)
		_, err := f.svc.ReceiveFlag(ctx, instance.RemoteFlag{Reporter: a.ID, ItemID: f.item.ID})
		refusedFor(t, err, instance.RefusedBlocked)
		_, err = f.svc.AddRemoteFollower(ctx, "village", &instance.Follower{ActorID: a.ID, Host: a.Host, Inbox: a.ID + "/inbox"})
		refusedFor(t, err, instance.RefusedBlocked)
	}
	if err := f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(bob, "1", "<p>hello</p>")); err != nil {
		t.Errorf("an unblocked actor on the same server: %v", err)
	}
	// A name that only ends like a blocked domain is another server.
	carol := &instance.RemoteActor{ID: "https://nottrolls.example/users/carol", Host: "nottrolls.example", Username: "carol"}
	if err := f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(carol, "2", "<p>hello</p>")); err != nil {
		t.Errorf("an actor on nottrolls.example: %v", err)
	}
	if n := len(f.responses(t, f.item)); n != 2 {
		t.Errorf("replies stored: %d, want bob's and carol's only", n)
	}
}

// A remote reply is capped like a local one, on its text (tags do not
// count): at 3,000 characters it is kept, over it refused, as the form
// refuses a local one.
func TestOverlongRemoteReplyIsRefused(t *testing.T) {
	f := newRemoteFixture(t)
	exact := "<p><em>" + strings.Repeat("é", instance.MaxResponse) + "</em></p>"
	if err := f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(alice, "1", exact)); err != nil {
		t.Fatalf("%d characters refused: %v", instance.MaxResponse, err)
	}
	over := "<p>" + strings.Repeat("é", instance.MaxResponse+1) + "</p>"
	refusedFor(t, f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(alice, "2", over)), instance.RefusedTooLong)
	_, err := f.svc.AddResponse(ctx, f.ann, f.item.ID, strings.Repeat("é", instance.MaxResponse+1))
	if fe := instance.Fields(err)["body"]; fe == nil || fe.Code != "err.too_long" {
		t.Errorf("local reply over the cap: %v", err)
	}
	refusedFor(t, f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(alice, "3", "<p> </p>")), instance.RefusedEmpty)
	// An edit over the cap is refused and the reply keeps its text.
	f.clock.advance(time.Minute)
	_, err = f.svc.ReceiveReplyEdit(ctx, noteFrom(alice, "1", over))
	refusedFor(t, err, instance.RefusedTooLong)
	if list := f.responses(t, f.item); len(list) != 1 || !strings.Contains(list[0].ContentHTML, "<em>") {
		t.Errorf("after a refused edit: %+v", list)
	}
}

// Items that another server cannot see take no replies from it.
func TestItemsThatTakeNoRemoteReplies(t *testing.T) {
	f := newRemoteFixture(t)
	village, err := f.svc.CreateItem(ctx, f.ann, instance.ItemInput{Kind: instance.KindOffer, Title: "Spare eggs", Category: "food", Visibility: "village"})
	if err != nil {
		t.Fatal(err)
	}
	refusedFor(t, f.svc.ReceiveReply(ctx, village.ID, noteFrom(alice, "1", "<p>hi</p>")), instance.RefusedNoReplies)
	if n := len(f.responses(t, village)); n != 0 {
		t.Errorf("village-only item got %d remote replies", n)
	}
	deleted := f.need(t, f.ann, "food")
	if err := f.svc.DeleteItem(ctx, f.ann, deleted.ID); err != nil {
		t.Fatal(err)
	}
	refusedFor(t, f.svc.ReceiveReply(ctx, deleted.ID, noteFrom(alice, "2", "<p>hi</p>")), instance.RefusedNoReplies)
	if err := f.svc.Moderate(ctx, f.coord, instance.ModerationAction{Action: "hide", ID: f.item.ID, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	refusedFor(t, f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(alice, "3", "<p>hi</p>")), instance.RefusedNoReplies)
	refusedFor(t, f.svc.ReceiveReply(ctx, 9999, noteFrom(alice, "4", "<p>hi</p>")), instance.RefusedNotFound)
	followers, err := f.svc.CreateItem(ctx, f.ann, instance.ItemInput{Kind: instance.KindOffer, Title: "Jam", Category: "food", Visibility: "followers"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ReceiveReply(ctx, followers.ID, noteFrom(alice, "5", "<p>hi</p>")); err != nil {
		t.Errorf("a followers-only item (followers can see it): %v", err)
	}
}

// Edits: only the author's apply, and an edit with a hold word holds the
// reply; a local author's edit likewise.
func TestReplyEditsAreHeldToo(t *testing.T) {
	f := newRemoteFixture(t)
	if err := f.svc.ReceiveReply(ctx, f.item.ID, noteFrom(alice, "1", "<p>I can help</p>")); err != nil {
		t.Fatal(err)
	}
	mallory := &instance.RemoteActor{ID: "https://gts.example/users/mallory", Host: "gts.example"}
	spoof := noteFrom(alice, "1", "<p>hijacked</p>")
	spoof.Author = mallory
	if ok, err := f.svc.ReceiveReplyEdit(ctx, spoof); ok || err != nil {
		t.Fatalf("someone else's edit: %v %v", ok, err)
	}
	f.clock.advance(time.Minute)
	if ok, err := f.svc.ReceiveReplyEdit(ctx, noteFrom(alice, "1", "<p>buy viagra</p>")); !ok || err != nil {
		t.Fatalf("the author's edit: %v %v", ok, err)
	}
	if r := f.responses(t, f.item)[0]; !r.Held || !strings.Contains(r.ContentHTML, "viagra") {
		t.Errorf("edited with a hold word: %+v", r)
	}
	local, err := f.svc.AddResponse(ctx, f.ann, f.item.ID, "I can help")
	if err != nil || local.Held {
		t.Fatal(err)
	}
	if _, err := f.svc.EditResponse(ctx, f.ann, local.ID, "now with viagra"); err != nil {
		t.Fatal(err)
	}
	if r := f.responses(t, f.item)[1]; !r.Held {
		t.Error("a local edit with a hold word was not held")
	}
}

// A neighbour group's post: kept only from a group we follow, held (not
// listed, in the queue) with a hold word, released by a coordinator with
// a log line.
func TestNeighbourPostsObeyHoldWords(t *testing.T) {
	f := newRemoteFixture(t)
	group := &instance.RemoteActor{ID: "https://next.example/groups/village", Host: "next.example", Username: "village", Name: "Next village"}
	post := func(id, html string) *instance.RemoteNote {
		return &instance.RemoteNote{ID: "https://next.example/needs/" + id, Author: group, HTML: html, Kind: instance.KindNeed, Area: "High St"}
	}
	refusedFor(t, f.svc.ReceiveNeighbourPost(ctx, post("1", "<p>A lift</p>")), instance.RefusedNotFollowed)
	fo, err := f.svc.FollowGroup(ctx, f.coord, "village", "village@next.example")
	if err != nil {
		t.Fatal(err)
	}
	fo.ActorID, fo.State = group.ID, instance.FollowingRejected
	if err := f.store.UpdateFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	refusedFor(t, f.svc.ReceiveNeighbourPost(ctx, post("1", "<p>A lift</p>")), instance.RefusedNotFollowed)
	fo.State = instance.FollowingAccepted
	if err := f.store.UpdateFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ReceiveNeighbourPost(ctx, post("1", "<p>A lift</p>")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ReceiveNeighbourPost(ctx, post("2", "<p>Viagra for sale</p>")); err != nil {
		t.Fatal(err)
	}
	list, err := f.svc.Neighbours(ctx, f.ann)
	if err != nil || len(list) != 1 || list[0].Title != "A lift" {
		t.Fatalf("neighbours: %+v %v", list, err)
	}
	q, err := f.svc.Queue(ctx, f.coord)
	if err != nil || len(q.HeldNeighbourItems) != 1 || q.HeldNeighbourItems[0].APID != "https://next.example/needs/2" {
		t.Fatalf("held neighbour posts: %+v %v", q.HeldNeighbourItems, err)
	}
	held := q.HeldNeighbourItems[0]
	if _, err := f.svc.Neighbour(ctx, f.ann, held.ID); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("a member opened a held neighbour post: %v", err)
	}
	if _, err := f.svc.AnswerNeighbour(ctx, f.ann, held.ID, "yes"); !errors.Is(err, instance.ErrNotFound) {
		t.Errorf("a member answered a held neighbour post: %v", err)
	}
	// Its author's edit cannot release it.
	if ok, err := f.svc.ReceiveNeighbourEdit(ctx, post("2", "<p>Clean now</p>")); !ok || err != nil {
		t.Fatalf("edit: %v %v", ok, err)
	}
	if list, _ := f.svc.Neighbours(ctx, f.ann); len(list) != 1 {
		t.Error("an edit released a held neighbour post")
	}
	if err := f.svc.Moderate(ctx, f.coord, instance.ModerationAction{Action: "release_neighbour", ID: held.ID}); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.svc.Neighbours(ctx, f.ann); len(list) != 2 {
		t.Errorf("after release: %d listed", len(list))
	}
	log, _ := f.svc.ModerationLog(ctx, f.coord)
	if len(log) == 0 || log[0].Action != "release held neighbour post" || log[0].Subject != fmt.Sprintf("neighbour post %d", held.ID) {
		t.Errorf("log: %+v", log)
	}
	if err := f.svc.Moderate(ctx, f.coord, instance.ModerationAction{Action: "remove_neighbour", ID: held.ID, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.svc.Neighbours(ctx, f.ann); len(list) != 1 {
		t.Errorf("after removal: %d listed", len(list))
	}
}

// A remote Flag: about something of ours, its comment cut to the local
// limit; about nothing of ours, refused.
func TestRemoteFlags(t *testing.T) {
	f := newRemoteFixture(t)
	r, err := f.svc.ReceiveFlag(ctx, instance.RemoteFlag{Reporter: alice.ID, ItemID: f.item.ID, MemberHandle: "ann",
		Details: strings.Repeat("x", 5000) + "\x00"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "item" || r.MemberID != f.ann.ID || len(r.Details) != instance.MaxReportDetails {
		t.Errorf("report: subject %s member %d details %d", r.Subject, r.MemberID, len(r.Details))
	}
	_, err = f.svc.ReceiveFlag(ctx, instance.RemoteFlag{Reporter: alice.ID, ItemID: 9999, MemberHandle: "nobody"})
	refusedFor(t, err, instance.RefusedNotFound)
	if q, _ := f.svc.Queue(ctx, f.coord); len(q.Reports) != 1 {
		t.Errorf("reports: %d", len(q.Reports))
	}
}

// A local item edited to contain a hold word is held, as a new one is.
func TestItemEditWithHoldWordIsHeld(t *testing.T) {
	f := newRemoteFixture(t)
	if err := f.svc.UpdateItem(ctx, f.ann, f.item.ID, instance.ItemInput{Title: "Lift, and viagra", Category: "food", Area: "Mill Lane"}); err != nil {
		t.Fatal(err)
	}
	if items, _ := f.svc.Items(ctx, f.coord, instance.ItemFilter{}); len(items) != 0 {
		t.Errorf("an item edited with a hold word is listed: %d", len(items))
	}
	if q, _ := f.svc.Queue(ctx, f.coord); len(q.HeldItems) != 1 {
		t.Errorf("held items: %d", len(q.HeldItems))
	}
}

// A member's answer to a neighbour's post with a hold word is held as a
// local reply is: nothing is queued to leave until a coordinator releases
// it from the queue; one they remove never leaves.
func TestAnswerToNeighbourWithHoldWordIsHeld(t *testing.T) {
	f := newRemoteFixture(t)
	group := &instance.RemoteActor{ID: "https://next.example/groups/village", Host: "next.example", Username: "village", Name: "Next village"}
	fo, err := f.svc.FollowGroup(ctx, f.coord, "village", "village@next.example")
	if err != nil {
		t.Fatal(err)
	}
	fo.ActorID, fo.State = group.ID, instance.FollowingAccepted
	if err := f.store.UpdateFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ReceiveNeighbourPost(ctx, &instance.RemoteNote{ID: "https://next.example/needs/1", Author: group, HTML: "<p>A lift</p>"}); err != nil {
		t.Fatal(err)
	}
	list, _ := f.svc.Neighbours(ctx, f.ann)
	queued := func() int {
		t.Helper()
		events, err := f.store.NextFedEvents(ctx, f.clock.now().Add(time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			if e.Subject == instance.SubjectNeighbourReply {
				n++
			}
		}
		return n
	}
	ok, err := f.svc.AnswerNeighbour(ctx, f.ann, list[0].ID, "I can drive")
	if err != nil || ok.Held || queued() != 1 {
		t.Fatalf("a clean answer: %+v %v, %d queued", ok, err, queued())
	}
	held, err := f.svc.AnswerNeighbour(ctx, f.ann, list[0].ID, "Cheap VIAGRA")
	if err != nil || !held.Held {
		t.Fatalf("an answer with a hold word: %+v %v", held, err)
	}
	if queued() != 1 {
		t.Fatal("a held answer was queued to be sent")
	}
	q, err := f.svc.Queue(ctx, f.coord)
	if err != nil || len(q.HeldAnswers) != 1 || q.HeldAnswers[0].ID != held.ID || q.HeldAnswers[0].MemberName != f.ann.DisplayName ||
		q.HeldAnswers[0].Item.Title != "A lift" {
		t.Fatalf("held answers: %+v %v", q.HeldAnswers, err)
	}
	if err := f.svc.Moderate(ctx, f.ann, instance.ModerationAction{Action: "release_answer", ID: held.ID}); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a member released their own held answer: %v", err)
	}
	if err := f.svc.Moderate(ctx, f.coord, instance.ModerationAction{Action: "release_answer", ID: held.ID}); err != nil {
		t.Fatal(err)
	}
	if queued() != 2 {
		t.Error("a released answer was not queued to be sent")
	}
	if log, _ := f.svc.ModerationLog(ctx, f.coord); len(log) == 0 || log[0].Subject != fmt.Sprintf("answer %d", held.ID) {
		t.Errorf("log: %+v", log)
	}
	// Released already: it cannot be removed (it has left).
	if err := f.svc.Moderate(ctx, f.coord, instance.ModerationAction{Action: "remove_answer", ID: held.ID}); !errors.Is(err, instance.ErrConflict) {
		t.Errorf("removing a sent answer: %v", err)
	}
	again, _ := f.svc.AnswerNeighbour(ctx, f.ann, list[0].ID, "viagra again")
	if err := f.svc.Moderate(ctx, f.coord, instance.ModerationAction{Action: "remove_answer", ID: again.ID, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	if q, _ := f.svc.Queue(ctx, f.coord); len(q.HeldAnswers) != 0 || queued() != 2 {
		t.Errorf("after removal: %d held, %d queued", len(q.HeldAnswers), queued())
	}
}

// Edits of remote content are applied in order: one whose `updated` is
// not later than the version kept (an older edit delivered late, or the
// same edit again) changes nothing, for replies and neighbours' posts
// alike, and a Create arriving again never undoes a newer edit.
func TestRemoteEditsAreAppliedInOrder(t *testing.T) {
	f := newRemoteFixture(t)
	at := func(minutes int) time.Time { return time.Date(2026, 11, 27, 9, minutes, 0, 0, time.UTC) }
	version := func(n *instance.RemoteNote, published, updated int) *instance.RemoteNote {
		n.Published = at(published)
		if updated >= 0 {
			n.Updated = at(updated)
		}
		return n
	}
	if err := f.svc.ReceiveReply(ctx, f.item.ID, version(noteFrom(alice, "1", "<p>v0</p>"), 0, -1)); err != nil {
		t.Fatal(err)
	}
	reply := func() *instance.Response { t.Helper(); return f.responses(t, f.item)[0] }
	for _, step := range []struct {
		html    string
		updated int
		want    string
	}{
		{"<p>v2</p>", 2, "<p>v2</p>"},
		{"<p>v1</p>", 1, "<p>v2</p>"}, // older: ignored
		{"<p>v2 again</p>", 2, "<p>v2</p>"},
		{"<p>v3</p>", 3, "<p>v3</p>"},
	} {
		if ok, err := f.svc.ReceiveReplyEdit(ctx, version(noteFrom(alice, "1", step.html), 0, step.updated)); !ok || err != nil {
			t.Fatalf("edit %s: %v %v", step.html, ok, err)
		}
		if got := reply().ContentHTML; got != step.want {
			t.Errorf("after the edit to %s of %d: %q, want %q", step.html, step.updated, got, step.want)
		}
	}
	if r := reply(); !r.UpdatedAt.Equal(at(3)) {
		t.Errorf("version kept: %v", r.UpdatedAt)
	}
	if err := f.svc.ReceiveReply(ctx, f.item.ID, version(noteFrom(alice, "1", "<p>v0 again</p>"), 0, -1)); err != nil {
		t.Fatal(err)
	}
	if got := reply().ContentHTML; got != "<p>v3</p>" {
		t.Errorf("a repeated Create undid an edit: %q", got)
	}

	group := &instance.RemoteActor{ID: "https://next.example/groups/village", Host: "next.example", Username: "village", Name: "Next village"}
	fo, err := f.svc.FollowGroup(ctx, f.coord, "village", "village@next.example")
	if err != nil {
		t.Fatal(err)
	}
	fo.ActorID, fo.State = group.ID, instance.FollowingAccepted
	if err := f.store.UpdateFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	post := func(html string, updated int) *instance.RemoteNote {
		return version(&instance.RemoteNote{ID: "https://next.example/needs/1", Author: group, HTML: html}, 0, updated)
	}
	if err := f.svc.ReceiveNeighbourPost(ctx, post("<p>A lift</p>", -1)); err != nil {
		t.Fatal(err)
	}
	title := func() string {
		t.Helper()
		list, _ := f.svc.Neighbours(ctx, f.ann)
		return list[0].Title
	}
	for _, step := range []struct {
		html    string
		updated int
		want    string
	}{
		{"<p>A lift, Tuesday</p>", 5, "A lift, Tuesday"},
		{"<p>A lift, Monday</p>", 4, "A lift, Tuesday"},
		{"<p>A lift, Wednesday</p>", 6, "A lift, Wednesday"},
	} {
		if ok, err := f.svc.ReceiveNeighbourEdit(ctx, post(step.html, step.updated)); !ok || err != nil {
			t.Fatalf("edit %s: %v %v", step.html, ok, err)
		}
		if got := title(); got != step.want {
			t.Errorf("after the edit to %s of %d: %q, want %q", step.html, step.updated, got, step.want)
		}
	}
	if err := f.svc.ReceiveNeighbourPost(ctx, post("<p>A lift</p>", -1)); err != nil {
		t.Fatal(err)
	}
	if got := title(); got != "A lift, Wednesday" {
		t.Errorf("a repeated Create undid an edit: %q", got)
	}
	ignored := f.logs.logged("remote edit ignored: not newer than the version kept")
	if len(ignored) != 3 || ignored[0]["object"] != alice.ID+"/statuses/1" || ignored[2]["object"] != "https://next.example/needs/1" ||
		ignored[2]["actor"] != group.ID || ignored[2]["level"] != "INFO" {
		t.Errorf("ignored edits logged: %v", ignored)
	}
	// An edit dated in the future (a server whose clock is ahead) is kept
	// as of now, so that server's next edit still counts.
	ahead := noteFrom(alice, "1", "<p>from the future</p>")
	ahead.Updated = f.clock.now().AddDate(1, 0, 0)
	if ok, err := f.svc.ReceiveReplyEdit(ctx, ahead); !ok || err != nil {
		t.Fatal(ok, err)
	}
	f.clock.advance(time.Minute)
	next := noteFrom(alice, "1", "<p>a minute later</p>")
	next.Updated = f.clock.now()
	if _, err := f.svc.ReceiveReplyEdit(ctx, next); err != nil || reply().ContentHTML != "<p>a minute later</p>" {
		t.Errorf("the edit after one dated in the future: %q %v", reply().ContentHTML, err)
	}
	// A reply edited before it reached us is kept as that version.
	edited := version(noteFrom(alice, "2", "<p>edited first</p>"), 10, 12)
	if err := f.svc.ReceiveReply(ctx, f.item.ID, edited); err != nil {
		t.Fatal(err)
	}
	if r := f.responses(t, f.item)[1]; !r.CreatedAt.Equal(at(10)) || !r.UpdatedAt.Equal(at(12)) {
		t.Errorf("a reply edited before it came: created %v, version %v", r.CreatedAt, r.UpdatedAt)
	}
}

// What remote content did is in the log at info, with the object and the
// actor: a kept reply or post says it was kept (never refused), an edit
// or a deletion says so.
func TestRemoteContentIsLogged(t *testing.T) {
	f := newRemoteFixture(t)
	group := &instance.RemoteActor{ID: "https://next.example/groups/village", Host: "next.example", Username: "village", Name: "Next village"}
	fo, err := f.svc.FollowGroup(ctx, f.coord, "village", "village@next.example")
	if err != nil {
		t.Fatal(err)
	}
	fo.ActorID, fo.State = group.ID, instance.FollowingAccepted
	if err := f.store.UpdateFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	reply := noteFrom(alice, "1", "<p>I can help</p>")
	post := &instance.RemoteNote{ID: "https://next.example/needs/1", Author: group, HTML: "<p>A lift</p>"}
	if err := f.svc.ReceiveReply(ctx, f.item.ID, reply); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ReceiveNeighbourPost(ctx, post); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(time.Minute)
	reply.HTML, post.HTML = "<p>I can help on Tuesday</p>", "<p>A lift on Tuesday</p>"
	if _, err := f.svc.ReceiveReplyEdit(ctx, reply); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReceiveNeighbourEdit(ctx, post); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ReceiveDelete(ctx, alice.ID, reply.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ReceiveDelete(ctx, group.ID, post.ID); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ msg, object, actor string }{
		{"remote reply kept", reply.ID, alice.ID},
		{"neighbour's post kept", post.ID, group.ID},
		{"remote reply edited", reply.ID, alice.ID},
		{"neighbour's post edited", post.ID, group.ID},
		{"remote reply deleted", reply.ID, alice.ID},
		{"neighbour's post deleted", post.ID, group.ID},
	} {
		got := f.logs.logged(want.msg)
		if len(got) != 1 || got[0]["level"] != "INFO" || got[0]["object"] != want.object || got[0]["actor"] != want.actor {
			t.Errorf("%q: %v", want.msg, got)
		}
	}
	// A Delete of something we do not have is not worth an operator's
	// attention: servers send their Deletes to everyone they know.
	if err := f.svc.ReceiveDelete(ctx, alice.ID, alice.ID+"/statuses/99"); err != nil {
		t.Fatal(err)
	}
	if got := f.logs.logged("remote reply deleted"); len(got) != 1 {
		t.Errorf("a Delete of nothing we have was logged as a deletion: %v", got)
	}
}
