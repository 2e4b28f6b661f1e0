package web

import (
	"html/template"
	"net/http"

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
	ExpiresSoon   bool
	Sensitive     bool
	Happened      bool
	Interests     []*instance.Interest
	Mine          *instance.Interest
	Attendees     []*instance.Attendee
	MyPlace       *instance.Attendee
	Responses     []*instance.Response
	// NewExpiry and NewClaimExpiry are when a renewal would run to.
	NewExpiry, NewClaimExpiry string
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
// page, show the viewer.
func (s *Server) loadItemPage(r *http.Request, kind instance.Kind, id int64, titleKey string) (*itemPage, error) {
	ctx := r.Context()
	viewer := viewerFrom(r)
	it, err := s.svc.Item(ctx, viewer, kind, id)
	if err != nil {
		return nil, err
	}
	p := &itemPage{formPage: formPage{page: s.pageBase(r, titleKey), Form: newForm(r)}, Item: it,
		Description: markup.Markdown(it.Description), CanManage: s.svc.CanManage(viewer, it),
		CanSeePrivate: s.svc.CanSeePrivate(viewer, it), Sensitive: s.svc.Sensitive(it), Happened: it.Happened(s.svc.Now()),
		ExpiresSoon: s.svc.ExpiresSoon(it), ClaimLapsed: s.svc.ClaimLapsed(it)}
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
	p, err := s.loadItemPage(r, kind, id, "item.title")
	if err != nil {
		return err
	}
	p.Title = p.Item.Title
	if p.Responses, err = s.svc.Thread(r.Context(), p.Viewer, p.Item); err != nil {
		return err
	}
	if kind == instance.KindNeed {
		// Needs are never for search engines (robots.txt says so too).
		w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	}
	status := http.StatusOK
	if formErr != nil {
		p.labels = map[string]labelRef{"message": label("field.help_message"), "body": label("field.response"),
			"thanks": label("field.thanks")}
		if kind == instance.KindOffer {
			p.labels["message"] = label("field.want_message")
		}
		p.fail(formErr, "message", "thanks", "body")
		status = failStatus
	}
	return s.render(w, r, status, "item", p)
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
	p, err := s.loadItemPage(r, kind, id, "change.title")
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
	p, err := s.loadItemPage(r, instance.KindAction, id, "cancel.title")
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
