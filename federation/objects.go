package federation

import (
	"context"
	"html"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"hearth/instance"
	"hearth/instance/markup"
)

// actorKind is the AS type of a local actor.
type actorKind string

const (
	kindGroup       actorKind = "Group"
	kindPerson      actorKind = "Person"
	kindApplication actorKind = "Application"
)

type actorInfo struct {
	kind      actorKind
	keyName   instance.Signer
	iri       string
	username  string
	name      string
	summary   string // HTML
	published time.Time
	// A group's profile: its images and fields (profile.go).
	icon, image *instance.GroupImage
	fields      []instance.ProfileField
}

// actorDocument builds a Group, Person or Application actor: id equal to
// its URL, inbox, outbox, followers, following, endpoints.sharedInbox and
// its RSA public key (Mastodon's #main-key form).
func (f *Federation) actorDocument(ctx context.Context, a actorInfo) (map[string]any, error) {
	key, err := f.keys.get(ctx, a.keyName)
	if err != nil {
		return nil, err
	}
	var t interface {
		vocab.Type
		SetJSONLDId(vocab.JSONLDIdProperty)
		SetActivityStreamsPreferredUsername(vocab.ActivityStreamsPreferredUsernameProperty)
		SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
		SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
		SetActivityStreamsInbox(vocab.ActivityStreamsInboxProperty)
		SetActivityStreamsOutbox(vocab.ActivityStreamsOutboxProperty)
		SetActivityStreamsFollowers(vocab.ActivityStreamsFollowersProperty)
		SetActivityStreamsFollowing(vocab.ActivityStreamsFollowingProperty)
		SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
		SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
		SetW3IDSecurityV1PublicKey(vocab.W3IDSecurityV1PublicKeyProperty)
	}
	switch a.kind {
	case kindGroup:
		t = streams.NewActivityStreamsGroup()
	case kindPerson:
		t = streams.NewActivityStreamsPerson()
	default:
		t = streams.NewActivityStreamsApplication()
	}
	setID(t, a.iri)
	pu := streams.NewActivityStreamsPreferredUsernameProperty()
	pu.SetXMLSchemaString(a.username)
	t.SetActivityStreamsPreferredUsername(pu)
	setName(t, a.name)
	if a.summary != "" {
		sp := streams.NewActivityStreamsSummaryProperty()
		sp.AppendXMLSchemaString(a.summary)
		t.SetActivityStreamsSummary(sp)
	}
	inbox := streams.NewActivityStreamsInboxProperty()
	inbox.SetIRI(mustIRI(a.iri + "/inbox"))
	t.SetActivityStreamsInbox(inbox)
	outbox := streams.NewActivityStreamsOutboxProperty()
	outbox.SetIRI(mustIRI(a.iri + "/outbox"))
	t.SetActivityStreamsOutbox(outbox)
	followers := streams.NewActivityStreamsFollowersProperty()
	followers.SetIRI(mustIRI(a.iri + "/followers"))
	t.SetActivityStreamsFollowers(followers)
	following := streams.NewActivityStreamsFollowingProperty()
	following.SetIRI(mustIRI(a.iri + "/following"))
	t.SetActivityStreamsFollowing(following)
	setURL(t, a.iri) // the same URL serves the HTML page to browsers
	if !a.published.IsZero() {
		setPublished(t, a.published)
	}
	pk := streams.NewW3IDSecurityV1PublicKey()
	setID(pk, f.uris.keyID(a.iri))
	owner := streams.NewW3IDSecurityV1OwnerProperty()
	owner.SetIRI(mustIRI(a.iri))
	pk.SetW3IDSecurityV1Owner(owner)
	pem := streams.NewW3IDSecurityV1PublicKeyPemProperty()
	pem.Set(key.publicPEM)
	pk.SetW3IDSecurityV1PublicKeyPem(pem)
	pkp := streams.NewW3IDSecurityV1PublicKeyProperty()
	pkp.AppendW3IDSecurityV1PublicKey(pk)
	t.SetW3IDSecurityV1PublicKey(pkp)
	extra := map[string]any{
		"endpoints":                 map[string]any{"sharedInbox": f.uris.sharedInbox()},
		"manuallyApprovesFollowers": false,
		"discoverable":              a.kind == kindGroup,
		"indexable":                 false,
	}
	f.profileExtra(a, extra)
	return document(t, actorContext, extra)
}

func (f *Federation) groupInfo(g *instance.Group) actorInfo {
	return actorInfo{kind: kindGroup, keyName: instance.GroupSigner(g.Handle), iri: f.uris.groupActor(g.Handle), username: g.Handle,
		name: g.Name, summary: markup.Text(g.Description), published: g.CreatedAt, icon: g.Avatar, image: g.Header, fields: g.Fields}
}

func (f *Federation) memberInfo(m *instance.Member) actorInfo {
	return actorInfo{kind: kindPerson, keyName: instance.MemberSigner(m.Handle), iri: f.uris.memberActor(m.Handle), username: m.Handle,
		name: m.DisplayName, published: m.CreatedAt}
}

func (f *Federation) instanceInfo() actorInfo {
	return actorInfo{kind: kindApplication, keyName: instance.InstanceSigner, iri: f.uris.instanceActor(), username: hostOf(f.uris.base),
		name: f.opt.SiteName}
}

// addressing returns to/cc for an item: public items go to Public with the
// group's followers in cc; followers-only items have the followers in to
// (Mastodon makes a post direct if followers are only in cc).
func (f *Federation) addressing(it *instance.Item, g *instance.Group) (to, cc []string) {
	followers := f.uris.groupActor(g.Handle) + "/followers"
	if it.Visibility == instance.VisibilityPublic {
		return []string{publicCollection}, []string{followers}
	}
	return []string{followers}, nil
}

// itemNote builds the Note for a need, offer or action: readable content
// for Mastodon and GoToSocial, with the structured fields beside it so
// another Hearth can rebuild the item. It never includes the private
// address, contact details or on-behalf details. No summary (it would
// become a content warning) and no name (GoToSocial shows it as one).
func (f *Federation) itemNote(it *instance.Item, g *instance.Group) (vocab.ActivityStreamsNote, map[string]any) {
	note := streams.NewActivityStreamsNote()
	iri := f.uris.item(it)
	setID(note, iri)
	attr := streams.NewActivityStreamsAttributedToProperty()
	attr.AppendIRI(mustIRI(f.uris.groupActor(g.Handle)))
	note.SetActivityStreamsAttributedTo(attr)
	to, cc := f.addressing(it, g)
	setTo(note, to...)
	setCc(note, cc...)
	setPublished(note, it.CreatedAt)
	if it.UpdatedAt.After(it.CreatedAt) {
		setUpdated(note, it.UpdatedAt)
	}
	setURL(note, iri)
	lang := f.language(it.AuthorLanguage)
	text := f.itemContent(it, lang)
	content := streams.NewActivityStreamsContentProperty()
	content.AppendXMLSchemaString(text)
	note.SetActivityStreamsContent(content)
	extra := map[string]any{
		"kind":     string(it.Kind),
		"state":    string(it.State),
		"audience": f.uris.groupActor(g.Handle),
	}
	f.readable(it, lang, text, extra)
	if it.Category != "" {
		extra["category"] = it.Category
	}
	if it.Area != "" {
		extra["area"] = it.Area
	}
	switch it.Kind {
	case instance.KindNeed:
		extra["purpose"] = "request"
		if !it.NeededBy.IsZero() {
			extra["neededBy"] = it.NeededBy.UTC().Format(time.RFC3339)
		}
		if !it.ExpiresAt.IsZero() {
			extra["expires"] = it.ExpiresAt.UTC().Format(time.RFC3339)
		}
	case instance.KindOffer:
		extra["purpose"] = "offer"
		if !it.AvailableUntil.IsZero() {
			extra["availableUntil"] = it.AvailableUntil.UTC().Format(time.RFC3339)
		}
	case instance.KindAction:
		extra["startTime"] = it.StartsAt.UTC().Format(time.RFC3339)
		extra["endTime"] = it.EndsAt.UTC().Format(time.RFC3339)
		extra["location"] = map[string]any{"type": "Place", "name": it.Place}
		if it.Capacity > 0 {
			extra["capacity"] = it.Capacity
		}
	}
	return note, extra
}

// stateWords are the states a federated item names (open and coming-up
// ones need no word).
var stateWords = map[instance.ItemState]bool{instance.StateClaimed: true, instance.StateDone: true, instance.StateClosed: true,
	instance.StateTaken: true, instance.StateCancelled: true}

// itemContent is the readable HTML of a federated item, in lang (the
// poster's language): what it is, its details, when and where, places
// left, a link, and how to help.
func (f *Federation) itemContent(it *instance.Item, lang string) string {
	loc := f.svc.Location()
	var b strings.Builder
	head := []string{"<strong>" + html.EscapeString(f.tr(lang, "kind."+string(it.Kind))) + "</strong>"}
	if it.Category != "" {
		head = append(head, html.EscapeString(it.Category))
	}
	if it.Area != "" {
		head = append(head, html.EscapeString(it.Area))
	}
	if stateWords[it.State] {
		head = append(head, "<em>"+html.EscapeString(f.tr(lang, "state."+string(it.State)))+"</em>")
	}
	b.WriteString("<p>" + strings.Join(head, " · ") + "</p>")
	b.WriteString("<p>" + html.EscapeString(it.Title) + "</p>")
	b.WriteString(string(markup.Markdown(it.Description)))
	line := func(key string, args ...any) {
		b.WriteString("<p>" + html.EscapeString(f.tr(lang, key, args...)) + "</p>")
	}
	switch it.Kind {
	case instance.KindNeed:
		if !it.NeededBy.IsZero() {
			line("fed.needed_by", f.date(lang, it.NeededBy.In(loc)))
		}
		if it.OnBehalf() {
			line("fed.on_behalf")
		}
	case instance.KindOffer:
		if !it.AvailableUntil.IsZero() {
			line("fed.available_until", f.date(lang, it.AvailableUntil.In(loc)))
		}
	case instance.KindAction:
		start, end := it.StartsAt.In(loc), it.EndsAt.In(loc)
		line("fed.when", f.date(lang, start), start.Format("15:04"), end.Format("15:04"), end.Format("MST"), it.Place)
		if it.State == instance.StateCancelled && it.StateReason != "" {
			line("fed.cancelled", it.StateReason)
		}
		if places := f.places(it, lang); places != "" && it.State == instance.StateScheduled {
			b.WriteString("<p>" + html.EscapeString(places) + "</p>")
		}
	}
	link := html.EscapeString(f.uris.item(it))
	b.WriteString(`<p><a href="` + link + `">` + link + `</a></p>`)
	if help := f.helpText(it, lang); help != "" {
		b.WriteString("<p>" + html.EscapeString(help) + "</p>")
	}
	return b.String()
}

// mention is the account a member's reply answers: the reply carries it
// as a Mention tag and, at the start of its text, as the h-card link
// Mastodon writes. GoToSocial drops a post from an account its receiver
// does not follow unless the receiver is mentioned
// (internal/filter/spam/statusable.go), and Mastodon notifies only an
// account that is both tagged and addressed.
type mention struct {
	href string // the actor's id
	name string // @user@host
	url  string // the profile page the h-card links to
	user string
}

// hcard is the mention as Mastodon renders it in content.
func (m mention) hcard() string {
	return `<span class="h-card"><a href="` + html.EscapeString(m.url) + `" class="u-url mention">@<span>` + html.EscapeString(m.user) + `</span></a></span>`
}

// replyNote builds the Note of a member's reply, answering m.
func (f *Federation) replyNote(id, author, inReplyTo string, to, cc []string, body string, published, updated time.Time, m mention) vocab.ActivityStreamsNote {
	note := streams.NewActivityStreamsNote()
	setID(note, id)
	attr := streams.NewActivityStreamsAttributedToProperty()
	attr.AppendIRI(mustIRI(author))
	note.SetActivityStreamsAttributedTo(attr)
	irt := streams.NewActivityStreamsInReplyToProperty()
	irt.AppendIRI(mustIRI(inReplyTo))
	note.SetActivityStreamsInReplyTo(irt)
	setTo(note, to...)
	setCc(note, cc...)
	setPublished(note, published)
	if updated.After(published) {
		setUpdated(note, updated)
	}
	setURL(note, id)
	text := markup.Text(body)
	if rest, ok := strings.CutPrefix(text, "<p>"); ok {
		text = "<p>" + m.hcard() + " " + rest
	} else {
		text = "<p>" + m.hcard() + "</p>" + text
	}
	content := streams.NewActivityStreamsContentProperty()
	content.AppendXMLSchemaString(text)
	note.SetActivityStreamsContent(content)
	mt := streams.NewActivityStreamsMention()
	href := streams.NewActivityStreamsHrefProperty()
	href.Set(mustIRI(m.href))
	mt.SetActivityStreamsHref(href)
	name := streams.NewActivityStreamsNameProperty()
	name.AppendXMLSchemaString(m.name)
	mt.SetActivityStreamsName(name)
	tags := streams.NewActivityStreamsTagProperty()
	tags.AppendActivityStreamsMention(mt)
	note.SetActivityStreamsTag(tags)
	return note
}

// tombstone builds the Tombstone of a deleted object.
func tombstone(id string, deleted time.Time) vocab.ActivityStreamsTombstone {
	t := streams.NewActivityStreamsTombstone()
	setID(t, id)
	ft := streams.NewActivityStreamsFormerTypeProperty()
	ft.AppendXMLSchemaString("Note")
	t.SetActivityStreamsFormerType(ft)
	if !deleted.IsZero() {
		d := streams.NewActivityStreamsDeletedProperty()
		d.Set(deleted.UTC())
		t.SetActivityStreamsDeleted(d)
	}
	return t
}
