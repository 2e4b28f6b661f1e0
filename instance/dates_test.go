package instance

import (
	"testing"
	"time"
)

func TestParseDateBoxes(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	for _, tc := range []struct {
		in       DateInput
		required bool
		code     string
		want     time.Time
	}{
		{DateInput{}, false, "", time.Time{}},
		{DateInput{}, true, "err.required", time.Time{}},
		{DateInput{" 5 ", "12", "2027"}, true, "", time.Date(2027, 12, 5, 0, 0, 0, 0, london)},
		{DateInput{"05", "06", "2027"}, true, "", time.Date(2027, 6, 5, 0, 0, 0, 0, london)},
		{DateInput{"", "12", "2027"}, true, "err.date_missing_day", time.Time{}},
		{DateInput{"5", "", "2027"}, true, "err.date_missing_month", time.Time{}},
		{DateInput{"5", "12", ""}, true, "err.date_missing_year", time.Time{}},
		{DateInput{"", "", "2027"}, true, "err.date_missing_day_month", time.Time{}},
		{DateInput{"", "12", ""}, true, "err.date_missing_day_year", time.Time{}},
		{DateInput{"5", "", ""}, true, "err.date_missing_month_year", time.Time{}},
		{DateInput{"29", "2", "2027"}, true, "err.date_real", time.Time{}},
		{DateInput{"29", "2", "2028"}, true, "", time.Date(2028, 2, 29, 0, 0, 0, 0, london)},
		{DateInput{"5", "13", "2027"}, true, "err.date_real", time.Time{}},
		{DateInput{"0", "12", "2027"}, true, "err.date_real", time.Time{}},
		{DateInput{"5th", "12", "2027"}, true, "err.date_real", time.Time{}},
		{DateInput{"-1", "12", "2027"}, true, "err.date_real", time.Time{}},
		{DateInput{"5", "12", "27"}, true, "err.date_year", time.Time{}},
		{DateInput{"5", "12", "02027"}, true, "err.date_real", time.Time{}},
	} {
		got, fe := parseDate("d", tc.in, london, tc.required)
		code := ""
		if fe != nil {
			code = fe.Code
		}
		if code != tc.code || !got.Equal(tc.want) {
			t.Errorf("%+v: got %v %q, want %v %q", tc.in, got, code, tc.want, tc.code)
		}
	}
	if d := DateOf("2026-12-05"); d != (DateInput{"05", "12", "2026"}) {
		t.Errorf("DateOf: %+v", d)
	}
}

func TestParseClockAndClockChanges(t *testing.T) {
	for _, tc := range []struct {
		in         TimeInput
		code       string
		hour, mins int
	}{
		{TimeInput{"14", "30"}, "", 14, 30},
		{TimeInput{"9", ""}, "", 9, 0},
		{TimeInput{"14:30", ""}, "", 14, 30},
		{TimeInput{"14.30", ""}, "", 14, 30},
		{TimeInput{"14h30", ""}, "", 14, 30},
		{TimeInput{"", ""}, "err.required", 0, 0},
		{TimeInput{"", "30"}, "err.time_missing_hour", 0, 0},
		{TimeInput{"24", "00"}, "err.time_real", 0, 0},
		{TimeInput{"12", "60"}, "err.time_real", 0, 0},
		{TimeInput{"2pm", ""}, "err.time_real", 0, 0},
		{TimeInput{"123", ""}, "err.time_real", 0, 0},
	} {
		h, m, fe := parseClock("t", tc.in)
		code := ""
		if fe != nil {
			code = fe.Code
		}
		if code != tc.code || (code == "" && (h != tc.hour || m != tc.mins)) {
			t.Errorf("%+v: got %d:%d %q, want %d:%d %q", tc.in, h, m, code, tc.hour, tc.mins, tc.code)
		}
	}
	london, _ := time.LoadLocation("Europe/London")
	spring := time.Date(2027, 3, 28, 0, 0, 0, 0, london)
	if _, fe := atClock("t", spring, 1, 30); fe == nil || fe.Code != "err.time_clock_change" {
		t.Errorf("01:30 when the clocks go forward: %v", fe)
	}
	if got, _ := atClock("t", spring, 2, 0); !got.Equal(time.Date(2027, 3, 28, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("02:00 BST: %v", got.UTC())
	}
	autumn := time.Date(2027, 10, 31, 0, 0, 0, 0, london)
	if got, _ := atClock("t", autumn, 1, 30); !got.Equal(time.Date(2027, 10, 31, 0, 30, 0, 0, time.UTC)) {
		t.Errorf("01:30 when the clocks go back is the first one: %v", got.UTC())
	}
	if got, _ := atClock("t", autumn, 2, 30); !got.Equal(time.Date(2027, 10, 31, 2, 30, 0, 0, time.UTC)) {
		t.Errorf("02:30 GMT: %v", got.UTC())
	}
}
