package instance

import (
	_ "embed" // the list of common passwords
	"slices"
	"strings"
	"sync"
	"time"
)

// Role is one thing a member may do. A member holds a set of roles; every
// active member implicitly holds RoleMember.
type Role string

// The roles, from least to most trusted. Safeguarding lead is separate from
// coordinator on purpose: welfare concerns go only to safeguarding leads.
const (
	RoleMember           Role = "member"
	RoleHelper           Role = "helper"
	RoleVerifiedHelper   Role = "verified_helper"
	RoleCoordinator      Role = "coordinator"
	RoleSafeguardingLead Role = "safeguarding_lead"
	RoleAdmin            Role = "admin"
)

// AllRoles lists the roles in display order.
var AllRoles = []Role{RoleMember, RoleHelper, RoleVerifiedHelper, RoleCoordinator, RoleSafeguardingLead, RoleAdmin}

// ParseRole accepts a role name as typed by a person ("verified helper",
// "Verified-Helper" and "verified_helper" are the same).
func ParseRole(s string) (Role, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "_", "-", "_").Replace(s)
	for _, r := range AllRoles {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// Status is where a member is in their life cycle.
type Status string

// Member statuses: applied (pending) → approved (active) → suspended/removed;
// a rejected application stays visible to the applicant.
const (
	StatusPending   Status = "pending"
	StatusActive    Status = "active"
	StatusRejected  Status = "rejected"
	StatusSuspended Status = "suspended"
)

// ContactPreference is how a member would like to be reached by a helper or
// coordinator.
type ContactPreference string

// Contact preferences.
const (
	ContactSite  ContactPreference = "site"
	ContactEmail ContactPreference = "email"
	ContactPhone ContactPreference = "phone"
)

// Member is a person with an account on this instance.
type Member struct {
	ID                int64
	Handle            string
	DisplayName       string
	Email             string
	Pronouns          string
	Language          string
	ContactPreference ContactPreference
	Phone             string
	Roles             []Role
	Status            Status
	ApplicationAnswer string
	// HelperFriend members may post and manage needs on behalf of a
	// neighbour who has no account (coordinators always may).
	HelperFriend      bool
	OnBreak           bool // "taking a break": not offered needs to help with
	EmailConfirmed    bool
	ConductAcceptedAt time.Time
	ConductVersion    string
	CreatedAt         time.Time
	PasswordHash      string

	// operator marks the identity of whoever runs the instance at the
	// command line. Only Operator sets it: a Member built anywhere else,
	// or a nil one, is never the operator.
	operator bool
}

// Operator is the identity of whoever runs the instance, for the admin
// command line: it holds the coordinator's and the admin's powers (and no
// member's: it cannot post, reply or read safeguarding concerns). Only
// cmd/hearth asks for it; a missing member (nil) is a visitor and is
// refused, never taken for the operator.
func Operator() *Member {
	return &Member{Handle: "operator", DisplayName: "Operator", Status: StatusActive, operator: true}
}

// IsOperator reports whether m is the Operator identity.
func (m *Member) IsOperator() bool { return m != nil && m.operator }

// Has reports whether the member holds a role. Higher roles include the
// powers of lower ones where that is safe: admin includes coordinator;
// verified helper includes helper. Safeguarding lead is never implied.
func (m *Member) Has(r Role) bool {
	if m == nil || m.Status != StatusActive {
		return false
	}
	if m.operator {
		return r == RoleCoordinator || r == RoleAdmin
	}
	if r == RoleMember {
		return true
	}
	if slices.Contains(m.Roles, r) {
		return true
	}
	switch r {
	case RoleCoordinator:
		return slices.Contains(m.Roles, RoleAdmin)
	case RoleHelper:
		return slices.Contains(m.Roles, RoleVerifiedHelper)
	}
	return false
}

// IsCoordinator is true for coordinators and admins.
func (m *Member) IsCoordinator() bool { return m.Has(RoleCoordinator) }

// CanPostOnBehalf is true for coordinators and helper-friends.
func (m *Member) CanPostOnBehalf() bool {
	return m.IsCoordinator() || (m.Has(RoleMember) && m.HelperFriend)
}

// IsAdmin is true for admins.
func (m *Member) IsAdmin() bool { return m.Has(RoleAdmin) }

// Limits on member fields, in characters.
const (
	MaxDisplayName = 60
	MaxPronouns    = 30
	MaxAnswer      = 2000
	MaxPhone       = 30
	MinPassword    = 12
	MaxPassword    = 256
)

// Profile is what a member can change about themselves.
type Profile struct {
	DisplayName       string
	Pronouns          string
	Language          string
	ContactPreference string
	Phone             string
}

// Languages the UI is offered in. A translation is a file in
// web/messages; this list is what the profile form accepts.
var Languages = []string{"en", "fr"}

func (p *Profile) clean() error {
	var v ValidationErrors
	var fe *FieldError
	p.DisplayName, fe = cleanText(p.DisplayName, textRule{field: "display_name", required: true, max: MaxDisplayName, name: true})
	v.add(fe)
	p.Pronouns, fe = cleanText(p.Pronouns, textRule{field: "pronouns", max: MaxPronouns, name: true})
	v.add(fe)
	if p.Language == "" {
		p.Language = "en"
	}
	if !slices.Contains(Languages, p.Language) {
		v.add(&FieldError{Field: "language", Code: "err.choice"})
	}
	switch ContactPreference(p.ContactPreference) {
	case "":
		p.ContactPreference = string(ContactSite)
	case ContactSite, ContactEmail, ContactPhone:
	default:
		v.add(&FieldError{Field: "contact_preference", Code: "err.choice"})
	}
	p.Phone, fe = cleanText(p.Phone, textRule{field: "phone", max: MaxPhone})
	v.add(fe)
	if fe == nil && p.Phone != "" && strings.Trim(p.Phone, "0123456789+()- ") != "" {
		v.add(&FieldError{Field: "phone", Code: "err.phone_format"})
	}
	if fe == nil && p.Phone == "" && p.ContactPreference == string(ContactPhone) {
		v.add(&FieldError{Field: "phone", Code: "err.phone_needed"})
	}
	return v.err()
}

// checkPassword enforces the rules for a new password: at least
// MinPassword characters, and not one of the most common passwords (in
// any case). Existing passwords are never re-checked, so a member whose
// password met older rules still signs in.
func checkPassword(field, pw string) *FieldError {
	n := len([]rune(pw))
	switch {
	case pw == "":
		return &FieldError{Field: field, Code: "err.required"}
	case n < MinPassword:
		return &FieldError{Field: field, Code: "err.password_short", Args: []any{MinPassword}}
	case n > MaxPassword:
		return &FieldError{Field: field, Code: "err.too_long", Args: []any{MaxPassword, n}}
	case commonPasswords()[strings.ToLower(pw)]:
		return &FieldError{Field: field, Code: "err.password_common"}
	}
	return nil
}

//go:embed common-passwords.txt
var commonPasswordsFile string

// commonPasswords is the embedded list as a set, read once.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsFile, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			set[strings.ToLower(line)] = true
		}
	}
	return set
})
