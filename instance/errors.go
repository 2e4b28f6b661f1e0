package instance

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel domain errors. Surfaces (web, federation) map them to a status
// code in exactly one place each.
var (
	ErrNotFound  = errors.New("not found")
	ErrForbidden = errors.New("forbidden")
	ErrConflict  = errors.New("conflict")
	ErrInvalid   = errors.New("invalid input")
	// ErrThrottled means too many attempts; the caller should wait.
	ErrThrottled = errors.New("too many attempts")
	// ErrBusy means the server has too much to do at once (too many
	// passwords to check); the caller should try again in a minute.
	ErrBusy = errors.New("busy")
	// ErrBadCredentials is returned for a wrong handle/email or password,
	// without saying which.
	ErrBadCredentials = errors.New("bad credentials")
)

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// FieldError says what is wrong with one form field. Code is a key in the
// message catalogue (for example "err.required"); Args fill its placeholders.
type FieldError struct {
	Field string
	Code  string
	Args  []any
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s", e.Field, e.Code)
}

// Is makes errors.Is(err, ErrInvalid) true for every field error.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// ValidationErrors collects the problems of a whole form, in field order.
type ValidationErrors []*FieldError

func (v ValidationErrors) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (v ValidationErrors) Is(target error) bool { return target == ErrInvalid }

// add records a problem unless err is nil.
func (v *ValidationErrors) add(err *FieldError) {
	if err != nil {
		*v = append(*v, err)
	}
}

// err returns nil when there are no problems (so callers can `return v.err()`).
func (v ValidationErrors) err() error {
	if len(v) == 0 {
		return nil
	}
	return v
}

// Fields returns the problems as a map from field name to its first problem.
func Fields(err error) map[string]*FieldError {
	out := map[string]*FieldError{}
	var ve ValidationErrors
	var fe *FieldError
	switch {
	case errors.As(err, &ve):
		for _, e := range ve {
			if _, ok := out[e.Field]; !ok {
				out[e.Field] = e
			}
		}
	case errors.As(err, &fe):
		out[fe.Field] = fe
	}
	return out
}

// Problem is an error whose Code is a catalogue key safe to show to the user,
// for refusals that are not about one field (a full slot, a lapsed invite).
type Problem struct {
	Kind error // ErrForbidden, ErrConflict, ErrNotFound, ErrInvalid…
	Code string
	Args []any
}

func (p *Problem) Error() string { return p.Kind.Error() + ": " + p.Code }
func (p *Problem) Unwrap() error { return p.Kind }
func problem(kind error, code string, args ...any) *Problem {
	return &Problem{Kind: kind, Code: code, Args: args}
}
