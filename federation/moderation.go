package federation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-fed/activity/streams"

	"hearth/instance"
)

// countMentions counts Mention tags on a Note (GoToSocial sends a lone
// tag as an object, not a list).
func countMentions(raw map[string]any) int {
	tags, ok := raw["tag"].([]any)
	if !ok {
		tags = []any{raw["tag"]}
	}
	n := 0
	for _, t := range tags {
		if m, ok := t.(map[string]any); ok && typeOf(m) == "Mention" {
			n++
		}
	}
	return n
}

// onFlag files a report from another server (Mastodon sends them from its
// instance actor, an Application) in the same queue as local ones.
func (f *Federation) onFlag(ctx context.Context, actor string, m map[string]any) error {
	var objects []string
	switch o := m["object"].(type) {
	case []any:
		for _, x := range o {
			objects = append(objects, idOf(x))
		}
	default:
		objects = append(objects, idOf(o))
	}
	in := instance.RemoteFlag{Reporter: actor, Details: str(m, "content")}
	for _, o := range objects {
		if id, ok := f.uris.localItemID(o); ok && in.ItemID == 0 {
			in.ItemID = id
		} else if h, ok := strings.CutPrefix(o, f.uris.base+"/members/"); ok && in.MemberHandle == "" {
			in.MemberHandle = h
		}
	}
	_, err := f.svc.ReceiveFlag(ctx, in)
	return err
}

// publishFlag forwards a report about remote content to its server, as a
// Flag from our instance actor. The reporter's identity is never sent.
func (f *Federation) publishFlag(ctx context.Context, reportID int64) (*instance.Publication, error) {
	r, err := f.store.ReportByID(ctx, reportID)
	if errors.Is(err, instance.ErrNotFound) || (err == nil && r.RemoteActor == "") {
		return &instance.Publication{}, nil
	}
	if err != nil {
		return nil, err
	}
	ra, err := f.actor(ctx, r.RemoteActor, false)
	if err != nil {
		return nil, err
	}
	flag := streams.NewActivityStreamsFlag()
	id := f.newActivityID()
	setID(flag, id)
	setActor(flag, f.uris.instanceActor())
	obj := streams.NewActivityStreamsObjectProperty()
	obj.AppendIRI(mustIRI(r.RemoteActor))
	if r.ResponseID != 0 {
		if resp, err := f.store.ResponseByID(ctx, r.ResponseID); err == nil && resp.APID != "" {
			obj.AppendIRI(mustIRI(resp.APID))
		}
	}
	flag.SetActivityStreamsObject(obj)
	content := streams.NewActivityStreamsContentProperty()
	content.AppendXMLSchemaString(fmt.Sprintf("Reported on %s (%s): %s", hostOf(f.uris.base), r.Category, r.Details))
	flag.SetActivityStreamsContent(content)
	doc, err := document(flag, objectContext, nil)
	if err != nil {
		return nil, err
	}
	body, err := encode(doc)
	if err != nil {
		return nil, err
	}
	inbox := ra.Inbox
	if ra.SharedInbox != "" {
		inbox = ra.SharedInbox
	}
	f.log.Info("report forwarded", "report", reportID, "to", ra.Host)
	return &instance.Publication{Deliveries: f.deliveriesTo([]string{inbox}, instance.InstanceSigner, id, body)}, nil
}
