package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// contactParts is what the item page shows of private contact on a need:
// the accepted helper's contact details (for the requester and
// coordinators) and the private thread. The "contact" partial
// (templates/contact.html) renders it.
type contactParts struct {
	Helper  *instance.HelperContact
	Private *instance.PrivateThread
	// GuestPlaces says people without an account can take a place (email
	// is on); Guests are an action's confirmed guests, for its organiser
	// and coordinators.
	GuestPlaces bool
	Guests      []*instance.GuestPlace
}

// Tel is a tel: link for a phone number as members type it ("01234
// 567 890", "+44 (0)1234…"): digits and a leading plus only.
func (c *contactParts) Tel(phone string) template.URL {
	phone = strings.TrimSpace(phone)
	if strings.HasPrefix(phone, "+") {
		phone = strings.ReplaceAll(phone, "(0)", "") // "+44 (0)1234": the 0 is not dialled from abroad
	}
	var b strings.Builder
	for i, r := range phone {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return template.URL("tel:" + b.String()) // only digits and "+": safe in an href
}

// fillContact loads the private contact parts for the viewer (nothing for
// anyone outside the thread).
func (s *Server) fillContact(r *http.Request, it *instance.Item, c *contactParts) error {
	viewer := viewerFrom(r)
	var err error
	if c.Helper, err = s.svc.HelperContact(r.Context(), viewer, it); err != nil {
		return err
	}
	if c.Private, err = s.svc.MessageThread(r.Context(), viewer, it); err != nil {
		return err
	}
	c.GuestPlaces = s.svc.GuestPlacesOn()
	c.Guests, err = s.svc.Guests(r.Context(), viewer, it)
	return err
}

// registerContact adds the private thread's routes.
func (s *Server) registerContact(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	r.Handle("/needs/{id:[0-9]+}/messages", h(s.messageSend)).Methods(http.MethodPost)
	r.Handle("/messages/{id:[0-9]+}/release", h(s.messageRelease)).Methods(http.MethodPost)
}

func (s *Server) messageSend(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := s.svc.SendMessage(r.Context(), viewerFrom(r), id, r.PostForm.Get("message_body"))
	if len(instance.Fields(err)) > 0 {
		return s.renderItem(w, r, instance.KindNeed, id, err)
	}
	if err != nil {
		return err
	}
	flash := "flash.message_sent"
	if m.Held {
		flash = "flash.message_held"
	}
	return s.redirect(w, r, fmt.Sprintf("/needs/%d#message-%d", id, m.ID), flash)
}

func (s *Server) messageRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	m, err := s.svc.ReleaseMessage(r.Context(), viewerFrom(r), id)
	if err != nil {
		return err
	}
	return s.redirect(w, r, fmt.Sprintf("/needs/%d#message-%d", m.ItemID, m.ID), "flash.message_released")
}
