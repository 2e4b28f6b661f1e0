package instance

import (
	"fmt"
	"testing"
	"time"
)

// Needs met by a helper from a neighbouring village are counted apart,
// under the same small-number rule: five needs met by five neighbours'
// helpers are shown; five met by one neighbour's helper are a figure
// about that helper and withheld. Either way they count as needs met.
func TestNeedsMetByANeighbouringVillage(t *testing.T) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to, now := from.AddDate(0, 1, 0), from.AddDate(0, 2, 0)
	records := func(helper func(i int) string) *ImpactRecords {
		recs := &ImpactRecords{}
		for i := range 5 {
			recs.Needs = append(recs.Needs, NeedRecord{AskedAt: from.Add(time.Hour), DoneAt: from.Add(5 * time.Hour),
				Requester: int64(i + 1), RemoteHelper: helper(i), Category: "lifts", GroupID: 1})
		}
		// A sixth need, met by a member here, is not one of them.
		recs.Needs = append(recs.Needs, NeedRecord{AskedAt: from.Add(time.Hour), DoneAt: from.Add(5 * time.Hour),
			Requester: 6, Helper: 60, Category: "lifts", GroupID: 1})
		return recs
	}
	many := figures(records(func(i int) string { return fmt.Sprintf("https://nether.example/users/h%d", i) }), ImpactFilter{}, from, to, now)
	if f := many.Figures[FigNeedsMetNearby]; !f.Shown || f.Value != 5 {
		t.Errorf("met by five neighbours' helpers: %+v, want 5 shown", f)
	}
	if f := many.Figures[FigNeedsMet]; !f.Shown || f.Value != 6 {
		t.Errorf("needs met: %+v, want 6 shown (the neighbours' and ours)", f)
	}
	one := figures(records(func(int) string { return "https://nether.example/users/jo" }), ImpactFilter{}, from, to, now)
	if f := one.Figures[FigNeedsMetNearby]; f.Shown || f.Value != 0 {
		t.Errorf("met by one neighbour's helper: %+v, want it withheld", f)
	}
}
