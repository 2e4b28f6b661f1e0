package web

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// The pages of overflow to neighbouring villages (instance/overflow.go):
// the requester's question on the need form and page, a coordinator's
// choice of trusted neighbours on the group page, and "Needs from nearby"
// for coordinators of the receiving village. Who may do what is the
// domain's decision.

func (s *Server) registerOverflow(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	r.Handle("/groups/{handle}/trust", h(s.trustNeighbour)).Methods(http.MethodPost)
	r.Handle("/neighbours/nearby", h(s.nearbyNeeds)).Methods(http.MethodGet)
	r.Handle("/neighbours/{id:[0-9]+}/share", h(s.shareNearby)).Methods(http.MethodPost)
}

// shareQuestion sets the need form's question: the names of the main
// group's trusted neighbours, if it has any.
func (s *Server) shareQuestion(r *http.Request, p *itemFormPage) error {
	main, err := s.svc.MainGroup(r.Context())
	if err != nil {
		return err
	}
	names, err := s.svc.NeighbourNames(r.Context(), p.Viewer, main.ID)
	if err != nil {
		return err
	}
	p.ShareWith = p.Names(names)
	p.OverflowHours = int(s.svc.OverflowAfter("").Hours())
	return nil
}

// Names joins names for a sentence ("A, B and C").
func (p *page) Names(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + p.T("list.and") + " " + names[len(names)-1]
}

// nearbyView is what a need's page tells its requester about neighbouring
// villages.
type nearbyView struct {
	// Names are the trusted neighbours the need would be shared with.
	Names string
	// Offered names where it was shared (and still is); Withdrawn says it
	// was shared and taken back.
	Offered   string
	Withdrawn bool
}

// loadNearby fills a need page's neighbouring-villages part, for those
// who manage the need, and which remote replies they may choose.
func (s *Server) loadNearby(r *http.Request, p *itemPage) error {
	it := p.Item
	if it.Kind != instance.KindNeed || !p.CanManage {
		return nil
	}
	names, err := s.svc.NeighbourNames(r.Context(), p.Viewer, it.GroupID)
	if err != nil {
		return err
	}
	offers, err := s.svc.NeedOverflows(r.Context(), p.Viewer, it)
	if err != nil {
		return err
	}
	v := &nearbyView{Names: p.Names(names)}
	var offered []string
	for _, o := range offers {
		if o.State == instance.OverflowWithdrawn {
			v.Withdrawn = true
		} else {
			offered = append(offered, o.Name)
		}
	}
	v.Offered = p.Names(offered)
	if v.Names != "" || len(offers) > 0 {
		p.Nearby = v
	}
	p.Choosable = map[int64]bool{}
	if len(offered) > 0 {
		for _, rv := range p.Replies {
			if rv.R.RemoteActor != "" && s.svc.MayAcceptRemote(r.Context(), p.Viewer, it, rv.R) {
				p.Choosable[rv.R.ID] = true
			}
		}
	}
	return nil
}

type trustRow struct {
	ActorID, Name string
	Level         instance.TrustLevel
}

// trustRows pairs a group's mutual neighbours with how far each is
// trusted, for the group page's form.
func (s *Server) trustRows(r *http.Request, viewer *instance.Member, g *instance.Group) ([]trustRow, error) {
	mutual, trusted, err := s.svc.MutualNeighbours(r.Context(), viewer, g)
	if err != nil {
		return nil, err
	}
	levels := map[string]instance.TrustLevel{}
	for _, t := range trusted {
		levels[t.ActorID] = instance.TrustNeeds
		if t.Sensitive {
			levels[t.ActorID] = instance.TrustSensitive
		}
	}
	rows := make([]trustRow, 0, len(mutual))
	for _, fo := range mutual {
		row := trustRow{ActorID: fo.ActorID, Name: fo.Name, Level: instance.TrustNone}
		if row.Name == "" {
			row.Name = fo.Address
		}
		if l, ok := levels[fo.ActorID]; ok {
			row.Level = l
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// TrustLevels are the choices of the trust form.
func (p *page) TrustLevels() []instance.TrustLevel {
	return []instance.TrustLevel{instance.TrustNone, instance.TrustNeeds, instance.TrustSensitive}
}

func (s *Server) trustNeighbour(w http.ResponseWriter, r *http.Request) error {
	handle := mux.Vars(r)["handle"]
	err := s.svc.TrustNeighbour(r.Context(), viewerFrom(r), handle, r.PostForm.Get("actor"), instance.TrustLevel(r.PostForm.Get("trust")))
	if err != nil {
		return err
	}
	return s.redirect(w, r, "/groups/"+handle+"#trusted-h", "flash.trust_saved")
}

type nearbyPage struct {
	page
	Items []*instance.RemoteItem
}

// nearbyNeeds lists the needs neighbouring villages offered us, for
// coordinators, each with a button to share it with our members.
func (s *Server) nearbyNeeds(w http.ResponseWriter, r *http.Request) error {
	items, err := s.svc.NearbyNeeds(r.Context(), viewerFrom(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "nearby", &nearbyPage{page: s.pageBase(r, "nearby.title"), Items: items})
}

func (s *Server) shareNearby(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.svc.ShareNearbyNeed(r.Context(), viewerFrom(r), id); err != nil {
		return err
	}
	return s.redirect(w, r, "/neighbours/nearby", "flash.nearby_shared")
}
