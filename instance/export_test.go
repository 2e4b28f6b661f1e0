package instance

import "context"

// ComposeMail lets tests queue a notification email the way the
// notification code does.
func (s *Service) ComposeMail(ctx context.Context, m *Member, kind NoticeKind, c MailContent) (*Mail, error) {
	return s.composeMail(ctx, m, kind, c)
}
