package interop

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// One Hearth and one Fedify server, through the scenarios in order: the
// peer finds the group by WebFinger, follows it and gets a verified
// Accept, and the same Follow again gets another; a need posted in the
// web UI reaches the peer as Create{Note}; the peer's reply shows on the
// need's page, and two edits of it under one activity id are applied in
// order; a member's reply reaches the peer as the group's Announce; an
// edit arrives as Update and a deletion as Delete; after the peer
// unfollows nothing more is delivered to it; the peer fetches our actor
// and Note; Hearth follows the peer's actor, and a member's answer to the
// peer's post reaches it.
//
// The peer is as strict as GoToSocial: it drops a Create from an account
// it does not follow unless it is mentioned.
func TestFedifyPeer(t *testing.T) {
	needNode(t)
	h := startHearth(t, "open")
	p := startPeer(t)
	group := h.url + "/groups/village"

	t.Run("webfinger lookup of the group", func(t *testing.T) {
		got := p.call(t, "lookup", map[string]string{"handle": "@village@" + h.host})
		if got["type"] != "Group" || got["id"] != group || got["preferredUsername"] != "village" || got["hasKey"] != true {
			t.Fatalf("lookup = %v", got)
		}
	})

	var followID string
	t.Run("follow gets a verified Accept", func(t *testing.T) {
		followID = p.call(t, "follow", map[string]string{"actor": group})["id"].(string)
		waitFor(t, 20*time.Second, "the Accept", func() bool { return len(p.ofType("Accept")) > 0 })
		acc := p.ofType("Accept")[0]
		if acc.Actor != group {
			t.Errorf("accept actor %s", acc.Actor)
		}
		if obj, _ := acc.JSON["object"].(map[string]any); obj == nil || obj["id"] != followID {
			t.Errorf("accept object = %v, want the follow %s", acc.JSON["object"], followID)
		}
	})

	t.Run("the same Follow again is accepted again", func(t *testing.T) {
		// A server that missed our Accept sends its Follow again, with its
		// id; Mastodon answers it, so do we.
		p.call(t, "follow", map[string]string{"actor": group, "id": followID})
		waitFor(t, 20*time.Second, "a second Accept", func() bool { return len(p.ofType("Accept")) == 2 })
		accepts := p.ofType("Accept")
		if obj, _ := accepts[1].JSON["object"].(map[string]any); obj == nil || obj["id"] != followID || accepts[1].ID == accepts[0].ID {
			t.Errorf("second accept = %v", accepts[1].JSON)
		}
		if n := followerCount(t, group); n != 1 {
			t.Errorf("followers after the repeated Follow: %d", n)
		}
	})

	cora := h.browser(t)
	cora.login("cora", "correct horse battery")
	var needPath, noteID string
	t.Run("a need posted in the web UI reaches the peer", func(t *testing.T) {
		code, loc, body := cora.post("/needs/new", url.Values{"title": {"A lift to the surgery"}, "description": {"Tuesday at *10:30*"},
			"category": {"lifts"}, "area": {"Mill Lane"}, "visibility": {"public"}, "address": {"4 Mill Lane SECRET"}})
		if code != http.StatusSeeOther {
			t.Fatalf("post need: %d %s", code, tail(body, 800))
		}
		needPath, noteID = loc, h.url+loc
		waitFor(t, 20*time.Second, "the Create", func() bool { return len(p.ofType("Create")) > 0 })
		c := p.ofType("Create")[0]
		obj, _ := c.JSON["object"].(map[string]any)
		if obj == nil || obj["id"] != noteID || obj["type"] != "Note" {
			t.Fatalf("create object = %v", c.JSON["object"])
		}
		content, _ := obj["content"].(string)
		if !strings.Contains(content, "A lift to the surgery") || !strings.Contains(content, "Mill Lane") || strings.Contains(content, "SECRET") {
			t.Errorf("content = %q", content)
		}
		// Fedify keeps the document with our @context, so the extension
		// fields arrive as sent, and their terms are defined inline.
		if obj["kind"] != "need" || obj["purpose"] != "request" || obj["area"] != "Mill Lane" || obj["category"] != "lifts" {
			raw, _ := json.Marshal(obj)
			t.Errorf("extension fields missing: %s", raw)
		}
	})

	// The peer's reply is dated ten minutes ago, its edits after that (in
	// the past: an edit dated in the future counts as made now).
	written := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	var replyID string
	t.Run("the peer's reply shows on the need's page", func(t *testing.T) {
		replyID = p.call(t, "reply", map[string]string{"actor": group, "inReplyTo": noteID, "content": "<p>I can drive you, from <b>Fedify</b>.</p>",
			"published": written.Format(time.RFC3339)})["id"].(string)
		waitFor(t, 20*time.Second, "the reply on the page", func() bool {
			_, body := cora.get(needPath)
			return strings.Contains(body, "I can drive you, from <b>Fedify</b>.") && strings.Contains(body, "Alice Fedify")
		})
		if _, body := cora.get(needPath); strings.Contains(body, "· edited") {
			t.Error("a reply nobody edited is shown as edited")
		}
	})

	t.Run("two edits from the peer under one id are applied in order", func(t *testing.T) {
		// GoToSocial sends every edit of a status under one activity id.
		edit := func(content string, at time.Duration) {
			p.call(t, "edit", map[string]string{"actor": group, "noteId": replyID, "inReplyTo": noteID, "content": content,
				"activityId": replyID + "/activity#Update", "updated": written.Add(at).Format(time.RFC3339)})
		}
		edit("<p>First edit: I can drive at ten.</p>", time.Minute)
		edit("<p>Second edit: I can drive at half past ten.</p>", 2*time.Minute)
		waitFor(t, 20*time.Second, "the second edit on the page", func() bool {
			_, body := cora.get(needPath)
			return strings.Contains(body, "Second edit: I can drive at half past ten.")
		})
		// An older edit arriving late changes nothing.
		edit("<p>Stale edit.</p>", 90*time.Second)
		h.waitDrained(t)
		_, body := cora.get(needPath)
		if strings.Contains(body, "Stale edit.") || !strings.Contains(body, "Second edit") || !strings.Contains(body, "· edited") {
			t.Errorf("after an older edit: %s", tail(body, 2000))
		}
	})

	t.Run("a member's reply reaches the peer as the group's Announce", func(t *testing.T) {
		// The peer follows the group, not the member, and the reply mentions
		// the group: like GoToSocial, the peer drops the reply's Create,
		// and sees the reply through the group's Announce.
		if code, _, body := cora.post(needPath+"/responses", url.Values{"body": {"Thanks Alice, see you on Tuesday."}}); code != http.StatusSeeOther {
			t.Fatalf("reply: %d %s", code, tail(body, 500))
		}
		waitFor(t, 20*time.Second, "the group's Announce", func() bool { return len(p.ofType("Announce")) > 0 })
		a := p.ofType("Announce")[0]
		reply, _ := a.JSON["object"].(string)
		if a.Actor != group || !strings.HasPrefix(reply, h.url+"/responses/") {
			t.Fatalf("announce = %v", a.JSON)
		}
		got := p.call(t, "fetch", map[string]string{"iri": reply})
		doc, _ := got["document"].(map[string]any)
		if got["type"] != "Note" || doc["attributedTo"] != h.url+"/members/cora" || !strings.Contains(fmt.Sprint(doc["content"]), "see you on Tuesday") {
			t.Errorf("the announced reply, fetched: %v", got)
		}
		h.waitDrained(t)
		dropped := p.dropped("Create")
		if len(dropped) != 1 || dropped[0].Actor != h.url+"/members/cora" {
			t.Errorf("the reply's Create at the peer: dropped %v", dropped)
		}
	})

	t.Run("an edit arrives as Update and a deletion as Delete", func(t *testing.T) {
		code, _, body := cora.post(needPath+"/edit", url.Values{"title": {"A lift to the surgery, please"}, "category": {"lifts"},
			"area": {"Mill Lane"}, "visibility": {"public"}})
		if code != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", code, tail(body, 500))
		}
		waitFor(t, 20*time.Second, "the Update", func() bool { return len(p.ofType("Update")) > 0 })
		if obj, _ := p.ofType("Update")[0].JSON["object"].(map[string]any); obj == nil || !strings.Contains(obj["content"].(string), "please") {
			t.Errorf("update = %v", p.ofType("Update")[0].JSON)
		}
		if code, _, _ := cora.post(needPath+"/delete", nil); code != http.StatusSeeOther {
			t.Fatalf("delete: %d", code)
		}
		waitFor(t, 20*time.Second, "the Delete", func() bool { return len(p.ofType("Delete")) > 0 })
	})

	t.Run("the peer fetches our actor and objects", func(t *testing.T) {
		got := p.call(t, "fetch", map[string]string{"iri": group})
		if got["type"] != "Group" {
			t.Errorf("actor fetch = %v", got["type"])
		}
		code, loc, _ := cora.post("/offers/new", url.Values{"title": {"Ladder to lend"}, "category": {"lending"}, "visibility": {"public"}})
		if code != http.StatusSeeOther {
			t.Fatalf("post offer: %d", code)
		}
		got = p.call(t, "fetch", map[string]string{"iri": h.url + loc})
		if got["type"] != "Note" {
			t.Errorf("note fetch = %v", got)
		}
	})

	t.Run("the peer votes on a poll and sees the new count", func(t *testing.T) {
		closes := time.Now().UTC().AddDate(0, 0, 2)
		code, loc, body := cora.post("/polls/new", url.Values{"question": {"Where should the new bench go?"},
			"options": {"By the pond\nOn the green"}, "results": {"after_vote"}, "visibility": {"public"},
			"closes_on_day": {fmt.Sprint(closes.Day())}, "closes_on_month": {fmt.Sprint(int(closes.Month()))},
			"closes_on_year": {fmt.Sprint(closes.Year())}, "closes_at_hour": {"18"}, "closes_at_minute": {"00"}})
		if code != http.StatusSeeOther {
			t.Fatalf("post poll: %d %s", code, tail(body, 800))
		}
		question := h.url + loc
		waitFor(t, 20*time.Second, "the Question's Create", func() bool {
			for _, c := range p.ofType("Create") {
				if obj, _ := c.JSON["object"].(map[string]any); obj != nil && obj["id"] == question && obj["type"] == "Question" {
					return true
				}
			}
			return false
		})
		// Cora votes first (its Update goes at once); the peer's vote then
		// waits for the next free minute, and arrives coalesced.
		_, page := cora.get(loc)
		m := regexp.MustCompile(`name="option" value="(\d+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no options on the poll's page: %s", tail(page, 1500))
		}
		if code, _, body := cora.post(loc+"/vote", url.Values{"option": {m[1]}}); code != http.StatusSeeOther {
			t.Fatalf("cora's vote: %d %s", code, tail(body, 500))
		}
		p.call(t, "vote", map[string]string{"actor": group, "inReplyTo": question, "name": "On the green"})
		// votes counts an option's votes in a Question as Fedify read it.
		votes := func(obj map[string]any, name string) any {
			opts, _ := obj["oneOf"].([]any)
			for _, o := range opts {
				if o, _ := o.(map[string]any); o != nil && fmt.Sprint(o["name"]) == name {
					if r, _ := o["replies"].(map[string]any); r != nil {
						return r["totalItems"]
					}
				}
			}
			return nil
		}
		waitFor(t, 90*time.Second, "an Update{Question} with the vote", func() bool {
			for _, u := range p.ofType("Update") {
				if obj, _ := u.JSON["object"].(map[string]any); obj != nil && obj["id"] == question && fmt.Sprint(votes(obj, "On the green")) == "1" {
					return true
				}
			}
			return false
		})
		got := p.call(t, "fetch", map[string]string{"iri": question})
		doc, _ := got["document"].(map[string]any)
		if got["type"] != "Question" || fmt.Sprint(votes(doc, "On the green")) != "1" || fmt.Sprint(votes(doc, "By the pond")) != "1" ||
			fmt.Sprint(doc["votersCount"]) != "2" {
			t.Errorf("the Question, fetched: %v", got)
		}
		if _, page := cora.get(loc); !strings.Contains(page, "2 people have voted.") {
			t.Errorf("the poll's page after both votes: %s", tail(page, 1500))
		}
		// A vote that came while an Update was due takes the next minute's
		// slot as well; the later steps wait for empty queues, so let it go.
		h.waitDrainedWithin(t, 90*time.Second)
	})

	t.Run("after unfollowing, later posts are not delivered", func(t *testing.T) {
		// The wait below is enough: while the peer follows, a post has
		// reached it by the time the queues are drained.
		if code, _, _ := cora.post("/needs/new", url.Values{"title": {"Before unfollow"}, "category": {"food"}, "area": {"The green"},
			"visibility": {"public"}}); code != http.StatusSeeOther {
			t.Fatal("post")
		}
		h.waitDrained(t)
		if !p.gotCreate("Before unfollow") {
			t.Fatal("a post was not at the peer when the queues were drained: waitDrained proves nothing")
		}
		p.call(t, "unfollow", map[string]string{"actor": group, "followId": followID})
		waitFor(t, 20*time.Second, "the Undo to remove the follower", func() bool { return followerCount(t, group) == 0 })
		if code, _, _ := cora.post("/needs/new", url.Values{"title": {"After unfollow"}, "category": {"food"}, "area": {"The green"},
			"visibility": {"public"}}); code != http.StatusSeeOther {
			t.Fatal("post")
		}
		// The post's event is published with its deliveries in one
		// transaction, and a delivery is recorded only after the server
		// answered it: once no event and no delivery is pending, a
		// delivery to the peer would already have arrived. (Posts made
		// before the Undo may still arrive: only this one must not.)
		h.waitDrained(t)
		if p.gotCreate("After unfollow") {
			t.Error("the peer got a post made after it unfollowed")
		}
	})

	t.Run("hearth follows the peer's actor", func(t *testing.T) {
		code, _, body := cora.post("/groups/village/follow", url.Values{"address": {"@alice@" + p.host}})
		if code != http.StatusSeeOther {
			t.Fatalf("follow: %d %s", code, tail(body, 500))
		}
		waitFor(t, 30*time.Second, "the follow to be accepted", func() bool {
			_, body := cora.get("/groups/village")
			return regexp.MustCompile(`@alice@` + regexp.QuoteMeta(p.host) + `</code> – following`).MatchString(body)
		})
		if len(p.ofType("Follow")) == 0 {
			t.Error("the peer recorded no Follow")
		}
	})

	t.Run("a member's answer to the peer's post reaches it", func(t *testing.T) {
		// The peer does not follow the member: it keeps the answer because
		// it is mentioned in it.
		p.call(t, "post", map[string]string{"actor": group, "content": "<p>Does anyone have a ladder to lend?</p>"})
		var detail string
		waitFor(t, 20*time.Second, "the peer's post in Neighbours", func() bool {
			_, body := cora.get("/neighbours")
			m := regexp.MustCompile(`href="(/neighbours/[0-9]+)"`).FindStringSubmatch(body)
			if m != nil && strings.Contains(body, "Does anyone have a ladder to lend?") {
				detail = m[1]
			}
			return detail != ""
		})
		if code, _, body := cora.post(detail, url.Values{"body": {"I have one, from Hearth."}}); code != http.StatusSeeOther {
			t.Fatalf("answer: %d %s", code, tail(body, 500))
		}
		waitFor(t, 20*time.Second, "the answer at the peer", func() bool { return p.gotCreate("I have one, from Hearth.") })
		var kept *activity
		for _, c := range p.ofType("Create") {
			if raw, _ := json.Marshal(c.JSON); strings.Contains(string(raw), "I have one, from Hearth.") {
				kept = &c
			}
		}
		if kept == nil {
			t.Fatalf("the peer dropped the answer: %v", p.dropped("Create"))
		}
		obj, _ := kept.JSON["object"].(map[string]any)
		if kept.Actor != h.url+"/members/cora" || obj == nil || !strings.Contains(fmt.Sprint(obj["tag"]), p.actor()) {
			t.Errorf("answer = %v", kept.JSON)
		}
	})

	if _, errs := p.received(); len(errs) > 0 {
		t.Errorf("the peer reported errors: %v", errs)
	}
	// Fedify signs with RFC 9421 first; Hearth accepts it, so nothing of
	// the peer's should have been refused (no draft-cavage fallback).
	if log, _ := os.ReadFile(h.log); strings.Contains(string(log), "inbound request refused") {
		t.Errorf("Hearth refused some of the peer's requests:\n%s", tail(string(log), 3000))
	}
}

// followerCount reads a group's followers collection (-1 if it cannot).
func followerCount(t *testing.T, group string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, group+"/followers", nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var c struct{ TotalItems int }
	if json.NewDecoder(resp.Body).Decode(&c) != nil {
		return -1
	}
	return c.TotalItems
}
