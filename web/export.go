package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"hearth/instance"
)

// exportField is one fact: a plain key (for the file), its label and its
// value in words (for both).
type exportField struct{ Key, Label, Value string }

// exportEntry is one thing held (the profile, a post, a reply…), its
// facts in order.
type exportEntry []exportField

// MarshalJSON writes the entry as an object with its keys in order.
func (e exportEntry) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range e {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key) // strings always marshal
		v, _ := json.Marshal(f.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// exportSection is one kind of thing held.
type exportSection struct {
	Key, Title string
	Entries    []exportEntry
}

type exportPage struct {
	page
	Intro    string
	Sections []exportSection
}

// MarshalJSON writes the export as a file: what it is, then each section
// under its plain key (the profile as one object, the rest as lists).
func (p *exportPage) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	about, _ := json.Marshal(p.Intro)
	b.WriteString(`{"about":`)
	b.Write(about)
	for _, s := range p.Sections {
		b.WriteString(`,"` + s.Key + `":`)
		var v []byte
		var err error
		if s.Key == "profile" && len(s.Entries) == 1 {
			v, err = json.Marshal(s.Entries[0])
		} else {
			v, err = json.Marshal(append([]exportEntry{}, s.Entries...))
		}
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// entry builds an exportEntry, leaving out what is empty.
type entryBuilder struct {
	p *exportPage
	e exportEntry
}

func (b *entryBuilder) add(key, value string) *entryBuilder {
	if value != "" {
		b.e = append(b.e, exportField{Key: key, Label: b.p.T("export.f." + key), Value: value})
	}
	return b
}

func (b *entryBuilder) yes(key string, on bool) *entryBuilder {
	if on {
		return b.add(key, b.p.T("export.yes"))
	}
	return b
}

func (p *exportPage) entry() *entryBuilder { return &entryBuilder{p: p} }

func (p *exportPage) section(key string, entries ...exportEntry) {
	p.Sections = append(p.Sections, exportSection{Key: key, Title: p.T("export.s." + key), Entries: entries})
}

// exportView words everything held about the member in their language:
// plain keys, and words instead of codes (states, roles, kinds, the text
// of each message) and dates.
func (s *Server) exportView(r *http.Request) (*exportPage, error) {
	me := viewerFrom(r)
	ex, err := s.svc.Export(r.Context(), me)
	if err != nil {
		return nil, err
	}
	p := &exportPage{page: s.pageBase(r, "export.title")}
	p.Intro = p.T("export.intro", s.opt.SiteName, me.DisplayName, p.DateTime(p.now))
	m := ex.Member
	var roles []string
	for _, role := range m.Roles {
		roles = append(roles, p.RoleName(role))
	}
	profile := p.entry().add("name", m.DisplayName).add("username", m.Handle).add("email", m.Email).add("pronouns", m.Pronouns).
		add("language", p.T("language."+m.Language)).add("contact_preference", p.T("contact."+string(m.ContactPreference))).
		add("phone", m.Phone).add("roles", strings.Join(roles, ", ")).add("status", p.T("memberstatus."+string(m.Status))).
		add("application_answer", m.ApplicationAnswer).add("joined", p.DateTime(m.CreatedAt)).
		add("code_of_conduct", p.T("export.conduct_accepted", m.ConductVersion, p.DateTime(m.ConductAcceptedAt))).
		yes("email_confirmed", m.EmailConfirmed).yes("helper_friend", m.HelperFriend).yes("taking_a_break", m.OnBreak).
		yes("private_calendar_address", ex.CalendarFeed).yes("private_feed_address", ex.PrivateFeed)
	p.section("profile", profile.e)

	var items []exportEntry
	for _, it := range ex.Items {
		b := p.entry().add("kind", p.KindName(it.Kind)).add("title", it.Title).add("details", it.Description).
			add("category", p.CategoryName(it.Category)).add("area", it.Area).add("group", it.GroupName).
			add("who_can_see", p.VisName(it.Visibility)).add("status", p.StateName(it)).
			add("posted", p.DateTime(it.CreatedAt)).add("needed_by", p.Date(it.NeededBy)).add("available_until", p.Date(it.AvailableUntil)).
			add("starts", p.DateTime(it.StartsAt)).add("ends", p.DateTime(it.EndsAt)).add("place", it.Place).
			add("exact_address", it.Address).add("contact", it.Contact).add("posted_for", it.OnBehalfName).add("their_phone", it.OnBehalfPhone).
			add("hidden_by_a_coordinator", it.HiddenReason).yes("waiting_for_a_coordinator", it.Held).add("link", s.opt.BaseURL+it.Path())
		items = append(items, b.e)
	}
	p.section("posts", items...)

	var replies []exportEntry
	for _, x := range ex.Replies {
		replies = append(replies, p.entry().add("on", x.ItemTitle).add("reply", x.Body).add("written", p.DateTime(x.CreatedAt)).
			add("link", s.opt.BaseURL+x.ItemPath).e)
	}
	p.section("replies", replies...)

	var offers []exportEntry
	for _, x := range ex.HelpOffers {
		offers = append(offers, p.entry().add("on", x.ItemTitle).add("kind", p.KindName(x.ItemKind)).add("message", x.Message).
			yes("bringing_a_buddy", x.Buddy).add("when", p.DateTime(x.CreatedAt)).add("link", s.opt.BaseURL+x.ItemPath).e)
	}
	p.section("offers_of_help", offers...)

	var actions []exportEntry
	for _, x := range ex.Actions {
		actions = append(actions, p.entry().add("action", x.ItemTitle).add("role", x.Role).add("your_place", p.T("export.attend."+string(x.Status))).
			add("when", p.DateTime(x.CreatedAt)).add("link", s.opt.BaseURL+x.ItemPath).e)
	}
	p.section("actions_joined", actions...)

	var notes []exportEntry
	for _, n := range ex.Notifications {
		notes = append(notes, p.entry().add("message", p.Note(n)).add("when", p.DateTime(n.CreatedAt)).e)
	}
	p.section("messages", notes...)

	var groups []exportEntry
	for _, g := range ex.Groups {
		groups = append(groups, p.entry().add("group", g.Name).add("joined", p.DateTime(g.JoinedAt)).e)
	}
	p.section("groups", groups...)

	var reports []exportEntry
	for _, x := range ex.Reports {
		reports = append(reports, p.entry().add("about", p.T("report.subject."+x.Subject)).add("problem", p.T("report.category."+x.Category)).
			add("details", x.Details).add("status", p.T("export.report_status."+x.Status)).add("when", p.DateTime(x.CreatedAt)).e)
	}
	p.section("reports_made", reports...)

	var concerns []exportEntry
	for _, x := range ex.Concerns {
		concerns = append(concerns, p.entry().add("about", x.About).add("details", x.Details).add("when", p.DateTime(x.CreatedAt)).e)
	}
	p.section("concerns_raised", concerns...)

	var checks []exportEntry
	for _, v := range ex.Verifications {
		checks = append(checks, p.entry().add("check", p.T("verify.check."+v.CheckType)).add("checked_on", p.Date(v.VerifiedOn)).
			add("valid_until", p.Date(v.ExpiresOn)).yes("withdrawn", v.Revoked).add("why_withdrawn", v.RevokeReason).e)
	}
	p.section("safety_checks", checks...)

	var answers []exportEntry
	for _, x := range ex.NeighbourAnswers {
		answers = append(answers, p.entry().add("post", x.PostTitle).add("answer", x.Body).add("when", p.DateTime(x.CreatedAt)).e)
	}
	p.section("answers_to_other_villages", answers...)

	var prefs []exportEntry
	for _, c := range ex.EmailChoices {
		prefs = append(prefs, p.entry().add("about", p.T("prefs.kind."+string(c.Kind))).add("how_often", p.T("prefs.freq."+string(c.Frequency))).e)
	}
	p.section("email_choices", prefs...)

	var messages []exportEntry
	for _, x := range ex.PrivateMessages {
		messages = append(messages, p.entry().add("post", x.ItemTitle).add("message", x.Body).add("when", p.DateTime(x.CreatedAt)).e)
	}
	p.section("private_messages", messages...)

	var devices []exportEntry
	for _, x := range ex.Devices {
		devices = append(devices, p.entry().add("device", x.Device).add("since", p.DateTime(x.CreatedAt)).e)
	}
	p.section("devices", devices...)
	s.exportDecisions(p, ex)
	return p, nil
}

// exportDecisions words the member's part in deciding together: votes,
// answers, panels, standing places.
func (s *Server) exportDecisions(p *exportPage, ex *instance.MemberExport) {
	var votes []exportEntry
	for _, x := range ex.PollVotes {
		votes = append(votes, p.entry().add("poll", x.PollTitle).add("your_choice", strings.Join(x.Options, ", ")).
			add("when", p.DateTime(x.CreatedAt)).add("link", s.opt.BaseURL+x.PollPath).e)
	}
	p.section("poll_votes", votes...)

	var answers []exportEntry
	for _, x := range ex.ProposalAnswers {
		answers = append(answers, p.entry().add("proposal", x.ProposalTitle).add("answer", p.T("proposal.answer_"+string(x.Answer))).
			add("reason", x.Reason).add("when", p.DateTime(x.UpdatedAt)).add("link", s.opt.BaseURL+x.ProposalPath).e)
	}
	p.section("proposal_answers", answers...)

	var panels []exportEntry
	for _, x := range ex.Panels {
		panels = append(panels, p.entry().add("panel", x.PanelTitle).yes("chosen", x.Selected).
			add("when", p.DateTime(x.CreatedAt)).add("link", s.opt.BaseURL+x.PanelPath).e)
	}
	p.section("panels", panels...)

	var places []exportEntry
	for _, x := range ex.StandingPlaces {
		places = append(places, p.entry().add("action", x.ActionTitle).add("role", x.Role).
			add("since", p.DateTime(x.CreatedAt)).add("link", s.opt.BaseURL+x.ActionPath).e)
	}
	p.section("standing_places", places...)
}

// export shows everything stored about the member as a page they can
// read and print, with the same as a file beside it.
func (s *Server) export(w http.ResponseWriter, r *http.Request) error {
	p, err := s.exportView(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "export", p)
}

// exportJSON downloads the same as the page, as a JSON file.
func (s *Server) exportJSON(w http.ResponseWriter, r *http.Request) error {
	p, err := s.exportView(r)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="my-data.json"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}
