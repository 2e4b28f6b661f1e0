package instance

import (
	"context"
	"fmt"
	"time"
)

// MemberExport is everything stored about one member (and only about
// them), for them to keep: "Download everything". The interface words it
// (a page to print, and the same as a file).
type MemberExport struct {
	Member *Member
	// Items are what they posted and have not deleted, with the private
	// details (which are theirs).
	Items            []*Item
	Replies          []ExportReply
	HelpOffers       []ExportInterest
	Actions          []ExportAttendance
	Notifications    []*Notification
	Groups           []ExportGroup
	Reports          []ExportReport
	Concerns         []ExportConcern
	Verifications    []*Verification
	NeighbourAnswers []ExportNeighbourAnswer
	EmailChoices     []NoticePref
	// PrivateMessages are what they wrote in needs' private threads;
	// Devices the phones and browsers they asked to be told on.
	PrivateMessages []ExportMessage
	Devices         []ExportDevice
	// What they decided with others: their votes in polls (each poll
	// once, with every option they chose), their answers to proposals,
	// the panels they volunteered for and the repeating actions they
	// keep a standing place on. Budget ballots are not here: they are
	// secret, unlinked from their voter when the round closes.
	PollVotes       []ExportPollVote
	ProposalAnswers []ExportProposalAnswer
	Panels          []ExportPanel
	StandingPlaces  []ExportStandingPlace
	// Whether their private calendar and Atom feed addresses exist (the
	// addresses themselves are keys, shown on their settings page).
	CalendarFeed, PrivateFeed bool
}

// ExportPollVote is the member's vote in one poll.
type ExportPollVote struct {
	PollTitle, PollPath string
	Options             []string
	CreatedAt           time.Time
}

// ExportProposalAnswer is the member's answer to a consent proposal.
type ExportProposalAnswer struct {
	ProposalTitle, ProposalPath string
	Answer                      Consent
	Reason                      string
	UpdatedAt                   time.Time
}

// ExportPanel is a panel the member volunteered for.
type ExportPanel struct {
	PanelTitle, PanelPath string
	Selected              bool
	CreatedAt             time.Time
}

// ExportStandingPlace is a standing place on a repeating action.
type ExportStandingPlace struct {
	ActionTitle, ActionPath string
	Role                    string // the role's name, or "" for none in particular
	CreatedAt               time.Time
}

// ExportMessage is a private message the member wrote on a need.
type ExportMessage struct {
	ItemTitle, ItemPath string
	Body                string
	CreatedAt           time.Time
}

// ExportDevice is a device that gets the member's notifications.
type ExportDevice struct {
	Device    string
	CreatedAt time.Time
}

// ExportReply is a reply the member wrote.
type ExportReply struct {
	ItemTitle, ItemPath string
	Body                string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// ExportInterest is an offer of help (on a need) or a request (for an
// offer) the member made.
type ExportInterest struct {
	ItemKind            Kind
	ItemTitle, ItemPath string
	Message             string
	Buddy               bool
	CreatedAt           time.Time
}

// ExportAttendance is an action the member joined.
type ExportAttendance struct {
	ItemTitle, ItemPath string
	Role                string // the role's name, or "" for none in particular
	Status              AttendStatus
	CreatedAt           time.Time
}

// ExportGroup is a group the member belongs to.
type ExportGroup struct {
	Name, Handle string
	JoinedAt     time.Time
}

// ExportReport is a report the member made.
type ExportReport struct {
	Subject, Category, Details, Status string
	CreatedAt                          time.Time
}

// ExportConcern is a welfare concern the member raised.
type ExportConcern struct {
	About, Details string
	CreatedAt      time.Time
}

// ExportNeighbourAnswer is an answer the member sent to another village's
// post.
type ExportNeighbourAnswer struct {
	PostTitle string
	Body      string
	CreatedAt time.Time
}

// Export returns everything stored about the member, for them to keep.
func (s *Service) Export(ctx context.Context, m *Member) (*MemberExport, error) {
	if !m.Has(RoleMember) {
		return nil, ErrForbidden
	}
	ex, err := s.store.ExportMember(ctx, m.ID)
	if err != nil {
		return nil, fmt.Errorf("instance: export member %d: %w", m.ID, err)
	}
	ex.Member.PasswordHash = "" // not for anyone's eyes, not even theirs
	if ex.EmailChoices, err = s.NoticePrefs(ctx, m); err != nil {
		return nil, err
	}
	return ex, nil
}
