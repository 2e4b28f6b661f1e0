package instance

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

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
	// Avatar and Header are the group's images (nil: none).
	Avatar, Header *GroupImage
	// Fields are the profile's label and value pairs ("Website"), at
	// most MaxGroupFields.
	Fields []ProfileField
	// VotesByCoordinators keeps polls and proposals in the group to its
	// coordinators (see Service.MayStartVote).
	VotesByCoordinators bool
}

// GroupImage is one of a group's images, as stored.
type GroupImage struct {
	Hash        string // hex SHA-256 of the bytes: the URL names it
	ContentType string
	Alt         string // the text for people who cannot see it
}

// Path is where the image is served; its content hash makes the URL
// change whenever the image does.
func (i *GroupImage) Path() string {
	ext := ".jpg"
	if i.ContentType == "image/png" {
		ext = ".png"
	}
	return "/media/" + i.Hash + ext
}

// ProfileField is one line of a group's profile ("Village": "Little
// Snoring"), federated as a PropertyValue.
type ProfileField struct {
	Name  string
	Value string
}

// URL returns the value as a web address when it is one (http or https,
// with a host), for a link; "" otherwise.
func (f ProfileField) URL() string {
	if !strings.HasPrefix(f.Value, "https://") && !strings.HasPrefix(f.Value, "http://") || strings.ContainsAny(f.Value, " \t\n\"<>") {
		return ""
	}
	u, err := url.Parse(f.Value)
	if err != nil || u.Host == "" || u.User != nil {
		return ""
	}
	return u.String()
}

// Limits on group fields, in characters.
const (
	MaxGroupName        = 80
	MaxGroupDescription = 2000
	MaxGroupRules       = 4000
	MaxGroupFields      = 4
	MaxFieldName        = 60
	MaxFieldValue       = 255
)

// GroupInput is the form for creating or editing a group.
type GroupInput struct {
	Handle      string
	Name        string
	Description string
	Rules       string
	// Fields are the profile fields as typed, one per line of the form
	// (empty lines are dropped).
	Fields []ProfileField
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
	g.Fields = cleanFields(&v, g.Fields)
	return v.err()
}

// cleanFields checks the profile fields: a line is empty, or has both a
// label and a value; at most MaxGroupFields lines. Errors name the line's
// form fields (field_name_1, field_value_1…).
func cleanFields(v *ValidationErrors, in []ProfileField) []ProfileField {
	var out []ProfileField
	for i, f := range in {
		n := i + 1
		if i >= MaxGroupFields {
			if strings.TrimSpace(f.Name+f.Value) != "" {
				v.add(&FieldError{Field: fmt.Sprintf("field_name_%d", n), Code: "err.too_many_fields", Args: []any{MaxGroupFields}})
			}
			continue
		}
		nameField, valueField := fmt.Sprintf("field_name_%d", n), fmt.Sprintf("field_value_%d", n)
		name, fe := cleanText(f.Name, textRule{field: nameField, max: MaxFieldName, name: true})
		v.add(fe)
		value, fe2 := cleanText(f.Value, textRule{field: valueField, max: MaxFieldValue})
		v.add(fe2)
		if fe != nil || fe2 != nil {
			continue
		}
		switch {
		case name == "" && value == "":
			continue
		case name == "":
			v.add(&FieldError{Field: nameField, Code: "err.field_name_required"})
			continue
		case value == "":
			v.add(&FieldError{Field: valueField, Code: "err.field_value_required"})
			continue
		}
		out = append(out, ProfileField{Name: name, Value: value})
	}
	return out
}
