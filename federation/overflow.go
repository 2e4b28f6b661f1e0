package federation

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"hearth/instance"
	"hearth/instance/markup"
)

// A need offered to neighbouring villages (instance/overflow.go) leaves as
// a Create of a Note from the need's group, addressed only to the trusted
// neighbour groups (to, with a Mention of each: Mastodon and GoToSocial
// show it to the account as a direct mention, readable), carrying
// Hearth's item fields and "hearth:overflow": true, which another Hearth reads
// as "a need nobody there could meet" and lists for its coordinators.
// Its id is the need's IRI with /nearby, never the need's own (a need
// made public later is published under its own id). When the need is
// claimed, closed, done, deleted or the requester says no, a Delete of
// that id goes to the same neighbours. The Note is built from the fields
// a public copy of the need carries and nothing else: never the address,
// the contact or the on-behalf name and phone (TestOverflowNoteHasNoPrivateDetails).

// overflowTerm marks the Note as an offer to neighbours: a compact IRI
// under the "hearth" prefix every Note's @context defines
// (tag:hearth.coop,2026:ns#overflow), so no other document changes.
const overflowTerm = "hearth:overflow"

// overflowObject is the IRI of a need's offer to its neighbours.
func (u uris) overflowObject(it *instance.Item) string { return u.item(it) + "/nearby" }

// localOverflowItemID returns the need an offer's IRI names.
func (u uris) localOverflowItemID(iri string) (int64, bool) {
	rest, ok := strings.CutSuffix(iri, "/nearby")
	if !ok || strings.Contains(rest, "?") {
		return 0, false
	}
	id, ok := u.localItemID(rest)
	return id, ok
}

// publishOverflow sends a need's queued offers while it overflows, and
// withdraws the sent ones (Delete) once it does not.
func (f *Federation) publishOverflow(ctx context.Context, id int64) (*instance.Publication, error) {
	it, err := f.store.ItemByID(ctx, id)
	if errors.Is(err, instance.ErrNotFound) {
		return &instance.Publication{}, nil
	}
	if err != nil {
		return nil, err
	}
	list, err := f.store.ItemOverflows(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("offers of need %d: %w", id, err)
	}
	live := it.Overflows()
	p := &instance.Publication{}
	var targets []*instance.Overflow
	for _, o := range list {
		switch {
		case live && o.State == instance.OverflowQueued:
			targets = append(targets, o)
			p.Overflows = append(p.Overflows, instance.OverflowChange{ID: o.ID, From: o.State, To: instance.OverflowSent})
		case !live && o.State == instance.OverflowSent:
			targets = append(targets, o)
			p.Overflows = append(p.Overflows, instance.OverflowChange{ID: o.ID, From: o.State, To: instance.OverflowWithdrawn})
		case !live && o.State == instance.OverflowQueued: // never left: nothing to take back
			p.Overflows = append(p.Overflows, instance.OverflowChange{ID: o.ID, From: o.State, To: instance.OverflowWithdrawn})
		}
	}
	if len(targets) == 0 {
		return p, nil
	}
	g, err := f.store.GroupByID(ctx, it.GroupID)
	if err != nil {
		return nil, fmt.Errorf("group %d: %w", it.GroupID, err)
	}
	var to, inboxes []string
	var mentions []mention
	for _, o := range targets {
		ra, err := f.actor(ctx, o.ActorID, false)
		if err != nil {
			return nil, fmt.Errorf("neighbour %s: %w", o.ActorID, err)
		}
		inbox := ra.Inbox
		if ra.SharedInbox != "" {
			inbox = ra.SharedInbox
		}
		to, inboxes = append(to, o.ActorID), append(inboxes, inbox)
		mentions = append(mentions, f.remoteMention(ctx, o.ActorID))
	}
	groupIRI, signer := f.uris.groupActor(g.Handle), instance.GroupSigner(g.Handle)
	var built *instance.Publication
	if live {
		note, extra := f.overflowNote(it, g, to, mentions)
		built, err = f.activityFor("Create", groupIRI, signer, note, extra, to, nil, inboxes, false)
	} else {
		built, err = f.activityFor("Delete", groupIRI, signer, tombstone(f.uris.overflowObject(it), f.now()), nil, to, nil, inboxes, false)
	}
	if err != nil {
		return nil, err
	}
	built.Overflows = p.Overflows
	return built, nil
}

// overflowNote is the Note offering a need to neighbours: what a public
// copy of it shows (kind, category, area, title, description, needed by,
// "on behalf of a neighbour"), the ask, and a Mention of each neighbour.
func (f *Federation) overflowNote(it *instance.Item, g *instance.Group, to []string, mentions []mention) (vocab.ActivityStreamsNote, map[string]any) {
	lang := f.language(it.AuthorLanguage)
	iri := f.uris.overflowObject(it)
	note := streams.NewActivityStreamsNote()
	setID(note, iri)
	attr := streams.NewActivityStreamsAttributedToProperty()
	attr.AppendIRI(mustIRI(f.uris.groupActor(g.Handle)))
	note.SetActivityStreamsAttributedTo(attr)
	setTo(note, to...)
	setPublished(note, f.now().UTC())
	setURL(note, iri)

	// The kind line and the title come first, as in every Hearth item's
	// Note (another Hearth takes the title from the second paragraph),
	// then the ask with the neighbours' mentions.
	var b strings.Builder
	head := []string{"<strong>" + html.EscapeString(f.tr(lang, "kind.need")) + "</strong>"}
	if it.Category != "" {
		head = append(head, html.EscapeString(it.Category))
	}
	if it.Area != "" {
		head = append(head, html.EscapeString(it.Area))
	}
	b.WriteString("<p>" + strings.Join(head, " · ") + "</p>")
	b.WriteString("<p>" + html.EscapeString(it.Title) + "</p>")
	cards := make([]string, len(mentions))
	for i, m := range mentions {
		cards[i] = m.hcard()
	}
	b.WriteString("<p>" + strings.Join(cards, " ") + " " + html.EscapeString(f.tr(lang, "fed.overflow_ask", g.Name)) + "</p>")
	b.WriteString(string(markup.Markdown(it.Description)))
	if !it.NeededBy.IsZero() {
		b.WriteString("<p>" + html.EscapeString(f.tr(lang, "fed.needed_by", f.date(lang, it.NeededBy.In(f.svc.Location())))) + "</p>")
	}
	if it.OnBehalf() {
		b.WriteString("<p>" + html.EscapeString(f.tr(lang, "fed.on_behalf")) + "</p>")
	}
	b.WriteString("<p>" + html.EscapeString(f.tr(lang, "fed.overflow_reply")) + "</p>")
	text := b.String()
	content := streams.NewActivityStreamsContentProperty()
	content.AppendXMLSchemaString(text)
	note.SetActivityStreamsContent(content)

	tags := streams.NewActivityStreamsTagProperty()
	for _, m := range mentions {
		mt := streams.NewActivityStreamsMention()
		href := streams.NewActivityStreamsHrefProperty()
		href.Set(mustIRI(m.href))
		mt.SetActivityStreamsHref(href)
		name := streams.NewActivityStreamsNameProperty()
		name.AppendXMLSchemaString(m.name)
		mt.SetActivityStreamsName(name)
		tags.AppendActivityStreamsMention(mt)
	}
	note.SetActivityStreamsTag(tags)

	extra := map[string]any{"kind": string(instance.KindNeed), "state": string(it.State), "purpose": "request",
		overflowTerm: true, "audience": f.uris.groupActor(g.Handle)}
	f.readable(it, lang, text, extra)
	if it.Category != "" {
		extra["category"] = it.Category
	}
	if it.Area != "" {
		extra["area"] = it.Area
	}
	if !it.NeededBy.IsZero() {
		extra["neededBy"] = it.NeededBy.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return note, extra
}
