package federation

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-fed/activity/streams/vocab"

	"hearth/instance"
	"hearth/instance/markup"
)

// Posts readers understand: the text of a federated item is written in
// its poster's language from the interface's catalogue (Options.Translate)
// and says how to help; contentMap names the language (Mastodon's
// per-account language filters, GoToSocial's status language); and an
// item in a sensitive category is sent behind a content warning.

// tr writes a catalogue message in lang.
func (f *Federation) tr(lang, key string, args ...any) string {
	return f.opt.Translate(lang, key, args...)
}

// language is a member's language, or the instance's when it is not set.
func (f *Federation) language(member string) string {
	if member != "" {
		return member
	}
	return f.opt.Language
}

// date writes a day as the web pages do ("Saturday 5 December 2026").
func (f *Federation) date(lang string, t time.Time) string {
	return f.tr(lang, "date.day", f.tr(lang, fmt.Sprintf("date.weekday.%d", t.Weekday())), t.Day(),
		f.tr(lang, fmt.Sprintf("date.month.%d", t.Month())), t.Year())
}

// places says an action's roles and the places left ("2 drivers,
// 4 packers — 3 places left"): the overall places when it has a limit,
// else the roles' places. It is as of the last change to the action that
// was federated: each sign-up is not sent as an edit (every follower's
// server would show the post as edited, again and again).
func (f *Federation) places(it *instance.Item, lang string) string {
	var roles []string
	rolesLeft := 0
	for _, sl := range it.Slots {
		roles = append(roles, f.tr(lang, "fed.role", sl.Capacity, sl.Name))
		rolesLeft += max(0, sl.Capacity-sl.Going)
	}
	left, limited := rolesLeft, len(it.Slots) > 0
	if it.Capacity > 0 {
		left, limited = max(0, it.Capacity-it.Going), true
	}
	var parts []string
	if len(roles) > 0 {
		parts = append(parts, strings.Join(roles, ", "))
	}
	switch {
	case !limited:
	case left == 0:
		parts = append(parts, f.tr(lang, "fed.places_full"))
	default:
		parts = append(parts, f.tr(lang, "fed.places_left", left))
	}
	return strings.Join(parts, " — ")
}

// helpText ends an item that is still open with how to help: reply, or
// open the link (to sign up for an action).
func (f *Federation) helpText(it *instance.Item, lang string) string {
	switch {
	case it.Kind == instance.KindNeed && it.State == instance.StateOpen:
		return f.tr(lang, "fed.help_need")
	case it.Kind == instance.KindOffer && it.State == instance.StateOpen:
		return f.tr(lang, "fed.help_offer")
	case it.Kind == instance.KindAction && it.State == instance.StateScheduled && !it.Happened(f.now()):
		return f.tr(lang, "fed.help_action")
	}
	return ""
}

// readable adds to an item's Note what makes it readable elsewhere:
// contentMap in the poster's language; sensitive and a plain-language
// content warning (summary) for a sensitive category, which Mastodon and
// GoToSocial show in place of the text until the reader opens it; and the
// description alone (empty when there is none), so that another Hearth
// shows it without repeating the title and the facts it shows from the
// other fields.
func (f *Federation) readable(it *instance.Item, lang, text string, extra map[string]any) {
	extra["contentMap"] = map[string]any{lang: text}
	sensitive := f.svc.Sensitive(it)
	extra["sensitive"] = sensitive
	if sensitive {
		extra["summary"] = f.tr(lang, "fed.content_warning", f.tr(lang, "kind."+string(it.Kind)), it.Category)
	}
	extra["description"] = ""
	if it.Description != "" {
		extra["description"] = string(markup.Markdown(it.Description))
	}
}

// localise adds contentMap to a member's reply Note, in their language
// (its content as built).
func (f *Federation) localise(note vocab.ActivityStreamsNote, lang string) {
	c := note.GetActivityStreamsContent()
	if c == nil || c.Len() == 0 || !c.At(0).IsXMLSchemaString() {
		return
	}
	note.GetUnknownProperties()["contentMap"] = map[string]any{f.language(lang): c.At(0).GetXMLSchemaString()}
}
