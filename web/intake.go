package web

import (
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// registerIntake adds the coordinators' phone intake: a short form to take
// a need over the phone, and the text to read back to the caller.
func (s *Server) registerIntake(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	r.Handle("/intake", h(s.intake)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/intake/{id:[0-9]+}", h(s.intakeReadBack)).Methods(http.MethodGet)
}

// intakeOrder is the form's fields in order, as they are asked on the
// phone.
var intakeOrder = []string{"on_behalf_name", "on_behalf_phone", "title", "description", "category", "area", "address", "needed_by"}

type intakePage struct {
	formPage
	Categories []option
}

// intake is the phone-intake form: the caller's name and phone, what
// they need, roughly where, their address (private) and by when.
func (s *Server) intake(w http.ResponseWriter, r *http.Request) error {
	viewer := viewerFrom(r)
	if err := s.svc.MayTakeIntake(viewer); err != nil {
		return err
	}
	p := &intakePage{formPage: formPage{page: s.pageBase(r, "intake.title"), Form: newForm(r)}}
	p.labels = map[string]labelRef{"on_behalf_name": label("intake.name"), "on_behalf_phone": label("intake.phone"),
		"title": label("intake.what"), "description": label("field.description"), "category": label("field.category"),
		"area": label("field.area"), "address": label("intake.address"), "needed_by": label("field.needed_by"),
		"on_behalf": label("intake.name"), "visibility": label("field.visibility"), "group": label("field.group")}
	p.Categories = []option{{Value: "", Label: p.T("itemform.choose_category")}}
	for _, c := range s.svc.Categories() {
		p.Categories = append(p.Categories, option{Value: c.Name, Label: p.CategoryName(c.Name), Selected: c.Name == p.Form.Values.Get("category")})
	}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "intake", p)
	}
	f := r.PostForm
	in := instance.ItemInput{Title: f.Get("title"), Description: f.Get("description"), Category: f.Get("category"), Area: f.Get("area"),
		Address: f.Get("address"), OnBehalfName: f.Get("on_behalf_name"), OnBehalfPhone: f.Get("on_behalf_phone"),
		NeededBy: dateIn(f, "needed_by"), Visibility: string(s.svc.DefaultVisibility(instance.KindNeed))}
	it, err := s.svc.PhoneIntake(r.Context(), viewer, in)
	if err == nil {
		return s.redirect(w, r, "/intake/"+strconv.FormatInt(it.ID, 10), "flash.posted_need")
	}
	if p.refused(err) {
		return s.render(w, r, http.StatusTooManyRequests, "intake", p)
	}
	if !p.fail(err, intakeOrder...) {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "intake", p)
}

type readBackPage struct {
	page
	Need *instance.Item
}

// intakeReadBack is what to read back to the caller once their need is
// posted: what it says, who will see what, what happens next, and its
// number if they ring again.
func (s *Server) intakeReadBack(w http.ResponseWriter, r *http.Request) error {
	viewer := viewerFrom(r)
	if err := s.svc.MayTakeIntake(viewer); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	it, err := s.svc.Item(r.Context(), viewer, instance.KindNeed, id)
	if err != nil {
		return err
	}
	if !it.OnBehalf() {
		return instance.ErrNotFound // not a need taken for someone
	}
	p := &readBackPage{page: s.pageBase(r, "intake.readback_title"), Need: it}
	return s.render(w, r, http.StatusOK, "intake_readback", p)
}
