package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
		f.Error = p.T(fe.Code, fe.Args...)
	}
	if typ == "checkbox" {
		f.Checked = f.Value != ""
	}
	if typ == "textarea" {
		f.Rows = 5
	}
	return f
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
		msg := p.T(fe.Code, fe.Args...)
		// The summary sits away from the fields, so each line says which
		// field it is about ("Title: Please fill this in.").
		if label := p.T("label." + name); !strings.HasPrefix(label, "[[") {
			msg = label + ": " + msg
		}
		p.Errors = append(p.Errors, summaryItem{ID: "f-" + name, Message: msg})
	}
	for _, name := range order {
		add(name)
	}
	for name := range fields {
		add(name)
	}
	p.Title = p.T("error.title_prefix") + " " + p.Title
	return true
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
