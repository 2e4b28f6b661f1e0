package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	ics "github.com/arran4/golang-ical"
	"github.com/gorilla/mux"

	"hearth/instance"
)

// calendar builds an iCalendar document (with arran4/golang-ical, which
// handles folding and escaping) for actions. Each has a reminder an hour
// before (VALARM), which calendar apps show when subscribed.
func (s *Server) calendar(name string, items []*instance.Item) string {
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//Hearth//" + s.opt.SiteName + "//EN")
	cal.SetName(name)
	cal.SetXWRCalName(name)
	// How often subscribed calendars look again (RFC 7986; Outlook reads
	// X-PUBLISHED-TTL).
	cal.SetRefreshInterval("PT1H", ics.WithValue("DURATION"))
	cal.SetXPublishedTTL("PT1H")
	now := s.svc.Now()
	host := hostOf(s.opt.BaseURL)
	for _, it := range items {
		ev := cal.AddEvent(fmt.Sprintf("action-%d@%s", it.ID, host))
		ev.SetDtStampTime(now)
		ev.SetCreatedTime(it.CreatedAt)
		ev.SetModifiedAt(it.UpdatedAt)
		ev.SetStartAt(it.StartsAt)
		ev.SetEndAt(it.EndsAt)
		ev.SetSummary(it.Title)
		ev.SetLocation(it.Place)
		link := s.opt.BaseURL + it.Path()
		ev.SetDescription(strings.TrimSpace(it.Description + "\n\n" + link))
		ev.SetURL(link)
		if it.State == instance.StateCancelled {
			ev.SetStatus(ics.ObjectStatusCancelled)
			continue
		}
		ev.SetStatus(ics.ObjectStatusConfirmed)
		alarm := ev.AddAlarm()
		alarm.SetAction(ics.ActionDisplay)
		alarm.SetTrigger("-PT1H")
		alarm.SetDescription(it.Title)
	}
	return cal.Serialize()
}

func writeICS(w http.ResponseWriter, name, cache, body string) error {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
	w.Header().Set("Cache-Control", cache)
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
	return writeICS(w, fmt.Sprintf("action-%d.ics", id), "private, no-cache", s.calendar(it.Title, []*instance.Item{it}))
}

// calendarFeed lists the upcoming public actions, for subscribing from a
// calendar app (which has no login, so only public ones: village-only
// actions are only in members' own feeds).
func (s *Server) calendarFeed(w http.ResponseWriter, r *http.Request) error {
	items, err := s.svc.Items(r.Context(), nil, instance.ItemFilter{Upcoming: true, Limit: 100})
	if err != nil {
		return err
	}
	return writeICS(w, "upcoming-actions.ics", "public, max-age=900", s.calendar(s.opt.SiteName, items))
}

// personalFeed is a member's own calendar: the actions they are going to
// (or waiting for, or organise), village-only ones too, behind the secret
// token in its address. An unknown or stopped token is not found.
func (s *Server) personalFeed(w http.ResponseWriter, r *http.Request) error {
	m, items, err := s.svc.CalendarFor(r.Context(), mux.Vars(r)["token"])
	if err != nil {
		return err
	}
	name := s.cat.text(m.Language, "calendar.mine_name", s.opt.SiteName)
	return writeICS(w, "my-actions.ics", "private, max-age=900", s.calendar(name, items))
}

// webcal is the address calendar apps subscribe to (webcal:// opens the
// phone's calendar app; it means the same as http(s)://). It is built
// from our own base URL, so it is safe as a link (html/template would
// otherwise refuse the scheme).
func webcal(link string) template.URL {
	for _, scheme := range []string{"https://", "http://"} {
		if strings.HasPrefix(link, scheme) {
			return template.URL("webcal://" + strings.TrimPrefix(link, scheme))
		}
	}
	return template.URL(link)
}

type calendarPage struct {
	page
	PublicURL, MineURL       string
	PublicWebcal, MineWebcal template.URL
}

// calendarHelp is "Subscribe in your calendar": the links and how to use
// them on a phone, in Outlook and in Google Calendar.
func (s *Server) calendarHelp(w http.ResponseWriter, r *http.Request) error {
	p := &calendarPage{page: s.pageBase(r, "calendar.title"), PublicURL: s.opt.BaseURL + "/calendar.ics"}
	p.PublicWebcal = webcal(p.PublicURL)
	if p.Viewer != nil {
		tok, err := s.svc.CalendarToken(r.Context(), p.Viewer)
		if err != nil {
			return err
		}
		if tok != "" {
			p.MineURL = s.feedURL(tok)
			p.MineWebcal = webcal(p.MineURL)
		}
	}
	return s.render(w, r, http.StatusOK, "calendar", p)
}

func (s *Server) feedURL(token string) string { return s.opt.BaseURL + "/calendar/" + token + ".ics" }

// calendarLink makes, replaces or stops the member's own feed link (from
// their profile).
func (s *Server) calendarLink(w http.ResponseWriter, r *http.Request) error {
	m := viewerFrom(r)
	if r.PostForm.Get("stop") != "" {
		if err := s.svc.StopCalendarToken(r.Context(), m); err != nil {
			return err
		}
		return s.redirect(w, r, "/settings/profile#calendar", "flash.calendar_stopped")
	}
	if _, err := s.svc.NewCalendarToken(r.Context(), m); err != nil {
		return err
	}
	return s.redirect(w, r, "/settings/profile#calendar", "flash.calendar_made")
}
