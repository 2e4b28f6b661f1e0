package instance

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textRule says how one text field is checked.
type textRule struct {
	field     string
	required  bool
	max       int  // in characters (runes)
	multiline bool // allows \n and \t
	name      bool // a person's or group's name: no bidi controls at all
}

// bidiControl reports the explicit directional formatting characters that
// can reorder the text around a name (the "RTL override" trick, U+202A–202E
// and U+2066–2069).
func bidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// cleanText normalises line endings and trims surrounding space, then checks
// the rule. It returns the cleaned value and the first problem found.
func cleanText(value string, rule textRule) (string, *FieldError) {
	if !utf8.ValidString(value) {
		return "", &FieldError{Field: rule.field, Code: "err.invalid_utf8"}
	}
	value = strings.ReplaceAll(value, "\r\n", "\n")
	value = strings.TrimSpace(value)
	if value == "" {
		if rule.required {
			return "", &FieldError{Field: rule.field, Code: "err.required"}
		}
		return "", nil
	}
	for _, r := range value {
		switch {
		case rule.multiline && (r == '\n' || r == '\t'):
		case bidiControl(r):
			if rule.name || !rule.multiline {
				return "", &FieldError{Field: rule.field, Code: "err.bidi"}
			}
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return "", &FieldError{Field: rule.field, Code: "err.control_chars"}
		}
	}
	if n := utf8.RuneCountInString(value); rule.max > 0 && n > rule.max {
		return "", &FieldError{Field: rule.field, Code: "err.too_long", Args: []any{rule.max, n}}
	}
	return value, nil
}

// handlePattern is the rule for group and member handles: lowercase letters,
// digits and underscores, with single dots or hyphens between them. It is
// also what WebFinger and the URL scheme /groups/{handle} rely on.
var handlePattern = regexp.MustCompile(`^[a-z0-9_]+([.-][a-z0-9_]+)*$`)

// MaxHandle is the longest handle allowed (Mastodon shows up to 30).
const MaxHandle = 30

// reservedHandles cannot be taken by members or groups: they name the
// instance actor, well-known mailboxes, or could confuse people.
var reservedHandles = map[string]bool{
	"instance": true, "actor": true, "hearth": true, "system": true, "root": true,
	"abuse": true, "postmaster": true, "webmaster": true, "security": true,
	"support": true, "moderator": true, "moderators": true, "coordinator": true,
	"api": true, "static": true, "groups": true, "members": true, "inbox": true,
	"well-known": true, "nodeinfo": true, "null": true, "undefined": true,
}

// CheckHandle validates a handle (already lower-cased by the caller).
func CheckHandle(field, handle string) (string, *FieldError) {
	handle = strings.ToLower(strings.TrimSpace(handle))
	if !utf8.ValidString(handle) {
		return "", &FieldError{Field: field, Code: "err.invalid_utf8"}
	}
	switch {
	case handle == "":
		return "", &FieldError{Field: field, Code: "err.required"}
	case utf8.RuneCountInString(handle) > MaxHandle:
		return "", &FieldError{Field: field, Code: "err.too_long", Args: []any{MaxHandle, utf8.RuneCountInString(handle)}}
	case !handlePattern.MatchString(handle):
		return "", &FieldError{Field: field, Code: "err.handle_format"}
	case reservedHandles[handle]:
		return "", &FieldError{Field: field, Code: "err.handle_reserved"}
	}
	return handle, nil
}

// emailPattern is deliberately loose: one @, something on both sides, a dot
// in the domain, no spaces. Real checking is a confirmation email.
var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// CheckEmail validates and lower-cases an email address. Empty is allowed
// when required is false.
func CheckEmail(field, email string, required bool) (string, *FieldError) {
	email, fe := cleanText(email, textRule{field: field, required: required, max: 254})
	if fe != nil || email == "" {
		return email, fe
	}
	if !emailPattern.MatchString(email) {
		return "", &FieldError{Field: field, Code: "err.email_format"}
	}
	return strings.ToLower(email), nil
}
