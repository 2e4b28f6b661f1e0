package interop

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// decidePaths are the pages of budget rounds taking ideas and voting, a closed round
// with its results post, an open panel and a drawn panel.
type decidePaths struct {
	ideas, voting, results, notice, openPanel, drawnPanel string
	poll, votedPoll, proposal                             string
}

func days(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format("2006-01-02") }

// dated adds dates (name → YYYY-MM-DD) to a form as its day, month and
// year boxes (NAME_day, NAME_month, NAME_year).
func dated(v url.Values, dates map[string]string) url.Values {
	for name, iso := range dates {
		parts := strings.Split(iso, "-")
		v.Set(name+"_day", parts[2])
		v.Set(name+"_month", parts[1])
		v.Set(name+"_year", parts[0])
	}
	return v
}

// dateBoxes are the ids of a date field's three boxes and what to type in
// each: the day box has the field's own id.
func dateBoxes(id, iso string) map[string]string {
	parts := strings.Split(iso, "-")
	return map[string]string{id: parts[2], id + "_month": parts[1], id + "_year": parts[0]}
}

// seedDecide makes them through the forms, as a coordinator would, with
// the "start the next step now" button instead of waiting for dates.
func seedDecide(t *testing.T, cora *browser) decidePaths {
	t.Helper()
	var out decidePaths
	must := func(code int, loc, body string) string {
		t.Helper()
		if code != 303 {
			t.Fatalf("seeding: %d %s", code, tail(body, 800))
		}
		return loc
	}
	round := func(title string) string {
		return must(cora.post("/budgets/new", dated(url.Values{"title": {title}, "budget": {"500"}, "currency": {"GBP"}, "mode": {"knapsack"},
			"visibility": {"public"}}, map[string]string{"ideas_until": days(1), "voting_from": days(3), "voting_until": days(6)})))
	}
	idea := regexp.MustCompile(`action="(/budgets/\d+/projects/(\d+))/review"`)
	toVoting := func(path string) []string {
		for _, p := range []struct{ title, cost string }{{"Benches on the green", "300"}, {"Bulbs for the verges", "250"}} {
			must(cora.post(path+"/projects/new", url.Values{"title": {p.title}, "description": {"For everyone"}, "cost": {p.cost}}))
		}
		_, page := cora.get(path)
		var ids []string
		for _, m := range idea.FindAllStringSubmatch(page, -1) {
			must(cora.post(m[1]+"/review", url.Values{"review_" + m[2]: {"eligible"}}))
			ids = append(ids, m[2])
		}
		must(cora.post(path+"/advance", nil)) // review
		must(cora.post(path+"/advance", nil)) // voting
		return ids
	}
	out.ideas = round("Allotment fund")
	out.voting = round("Village fund 2027")
	toVoting(out.voting)
	out.results = round("Spring fund")
	ids := toVoting(out.results)
	must(cora.post(out.results+"/ballot", url.Values{"project": {ids[1]}}))
	must(cora.post(out.results+"/advance", nil)) // close
	_, page := cora.get(out.results)
	if m := regexp.MustCompile(`href="(/notices/\d+)"`).FindStringSubmatch(page); m != nil {
		out.notice = m[1]
	} else {
		t.Fatalf("no results post on %s", tail(page, 800))
	}
	panel := func(title string) string {
		return must(cora.post("/panels/new", dated(url.Values{"title": {title}, "size": {"2"},
			"stratum_1_name": {"Which part of the village?"}, "stratum_1": {"North end: 1\nSouth end: 1"}}, map[string]string{"ends_on": days(30)})))
	}
	out.openPanel = panel("Playground panel")
	must(cora.post(out.openPanel+"/volunteer", url.Values{"answer_1": {"1"}}))
	out.drawnPanel = panel("Bus shelter panel")
	must(cora.post(out.drawnPanel+"/volunteer", url.Values{"answer_1": {"1"}}))
	for i, name := range []string{"Gwen", "Huw", "Iris"} {
		code, _, body := cora.post(out.drawnPanel+"/guest", url.Values{"name": {name}, "contact": {"0770090012" + string(rune('0'+i))},
			"answer_1": {string(rune('1' + i%2))}, "consent": {"yes"}})
		if code != 200 {
			t.Fatalf("guest %s: %d %s", name, code, tail(body, 500))
		}
	}
	must(cora.post(out.drawnPanel+"/commit", url.Values{"method": {"secret"}}))
	must(cora.post(out.drawnPanel+"/draw", nil))
	poll := func(question string) string {
		return must(cora.post("/polls/new", dated(url.Values{"question": {question}, "options": {"By the pond\nOn the green\nOutside the shop"},
			"results": {"after_vote"}, "visibility": {"public"}, "closes_at_hour": {"18"}, "closes_at_minute": {"00"}},
			map[string]string{"closes_on": days(2)})))
	}
	out.poll = poll("Where should the new bench go?")
	out.votedPoll = poll("Which day for the litter-pick?")
	_, page = cora.get(out.votedPoll)
	m := regexp.MustCompile(`name="option" value="(\d+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no options on %s", tail(page, 800))
	}
	must(cora.post(out.votedPoll+"/vote", url.Values{"option": {m[1]}}))
	out.proposal = must(cora.post("/proposals/new", dated(url.Values{"title": {"Move the market to Saturdays"},
		"description": {"More people can come."}, "closes_at_hour": {"18"}, "closes_at_minute": {"00"}}, map[string]string{"closes_on": days(2)})))
	return out
}

// A budget round and a panel draw with JavaScript turned off: open a
// round, send an idea, review it, vote, close, read the results; create
// a panel, volunteer as a guest, close the list, draw, check the draw.
func TestDecideWithoutJavaScript(t *testing.T) {
	needNode(t)
	h := startHearth(t, "open")
	browser := newBrowser(t, false)
	cora, guest := tab(t, browser), tab(t, browser)
	run(t, cora, chromedp.Navigate(`data:text/html,<title>off</title><script>document.title="on"</script>`))
	if title := get(t, cora, chromedp.Title()); title != "off" {
		t.Fatalf("JavaScript is running in the no-JavaScript browser (title %q)", title)
	}
	login(t, cora, h, "cora", "correct horse battery")
	run(t, cora, chromedp.Navigate(h.url+"/decide"))
	click(t, cora, `a[href="/budgets/new"]`)
	waitText(t, cora, "People send ideas")
	fill(t, cora, map[string]string{"f-title": "Village fund 2027", "f-budget": "500"})
	for id, v := range map[string]string{"f-ideas_until": days(1), "f-voting_from": days(3), "f-voting_until": days(6)} {
		fill(t, cora, dateBoxes(id, v))
	}
	click(t, cora, "main form button[type=submit]")
	waitText(t, cora, "The round has started.")
	round := get(t, cora, chromedp.Location())

	click(t, cora, `a[href$="/projects/new"]`)
	waitText(t, cora, "Your idea, in a few words")
	fill(t, cora, map[string]string{"f-title": "Skate ramp", "f-description": "For the older children", "f-cost": "600"})
	click(t, cora, "main form button[type=submit]")
	waitText(t, cora, "This costs more than the whole budget of £500.")
	run(t, cora, chromedp.SetValue(chromedp.ID("f-cost"), "450"))
	click(t, cora, "main form button[type=submit]")
	waitText(t, cora, "Your idea has been sent.")
	screenshot(t, cora, "nojs round ideas")

	run(t, cora, chromedp.Click(chromedp.Search(`//summary[contains(., "Check")]`)))
	click(t, cora, `input[value="eligible"]`)
	click(t, cora, `form[action$="/review"] button[type=submit]`)
	waitText(t, cora, "The review has been saved.")
	click(t, cora, `form[action$="/advance"] button[type=submit]`)
	waitText(t, cora, "The round has moved to its next step.")
	click(t, cora, `form[action$="/advance"] button[type=submit]`)
	waitText(t, cora, "Cast my ballot")
	click(t, cora, `form[action$="/ballot"] button[type=submit]`)
	waitText(t, cora, "Tick at least one project.")
	click(t, cora, `input[name="project"]`)
	click(t, cora, `form[action$="/ballot"] button[type=submit]`)
	waitText(t, cora, "Your ballot has been saved.")
	screenshot(t, cora, "nojs round voted")
	click(t, cora, `form[action$="/advance"] button[type=submit]`)
	waitText(t, cora, "Ballots cast: 1. Given to projects: £450 of £500.")
	screenshot(t, cora, "nojs round results")
	click(t, cora, `a[href^="/notices/"]`)
	waitText(t, cora, "Results: Village fund 2027")

	run(t, cora, chromedp.Navigate(h.url+"/panels/new"))
	fill(t, cora, map[string]string{"f-title": "Playground panel", "f-size": "1", "f-stratum_1_name": "Which part of the village?",
		"f-stratum_1": "North end\nSouth end"})
	fill(t, cora, dateBoxes("f-ends_on", days(30)))
	click(t, cora, "main form button[type=submit]")
	waitText(t, cora, "The panel has been created.")
	panel := get(t, cora, chromedp.Location())

	run(t, guest, chromedp.Navigate(panel+"/guest"))
	fill(t, guest, map[string]string{"f-name": "Gwen Jones", "f-contact": "07700 900123"})
	click(t, guest, "#f-answer_1")
	click(t, guest, "main form button[type=submit]")
	waitText(t, guest, "Tick this to agree")
	click(t, guest, "#f-consent")
	click(t, guest, "main form button[type=submit]")
	waitText(t, guest, "Your number in the draw:")
	screenshot(t, guest, "nojs guest volunteered")

	run(t, cora, chromedp.Navigate(panel))
	waitText(t, cora, "Gwen Jones")
	click(t, cora, `input[value="secret"]`)
	click(t, cora, `form[action$="/commit"] button[type=submit]`)
	waitText(t, cora, "The list is closed and its fingerprint is published.")
	click(t, cora, `form[action$="/draw"] button[type=submit]`)
	waitText(t, cora, "Who was drawn (1)")
	screenshot(t, cora, "nojs panel drawn")
	click(t, cora, `a[href$="/verify"]`)
	waitText(t, cora, "Everything matches")
	if page := html(t, cora); !strings.Contains(page, "the same") {
		t.Errorf("the check page does not say the re-run is the same: %s", tail(page, 2000))
	}
	_ = round
}

// A poll and a consent proposal with JavaScript turned off: start a poll
// (a refused form first), vote, change the vote and see the bars; make a
// proposal, answer "block" without a reason (refused beside the reason),
// then with one.
func TestVotingWithoutJavaScript(t *testing.T) {
	needNode(t)
	h := startHearth(t, "open")
	browser := newBrowser(t, false)
	cora := tab(t, browser)
	run(t, cora, chromedp.Navigate(`data:text/html,<title>off</title><script>document.title="on"</script>`))
	if title := get(t, cora, chromedp.Title()); title != "off" {
		t.Fatalf("JavaScript is running in the no-JavaScript browser (title %q)", title)
	}
	login(t, cora, h, "cora", "correct horse battery")
	run(t, cora, chromedp.Navigate(h.url+"/decide"))
	click(t, cora, `a[href="/polls/new"]`)
	waitText(t, cora, "Between 2 and 10, one on each line.")
	fill(t, cora, map[string]string{"f-question": "Where should the new bench go?", "f-options": "By the pond",
		"f-closes_at": "18", "f-closes_at_minute": "00"})
	fill(t, cora, dateBoxes("f-closes_on", days(2)))
	click(t, cora, "main form button[type=submit]")
	waitText(t, cora, "Give between 2 and 10 options, one on each line (there is 1).")
	run(t, cora, chromedp.SetValue(chromedp.ID("f-options"), "By the pond\nOn the green\nOutside the shop"))
	click(t, cora, "main form button[type=submit]")
	waitText(t, cora, "Your poll is up.")
	click(t, cora, `form[action$="/vote"] button[type=submit]`)
	waitText(t, cora, "Choose an option.")
	click(t, cora, `#f-options`)
	click(t, cora, `form[action$="/vote"] button[type=submit]`)
	waitText(t, cora, "Your vote has been counted.")
	if page := html(t, cora); !strings.Contains(page, `class="bar p100"`) || !strings.Contains(page, "1 person has voted.") {
		t.Errorf("after voting, no results: %s", tail(page, 2000))
	}
	// Change the vote (the page already says the vote was counted).
	click(t, cora, `input[name="option"]:not(:checked)`)
	submit(t, cora, `form[action$="/vote"] button[type=submit]`)
	waitText(t, cora, "Your vote has been counted.")
	screenshot(t, cora, "nojs poll voted")

	run(t, cora, chromedp.Navigate(h.url+"/proposals/new"))
	fill(t, cora, map[string]string{"f-title": "Move the market to Saturdays", "f-description": "More people can come.",
		"f-closes_at": "18", "f-closes_at_minute": "00"})
	fill(t, cora, dateBoxes("f-closes_on", days(2)))
	click(t, cora, "main form button[type=submit]")
	waitText(t, cora, "Your proposal is open.")
	click(t, cora, `input[value="block"]`)
	click(t, cora, `form[action$="/answer"] button[type=submit]`)
	waitText(t, cora, "Say why you block the proposal: a block needs a reason.")
	fill(t, cora, map[string]string{"f-reason": "Saturdays clash with the football"})
	click(t, cora, `form[action$="/answer"] button[type=submit]`)
	waitText(t, cora, "Your answer has been saved.")
	waitText(t, cora, "You answered: Block.")
	screenshot(t, cora, "nojs proposal answered")
}
