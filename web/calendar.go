package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/gorilla/mux"

	"hearth/instance"
)

// calendar builds an iCalendar document (with arran4/golang-ical, which
// handles folding and escaping) for actions. Each has a reminder an hour
// before (VALARM), which calendar apps show when subscribed. A repeating
// action is one event with an RRULE (its times in the instance's time
// zone, TZID, so a calendar app keeps its clock time across DST), an
// EXDATE for each skipped date and an event with a RECURRENCE-ID for each
// moved one; with single (for calendar apps that cannot read RRULE) each
// date made so far is an event of its own.
func (s *Server) calendar(ctx context.Context, viewer *instance.Member, name string, items []*instance.Item, single bool) (string, error) {
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//Hearth//" + s.opt.SiteName + "//EN")
	cal.SetName(name)
	cal.SetXWRCalName(name)
	// How often subscribed calendars look again (RFC 7986; Outlook reads
	// X-PUBLISHED-TTL).
	cal.SetRefreshInterval("PT1H", ics.WithValue("DURATION"))
	cal.SetXPublishedTTL("PT1H")
	host := hostOf(s.opt.BaseURL)
	done := map[int64]bool{}
	for _, it := range items {
		if it.SeriesID == 0 || single {
			s.icsEvent(cal, fmt.Sprintf("action-%d@%s", it.ID, host), it, nil)
			continue
		}
		if done[it.SeriesID] {
			continue
		}
		done[it.SeriesID] = true
		view, err := s.svc.SeriesOf(ctx, viewer, it)
		if err != nil {
			return "", err
		}
		dates, err := s.svc.Items(ctx, viewer, instance.ItemFilter{SeriesID: it.SeriesID, Limit: 100})
		if err != nil {
			return "", err
		}
		uid := fmt.Sprintf("series-%d@%s", it.SeriesID, host)
		master := s.icsEvent(cal, uid, it, view.Series)
		for _, d := range dates {
			original := s.originalStart(view.Series, d)
			switch {
			case d.State == instance.StateCancelled:
				master.AddExdate(s.localTime(original), ics.WithTZID(s.opt.Location.String()))
			case !d.StartsAt.Equal(original):
				ev := s.icsEvent(cal, uid, d, nil)
				ev.SetProperty(ics.ComponentPropertyRecurrenceId, s.localTime(original), ics.WithTZID(s.opt.Location.String()))
			}
		}
	}
	return cal.Serialize(), nil
}

// originalStart is when the rule puts a date (before it was moved).
func (s *Server) originalStart(se *instance.Series, d *instance.Item) time.Time {
	first := se.FirstAt.In(s.opt.Location)
	day, err := time.ParseInLocation(time.DateOnly, d.OccursOn, s.opt.Location)
	if err != nil {
		return d.StartsAt
	}
	return time.Date(day.Year(), day.Month(), day.Day(), first.Hour(), first.Minute(), 0, 0, s.opt.Location)
}

func (s *Server) localTime(t time.Time) string { return t.In(s.opt.Location).Format("20060102T150405") }

// icsEvent adds one action as an event; with se, it is the series'
// first event, carrying its rule, from the series' first date.
func (s *Server) icsEvent(cal *ics.Calendar, uid string, it *instance.Item, se *instance.Series) *ics.VEvent {
	ev := cal.AddEvent(uid)
	ev.SetDtStampTime(s.svc.Now())
	ev.SetCreatedTime(it.CreatedAt)
	ev.SetModifiedAt(it.UpdatedAt)
	if se != nil || it.SeriesID != 0 {
		start, end := it.StartsAt, it.EndsAt
		if se != nil {
			start, end = se.FirstAt, se.FirstAt.Add(se.Length)
		}
		tz := ics.WithTZID(s.opt.Location.String())
		ev.SetProperty(ics.ComponentPropertyDtStart, s.localTime(start), tz)
		ev.SetProperty(ics.ComponentPropertyDtEnd, s.localTime(end), tz)
	} else {
		ev.SetStartAt(it.StartsAt)
		ev.SetEndAt(it.EndsAt)
	}
	if se != nil {
		ev.AddRrule(se.Rule.String())
	}
	ev.SetSummary(it.Title)
	ev.SetLocation(it.Place)
	link := s.opt.BaseURL + it.Path()
	ev.SetDescription(strings.TrimSpace(it.Description + "\n\n" + link))
	ev.SetURL(link)
	if it.State == instance.StateCancelled && se == nil {
		ev.SetStatus(ics.ObjectStatusCancelled)
		return ev
	}
	ev.SetStatus(ics.ObjectStatusConfirmed)
	alarm := ev.AddAlarm()
	alarm.SetAction(ics.ActionDisplay)
	alarm.SetTrigger("-PT1H")
	alarm.SetDescription(it.Title)
	return ev
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
	body, err := s.calendar(r.Context(), viewerFrom(r), it.Title, []*instance.Item{it}, single(r))
	if err != nil {
		return err
	}
	return writeICS(w, fmt.Sprintf("action-%d.ics", id), "private, no-cache", body)
}

// calendarFeed lists the upcoming public actions, for subscribing from a
// calendar app (which has no login, so only public ones: village-only
// actions are only in members' own feeds).
func (s *Server) calendarFeed(w http.ResponseWriter, r *http.Request) error {
	items, err := s.svc.Items(r.Context(), nil, instance.ItemFilter{Upcoming: true, Limit: 100, EveryDate: single(r)})
	if err != nil {
		return err
	}
	body, err := s.calendar(r.Context(), nil, s.opt.SiteName, items, single(r))
	if err != nil {
		return err
	}
	return writeICS(w, "upcoming-actions.ics", "public, max-age=900", body)
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
	// The dates they are on, each as an event: a member on one date of a
	// series is not on the others.
	body, err := s.calendar(r.Context(), m, name, items, true)
	if err != nil {
		return err
	}
	return writeICS(w, "my-actions.ics", "private, max-age=900", body)
}

// single asks for each date of a repeating action as an event of its own
// (?single=1), for calendar apps that do not read RRULE.
func single(r *http.Request) bool { return r.URL.Query().Get("single") == "1" }

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
