package federation

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"hearth/federation/fedtest"
	"hearth/instance"
)

// testPNG is a w×h PNG of one colour.
func testPNG(t *testing.T, w, h int, c color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The group actor with its profile (icon, image, fields, featured), the
// Update{Group} that carries it, and the featured collections, compared
// with reviewed golden files.
func TestGoldenGroupProfile(t *testing.T) {
	f, svc, st, ann := goldenFed(t)
	err := svc.UpdateGroup(ctx, ann, "village", instance.GroupInput{Name: "Little Snoring", Description: "Neighbours helping neighbours.",
		Fields: []instance.ProfileField{{Name: "Website", Value: "https://littlesnoring.example/"}, {Name: "Village", Value: "Little Snoring <Norfolk>"}}})
	if err != nil {
		t.Fatal(err)
	}
	err = svc.UpdateGroupImages(ctx, ann, "village", instance.GroupImagesInput{
		Avatar: testPNG(t, 600, 600, color.NRGBA{R: 200, G: 120, B: 40, A: 255}), AvatarAlt: "The village sign at dusk",
		Header: testPNG(t, 1500, 500, color.NRGBA{G: 90, B: 160, A: 128}), HeaderAlt: "The green from the church tower"})
	if err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"actor-group-profile":  "/groups/village",
		"collection-featured":  "/groups/village/collections/featured",
		"collection-tags":      "/groups/village/collections/tags",
		"collection-featured2": "/members/ann/collections/featured",
	} {
		code, h, body := serveGet(t, f, path, "application/activity+json")
		if code != 200 || h.Get("Content-Type") != activityJSON {
			t.Errorf("%s: %d %s", path, code, h.Get("Content-Type"))
			continue
		}
		if name == "collection-featured2" {
			var m map[string]any
			json.Unmarshal(body, &m)
			if m["id"] != "https://village.example/members/ann/collections/featured" || m["type"] != "OrderedCollection" {
				t.Errorf("member's featured = %s", body)
			}
			continue
		}
		golden(t, name, body)
	}
	if code, _, _ := serveGet(t, f, "/groups/nobody/collections/featured", "application/activity+json"); code != 404 {
		t.Errorf("featured of a group that does not exist: %d", code)
	}
	g, _ := st.GroupByHandle(ctx, "village")
	doc, err := f.updateGroup(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := encode(doc)
	golden(t, "update-group", b)
}

// Renaming a group, changing its description, rules, fields or images
// sends Update{Group} with the whole new actor to its followers, signed
// by the group; saving the form unchanged sends nothing.
func TestGroupChangesSendUpdate(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	r.Send("alice", n.group()+"/inbox", followOf(r, "alice", n.group(), "1"), fedtest.SendOptions{})
	n.settle()
	updates := func() []map[string]any { return r.OfType("Update") }

	if err := n.svc.UpdateGroup(ctx, n.admin, "village", instance.GroupInput{Name: "Testham village"}); err != nil {
		t.Fatal(err)
	}
	n.settle()
	if len(updates()) != 0 {
		t.Fatalf("saving the same profile sent %d Updates", len(updates()))
	}

	if err := n.svc.UpdateGroup(ctx, n.admin, "village", instance.GroupInput{Name: "Testham and Upper Testham",
		Fields: []instance.ProfileField{{Name: "Village", Value: "Testham"}}}); err != nil {
		t.Fatal(err)
	}
	n.settle()
	if len(updates()) != 1 {
		t.Fatalf("after a rename: %d Updates, failures %v", len(updates()), r.Failures())
	}
	up := updates()[0]
	obj, _ := up["object"].(map[string]any)
	if up["actor"] != n.group() || obj["id"] != n.group() || obj["type"] != "Group" || obj["name"] != "Testham and Upper Testham" {
		t.Fatalf("update = %v", up)
	}
	if att, _ := obj["attachment"].([]any); len(att) != 1 {
		t.Errorf("attachment = %v", obj["attachment"])
	}
	got := r.Received()
	if last := got[len(got)-1]; !strings.Contains(last.Header.Get("Signature"), `keyId="`+n.group()+`#main-key"`) {
		t.Errorf("signed with %s", last.Header.Get("Signature"))
	}
	// Our own actor document shows the new name at once (the cache is
	// dropped when the Update goes out).
	resp := r.Get("alice", n.group(), "application/activity+json", fedtest.SendOptions{})
	var actor map[string]any
	json.NewDecoder(resp.Body).Decode(&actor)
	resp.Body.Close()
	if actor["name"] != "Testham and Upper Testham" {
		t.Errorf("actor name after the rename: %v", actor["name"])
	}

	err := n.svc.UpdateGroupImages(ctx, n.admin, "village", instance.GroupImagesInput{
		Avatar: testPNG(t, 50, 50, color.NRGBA{R: 255, A: 255}), AvatarAlt: "A red square"})
	if err != nil {
		t.Fatal(err)
	}
	n.settle()
	if len(updates()) != 2 {
		t.Fatalf("after a new avatar: %d Updates", len(updates()))
	}
	icon, _ := updates()[1]["object"].(map[string]any)["icon"].(map[string]any)
	if icon["type"] != "Image" || icon["mediaType"] != "image/jpeg" || icon["name"] != "A red square" ||
		!strings.HasPrefix(icon["url"].(string), n.url+"/media/") {
		t.Errorf("icon = %v", icon)
	}
}

// A refused upload changes nothing and sends nothing.
func TestBadImageSendsNothing(t *testing.T) {
	n := newNode(t)
	r := fedtest.New(t, "alice")
	r.Send("alice", n.group()+"/inbox", followOf(r, "alice", n.group(), "1"), fedtest.SendOptions{})
	n.settle()
	err := n.svc.UpdateGroupImages(ctx, n.admin, "village", instance.GroupImagesInput{Avatar: []byte("not a picture"), AvatarAlt: "x"})
	if fe := instance.Fields(err)["avatar"]; fe == nil || fe.Code != "err.not_an_image" {
		t.Fatalf("err = %v", err)
	}
	n.settle()
	if len(r.OfType("Update")) != 0 {
		t.Error("a refused upload sent an Update")
	}
	resp := r.Get("alice", n.group(), "application/activity+json", fedtest.SendOptions{})
	defer resp.Body.Close()
	var actor map[string]any
	json.NewDecoder(resp.Body).Decode(&actor)
	if resp.StatusCode != http.StatusOK || actor["icon"] != nil {
		t.Errorf("actor after a refused upload: %d icon %v", resp.StatusCode, actor["icon"])
	}
}
