package instance

import (
	"context"
	"errors"
	"strings"
)

// Phone intake: a coordinator takes a need over the phone from someone
// with no account (and often no computer), as a need posted on their
// behalf, and reads back what was posted.

// MayTakeIntake reports whether by may take needs over the phone:
// coordinators, who answer the number on the noticeboard.
func (s *Service) MayTakeIntake(by *Member) error {
	if !by.IsCoordinator() {
		return ErrForbidden
	}
	return nil
}

// PhoneIntake posts a need taken over the phone, on behalf of the caller.
// Their phone number is required (it is how a helper is put in touch with
// someone who has no account) and, like their name and address, only the
// helper they accept and coordinators see it. Every problem with the form
// is reported at once, and nothing is posted.
func (s *Service) PhoneIntake(ctx context.Context, by *Member, in ItemInput) (*Item, error) {
	if err := s.MayTakeIntake(by); err != nil {
		return nil, err
	}
	in.Kind, in.OnBehalf = KindNeed, true
	if strings.TrimSpace(in.OnBehalfPhone) == "" {
		var v ValidationErrors
		if _, err := s.cleanItem(ctx, by, &in, nil); err != nil && !errors.As(err, &v) {
			return nil, err
		}
		return nil, append(v, &FieldError{Field: "on_behalf_phone", Code: "err.required"})
	}
	return s.CreateItem(ctx, by, in)
}
