package instance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// DigestStore keeps what members follow, and the progress of the
// announcements of new posts and of the digests.
type DigestStore interface {
	// MemberCategories are the categories a member hears about (none:
	// every category).
	MemberCategories(ctx context.Context, memberID int64) ([]string, error)
	SetMemberCategories(ctx context.Context, memberID int64, categories []string) error
	// Unannounced lists posts whose at-once emails are not written yet
	// (held, hidden and deleted ones are not listed).
	Unannounced(ctx context.Context, limit int) ([]*Item, error)
	// Subscribers lists the active members with an address who hear of
	// new posts like it (kind) at once: members of its group whose
	// categories include its own (or who chose none), not its author.
	Subscribers(ctx context.Context, it *Item, kind NoticeKind, def Frequency) ([]*Member, error)
	// Announce records that an item's at-once emails were written, and
	// queues them, in one transaction; false when that was done already.
	Announce(ctx context.Context, itemID int64, mails []Mail, now time.Time) (bool, error)
	// DigestMembers lists active members with an address whose digest of
	// f was last recorded before upTo (or never), with that time.
	DigestMembers(ctx context.Context, f Frequency, upTo time.Time) ([]*DigestMember, error)
	// DigestItems lists posts of a kind created in (from, to] that the
	// member follows (their groups and categories, not their own) and
	// that are still open or to come at now.
	DigestItems(ctx context.Context, memberID int64, kind Kind, from, to, now time.Time, limit int) ([]*Item, error)
	// DigestNotes lists a member's unread notifications of kinds created
	// in (from, to].
	DigestNotes(ctx context.Context, memberID int64, kinds []NoteKind, from, to time.Time, limit int) ([]*Notification, error)
	// RecordDigest records that the member's digest of f covers up to
	// upTo (the last one covered up to prev, zero for none) and queues
	// mails, in one transaction; false when it was recorded already.
	RecordDigest(ctx context.Context, memberID int64, f Frequency, prev, upTo time.Time, mails []Mail, now time.Time) (bool, error)
}

// DigestMember is a member a digest is due for.
type DigestMember struct {
	Member
	LastSent time.Time // zero: never
}

// FollowedCategories are the categories a member hears about; none means
// every category.
func (s *Service) FollowedCategories(ctx context.Context, m *Member) ([]string, error) {
	if !m.Has(RoleMember) {
		return nil, ErrForbidden
	}
	return s.store.MemberCategories(ctx, m.ID)
}

// SetFollowedCategories chooses the categories a member hears about in
// emails of new posts (none: all).
func (s *Service) SetFollowedCategories(ctx context.Context, m *Member, names []string) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	var out []string
	for _, n := range names {
		c, ok := s.category(strings.TrimSpace(n))
		if !ok {
			return &FieldError{Field: "categories", Code: "err.choice"}
		}
		if !slices.Contains(out, c.Name) {
			out = append(out, c.Name)
		}
	}
	if err := s.store.SetMemberCategories(ctx, m.ID, out); err != nil {
		return fmt.Errorf("instance: categories of member %d: %w", m.ID, err)
	}
	return nil
}

// announceBatch is how many new posts one Announce pass takes.
const announceBatch = 20

// Announce writes the at-once emails of new posts to the members who
// chose "at once" for that kind of post in the post's group and category.
// It runs in a worker, never in the request that posts: posting a need
// costs the same with a thousand subscribers as with none. Each post's
// emails are queued in the transaction that records them, so a post is
// announced once, across crashes and restarts. Without email, posts are
// only marked (so turning email on later sends no backlog).
func (s *Service) Announce(ctx context.Context) (int, error) {
	sent, posts := 0, 0
	for ctx.Err() == nil {
		n, done, err := s.announceBatch(ctx)
		sent, posts = sent+n, posts+done
		if err != nil || done < announceBatch {
			if sent > 0 {
				s.log.Info("new posts emailed at once", "posts", posts, "emails", sent)
			}
			return sent, err
		}
	}
	return sent, ctx.Err()
}

// announceBatch announces up to announceBatch posts; it returns the
// emails queued and the posts it looked at.
func (s *Service) announceBatch(ctx context.Context) (int, int, error) {
	items, err := s.store.Unannounced(ctx, announceBatch)
	if err != nil {
		return 0, 0, fmt.Errorf("instance: new posts to announce: %w", err)
	}
	now, sent := s.now(), 0
	for _, it := range items {
		var mails []Mail
		kind := newsKind(it.Kind)
		spec, _ := knownKind(kind)
		current := (it.State == StateOpen || (it.State == StateScheduled && it.EndsAt.After(now))) &&
			it.HiddenReason == "" && !it.Deleted()
		if s.mailer != nil && kind != "" && current {
			members, err := s.store.Subscribers(ctx, it, kind, spec.Default)
			if err != nil {
				return sent, 0, fmt.Errorf("instance: subscribers of item %d: %w", it.ID, err)
			}
			for _, m := range members {
				mail, err := s.writeMail(ctx, m, kind, s.announcement(m, it))
				if err != nil {
					return sent, 0, err
				}
				if mail != nil {
					mails = append(mails, *mail)
				}
			}
		}
		ok, err := s.store.Announce(ctx, it.ID, mails, now)
		if err != nil {
			return sent, 0, fmt.Errorf("instance: announce item %d: %w", it.ID, err)
		}
		if ok {
			sent += len(mails)
		}
	}
	return sent, len(items), nil
}

// announcement is the email of one new post: what, where (the rough
// area, never the address) and a link.
func (s *Service) announcement(m *Member, it *Item) MailContent {
	lang := m.Language
	if lang == "" {
		lang = s.lang
	}
	return MailContent{
		Subject: Say(fmt.Sprintf("mail.new_%s_subject", it.Kind), it.Title),
		Before:  []MailText{Say("mail.hello", m.DisplayName), Say(fmt.Sprintf("mail.new_%s", it.Kind), it.Title), s.itemLine(lang, it)},
		Link:    it.Path(), LinkText: Say("mail.note_link"),
		After: []MailText{Say("mail.new_why")},
	}
}

// itemLine describes a post in one line for an email: its category and
// rough area, or an action's time and place.
func (s *Service) itemLine(lang string, it *Item) MailText {
	if it.Kind == KindAction {
		return Say("mail.item_action", it.Title, s.dayTime(lang, it.StartsAt), it.Place)
	}
	switch {
	case it.Category != "" && it.Area != "":
		return Say("mail.item_line", it.Title, it.Category, it.Area)
	case it.Category != "" || it.Area != "":
		return Say("mail.item_line_short", it.Title, it.Category+it.Area)
	}
	return Say("mail.item_title", it.Title)
}

// dayTime writes a moment in the instance's time zone, in the words of
// the interface ("Saturday 5 December 2026, 10:00 GMT").
func (s *Service) dayTime(lang string, t time.Time) string {
	t = t.In(s.loc)
	day := s.tr(lang, "date.day", s.tr(lang, fmt.Sprintf("date.weekday.%d", t.Weekday())), t.Day(),
		s.tr(lang, fmt.Sprintf("date.month.%d", t.Month())), t.Year())
	return s.tr(lang, "date.day_time", day, t.Format("15:04"), t.Format("MST"))
}

// digestProgress remembers, per frequency, the last scheduled time every
// due member was handled for, so the minutely sweep reads the members
// only once per digest. A restart forgets it, and the database says what
// was sent.
type digestProgress struct {
	mu   sync.Mutex
	done map[Frequency]time.Time
}

func (d *digestProgress) handled(f Frequency, at time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.done[f].Before(at)
}

func (d *digestProgress) finish(f Frequency, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done == nil {
		d.done = map[Frequency]time.Time{}
	}
	d.done[f] = at
}

// digestGrace lets posts made just before a digest's hour be committed
// before the digest is read.
const digestGrace = time.Minute

// digestTime is the latest scheduled time of a digest at or before now:
// today's digest hour (or yesterday's) for daily ones, the last digest
// weekday's for weekly ones, in the instance's time zone.
func (s *Service) digestTime(f Frequency, now time.Time) time.Time {
	t := now.Add(-digestGrace).In(s.loc)
	at := time.Date(t.Year(), t.Month(), t.Day(), s.digestHour, 0, 0, 0, s.loc)
	if at.After(t) {
		at = at.AddDate(0, 0, -1)
	}
	if f == FreqWeekly {
		for at.Weekday() != s.digestWeekday {
			at = at.AddDate(0, 0, -1)
		}
	}
	return at.UTC()
}

// DigestSchedule is when summaries go out: the local hour, and the day
// of the weekly one.
func (s *Service) DigestSchedule() (int, time.Weekday) { return s.digestHour, s.digestWeekday }

// digestLimit caps each section of a digest.
const digestLimit = 20

// Digests sends the daily and weekly summaries that are due: to each
// member who chose that frequency for some kind, what is new since their
// last one of that frequency (or over the last day or week, for a first
// one): unread notifications, and new needs, offers and actions in their
// groups and categories. Each is recorded in the transaction that queues
// it, so none is sent twice, and one missed while the instance was down
// goes out at the next sweep covering everything since the last.
func (s *Service) Digests(ctx context.Context) error {
	if s.mailer == nil {
		return nil
	}
	now := s.now()
	for _, f := range []Frequency{FreqDaily, FreqWeekly} {
		at := s.digestTime(f, now)
		if s.digests.handled(f, at) {
			continue
		}
		members, err := s.store.DigestMembers(ctx, f, at)
		if err != nil {
			return fmt.Errorf("instance: %s digests: %w", f, err)
		}
		sent := 0
		for _, dm := range members {
			ok, err := s.digest(ctx, &dm.Member, f, dm.LastSent, at)
			if err != nil {
				return fmt.Errorf("instance: %s digest of member %d: %w", f, dm.ID, err)
			}
			if ok {
				sent++
			}
		}
		s.digests.finish(f, at)
		if sent > 0 {
			s.log.Info("digests queued", "frequency", f, "for", at, "emails", sent)
		}
	}
	return nil
}

// digest writes one member's digest of f covering (last, upTo] and
// records it; it reports whether an email was queued.
func (s *Service) digest(ctx context.Context, m *Member, f Frequency, last, upTo time.Time) (bool, error) {
	choices, err := s.choices(ctx, m.ID)
	if err != nil {
		return false, err
	}
	var kinds []NoticeKind
	for _, k := range NoticeKinds {
		if choices[k.Kind] == f && k.For(m) {
			kinds = append(kinds, k.Kind)
		}
	}
	if len(kinds) == 0 {
		return false, nil // nothing of theirs comes this way: nothing to record
	}
	from := last
	if from.IsZero() {
		from = upTo.AddDate(0, 0, -1)
		if f == FreqWeekly {
			from = upTo.AddDate(0, 0, -7)
		}
		if m.CreatedAt.After(from) {
			from = m.CreatedAt
		}
	}
	lang := m.Language
	if lang == "" {
		lang = s.lang
	}
	c := MailContent{Subject: Say(fmt.Sprintf("mail.digest_%s_subject", f), s.site), Before: []MailText{Say("mail.hello", m.DisplayName),
		Say("mail.digest_intro")}}
	var noteKinds []NoteKind
	for _, spec := range NoteSpecs {
		if slices.Contains(kinds, spec.Notice) {
			noteKinds = append(noteKinds, spec.Kind)
		}
	}
	if len(noteKinds) > 0 {
		notes, err := s.store.DigestNotes(ctx, m.ID, noteKinds, from, upTo, digestLimit)
		if err != nil {
			return false, err
		}
		if len(notes) > 0 {
			sec := MailSection{Title: Say("mail.digest_notes", len(notes))}
			for _, n := range notes {
				sec.Items = append(sec.Items, MailLink{Text: Say("note."+string(n.Kind), n.Actor, n.ItemTitle), Link: n.Link()})
			}
			c.Sections = append(c.Sections, sec)
		}
	}
	for _, k := range NoticeKinds {
		if k.Items == "" || !slices.Contains(kinds, k.Kind) {
			continue
		}
		items, err := s.store.DigestItems(ctx, m.ID, k.Items, from, upTo, s.now(), digestLimit)
		if err != nil {
			return false, err
		}
		if len(items) == 0 {
			continue
		}
		sec := MailSection{Title: Say(fmt.Sprintf("mail.digest_%ss", k.Items), len(items))}
		for _, it := range items {
			sec.Items = append(sec.Items, MailLink{Text: s.itemLine(lang, it), Link: it.Path()})
		}
		c.Sections = append(c.Sections, sec)
	}
	var mails []Mail
	if len(c.Sections) > 0 {
		c.Link, c.LinkText = "/notifications", Say("mail.digest_link")
		c.After = []MailText{Say("mail.digest_why")}
		mail, err := s.writeMail(ctx, m, digestKind(f), c)
		if err != nil {
			return false, err
		}
		if mail != nil {
			mails = append(mails, *mail)
		}
	}
	ok, err := s.store.RecordDigest(ctx, m.ID, f, last, upTo, mails, s.now())
	return ok && len(mails) > 0, err
}
