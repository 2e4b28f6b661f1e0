package web

import (
	"html"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hearth/instance"
)

type modLogPage struct {
	page
	Log   []*instance.LogLine
	Older string // link to the next, older page
}

// modLog is the moderation log in sentences ("Priya hid “Cheap pills” by
// dave: spam"), newest first, 50 to a page, each naming what it was about
// with a link to it.
func (s *Server) modLog(w http.ResponseWriter, r *http.Request) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	log, err := s.svc.ModerationLogPage(r.Context(), viewerFrom(r), before)
	if err != nil {
		return err
	}
	p := &modLogPage{page: s.pageBase(r, "modlog.title"), Log: log}
	if len(log) == instance.ModLogPerPage {
		p.Older = "/admin/log?before=" + strconv.FormatInt(log[len(log)-1].ID, 10)
	}
	return s.render(w, r, http.StatusOK, "modlog", p)
}

// modLogVerbs are the actions the log words as sentences; any other
// action is shown as it was logged.
var modLogVerbs = map[string]bool{
	"hide_item": true, "release_held_item": true, "release_held_reply": true, "release_held_neighbour_post": true,
	"remove_neighbour_post": true, "remove_reply": true, "remove_member": true, "warn_member": true, "suspend_member": true,
	"reinstate_member": true, "approve_application": true, "reject_application": true, "set_roles": true,
	"block_remote_actor": true, "block_domain": true, "unblock_domain": true, "record_verification": true,
	"revoke_verification": true, "verifications_expired": true, "report_dismissed": true, "report_resolved": true,
	"make_password_reset_code": true, "set_password": true,
}

// link is an escaped link, or the escaped text when there is no page.
func link(path, text string) string {
	t := "<bdi>" + html.EscapeString(text) + "</bdi>"
	if path == "" {
		return t
	}
	return `<a href="` + html.EscapeString(path) + `">` + t + `</a>`
}

// Sentence writes a log line in the page's language, with links to what
// it names. Every piece is escaped before it goes into the (escaped)
// catalogue message.
func (p *modLogPage) Sentence(l *instance.LogLine) template.HTML {
	actor := p.T("modlog.operator")
	if l.ActorID != 0 {
		actor = link("/admin/members/"+fmtInt(l.ActorID), l.Actor)
	}
	if !modLogVerbs[l.Verb] {
		msg := html.EscapeString(p.T("modlog.other", "\x00actor\x00", l.Action, l.Subject))
		return template.HTML(strings.Replace(msg, "\x00actor\x00", actor, 1)) + p.reason(l.Reason)
	}
	key := "modlog.do." + l.Verb
	if l.Verb == "verifications_expired" {
		return template.HTML(html.EscapeString(p.T(key))) // done by the clock, about no one in particular
	}
	var args []any
	switch l.Verb {
	case "set_roles":
		var names []string
		for _, code := range strings.Split(l.Reason, ",") {
			if code = strings.TrimSpace(code); code != "" {
				names = append(names, p.RoleName(instance.Role(code)))
			}
		}
		roles := p.T("modlog.member_only")
		if len(names) > 0 {
			roles = strings.Join(names, ", ")
		}
		args = []any{html.EscapeString(roles)}
	case "record_verification":
		until := strings.TrimPrefix(l.Reason, "until ")
		if t, err := time.ParseInLocation("2006-01-02", until, p.location); err == nil {
			until = p.Date(t)
		}
		args = []any{html.EscapeString(p.T("verify.check." + l.Check)), html.EscapeString(until)}
	case "revoke_verification":
		args = []any{html.EscapeString(p.T("verify.check." + l.Check))}
	}
	msg := html.EscapeString(p.T(key, append([]any{"\x00actor\x00", "\x00subject\x00"}, args...)...))
	msg = strings.Replace(msg, "\x00actor\x00", actor, 1)
	msg = strings.Replace(msg, "\x00subject\x00", p.subject(l.About), 1)
	out := template.HTML(msg)
	switch l.Verb {
	case "set_roles", "record_verification", "make_password_reset_code", "set_password":
		return out // their reason field holds what the sentence already says
	}
	return out + p.reason(l.Reason)
}

func (p *modLogPage) reason(r string) template.HTML {
	if r == "" {
		return ""
	}
	return template.HTML(html.EscapeString(p.T("modlog.reason", r)))
}

// subject names what a line is about, linked when it has a page here.
func (p *modLogPage) subject(a instance.LogSubject) string {
	switch a.Kind {
	case "item":
		return link(a.Path, p.T("modlog.item", a.Title, a.Name))
	case "reply":
		who := a.Name
		if who == "" {
			who = a.URL
		}
		return link(a.Path, p.T("modlog.reply", who, a.Title))
	case "neighbour_post":
		return link(a.Path, p.T("modlog.neighbour_post", a.Title, a.Name))
	case "member":
		return link(a.Path, a.Name)
	case "actor":
		return link("", a.URL)
	case "report":
		return link("", p.T("modlog.report", a.ID))
	}
	return link("", a.Text)
}
