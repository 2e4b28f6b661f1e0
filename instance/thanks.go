package instance

import (
	"context"
	"errors"
	"time"
)

// MaxThanks is the length of a thank-you note, in characters.
const MaxThanks = 500

// SayThanks records the requester's thank-you to the helper of a done
// need, with an optional short note, once; the helper is told (a
// NoteThanked notification, written in the same transaction, whose page
// text carries the note and whose email does not).
func (s *Service) SayThanks(ctx context.Context, by *Member, needID int64, note string) error {
	it, err := s.liveItem(ctx, needID)
	if err != nil {
		return err
	}
	if err := requireKind(it, KindNeed); err != nil {
		return err
	}
	if !by.Has(RoleMember) || by.ID != it.AuthorID {
		return ErrForbidden
	}
	if it.State != StateDone || it.ClaimedBy == 0 {
		return problem(ErrConflict, "need.not_done")
	}
	note, fe := cleanText(note, textRule{field: "thanks", max: MaxThanks, multiline: true})
	if fe != nil {
		return fe
	}
	tell, err := s.tell(ctx, event{kind: NoteThanked, item: it, by: by, detail: note}, it.ClaimedBy)
	if err != nil {
		return err
	}
	if err := s.store.Thank(ctx, it.ID, note, s.now(), tell); err != nil {
		if errors.Is(err, ErrConflict) {
			return problem(ErrConflict, "need.already_thanked")
		}
		return err
	}
	s.log.Info("thanks said", "need", it.ID, "by", by.Handle)
	return nil
}

// HelpedThisMonth counts the needs a viewer may see that were done since
// the start of this month in the instance's time zone, for "No open needs
// right now: 3 were helped this month".
func (s *Service) HelpedThisMonth(ctx context.Context, viewer *Member) (int, error) {
	now := s.now().In(s.loc)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.loc)
	return s.store.CountHelped(ctx, month, !viewer.Has(RoleMember))
}

// hideThanks keeps the thank-you note between the requester and the
// helper.
func hideThanks(viewer *Member, it *Item) {
	if viewer == nil || (viewer.ID != it.AuthorID && viewer.ID != it.ClaimedBy) {
		it.Thanks = ""
	}
}
