package web

import (
	"net/http"

	"hearth/instance"
)

// needsNote says what is true when the home page lists no open need (they
// leave it once someone helps): how many were helped this month, or that
// nothing has been posted at all.
type needsNote struct {
	Helped int
	Empty  bool
}

// noOpenNeeds builds the note for the first, unfiltered page of the home
// page, or nil when an open need is listed.
func (s *Server) noOpenNeeds(r *http.Request, p *homePage) (*needsNote, error) {
	if p.Filtered() || r.URL.Query().Get("before") != "" {
		return nil, nil
	}
	for _, it := range p.Items {
		if it.Kind == instance.KindNeed && it.State == instance.StateOpen {
			return nil, nil
		}
	}
	n := &needsNote{}
	var err error
	if n.Helped, err = s.svc.HelpedThisMonth(r.Context(), p.Viewer); err != nil {
		return nil, err
	}
	if len(p.Items) == 0 && n.Helped == 0 {
		any, err := s.svc.Items(r.Context(), p.Viewer, instance.ItemFilter{Limit: 1})
		if err != nil {
			return nil, err
		}
		n.Empty = len(any) == 0
	}
	return n, nil
}
