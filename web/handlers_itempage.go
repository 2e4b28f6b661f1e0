package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"hearth/instance"
	"hearth/instance/markup"
)

// itemPage is an item's page. Each viewer sees their own next step as the
// one main action (the requester "Done", the helper "Done", a neighbour
// "I can help"); everything else a viewer may do is on the "Something
// changed?" page, and nobody sees a control that is not theirs.
type itemPage struct {
	formPage
	Item          *instance.Item
	Description   template.HTML
	CanManage     bool
	IsAuthor      bool
	CanSeePrivate bool
	CanClaim      bool
	ClaimReason   string
	IsHelper      bool
	ClaimLapsed   bool
	ClaimLapsing  bool
	ExpiresSoon   bool
	Sensitive     bool
	Happened      bool
	Interests     []*instance.Interest
	Mine          *instance.Interest
	Attendees     []*instance.Attendee
	MyPlace       *instance.Attendee
	// Series is a repeating action's rule and dates to come.
	Series  *instance.SeriesView
	Thread  *instance.Thread
	Replies []replyView
	// NewExpiry and NewClaimExpiry are when a renewal would run to.
	NewExpiry, NewClaimExpiry string
	contactParts
	// Nearby is what those who manage a need see about neighbouring
	// villages (nil: nothing to say); Choosable are the remote replies
	// whose authors they may choose as the helper.
	Nearby    *nearbyView
	Choosable map[int64]bool
}

// CanReport: any member may report a post, except their own.
func (p *itemPage) CanReport() bool { return p.Viewer != nil && p.Viewer.ID != p.Item.AuthorID }

// HasChanges reports whether the "Something changed?" page has anything
// for this viewer.
func (p *itemPage) HasChanges() bool {
	it := p.Item
	switch {
	case p.CanManage:
		return true
	case p.IsHelper:
		return it.Kind == instance.KindNeed && it.State == instance.StateClaimed
	}
	return false
}

func (s *Server) itemShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.renderItem(w, r, kindOf(r), id, nil)
}

// loadItemPage gathers what an item's page, and its "Something changed?"
// page, show the viewer. opened says this is the item's own page: opening
// it is reading what one was told about it, marked before the header
// counts what is still unread.
func (s *Server) loadItemPage(r *http.Request, kind instance.Kind, id int64, titleKey string, opened bool) (*itemPage, error) {
	ctx := r.Context()
	viewer := viewerFrom(r)
	it, err := s.svc.Item(ctx, viewer, kind, id)
	if err != nil {
		return nil, err
	}
	if opened {
		if err := s.svc.OpenedItem(ctx, viewer, it.ID); err != nil {
			return nil, err
		}
	}
	p := &itemPage{formPage: formPage{page: s.pageBase(r, titleKey), Form: newForm(r)}, Item: it,
		Description: markup.Markdown(it.Description), CanManage: s.svc.CanManage(viewer, it),
		CanSeePrivate: s.svc.CanSeePrivate(viewer, it), Sensitive: s.svc.Sensitive(it), Happened: it.Happened(s.svc.Now()),
		ExpiresSoon: s.svc.ExpiresSoon(it), ClaimLapsed: s.svc.ClaimLapsed(it), ClaimLapsing: s.svc.ClaimLapsing(it)}
	p.IsAuthor = viewer != nil && it.AuthorID == viewer.ID
	p.CanClaim, p.ClaimReason = s.svc.CanClaim(viewer, it)
	p.IsHelper = viewer != nil && it.ClaimedBy == viewer.ID && it.Kind == instance.KindNeed
	now := s.svc.Now()
	p.NewExpiry, p.NewClaimExpiry = p.Date(now.Add(s.svc.NeedPeriod())), p.Date(now.Add(s.svc.ClaimPeriod()))
	if p.Interests, err = s.svc.Interests(ctx, viewer, it); err != nil {
		return nil, err
	}
	for _, in := range p.Interests {
		if viewer != nil && in.MemberID == viewer.ID {
			p.Mine = in
		}
	}
	if kind == instance.KindAction {
		if p.Series, err = s.svc.SeriesOf(ctx, viewer, it); err != nil {
			return nil, err
		}
		if p.Attendees, err = s.svc.Attendees(ctx, viewer, it); err != nil {
			return nil, err
		}
		for _, a := range p.Attendees {
			if viewer != nil && a.MemberID == viewer.ID {
				p.MyPlace = a
			}
		}
	}
	return p, nil
}

// renderItem shows an item page; formErr, when set, is a validation error
// from one of its forms, shown beside the field.
func (s *Server) renderItem(w http.ResponseWriter, r *http.Request, kind instance.Kind, id int64, formErr error) error {
	return s.renderItemStatus(w, r, kind, id, formErr, http.StatusUnprocessableEntity)
}

// renderItemStatus is renderItem answering failStatus when formErr is set.
func (s *Server) renderItemStatus(w http.ResponseWriter, r *http.Request, kind instance.Kind, id int64, formErr error, failStatus int) error {
	p, err := s.loadItemPage(r, kind, id, "item.title", true)
	if err != nil {
		return err
	}
	p.Title = p.Item.Title
	if p.Thread, err = s.thread(r, p); err != nil {
		return err
	}
	p.Replies = p.replies()
	if err := s.fillContact(r, p.Item, &p.contactParts); err != nil {
		return err
	}
	if err := s.loadNearby(r, p); err != nil {
		return err
	}
	if kind == instance.KindNeed {
		// Needs are never for search engines (robots.txt says so too).
		w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	}
	status := http.StatusOK
	if formErr != nil {
		p.labels = map[string]labelRef{"message": label("field.help_message"), "body": label("field.response"),
			"thanks": label("field.thanks"), "message_body": label("field.message_body"), "guest_name": label("field.guest_name"),
			"guest_email": label("field.guest_email"), "guest_slot": label("action.choose_role")}
		if kind == instance.KindOffer {
			p.labels["message"] = label("field.want_message")
		}
		p.fail(formErr, "message", "thanks", "body", "message_body", "guest_name", "guest_email", "guest_slot")
		status = failStatus
	}
	return s.render(w, r, status, "item", p)
}

// thread is the page of replies the request asks for: ?before=ID and
// ?after=ID page through a long thread (the page's own links carry them),
// and ?reply=ID, which notifications link to, is the page that holds that
// reply: the latest page if it is there, else the page that ends with it.
// Bad values are the latest page.
func (s *Server) thread(r *http.Request, p *itemPage) (*instance.Thread, error) {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	reply, _ := strconv.ParseInt(q.Get("reply"), 10, 64)
	th, err := s.svc.Thread(r.Context(), p.Viewer, p.Item, before, after)
	if err != nil || reply <= 0 || before != 0 || after != 0 || len(th.Replies) == 0 || reply >= th.Replies[0].ID {
		return th, err
	}
	return s.svc.Thread(r.Context(), p.Viewer, p.Item, reply+1, 0)
}

// itemChange is the "Something changed?" page: what the viewer can do
// besides their next step (ask for more time, withdraw, close, change the
// details, delete). A viewer with nothing to change there is refused.
func (s *Server) itemChange(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return s.renderChange(w, r, kindOf(r), id, nil)
}

func (s *Server) renderChange(w http.ResponseWriter, r *http.Request, kind instance.Kind, id int64, formErr error) error {
	p, err := s.loadItemPage(r, kind, id, "change.title", false)
	if err != nil {
		return err
	}
	if !p.HasChanges() {
		return instance.ErrForbidden
	}
	status := http.StatusOK
	if formErr != nil {
		p.labels = map[string]labelRef{"reason": label("field.close_reason")}
		if !p.fail(formErr, "reason") {
			return formErr
		}
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "change", p)
}

// actionCancel asks the organiser to confirm cancelling an action, with
// the reason everyone who joined is told (GET), and cancels it (POST). A
// missing reason brings the page back with what was typed.
func (s *Server) actionCancel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.loadItemPage(r, instance.KindAction, id, "cancel.title", false)
	if err != nil {
		return err
	}
	if !p.CanManage {
		return instance.ErrForbidden
	}
	p.Title = p.T("cancel.title", p.Item.Title)
	p.Heading = p.Title
	if r.Method == http.MethodGet {
		return s.render(w, r, http.StatusOK, "cancel", p)
	}
	err = s.svc.CancelAction(r.Context(), p.Viewer, id, r.PostForm.Get("reason"))
	if err == nil {
		return s.redirect(w, r, p.Item.Path(), "flash.cancelled")
	}
	p.labels = map[string]labelRef{"reason": label("field.cancel_reason")}
	if !p.fail(err, "reason") {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "cancel", p)
}

// replyView is one reply as its page shows it, worked out before the
// template runs: a page of a long thread shows 50 of them, and each
// decision made in the template costs several reflective calls.
type replyView struct {
	R                          *instance.Response
	When                       string
	Edited                     bool
	Mine, CanRemove, CanReport bool
	Remove                     string
	Lines                      []string
	HTML                       template.HTML
}

// replyLabels are the words every reply uses, translated once a page.
type replyLabels struct {
	Held, Removed, Deleted, Fediverse, Edited, AMember, Edit, Delete, Report string
}

// ReplyLabels translates the words of the replies once for the page.
func (p *itemPage) ReplyLabels() replyLabels {
	return replyLabels{Held: p.T("response.held"), Removed: p.T("response.removed"), Deleted: p.T("response.deleted"),
		Fediverse: p.T("response.fediverse"), Edited: p.T("response.edited"), AMember: p.T("response.a_member"),
		Edit: p.T("response.edit"), Delete: p.T("response.delete"), Report: p.T("response.report")}
}

// replies builds the views of the page's replies: a held reply only for
// its author and coordinators, and each viewer's own controls.
func (p *itemPage) replies() []replyView {
	v := p.Viewer
	var out []replyView
	for _, r := range p.Thread.Replies {
		mine := v != nil && r.AuthorID != 0 && r.AuthorID == v.ID
		if r.Held && !mine && !v.IsCoordinator() {
			continue
		}
		rv := replyView{R: r, When: p.DateTime(r.CreatedAt), Edited: r.UpdatedAt.After(r.CreatedAt)}
		if !r.Removed && !r.Deleted {
			rv.Mine = mine
			rv.CanRemove = v.IsCoordinator() && !mine
			rv.CanReport = v != nil && !mine
			if rv.CanRemove {
				rv.Remove = p.T("response.remove", r.Author)
			}
			if r.RemoteActor != "" {
				rv.HTML = p.RemoteHTML(r.ContentHTML)
			} else {
				for _, l := range strings.Split(r.Body, "\n") {
					if l != "" {
						rv.Lines = append(rv.Lines, l)
					}
				}
			}
		}
		out = append(out, rv)
	}
	return out
}
