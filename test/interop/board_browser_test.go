package interop

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	qr "github.com/piglig/go-qr"
)

// actionForm is the form of a new action on day, 10:00 to 12:00 (dates
// and times are typed as separate day, month, year, hour and minute).
func actionForm(title, place string, day time.Time, capacity string) url.Values {
	return url.Values{"title": {title}, "place": {place}, "start_date_day": {strconv.Itoa(day.Day())},
		"start_date_month": {strconv.Itoa(int(day.Month()))}, "start_date_year": {strconv.Itoa(day.Year())},
		"start_time_hour": {"10"}, "start_time_minute": {"00"}, "end_time_hour": {"12"}, "end_time_minute": {"00"},
		"capacity": {capacity}, "visibility": {"public"}}
}

// seedVillage posts what a typical village has open at once: three needs,
// two offers and three actions (eight posts), the first need with every
// private detail. It returns the first need's path.
func seedVillage(t *testing.T, cora *browser) string {
	t.Helper()
	day := func(n int) time.Time { return time.Now().AddDate(0, 0, n) }
	posts := []struct {
		path string
		form url.Values
	}{
		{"/needs/new", url.Values{"title": {"A lift to the surgery on Tuesday"}, "category": {"lifts"}, "area": {"Mill Lane"},
			"description": {"My appointment is at 10:30 and I need to be back by noon. I can walk to the end of the lane."},
			"visibility":  {"public"}, "address": {"4 Mill Lane"}, "contact": {"07700 900123"}}},
		{"/needs/new", url.Values{"title": {"Someone to walk my dog twice a week"}, "category": {"dog walking"}, "area": {"Church Road"},
			"description": {"Bramble is a gentle spaniel; my knee is mending after an operation."}, "visibility": {"public"}}},
		{"/needs/new", url.Values{"title": {"Help putting up a shelf"}, "category": {"DIY"}, "area": {"The Green"}, "visibility": {"public"}}},
		{"/offers/new", url.Values{"title": {"Ladder to lend"}, "category": {"lending"}, "visibility": {"public"},
			"description": {"A long ladder, for gutters and windows."}}},
		{"/offers/new", url.Values{"title": {"Homemade soup on Fridays"}, "category": {"food"}, "visibility": {"public"}}},
		{"/actions/new", actionForm("Litter-pick on the green", "The green", day(3), "12")},
		{"/actions/new", actionForm("Lunch club", "The village hall", day(5), "")},
		{"/actions/new", actionForm("Planting bulbs by the church", "St Mary's churchyard", day(9), "8")},
	}
	first := ""
	for _, p := range posts {
		code, loc, body := cora.post(p.path, p.form)
		if code != 303 {
			t.Fatalf("%s: %d %s", p.path, code, tail(body, 400))
		}
		if first == "" {
			first = loc
		}
	}
	return first
}

// pageObjectRE finds a PDF's page objects (Chromium's PDF writer keeps
// them uncompressed): "/Type /Page", not "/Type /Pages".
var (
	pageObjectRE = regexp.MustCompile(`/Type\s*/Page[^s]`)
	mediaBoxRE   = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`)
)

// printPDF prints the current page as Chromium's Print would, with the
// page size the stylesheet asks for, and returns the PDF, its number of
// pages and the size (in points) of its first.
func printPDF(t *testing.T, ctx context.Context, name string) (int, float64, float64) {
	t.Helper()
	yes := true
	pdf := get(t, ctx, func(ctx context.Context, _ *chromedp.Target) ([]byte, error) {
		res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes})
		return res.Data, err
	})
	screenshot(t, ctx, name) // makes sure the folder exists
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	m := mediaBoxRE.FindSubmatch(pdf)
	if m == nil {
		t.Fatalf("%s: no MediaBox in the PDF", name)
	}
	w, _ := strconv.ParseFloat(string(m[1]), 64)
	h, _ := strconv.ParseFloat(string(m[2]), 64)
	return len(pageObjectRE.FindAll(pdf, -1)), w, h
}

// The printed noticeboard of a typical village (eight posts) fits one
// sheet of A4, as the stylesheet lays it out for paper: no header,
// menus, footer or choices on it. On A5 the page is A5. Each post's QR
// code, drawn by the browser, reads back as the post's address.
func TestNoticeboardPrints(t *testing.T) {
	h := startHearth(t, "approval")
	cora := h.browser(t)
	cora.login("cora", "correct horse battery")
	needPath := seedVillage(t, cora)

	ctx := tab(t, newBrowser(t, false))
	run(t, ctx, chromedp.Navigate(h.url+"/noticeboard"), chromedp.WaitReady(chromedp.CSS("main")))
	waitText(t, ctx, "Litter-pick on the green")
	pages, w, ht := printPDF(t, ctx, "noticeboard-a4")
	if pages != 1 {
		t.Errorf("the A4 noticeboard prints on %d pages, want 1", pages)
	}
	if math.Round(w) != 595 || math.Round(ht) != 842 {
		t.Errorf("the A4 page is %.1f × %.1f points, want 595 × 842", w, ht)
	}
	// What the paper shows: print media hides the site's header, menus and
	// footer and the on-screen choices.
	run(t, ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	hidden := get(t, ctx, chromedp.Evaluate[string](`["header.site", "footer.site", "form.board-choice"].map(s =>
		s + "=" + getComputedStyle(document.querySelector(s)).display).join(" ")`))
	if hidden != "header.site=none footer.site=none form.board-choice=none" {
		t.Errorf("in print: %s", hidden)
	}
	screenshot(t, ctx, "noticeboard as printed")
	run(t, ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
		return err
	}))

	// A5, chosen with the form (no script).
	click(t, ctx, "#f-paper-1")
	click(t, ctx, "form.board-choice button[type=submit]")
	waitText(t, ctx, `class="board a5"`)
	pages, w, ht = printPDF(t, ctx, "noticeboard-a5")
	if math.Round(w) != 420 || math.Round(ht) != 595 {
		t.Errorf("the A5 page is %.1f × %.1f points, want 420 × 595", w, ht)
	}
	t.Logf("A5: %d pages", pages)

	// The QR code as the browser draws it reads back as the need's address.
	run(t, ctx, chromedp.EmulateViewport(400, 400), chromedp.Navigate(h.url+"/qr"+needPath+".svg"))
	shot := get(t, ctx, chromedp.FullScreenshot(100))
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	text, err := qr.Decode(img)
	if err != nil || text != h.url+needPath {
		t.Errorf("the QR code reads %q (%v), want %q", text, err, h.url+needPath)
	}
}
