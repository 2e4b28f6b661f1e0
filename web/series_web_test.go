package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"

	"hearth/instance"
	"hearth/instance/repeat"
)

// A weekly lunch club posted from the form: shown as one series with its
// next dates; a member comes every time; the organiser's rota shows who
// is on which role and refuses a change that would put someone in two
// places at once; the public .ics has one event with the RRULE, an EXDATE
// for a skipped date and a RECURRENCE-ID for a moved one, and parses back
// through golang-ical to the same rule.
func TestRecurringActionPages(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("org")
	h.member("ann")
	org, ann := h.as("org"), h.as("ann")
	form := when(url.Values{"title": {"Lunch club"}, "place": {"The hall"}, "visibility": {"public"}, "repeat": {"weekly"},
		"slot_name_1": {"cooks"}, "slot_capacity_1": {"2"}}, "2026-12-01", "12:00", "14:00")
	club := postItem(t, org, "actions", form)
	r := ann.get(club)
	mustContain(t, r.body, h.says("series.title"), "Every week on Tuesday", h.says("series.join_every"), `formaction="`+club+`/every"`)
	checkPage(t, club+" (series)", r, cssSize(t))

	// Bad input comes back beside its field.
	bad := when(url.Values{"title": {"Quiz"}, "place": {"The pub"}, "repeat": {"weekly"}, "repeat_times": {"3"},
		"repeat_until_day": {"1"}, "repeat_until_month": {"3"}, "repeat_until_year": {"2027"}}, "2026-12-01", "12:00", "14:00")
	r = org.post("/actions/new", bad)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("two ends: %d", r.status)
	}
	mustContain(t, r.body, h.says("err.repeat_one_end"))
	checkPage(t, "/actions/new (repeat errors)", r, cssSize(t))

	if r := ann.post(club+"/every", nil); r.status != http.StatusSeeOther {
		t.Fatalf("every time: %d %s", r.status, errorsIn(r.body))
	}
	mustContain(t, ann.get(club).body, h.says("series.you_are_regular"), h.says("series.stop"))
	if r := ann.get(club + "/rota"); r.status != http.StatusForbidden {
		t.Fatalf("a member's rota: %d", r.status)
	}

	// Org goes to a quiz on 8 December at 13:00: the rota will not put
	// them on that date's cooks.
	quiz := postItem(t, org, "actions", when(url.Values{"title": {"Quiz"}, "place": {"The pub"}}, "2026-12-08", "13:00", "15:00"))
	r = org.get(club + "/rota")
	mustContain(t, r.body, "Coming: Name ann", h.says("rota.gap"))
	checkPage(t, club+"/rota", r, cssSize(t))
	dates := regexpAll(r.body, `<option value="([0-9]+)"`)
	if len(dates) != 8 {
		t.Fatalf("rota offers %d dates, want 8", len(dates))
	}
	if r := org.post(quiz+"/join", nil); r.status != http.StatusSeeOther {
		t.Fatalf("org joins the quiz: %d", r.status)
	}
	r = org.post(club+"/rota", url.Values{"date": {dates[1]}, "role": {"cooks"}, "member": {"org"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("double booking: %d", r.status)
	}
	mustContain(t, r.body, "two places at once", "Quiz")
	checkPage(t, club+"/rota (refused)", r, cssSize(t))

	// Skip 15 December, move 22 December to the 23rd.
	if r := org.post("/actions/"+dates[2]+"/cancel", url.Values{"reason": {"Hall closed"}}); r.status != http.StatusSeeOther {
		t.Fatalf("skip: %d", r.status)
	}
	moved := when(url.Values{"title": {"Lunch club"}, "place": {"The hall"}, "visibility": {"public"}}, "2026-12-23", "12:00", "14:00")
	if r := org.post("/actions/"+dates[3]+"/edit", moved); r.status != http.StatusSeeOther {
		t.Fatalf("move: %d %s", r.status, errorsIn(r.body))
	}
	body := h.client().get("/calendar.ics").body
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var master, override *ics.VEvent
	for _, ev := range cal.Events() {
		if ev.GetProperty(ics.ComponentPropertyRrule) != nil {
			master = ev
		} else if ev.GetProperty(ics.ComponentPropertyRecurrenceId) != nil {
			override = ev
		}
	}
	if master == nil || override == nil {
		t.Fatalf("no series or no moved date in\n%s", body)
	}
	rule, err := repeat.Parse(master.GetProperty(ics.ComponentPropertyRrule).Value)
	if err != nil || rule.String() != "FREQ=WEEKLY;BYDAY=TU" {
		t.Fatalf("RRULE back as %v (%v)", rule, err)
	}
	if ex := master.GetProperty(ics.ComponentPropertyExdate); ex == nil || ex.Value != "20261215T120000" {
		t.Fatalf("EXDATE %v", ex)
	}
	if rid := override.GetProperty(ics.ComponentPropertyRecurrenceId); rid.Value != "20261222T120000" ||
		override.GetProperty(ics.ComponentPropertyDtStart).Value != "20261223T120000" || override.Id() != master.Id() {
		t.Fatalf("moved date: RECURRENCE-ID %s, DTSTART %s", rid.Value, override.GetProperty(ics.ComponentPropertyDtStart).Value)
	}
	if n := strings.Count(body, "Lunch club"); n > 6 {
		t.Fatalf("the feed repeats the series %d times", n)
	}
	// For calendar apps without RRULE: each date.
	single, err := ics.ParseCalendar(strings.NewReader(h.client().get("/calendar.ics?single=1").body))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range single.Events() {
		if ev.GetProperty(ics.ComponentPropertySummary).Value == "Lunch club" {
			n++
		}
	}
	if n < 6 {
		t.Fatalf("single events: %d", n)
	}
}

func regexpAll(body, pattern string) []string {
	var out []string
	for _, m := range regexp.MustCompile(pattern).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}
