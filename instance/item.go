package instance

import (
	"strconv"

	"hearth/instance/repeat"
	"strings"
	"time"
)

// Kind is what sort of item a post is.
type Kind string

// The three kinds of item.
const (
	KindNeed   Kind = "need"
	KindOffer  Kind = "offer"
	KindAction Kind = "action"
)

// Kinds lists the kinds in display order.
var Kinds = []Kind{KindNeed, KindOffer, KindAction}

// Visibility says who sees an item.
type Visibility string

// Visibilities: public (on the open web and federated to followers as
// public), followers (members here and the groups' followers), village
// (members of this instance only; never leaves it).
const (
	VisibilityPublic    Visibility = "public"
	VisibilityFollowers Visibility = "followers"
	VisibilityVillage   Visibility = "village"
)

// Visibilities lists them in display order: from the fewest people to
// everyone.
var Visibilities = []Visibility{VisibilityVillage, VisibilityFollowers, VisibilityPublic}

// ItemState is where an item is in its life cycle.
type ItemState string

// Need: open → claimed → done, or closed; unclaim returns to open.
// Offer: open → taken → closed. Action: scheduled → cancelled (it has
// "happened" once its end time has passed).
const (
	StateOpen      ItemState = "open"
	StateClaimed   ItemState = "claimed"
	StateDone      ItemState = "done"
	StateClosed    ItemState = "closed"
	StateTaken     ItemState = "taken"
	StateScheduled ItemState = "scheduled"
	StateCancelled ItemState = "cancelled"
)

// Category is one of the instance's configured categories. Sensitive ones
// (entering homes, personal care, money, children) can only be claimed by
// verified helpers.
type Category struct {
	// Name is the category as posts store it, in the instance's language.
	Name      string
	Sensitive bool
	// Names are its names in other languages, by language code ("fr").
	Names map[string]string
	// OverflowAfter is how long a need of this category waits for an
	// offer of help before it is offered to neighbouring villages (0:
	// [overflow] after_hours).
	OverflowAfter time.Duration
}

// Label is the category's name in lang, or Name when it has none there.
func (c Category) Label(lang string) string {
	if n := c.Names[lang]; n != "" {
		return n
	}
	return c.Name
}

// DefaultCategories is the starter list used when the config has none.
var DefaultCategories = []Category{
	{Name: "shopping", Names: map[string]string{"fr": "courses"}}, {Name: "prescriptions", Names: map[string]string{"fr": "ordonnances"}},
	{Name: "lifts", Names: map[string]string{"fr": "trajets en voiture"}}, {Name: "befriending", Names: map[string]string{"fr": "compagnie"}},
	{Name: "DIY", Names: map[string]string{"fr": "bricolage"}}, {Name: "lending", Names: map[string]string{"fr": "prêt"}},
	{Name: "food", Names: map[string]string{"fr": "repas"}}, {Name: "dog walking", Names: map[string]string{"fr": "promenade de chiens"}},
	{Name: "personal care", Sensitive: true, Names: map[string]string{"fr": "soins personnels"}},
	{Name: "money", Sensitive: true, Names: map[string]string{"fr": "argent"}},
	{Name: "children", Sensitive: true, Names: map[string]string{"fr": "enfants"}},
}

// Slot is a role within an action ("drivers", 2 places).
type Slot struct {
	ID       int64
	Name     string
	Capacity int
	Going    int
	Waiting  int
}

// Full reports whether the slot has no free place.
func (s Slot) Full() bool { return s.Going >= s.Capacity }

// Item is a need, an offer or an action.
type Item struct {
	ID           int64
	Kind         Kind
	GroupID      int64
	GroupHandle  string
	GroupName    string
	AuthorID     int64
	Author       string // display name
	AuthorHandle string
	// AuthorLanguage is the author's language: federated text is
	// written in it.
	AuthorLanguage string
	Title          string
	Description    string
	Category       string
	Area           string
	Visibility     Visibility
	State          ItemState
	StateReason    string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeletedAt      time.Time
	// Held items wait for a coordinator (they contained a filtered word);
	// hidden ones were taken down. Neither is listed or federated.
	Held         bool
	HiddenReason string

	// Needs. Address, Contact and the on-behalf details are private: see
	// Service.CanSeePrivate.
	NeededBy       time.Time
	ExpiresAt      time.Time
	Address        string
	Contact        string
	OnBehalfName   string
	OnBehalfPhone  string
	ClaimedBy      int64
	ClaimedByName  string
	ClaimExpiresAt time.Time
	RemindedAt     time.Time
	// DoneAt is when a need was done (or an offer given); Thanks is the requester's note to
	// the helper (ThankedAt zero until they said thank you).
	DoneAt    time.Time
	Thanks    string
	ThankedAt time.Time
	// OverflowConsent is the requester's yes to "Share with … if no one
	// here can help?"; OverflowedAt when the need was offered to
	// neighbouring villages. ClaimedRemote is the actor of a helper from
	// a neighbouring village the requester accepted (ClaimedBy is then 0).
	OverflowConsent   bool
	OverflowedAt      time.Time
	ClaimedRemote     string
	ClaimedRemoteName string

	// Offers.
	AvailableUntil time.Time
	TakenBy        int64
	TakenByName    string

	// Actions. Capacity 0 means no overall limit.
	StartsAt time.Time
	EndsAt   time.Time
	Place    string
	Capacity int
	Going    int
	Waiting  int
	Slots    []Slot
	// SeriesID is the series a repeating action's date belongs to (0: a
	// one-off action); OccursOn is the rule's date for it (YYYY-MM-DD),
	// kept when the date is moved. Quiet dates are not federated: other
	// servers see only a series' next date.
	SeriesID int64
	OccursOn string
	Quiet    bool
}

// OnBehalf reports whether the need was posted for a neighbour without an
// account.
func (i *Item) OnBehalf() bool { return i.OnBehalfName != "" }

// Deleted reports whether the item was removed (its URL answers 410).
func (i *Item) Deleted() bool { return !i.DeletedAt.IsZero() }

// Federates reports whether an item may be seen from other servers: a
// public or followers-only item that is live and neither held nor hidden.
// No other item is served to them, and one that was federated is
// retracted (Delete) when it stops federating.
func (i *Item) Federates() bool {
	return !i.Deleted() && i.Visibility != VisibilityVillage && !i.Held && i.HiddenReason == "" && !i.Quiet
}

// Full reports whether an action has no free place overall.
func (i *Item) Full() bool { return i.Capacity > 0 && i.Going >= i.Capacity }

// Happened reports whether an action has ended.
func (i *Item) Happened(now time.Time) bool { return !i.EndsAt.IsZero() && now.After(i.EndsAt) }

// Path is the item's page on this instance: /needs/1, /offers/2, /actions/3.
func (i *Item) Path() string { return "/" + string(i.Kind) + "s/" + strconv.FormatInt(i.ID, 10) }

// Limits on item fields, in characters.
const (
	MaxTitle       = 120
	MaxDescription = 5000
	MaxArea        = 80
	MaxPrivate     = 300
	MaxPlace       = 120
	MaxSlots       = 6
	MaxSlotName    = 60
	MaxCapacity    = 10000
	MaxResponse    = 3000
	MaxMessage     = 500
	MaxReason      = 300
)

// SlotInput is one role line of the action form.
type SlotInput struct {
	ID       int64 // an existing role being edited; 0 for a new one
	Name     string
	Capacity string
}

// ItemInput is the form for posting or editing an item. Dates and times
// are as typed into their boxes, in the instance's time zone.
type ItemInput struct {
	Kind        Kind
	Group       string // handle; empty means the main group
	Title       string
	Description string
	Category    string
	Area        string
	Visibility  string

	NeededBy      DateInput
	Address       string
	Contact       string
	OnBehalf      bool
	OnBehalfName  string
	OnBehalfPhone string
	// ShareNearby is the requester's answer to "Share with … if no one
	// here can help?" (needs only).
	ShareNearby bool

	AvailableUntil DateInput

	// EndDate may be left empty: the action ends the day it starts.
	StartDate, EndDate DateInput
	StartTime, EndTime TimeInput
	Place              string
	Capacity           string
	Slots              []SlotInput
	// Repeat makes a new action a series (editing, it is not read).
	Repeat RepeatInput
}

// itemFields is the cleaned, typed form.
type itemFields struct {
	title, description, category, area string
	visibility                         Visibility
	neededBy                           time.Time
	address, contact                   string
	onBehalfName, onBehalfPhone        string
	availableUntil                     time.Time
	startsAt, endsAt                   time.Time
	place                              string
	capacity                           int
	slots                              []Slot
	repeat                             *repeat.Rule
}

func parseCount(field, s string, min, max int, required bool) (int, *FieldError) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return 0, &FieldError{Field: field, Code: "err.required"}
		}
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, &FieldError{Field: field, Code: "err.number_range", Args: []any{min, max}}
	}
	return n, nil
}
