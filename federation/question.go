package federation

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"hearth/instance"
	"hearth/instance/markup"
)

// Polls federate as ActivityStreams Questions, in the shape Mastodon
// sends and reads (app/serializers/activitypub/note_serializer.rb): the
// question as content, each option a Note whose `name` is its text and
// whose replies.totalItems is its count, oneOf for one choice and anyOf
// for several, endTime, `closed` once it has closed, and Mastodon's
// votersCount. Mastodon and GoToSocial users vote from their apps by
// sending Create{Note} with `name` = the option and `inReplyTo` = the
// question (onCreate hands it to instance.Service.ReceivePollVote), and
// their servers refresh the counts from Update{Question}, which Hearth
// sends at most once a minute per poll and once at closing (the store
// coalesces the events; see instance.PollUpdateEvery).
//
// A poll whose results wait for its closing sends every count as 0 until
// then, as Mastodon does for hidden totals.

// questionContext is objectContext with Mastodon's votersCount.
var questionContext = func() []any {
	terms := map[string]any{"toot": "http://joinmastodon.org/ns#", "votersCount": "toot:votersCount"}
	for k, v := range objectContext[1].(map[string]any) {
		terms[k] = v
	}
	return []any{objectContext[0], terms}
}()

// contextFor is the @context of a document about object: a Question's
// has votersCount.
func contextFor(object vocab.Type) []any {
	if _, ok := object.(vocab.ActivityStreamsQuestion); ok {
		return questionContext
	}
	return objectContext
}

// revisable is what revise sets on an item's object (a Note or a
// Question).
type revisable interface {
	vocab.Type
	SetJSONLDId(vocab.JSONLDIdProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	SetActivityStreamsUpdated(vocab.ActivityStreamsUpdatedProperty)
}

// itemObject builds what an item federates as: a Note, or a Question for
// a poll.
func (f *Federation) itemObject(ctx context.Context, it *instance.Item, g *instance.Group) (revisable, map[string]any, error) {
	if it.Kind != instance.KindPoll {
		note, extra := f.itemNote(it, g)
		return note, extra, nil
	}
	p, err := f.store.PollByItem(ctx, it.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("poll %d: %w", it.ID, err)
	}
	q, extra := f.pollQuestion(it, g, p)
	return q, extra, nil
}

// pollQuestion builds a poll's Question. Like itemNote it carries only
// what may leave the instance: the question, its options and counts.
func (f *Federation) pollQuestion(it *instance.Item, g *instance.Group, p *instance.Poll) (vocab.ActivityStreamsQuestion, map[string]any) {
	q := streams.NewActivityStreamsQuestion()
	iri := f.uris.item(it)
	setID(q, iri)
	attr := streams.NewActivityStreamsAttributedToProperty()
	attr.AppendIRI(mustIRI(f.uris.groupActor(g.Handle)))
	q.SetActivityStreamsAttributedTo(attr)
	to, cc := f.addressing(it, g)
	setTo(q, to...)
	setCc(q, cc...)
	setPublished(q, it.CreatedAt)
	setURL(q, iri)
	lang := f.language(it.AuthorLanguage)
	text := f.pollContent(it, lang)
	content := streams.NewActivityStreamsContentProperty()
	content.AppendXMLSchemaString(text)
	q.SetActivityStreamsContent(content)

	now := f.now()
	public := p.CountsPublic(now)
	voters := 0
	if public {
		voters = p.Voters
	}
	options := make([]vocab.ActivityStreamsNote, 0, len(p.Options))
	for _, o := range p.Options {
		n := streams.NewActivityStreamsNote()
		setName(n, o.Name)
		replies := streams.NewActivityStreamsCollection()
		total := streams.NewActivityStreamsTotalItemsProperty()
		count := 0
		if public {
			count = o.Votes
		}
		total.Set(count)
		replies.SetActivityStreamsTotalItems(total)
		rp := streams.NewActivityStreamsRepliesProperty()
		rp.SetActivityStreamsCollection(replies)
		n.SetActivityStreamsReplies(rp)
		options = append(options, n)
	}
	if p.Multiple {
		any := streams.NewActivityStreamsAnyOfProperty()
		for _, n := range options {
			any.AppendActivityStreamsNote(n)
		}
		q.SetActivityStreamsAnyOf(any)
	} else {
		one := streams.NewActivityStreamsOneOfProperty()
		for _, n := range options {
			one.AppendActivityStreamsNote(n)
		}
		q.SetActivityStreamsOneOf(one)
	}
	end := streams.NewActivityStreamsEndTimeProperty()
	end.Set(p.ClosesAt.UTC().Truncate(time.Second))
	q.SetActivityStreamsEndTime(end)
	if p.Closed(now) {
		closed := p.ClosedAt
		if closed.IsZero() || closed.After(p.ClosesAt) {
			closed = p.ClosesAt // it closed at its time, whenever the sweep noticed
		}
		c := streams.NewActivityStreamsClosedProperty()
		c.AppendXMLSchemaDateTime(closed.UTC().Truncate(time.Second))
		q.SetActivityStreamsClosed(c)
	}
	extra := map[string]any{
		"kind":        string(it.Kind),
		"audience":    f.uris.groupActor(g.Handle),
		"votersCount": voters,
	}
	f.readable(it, lang, text, extra)
	return q, extra
}

// pollContent is the readable HTML of a poll: what it is, the question,
// its description, and a link to its page (where members vote and the
// bar chart is).
func (f *Federation) pollContent(it *instance.Item, lang string) string {
	var b strings.Builder
	b.WriteString("<p><strong>" + html.EscapeString(f.tr(lang, "kind.poll")) + "</strong></p>")
	b.WriteString("<p>" + html.EscapeString(it.Title) + "</p>")
	b.WriteString(string(markup.Markdown(it.Description)))
	link := html.EscapeString(f.uris.item(it))
	b.WriteString(`<p><a href="` + link + `">` + link + `</a></p>`)
	return b.String()
}
