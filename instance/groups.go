package instance

import (
	"context"
	"errors"
)

// MayManageGroups says whether by may create and edit groups (the group
// forms ask before they are shown): coordinators and the Operator only.
func (s *Service) MayManageGroups(by *Member) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	return nil
}

// CreateGroup adds a working group. Coordinators (and the Operator) only.
// A creating member joins it.
func (s *Service) CreateGroup(ctx context.Context, by *Member, in GroupInput) (*Group, error) {
	if err := s.MayManageGroups(by); err != nil {
		return nil, err
	}
	if err := in.clean(); err != nil {
		return nil, err
	}
	g := &Group{Handle: in.Handle, Name: in.Name, Description: in.Description, Rules: in.Rules, CreatedAt: s.now()}
	id, err := s.store.CreateGroup(ctx, g)
	if err != nil {
		return nil, err
	}
	g.ID = id
	if !by.IsOperator() {
		if err := s.store.JoinGroup(ctx, id, by.ID, s.now()); err != nil {
			return nil, err
		}
	}
	s.log.Info("group created", "group", g.Handle, "by", actorName(by))
	return g, nil
}

// UpdateGroup edits a group's name, description, rules and profile
// fields (its handle is fixed: it is the group's address on the
// fediverse). The group's followers are sent the new profile
// (Update{Group}).
func (s *Service) UpdateGroup(ctx context.Context, by *Member, handle string, in GroupInput) error {
	if err := s.MayManageGroups(by); err != nil {
		return err
	}
	g, err := s.store.GroupByHandle(ctx, handle)
	if err != nil {
		return err
	}
	in.Handle = g.Handle
	if err := in.clean(); err != nil {
		return err
	}
	if sameProfile(g, in) {
		return nil // nothing to save, and no Update to send
	}
	if err := s.store.UpdateGroup(ctx, g.ID, in, s.now()); err != nil {
		return err
	}
	s.log.Info("group profile changed", "group", g.Handle, "by", actorName(by))
	return nil
}

// Group returns a group by handle.
func (s *Service) Group(ctx context.Context, handle string) (*Group, error) {
	h, fe := CheckHandle("handle", handle)
	if fe != nil {
		return nil, ErrNotFound
	}
	return s.store.GroupByHandle(ctx, h)
}

// Groups lists all groups, the main group first.
func (s *Service) Groups(ctx context.Context) ([]*Group, error) {
	return s.store.ListGroups(ctx)
}

// JoinGroup adds the member to a group.
func (s *Service) JoinGroup(ctx context.Context, m *Member, handle string) error {
	if !m.Has(RoleMember) {
		return ErrForbidden
	}
	g, err := s.Group(ctx, handle)
	if err != nil {
		return err
	}
	return s.store.JoinGroup(ctx, g.ID, m.ID, s.now())
}

// LeaveGroup removes the member from a group. Nobody leaves the main
// village group: it is the instance itself.
func (s *Service) LeaveGroup(ctx context.Context, m *Member, handle string) error {
	g, err := s.Group(ctx, handle)
	if err != nil {
		return err
	}
	if g.Main {
		return problem(ErrForbidden, "groups.cannot_leave_main")
	}
	return s.store.LeaveGroup(ctx, g.ID, m.ID)
}

// IsGroupMember reports whether m belongs to g.
func (s *Service) IsGroupMember(ctx context.Context, g *Group, m *Member) (bool, error) {
	if m == nil {
		return false, nil
	}
	ok, err := s.store.IsGroupMember(ctx, g.ID, m.ID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return ok, err
}

// GroupMembers lists a group's members, for members of the instance only.
func (s *Service) GroupMembers(ctx context.Context, by *Member, g *Group) ([]*Member, error) {
	if !by.Has(RoleMember) {
		return nil, ErrForbidden
	}
	return s.store.GroupMembers(ctx, g.ID)
}

// MemberGroups lists the groups a member belongs to.
func (s *Service) MemberGroups(ctx context.Context, m *Member) ([]*Group, error) {
	return s.store.MemberGroups(ctx, m.ID)
}
