package instance_test

import (
	"testing"

	"hearth/instance"
)

// A neighbour's Hearth item keeps only the text its page does not show
// apart (title, kind, facts): the description when the Note has one, or
// the content without its kind line and title from an older Hearth. A
// plain post keeps all its text.
func TestNeighbourItemTextIsNotRepeated(t *testing.T) {
	f := newRemoteFixture(t)
	group := &instance.RemoteActor{ID: "https://next.example/groups/village", Host: "next.example", Username: "village", Name: "Next village"}
	fo, err := f.svc.FollowGroup(ctx, f.coord, "village", "village@next.example")
	if err != nil {
		t.Fatal(err)
	}
	fo.ActorID, fo.State = group.ID, instance.FollowingAccepted
	if err := f.store.UpdateFollowing(ctx, fo); err != nil {
		t.Fatal(err)
	}
	content := "<p><strong>Need</strong> · lifts · High St</p><p>A lift to the surgery</p><p>On Tuesday at 10.</p>" +
		"<p><a href=\"https://next.example/needs/1\">https://next.example/needs/1</a></p>"
	for _, tc := range []struct {
		name string
		note instance.RemoteNote
		want string
	}{
		{"with a description", instance.RemoteNote{ID: "https://next.example/needs/1", Kind: instance.KindNeed, HTML: content,
			Description: "<p>On Tuesday at 10.</p>", HasDescription: true}, "<p>On Tuesday at 10.</p>"},
		{"with an empty description", instance.RemoteNote{ID: "https://next.example/needs/2", Kind: instance.KindNeed, HTML: content,
			HasDescription: true}, ""},
		{"from an older Hearth", instance.RemoteNote{ID: "https://next.example/needs/3", Kind: instance.KindNeed, HTML: content},
			"<p>On Tuesday at 10.</p><p><a href=\"https://next.example/needs/1\" rel=\"nofollow noopener ugc\">https://next.example/needs/1</a></p>"},
		{"a plain post", instance.RemoteNote{ID: "https://next.example/statuses/4", HTML: "<p>Lovely day on the green</p>"},
			"<p>Lovely day on the green</p>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.note
			n.Author = group
			if err := f.svc.ReceiveNeighbourPost(ctx, &n); err != nil {
				t.Fatal(err)
			}
			list, err := f.svc.Neighbours(ctx, f.ann)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range list {
				if it.APID != n.ID {
					continue
				}
				if it.ContentHTML != tc.want {
					t.Errorf("content %q, want %q", it.ContentHTML, tc.want)
				}
				if n.Kind != "" && it.Title != "A lift to the surgery" {
					t.Errorf("title %q", it.Title)
				}
				return
			}
			t.Fatal("not kept")
		})
	}
}
