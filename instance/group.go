package instance

import "time"

// Group is a followable community space: the village itself, or a working
// group such as "Lunch club". Its handle is unique across groups and members
// on this instance, because both become @handle@host on the fediverse, and
// /groups/{handle} serves its page (and later its ActivityPub actor).
type Group struct {
	ID          int64
	Handle      string
	Name        string
	Description string
	Rules       string
	Main        bool // the village group named in the config
	CreatedAt   time.Time
	MemberCount int
}

// Limits on group fields, in characters.
const (
	MaxGroupName        = 80
	MaxGroupDescription = 2000
	MaxGroupRules       = 4000
)

// GroupInput is the form for creating or editing a group.
type GroupInput struct {
	Handle      string
	Name        string
	Description string
	Rules       string
}

func (g *GroupInput) clean() error {
	var v ValidationErrors
	var fe *FieldError
	g.Handle, fe = CheckHandle("handle", g.Handle)
	v.add(fe)
	g.Name, fe = cleanText(g.Name, textRule{field: "name", required: true, max: MaxGroupName, name: true})
	v.add(fe)
	g.Description, fe = cleanText(g.Description, textRule{field: "description", max: MaxGroupDescription, multiline: true})
	v.add(fe)
	g.Rules, fe = cleanText(g.Rules, textRule{field: "rules", max: MaxGroupRules, multiline: true})
	v.add(fe)
	return v.err()
}
