package instance

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"hearth/instance/markup"
)

// What an activity from another server does here is one of the methods
// below. federation verifies and parses the activity (the signature, the
// object's origin, JSON-LD) and passes plain values; these methods apply
// the rules local input obeys: coordinators' and the operator's blocks,
// length caps, link and mention limits, hold words (a held reply or post
// waits in the moderation queue, as a local one does) and which items take
// replies. A rule that refuses returns a *Refusal saying why.
//
// Members' hourly posting limits do not apply to remote actors: another
// server's volume is limited at our inbox, per server, before anything is
// queued (moderation.inbound_per_host), where one remote account is not
// told apart from its server's others anyway. Nothing here writes the
// moderation log: a local author's own posts, edits and deletions do not
// either; only coordinators' decisions are logged.

// RemoteStore is the persistence of what other servers send.
type RemoteStore interface {
	// ActorBlocked and DomainBlocked report coordinators' blocks (a domain
	// block covers its subdomains).
	ActorBlocked(ctx context.Context, actor string) (bool, error)
	DomainBlocked(ctx context.Context, host string) (bool, error)
	// SaveRemoteResponse stores a reply from another server (the same Note
	// id again from its author updates it unless a newer version is kept;
	// held is then kept if set). n is written only with a new reply.
	SaveRemoteResponse(ctx context.Context, r *Response, n Notices) error
	RemoteResponseByAPID(ctx context.Context, apID string) (*Response, error)
	// UpdateRemoteResponse changes a remote reply's text, and its version
	// to updated, if actor wrote it; held holds it (it never releases one).
	UpdateRemoteResponse(ctx context.Context, apID, actor, html string, held bool, updated time.Time) (bool, error)
	DeleteRemoteResponse(ctx context.Context, apID, actor string, now time.Time) (bool, error)
	RemoteItemByAPID(ctx context.Context, apID string) (*RemoteItem, error)
	// SaveRemoteItem inserts or updates a neighbour's item (an update only
	// by its own actor, and never by an older version; held is then kept
	// if set). n is written only with a new item.
	SaveRemoteItem(ctx context.Context, it *RemoteItem, n Notices) error
	DeleteRemoteItem(ctx context.Context, apID, actor string, now time.Time) (bool, error)
	// DeleteRemoteActorContent removes a deleted actor's replies, items,
	// follows of our groups and cached actor, in one transaction.
	DeleteRemoteActorContent(ctx context.Context, actor string, now time.Time) error
	FollowingByActor(ctx context.Context, actorID string) ([]*Following, error)
	// SetFollowingState answers our pending (or accepted) follow with the
	// given Follow id, if actorID is the one we followed.
	SetFollowingState(ctx context.Context, followID, actorID string, state FollowingState) (bool, error)
	AddFollower(ctx context.Context, f *Follower) error
	// RemoveFollower removes actorID from a group's followers (groupID 0:
	// from every group); it reports how many went.
	RemoveFollower(ctx context.Context, groupID int64, actorID string) (int64, error)
	RemoveFollowerByFollowID(ctx context.Context, followID, actorID string) (int64, error)
	HeldRemoteItems(ctx context.Context) ([]*RemoteItem, error)
	// ReleaseRemoteItem lists a held neighbour's item; RemoveRemoteItem
	// takes one down here. Both write log in the same transaction.
	ReleaseRemoteItem(ctx context.Context, id int64, log *ModLog) error
	RemoveRemoteItem(ctx context.Context, id int64, now time.Time, log *ModLog) error
}

// RefusalReason says why remote content was not taken.
type RefusalReason string

// Why remote content is refused.
const (
	// RefusedBlocked: the actor, or its server, is blocked.
	RefusedBlocked RefusalReason = "blocked"
	// RefusedTooLong: the text is longer than a local one may be.
	RefusedTooLong RefusalReason = "too_long"
	// RefusedEmpty: no text (a local reply must have some too).
	RefusedEmpty RefusalReason = "empty"
	// RefusedTooManyLinks and RefusedTooManyMentions: spam, not an answer.
	RefusedTooManyLinks    RefusalReason = "too_many_links"
	RefusedTooManyMentions RefusalReason = "too_many_mentions"
	// RefusedNoReplies: the item does not take replies from other servers
	// (deleted, village-only, held or hidden).
	RefusedNoReplies RefusalReason = "no_replies"
	// RefusedNotFound: the item, group or member named is not here.
	RefusedNotFound RefusalReason = "not_found"
	// RefusedNotFollowed: a post from a group none of ours follows.
	RefusedNotFollowed RefusalReason = "not_followed"
)

// Refusal is what the Receive methods return when remote content breaks
// a rule. It is final: trying the same activity again cannot help.
type Refusal struct {
	Reason RefusalReason
	Detail string // for the operator's log, never sent back
}

func (r *Refusal) Error() string {
	if r.Detail == "" {
		return "remote content refused: " + string(r.Reason)
	}
	return "remote content refused: " + string(r.Reason) + " (" + r.Detail + ")"
}

// Is makes errors.Is(err, ErrForbidden) true for every refusal.
func (r *Refusal) Is(target error) bool { return target == ErrForbidden }

func refuse(reason RefusalReason, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Link and mention limits on a reply, local or remote: more than this and
// it is spam, not a neighbour's answer (security-catalogue G1).
const (
	MaxLinks    = 5
	MaxMentions = 5
)

// RemoteNote is a Note (or Article, Page…) from another server, as
// federation read it. Its origin was checked: it is on its author's
// server and attributed to the activity's verified actor.
type RemoteNote struct {
	ID        string
	Author    *RemoteActor
	HTML      string // the content as received; sanitised here
	Mentions  int    // Mention tags
	URL       string // its page, when on its author's server
	Published time.Time
	// Updated is the object's `updated` (zero without one): an edit is
	// applied only if it is newer than the version kept.
	Updated time.Time
	// Hearth's extension fields, on a neighbour group's item.
	Kind                         Kind
	Category, Area, State, Place string
	StartsAt, EndsAt             time.Time
	// Description is a Hearth item's description alone (HTML, as
	// received); HasDescription says the Note had the field at all (an
	// older Hearth sends only the content).
	Description    string
	HasDescription bool
	// Overflow: the Note offers a need of a neighbouring village to us
	// (Hearth's overflow extension; see FEDERATION.md).
	Overflow bool
}

// DisplayName is how a remote actor is named on our pages.
func (a *RemoteActor) DisplayName() string {
	if strings.TrimSpace(a.Name) != "" {
		return a.Name
	}
	if a.Username != "" {
		return a.Username
	}
	return a.Host
}

// checkRemoteActor refuses a blocked actor or an actor on a blocked
// server (or a subdomain of one): the operator's list or a coordinator's.
func (s *Service) checkRemoteActor(ctx context.Context, actor string) error {
	u, err := url.Parse(actor)
	if err != nil || u.Hostname() == "" {
		return refuse(RefusedBlocked, "actor %q has no host", actor)
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range s.blockedDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return refuse(RefusedBlocked, "server %s is blocked by the operator", host)
		}
	}
	if blocked, err := s.store.DomainBlocked(ctx, host); err != nil {
		return fmt.Errorf("instance: domain block of %s: %w", host, err)
	} else if blocked {
		return refuse(RefusedBlocked, "server %s is blocked", host)
	}
	if blocked, err := s.store.ActorBlocked(ctx, actor); err != nil {
		return fmt.Errorf("instance: actor block of %s: %w", actor, err)
	} else if blocked {
		return refuse(RefusedBlocked, "actor %s is blocked", actor)
	}
	return nil
}

// remoteText sanitises a Note's content and checks it as a local reply's
// body is checked: not empty, at most max characters of text, and (when
// limit is set) at most MaxLinks links and MaxMentions mentions.
func remoteText(n *RemoteNote, max int, limit bool) (html, text string, err error) {
	html = markup.Remote(n.HTML)
	text = markup.TextOf(html)
	switch count := utf8.RuneCountInString(text); {
	case count == 0:
		return "", "", refuse(RefusedEmpty, "no text")
	case count > max:
		return "", "", refuse(RefusedTooLong, "%d characters, at most %d", count, max)
	}
	if limit {
		if links := strings.Count(strings.ToLower(html), "<a "); links > MaxLinks {
			return "", "", refuse(RefusedTooManyLinks, "%d links, at most %d", links, MaxLinks)
		}
		if n.Mentions > MaxMentions {
			return "", "", refuse(RefusedTooManyMentions, "%d mentions, at most %d", n.Mentions, MaxMentions)
		}
	}
	return html, text, nil
}

// ReceiveReply takes a reply from another server to one of our items,
// held for a coordinator when it contains a hold word.
func (s *Service) ReceiveReply(ctx context.Context, itemID int64, n *RemoteNote) error {
	if err := s.checkRemoteActor(ctx, n.Author.ID); err != nil {
		return err
	}
	it, err := s.store.ItemByID(ctx, itemID)
	if err != nil {
		if isNotFound(err) {
			return refuse(RefusedNotFound, "item %d", itemID)
		}
		return fmt.Errorf("instance: reply %s to item %d: %w", n.ID, itemID, err)
	}
	if !it.Federates() { // the other server cannot see it, so cannot answer it
		// … unless the need was offered to a neighbouring village there.
		offered, err := s.store.OverflowSentTo(ctx, it.ID, hostOfActor(n.Author.ID))
		if err != nil {
			return fmt.Errorf("instance: reply %s to item %d: %w", n.ID, itemID, err)
		}
		if !offered || !it.Overflows() {
			return refuse(RefusedNoReplies, "item %d", itemID)
		}
	}
	if it.Kind == KindPoll { // a poll's page has votes, not a thread
		return refuse(RefusedNoReplies, "poll %d takes votes, not replies", itemID)
	}
	html, text, err := remoteText(n, MaxResponse, true)
	if err != nil {
		return err
	}
	published, version := s.createTimes(n)
	r := &Response{ItemID: it.ID, RemoteActor: n.Author.ID, Author: n.Author.DisplayName(), AuthorHandle: n.Author.Handle(),
		APID: n.ID, ContentHTML: html, CreatedAt: published, UpdatedAt: version, Held: s.holdFor(text)}
	told, err := s.replyNotices(ctx, it, r, nil)
	if err != nil {
		return fmt.Errorf("instance: reply %s to item %d: %w", n.ID, itemID, err)
	}
	if err := s.store.SaveRemoteResponse(ctx, r, told); err != nil {
		return fmt.Errorf("instance: reply %s to item %d: %w", n.ID, itemID, err)
	}
	s.log.Info("remote reply kept", "item", itemID, "object", n.ID, "actor", n.Author.ID, "held", r.Held)
	return nil
}

// ReceiveReplyEdit applies an edit to a remote reply by its author. It
// reports false when no reply of theirs has that id. An edit that breaks
// a rule is refused and the reply keeps its text; one with a hold word
// holds the reply.
func (s *Service) ReceiveReplyEdit(ctx context.Context, n *RemoteNote) (bool, error) {
	existing, err := s.store.RemoteResponseByAPID(ctx, n.ID)
	if isNotFound(err) || (err == nil && (existing.RemoteActor != n.Author.ID || existing.Deleted || existing.Removed)) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("instance: reply %s: %w", n.ID, err)
	}
	if err := s.checkRemoteActor(ctx, n.Author.ID); err != nil {
		return false, err
	}
	version := s.editVersion(n)
	if !version.After(existing.UpdatedAt) {
		s.log.Info("remote edit ignored: not newer than the version kept", "object", n.ID, "actor", n.Author.ID,
			"updated", version, "kept", existing.UpdatedAt)
		return true, nil
	}
	html, text, err := remoteText(n, MaxResponse, true)
	if err != nil {
		return false, err
	}
	held := s.holdFor(text)
	ok, err := s.store.UpdateRemoteResponse(ctx, n.ID, n.Author.ID, html, held, version)
	if err != nil {
		return false, fmt.Errorf("instance: edit of reply %s: %w", n.ID, err)
	}
	if ok {
		s.log.Info("remote reply edited", "object", n.ID, "actor", n.Author.ID, "updated", version, "held", held)
	}
	return ok, nil
}

// createTimes are a new remote object's times: when it was published
// (its `published`, or now without one, never later than now) and the
// version kept, which is its `updated` if it was edited before it reached
// us, its publication otherwise. A reply or post is shown as edited only
// when the two differ.
func (s *Service) createTimes(n *RemoteNote) (published, version time.Time) {
	now := s.now()
	published = n.Published
	if published.IsZero() || published.After(now) {
		published = now
	}
	version = published
	if n.Updated.After(published) && !n.Updated.After(now) {
		version = n.Updated
	}
	return published, version
}

// editVersion is the time an edit was made: its object's `updated`, or,
// without one, now; never later than now (a server whose clock is ahead
// must not make its next edits look older than this one).
func (s *Service) editVersion(n *RemoteNote) time.Time {
	now := s.now()
	if n.Updated.IsZero() || n.Updated.After(now) {
		return now
	}
	return n.Updated
}

// maxNeighbourText caps the text of a neighbour's item: what a Note of a
// local item at its own caps can carry (the kind, category and area line,
// the title, the description, dates and place, a link).
const maxNeighbourText = MaxTitle + MaxDescription + MaxArea + MaxPlace + 500

// ReceiveNeighbourPost keeps a post from a group one of ours follows
// (a need, offer or action rebuilt from Hearth's fields, or a plain post
// as text); held for a coordinator when it contains a hold word.
func (s *Service) ReceiveNeighbourPost(ctx context.Context, n *RemoteNote) error {
	if err := s.checkRemoteActor(ctx, n.Author.ID); err != nil {
		return err
	}
	follows, err := s.store.FollowingByActor(ctx, n.Author.ID)
	if err != nil {
		return fmt.Errorf("instance: follows of %s: %w", n.Author.ID, err)
	}
	followed := false
	for _, fo := range follows {
		followed = followed || fo.State == FollowingAccepted || fo.State == FollowingPending
	}
	if !followed {
		return refuse(RefusedNotFollowed, "%s", n.Author.ID)
	}
	_, version := s.createTimes(n)
	return s.saveNeighbourPost(ctx, n, version, "neighbour's post kept")
}

// ReceiveNeighbourEdit applies an edit to a neighbour's item by its
// author; it reports false when no item of theirs has that id.
func (s *Service) ReceiveNeighbourEdit(ctx context.Context, n *RemoteNote) (bool, error) {
	existing, err := s.store.RemoteItemByAPID(ctx, n.ID)
	if isNotFound(err) || (err == nil && existing.Actor != n.Author.ID) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("instance: neighbour item %s: %w", n.ID, err)
	}
	if err := s.checkRemoteActor(ctx, n.Author.ID); err != nil {
		return false, err
	}
	if version := s.editVersion(n); !version.After(existing.Updated) {
		s.log.Info("remote edit ignored: not newer than the version kept", "object", n.ID, "actor", n.Author.ID,
			"updated", version, "kept", existing.Updated)
		return true, nil
	}
	return true, s.saveNeighbourPost(ctx, n, s.editVersion(n), "neighbour's post edited")
}

// saveNeighbourPost keeps a neighbour's post as the version given, and
// logs what was done (done).
func (s *Service) saveNeighbourPost(ctx context.Context, n *RemoteNote, version time.Time, done string) error {
	html, text, err := remoteText(n, maxNeighbourText, false)
	if err != nil {
		return err
	}
	published, _ := s.createTimes(n)
	it := &RemoteItem{APID: n.ID, Actor: n.Author.ID, ActorName: n.Author.DisplayName(), ContentHTML: html, URL: n.URL,
		Published: published, Updated: version, StartsAt: n.StartsAt, EndsAt: n.EndsAt}
	if it.URL == "" {
		it.URL = n.ID
	}
	switch n.Kind {
	case KindNeed, KindOffer, KindAction:
		it.Kind = n.Kind
	}
	it.Overflow = n.Overflow && it.Kind == KindNeed
	it.Category = clipText(n.Category, 60)
	it.Area = clipText(n.Area, MaxArea)
	it.State = clipText(n.State, 20)
	it.Place = clipText(n.Place, MaxPlace)
	it.Title = clipText(titleFrom(html), MaxTitle)
	if it.Kind != "" {
		it.ContentHTML = neighbourBody(n, html)
	}
	it.Held = s.holdFor(text, it.Category, it.Area, it.Place)
	var told Notices
	switch {
	case it.Held:
		if told, err = s.tellCoordinators(ctx, event{kind: NotePostHeld, remote: it.ActorName}); err != nil {
			return fmt.Errorf("instance: neighbour item %s: %w", it.APID, err)
		}
	case it.Overflow:
		if told, err = s.tellCoordinators(ctx, event{kind: NoteNearbyNeed, remote: it.ActorName}); err != nil {
			return fmt.Errorf("instance: neighbour item %s: %w", it.APID, err)
		}
	}
	if err := s.store.SaveRemoteItem(ctx, it, told); err != nil {
		return fmt.Errorf("instance: neighbour item %s: %w", n.ID, err)
	}
	s.log.Info(done, "object", n.ID, "actor", n.Author.ID, "updated", version, "held", it.Held)
	return nil
}

// clipText keeps at most max characters of one line of remote text,
// without control characters.
func clipText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || bidiControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > max {
		return string(r[:max])
	}
	return s
}

// titleFrom picks a title out of a Hearth Note's content: its second
// paragraph (the first is "Need · category · area"), or the first line of
// any other post, as text.
func titleFrom(html string) string {
	paras := strings.Split(html, "</p>")
	pick := paras[0]
	if len(paras) > 2 && strings.Contains(paras[0], "<strong>") {
		pick = paras[1]
	}
	text := markup.TextOf(pick)
	if line, _, ok := strings.Cut(text, "\n"); ok {
		return line
	}
	return text
}

// neighbourBody is what a neighbour's Hearth item shows under its title
// and facts: its description alone, or, from an older Hearth that sends
// only the content, the content without its first two paragraphs (the
// kind line and the title, which the page shows apart). So nothing is
// shown twice.
func neighbourBody(n *RemoteNote, html string) string {
	if n.HasDescription {
		return markup.Remote(n.Description)
	}
	paras := strings.SplitAfter(html, "</p>")
	if len(paras) > 2 && strings.Contains(paras[0], "<strong>") {
		return strings.Join(paras[2:], "")
	}
	return html
}

// ReceiveDelete removes a remote reply or neighbour's item, only its
// author's. A blocked actor may still delete what it wrote.
func (s *Service) ReceiveDelete(ctx context.Context, actor, objectID string) error {
	now := s.now()
	reply, err := s.store.DeleteRemoteResponse(ctx, objectID, actor, now)
	if err != nil {
		return fmt.Errorf("instance: delete of reply %s by %s: %w", objectID, actor, err)
	}
	item, err := s.store.DeleteRemoteItem(ctx, objectID, actor, now)
	if err != nil {
		return fmt.Errorf("instance: delete of neighbour item %s by %s: %w", objectID, actor, err)
	}
	switch {
	case reply:
		s.log.Info("remote reply deleted", "object", objectID, "actor", actor)
	case item:
		s.log.Info("neighbour's post deleted", "object", objectID, "actor", actor)
	default:
		// Servers send Deletes of everything to everyone they know.
		s.log.Debug("remote delete of nothing we have", "object", objectID, "actor", actor)
	}
	return nil
}

// RemoteActorDeleted removes everything a deleted remote account left:
// its replies, its group's items and its follows of our groups.
func (s *Service) RemoteActorDeleted(ctx context.Context, actor string) error {
	if err := s.store.DeleteRemoteActorContent(ctx, actor, s.now()); err != nil {
		return fmt.Errorf("instance: content of deleted actor %s: %w", actor, err)
	}
	s.log.Info("remote actor deleted", "actor", actor)
	return nil
}

// RemoteFlag is a report from another server, with the local things it
// names (federation maps their IRIs).
type RemoteFlag struct {
	Reporter     string // the sending actor (often its server's)
	Details      string
	ItemID       int64  // 0 when it names no item of ours
	MemberHandle string // "" when it names no member of ours
}

// ReceiveFlag files another server's report in the same queue as local
// ones. Its comment is cut to the local limit rather than refused: the
// other server cannot be asked to shorten it.
func (s *Service) ReceiveFlag(ctx context.Context, in RemoteFlag) (*Report, error) {
	if err := s.checkRemoteActor(ctx, in.Reporter); err != nil {
		return nil, err
	}
	r := &Report{RemoteReporter: in.Reporter, Category: "other", Status: "open", CreatedAt: s.now(),
		Details: clipMultiline(in.Details, MaxReportDetails)}
	if in.ItemID != 0 {
		if _, err := s.store.ItemByID(ctx, in.ItemID); err == nil {
			r.Subject, r.ItemID = "item", in.ItemID
		} else if !isNotFound(err) {
			return nil, fmt.Errorf("instance: flag of item %d: %w", in.ItemID, err)
		}
	}
	if in.MemberHandle != "" {
		if m, err := s.store.MemberByHandle(ctx, in.MemberHandle); err == nil {
			r.MemberID = m.ID
			if r.Subject == "" {
				r.Subject = "member"
			}
		} else if !isNotFound(err) {
			return nil, fmt.Errorf("instance: flag of member %s: %w", in.MemberHandle, err)
		}
	}
	if r.Subject == "" {
		return nil, refuse(RefusedNotFound, "the report names nothing of ours")
	}
	n, err := s.reportNotices(ctx, 0)
	if err != nil {
		return nil, err
	}
	id, err := s.store.AddReport(ctx, r, n)
	if err != nil {
		return nil, fmt.Errorf("instance: report from %s: %w", in.Reporter, err)
	}
	r.ID = id
	s.log.Info("remote report received", "report", id, "from", in.Reporter, "subject", r.Subject)
	return r, nil
}

// clipMultiline keeps at most max characters of remote text, keeping line
// breaks and tabs but no other control characters.
func clipMultiline(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(strings.ReplaceAll(s, "\r\n", "\n"), ""))
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > max {
		return string(r[:max])
	}
	return s
}

// AddRemoteFollower records an actor on another server following one of
// our groups (again: a repeated Follow refreshes the row) and returns the
// group, to answer with an Accept.
func (s *Service) AddRemoteFollower(ctx context.Context, groupHandle string, f *Follower) (*Group, error) {
	if err := s.checkRemoteActor(ctx, f.ActorID); err != nil {
		return nil, err
	}
	g, err := s.store.GroupByHandle(ctx, groupHandle)
	if isNotFound(err) {
		return nil, refuse(RefusedNotFound, "group %s", groupHandle)
	}
	if err != nil {
		return nil, fmt.Errorf("instance: follow of %s: %w", groupHandle, err)
	}
	f.GroupID = g.ID
	if f.CreatedAt.IsZero() {
		f.CreatedAt = s.now()
	}
	if err := s.store.AddFollower(ctx, f); err != nil {
		return nil, fmt.Errorf("instance: follower %s of %s: %w", f.ActorID, groupHandle, err)
	}
	s.log.Info("follower accepted", "group", g.Handle, "actor", f.ActorID)
	return g, nil
}

// RemoveRemoteFollower stops actor following one of our groups (an
// Undo{Follow} or a Block from them). Unknown groups are ignored.
func (s *Service) RemoveRemoteFollower(ctx context.Context, groupHandle, actor string) error {
	g, err := s.store.GroupByHandle(ctx, groupHandle)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("instance: unfollow of %s: %w", groupHandle, err)
	}
	n, err := s.store.RemoveFollower(ctx, g.ID, actor)
	if err != nil {
		return fmt.Errorf("instance: remove follower %s of %s: %w", actor, groupHandle, err)
	}
	if n > 0 {
		s.log.Info("follower removed", "group", g.Handle, "actor", actor)
	}
	return nil
}

// RemoveRemoteFollowerByFollowID undoes the follow that the Follow
// activity followID created, if actor sent it.
func (s *Service) RemoveRemoteFollowerByFollowID(ctx context.Context, followID, actor string) error {
	n, err := s.store.RemoveFollowerByFollowID(ctx, followID, actor)
	if err != nil {
		return fmt.Errorf("instance: undo of follow %s by %s: %w", followID, actor, err)
	}
	if n > 0 {
		s.log.Info("follower removed", "follow", followID, "actor", actor)
	}
	return nil
}

// FollowAccepted records that the remote actor accepted one of our
// groups' follows; FollowRejected that it refused (or ended) it.
func (s *Service) FollowAccepted(ctx context.Context, followID, actor string) error {
	return s.answerFollow(ctx, followID, actor, FollowingAccepted)
}

// FollowRejected: see FollowAccepted.
func (s *Service) FollowRejected(ctx context.Context, followID, actor string) error {
	return s.answerFollow(ctx, followID, actor, FollowingRejected)
}

func (s *Service) answerFollow(ctx context.Context, followID, actor string, state FollowingState) error {
	if err := s.checkRemoteActor(ctx, actor); err != nil {
		return err
	}
	ok, err := s.store.SetFollowingState(ctx, followID, actor, state)
	if err != nil {
		return fmt.Errorf("instance: follow %s %s by %s: %w", followID, state, actor, err)
	}
	if ok {
		s.log.Info("follow answered", "follow", followID, "actor", actor, "state", state)
	}
	return nil
}
