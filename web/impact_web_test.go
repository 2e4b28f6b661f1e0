package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth/instance"
)

// helpedNeeds has n members each ask a need that a different member
// helps with and marks done, an hour later; and one offer given.
func helpedNeeds(t *testing.T, h *harness, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		asker, helper := h.member(fmt.Sprintf("asker%d", i)), h.member(fmt.Sprintf("helper%d", i))
		it, err := h.svc.CreateItem(ctx, asker, instance.ItemInput{Kind: instance.KindNeed, Title: fmt.Sprintf("Secret need %d", i),
			Category: "lifts", Area: "Mill Lane"})
		if err != nil {
			t.Fatal(err)
		}
		h.advance(30 * time.Minute)
		if err := h.svc.OfferHelp(ctx, helper, it.ID, "", false); err != nil {
			t.Fatal(err)
		}
		list, err := h.svc.Interests(ctx, asker, it)
		if err != nil || len(list) != 1 {
			t.Fatalf("interests: %v %v", list, err)
		}
		if err := h.svc.AcceptHelp(ctx, asker, it.ID, list[0].ID); err != nil {
			t.Fatal(err)
		}
		h.advance(30 * time.Minute)
		if err := h.svc.MarkDone(ctx, asker, it.ID); err != nil {
			t.Fatal(err)
		}
	}
	giver, taker := h.member("giver"), h.member("taker")
	o, err := h.svc.CreateItem(ctx, giver, instance.ItemInput{Kind: instance.KindOffer, Title: "Soup", Category: "food"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.WantOffer(ctx, taker, o.ID, ""); err != nil {
		t.Fatal(err)
	}
	list, _ := h.svc.Interests(ctx, giver, o)
	if err := h.svc.GiveOffer(ctx, giver, o.ID, list[0].ID); err != nil {
		t.Fatal(err)
	}
}

// The impact page, for anyone: the year's figures with every chart's
// numbers in a table, "fewer than 5" for a figure about fewer people (the
// one offer given), no name or title of anyone's need; the CSV has the
// same figures. Coordinators alone may narrow them to a category or group.
func TestImpactPage(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("cora", instance.RoleCoordinator)
	helpedNeeds(t, h, 5)
	visitor, cora, ann := h.client(), h.as("cora"), h.as("asker0")

	r := visitor.get("/impact")
	if r.status != http.StatusOK {
		t.Fatalf("/impact: %d", r.status)
	}
	checkPage(t, "/impact", r, cssSize(t)+sheetSize(t, "figures.css"))
	november := regexpFind(t, `<tr><th scope="row">November</th>.*?</tr>`, r.body)
	// Needs asked, met, met by a neighbouring village (none), median
	// hours to a first offer (0.5) and to being helped (1), offers given
	// (one giver: withheld), attendances (none) and volunteer hours (none).
	for i, want := range []string{"5", "5", "0", "0.5", "1", "fewer than 5", "0", "0"} {
		cells := strings.Split(november, "<td>")
		if got := strings.SplitN(cells[i+1], "</td>", 2)[0]; got != want {
			t.Errorf("November, %s: %q, want %q", instance.FigureKinds[i], got, want)
		}
	}
	mustContain(t, r.body, `<caption id="table-caption">`, `<svg class="chart"`, `href="/impact.csv?year=2026"`, `aria-current="page" href="/impact?year=2026"`,
		h.says("impact.rule", 5), `href="/static/figures.css?v=`)
	mustNotContain(t, r.body, "Secret need", "Name asker", "Name helper", "Name giver", `name="category"`)
	for _, who := range []*client{cora, ann} {
		mustNotContain(t, footerRE.ReplaceAllString(who.get("/impact").body, ""), "Secret need", "Name asker", "Name helper")
	}

	c := visitor.get("/impact.csv?year=2026")
	if c.status != http.StatusOK || !strings.HasPrefix(c.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(c.header.Get("Content-Disposition"), "impact-2026.csv") {
		t.Fatalf("CSV: %d %q %q", c.status, c.header.Get("Content-Type"), c.header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(c.body)).ReadAll()
	if err != nil || len(rows) != 1+11+1 || len(rows[0]) != 1+len(instance.FigureKinds) {
		t.Fatalf("CSV rows: %v (%v)", rows, err)
	}
	if rows[0][1] != h.says("impact.fig.needs_asked") || rows[11][0] != "2026-11" || rows[11][1] != "5" || rows[11][6] != "fewer than 5" ||
		rows[12][0] != "2026" || rows[12][2] != "5" {
		t.Errorf("CSV: %v", rows)
	}

	// A coordinator's choices, and the figures for one category.
	r = cora.get("/impact")
	mustContain(t, r.body, `name="category"`, `name="group"`, h.says("impact.coordinators"))
	checkPage(t, "/impact (coordinator)", r, cssSize(t)+sheetSize(t, "figures.css"))
	r = cora.get("/impact?year=2026&category=food")
	mustContain(t, r.body, h.says("impact.scope", "food"), `<option value="food" selected>`)
	if got := regexpFind(t, `<tr><th scope="row">November</th><td>[^<]*</td>`, r.body); !strings.HasSuffix(got, "<td>0</td>") {
		t.Errorf("November needs asked for food: %s", got)
	}
	if c := cora.get("/impact.csv?category=lifts"); c.status != http.StatusOK || c.header.Get("Cache-Control") != "private, no-cache" {
		t.Errorf("coordinator's CSV: %d %q", c.status, c.header.Get("Cache-Control"))
	}
	for _, path := range []string{"/impact?category=lifts", "/impact.csv?category=lifts", "/impact?group=village"} {
		if r := ann.get(path); r.status != http.StatusForbidden || !strings.Contains(r.body, h.says("error.forbidden")) {
			t.Errorf("a member's %s: %d, want 403", path, r.status)
		}
		// A visitor is asked to sign in first.
		if r := visitor.get(path); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
			t.Errorf("a visitor's %s: %d %q, want to sign in", path, r.status, r.header.Get("Location"))
		}
	}
	for _, path := range []string{"/impact?year=2027", "/impact?year=nope", "/impact?group=nope"} {
		if r := cora.get(path); r.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, r.status)
		}
	}
	mustContain(t, visitor.get("/").body, `href="/impact"`)
}
