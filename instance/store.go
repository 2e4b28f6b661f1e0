package instance

import (
	"context"
	"time"
)

// Store is the persistence the domain needs. instance/store implements it
// on SQLite. Methods that change state do so in one transaction and check
// the current state in the same statement, so two requests racing each
// other cannot both win.
type Store interface {
	// CreateMember inserts a member (and their roles) and joins them to the
	// main group when they are active. A non-empty invite code is consumed
	// in the same transaction; an unknown, used or expired code gives a
	// *Problem. A taken handle or email gives a *FieldError.
	CreateMember(ctx context.Context, m *Member, inviteCode string, now time.Time) (int64, error)
	MemberByID(ctx context.Context, id int64) (*Member, error)
	MemberByHandle(ctx context.Context, handle string) (*Member, error)
	// MemberByLogin finds a member by handle or email (case-insensitive).
	MemberByLogin(ctx context.Context, login string) (*Member, error)
	ListMembers(ctx context.Context, status Status) ([]*Member, error)
	CountMembers(ctx context.Context, status Status) (int, error)
	UpdateProfile(ctx context.Context, id int64, p Profile) error
	// SetPassword stores a new hash and ends every session of the member.
	SetPassword(ctx context.Context, id int64, hash string) error
	SetRoles(ctx context.Context, id int64, roles []Role) error
	// SetStatus moves a member from one of the statuses in from to to; any
	// other current status gives ErrConflict. Leaving StatusActive ends every
	// session; becoming active joins the main group.
	SetStatus(ctx context.Context, id int64, from []Status, to Status) error

	CreateSession(ctx context.Context, tokenHash string, memberID int64, now, expires time.Time) error
	// SessionMember returns the active member behind a live session.
	SessionMember(ctx context.Context, tokenHash string, now time.Time) (*Member, error)
	DeleteSession(ctx context.Context, tokenHash string) error

	CreateInvite(ctx context.Context, inv *Invite) error
	ListInvites(ctx context.Context, now time.Time) ([]*Invite, error)
	InviteByCode(ctx context.Context, code string) (*Invite, error)

	// CreateGroup inserts a group; a taken handle gives a *FieldError.
	CreateGroup(ctx context.Context, g *Group) (int64, error)
	GroupByHandle(ctx context.Context, handle string) (*Group, error)
	ListGroups(ctx context.Context) ([]*Group, error)
	UpdateGroup(ctx context.Context, id int64, in GroupInput) error
	JoinGroup(ctx context.Context, groupID, memberID int64, now time.Time) error
	LeaveGroup(ctx context.Context, groupID, memberID int64) error
	IsGroupMember(ctx context.Context, groupID, memberID int64) (bool, error)
	GroupMembers(ctx context.Context, groupID int64) ([]*Member, error)
	MemberGroups(ctx context.Context, memberID int64) ([]*Group, error)
}

// Invite is a single-use link that lets one person join when registration
// is by invitation.
type Invite struct {
	Code      string
	CreatedBy int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedBy    int64 // 0 while unused
	UsedAt    time.Time
	Note      string // who it is for, for the coordinator's memory
}

// Usable reports whether the invite can still be used at now.
func (i *Invite) Usable(now time.Time) bool {
	return i.UsedBy == 0 && now.Before(i.ExpiresAt)
}
