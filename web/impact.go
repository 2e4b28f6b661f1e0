package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"hearth/instance"
)

// registerImpact adds the impact figures: a page anyone may read, its CSV
// for a funder's report, and (for coordinators) the same per category and
// group.
func (s *Server) registerImpact(r *mux.Router) {
	h := func(fn handlerFunc) http.Handler { return s.handle(fn) }
	r.Handle("/impact", h(s.impactPage)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/impact.csv", h(s.impactCSV)).Methods(http.MethodGet, http.MethodHead)
}

type impactPage struct {
	formPage
	Impact *instance.Impact
	Kinds  []instance.FigureKind
	// Filter offers the category and group choices (coordinators).
	Filter     bool
	Categories []option
	Groups     []option
	// Scope names the category or group the figures are narrowed to.
	Scope string
	// Query is the page's query for the CSV link and the year links.
	Query string
}

// impactFor reads the year and (for coordinators) the filter from the
// query and computes the figures.
func (s *Server) impactFor(r *http.Request) (*instance.Impact, []*instance.Group, error) {
	q := r.URL.Query()
	year := 0
	if y := q.Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil {
			return nil, nil, instance.ErrNotFound
		}
		year = n
	}
	f := instance.ImpactFilter{Category: q.Get("category")}
	groups, err := s.svc.Groups(r.Context())
	if err != nil {
		return nil, nil, err
	}
	if g := q.Get("group"); g != "" {
		for _, x := range groups {
			if x.Handle == g {
				f.GroupID = x.ID
			}
		}
		if f.GroupID == 0 {
			return nil, nil, instance.ErrNotFound
		}
	}
	imp, err := s.svc.Impact(r.Context(), viewerFrom(r), year, f)
	return imp, groups, err
}

// impactPage is "What we did together": the year's figures per month, as
// charts with the table they are drawn from.
func (s *Server) impactPage(w http.ResponseWriter, r *http.Request) error {
	imp, groups, err := s.impactFor(r)
	if err != nil {
		return err
	}
	p := &impactPage{formPage: formPage{page: s.pageBase(r, "impact.title", imp.Year), Form: newForm(r)}, Impact: imp,
		Kinds: instance.FigureKinds, Filter: viewerFrom(r).IsCoordinator()}
	p.Sheets = []string{s.static.url("figures.css")}
	q := r.URL.Query()
	q.Del("year")
	p.Query = q.Encode()
	if p.Filter {
		p.Categories = []option{{Value: "", Label: p.T("impact.all_categories")}}
		for _, c := range s.svc.Categories() {
			p.Categories = append(p.Categories, option{Value: c.Name, Label: p.CategoryName(c.Name), Selected: c.Name == imp.Filter.Category})
		}
		p.Groups = []option{{Value: "", Label: p.T("impact.all_groups")}}
		for _, g := range groups {
			p.Groups = append(p.Groups, option{Value: g.Handle, Label: g.Name, Selected: g.ID == imp.Filter.GroupID})
			if g.ID == imp.Filter.GroupID {
				p.Scope = g.Name
			}
		}
		if imp.Filter.Category != "" {
			p.Scope = strings.TrimPrefix(p.Scope+" · "+p.CategoryName(imp.Filter.Category), " · ")
		}
	}
	return s.render(w, r, http.StatusOK, "impact", p)
}

// Name is a figure's name.
func (p *impactPage) Name(k instance.FigureKind) string { return p.T("impact.fig." + string(k)) }

// Value is a figure as text: a number (hours to one decimal), "fewer
// than 5", or "none" for a median of nothing.
func (p *impactPage) Value(k instance.FigureKind, f instance.Figure) string {
	return figureText(p.T, k, f)
}

func figureText(t func(string, ...any) string, k instance.FigureKind, f instance.Figure) string {
	switch {
	case f.Empty:
		return t("impact.none")
	case !f.Shown:
		return t("impact.few", instance.MinPeople)
	case k.Median() || k == instance.FigVolunteerHours:
		return strconv.FormatFloat(float64(int64(f.Value*10+0.5))/10, 'f', -1, 64)
	default:
		return strconv.FormatFloat(f.Value, 'f', 0, 64)
	}
}

// Month is a period's month name.
func (p *impactPage) Month(per instance.Period) string {
	return p.T(fmt.Sprintf("date.month.%d", per.Start.Month()))
}

// short is a month's name cut to three letters, under a chart's bar.
func short(name string) string {
	if r := []rune(name); len(r) > 3 {
		return string(r[:3])
	}
	return name
}

// Chart draws a figure's months as bars, in one path (a few hundred bytes
// a chart); the table below has every number, and a withheld or missing
// month has no bar.
func (p *impactPage) Chart(k instance.FigureKind) template.HTML {
	const w, h, bar, gap = 360, 120, 24, 6
	top := 0.0
	for _, m := range p.Impact.Months {
		if f := m.Figures[k]; f.Shown && f.Value > top {
			top = f.Value
		}
	}
	var path, labels strings.Builder
	for i, m := range p.Impact.Months {
		x := i * (bar + gap)
		if f := m.Figures[k]; f.Shown && top > 0 && f.Value > 0 {
			bh := max(int(f.Value/top*float64(h-20)), 1)
			fmt.Fprintf(&path, "M%d %dh%dv%dh-%dz", x, h-16-bh, bar, bh, bar)
		}
		fmt.Fprintf(&labels, `<tspan x="%d">%s</tspan>`, x+bar/2, template.HTMLEscapeString(short(p.Month(m))))
	}
	return template.HTML(fmt.Sprintf(`<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" aria-hidden="true" focusable="false">`+
		`<path d="%s"/><text y="%d" text-anchor="middle">%s</text></svg>`, w, h, w, h, path.String(), h-2, labels.String()))
}

// impactCSV is the year's figures as CSV: a row a month and one for the
// year, a column a figure, in the reader's language.
func (s *Server) impactCSV(w http.ResponseWriter, r *http.Request) error {
	imp, _, err := s.impactFor(r)
	if err != nil {
		return err
	}
	p := s.pageBase(r, "impact.title", imp.Year)
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	head := []string{p.T("impact.month")}
	for _, k := range instance.FigureKinds {
		head = append(head, p.T("impact.fig."+string(k)))
	}
	rows := [][]string{head}
	line := func(label string, per instance.Period) {
		row := []string{label}
		for _, k := range instance.FigureKinds {
			row = append(row, figureText(p.T, k, per.Figures[k]))
		}
		rows = append(rows, row)
	}
	for _, m := range imp.Months {
		line(m.Start.Format("2006-01"), m)
	}
	line(strconv.Itoa(imp.Year), imp.Total)
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("web: impact CSV of %d: %w", imp.Year, err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="impact-%d.csv"`, imp.Year))
	cache := "public, max-age=3600"
	if !imp.Filter.Empty() {
		cache = "private, no-cache"
	}
	w.Header().Set("Cache-Control", cache)
	if r.Method == http.MethodHead {
		return nil
	}
	_, err = buf.WriteTo(w)
	return err
}
