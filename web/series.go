package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"hearth/instance"
	"hearth/instance/repeat"
)

// RepeatText says a series' rule in words: "Every week on Tuesday",
// "Every 2 months on the first Saturday, 6 times".
func (p *page) RepeatText(se *instance.Series) string {
	r := se.Rule
	var text string
	every := func(key string, args ...any) string {
		if r.Interval > 1 {
			return p.T(key+"_every", append([]any{r.Interval}, args...)...)
		}
		return p.T(key, args...)
	}
	switch {
	case r.Freq == repeat.Weekly:
		var days []string
		for _, d := range r.Weekdays {
			days = append(days, p.T("date.weekday."+itoa(int(d))))
		}
		text = every("repeat.weekly", strings.Join(days, p.T("repeat.and")))
	case r.Week != 0:
		week, day := p.T("repeat.week."+itoa(r.Week)), p.T("date.weekday."+itoa(int(r.Weekdays[0])))
		if r.Interval > 1 {
			text = p.T("repeat.monthly_weekday_every", week, day, r.Interval)
		} else {
			text = p.T("repeat.monthly_weekday", week, day)
		}
	default:
		if r.Interval > 1 {
			text = p.T("repeat.monthly_day_every", r.MonthDay, r.Interval)
		} else {
			text = p.T("repeat.monthly_day", r.MonthDay)
		}
	}
	switch {
	case r.Count > 0:
		text += p.T("repeat.times", r.Count)
	case !r.Until.IsZero():
		text += p.T("repeat.until", p.Date(r.Until))
	}
	return text
}

func itoa(n int) string { return strconv.Itoa(n) }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

type rotaPage struct {
	formPage
	Item *instance.Item
	Rota *instance.Rota
	// Dates and Roles are the choices of the rota change form.
	Dates, Roles []option
}

// rota is a series' rota for its organiser: who is on which role on each
// date, gaps marked, and a form to put someone on a role of a date (a
// change that would put them in two places at once is refused beside
// the form).
func (s *Server) rota(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	viewer := viewerFrom(r)
	var formErr error
	if r.Method == http.MethodPost {
		date, err := strconv.ParseInt(r.PostForm.Get("date"), 10, 64)
		if err != nil {
			formErr = instance.ValidationErrors{{Field: "date", Code: "err.choice"}}
		} else {
			formErr = s.svc.AssignRota(r.Context(), viewer, date, r.PostForm.Get("role"), r.PostForm.Get("member"))
		}
		if formErr == nil {
			return s.redirect(w, r, r.URL.Path, "flash.rota_assigned")
		}
	}
	rota, err := s.svc.Rota(r.Context(), viewer, id)
	if err != nil {
		return err
	}
	it, err := s.svc.Item(r.Context(), viewer, instance.KindAction, id)
	if err != nil {
		return err
	}
	p := &rotaPage{formPage: formPage{page: s.pageBase(r, "rota.title"), Form: newForm(r)}, Item: it, Rota: rota}
	p.Title = p.T("rota.title", rota.Title)
	p.labels = map[string]labelRef{"date": label("field.rota_date"), "role": label("field.rota_role"), "member": label("field.member")}
	p.Heading = p.Title
	status := http.StatusOK
	if formErr != nil {
		var pr *instance.Problem
		if errors.As(formErr, &pr) {
			// Refused (two places at once, already on it): said beside
			// the member's box, the form kept as typed.
			formErr = &instance.FieldError{Field: "member", Code: pr.Code, Args: pr.Args}
		}
		if !p.fail(formErr, "date", "role", "member") {
			return formErr
		}
		status = http.StatusUnprocessableEntity
	}
	seen := map[string]bool{}
	for _, d := range rota.Dates {
		p.Dates = append(p.Dates, option{Value: itoa64(d.Item.ID), Label: p.DateTime(d.Item.StartsAt), Selected: p.Form.Values.Get("date") == itoa64(d.Item.ID)})
		for _, role := range d.Roles {
			if role.Name != "" && !seen[role.Name] {
				seen[role.Name] = true
				p.Roles = append(p.Roles, option{Value: role.Name, Label: role.Name, Selected: p.Form.Values.Get("role") == role.Name})
			}
		}
	}
	return s.render(w, r, status, "rota", p)
}
