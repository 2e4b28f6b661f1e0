package instance

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ModLogPerPage is the length of a page of the moderation log.
const ModLogPerPage = 50

// LogLine is a moderation log line made readable: its action as a code
// the interface words as a sentence, and what it names looked up (the
// post's title and author, the member's name), with a link when there is
// a page about it.
type LogLine struct {
	ModLog
	// Verb is the action as a code: "hide_item", "suspend_member"… (the
	// action logged, with "_" for spaces and without its parenthesis).
	Verb string
	// Check is what the parenthesis of "record verification (dbs)" named.
	Check string
	About LogSubject
}

// LogSubject is what a log line is about.
type LogSubject struct {
	// Kind is item, reply, member, report, neighbour_post, domain, actor,
	// or "" (anything else: Text says it).
	Kind  string
	ID    int64  // for a report: its number
	Title string // of the item, of the reply's item, of the neighbour post
	Name  string // the member; the author of the item or reply
	Path  string // a page on this site about it, or ""
	URL   string // an account on another server
	Text  string // the subject as it was logged
}

var (
	logNumbered = regexp.MustCompile(`^(item|reply|report|neighbour post|verification) (\d+)$`)
	logCheck    = regexp.MustCompile(`^(.*) \(([a-z_]+)\)$`)
)

// ModerationLogPage returns a page of the moderation log, newest first,
// with what each line names looked up; before is the id to start below (0
// for the newest). Coordinators only.
func (s *Service) ModerationLogPage(ctx context.Context, by *Member, before int64) ([]*LogLine, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	raw, err := s.store.ModerationLogBefore(ctx, before, ModLogPerPage)
	if err != nil {
		return nil, fmt.Errorf("instance: moderation log: %w", err)
	}
	seen := map[string]LogSubject{}
	out := make([]*LogLine, 0, len(raw))
	for _, l := range raw {
		line := &LogLine{ModLog: *l, Verb: l.Action}
		if m := logCheck.FindStringSubmatch(l.Action); m != nil {
			line.Verb, line.Check = m[1], m[2]
		}
		line.Verb = strings.ReplaceAll(line.Verb, " ", "_")
		about, ok := seen[l.Subject]
		if !ok {
			if about, err = s.logSubject(ctx, l.Subject); err != nil {
				return nil, err
			}
			seen[l.Subject] = about
		}
		line.About = about
		out = append(out, line)
	}
	return out, nil
}

// logSubject looks up what a log line's subject names. Something that is
// gone since (a deleted account, a removed post) is still named as well
// as it can be; only a failing database is an error.
func (s *Service) logSubject(ctx context.Context, subject string) (LogSubject, error) {
	about := LogSubject{Text: subject}
	gone := func(err error) bool { return errors.Is(err, ErrNotFound) || errors.Is(err, ErrGone) }
	switch m := logNumbered.FindStringSubmatch(subject); {
	case m != nil:
		id, _ := strconv.ParseInt(m[2], 10, 64)
		switch m[1] {
		case "item":
			it, err := s.store.ItemByID(ctx, id)
			if gone(err) {
				return about, nil
			}
			if err != nil {
				return about, err
			}
			about = LogSubject{Kind: "item", Title: it.Title, Name: it.Author, Path: it.Path(), Text: subject}
		case "reply":
			r, err := s.store.ResponseByID(ctx, id)
			if gone(err) {
				return about, nil
			}
			if err != nil {
				return about, err
			}
			about = LogSubject{Kind: "reply", Name: r.Author, URL: r.RemoteActor, Text: subject}
			if it, err := s.store.ItemByID(ctx, r.ItemID); err == nil {
				about.Title, about.Path = it.Title, it.Path()
			} else if !gone(err) {
				return about, err
			}
		case "neighbour post":
			it, err := s.store.RemoteItemByID(ctx, id)
			if gone(err) {
				return about, nil
			}
			if err != nil {
				return about, err
			}
			about = LogSubject{Kind: "neighbour_post", Title: it.Title, Name: it.ActorName, Path: fmt.Sprintf("/neighbours/%d", id), Text: subject}
		case "report":
			about.Kind, about.ID = "report", id
		}
	case strings.HasPrefix(subject, "@"):
		m, err := s.store.MemberByHandle(ctx, strings.TrimPrefix(subject, "@"))
		if gone(err) {
			return about, nil
		}
		if err != nil {
			return about, err
		}
		about = LogSubject{Kind: "member", Name: m.DisplayName, Path: fmt.Sprintf("/admin/members/%d", m.ID), Text: subject}
	case strings.HasPrefix(subject, "https://") || strings.HasPrefix(subject, "http://"):
		about = LogSubject{Kind: "actor", URL: subject, Text: subject}
	case domainPattern.MatchString(subject):
		about.Kind = "domain"
	}
	return about, nil
}
