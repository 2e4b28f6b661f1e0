package web

import (
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// registerGuests adds guest places on actions: the action page's form for
// people without an account, and the confirm and cancel links emailed to
// them (public, by signed token).
func (s *Server) registerGuests(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	r.Handle("/actions/{id:[0-9]+}/guest", h(s.guestJoin)).Methods(http.MethodPost)
	r.Handle("/guest-places/{step:confirm|cancel}", h(s.guestPlace)).Methods(http.MethodGet, http.MethodPost)
}

type guestSentPage struct {
	page
	Item  *instance.Item
	Email string
}

func (s *Server) guestJoin(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	slot, _ := strconv.ParseInt(r.PostForm.Get("guest_slot"), 10, 64)
	g, err := s.svc.JoinAsGuest(r.Context(), id, instance.GuestPlaceInput{Name: r.PostForm.Get("guest_name"),
		Email: r.PostForm.Get("guest_email"), Slot: slot}, s.clientKey(r))
	if len(instance.Fields(err)) > 0 {
		return s.renderItem(w, r, instance.KindAction, id, err)
	}
	if err != nil {
		return err
	}
	it, err := s.svc.Item(r.Context(), viewerFrom(r), instance.KindAction, id)
	if err != nil {
		return err
	}
	p := &guestSentPage{page: s.pageBase(r, "guestplace.sent_title"), Item: it, Email: g.Email}
	return s.render(w, r, http.StatusOK, "guest_sent", p)
}

type guestPlacePage struct {
	page
	Op    string // confirm or cancel
	Token string
	Guest *instance.GuestPlace
	Item  *instance.Item
	Done  bool
	// CancelToken is for the confirmed page's "cannot come after all".
	CancelLink string
}

// guestPlace: GET shows the place and a button (a link scanner following
// the link changes nothing); POST confirms or cancels.
func (s *Server) guestPlace(w http.ResponseWriter, r *http.Request) error {
	op := mux.Vars(r)["step"]
	token := r.FormValue("t")
	p := &guestPlacePage{page: s.pageBase(r, "guestplace."+op+"_title"), Op: op, Token: token}
	var err error
	switch {
	case r.Method == http.MethodGet:
		p.Guest, p.Item, err = s.svc.GuestPlaceFor(r.Context(), token, op)
		p.Done = err == nil && op == "confirm" && p.Guest.Status == instance.GuestGoing
	case op == "confirm":
		p.Guest, p.Item, err = s.svc.ConfirmGuest(r.Context(), token)
		p.Done = true
	default:
		p.Guest, p.Item, err = s.svc.CancelGuest(r.Context(), token)
		p.Done = true
	}
	if err != nil {
		return err
	}
	if op == "confirm" && p.Done {
		if p.CancelLink, err = s.svc.GuestCancelLink(r.Context(), p.Guest); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "guest_place", p)
}
