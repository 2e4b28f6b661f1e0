package interop

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// picture is a w×h PNG with a gradient (so that it is a real photo-like
// image to resize).
func picture(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x * 255 / w), G: uint8(80 + y*100/h), B: 140, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postFiles posts a multipart form, as a browser sends the images form.
func (b *browser) postFiles(path string, values map[string]string, files map[string][]byte) (int, string, string) {
	b.t.Helper()
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
	req, _ := http.NewRequest(http.MethodPost, b.h.url+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.h.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(out)
}

// seedProfile gives the village group pictures and profile fields.
func seedProfile(t *testing.T, cora *browser) {
	t.Helper()
	if code, _, body := cora.postFiles("/groups/village/images", map[string]string{"avatar_alt": "The village sign by the pond",
		"header_alt": "The green and the church in spring"},
		map[string][]byte{"avatar": picture(t, 600, 600), "header": picture(t, 1800, 700)}); code != http.StatusSeeOther {
		t.Fatalf("pictures: %d %s", code, tail(body, 600))
	}
	if code, _, body := cora.post("/groups/village/edit", url.Values{"name": {"Testham village"},
		"description": {"Neighbours helping neighbours."}, "field_name_1": {"Website"}, "field_value_1": {"https://testham.example/"},
		"field_name_2": {"Village"}, "field_value_2": {"Testham, Norfolk"}}); code != http.StatusSeeOther {
		t.Fatalf("fields: %d %s", code, tail(body, 600))
	}
}

// The Fedify peer follows the group; a coordinator renames it and gives
// it fields and a picture; the peer receives Update{Group} (verified by
// Fedify) with the new name, fields and icon, and fetching the actor, its
// picture and its featured collection works.
func TestFedifyPeerSeesRenamedGroup(t *testing.T) {
	needNode(t)
	h := startHearth(t, "open")
	p := startPeer(t)
	group := h.url + "/groups/village"
	p.call(t, "follow", map[string]string{"actor": group})
	waitFor(t, 20*time.Second, "the Accept", func() bool { return len(p.ofType("Accept")) > 0 })

	cora := h.browser(t)
	cora.login("cora", "correct horse battery")
	if code, _, body := cora.post("/groups/village/edit", url.Values{"name": {"Testham and Upper Testham"},
		"field_name_1": {"Village"}, "field_value_1": {"Testham"}}); code != http.StatusSeeOther {
		t.Fatalf("rename: %d %s", code, tail(body, 500))
	}
	var obj map[string]any
	waitFor(t, 20*time.Second, "the Update{Group}", func() bool {
		for _, u := range p.ofType("Update") {
			if o, _ := u.JSON["object"].(map[string]any); o != nil && o["name"] == "Testham and Upper Testham" {
				obj = o
				return true
			}
		}
		return false
	})
	if obj["id"] != group || obj["type"] != "Group" {
		t.Errorf("update object = %v", obj)
	}
	raw, _ := json.Marshal(obj["attachment"])
	if !strings.Contains(string(raw), "PropertyValue") || !strings.Contains(string(raw), "Testham") {
		t.Errorf("fields in the Update = %s", raw)
	}
	if got := p.call(t, "fetch", map[string]string{"iri": group}); got["document"].(map[string]any)["name"] != "Testham and Upper Testham" {
		t.Errorf("the peer fetches the old name: %v", got["document"].(map[string]any)["name"])
	}

	if code, _, body := cora.postFiles("/groups/village/images", map[string]string{"avatar_alt": "The village sign"},
		map[string][]byte{"avatar": picture(t, 500, 500)}); code != http.StatusSeeOther {
		t.Fatalf("picture: %d %s", code, tail(body, 500))
	}
	var icon map[string]any
	waitFor(t, 20*time.Second, "the Update with the icon", func() bool {
		for _, u := range p.ofType("Update") {
			if o, _ := u.JSON["object"].(map[string]any); o != nil && o["icon"] != nil {
				icon, _ = o["icon"].(map[string]any)
				return true
			}
		}
		return false
	})
	iconURL, _ := icon["url"].(string)
	if !strings.HasPrefix(iconURL, h.url+"/media/") || icon["name"] != "The village sign" {
		t.Fatalf("icon = %v", icon)
	}
	resp, err := http.Get(iconURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("icon fetch: %d %v", resp.StatusCode, resp.Header)
	}
	featured := p.call(t, "fetch", map[string]string{"iri": group + "/collections/featured"})
	if featured["type"] != "OrderedCollection" {
		t.Errorf("featured = %v", featured)
	}
	if _, errs := p.received(); len(errs) > 0 {
		t.Errorf("the peer reported errors: %v", errs)
	}
}

// The group's edit page in a real Chromium: pictures uploaded through the
// file inputs with JavaScript off, a picture without its description
// refused beside the field, profile fields typed with the keyboard only;
// axe-core on the pages with pictures; screenshots at desktop and phone
// widths.
func TestGroupProfileInBrowser(t *testing.T) {
	needNode(t)
	source := axeSource(t)
	h := startHearth(t, "open")
	dir := t.TempDir()
	avatar, header := filepath.Join(dir, "sign.png"), filepath.Join(dir, "green.png")
	os.WriteFile(avatar, picture(t, 900, 700), 0o644)
	os.WriteFile(header, picture(t, 2400, 900), 0o644)

	// Without JavaScript: upload, and the error beside the field.
	noJS := tab(t, newBrowser(t, false))
	login(t, noJS, h, "cora", "correct horse battery")
	run(t, noJS, chromedp.Navigate(h.url+"/groups/village/edit"), chromedp.WaitReady(chromedp.CSS("main")),
		chromedp.SetUploadFiles(chromedp.ID("f-avatar"), []string{avatar}))
	click(t, noJS, "form[action$='/images'] button[type=submit]")
	waitText(t, noJS, "Describe the picture for people who cannot see it, then choose the file again.")
	if !strings.Contains(html(t, noJS), `id="f-avatar_alt-error"`) {
		t.Error("the alt text error is not beside its field")
	}
	screenshot(t, noJS, "group pictures with error")
	run(t, noJS, chromedp.SetUploadFiles(chromedp.ID("f-avatar"), []string{avatar}), chromedp.SetUploadFiles(chromedp.ID("f-header"), []string{header}),
		chromedp.SendKeys(chromedp.ID("f-avatar_alt"), "The village sign by the pond"),
		chromedp.SendKeys(chromedp.ID("f-header_alt"), "The green and the church in spring"))
	click(t, noJS, "form[action$='/images'] button[type=submit]")
	waitText(t, noJS, "The pictures have been saved.")
	if page := html(t, noJS); !strings.Contains(page, `alt="The village sign by the pond"`) || !strings.Contains(page, `class="header"`) {
		t.Error("the group page does not show the pictures")
	}

	// Keyboard only, with JavaScript (as most people browse): the fields.
	browser := newBrowser(t, true)
	kbd := tab(t, browser)
	login(t, kbd, h, "cora", "correct horse battery")
	run(t, kbd, chromedp.Navigate(h.url+"/groups/village/edit"), chromedp.WaitReady(chromedp.CSS("main")))
	focusOn := func(desc, js string) {
		t.Helper()
		for i := 0; i < 40; i++ {
			if get(t, kbd, chromedp.Evaluate[bool](js)) {
				return
			}
			run(t, kbd, chromedp.KeyEvent(kb.Tab))
		}
		t.Fatalf("Tab never reached %s", desc)
	}
	for _, f := range []struct{ id, text string }{{"f-field_name_1", "Website"}, {"f-field_value_1", "https://testham.example/"},
		{"f-field_name_2", "Village"}, {"f-field_value_2", "Testham, Norfolk"}} {
		focusOn(f.id, `document.activeElement.id === "`+f.id+`"`)
		run(t, kbd, chromedp.KeyEvent(f.text))
	}
	focusOn("Save", `document.activeElement.tagName === "BUTTON" && document.activeElement.closest("form").action.endsWith("/edit")`)
	run(t, kbd, chromedp.KeyEvent(kb.Enter))
	waitText(t, kbd, "testham.example</a>")

	// axe-core and screenshots.
	h2 := h.browser(t)
	h2.login("cora", "correct horse battery")
	if code, _, _ := h2.postFiles("/groups/village/images", map[string]string{"avatar_alt": "", "header_alt": "The green"}, nil); code != 422 {
		t.Fatalf("clearing the alt text: %d", code)
	}
	for _, c := range []struct{ name, path, submit string }{
		{"group with pictures (coordinator)", "/groups/village", ""},
		{"edit group with pictures", "/groups/village/edit", ""},
		{"group with pictures (visitor)", "/groups/village", ""},
	} {
		ctx := kbd
		if strings.Contains(c.name, "visitor") {
			ctx = tab(t, browser)
		}
		for _, width := range []int64{1280, 390} {
			run(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(h.url+c.path), chromedp.WaitReady(chromedp.CSS("main")))
			for _, v := range axe(t, ctx, source) {
				t.Errorf("%s at %d px: %s (%s): %s at %v", c.name, width, v.ID, v.Impact, v.Help, v.Nodes)
			}
			screenshot(t, ctx, c.name+" "+map[int64]string{1280: "desktop", 390: "phone"}[width])
		}
	}
	// The images form with its error, in Chromium: clear the description.
	run(t, kbd, chromedp.EmulateViewport(390, 900), chromedp.Navigate(h.url+"/groups/village/edit"), chromedp.WaitReady(chromedp.CSS("main")))
	get(t, kbd, chromedp.Evaluate[string](`document.getElementById("f-avatar_alt").value = ""`))
	click(t, kbd, "form[action$='/images'] button[type=submit]")
	waitText(t, kbd, "Error:")
	for _, v := range axe(t, kbd, source) {
		t.Errorf("pictures form with error: %s (%s): %s at %v", v.ID, v.Impact, v.Help, v.Nodes)
	}
	screenshot(t, kbd, "group pictures with error phone")
	t.Logf("screenshots: %s", screenshotDir)
}
