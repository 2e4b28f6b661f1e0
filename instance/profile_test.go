package instance_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"hearth/instance"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.SetNRGBA(0, 0, color.NRGBA{A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pendingGroupEvents counts the unprocessed SubjectGroup events.
func pendingGroupEvents(t *testing.T, f *fixture) int {
	t.Helper()
	events, err := f.store.NextFedEvents(context.Background(), f.clock.now(), 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Subject == instance.SubjectGroup {
			n++
		}
	}
	return n
}

func TestProfileFieldRules(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		fields []instance.ProfileField
		field  string
		code   string
	}{
		{"a value needs a label", []instance.ProfileField{{Value: "Testham"}}, "field_name_1", "err.field_name_required"},
		{"a label needs a value", []instance.ProfileField{{}, {Name: "Village"}}, "field_value_2", "err.field_value_required"},
		{"labels are short", []instance.ProfileField{{Name: strings.Repeat("a", instance.MaxFieldName+1), Value: "x"}}, "field_name_1", "err.too_long"},
		{"values are short", []instance.ProfileField{{Name: "a", Value: strings.Repeat("a", instance.MaxFieldValue+1)}}, "field_value_1", "err.too_long"},
		{"at most four", []instance.ProfileField{{}, {}, {}, {}, {Name: "Fifth", Value: "x"}}, "field_name_5", "err.too_many_fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.svc.UpdateGroup(ctx, cora, "village", instance.GroupInput{Name: "Our village", Fields: tc.fields})
			if fe := instance.Fields(err)[tc.field]; fe == nil || fe.Code != tc.code {
				t.Fatalf("err = %v, want %s on %s", err, tc.code, tc.field)
			}
		})
	}
	if n := pendingGroupEvents(t, f); n != 0 {
		t.Fatalf("refused edits queued %d events", n)
	}
	err := f.svc.UpdateGroup(ctx, cora, "village", instance.GroupInput{Name: "Our village",
		Fields: []instance.ProfileField{{}, {Name: " Village ", Value: " Testham "}}})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := f.svc.Group(ctx, "village")
	if len(g.Fields) != 1 || g.Fields[0] != (instance.ProfileField{Name: "Village", Value: "Testham"}) {
		t.Fatalf("fields = %v", g.Fields)
	}
	if n := pendingGroupEvents(t, f); n != 1 {
		t.Errorf("the edit queued %d Update events, want 1", n)
	}
	for _, tc := range []struct{ value, url string }{
		{"https://testham.example/news", "https://testham.example/news"}, {"http://x.example", "http://x.example"},
		{"testham.example", ""}, {"javascript:alert(1)", ""}, {"https://", ""}, {"https://a.example/\"><b>", ""},
	} {
		if got := (instance.ProfileField{Value: tc.value}).URL(); got != tc.url {
			t.Errorf("URL(%q) = %q, want %q", tc.value, got, tc.url)
		}
	}
}

func TestGroupImagesRules(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ann := f.member(t, "ann")
	ctx := context.Background()
	if err := f.svc.UpdateGroupImages(ctx, ann, "village", instance.GroupImagesInput{Avatar: pngOf(t, 10, 10), AvatarAlt: "x"}); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a member sets the avatar: %v", err)
	}
	err := f.svc.UpdateGroupImages(ctx, cora, "village", instance.GroupImagesInput{Avatar: pngOf(t, 10, 10), Header: []byte("no")})
	fields := instance.Fields(err)
	if fields["avatar_alt"] == nil || fields["avatar_alt"].Code != "err.alt_required_upload" || fields["header"] == nil || fields["header"].Code != "err.not_an_image" {
		t.Fatalf("err = %v", err)
	}
	if n := pendingGroupEvents(t, f); n != 0 {
		t.Fatalf("a refused upload queued %d events", n)
	}
	if err := f.svc.UpdateGroupImages(ctx, cora, "village", instance.GroupImagesInput{Avatar: pngOf(t, 10, 10), AvatarAlt: "A sign"}); err != nil {
		t.Fatal(err)
	}
	g, _ := f.svc.Group(ctx, "village")
	if g.Avatar == nil || g.Avatar.Alt != "A sign" || g.Header != nil {
		t.Fatalf("avatar %+v header %+v", g.Avatar, g.Header)
	}
	m, err := f.svc.Media(ctx, g.Avatar.Hash)
	if err != nil || m.ContentType != g.Avatar.ContentType || len(m.Data) == 0 {
		t.Fatalf("media: %v %v", m, err)
	}
	// The same picture and text again changes nothing and sends nothing.
	if err := f.svc.UpdateGroupImages(ctx, cora, "village", instance.GroupImagesInput{Avatar: pngOf(t, 10, 10), AvatarAlt: "A sign"}); err != nil {
		t.Fatal(err)
	}
	if n := pendingGroupEvents(t, f); n != 1 {
		t.Errorf("events = %d, want 1 (the second save changed nothing)", n)
	}
	// Only the alt text: an Update, same image.
	if err := f.svc.UpdateGroupImages(ctx, cora, "village", instance.GroupImagesInput{AvatarAlt: "The village sign"}); err != nil {
		t.Fatal(err)
	}
	g2, _ := f.svc.Group(ctx, "village")
	if g2.Avatar.Hash != g.Avatar.Hash || g2.Avatar.Alt != "The village sign" || pendingGroupEvents(t, f) != 2 {
		t.Errorf("after changing the alt text: %+v, %d events", g2.Avatar, pendingGroupEvents(t, f))
	}
}

// The followers' servers are for coordinators.
func TestGroupFollowersForCoordinatorsOnly(t *testing.T) {
	f := newFixture(t, instance.RegistrationOpen)
	cora := f.member(t, "cora", instance.RoleCoordinator)
	ann := f.member(t, "ann")
	ctx := context.Background()
	g, _ := f.svc.Group(ctx, "village")
	f.store.AddFollower(ctx, &instance.Follower{GroupID: g.ID, ActorID: "https://a.example/u/1", Host: "a.example", Inbox: "https://a.example/inbox", FollowID: "f1"})
	f.store.AddFollower(ctx, &instance.Follower{GroupID: g.ID, ActorID: "https://b.example/u/1", Host: "b.example", Inbox: "https://b.example/inbox", FollowID: "f2"})
	f.store.AddFollower(ctx, &instance.Follower{GroupID: g.ID, ActorID: "https://b.example/u/2", Host: "b.example", Inbox: "https://b.example/inbox", FollowID: "f3"})
	if _, err := f.svc.GroupFollowers(ctx, ann, g); !errors.Is(err, instance.ErrForbidden) {
		t.Errorf("a member reads the followers: %v", err)
	}
	st, err := f.svc.GroupFollowers(ctx, cora, g)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 3 || len(st.Hosts) != 2 || st.Hosts[0] != (instance.HostCount{Host: "b.example", Count: 2}) {
		t.Errorf("stats = %+v", st)
	}
}
