package web

import (
	"fmt"
	"net/http"
	"strings"

	ics "github.com/arran4/golang-ical"

	"hearth/instance"
)

// calendar builds an iCalendar document (with arran4/golang-ical, which
// handles folding and escaping) for actions.
func (s *Server) calendar(items []*instance.Item) string {
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//Hearth//" + s.opt.SiteName + "//EN")
	cal.SetName(s.opt.SiteName)
	now := s.svc.Now()
	for _, it := range items {
		host := hostOf(s.opt.BaseURL)
		ev := cal.AddEvent(fmt.Sprintf("action-%d@%s", it.ID, host))
		ev.SetDtStampTime(now)
		ev.SetCreatedTime(it.CreatedAt)
		ev.SetModifiedAt(it.UpdatedAt)
		ev.SetStartAt(it.StartsAt)
		ev.SetEndAt(it.EndsAt)
		ev.SetSummary(it.Title)
		ev.SetLocation(it.Place)
		ev.SetDescription(it.Description)
		ev.SetURL(s.opt.BaseURL + it.Path())
		if it.State == instance.StateCancelled {
			ev.SetStatus(ics.ObjectStatusCancelled)
		} else {
			ev.SetStatus(ics.ObjectStatusConfirmed)
		}
	}
	return cal.Serialize()
}

func writeICS(w http.ResponseWriter, name, body string) error {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err := strings.NewReader(body).WriteTo(w)
	return err
}

// actionICS is one action as an .ics file for a calendar app.
func (s *Server) actionICS(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	it, err := s.svc.Item(r.Context(), viewerFrom(r), instance.KindAction, id)
	if err != nil {
		return err
	}
	return writeICS(w, fmt.Sprintf("action-%d.ics", id), s.calendar([]*instance.Item{it}))
}

// calendarFeed lists the upcoming public actions, for subscribing from a
// calendar app (which has no login, so only public ones).
func (s *Server) calendarFeed(w http.ResponseWriter, r *http.Request) error {
	items, err := s.svc.Items(r.Context(), nil, instance.ItemFilter{Upcoming: true, Limit: 100})
	if err != nil {
		return err
	}
	return writeICS(w, "hearth.ics", s.calendar(items))
}
