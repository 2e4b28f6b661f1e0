package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x), G: 120, B: uint8(y), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a PNG header announcing 60 000 × 60 000 pixels.
func bombPNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 60000)
	binary.BigEndian.PutUint32(ihdr[4:], 60000)
	ihdr[8], ihdr[9] = 8, 6
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// postFiles posts a multipart form, as a browser sends the images form.
func (c *client) postFiles(path string, values map[string]string, files map[string][]byte) *response {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range values {
		mw.WriteField(k, v)
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile(name, name+".png")
		fw.Write(data)
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Host = "127.0.0.1:8080"
	req.RemoteAddr = c.remote
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", "http://127.0.0.1:8080")
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.h.h.ServeHTTP(rec, req)
	return &response{status: rec.Code, body: rec.Body.String(), header: rec.Header()}
}

var imgRE = regexp.MustCompile(`<img class="avatar" src="(/media/[0-9a-f]{64}\.(?:png|jpg))" alt="([^"]*)"`)

// The images form: a picture with its alt text is saved and served with
// a content-hash URL and a year's cache; bad uploads are refused beside
// their field, in the label's words, and change nothing.
func TestGroupImagesUpload(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	cora := h.as("cora")

	before := h.snapshot()
	for _, tc := range []struct {
		name   string
		values map[string]string
		files  map[string][]byte
		field  string
		msg    string
	}{
		{"not a picture", map[string]string{"avatar_alt": "x"}, map[string][]byte{"avatar": []byte("this is a letter, not a picture")},
			"f-avatar-error", "is not a picture Hearth can read"},
		{"no alt text", nil, map[string][]byte{"avatar": testPNG(t, 64, 64)}, "f-avatar_alt-error", "Describe the picture"},
		{"a decompression bomb", map[string]string{"header_alt": "x"}, map[string][]byte{"header": bombPNG()},
			"f-header-error", "too big to process"},
		{"over 5 MB", map[string]string{"avatar_alt": "x"}, map[string][]byte{"avatar": append(testPNG(t, 8, 8), make([]byte, 5<<20)...)},
			"f-avatar-error", "larger than 5 MB"},
		{"two files over the form's cap", map[string]string{"avatar_alt": "x", "header_alt": "y"},
			map[string][]byte{"avatar": make([]byte, 5<<20+40<<10), "header": make([]byte, 5<<20+40<<10)}, "f-header-error", "Each may be at most 5 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cora.postFiles("/groups/village/images", tc.values, tc.files)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %s", r.status, r.body[:min(len(r.body), 400)])
			}
			if !regexp.MustCompile(`id="` + tc.field + `">[^<]*` + regexp.QuoteMeta(tc.msg)).MatchString(r.body) {
				i := strings.Index(r.body, "<main")
				t.Errorf("no %q beside the field (%s): %s", tc.msg, tc.field, r.body[i:min(len(r.body), i+3000)])
			}
			if !strings.Contains(r.body, `value="Our village"`) {
				t.Error("the profile form lost the group's name")
			}
		})
	}
	if h.snapshot() != before {
		t.Fatal("a refused upload changed the database")
	}

	r := cora.postFiles("/groups/village/images", map[string]string{"avatar_alt": "The village sign"},
		map[string][]byte{"avatar": testPNG(t, 800, 600)})
	if r.status != http.StatusSeeOther || r.location() != "/groups/village" {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	page := h.client().get("/groups/village").body
	m := imgRE.FindStringSubmatch(page)
	if m == nil || m[2] != "The village sign" {
		t.Fatalf("group page shows no avatar with its alt text")
	}
	img := h.client().get(m[1])
	if img.status != 200 || img.header.Get("Content-Type") != "image/jpeg" ||
		img.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("image: %d %v", img.status, img.header)
	}
	if cfg, _, err := image.DecodeConfig(strings.NewReader(img.body)); err != nil || cfg.Width != 400 || cfg.Height != 400 {
		t.Errorf("served image %v, %v; want 400×400", cfg, err)
	}
	if r := h.client().do(http.MethodGet, m[1], nil, map[string]string{"If-None-Match": img.header.Get("ETag")}); r.status != http.StatusNotModified {
		t.Errorf("revalidation: %d", r.status)
	}
	if r := h.client().get(strings.Replace(m[1], ".jpg", ".png", 1)); r.status != http.StatusNotFound {
		t.Errorf("the image under the wrong extension: %d", r.status)
	}
	// The edit page shows the saved description, so the pictures form can
	// be saved again without retyping it.
	mustContain(t, cora.get("/groups/village/edit").body, ">The village sign</textarea>")
	if r := cora.postFiles("/groups/village/images", map[string]string{"avatar_alt": "The village sign"}, nil); r.status != http.StatusSeeOther {
		t.Errorf("saving again unchanged: %d", r.status)
	}
	// Keeping the image needs its alt text too; removing it forgets both,
	// and the old URL stops working.
	if r := cora.postFiles("/groups/village/images", map[string]string{"avatar_alt": " "}, nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("clearing the alt text of a kept image: %d", r.status)
	}
	if r := cora.postFiles("/groups/village/images", map[string]string{"remove_avatar": "yes"}, nil); r.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.status)
	}
	if imgRE.MatchString(h.client().get("/groups/village").body) {
		t.Error("the avatar is still shown after removal")
	}
	if r := h.client().get(m[1]); r.status != http.StatusNotFound {
		t.Errorf("a removed image is still served: %d", r.status)
	}
	// Plain members may not change the images.
	if r := h.as("ann").postFiles("/groups/village/images", map[string]string{"avatar_alt": "x"},
		map[string][]byte{"avatar": testPNG(t, 10, 10)}); r.status != http.StatusForbidden {
		t.Errorf("a member uploads: %d", r.status)
	}
}

// Only the images form may carry a large body: 100 KB to any other form
// is refused as too large, and is read in full on the images form.
func TestUploadCapOnlyForImages(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	cora := h.as("cora")
	if r := cora.post("/groups/village/edit", url.Values{"name": {"x"}, "description": {strings.Repeat("a", 100<<10)}}); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a large body to the profile form: %d", r.status)
	}
	if r := cora.postFiles("/groups/village/images", map[string]string{"avatar_alt": "x", "padding": strings.Repeat("a", 100<<10)},
		map[string][]byte{"avatar": testPNG(t, 300, 300)}); r.status != http.StatusSeeOther {
		t.Errorf("the images form with a large picture: %d", r.status)
	}
}

// Profile fields are edited on the group's edit page, shown on its page
// (a web address as a link), and refused beside the line that is wrong.
func TestGroupProfileFields(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	cora := h.as("cora")
	r := cora.post("/groups/village/edit", url.Values{"name": {"Our village"}, "field_name_1": {"Website"},
		"field_value_1": {"https://testham.example/"}, "field_name_2": {""}, "field_value_2": {"no label"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("a value without a label: %d", r.status)
	}
	if !regexp.MustCompile(`id="f-field_name_2-error">[^<]*Give this field a label`).MatchString(r.body) {
		t.Error("no error beside label 2")
	}
	mustContain(t, r.body, `value="https://testham.example/"`, `href="#f-field_name_2"`)
	r = cora.post("/groups/village/edit", url.Values{"name": {"Our village"}, "field_name_1": {"Website"},
		"field_value_1": {"https://testham.example/"}, "field_name_3": {"Village"}, "field_value_3": {"Testham"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save fields: %d", r.status)
	}
	page := h.client().get("/groups/village").body
	mustContain(t, page, `<dt><bdi>Website</bdi></dt><dd><a href="https://testham.example/" rel="me nofollow noopener">testham.example</a></dd>`,
		`<dt><bdi>Village</bdi></dt><dd><bdi>Testham</bdi></dd>`)
	g, _ := h.svc.Group(context.Background(), "village")
	if len(g.Fields) != 2 || g.Fields[1] != (instance.ProfileField{Name: "Village", Value: "Testham"}) {
		t.Errorf("fields = %v", g.Fields)
	}
	edit := cora.get("/groups/village/edit").body
	mustContain(t, edit, `id="f-field_name_2" name="field_name_2" value="Village"`, `enctype="multipart/form-data"`)
}

// The group's followers on other servers, by server, are shown to
// coordinators only.
func TestFollowerServersForCoordinators(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	h.member("ann")
	g, _ := h.svc.Group(context.Background(), "village")
	for i, actor := range []string{"https://gts.example/users/a", "https://gts.example/users/b", "https://masto.example/users/c"} {
		host := strings.Split(actor, "/")[2]
		if err := h.store.AddFollower(context.Background(), &instance.Follower{GroupID: g.ID, ActorID: actor, Host: host,
			Inbox: actor + "/inbox", FollowID: actor + "/follow", CreatedAt: time.Unix(int64(i), 0)}); err != nil {
			t.Fatal(err)
		}
	}
	page := h.as("cora").get("/groups/village").body
	mustContain(t, page, "3 followers on other servers", "<li><bdi>gts.example</bdi>: 2 followers</li>",
		"<li><bdi>masto.example</bdi>: 1 follower</li>")
	for who, c := range map[string]*client{"a member": h.as("ann"), "a visitor": h.client()} {
		if body := c.get("/groups/village").body; strings.Contains(body, "gts.example") || strings.Contains(body, "followers on other servers") {
			t.Errorf("%s sees the follower servers", who)
		}
	}
}

// The Neighbours pages: a Hearth item shows its title once and its kind
// badge; a plain Mastodon or GoToSocial post shows its author, its text
// once, its time and a link, with no empty kind badge.
func TestNeighbourPagesShowTextOnce(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	for _, it := range []*instance.RemoteItem{
		{APID: "https://gts.example/statuses/1", Actor: "https://gts.example/users/alice", ActorName: "Alice \u202eGTS",
			Title: "Lovely day on the green", ContentHTML: "<p>Lovely day on the green</p>", URL: "https://gts.example/@alice/1",
			Published: now, Updated: now},
		{APID: "https://next.example/needs/4", Actor: "https://next.example/groups/village", ActorName: "Next Village",
			Kind: instance.KindNeed, Title: "Dog walking while I recover", Category: "dog walking", Area: "High Street",
			ContentHTML: "<p>Twice a day</p>", URL: "https://next.example/needs/4", Published: now, Updated: now},
	} {
		if err := h.store.SaveRemoteItem(ctx, it, instance.Notices{}); err != nil {
			t.Fatal(err)
		}
	}
	ann := h.as("ann")
	list := ann.get("/neighbours").body
	if n := strings.Count(list, "Lovely day on the green"); n != 1 {
		t.Errorf("the plain post's text is on the list %d times", n)
	}
	mustContain(t, list, "Post by <bdi>Alice \u202eGTS</bdi>", "Thursday 26 November 2026", `<span class="tag">Need</span>`)
	if strings.Contains(list, `<p class="kind"> · `) || strings.Contains(list, `<span class="tag"></span>`) {
		t.Error("an empty kind badge on the list")
	}
	items, _ := h.svc.Neighbours(ctx, &instance.Member{Status: instance.StatusActive})
	for _, it := range items {
		page := ann.get("/neighbours/" + fmtInt(it.ID)).body
		main := page[strings.Index(page, "<main"):]
		if it.Kind == "" {
			if n := strings.Count(main, "Lovely day on the green"); n != 1 {
				t.Errorf("the plain post's text is on its page %d times", n)
			}
			mustContain(t, main, "<h1>Post by <bdi>Alice \u202eGTS</bdi></h1>", "Thursday 26 November 2026, 09:30 GMT",
				`href="https://gts.example/@alice/1"`)
			if strings.Contains(main, `class="kind"`) {
				t.Error("a plain post has a kind line")
			}
		} else if n := strings.Count(main, "Dog walking while I recover"); n != 1 {
			t.Errorf("the item's title is on its page %d times", n)
		}
	}
}
