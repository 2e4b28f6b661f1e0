package instance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"
)

// MailText is one paragraph of an email: a catalogue key and its
// arguments, written in the recipient's language.
type MailText struct {
	Key  string
	Args []any
}

// Say builds a MailText.
func Say(key string, args ...any) MailText { return MailText{Key: key, Args: args} }

// MailContent is what an email says. Emails never carry private details
// (an address, a phone number, a private message): they say what
// happened and link to the page, where the member signs in to see more.
type MailContent struct {
	Subject MailText
	Before  []MailText
	// Link is a path on this site ("/needs/12") or a whole URL, shown as
	// a link with the words of LinkText.
	Link     string
	LinkText MailText
	// Sections are lists of links (a digest's new posts).
	Sections []MailSection
	After    []MailText
}

// MailSection is a titled list of links in an email.
type MailSection struct {
	Title MailText
	Items []MailLink
}

// MailLink is one line of a section: its words and where it goes (a path
// on this site).
type MailLink struct {
	Text MailText
	Link string
}

// composeMail writes an email to a member in their language, or returns
// nil when none must be sent: email is off, the member has no address,
// or (for a notification kind) they did not choose "at once" for it.
// Transactional mail (kind "") is always written and has no unsubscribe
// link. The caller passes the result to the store in the transaction of
// the change it is about (ItemChange.Mail and the like).
func (s *Service) composeMail(ctx context.Context, m *Member, kind NoticeKind, c MailContent) (*Mail, error) {
	if s.mailer == nil || m == nil || m.Email == "" {
		return nil, nil
	}
	if kind != "" {
		f, err := s.frequencyFor(ctx, m.ID, kind)
		if err != nil {
			return nil, err
		}
		if f != FreqNow {
			return nil, nil
		}
	}
	return s.writeMail(ctx, m, kind, c)
}

// writeMail writes an email to a member whatever their choices (the
// caller checked them: a digest, an announcement), with the unsubscribe
// link of kind ("" for transactional mail).
func (s *Service) writeMail(ctx context.Context, m *Member, kind NoticeKind, c MailContent) (*Mail, error) {
	if s.mailer == nil || m == nil || m.Email == "" {
		return nil, nil
	}
	out := &Mail{MemberID: m.ID, To: m.Email, Kind: kind, Lang: m.Language, MessageID: "<" + RandomToken(16) + "@" + s.mailDomain() + ">"}
	if out.Lang == "" {
		out.Lang = s.lang
	}
	if kind != "" {
		var err error
		if out.Unsubscribe, err = s.unsubscribeURL(ctx, m.ID, kind); err != nil {
			return nil, err
		}
	}
	tr := func(t MailText) string { return s.tr(out.Lang, t.Key, t.Args...) }
	v := mailView{Lang: out.Lang, Subject: tr(c.Subject)}
	for _, p := range c.Before {
		v.Before = append(v.Before, tr(p))
	}
	if c.Link != "" {
		v.Link = c.Link
		if strings.HasPrefix(v.Link, "/") {
			v.Link = s.baseURL + v.Link
		}
		v.LinkText = tr(c.LinkText)
	}
	for _, sec := range c.Sections {
		vs := mailViewSection{Title: tr(sec.Title)}
		for _, it := range sec.Items {
			link := it.Link
			if strings.HasPrefix(link, "/") {
				link = s.baseURL + link
			}
			vs.Items = append(vs.Items, mailViewLink{Text: tr(it.Text), Link: link})
		}
		v.Sections = append(v.Sections, vs)
	}
	for _, p := range c.After {
		v.After = append(v.After, tr(p))
	}
	if kind != "" {
		v.Footer = []string{
			s.tr(out.Lang, "mail.footer_kind", s.tr(out.Lang, "prefs.kind."+string(kind))),
			s.tr(out.Lang, "mail.footer_prefs"),
		}
		v.PrefsURL = s.baseURL + "/settings/notifications"
		v.UnsubscribeText, v.UnsubscribeURL = s.tr(out.Lang, "mail.footer_unsubscribe"), out.Unsubscribe
	}
	v.Site = s.tr(out.Lang, "mail.footer_site", s.site, s.baseURL)
	out.Subject = v.Subject
	out.Text = v.text()
	var buf bytes.Buffer
	if err := mailHTML.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("instance: mail html: %w", err)
	}
	out.HTML = buf.String()
	return out, nil
}

// mailDomain is the host of the instance, for Message-IDs.
func (s *Service) mailDomain() string {
	if u, err := url.Parse(s.baseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "hearth.invalid"
}

type mailView struct {
	Lang, Subject                   string
	Before, After                   []string
	Link, LinkText                  string
	Sections                        []mailViewSection
	Footer                          []string
	PrefsURL                        string
	UnsubscribeText, UnsubscribeURL string
	Site                            string
}

type mailViewSection struct {
	Title string
	Items []mailViewLink
}

type mailViewLink struct{ Text, Link string }

// text is the plain-text part: paragraphs, the link on a line of its own,
// and the footer after the usual "-- " line.
func (v *mailView) text() string {
	var b strings.Builder
	for _, p := range v.Before {
		b.WriteString(p + "\n\n")
	}
	if v.Link != "" {
		b.WriteString(v.LinkText + "\n" + v.Link + "\n\n")
	}
	for _, sec := range v.Sections {
		b.WriteString(sec.Title + "\n\n")
		for _, it := range sec.Items {
			b.WriteString("- " + it.Text + "\n  " + it.Link + "\n")
		}
		b.WriteString("\n")
	}
	for _, p := range v.After {
		b.WriteString(p + "\n\n")
	}
	b.WriteString("-- \n")
	for _, f := range v.Footer {
		b.WriteString(f + "\n")
	}
	if v.PrefsURL != "" {
		b.WriteString(v.PrefsURL + "\n")
		b.WriteString(v.UnsubscribeText + "\n" + v.UnsubscribeURL + "\n")
	}
	b.WriteString(v.Site + "\n")
	return b.String()
}

// mailHTML is the HTML part: plain, readable at any size, one column,
// real text (no images, no tracking pixels, no remote resources), the
// link's words saying where it goes, and the same content as the text.
var mailHTML = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:16px;background:#ffffff;color:#1a1a1a;font-family:Arial,Helvetica,sans-serif;font-size:18px;line-height:1.5">
<div style="max-width:36em">
{{- range .Before}}
<p>{{.}}</p>
{{- end}}
{{- if .Link}}
<p><a href="{{.Link}}" style="color:#0b4f9c;font-weight:bold;text-decoration:underline">{{.LinkText}}</a></p>
<p style="font-size:15px;color:#404040;word-break:break-all">{{.Link}}</p>
{{- end}}
{{- range .Sections}}
<h2 style="font-size:20px;margin:24px 0 8px">{{.Title}}</h2>
<ul style="padding-left:20px">
{{- range .Items}}
<li style="margin:0 0 8px"><a href="{{.Link}}" style="color:#0b4f9c;text-decoration:underline">{{.Text}}</a></li>
{{- end}}
</ul>
{{- end}}
{{- range .After}}
<p>{{.}}</p>
{{- end}}
<hr style="border:0;border-top:1px solid #767676;margin:24px 0">
<div style="font-size:15px;color:#404040">
{{- range .Footer}}
<p>{{.}}</p>
{{- end}}
{{- if .PrefsURL}}
<p><a href="{{.PrefsURL}}" style="color:#0b4f9c">{{.PrefsURL}}</a></p>
<p><a href="{{.UnsubscribeURL}}" style="color:#0b4f9c">{{.UnsubscribeText}}</a></p>
{{- end}}
<p>{{.Site}}</p>
</div>
</div>
</body>
</html>
`))

// EmailProblem returns why mail to the member's address stopped (the
// relay refused it for good), or nil when it works as far as we know.
func (s *Service) EmailProblem(ctx context.Context, m *Member) (*Bounce, error) {
	if m == nil || m.Email == "" {
		return nil, nil
	}
	b, err := s.store.BounceFor(ctx, m.Email)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return b, err
}

// RetryEmail is the member's "my address works again": the bouncing mark
// goes and a confirmation link is queued to it. Confirming proves the
// address; if it bounces again, the mark comes back.
func (s *Service) RetryEmail(ctx context.Context, m *Member) error {
	if !m.Has(RoleMember) || m.Email == "" {
		return ErrForbidden
	}
	if s.mailer == nil {
		return problem(ErrConflict, "email.off")
	}
	if err := s.store.ClearBounce(ctx, m.Email); err != nil {
		return fmt.Errorf("instance: clear bounce of member %d: %w", m.ID, err)
	}
	s.log.Info("member asked to try their email address again", "member", m.Handle)
	return s.sendConfirmation(ctx, m)
}

// SweepMail forgets the texts of finished mail after 30 days (the queue
// keeps no copy of people's email for ever) and password resets a day
// after they ran out.
func (s *Service) SweepMail(ctx context.Context) error {
	now := s.now()
	if _, err := s.store.PurgeMail(ctx, now.Add(-30*24*time.Hour)); err != nil {
		return err
	}
	_, err := s.store.PurgePasswordResets(ctx, now.Add(-24*time.Hour))
	return err
}

// SendTestEmail queues a test email to an admin's own address, through
// the queue every email takes (the first-run checklist ticks "email"
// once the relay accepts one).
func (s *Service) SendTestEmail(ctx context.Context, by *Member) error {
	if !by.IsAdmin() {
		return ErrForbidden
	}
	if s.mailer == nil {
		return problem(ErrConflict, "email.off")
	}
	if by.Email == "" {
		return problem(ErrConflict, "email.no_address")
	}
	mail, err := s.writeMail(ctx, by, "", MailContent{Subject: Say("mail.test_subject", s.site),
		Before: []MailText{Say("mail.hello", by.DisplayName), Say("mail.test_body")}})
	if err != nil {
		return err
	}
	if err := s.store.EnqueueMail(ctx, []Mail{*mail}, s.now()); err != nil {
		return fmt.Errorf("instance: test email to member %d: %w", by.ID, err)
	}
	s.log.Info("test email queued", "member", by.Handle)
	return nil
}

// MailRelay names the relay mail goes through ("" when email is off), for
// the admin's page.
func (s *Service) MailRelay(_ context.Context, by *Member) (string, error) {
	if by == nil || !by.IsAdmin() {
		return "", ErrForbidden
	}
	if st, ok := s.mailer.(fmt.Stringer); ok {
		return st.String(), nil
	}
	return "", nil
}
