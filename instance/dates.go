package instance

import (
	"strconv"
	"strings"
	"time"
)

// DateInput is a date as typed into three boxes, day, month and year, as
// on GOV.UK forms: no date picker, no format to guess.
type DateInput struct{ Day, Month, Year string }

// TimeInput is a time of day as typed into two boxes, hour (0–23) and
// minute.
type TimeInput struct{ Hour, Minute string }

// DateOf splits YYYY-MM-DD into a DateInput, for callers that hold a
// date as text (tests, the command line). Anything else gives an empty
// DateInput.
func DateOf(iso string) DateInput {
	parts := strings.Split(iso, "-")
	if len(parts) != 3 {
		return DateInput{}
	}
	return DateInput{Day: parts[2], Month: parts[1], Year: parts[0]}
}

// TimeOf splits HH:MM into a TimeInput.
func TimeOf(hm string) TimeInput {
	h, m, _ := strings.Cut(hm, ":")
	return TimeInput{Hour: h, Minute: m}
}

// DateInputFor shows a stored day in the boxes (zero time: empty boxes).
func DateInputFor(t time.Time, loc *time.Location) DateInput {
	if t.IsZero() {
		return DateInput{}
	}
	t = t.In(loc)
	return DateInput{Day: strconv.Itoa(t.Day()), Month: strconv.Itoa(int(t.Month())), Year: strconv.Itoa(t.Year())}
}

// TimeInputFor shows a stored time of day in the boxes.
func TimeInputFor(t time.Time, loc *time.Location) TimeInput {
	if t.IsZero() {
		return TimeInput{}
	}
	t = t.In(loc)
	return TimeInput{Hour: t.Format("15"), Minute: t.Format("04")}
}

func (d DateInput) empty() bool {
	return strings.TrimSpace(d.Day) == "" && strings.TrimSpace(d.Month) == "" && strings.TrimSpace(d.Year) == ""
}

// number reads a box that must hold digits only.
func number(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" || len(s) > 4 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// missingParts names what a date lacks, by which of day, month and year
// are empty (all three empty is no date at all).
var missingParts = map[[3]bool]string{
	{true, false, false}: "err.date_missing_day", {false, true, false}: "err.date_missing_month",
	{false, false, true}: "err.date_missing_year", {true, true, false}: "err.date_missing_day_month",
	{true, false, true}: "err.date_missing_day_year", {false, true, true}: "err.date_missing_month_year",
}

// parseDate reads the three boxes as the start of that day in loc (a day
// starts at midnight in the instance's time zone, whatever the clocks do
// that day). Each problem has its own code, so the form can say what to
// change: a missing part ("err.date_missing_month"), a year that is not 4
// numbers, a date that does not exist (31 February).
func parseDate(field string, d DateInput, loc *time.Location, required bool) (time.Time, *FieldError) {
	if d.empty() {
		if required {
			return time.Time{}, &FieldError{Field: field, Code: "err.required"}
		}
		return time.Time{}, nil
	}
	day, month, year := strings.TrimSpace(d.Day), strings.TrimSpace(d.Month), strings.TrimSpace(d.Year)
	if code := missingParts[[3]bool{day == "", month == "", year == ""}]; code != "" {
		return time.Time{}, &FieldError{Field: field, Code: code}
	}
	dn, okD := number(day)
	mn, okM := number(month)
	yn, okY := number(year)
	if okY && len(year) != 4 {
		return time.Time{}, &FieldError{Field: field, Code: "err.date_year"}
	}
	if !okD || !okM || !okY || mn < 1 || mn > 12 || dn < 1 || dn > 31 {
		return time.Time{}, &FieldError{Field: field, Code: "err.date_real"}
	}
	t := time.Date(yn, time.Month(mn), dn, 0, 0, 0, 0, loc)
	if t.Day() != dn { // 31 February rolls over into March
		return time.Time{}, &FieldError{Field: field, Code: "err.date_real"}
	}
	return t, nil
}

// parseClock reads the hour and minute boxes. A missing minute means on
// the hour ("10" is 10:00), and a time typed whole into the hour box
// ("14:30", "14.30", "14h30") is read as such, since people do.
func parseClock(field string, in TimeInput) (hour, minute int, fe *FieldError) {
	h, m := strings.TrimSpace(in.Hour), strings.TrimSpace(in.Minute)
	if h == "" && m == "" {
		return 0, 0, &FieldError{Field: field, Code: "err.required"}
	}
	if h == "" {
		return 0, 0, &FieldError{Field: field, Code: "err.time_missing_hour"}
	}
	if m == "" {
		if i := strings.IndexAny(h, ":.h"); i > 0 {
			h, m = h[:i], h[i+1:]
		}
	}
	if m == "" {
		m = "0"
	}
	hn, okH := number(h)
	mn, okM := number(m)
	if !okH || !okM || len(h) > 2 || len(m) > 2 || hn > 23 || mn > 59 {
		return 0, 0, &FieldError{Field: field, Code: "err.time_real"}
	}
	return hn, mn, nil
}

// actionTimes reads an action's start and end: the start's date and
// time, the end's time and, when given, its date (left empty, the action
// ends the day it starts). Each box's problem is said beside its own
// field; ok is false if there was any.
func actionTimes(v *ValidationErrors, in *ItemInput, loc *time.Location) (start, end time.Time, ok bool) {
	startDay, feStartDay := parseDate("start_date", in.StartDate, loc, true)
	v.add(feStartDay)
	sh, sm, feStartTime := parseClock("start_time", in.StartTime)
	v.add(feStartTime)
	endDay, feEndDay := startDay, feStartDay
	if !in.EndDate.empty() {
		endDay, feEndDay = parseDate("end_date", in.EndDate, loc, true)
		v.add(feEndDay)
	}
	eh, em, feEndTime := parseClock("end_time", in.EndTime)
	v.add(feEndTime)
	if feStartDay != nil || feStartTime != nil || feEndDay != nil || feEndTime != nil {
		return time.Time{}, time.Time{}, false
	}
	start, feStart := atClock("start_time", startDay, sh, sm)
	v.add(feStart)
	end, feEnd := atClock("end_time", endDay, eh, em)
	v.add(feEnd)
	return start, end, feStart == nil && feEnd == nil
}

// atClock is the moment a clock in day's time zone shows hour:minute on
// that day. A time the clocks skip (01:30 when they go forward at 01:00)
// is refused rather than silently moved; a time that happens twice (when
// they go back) is the first of the two.
func atClock(field string, day time.Time, hour, minute int) (time.Time, *FieldError) {
	t := time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, day.Location())
	if t.Hour() != hour || t.Minute() != minute {
		return time.Time{}, &FieldError{Field: field, Code: "err.time_clock_change"}
	}
	// Go may give the later of the two readings of a repeated hour; the
	// earlier one is an hour before, with the same clock time.
	if earlier := t.Add(-time.Hour); earlier.Hour() == hour && earlier.Minute() == minute && earlier.Day() == t.Day() {
		t = earlier
	}
	return t, nil
}

// startOfDay is midnight at the start of t's day, in t's location.
func startOfDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}
