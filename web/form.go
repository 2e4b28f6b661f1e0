package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"hearth/instance"
)

// form carries a submitted (or empty) form and its problems, for a page to
// show values back and errors beside each field.
type form struct {
	Values url.Values
	Errs   map[string]*instance.FieldError
}

func newForm(r *http.Request) form {
	if r.Method == http.MethodPost {
		return form{Values: r.PostForm, Errs: map[string]*instance.FieldError{}}
	}
	return form{Values: url.Values{}, Errs: map[string]*instance.FieldError{}}
}

// field is what the input partials render.
type field struct {
	ID, Name, Type, Label, Hint, Value, Error, Autocomplete string
	Accept                                                  string // a file input's types
	OptionalText                                            string
	Optional, Checked                                       bool
	Options                                                 []option
	Rows                                                    int
	// Parts are the boxes of a date (day, month, year) or a time (hour,
	// minute), named NAME_day and so on; the first box has the field's id.
	Parts []part
}

// part is one box of a date or a time.
type part struct {
	ID, Name, Label, Value, Width string
	Invalid                       bool
}

type option struct {
	Value, Label string
	Selected     bool
}

// formPage is embedded by pages that have a form.
type formPage struct {
	page
	Form form
	busy bool
	// labels names the label of each field (by its name), so that the
	// error summary says which field it means in the label's own words.
	// Fields not named here fall back to the label.NAME key.
	labels map[string]labelRef
}

// labelRef is a label's catalogue key and its arguments.
type labelRef struct {
	key  string
	args []any
}

// label is shorthand for a labelRef.
func label(key string, args ...any) labelRef { return labelRef{key: key, args: args} }

// errorText is the message for a field's problem. A message written for
// that field wins when the catalogue has one: its key is the label's key
// and the code without "err." ("field.title_need.required": "Enter what
// you need"); otherwise the general message for the code. specific says
// which, as only a general message needs the label beside it in the
// summary.
func (p *formPage) errorText(labelKey string, fe *instance.FieldError) (msg string, specific bool) {
	if labelKey != "" {
		if msg, ok := p.lookup(labelKey+"."+strings.TrimPrefix(fe.Code, "err."), fe.Args...); ok {
			return msg, true
		}
	}
	return p.T(fe.Code, fe.Args...), false
}

// Busy is true when the form comes back because too many passwords were
// being checked at once: the page then answers 503 with Retry-After.
func (p *formPage) Busy() bool { return p.busy }

// passwordFields are the fields whose password could not be checked when
// the server was busy; the message goes beside the first on the form.
var passwordFields = map[string]bool{"password": true, "current": true, "new": true}

// autocomplete values by field name (WCAG 1.3.5 Identify Input Purpose).
var autocomplete = map[string]string{
	"handle": "username", "login": "username", "email": "email", "display_name": "name",
	"password": "new-password", "password_confirm": "new-password", "current": "current-password",
	"new": "new-password", "confirm": "new-password", "phone": "tel",
}

// Field builds an input: name, type (text, email, password, textarea,
// checkbox, select), label key and optional hint key.
func (p *formPage) Field(name, typ, labelKey string, hintKey ...string) field {
	f := field{ID: "f-" + name, Name: name, Type: typ, Label: p.T(labelKey), Value: p.Form.Values.Get(name),
		Autocomplete: autocomplete[name], OptionalText: p.T("form.optional")}
	if typ == "password" {
		f.Value = "" // never echo a password back into the page
		if labelKey == "field.password_current" {
			f.Autocomplete = "current-password" // lets password managers fill it in
		}
	}
	if len(hintKey) > 0 && hintKey[0] != "" {
		f.Hint = p.T(hintKey[0])
	}
	if fe, ok := p.Form.Errs[name]; ok {
		f.Error, _ = p.errorText(labelKey, fe)
	}
	if typ == "checkbox" {
		f.Checked = f.Value != ""
	}
	if typ == "textarea" {
		f.Rows = 5
	}
	if typ == "date" || typ == "time" {
		f.Parts = p.parts(f, p.Form.Errs[name])
	}
	return f
}

// parts builds the boxes of a date or time field, marking the ones an
// error is about (a missing month: only the month box).
func (p *formPage) parts(f field, fe *instance.FieldError) []part {
	names := []string{"day", "month", "year"}
	if f.Type == "time" {
		names = []string{"hour", "minute"}
	}
	var out []part
	for i, n := range names {
		pt := part{ID: f.ID + "_" + n, Name: f.Name + "_" + n, Label: p.T("date.part." + n), Value: p.Form.Values.Get(f.Name + "_" + n), Width: "w2"}
		if i == 0 {
			pt.ID = f.ID
		}
		if n == "year" {
			pt.Width = "w4"
		}
		if fe != nil {
			code := strings.TrimPrefix(fe.Code, "err.")
			switch {
			case strings.HasPrefix(code, "date_missing_"), strings.HasPrefix(code, "time_missing_"):
				pt.Invalid = slices.Contains(strings.Split(code[len("date_missing_"):], "_"), n)
			case code == "date_year":
				pt.Invalid = n == "year"
			default:
				pt.Invalid = true
			}
		}
		out = append(out, pt)
	}
	return out
}

// Opt marks a field as optional in its label. Fields are required unless
// marked, as on GOV.UK forms: most questions must be answered, and saying
// which ones need not be is shorter and clearer.
func (f field) Opt() field { f.Optional = true; return f }

// DescribedBy lists the ids of the hint and the error, for
// aria-describedby.
func (f field) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// Select builds a select with the options of a select, translating label keys.
func (p *formPage) Select(name, labelKey string, values []string, labelPrefix string) field {
	f := p.Field(name, "select", labelKey)
	for _, v := range values {
		f.Options = append(f.Options, option{Value: v, Label: p.T(labelPrefix + v), Selected: v == f.Value})
	}
	return f
}

// fail records the validation problems of err on the form and builds the
// error summary shown at the top of the page. It returns false when err is
// not a validation error (the caller then returns it).
func (p *formPage) fail(err error, order ...string) bool {
	fields := instance.Fields(err)
	if errors.Is(err, instance.ErrBusy) {
		// Nothing wrong with the form: it keeps what was typed, and says
		// beside the password to send it again in a minute.
		for _, name := range order {
			if passwordFields[name] {
				fields = map[string]*instance.FieldError{name: {Field: name, Code: "login.busy"}}
				p.busy = true
				break
			}
		}
	}
	if len(fields) == 0 {
		return false
	}
	p.Form.Errs = fields
	seen := map[string]bool{}
	add := func(name string) {
		fe, ok := fields[name]
		if !ok || seen[name] {
			return
		}
		seen[name] = true
		ref, ok := p.labels[name]
		if !ok {
			ref = label("label." + name)
		}
		msg, specific := p.errorText(ref.key, fe)
		// The summary sits away from the fields, so a general message
		// says which field it is about, in the words of its label
		// ("Roughly where: This is too long…"); a specific one already
		// does ("Enter what you need").
		if l, ok := p.lookup(ref.key, ref.args...); ok && !specific {
			msg = strings.TrimRight(l, "?: \u00a0") + ": " + msg
		}
		p.Errors = append(p.Errors, summaryItem{ID: anchor(name, fe.Code), Message: msg})
	}
	for _, name := range order {
		add(name)
	}
	rest := make([]string, 0, len(fields))
	for name := range fields {
		rest = append(rest, name)
	}
	sort.Strings(rest)
	for _, name := range rest {
		add(name)
	}
	p.Title = p.T("error.title_prefix") + " " + p.Title
	return true
}

// refused shows a refusal about the whole form (too many posts in the
// last hour) at the top of the form, which comes back with what was typed,
// instead of a page that has lost it. It returns false for other errors.
func (p *formPage) refused(err error) bool {
	var pr *instance.Problem
	if !errors.As(err, &pr) || !errors.Is(err, instance.ErrThrottled) {
		return false
	}
	p.Errors = append(p.Errors, summaryItem{Message: p.T(pr.Code, pr.Args...)})
	p.Title = p.T("error.title_prefix") + " " + p.Title
	return true
}

// anchor is the id the summary links to: the field, or the box of a date
// or time that needs changing (a missing month: the month box).
func anchor(name, code string) string {
	switch {
	case strings.HasPrefix(code, "err.date_missing_month"):
		return "f-" + name + "_month"
	case code == "err.date_missing_year" || code == "err.date_year":
		return "f-" + name + "_year"
	}
	return "f-" + name
}

// Choice builds a select or a group of radios from ready-made options.
func (p *formPage) Choice(name, typ, labelKey string, opts []option, hintKey ...string) field {
	f := p.Field(name, typ, labelKey, hintKey...)
	for _, o := range opts {
		o.Selected = o.Value == f.Value
		f.Options = append(f.Options, o)
	}
	return f
}

// RadioID is the id of one radio: the first gets the field's id, so the
// error summary's link lands on it.
func (f field) RadioID(i int) string {
	if i == 0 {
		return f.ID
	}
	return fmt.Sprintf("%s-%d", f.ID, i)
}
