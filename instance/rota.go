package instance

import (
	"context"
	"errors"
	"strings"
)

// Rota is a series' organiser view: who is on which role on each date to
// come, with the free places (gaps) counted.
type Rota struct {
	Series   *Series
	Title    string
	Dates    []RotaDate
	Regulars []*Regular
}

// RotaDate is one date of a rota.
type RotaDate struct {
	Item  *Item
	Roles []RotaRole
	// Gap says a role (or, with no roles, the action) has a free place.
	Gap bool
}

// RotaRole is one role on one date: who is on it and how many places are
// free (Free is 0 for an action with no limit).
type RotaRole struct {
	SlotID  int64
	Name    string // "" for an action with no roles
	People  []string
	Waiting int
	Free    int
}

// Rota returns the rota of the series itemID belongs to, for its
// organiser (and coordinators).
func (s *Service) Rota(ctx context.Context, viewer *Member, itemID int64) (*Rota, error) {
	it, err := s.liveItem(ctx, itemID)
	if err != nil {
		return nil, err
	}
	if it.Kind != KindAction || it.SeriesID == 0 {
		return nil, ErrNotFound
	}
	if !s.CanManage(viewer, it) {
		return nil, ErrForbidden
	}
	se, err := s.store.SeriesByID(ctx, it.SeriesID)
	if err != nil {
		return nil, err
	}
	rota := &Rota{Series: se, Title: it.Title}
	if rota.Regulars, err = s.store.Regulars(ctx, se.ID); err != nil {
		return nil, err
	}
	list, err := s.store.ListItems(ctx, ItemFilter{SeriesID: se.ID, Upcoming: true, Now: s.now(), Limit: maxDatesAtOnce})
	if err != nil {
		return nil, err
	}
	for _, d := range list {
		full, err := s.store.ItemByID(ctx, d.ID) // with its roles
		if err != nil {
			return nil, err
		}
		people, err := s.store.ListAttendees(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		rd := RotaDate{Item: full}
		if len(full.Slots) == 0 {
			role := RotaRole{}
			for _, a := range people {
				if a.Status == AttendGoing {
					role.People = append(role.People, a.Member)
				} else {
					role.Waiting++
				}
			}
			if full.Capacity > 0 {
				role.Free = max(full.Capacity-len(role.People), 0)
			}
			rd.Roles, rd.Gap = []RotaRole{role}, role.Free > 0
		}
		for _, sl := range full.Slots {
			role := RotaRole{SlotID: sl.ID, Name: sl.Name, Free: max(sl.Capacity-sl.Going, 0), Waiting: sl.Waiting}
			for _, a := range people {
				if a.SlotID == sl.ID && a.Status == AttendGoing {
					role.People = append(role.People, a.Member)
				}
			}
			rd.Roles = append(rd.Roles, role)
			rd.Gap = rd.Gap || role.Free > 0
		}
		if len(full.Slots) > 0 {
			// Those coming in no particular role.
			any := RotaRole{}
			for _, a := range people {
				if a.SlotID == 0 && a.Status == AttendGoing {
					any.People = append(any.People, a.Member)
				}
			}
			if len(any.People) > 0 {
				rd.Roles = append(rd.Roles, any)
			}
		}
		rota.Dates = append(rota.Dates, rd)
	}
	return rota, nil
}

// AssignRota is a rota change: the organiser puts a member (by handle) on
// a role (by name; "" on an action without roles) of one date. A member who is going somewhere else at that time
// is refused ("action.double_booked", with where), as is one already on
// that date.
func (s *Service) AssignRota(ctx context.Context, by *Member, itemID int64, role, handle string) error {
	it, err := s.liveItem(ctx, itemID)
	if err != nil {
		return err
	}
	if it.Kind != KindAction || !s.CanManage(by, it) {
		return ErrForbidden
	}
	if it.State != StateScheduled || it.Happened(s.now()) {
		return problem(ErrConflict, "action.not_open")
	}
	m, err := s.store.MemberByHandle(ctx, strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	if isNotFound(err) || (err == nil && (m.Status != StatusActive || !m.Has(RoleMember))) {
		return ValidationErrors{{Field: "member", Code: "err.rota_no_member"}}
	}
	if err != nil {
		return err
	}
	var slotID int64
	for _, sl := range it.Slots {
		if sl.Name == role {
			slotID = sl.ID
		}
	}
	if slotID == 0 && (role != "" || len(it.Slots) > 0) {
		return ValidationErrors{{Field: "role", Code: "err.choice"}}
	}
	n, err := s.tell(ctx, event{kind: NoteRotaAssigned, item: it, by: by}, m.ID)
	if err != nil {
		return err
	}
	_, err = s.store.JoinAction(ctx, it.ID, slotID, m.ID, s.now(), n)
	var c *Clash
	switch {
	case errors.As(err, &c):
		return clashProblem(err)
	case errors.Is(err, ErrConflict):
		return problem(ErrConflict, "rota.already_on", m.DisplayName)
	case err != nil:
		return err
	}
	s.log.Info("rota changed", "action", it.ID, "slot", slotID, "member", m.Handle, "by", by.Handle)
	return nil
}
