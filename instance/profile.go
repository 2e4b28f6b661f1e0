package instance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"hearth/instance/media"
)

// A group's profile, as the fediverse sees it: its name, description and
// rules (GroupInput), its images and fields. Every change is written with
// a SubjectGroup federation event in the same transaction, so the group's
// followers get Update{Group} and their servers show the new profile.

// Media is an image stored for serving.
type Media struct {
	Hash        string
	ContentType string
	Width       int
	Height      int
	Data        []byte
	CreatedAt   time.Time
}

// ImageChange is what to do with one of a group's images: replace it
// (Media), remove it, or keep it; Alt is its text in every case.
type ImageChange struct {
	Media  *Media
	Remove bool
	Alt    string
}

// HostCount is how many of a group's followers one server has.
type HostCount struct {
	Host  string
	Count int
}

// FollowerStats is who follows a group from other servers, by server.
type FollowerStats struct {
	Total int
	Hosts []HostCount
}

// ProfileStore keeps group profiles.
type ProfileStore interface {
	// UpdateGroupImages applies both changes and records a SubjectGroup
	// event, in one transaction; images no group uses any more are
	// deleted with it.
	UpdateGroupImages(ctx context.Context, groupID int64, avatar, header ImageChange, now time.Time) error
	MediaByHash(ctx context.Context, hash string) (*Media, error)
	FollowerHosts(ctx context.Context, groupID int64) ([]HostCount, error)
}

// MaxImageBytes is the largest image file accepted.
const MaxImageBytes = media.MaxBytes

// MaxAlt is the longest alt text of an image (Mastodon's media
// descriptions go to 1500).
const MaxAlt = 1500

// GroupImagesInput is the images form: an uploaded file for each image
// (nil: none chosen), whether to remove it, and its alt text.
type GroupImagesInput struct {
	Avatar, Header             []byte
	RemoveAvatar, RemoveHeader bool
	AvatarAlt, HeaderAlt       string
}

// imageSlots bounds how many uploads are decoded at once: a decoded photo
// can take 160 MB, and a village server is small.
const imageSlots = 2

// UpdateGroupImages sets, replaces or removes a group's avatar and header
// and their alt texts. Coordinators only. Each upload is checked to be an
// image by decoding it (its header first, against decompression bombs),
// cropped, resized and re-encoded without metadata. An image needs its alt
// text. Any problem is a *FieldError beside its field, and then nothing is
// changed.
func (s *Service) UpdateGroupImages(ctx context.Context, by *Member, handle string, in GroupImagesInput) error {
	if err := s.MayManageGroups(by); err != nil {
		return err
	}
	g, err := s.Group(ctx, handle)
	if err != nil {
		return err
	}
	var v ValidationErrors
	avatar := s.imageChange(ctx, &v, "avatar", g.Avatar, in.Avatar, in.RemoveAvatar, in.AvatarAlt, media.Avatar)
	header := s.imageChange(ctx, &v, "header", g.Header, in.Header, in.RemoveHeader, in.HeaderAlt, media.Header)
	if err := v.err(); err != nil {
		return err
	}
	if !changes(g.Avatar, avatar) && !changes(g.Header, header) {
		return nil
	}
	if err := s.store.UpdateGroupImages(ctx, g.ID, avatar, header, s.now()); err != nil {
		return err
	}
	s.log.Info("group images changed", "group", g.Handle, "by", actorName(by))
	return nil
}

// imageChange checks one image of the form; problems are added to v.
func (s *Service) imageChange(ctx context.Context, v *ValidationErrors, field string, current *GroupImage, upload []byte, remove bool,
	alt string, shape media.Shape) ImageChange {
	altField := field + "_alt"
	alt, fe := cleanText(alt, textRule{field: altField, max: MaxAlt, multiline: true})
	v.add(fe)
	if remove && len(upload) == 0 {
		return ImageChange{Remove: true}
	}
	var ch ImageChange
	if len(upload) > 0 {
		img, err := s.processImage(ctx, upload, shape)
		switch {
		case errors.Is(err, media.ErrTooLarge):
			v.add(&FieldError{Field: field, Code: "err.image_too_large", Args: []any{media.MaxBytes >> 20}})
		case errors.Is(err, media.ErrTooManyPx):
			v.add(&FieldError{Field: field, Code: "err.image_too_many_pixels", Args: []any{media.MaxPixels / 1_000_000}})
		case errors.Is(err, media.ErrNotImage):
			v.add(&FieldError{Field: field, Code: "err.not_an_image"})
		case err != nil:
			v.add(&FieldError{Field: field, Code: "err.not_an_image"})
			s.log.Warn("image upload failed", "field", field, "err", err)
		default:
			ch.Media = &Media{Hash: img.Hash, ContentType: img.ContentType, Width: img.Width, Height: img.Height, Data: img.Data, CreatedAt: s.now()}
		}
	}
	switch {
	case alt != "" || fe != nil:
	case ch.Media != nil:
		// The browser forgets the chosen file when the form comes back.
		v.add(&FieldError{Field: altField, Code: "err.alt_required_upload"})
	case len(upload) == 0 && current != nil:
		v.add(&FieldError{Field: altField, Code: "err.alt_required"})
	}
	ch.Alt = alt
	return ch
}

// processImage runs media.Process, at most imageSlots at a time.
func (s *Service) processImage(ctx context.Context, data []byte, shape media.Shape) (*media.Image, error) {
	select {
	case s.images <- struct{}{}:
		defer func() { <-s.images }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return media.Process(data, shape)
}

// changes reports whether ch changes the image cur.
func changes(cur *GroupImage, ch ImageChange) bool {
	switch {
	case ch.Media != nil:
		return cur == nil || cur.Hash != ch.Media.Hash || cur.Alt != ch.Alt
	case ch.Remove:
		return cur != nil
	default:
		return cur != nil && cur.Alt != ch.Alt
	}
}

// Media returns a stored image by its hash, for serving: group images
// are public, as the groups are.
func (s *Service) Media(ctx context.Context, hash string) (*Media, error) {
	if len(hash) != 64 {
		return nil, ErrNotFound
	}
	return s.store.MediaByHash(ctx, hash)
}

// GroupFollowers says how many accounts on other servers follow a group,
// and from which servers. Coordinators only: a plain member sees the
// count in the fediverse, not the list.
func (s *Service) GroupFollowers(ctx context.Context, by *Member, g *Group) (*FollowerStats, error) {
	if !by.IsCoordinator() {
		return nil, ErrForbidden
	}
	hosts, err := s.store.FollowerHosts(ctx, g.ID)
	if err != nil {
		return nil, fmt.Errorf("instance: followers of %s: %w", g.Handle, err)
	}
	st := &FollowerStats{Hosts: hosts}
	for _, h := range hosts {
		st.Total += h.Count
	}
	return st, nil
}

// sameProfile reports whether an edit leaves the group as it was (then no
// Update is sent).
func sameProfile(g *Group, in GroupInput) bool {
	return g.Name == in.Name && g.Description == in.Description && g.Rules == in.Rules && slices.Equal(g.Fields, in.Fields)
}
