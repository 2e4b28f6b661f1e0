package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// msg is the English text of a catalogue key, so tests assert which
// message a page shows (the key), not only some words.
func (h *harness) msg(t *testing.T, key string, args ...any) string {
	t.Helper()
	if !h.web.cat.exists(key) {
		t.Fatalf("no message %q in the catalogue", key)
	}
	return h.web.cat.text("en", key, args...)
}

// esc is text as html/template writes it into a page.
func esc(s string) string { return template.HTMLEscapeString(s) }

var summaryLinkRE = regexp.MustCompile(`<li><a href="#([^"]+)">([^<]*)</a></li>`)

// summary lists the error summary's links: "anchor=message".
func summary(body string) []string {
	i := strings.Index(body, `class="error-summary"`)
	if i < 0 {
		return nil
	}
	end := strings.Index(body[i:], "</ul>")
	var out []string
	for _, m := range summaryLinkRE.FindAllStringSubmatch(body[i:i+end], -1) {
		out = append(out, m[1]+"="+m[2])
	}
	return out
}

// Needs and offers start on "Choose a category", with nothing chosen for
// the member (a prescription pick-up was filed as shopping), and leaving
// it says so beside the field in those words. Actions may have none.
func TestCategoryMustBeChosen(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	c := h.as("rita")
	selectRE := regexp.MustCompile(`(?s)<select id="f-category".*?</select>`)
	for _, kind := range []string{"needs", "offers"} {
		sel := selectRE.FindString(c.get("/" + kind + "/new").body)
		if !strings.HasPrefix(sel[strings.Index(sel, "<option"):], `<option value="" selected>`+h.msg(t, "itemform.choose_category")+`</option>`) {
			t.Errorf("%s: the category list does not start on Choose a category: %.200s", kind, sel)
		}
		if regexp.MustCompile(`<option value="[^"]+" selected`).MatchString(sel) {
			t.Errorf("%s: a category is chosen for the member: %s", kind, sel)
		}
		form := needForm()
		form.Del("category")
		r := c.post("/"+kind+"/new", form)
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("%s without a category: %d", kind, r.status)
		}
		want := esc(h.msg(t, "field.category.choice"))
		mustContain(t, r.body, `id="f-category-error">`+want+`</p>`)
		if got := summary(r.body); len(got) != 1 || got[0] != "f-category="+want {
			t.Errorf("%s: summary %q", kind, got)
		}
	}
	sel := selectRE.FindString(c.get("/actions/new").body)
	mustContain(t, sel, `<option value="" selected>`+h.msg(t, "itemform.no_category")+`</option>`)
	if items, _ := h.svc.Items(context.Background(), nil, instance.ItemFilter{}); len(items) != 0 {
		t.Errorf("%d items stored without a category", len(items))
	}
}

// The error summary names each field in its label's words, in the order
// of the form, with a message for that field; the h1 stays as it was
// ("Error:" goes in the <title> only).
func TestErrorSummaryFollowsTheForm(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("rita")
	c := h.as("rita")
	r := c.post("/needs/new", url.Values{"title": {""}, "category": {""}, "area": {""}, "visibility": {"public"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.status)
	}
	want := []string{"f-title=" + esc(h.msg(t, "field.title_need.required")), "f-category=" + esc(h.msg(t, "field.category.choice")),
		"f-area=" + esc(h.msg(t, "field.area.required"))}
	if got := summary(r.body); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("summary\n got %q\nwant %q", got, want)
	}
	mustContain(t, r.body, `id="f-title-error">`+esc(h.msg(t, "field.title_need.required")), "<h1>Ask for help</h1>",
		"<title>Error: Ask for help – Testham</title>")
	// A general message is named by the field's own label.
	r = c.post("/needs/new", url.Values{"title": {"Help"}, "category": {"lifts"}, "area": {strings.Repeat("a", 81)}, "visibility": {"public"}})
	if got := summary(r.body); len(got) != 1 || got[0] != "f-area="+esc("Roughly where: "+h.msg(t, "err.too_long", 80, 81)) {
		t.Errorf("too long: %q", got)
	}
	r = c.post("/offers/new", url.Values{"title": {""}, "category": {"food"}, "visibility": {"public"}})
	mustContain(t, r.body, `id="f-title-error">`+esc(h.msg(t, "field.title_offer.required")), "<h1>Offer something</h1>")
	// An action's errors follow its form: title, start, then place.
	r = c.post("/actions/new", url.Values{"title": {""}, "place": {""}, "visibility": {"public"}})
	want = []string{"f-title=" + esc(h.msg(t, "field.title_action.required")), "f-start_date=" + esc(h.msg(t, "field.start_date.required")),
		"f-start_time=" + esc(h.msg(t, "field.start_time.required")), "f-end_time=" + esc(h.msg(t, "field.end_time.required")), "f-place=" + esc(h.msg(t, "field.place.required"))}
	if got := summary(r.body); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("action summary\n got %q\nwant %q", got, want)
	}
	// Editing keeps its own heading too.
	path := postItem(t, c, "needs", needForm())
	form := needForm()
	form.Set("title", "")
	r = c.post(path+"/edit", form)
	mustContain(t, r.body, "<h1>Change your request</h1>", `id="f-title-error"`)
}

// checkForm is the safety-check form: which check, done on and valid
// until (YYYY-MM-DD), typed into the day, month and year boxes.
func checkForm(check, on, until string) url.Values {
	v := url.Values{"check": {check}}
	setDate(v, "verified_on", instance.DateOf(on))
	setDate(v, "expires_on", instance.DateOf(until))
	return v
}

// A safety check with a date left out comes back as the member's page
// with what was typed and the problem beside each date, instead of a dead
// end. The form is on the member's own page, where their roles and checks
// are.
func TestSafetyCheckFormKeepsWhatWasTyped(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	dave := h.member("dave", instance.RoleHelper)
	cora := h.as("cora")
	member := memberPath(dave.ID)
	path := member + "/verify"
	mustContain(t, cora.get("/admin/members").body, `href="`+member+`"`)
	r := cora.get(member)
	mustContain(t, r.body, `<h1 class="ugc">Name dave</h1>`, `action="`+path+`"`, `name="verified_on_day"`, `name="expires_on_year"`)
	mustNotContain(t, r.body, `type="date"`)
	checkPage(t, member, r, cssSize(t))
	r = cora.post(path, url.Values{"check": {"dbs"}, "verified_on_day": {"20"}, "verified_on_month": {"11"}, "verified_on_year": {"2026"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("no expiry date: %d", r.status)
	}
	mustContain(t, r.body, `id="f-expires_on-error">`+esc(h.msg(t, "verify.expires_on.required")), `name="verified_on_day" value="20"`,
		`value="dbs" checked`, `<h1 class="ugc">Name dave</h1>`)
	checkPage(t, path+" (errors)", r, cssSize(t))
	r = cora.post(path, url.Values{"check": {"dbs"}, "verified_on_day": {"20"}, "verified_on_month": {"11"}, "verified_on_year": {"2026"},
		"expires_on_day": {"27"}, "expires_on_month": {"11"}, "expires_on_year": {"2026"}})
	mustContain(t, r.body, `id="f-expires_on-error">`+esc(h.msg(t, "verify.expires_on.date_after_today")))
	r = cora.post(path, url.Values{"check": {"dbs"}, "verified_on_day": {"20"}, "verified_on_month": {"11"}, "verified_on_year": {"2026"},
		"expires_on_day": {"20"}, "expires_on_month": {"11"}, "expires_on_year": {"2027"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("record: %d %s", r.status, errorsIn(r.body))
	}
	if m, _ := h.svc.MemberByID(context.Background(), dave.ID); !m.Has(instance.RoleVerifiedHelper) {
		t.Error("the check did not make dave a verified helper")
	}
	h.member("olly")
	if r := h.as("olly").get(member); r.status != http.StatusForbidden {
		t.Errorf("a member opened the safety check form: %d", r.status)
	}
}

// Every date is three boxes (day, month, year) and every time two (hour,
// minute, 24-hour), never the browser's date or time input, with a hint
// that matches; a problem is said beside the field, on the box it is about,
// and what was typed stays.
func TestDateAndTimeFields(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	h := newHarness(t, instance.RegistrationOpen, func(o *instance.Options) { o.Location = london })
	h.member("rita")
	c := h.as("rita")
	inputRE := regexp.MustCompile(`<input[^>]*>`)
	for _, path := range []string{"/needs/new", "/offers/new", "/actions/new"} {
		body := c.get(path).body
		mustNotContain(t, body, `type="date"`, `type="time"`, "2026-12-05")
		mustContain(t, body, esc(h.msg(t, "field.date_hint")), ">"+h.msg(t, "date.part.day")+"</label>", ">"+h.msg(t, "date.part.year")+"</label>")
		for _, in := range inputRE.FindAllString(body, -1) {
			if regexp.MustCompile(`name="\w+_(day|month|year|hour|minute)"`).MatchString(in) && !strings.Contains(in, `inputmode="numeric"`) {
				t.Errorf("%s: a date box without the number keypad: %s", path, in)
			}
		}
	}
	mustContain(t, c.get("/actions/new").body, `name="start_time_hour"`, `name="end_time_minute"`, esc(h.msg(t, "field.time_hint")))
	// The dates of deciding together and of safety checks too.
	ritaM, _ := h.svc.Member(context.Background(), "rita")
	h.member("cora", instance.RoleCoordinator)
	cora := h.as("cora")
	for path, names := range map[string][]string{"/budgets/new": {"ideas_until", "voting_from", "voting_until"}, "/panels/new": {"ends_on"},
		memberPath(ritaM.ID): {"verified_on", "expires_on"}} {
		body := cora.get(path).body
		mustNotContain(t, body, `type="date"`)
		for _, name := range names {
			for _, part := range []string{"day", "month", "year"} {
				mustContain(t, body, `name="`+name+`_`+part+`"`)
			}
		}
	}

	need := func(day, month, year string) *response {
		f := needForm()
		f.Set("needed_by_day", day)
		f.Set("needed_by_month", month)
		f.Set("needed_by_year", year)
		return c.post("/needs/new", f)
	}
	for _, tc := range []struct {
		day, month, year, code, anchor string
		invalid                        []string
	}{
		{"5", "", "2027", "err.date_missing_month", "f-needed_by_month", []string{"month"}},
		{"", "", "2027", "err.date_missing_day_month", "f-needed_by", []string{"day", "month"}},
		{"31", "2", "2027", "err.date_real", "f-needed_by", []string{"day", "month", "year"}},
		{"5", "12", "27", "err.date_year", "f-needed_by_year", []string{"year"}},
		{"26", "11", "2026", "err.date_past", "f-needed_by", []string{"day", "month", "year"}},
	} {
		r := need(tc.day, tc.month, tc.year)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s %s %s: %d", tc.day, tc.month, tc.year, r.status)
			continue
		}
		text := esc(h.msg(t, tc.code))
		mustContain(t, r.body, `id="f-needed_by-error">`+text+`</p>`, `name="needed_by_day" value="`+tc.day+`"`,
			`name="needed_by_year" value="`+tc.year+`"`)
		// The summary names the field by its label ("When do you need it
		// by: The date must include a month").
		named := esc(strings.TrimSuffix(h.msg(t, "field.needed_by"), "?")+": ") + text
		if got := summary(r.body); len(got) != 1 || got[0] != tc.anchor+"="+named {
			t.Errorf("%s: summary %q", tc.code, got)
		}
		for _, part := range []string{"day", "month", "year"} {
			marked := regexp.MustCompile(`name="needed_by_` + part + `"[^>]*aria-invalid="true"`).MatchString(r.body)
			if marked != strings.Contains(strings.Join(tc.invalid, " "), part) {
				t.Errorf("%s: the %s box marked invalid = %v", tc.code, part, marked)
			}
		}
	}
	// Today is fine, and is stored as the day in the village's time zone.
	path := postItem(t, c, "needs", func() url.Values { f := needForm(); setDay(f, "needed_by", "2026-11-27"); return f }())
	mustContain(t, c.get(path).body, "Friday 27 November 2026")
	mustContain(t, c.get(path+"/edit").body, `name="needed_by_day" value="27"`, `name="needed_by_month" value="11"`, `name="needed_by_year" value="2026"`)

	action := func(f url.Values) *response {
		f.Set("title", "Litter-pick")
		f.Set("place", "The green")
		f.Set("visibility", "public")
		return c.post("/actions/new", f)
	}
	r := action(when(url.Values{}, "2026-12-05", "25:00", "12:00"))
	mustContain(t, r.body, `id="f-start_time-error">`+esc(h.msg(t, "err.time_real")), `name="start_time_hour" value="25"`)
	r = action(when(url.Values{}, "2026-12-05", "10:00", "09:30"))
	mustContain(t, r.body, `id="f-end_time-error">`+esc(h.msg(t, "err.end_before_start")))
	// The clocks go forward at 01:00 on 28 March 2027: 01:30 does not exist.
	r = action(when(url.Values{}, "2027-03-28", "01:30", "03:00"))
	mustContain(t, r.body, `id="f-start_time-error">`+esc(h.msg(t, "err.time_clock_change")))
	// 10:00 that day is summer time (09:00 UTC); the end date may be left
	// empty for the same day, and "14.30" typed into the hour box is read.
	f := when(url.Values{}, "2027-03-28", "10:00", "")
	f.Set("end_time_hour", "14.30")
	if r := action(f); r.status != http.StatusSeeOther {
		t.Fatalf("summer-time action: %d %s", r.status, errorsIn(r.body))
	}
	items, _ := h.svc.Items(context.Background(), nil, instance.ItemFilter{Kind: instance.KindAction})
	if len(items) != 1 || !items[0].StartsAt.Equal(time.Date(2027, 3, 28, 9, 0, 0, 0, time.UTC)) ||
		!items[0].EndsAt.Equal(time.Date(2027, 3, 28, 13, 30, 0, 0, time.UTC)) {
		t.Fatalf("stored times: %+v", items)
	}
	// The clocks go back at 02:00 on 31 October 2027: 01:30 happens twice;
	// it is the first (summer time, 00:30 UTC).
	f = when(url.Values{}, "2027-10-31", "01:30", "03:00")
	if r := action(f); r.status != http.StatusSeeOther {
		t.Fatalf("repeated hour: %d %s", r.status, errorsIn(r.body))
	}
	items, _ = h.svc.Items(context.Background(), nil, instance.ItemFilter{Kind: instance.KindAction})
	if !items[0].StartsAt.Equal(time.Date(2027, 10, 31, 0, 30, 0, 0, time.UTC)) {
		t.Errorf("01:30 on the night the clocks go back: %v", items[0].StartsAt.UTC())
	}
	edit := c.get(items[0].Path() + "/edit").body
	mustContain(t, edit, `name="start_time_hour" value="01"`, `name="start_time_minute" value="30"`, `name="end_date_day" value=""`)
}

// A new need starts as seen by members only, whatever the configured
// default (which still applies to offers and actions), and the choices
// say in plain words who sees it.
func TestNeedsStartVillageOnly(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen, func(o *instance.Options) { o.DefaultVisibility = instance.VisibilityFollowers })
	h.member("rita")
	c := h.as("rita")
	radios := regexp.MustCompile(`<input type="radio" id="[^"]+" name="visibility" value="(\w+)"( checked)?><label for="[^"]+">([^<]*)</label>`)
	choices := func(path string) (order []string, checked string) {
		for _, m := range radios.FindAllStringSubmatch(c.get(path).body, -1) {
			order = append(order, m[1]+"="+m[3])
			if m[2] != "" {
				checked = m[1]
			}
		}
		return order, checked
	}
	want := []string{"village=" + esc(h.msg(t, "visibility.village_long", "Testham")), "followers=" + esc(h.msg(t, "visibility.followers_long")),
		"public=" + esc(h.msg(t, "visibility.public_long"))}
	order, checked := choices("/needs/new")
	if strings.Join(order, "|") != strings.Join(want, "|") || checked != "village" {
		t.Errorf("need form: %q, %q checked", order, checked)
	}
	if want[0] != "village=Only members of Testham" {
		t.Errorf("the village choice reads %q", want[0])
	}
	for _, path := range []string{"/offers/new", "/actions/new"} {
		if _, checked := choices(path); checked != "followers" {
			t.Errorf("%s: %q checked, want the configured followers", path, checked)
		}
	}
	// A need sent without a choice (an old form, a script) is village only.
	f := needForm()
	f.Del("visibility")
	path := postItem(t, c, "needs", f)
	it, err := h.svc.Item(context.Background(), nil, instance.KindNeed, itemID(t, path))
	if err == nil {
		t.Fatalf("a visitor sees a need posted without a choice: %+v", it)
	}
	mustContain(t, c.get(path).body, "<dd>Only members of Testham</dd>")
	if r := h.client().get(path); r.status != http.StatusNotFound {
		t.Errorf("a visitor opened a village-only need: %d", r.status)
	}
}

func itemID(t *testing.T, path string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(path[strings.LastIndex(path, "/")+1:], 10, 64)
	if err != nil {
		t.Fatalf("no id in %q", path)
	}
	return id
}
