package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// kindOf maps the first path segment to a kind: /needs/…, /offers/…, /actions/….
func kindOf(r *http.Request) instance.Kind {
	switch mux.Vars(r)["kinds"] {
	case "needs":
		return instance.KindNeed
	case "offers":
		return instance.KindOffer
	}
	return instance.KindAction
}

// registerItems adds the item routes.
func (s *Server) registerItems(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	kinds := "{kinds:needs|offers|actions}"
	id := "{id:[0-9]+}"
	r.Handle("/calendar.ics", h(s.calendarFeed)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/actions/"+id+".ics", h(s.actionICS)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/"+kinds+"/new", h(s.itemNew)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/"+kinds+"/"+id, h(s.itemShow)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/"+kinds+"/"+id+"/edit", h(s.itemEdit)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/"+kinds+"/"+id+"/change", h(s.itemChange)).Methods(http.MethodGet)
	r.Handle("/actions/"+id+"/cancel", h(s.actionCancel)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/"+kinds+"/"+id+"/delete", h(s.itemDelete)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/"+kinds+"/"+id+"/responses", h(s.responseAdd)).Methods(http.MethodPost)
	r.Handle("/responses/"+id+"/edit", h(s.responseEdit)).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/responses/"+id+"/{op:delete|remove}", h(s.responseDelete)).Methods(http.MethodPost)

	// State changes: each is a POST that calls one service method and
	// returns to the item page with a message. A form on the "Something
	// changed?" page (closing a need, with its reason) comes back there
	// when it has a mistake; the others come back on the item page.
	type op func(r *http.Request, m *instance.Member, id int64) error
	post := func(path string, kind instance.Kind, flash string, fn op) {
		onChangePage := strings.HasSuffix(path, "/close")
		r.Handle(path, h(func(w http.ResponseWriter, r *http.Request) error {
			itemID, err := pathID(r)
			if err != nil {
				return err
			}
			if err := fn(r, viewerFrom(r), itemID); err != nil {
				if errors.Is(err, errWaitlisted) {
					return s.redirect(w, r, (&instance.Item{Kind: kind, ID: itemID}).Path(), "flash.waitlisted")
				}
				if len(instance.Fields(err)) > 0 {
					if onChangePage {
						return s.renderChange(w, r, kind, itemID, err)
					}
					return s.renderItem(w, r, kind, itemID, err)
				}
				return err
			}
			return s.redirect(w, r, (&instance.Item{Kind: kind, ID: itemID}).Path(), flash)
		})).Methods(http.MethodPost)
	}
	need, offer, action := instance.KindNeed, instance.KindOffer, instance.KindAction
	post("/needs/"+id+"/help", need, "flash.help_offered", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.OfferHelp(r.Context(), m, id, r.PostForm.Get("message"), r.PostForm.Get("buddy") != "")
	})
	post("/needs/"+id+"/withdraw", need, "flash.withdrawn", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.WithdrawInterest(r.Context(), m, id)
	})
	post("/needs/"+id+"/accept/{interest:[0-9]+}", need, "flash.help_accepted", func(r *http.Request, m *instance.Member, id int64) error {
		in, _ := strconv.ParseInt(mux.Vars(r)["interest"], 10, 64)
		return s.svc.AcceptHelp(r.Context(), m, id, in)
	})
	post("/needs/"+id+"/unclaim", need, "flash.unclaimed", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.Unclaim(r.Context(), m, id)
	})
	post("/needs/"+id+"/done", need, "flash.done", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.MarkDone(r.Context(), m, id)
	})
	post("/needs/"+id+"/close", need, "flash.closed", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.CloseNeed(r.Context(), m, id, r.PostForm.Get("reason"))
	})
	post("/needs/"+id+"/renew", need, "flash.renewed", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.RenewNeed(r.Context(), m, id)
	})
	post("/needs/"+id+"/thanks", need, "flash.thanked", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.SayThanks(r.Context(), m, id, r.PostForm.Get("thanks"))
	})
	post("/needs/"+id+"/nearby", need, "flash.nearby_consent", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.SetOverflowConsent(r.Context(), m, id, r.PostForm.Get("share") == "yes")
	})
	post("/needs/"+id+"/nearby/choose/{response:[0-9]+}", need, "flash.remote_chosen", func(r *http.Request, m *instance.Member, id int64) error {
		resp, _ := strconv.ParseInt(mux.Vars(r)["response"], 10, 64)
		return s.svc.AcceptRemoteHelper(r.Context(), m, id, resp)
	})
	post("/needs/"+id+"/renew-claim", need, "flash.claim_renewed", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.RenewClaim(r.Context(), m, id)
	})
	post("/offers/"+id+"/want", offer, "flash.asked", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.WantOffer(r.Context(), m, id, r.PostForm.Get("message"))
	})
	post("/offers/"+id+"/withdraw", offer, "flash.withdrawn", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.WithdrawInterest(r.Context(), m, id)
	})
	post("/offers/"+id+"/give/{interest:[0-9]+}", offer, "flash.given", func(r *http.Request, m *instance.Member, id int64) error {
		in, _ := strconv.ParseInt(mux.Vars(r)["interest"], 10, 64)
		return s.svc.GiveOffer(r.Context(), m, id, in)
	})
	post("/offers/"+id+"/close", offer, "flash.closed", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.CloseOffer(r.Context(), m, id)
	})
	post("/actions/"+id+"/join", action, "flash.joined", func(r *http.Request, m *instance.Member, id int64) error {
		slot, _ := strconv.ParseInt(r.PostForm.Get("slot"), 10, 64)
		st, err := s.svc.JoinAction(r.Context(), m, id, slot)
		if err == nil && st == instance.AttendWaiting {
			return errWaitlisted
		}
		return err
	})
	post("/actions/"+id+"/leave", action, "flash.left", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.LeaveAction(r.Context(), m, id)
	})
	post("/actions/"+id+"/every", action, "flash.series_joined", func(r *http.Request, m *instance.Member, id int64) error {
		slot, _ := strconv.ParseInt(r.PostForm.Get("slot"), 10, 64)
		return s.svc.JoinSeries(r.Context(), m, id, slot)
	})
	post("/actions/"+id+"/every/stop", action, "flash.series_left", func(r *http.Request, m *instance.Member, id int64) error {
		return s.svc.LeaveSeries(r.Context(), m, id)
	})
	r.Handle("/actions/"+id+"/rota", h(s.rota)).Methods(http.MethodGet, http.MethodPost)
}

// errWaitlisted is not a failure: it tells the join handler to say the
// member is on the waiting list.
var errWaitlisted = errors.New("web: on the waiting list")

type itemFormPage struct {
	formPage
	Kind       instance.Kind
	Editing    *instance.Item
	Categories []option
	Groups     []option
	Visibility []option
	OnBehalf   bool
	slotRows   int
	// Repeat and Days are the repeat choices of a new action.
	Repeat, Days []option
	// ShareWith names the main group's trusted neighbouring villages, for
	// "Share with … if no one here can help?" on a new need ("": no
	// question); OverflowHours is the wait before it is shared.
	ShareWith     string
	OverflowHours int
}

func (s *Server) itemFormPage(r *http.Request, kind instance.Kind, editing *instance.Item) (*itemFormPage, error) {
	viewer := viewerFrom(r)
	key := "itemform.new_" + string(kind)
	if editing != nil {
		key = "itemform.edit_" + string(kind)
	}
	p := &itemFormPage{formPage: formPage{page: s.pageBase(r, key), Form: newForm(r)}, Kind: kind, Editing: editing,
		OnBehalf: viewer.CanPostOnBehalf() && kind == instance.KindNeed, slotRows: slotRows}
	if editing != nil {
		// Every role, and a free line to add one while there is room.
		p.slotRows = min(max(slotRows, len(editing.Slots)+1), instance.MaxSlots)
	}
	if kind == instance.KindNeed && editing == nil {
		if err := s.shareQuestion(r, p); err != nil {
			return nil, err
		}
	}
	v := p.Form.Values
	if r.Method == http.MethodGet {
		if editing == nil {
			v.Set("visibility", string(s.svc.DefaultVisibility(kind)))
			v.Set("group", r.URL.Query().Get("group"))
		} else {
			fillItemForm(v, editing, s.opt.Location)
			p.OnBehalf = p.OnBehalf || editing.OnBehalf()
		}
	}
	p.labels = itemLabels(kind)
	// Needs and offers must have a category, so the list starts on a
	// choice that is not one, and nothing is chosen for the member.
	first := "itemform.choose_category"
	if kind == instance.KindAction {
		first = "itemform.no_category"
	}
	p.Categories = append(p.Categories, option{Value: "", Label: p.T(first)})
	for _, c := range s.svc.Categories() {
		label := c.Label(p.Lang)
		if c.Sensitive {
			label = p.T("itemform.sensitive_category", label)
		}
		p.Categories = append(p.Categories, option{Value: c.Name, Label: label, Selected: v.Get("category") == c.Name})
	}
	groups, err := s.svc.MemberGroups(r.Context(), viewer)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		p.Groups = append(p.Groups, option{Value: g.Handle, Label: g.Name, Selected: v.Get("group") == g.Handle})
	}
	for _, vis := range instance.Visibilities {
		p.Visibility = append(p.Visibility, option{Value: string(vis), Label: p.VisLong(vis),
			Selected: v.Get("visibility") == string(vis)})
	}
	if kind == instance.KindAction && editing == nil {
		for _, how := range []string{"", "weekly", "monthly_weekday", "monthly_day"} {
			p.Repeat = append(p.Repeat, option{Value: how, Label: p.T("itemform.repeat_" + cmp.Or(how, "none")), Selected: v.Get("repeat") == how})
		}
		for _, d := range []int{1, 2, 3, 4, 5, 6, 0} {
			n := strconv.Itoa(d)
			p.Days = append(p.Days, option{Value: n, Label: p.T("date.weekday." + n), Selected: slices.Contains(v["repeat_days"], n)})
		}
	}
	return p, nil
}

func fillItemForm(v url.Values, it *instance.Item, loc *time.Location) {
	v.Set("title", it.Title)
	v.Set("description", it.Description)
	v.Set("category", it.Category)
	v.Set("area", it.Area)
	v.Set("visibility", string(it.Visibility))
	v.Set("address", it.Address)
	v.Set("contact", it.Contact)
	v.Set("place", it.Place)
	setDate(v, "needed_by", instance.DateInputFor(it.NeededBy, loc))
	setDate(v, "available_until", instance.DateInputFor(it.AvailableUntil, loc))
	setDate(v, "start_date", instance.DateInputFor(it.StartsAt, loc))
	setTime(v, "start_time", instance.TimeInputFor(it.StartsAt, loc))
	setTime(v, "end_time", instance.TimeInputFor(it.EndsAt, loc))
	if !it.EndsAt.IsZero() && startDay(it.EndsAt, loc) != startDay(it.StartsAt, loc) {
		setDate(v, "end_date", instance.DateInputFor(it.EndsAt, loc))
	}
	if it.Capacity > 0 {
		v.Set("capacity", strconv.Itoa(it.Capacity))
	}
	for i, sl := range it.Slots {
		v.Set(fmt.Sprintf("slot_id_%d", i+1), strconv.FormatInt(sl.ID, 10))
		v.Set(fmt.Sprintf("slot_name_%d", i+1), sl.Name)
		v.Set(fmt.Sprintf("slot_capacity_%d", i+1), strconv.Itoa(sl.Capacity))
	}
	if it.OnBehalf() {
		v.Set("on_behalf", "yes")
		v.Set("on_behalf_name", it.OnBehalfName)
		v.Set("on_behalf_phone", it.OnBehalfPhone)
	}
}

func startDay(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02") }

// A date is three boxes (NAME_day, NAME_month, NAME_year) and a time two
// (NAME_hour, NAME_minute).
func dateIn(f url.Values, name string) instance.DateInput {
	return instance.DateInput{Day: f.Get(name + "_day"), Month: f.Get(name + "_month"), Year: f.Get(name + "_year")}
}

func timeIn(f url.Values, name string) instance.TimeInput {
	return instance.TimeInput{Hour: f.Get(name + "_hour"), Minute: f.Get(name + "_minute")}
}

func setDate(v url.Values, name string, d instance.DateInput) {
	v.Set(name+"_day", d.Day)
	v.Set(name+"_month", d.Month)
	v.Set(name+"_year", d.Year)
}

func setTime(v url.Values, name string, t instance.TimeInput) {
	v.Set(name+"_hour", t.Hour)
	v.Set(name+"_minute", t.Minute)
}

func itemInput(kind instance.Kind, f url.Values) instance.ItemInput {
	in := instance.ItemInput{Kind: kind, Group: f.Get("group"), Title: f.Get("title"), Description: f.Get("description"),
		Category: f.Get("category"), Area: f.Get("area"), Visibility: f.Get("visibility"), NeededBy: dateIn(f, "needed_by"),
		Address: f.Get("address"), Contact: f.Get("contact"), OnBehalf: f.Get("on_behalf") != "",
		OnBehalfName: f.Get("on_behalf_name"), OnBehalfPhone: f.Get("on_behalf_phone"), ShareNearby: f.Get("share_nearby") != "", AvailableUntil: dateIn(f, "available_until"),
		StartDate: dateIn(f, "start_date"), StartTime: timeIn(f, "start_time"), EndDate: dateIn(f, "end_date"), EndTime: timeIn(f, "end_time"),
		Place: f.Get("place"), Capacity: f.Get("capacity"),
		Repeat: instance.RepeatInput{How: f.Get("repeat"), Every: f.Get("repeat_every"), Days: f["repeat_days"],
			Until: dateIn(f, "repeat_until"), Times: f.Get("repeat_times")}}
	for i := 1; i <= instance.MaxSlots; i++ {
		id, _ := strconv.ParseInt(f.Get(fmt.Sprintf("slot_id_%d", i)), 10, 64)
		in.Slots = append(in.Slots, instance.SlotInput{ID: id, Name: f.Get(fmt.Sprintf("slot_name_%d", i)),
			Capacity: f.Get(fmt.Sprintf("slot_capacity_%d", i))})
	}
	return in
}

// slotRows is how many role lines the form for a new action offers.
const slotRows = 4

// SlotRows numbers the role lines for the template.
func (p *itemFormPage) SlotRows() []int {
	out := make([]int, p.slotRows)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// SlotID is the existing role on line n of the form being edited (0: a
// new line).
func (p *itemFormPage) SlotID(n int) int64 {
	id, _ := strconv.ParseInt(p.Form.Values.Get(fmt.Sprintf("slot_id_%d", n)), 10, 64)
	return id
}

// SlotField builds one role line's field.
func (p *itemFormPage) SlotField(kind string, n int) field {
	name := fmt.Sprintf("slot_%s_%d", kind, n)
	f := p.Field(name, "text", "field.slot_"+kind).Opt()
	f.Label = p.T("field.slot_"+kind+"_n", n)
	if kind == "capacity" {
		f.Type = "number"
	}
	return f
}

// itemLabels names each field's label on the form for kind, so the error
// summary uses the same words as the form.
func itemLabels(kind instance.Kind) map[string]labelRef {
	l := map[string]labelRef{"title": label("field.title_" + string(kind))}
	for _, name := range []string{"description", "category", "area", "needed_by", "available_until", "start_date", "start_time",
		"end_date", "end_time", "place", "capacity", "address", "contact", "on_behalf", "on_behalf_name", "on_behalf_phone",
		"visibility", "group", "repeat", "repeat_every", "repeat_days", "repeat_until", "repeat_times"} {
		l[name] = label("field." + name)
	}
	for i := 1; i <= instance.MaxSlots; i++ {
		l[fmt.Sprintf("slot_name_%d", i)] = label("field.slot_name_n", i)
		l[fmt.Sprintf("slot_capacity_%d", i)] = label("field.slot_capacity_n", i)
	}
	return l
}

// itemFieldOrder is the order of the fields on the form, for the error
// summary.
var itemFieldOrder = []string{"title", "description", "category", "area", "needed_by", "available_until", "start_date", "start_time",
	"end_date", "end_time", "place", "capacity", "slot_name_1", "slot_capacity_1", "slot_name_2", "slot_capacity_2",
	"slot_name_3", "slot_capacity_3", "slot_name_4", "slot_capacity_4", "slot_name_5", "slot_capacity_5",
	"slot_name_6", "slot_capacity_6", "repeat", "repeat_every", "repeat_days", "repeat_until", "repeat_times", "address", "contact", "on_behalf", "on_behalf_name",
	"on_behalf_phone", "visibility", "group"}

func (s *Server) itemNew(w http.ResponseWriter, r *http.Request) error {
	kind := kindOf(r)
	p, err := s.itemFormPage(r, kind, nil)
	if err != nil {
		return err
	}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "item_form", p)
	}
	it, err := s.svc.CreateItem(r.Context(), viewerFrom(r), itemInput(kind, r.PostForm))
	if err == nil {
		return s.redirect(w, r, it.Path(), "flash.posted_"+string(kind))
	}
	if p.refused(err) {
		return s.render(w, r, http.StatusTooManyRequests, "item_form", p)
	}
	if !p.fail(err, itemFieldOrder...) {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "item_form", p)
}

func (s *Server) itemEdit(w http.ResponseWriter, r *http.Request) error {
	kind := kindOf(r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	viewer := viewerFrom(r)
	it, err := s.svc.Item(r.Context(), viewer, kind, id)
	if err != nil {
		return err
	}
	if !s.svc.CanManage(viewer, it) {
		return instance.ErrForbidden
	}
	p, err := s.itemFormPage(r, kind, it)
	if err != nil {
		return err
	}
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "item_form", p)
	}
	err = s.svc.UpdateItem(r.Context(), viewer, id, itemInput(kind, r.PostForm))
	if err == nil {
		return s.redirect(w, r, it.Path(), "flash.saved")
	}
	if !p.fail(err, itemFieldOrder...) {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "item_form", p)
}

type confirmPage struct {
	page
	Item *instance.Item
}

// itemDelete asks "are you sure?" (GET) and deletes (POST).
func (s *Server) itemDelete(w http.ResponseWriter, r *http.Request) error {
	kind := kindOf(r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	viewer := viewerFrom(r)
	it, err := s.svc.Item(r.Context(), viewer, kind, id)
	if err != nil {
		return err
	}
	if !s.svc.CanManage(viewer, it) {
		return instance.ErrForbidden
	}
	if r.Method == http.MethodGet {
		p := &confirmPage{page: s.pageBase(r, "delete.title", it.Title), Item: it}
		return s.render(w, r, http.StatusOK, "delete", p)
	}
	if err := s.svc.DeleteItem(r.Context(), viewer, id); err != nil {
		return err
	}
	return s.redirect(w, r, "/me", "flash.deleted")
}

func (s *Server) responseAdd(w http.ResponseWriter, r *http.Request) error {
	kind := kindOf(r)
	id, err := pathID(r)
	if err != nil {
		return err
	}
	resp, err := s.svc.AddResponse(r.Context(), viewerFrom(r), id, r.PostForm.Get("body"))
	var pr *instance.Problem
	if errors.As(err, &pr) && errors.Is(err, instance.ErrThrottled) {
		// Too many replies this hour: the page comes back with the reply
		// as typed, and the reason beside it.
		return s.renderItemStatus(w, r, kind, id, &instance.FieldError{Field: "body", Code: pr.Code, Args: pr.Args}, http.StatusTooManyRequests)
	}
	if len(instance.Fields(err)) > 0 {
		return s.renderItem(w, r, kind, id, err)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("%s#response-%d", (&instance.Item{Kind: kind, ID: id}).Path(), resp.ID), "flash.response_added")
}

type responseEditPage struct {
	formPage
	Response *instance.Response
}

func (s *Server) responseEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	viewer := viewerFrom(r)
	resp, err := s.svc.Response(r.Context(), viewer, id)
	if err != nil {
		return err
	}
	p := &responseEditPage{formPage: formPage{page: s.pageBase(r, "response.edit_title"), Form: newForm(r)}, Response: resp}
	if r.Method == http.MethodGet {
		p.Form.Values.Set("body", resp.Body)
		return s.render(w, r, http.StatusOK, "response_edit", p)
	}
	if _, err = s.svc.EditResponse(r.Context(), viewer, id, r.PostForm.Get("body")); err == nil {
		it, err := s.itemPathOf(r, resp.ItemID)
		if err != nil {
			return err
		}
		// The page of the thread that holds this reply, which may be an
		// earlier one in a long thread.
		return s.redirect(w, r, fmt.Sprintf("%s?reply=%d#response-%d", it, id, id), "flash.saved")
	}
	if !p.fail(err, "body") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "response_edit", p)
}

func (s *Server) responseDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	viewer := viewerFrom(r)
	var resp *instance.Response
	if mux.Vars(r)["op"] == "remove" {
		resp, err = s.svc.RemoveResponse(r.Context(), viewer, id)
	} else {
		resp, err = s.svc.DeleteResponse(r.Context(), viewer, id)
	}
	if err != nil {
		return err
	}
	path, err := s.itemPathOf(r, resp.ItemID)
	if err != nil {
		return err
	}
	return s.redirect(w, r, path, "flash.response_deleted")
}

// itemPathOf finds the page of an item known only by id.
func (s *Server) itemPathOf(r *http.Request, id int64) (string, error) {
	for _, k := range instance.Kinds {
		it, err := s.svc.Item(r.Context(), viewerFrom(r), k, id)
		if err == nil {
			return it.Path(), nil
		}
		if !errors.Is(err, instance.ErrNotFound) {
			return "", err
		}
	}
	return "", instance.ErrNotFound
}
