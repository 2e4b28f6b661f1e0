package web

import (
	"net/http"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// registerNotify adds the pages where members are told: notifications,
// their own dashboard, and the coordinators' list of unanswered needs.
func (s *Server) registerNotify(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	r.Handle("/notifications", h(s.notifications)).Methods(http.MethodGet)
	r.Handle("/notifications/read", h(s.markRead)).Methods(http.MethodPost)
	r.Handle("/me", h(s.activity)).Methods(http.MethodGet)
	r.Handle("/admin/unanswered", h(s.unanswered)).Methods(http.MethodGet)
	r.Handle("/admin/email/test", h(s.testEmail)).Methods(http.MethodPost)
}

type notesPage struct {
	page
	Groups []*instance.NoteGroup
	// PushKey is the instance's VAPID public key and PushJS the script
	// that turns notifications on for this device.
	PushKey, PushJS string
}

// GroupTitle names a group of notifications about no item.
func (p *notesPage) GroupTitle(g *instance.NoteGroup) string {
	return p.T("notes.group." + string(g.Notice))
}

func (s *Server) notifications(w http.ResponseWriter, r *http.Request) error {
	list, err := s.svc.Notifications(r.Context(), viewerFrom(r))
	if err != nil {
		return err
	}
	keys, err := s.svc.VAPIDKeys(r.Context())
	if err != nil {
		return err
	}
	p := &notesPage{page: s.pageBase(r, "notes.title"), Groups: instance.GroupNotifications(list), PushKey: keys.Public, PushJS: s.pushJS}
	w.Header().Set("Content-Security-Policy", scriptPolicy)
	return s.render(w, r, http.StatusOK, "notes", p)
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.MarkNotificationsRead(r.Context(), viewerFrom(r)); err != nil {
		return err
	}
	return s.redirect(w, r, "/notifications", "flash.read")
}

// dashRow is one line of the dashboard: a post, where it stands and the
// next step, linking to the place on its page where that step is taken.
type dashRow struct {
	Item     *instance.Item
	Step     string
	StepLink string
	// Renew offers the "still needed" button.
	Renew bool
}

type activityPage struct {
	page
	Waiting   []dashRow
	Asked     []dashRow
	Helping   []dashRow
	Offered   []dashRow
	Wanted    []dashRow
	Organised []dashRow
	Going     []dashRow
}

// Sections lists the dashboard's sections in order, for the template.
func (p *activityPage) Sections() []dashSection {
	return []dashSection{{"asked", p.Asked}, {"helping", p.Helping}, {"offered", p.Offered}, {"wanted", p.Wanted},
		{"organised", p.Organised}, {"going", p.Going}}
}

// Row pairs a dashboard line with the page for the "dashrow" template.
func (p *activityPage) Row(r dashRow) dashRowView { return dashRowView{P: &p.page, R: r} }

type dashRowView struct {
	P *page
	R dashRow
}

type dashSection struct {
	Key  string
	Rows []dashRow
}

func (s *Server) activity(w http.ResponseWriter, r *http.Request) error {
	viewer := viewerFrom(r)
	a, err := s.svc.MyActivity(r.Context(), viewer)
	if err != nil {
		return err
	}
	p := &activityPage{page: s.pageBase(r, "activity.title")}
	now := s.svc.Now()
	at := func(it *instance.Item, anchor string) string { return it.Path() + "#" + anchor }
	expiring := map[int64]bool{}
	for _, it := range a.Expiring {
		expiring[it.ID] = true
	}
	for _, it := range a.Asked {
		row := dashRow{Item: it.Item, StepLink: it.Path()}
		switch {
		case it.State == instance.StateOpen && it.Interests > 0:
			row.Step, row.StepLink = p.T("step.choose_helper", it.Interests), at(it.Item, "offers")
		case it.State == instance.StateOpen && expiring[it.ID]:
			row.Step, row.StepLink, row.Renew = p.T("step.still_needed"), at(it.Item, "manage"), true
		case it.State == instance.StateOpen:
			row.Step = p.T("step.no_offers")
		case it.State == instance.StateClaimed:
			row.Step, row.StepLink = p.T("step.helper_helping", it.ClaimedByName), at(it.Item, "helping")
		case it.State == instance.StateDone:
			row.Step = p.T("step.done")
		default:
			row.Step = p.T("step.closed")
		}
		p.Asked = append(p.Asked, row)
		if (it.State == instance.StateOpen && it.Interests > 0) || row.Renew {
			p.Waiting = append(p.Waiting, row)
		}
	}
	for _, in := range a.Helping {
		it := in.Item
		row := dashRow{Item: it, StepLink: it.Path()}
		mine := it.ClaimedBy == viewer.ID
		switch {
		case it.State == instance.StateClaimed && mine:
			row.Step, row.StepLink = p.T("step.helping"), at(it, "helping")
			p.Waiting = append(p.Waiting, row)
		case it.State == instance.StateDone && in.State == instance.InterestAccepted:
			row.Step = p.T("step.done")
		case in.State == instance.InterestReleased:
			row.Step = p.T("step.released")
		case it.State == instance.StateClaimed || it.State == instance.StateDone:
			row.Step = p.T("step.not_chosen")
		case it.State == instance.StateOpen:
			row.Step = p.T("step.waiting_choice")
		default:
			row.Step = p.T("step.closed")
		}
		p.Helping = append(p.Helping, row)
	}
	for _, it := range a.Offered {
		row := dashRow{Item: it.Item, StepLink: it.Path()}
		switch {
		case it.State == instance.StateOpen && it.Interests > 0:
			row.Step, row.StepLink = p.T("step.choose_taker", it.Interests), at(it.Item, "requests")
			p.Waiting = append(p.Waiting, row)
		case it.State == instance.StateOpen:
			row.Step = p.T("step.no_requests")
		case it.State == instance.StateTaken:
			row.Step = p.T("step.given", it.TakenByName)
		default:
			row.Step = p.T("step.closed")
		}
		p.Offered = append(p.Offered, row)
	}
	for _, in := range a.Wanted {
		it := in.Item
		row := dashRow{Item: it, StepLink: it.Path()}
		switch {
		case it.TakenBy == viewer.ID:
			row.Step = p.T("step.chosen")
		case it.State == instance.StateOpen:
			row.Step = p.T("step.asked")
		default:
			row.Step = p.T("step.given_other")
		}
		p.Wanted = append(p.Wanted, row)
	}
	actionStep := func(it *instance.Item) string {
		switch {
		case it.State == instance.StateCancelled:
			return p.T("step.cancelled")
		case it.Happened(now):
			return p.T("step.happened")
		}
		return ""
	}
	for _, it := range a.Organised {
		row := dashRow{Item: it.Item, Step: actionStep(it.Item), StepLink: at(it.Item, "coming")}
		if row.Step == "" {
			row.Step = p.T("step.coming", it.Going, it.Waiting)
		}
		p.Organised = append(p.Organised, row)
	}
	for _, pl := range a.Going {
		row := dashRow{Item: pl.Item, Step: actionStep(pl.Item), StepLink: pl.Item.Path()}
		switch {
		case row.Step != "":
		case pl.Status == instance.AttendWaiting:
			row.Step = p.T("step.waiting_place", pl.Position)
		case pl.SlotName != "":
			row.Step = p.T("step.going_role", pl.SlotName)
		default:
			row.Step = p.T("step.going")
		}
		p.Going = append(p.Going, row)
	}
	return s.render(w, r, http.StatusOK, "activity", p)
}

// deskRow is one count on a coordinator's or lead's home page.
type deskRow struct {
	Text, Link string
}

// deskRows turns the counts the viewer may see into lines with links
// (zero counts are left out).
func (s *Server) deskRows(p *page, d *instance.Desk) []deskRow {
	var out []deskRow
	add := func(n *int, key, link string) {
		if n != nil && *n > 0 {
			out = append(out, deskRow{Text: p.T(key, *n), Link: link})
		}
	}
	add(d.Applications, "home.pending", "/admin/applications")
	add(d.Reports, "desk.reports", "/admin/moderation#reports")
	add(d.Held, "desk.held", "/admin/moderation#held")
	add(d.Unanswered, "desk.unanswered", "/admin/unanswered")
	add(d.Concerns, "desk.concerns", "/safeguarding")
	return out
}

type unansweredPage struct {
	page
	Items []*instance.Item
	Hours int
}

func (s *Server) unanswered(w http.ResponseWriter, r *http.Request) error {
	items, err := s.svc.UnansweredNeeds(r.Context(), viewerFrom(r))
	if err != nil {
		return err
	}
	p := &unansweredPage{page: s.pageBase(r, "unanswered.title"), Items: items, Hours: int(s.svc.UnansweredAfter().Hours())}
	return s.render(w, r, http.StatusOK, "unanswered", p)
}

// testEmail queues a test email to the admin, through the queue every
// other email takes.
func (s *Server) testEmail(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.SendTestEmail(r.Context(), viewerFrom(r)); err != nil {
		return err
	}
	return s.redirect(w, r, "/admin/email", "flash.test_email")
}
