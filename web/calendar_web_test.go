package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"

	"hearth/instance"
)

func postAction(t *testing.T, c *client, title, visibility string) string {
	t.Helper()
	return postItem(t, c, "actions", when(url.Values{"title": {title}, "place": {"The green"}, "visibility": {visibility}},
		"2026-12-05", "10:00", "12:00"))
}

// feed reads a calendar and returns its events' titles, failing on
// anything a calendar app would not read.
func feed(t *testing.T, r *response) map[string]*ics.VEvent {
	t.Helper()
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %q", r.status, r.header.Get("Content-Type"))
	}
	cal, err := ics.ParseCalendar(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, r.body)
	}
	out := map[string]*ics.VEvent{}
	for _, ev := range cal.Events() {
		out[ev.GetProperty(ics.ComponentPropertySummary).Value] = ev
	}
	return out
}

// The public calendar has public actions only, each with a reminder an
// hour before; a member's own feed, behind a secret token, has the
// actions they are going to, village-only ones too; the token can be
// replaced (the old one stops) and stopped; the page says how to
// subscribe with a webcal:// link.
func TestCalendarSubscriptions(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("org")
	h.member("ann")
	org, ann := h.as("org"), h.as("ann")
	open := postAction(t, org, "Litter-pick", "public")
	village := postAction(t, org, "Lunch club", "village")
	postAction(t, org, "Quiz night", "village") // ann is not going
	ann.post(open+"/join", nil)
	ann.post(village+"/join", nil)

	visitor := h.client()
	public := feed(t, visitor.get("/calendar.ics"))
	if public["Litter-pick"] == nil || public["Lunch club"] != nil || public["Quiz night"] != nil {
		t.Errorf("public feed has %v, want only the public action", keys(public))
	}
	alarms := public["Litter-pick"].Alarms()
	if len(alarms) != 1 || alarms[0].GetProperty(ics.ComponentPropertyTrigger).Value != "-PT1H" ||
		alarms[0].GetProperty(ics.ComponentPropertyAction).Value != "DISPLAY" {
		t.Errorf("reminder: %v", alarms)
	}

	// The page: a webcal:// link and how to use it.
	r := visitor.get("/calendar")
	mustContain(t, r.body, `href="webcal://127.0.0.1:8080/calendar.ics"`, h.says("calendar.outlook_text"), h.says("calendar.google_text"))
	mustNotContain(t, r.body, h.says("calendar.mine"))
	checkPage(t, "/calendar (visitor)", r, cssSize(t))

	// Ann makes her own link on her profile.
	mustContain(t, ann.get("/settings/profile").body, h.says("profile.calendar_make"))
	if r := ann.post("/settings/calendar", nil); r.status != http.StatusSeeOther {
		t.Fatalf("make link: %d", r.status)
	}
	r = ann.get("/settings/profile")
	link := regexpFind(t, `http://127\.0\.0\.1:8080/calendar/[A-Za-z0-9_-]{32}\.ics`, r.body)
	mustContain(t, r.body, `href="webcal://127.0.0.1:8080/calendar/`, h.says("profile.calendar_stop"))
	checkPage(t, "/settings/profile (calendar link)", r, cssSize(t))
	path := strings.TrimPrefix(link, "http://127.0.0.1:8080")
	mine := feed(t, visitor.get(path))
	if mine["Litter-pick"] == nil || mine["Lunch club"] == nil || mine["Quiz night"] != nil {
		t.Errorf("ann's feed has %v, want the two actions she is going to", keys(mine))
	}
	if len(mine["Lunch club"].Alarms()) != 1 {
		t.Error("no reminder in ann's feed")
	}
	r = ann.get("/calendar")
	mustContain(t, r.body, `href="webcal://127.0.0.1:8080`+path+`"`)
	checkPage(t, "/calendar (member)", r, cssSize(t))

	// A new link: the old one stops working.
	ann.post("/settings/calendar", nil)
	if r := visitor.get(path); r.status != http.StatusNotFound {
		t.Errorf("old link after a new one: %d, want 404", r.status)
	}
	path = strings.TrimPrefix(regexpFind(t, `http://127\.0\.0\.1:8080/calendar/[A-Za-z0-9_-]{32}\.ics`, ann.get("/settings/profile").body), "http://127.0.0.1:8080")
	feed(t, visitor.get(path))
	ann.post("/settings/calendar", url.Values{"stop": {"yes"}})
	if r := visitor.get(path); r.status != http.StatusNotFound {
		t.Errorf("stopped link: %d, want 404", r.status)
	}
	mustContain(t, ann.get("/settings/profile").body, h.says("profile.calendar_make"))
	if r := visitor.get("/calendar/abcdefghijklmnopqrstuvwxyz012345.ics"); r.status != http.StatusNotFound {
		t.Errorf("made-up token: %d", r.status)
	}
}

func keys(m map[string]*ics.VEvent) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
