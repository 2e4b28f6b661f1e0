package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"hearth/instance"
)

// "Download everything" is readable: the file has plain keys and words
// (no column expressions such as COALESCE(slot_id, 0), no codes such as
// note.help_accepted or "village"), and the same is a page to read and
// print, linked from the profile.
func TestExportIsReadable(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	h.member("bob")
	ann, bob := h.as("ann"), h.as("bob")
	offer := postItem(t, ann, "offers", url.Values{"title": {"Jam jars"}, "category": {"food"}, "visibility": {"village"}})
	action := postItem(t, ann, "actions", when(url.Values{"title": {"Litter-pick"}, "place": {"The green"}, "slot_name_1": {"pickers"},
		"slot_capacity_1": {"3"}, "visibility": {"public"}}, "2026-12-05", "10:00", "12:00"))
	need := postItem(t, bob, "needs", url.Values{"title": {"Lift to the surgery"}, "category": {"lifts"}, "area": {"Mill Lane"},
		"visibility": {"public"}, "address": {"4 Mill Lane"}})
	ann.post(need+"/help", url.Values{"message": {"I can drive you"}, "buddy": {"yes"}})
	ann.post(need+"/responses", url.Values{"body": {"Happy to help"}})
	it, _ := h.svc.Item(context.Background(), nil, instance.KindAction, idOf(action))
	ann.post(action+"/join", url.Values{"slot": {fmtInt(it.Slots[0].ID)}})
	bobM, _ := h.svc.Member(context.Background(), "bob")
	annM, _ := h.svc.Member(context.Background(), "ann")
	wanted, _ := h.svc.Item(context.Background(), bobM, instance.KindOffer, idOf(offer))
	bob.post(offer+"/want", url.Values{"message": {"For my marmalade"}})
	ints, _ := h.svc.Interests(context.Background(), annM, wanted)
	ann.post(offer+"/give/"+fmtInt(ints[0].ID), nil)
	helpFor, _ := h.svc.Item(context.Background(), bobM, instance.KindNeed, idOf(need))
	offers, _ := h.svc.Interests(context.Background(), bobM, helpFor)
	if r := bob.post(need+"/accept/"+fmtInt(offers[0].ID), nil); r.status != http.StatusSeeOther {
		t.Fatalf("accept: %d", r.status)
	}
	// Deciding together: a vote, an answer to a proposal, a private feed.
	closes := h.svc.Now().In(h.svc.Location()).AddDate(0, 0, 3)
	poll := postItemAt(t, bob, "/polls/new", pollForm(closes))
	opts := optionRE.FindAllStringSubmatch(ann.get(poll).body, -1)
	if r := ann.post(poll+"/vote", url.Values{"option": {opts[1][1]}}); r.status != http.StatusSeeOther {
		t.Fatalf("vote: %d", r.status)
	}
	proposal := postItemAt(t, bob, "/proposals/new", url.Values{"title": {"Move the market to Saturdays"}, "description": {"More people can come."},
		"closes_on_day": {strconv.Itoa(closes.Day())}, "closes_on_month": {strconv.Itoa(int(closes.Month()))},
		"closes_on_year": {strconv.Itoa(closes.Year())}, "closes_at_hour": {"12"}, "closes_at_minute": {"00"}})
	if r := ann.post(proposal+"/answer", url.Values{"answer": {"block"}, "reason": {"Saturdays clash with the football"}}); r.status != http.StatusSeeOther {
		t.Fatalf("answer: %d", r.status)
	}
	if r := ann.post("/settings/feed", nil); r.status != http.StatusSeeOther {
		t.Fatalf("private feed: %d", r.status)
	}

	r := ann.get("/settings/export.json")
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export file: %d %q", r.status, r.header.Get("Content-Disposition"))
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(r.body), &data); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"about", "profile", "posts", "replies", "offers_of_help", "actions_joined", "messages", "groups", "email_choices",
		"poll_votes", "proposal_answers", "panels", "standing_places"} {
		if _, ok := data[key]; !ok {
			t.Errorf("export has no %q", key)
		}
	}
	// Keys are plain words; no SQL, no codes.
	if bad := regexp.MustCompile(`"[^"]*[()A-Z ][^"]*":`).FindAllString(r.body, -1); len(bad) > 0 {
		t.Errorf("keys that are not plain: %v", bad)
	}
	for _, code := range []string{"COALESCE", "note.", "state.", `"village"`, `"going"`, "verified_helper", `"active"`, "prefs."} {
		if strings.Contains(r.body, code) {
			t.Errorf("export contains the code %q", code)
		}
	}
	profile, _ := data["profile"].(map[string]any)
	if profile["username"] != "ann" || profile["status"] != h.web.cat.text("en", "memberstatus.active") ||
		profile["private_feed_address"] != h.web.cat.text("en", "export.yes") {
		t.Errorf("profile: %v", profile)
	}
	for _, want := range []string{
		h.web.cat.text("en", "visibility.village"), h.web.cat.text("en", "kind.offer"), "Jam jars",
		h.web.cat.text("en", "note.help_accepted", bobM.DisplayName, "Lift to the surgery"), "Lift to the surgery", "I can drive you", "Happy to help",
		"pickers", h.web.cat.text("en", "export.attend.going"), "Saturday 5 December 2026",
		`"poll": "Where should the new bench go?"`, `"your_choice": "On the green"`, `"link": "http`,
		`"proposal": "Move the market to Saturdays"`, `"answer": "` + h.web.cat.text("en", "proposal.answer_block") + `"`,
		`"reason": "Saturdays clash with the football"`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("export file lacks %q", want)
		}
	}
	if strings.Contains(r.body, "4 Mill Lane") {
		t.Error("the export holds bob's private address")
	}
	// The same, to read and print.
	mustContain(t, ann.get("/settings/profile").body, `href="/settings/export"`)
	r = ann.get("/settings/export")
	if r.status != http.StatusOK {
		t.Fatalf("export page: %d", r.status)
	}
	mustContain(t, r.body, h.says("export.title"), `href="/settings/export.json"`, h.says("export.s.posts"),
		h.says("export.s.poll_votes"), h.says("export.s.proposal_answers"), h.says("export.f.your_choice"),
		"<dt>"+h.says("export.f.who_can_see")+`</dt><dd><p class="ugc">`+h.says("visibility.village")+"</p></dd>",
		h.says("note.help_accepted", bobM.DisplayName, "Lift to the surgery"))
	checkPage(t, "/settings/export", r, cssSize(t))
}

func idOf(path string) int64 {
	var id int64
	for _, c := range path[strings.LastIndex(path, "/")+1:] {
		id = id*10 + int64(c-'0')
	}
	return id
}
