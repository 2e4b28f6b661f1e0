package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// pollForm is a filled-in poll form closing at the given day, 12:00.
func pollForm(closes time.Time) url.Values {
	return url.Values{"question": {"Where should the new bench go?"}, "options": {"By the pond\nOn the green\nOutside the shop"},
		"results": {"after_vote"}, "visibility": {"public"},
		"closes_on_day": {strconv.Itoa(closes.Day())}, "closes_on_month": {strconv.Itoa(int(closes.Month()))},
		"closes_on_year": {strconv.Itoa(closes.Year())}, "closes_at_hour": {"12"}, "closes_at_minute": {"00"}}
}

var optionRE = regexp.MustCompile(`name="option" value="(\d+)"`)

// Voting without JavaScript: a plain form post. The vote can be changed;
// the results table (with its bars) shows after voting; a bad form
// comes back with the message beside the options and the vote unchanged.
func TestPollVotingNoScript(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	bob := h.member("bob")
	rita, bobC := h.as("rita"), h.as("bob")
	closes := h.svc.Now().In(h.svc.Location()).AddDate(0, 0, 3)

	bad := pollForm(closes)
	bad.Set("options", "Only one")
	r := rita.post("/polls/new", bad)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("a poll with one option: %d", r.status)
	}
	mustContain(t, r.body, `id="f-options-error"`)
	mustContain(t, r.body, esc(h.msg(t, "err.poll_options", 2, 10, 1)))

	path := postItemAt(t, rita, "/polls/new", pollForm(closes))
	page := bobC.get(path).body
	opts := optionRE.FindAllStringSubmatch(page, -1)
	if len(opts) != 3 || strings.Contains(page, `<table class="poll">`) {
		t.Fatalf("before voting: %d options, results shown: %v", len(opts), strings.Contains(page, `<table class="poll">`))
	}
	if r := bobC.post(path+"/vote", url.Values{}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, esc(h.msg(t, "err.poll_choose"))) {
		t.Errorf("an empty vote: %d", r.status)
	}
	if r := bobC.post(path+"/vote", url.Values{"option": {opts[0][1], opts[1][1]}}); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, esc(h.msg(t, "err.poll_one"))) {
		t.Errorf("two choices: %d", r.status)
	}
	if r := bobC.post(path+"/vote", url.Values{"option": {opts[0][1]}}); r.status != http.StatusSeeOther {
		t.Fatalf("a vote: %d %s", r.status, errorsIn(r.body))
	}
	if r := bobC.post(path+"/vote", url.Values{"option": {opts[1][1]}}); r.status != http.StatusSeeOther {
		t.Fatalf("a changed vote: %d", r.status)
	}
	page = bobC.get(path).body
	mustContain(t, page, `<table class="poll">`)
	mustContain(t, page, `class="bar p100"`)
	mustContain(t, page, `value="`+opts[1][1]+`" checked`)
	id, _ := strconv.ParseInt(path[strings.LastIndex(path, "/")+1:], 10, 64)
	_, p, err := h.svc.Poll(context.Background(), bob, id)
	if err != nil || p.Options[0].Votes != 0 || p.Options[1].Votes != 1 {
		t.Errorf("counts after changing the vote: %+v %v", p, err)
	}
	// A visitor sees the public poll and is asked to sign in; no counts
	// before it closes.
	v := h.client().get(path)
	if v.status != http.StatusOK || strings.Contains(v.body, `<table class="poll">`) || !strings.Contains(v.body, esc(h.msg(t, "poll.sign_in"))) {
		t.Errorf("a visitor's view: %d", v.status)
	}
	// After closing, a vote is refused beside the field and changes nothing.
	h.advance(4 * 24 * time.Hour)
	r = bobC.post(path+"/vote", url.Values{"option": {opts[0][1]}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, esc(h.msg(t, "err.poll_closed"))) {
		t.Errorf("a vote after closing: %d", r.status)
	}
	if _, p, _ := h.svc.Poll(context.Background(), bob, id); p.Options[0].Votes != 0 || p.Options[1].Votes != 1 {
		t.Errorf("a vote after closing changed the counts: %+v", p.Options)
	}
	mustContain(t, h.client().get(path).body, `<table class="poll">`)
}

// A consent proposal by form: a block without a reason is refused beside
// the reason; the outcome and every reason are shown once it closes.
func TestProposalNoScript(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	h.member("bob")
	rita, bob := h.as("rita"), h.as("bob")
	closes := h.svc.Now().In(h.svc.Location()).AddDate(0, 0, 3)
	form := url.Values{"title": {"Move the market to Saturdays"}, "description": {"More people can come."},
		"closes_on_day": {strconv.Itoa(closes.Day())}, "closes_on_month": {strconv.Itoa(int(closes.Month()))},
		"closes_on_year": {strconv.Itoa(closes.Year())}, "closes_at_hour": {"12"}, "closes_at_minute": {"00"}}
	path := postItemAt(t, rita, "/proposals/new", form)
	r := bob.post(path+"/answer", url.Values{"answer": {"block"}, "reason": {""}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("a block without a reason: %d", r.status)
	}
	mustContain(t, r.body, `id="f-reason-error"`)
	mustContain(t, r.body, esc(h.msg(t, "err.block_reason")))
	if r := bob.post(path+"/answer", url.Values{"answer": {"block"}, "reason": {"Saturdays clash with the football"}}); r.status != http.StatusSeeOther {
		t.Fatalf("a block with a reason: %d %s", r.status, errorsIn(r.body))
	}
	if page := rita.get(path).body; strings.Contains(page, "clash with the football") {
		t.Error("rita sees bob's reason before the proposal closes")
	}
	h.advance(4 * 24 * time.Hour)
	if err := h.svc.SweepDecide(context.Background()); err != nil {
		t.Fatal(err)
	}
	page := rita.get(path).body
	mustContain(t, page, esc(h.msg(t, "proposal.outcome_blocked")))
	mustContain(t, page, "Saturdays clash with the football")
	if v := h.client().get(path); v.status != http.StatusSeeOther {
		t.Errorf("a visitor reached a proposal: %d", v.status)
	}
}
