package instance_test

import (
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"hearth/instance"
)

func target(n int) *int { return &n }

// village is a panel of 6 from 30 volunteers, with quotas on two
// questions.
func village() instance.DrawInputs {
	in := instance.DrawInputs{Size: 6, Strata: []instance.Stratum{
		{Name: "Part of the village", Answers: []instance.Answer{{Label: "North end", Target: target(2)}, {Label: "South end", Target: target(2)},
			{Label: "Farms", Target: nil}, {Label: "The estate", Target: nil}}},
		{Name: "Age", Answers: []instance.Answer{{Label: "Under 40", Target: target(3)}, {Label: "40 and over", Target: target(3)}}},
	}}
	for i := range 30 {
		in.Volunteers = append(in.Volunteers, instance.DrawVolunteer{Code: fmt.Sprintf("V%02d", i), Answers: []int{1 + i%4, 1 + (i/4)%2}})
	}
	return in
}

func key(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// countsMet checks every quota of a panel exactly.
func countsMet(t *testing.T, in instance.DrawInputs, panel []string) {
	t.Helper()
	if len(panel) != in.Size {
		t.Fatalf("panel of %d, want %d", len(panel), in.Size)
	}
	answers := map[string][]int{}
	for _, v := range in.Volunteers {
		answers[v.Code] = v.Answers
	}
	for s, st := range in.Strata {
		got := make([]int, len(st.Answers))
		for _, code := range panel {
			got[answers[code][s]-1]++
		}
		shared, sharedWant := 0, in.Size
		for a, ans := range st.Answers {
			if ans.Target == nil {
				shared += got[a]
				continue
			}
			sharedWant -= *ans.Target
			if got[a] != *ans.Target {
				t.Errorf("%s / %s: %d on the panel, quota %d", st.Name, ans.Label, got[a], *ans.Target)
			}
		}
		if shared != sharedWant {
			t.Errorf("%s, answers without a quota: %d on the panel, want the %d seats left", st.Name, shared, sharedWant)
		}
	}
}

// Quotas are met exactly, for many seeds, and the same key always gives
// the same panel.
func TestDrawMeetsQuotasAndIsReproducible(t *testing.T) {
	in := village()
	seen := map[string]bool{}
	for i := range 200 {
		k := key(fmt.Sprint("seed ", i))
		panel, issue := instance.Draw(in, k)
		if issue != nil {
			t.Fatalf("seed %d: %v", i, issue)
		}
		countsMet(t, in, panel)
		again, _ := instance.Draw(in, k)
		if !slices.Equal(panel, again) {
			t.Fatalf("seed %d: two runs gave %v and %v", i, panel, again)
		}
		seen[strings.Join(panel, ",")] = true
	}
	if len(seen) < 100 {
		t.Errorf("200 seeds gave only %d different panels: the draw is hardly random", len(seen))
	}
	// The order volunteers are listed in does not matter: they are
	// sorted by code first.
	rev := in
	rev.Volunteers = slices.Clone(in.Volunteers)
	slices.Reverse(rev.Volunteers)
	a, _ := instance.Draw(in, key("x"))
	b, _ := instance.Draw(rev, key("x"))
	if !slices.Equal(a, b) || instance.InputsHash(in) != instance.InputsHash(rev) {
		t.Error("listing the volunteers in another order changed the draw or the fingerprint")
	}
}

// The search backtracks: taking the first volunteer in the order can
// lead nowhere, and the draw must still find the only panel that works.
func TestDrawBacktracks(t *testing.T) {
	in := instance.DrawInputs{Size: 2, Strata: []instance.Stratum{
		{Name: "A", Answers: []instance.Answer{{Label: "a1", Target: target(1)}, {Label: "a2", Target: target(1)}}},
		{Name: "B", Answers: []instance.Answer{{Label: "b1", Target: target(1)}, {Label: "b2", Target: target(1)}}},
	}, Volunteers: []instance.DrawVolunteer{{Code: "V1", Answers: []int{1, 1}}, {Code: "V2", Answers: []int{2, 1}}, {Code: "V3", Answers: []int{1, 2}}}}
	for i := range 50 {
		panel, issue := instance.Draw(in, key(fmt.Sprint(i)))
		if issue != nil || !slices.Equal(panel, []string{"V2", "V3"}) {
			t.Fatalf("seed %d: %v %v, want [V2 V3] (the only panel that meets both quotas)", i, panel, issue)
		}
	}
}

// The published encoding, the key derivation and the shuffle are pinned:
// a reimplementation follows the package documentation, so any change
// here breaks every published draw and must be a new algorithm version.
func TestDrawEncodingAndOrderArePinned(t *testing.T) {
	in := instance.DrawInputs{Size: 1, Strata: []instance.Stratum{{Name: "Part of the village",
		Answers: []instance.Answer{{Label: "North end", Target: target(1)}, {Label: "Elsewhere"}}}},
		Volunteers: []instance.DrawVolunteer{{Code: "B2", Answers: []int{2}}, {Code: "A1", Answers: []int{1}}}}
	want := "hearth-draw/1\nalgorithm hearth-ordered-backtracking 1\nsize 1\nstratum Part of the village\n" +
		"answer 1 North end\nanswer - Elsewhere\nvolunteer A1 1\nvolunteer B2 2\n"
	if got := string(instance.CanonicalInputs(in)); got != want {
		t.Fatalf("canonical text:\n%s\nwant:\n%s", got, want)
	}
	sum := sha256.Sum256([]byte(want))
	if got := instance.InputsHash(in); got != fmt.Sprintf("%x", sum) {
		t.Errorf("fingerprint %s is not the SHA-256 of the canonical text", got)
	}
	if k := instance.DrawKey("seed", "abc"); k != sha256.Sum256([]byte("hearth-draw-key/1\x00seed\x00abc")) {
		t.Error("the key is not SHA-256 of the documented string")
	}
	// 20 volunteers with no quotas: a panel of k is the first k of the
	// shuffled order, so drawing every size with one key recovers the
	// whole order, which pins ChaCha8, the rejection sampling and
	// Fisher–Yates.
	orderOf := func(k [32]byte) []string {
		open := instance.DrawInputs{}
		for i := range 20 {
			open.Volunteers = append(open.Volunteers, instance.DrawVolunteer{Code: fmt.Sprintf("P%02d", i)})
		}
		var got, before []string
		for size := 1; size <= 20; size++ {
			open.Size = size
			panel, issue := instance.Draw(open, k)
			if issue != nil {
				t.Fatal(issue)
			}
			for _, c := range panel {
				if !slices.Contains(before, c) {
					got = append(got, c)
				}
			}
			before = panel
		}
		return got
	}
	// The same, following the documentation with nothing from the
	// package.
	documented := func(k [32]byte) []string {
		r := rand.NewChaCha8(k)
		order := make([]int, 20)
		for i := range order {
			order[i] = i
		}
		for i := 19; i > 0; i-- {
			m := uint64(i + 1)
			threshold := (math.MaxUint64%m + 1) % m // 2^64 mod m
			x := r.Uint64()
			for x < threshold {
				x = r.Uint64()
			}
			j := int(x % m)
			order[i], order[j] = order[j], order[i]
		}
		var out []string
		for _, i := range order {
			out = append(out, fmt.Sprintf("P%02d", i))
		}
		return out
	}
	for i := range 10 {
		k := sha256.Sum256([]byte(fmt.Sprint("pinned ", i)))
		if got, want := orderOf(k), documented(k); !slices.Equal(got, want) {
			t.Errorf("key %d: the draw's order is %v; following the documentation gives %v", i, got, want)
		}
	}
	got := orderOf(sha256.Sum256([]byte("pinned")))
	if pinned := "P10 P16 P05 P18 P07 P12 P03 P04 P17 P00 P09 P15 P19 P11 P01 P08 P13 P14 P06 P02"; strings.Join(got, " ") != pinned {
		t.Errorf("the order changed:\n%s\npinned:\n%s", strings.Join(got, " "), pinned)
	}
}

func record(t *testing.T, in instance.DrawInputs, seed string) *instance.DrawRecord {
	t.Helper()
	rec := &instance.DrawRecord{Format: instance.DrawFormat, Algorithm: instance.DrawAlgorithm, AlgorithmVersion: instance.DrawAlgorithmVersion,
		Size: in.Size, Strata: in.Strata, Volunteers: in.Volunteers, VolunteersSHA256: instance.InputsHash(in),
		SeedMethod: instance.SeedSecret, SeedCommitment: instance.SeedCommitment(seed), Seed: seed}
	panel, issue := instance.Draw(in, instance.DrawKey(seed, rec.VolunteersSHA256))
	if issue != nil {
		t.Fatal(issue)
	}
	rec.Selected = panel
	return rec
}

func codes(issues []instance.QuotaIssue) []string {
	var out []string
	for _, i := range issues {
		out = append(out, i.Code)
	}
	return out
}

// A published record re-runs to the same panel; changing one volunteer's
// answer, or the seed, gives a different result and the verifier says
// which check failed.
func TestVerifyDrawCatchesTampering(t *testing.T) {
	in := village()
	rec := record(t, in, "3f1c0ffee")
	if c := instance.VerifyDraw(rec); !c.OK() || !slices.Equal(c.Rerun, rec.Selected) {
		t.Fatalf("honest record: problems %v, rerun %v, published %v", codes(c.Problems), c.Rerun, rec.Selected)
	}

	tampered := *rec
	tampered.Volunteers = slices.Clone(rec.Volunteers)
	v := tampered.Volunteers[7]
	tampered.Volunteers[7] = instance.DrawVolunteer{Code: v.Code, Answers: []int{v.Answers[0]%4 + 1, v.Answers[1]}}
	c := instance.VerifyDraw(&tampered)
	if !slices.Contains(codes(c.Problems), "drawcheck.hash_differs") || !slices.Contains(codes(c.Problems), "drawcheck.panel_differs") {
		t.Errorf("one volunteer changed: problems %v, want the fingerprint and the panel to differ", codes(c.Problems))
	}
	if slices.Equal(c.Rerun, rec.Selected) {
		t.Error("one volunteer changed, yet the re-run gave the published panel")
	}

	reseeded := *rec
	reseeded.Seed = "3f1c0ffef"
	c = instance.VerifyDraw(&reseeded)
	if !slices.Contains(codes(c.Problems), "drawcheck.commitment_differs") || !slices.Contains(codes(c.Problems), "drawcheck.panel_differs") {
		t.Errorf("seed changed: problems %v, want the commitment and the panel to differ", codes(c.Problems))
	}

	swapped := *rec
	swapped.Selected = append(slices.Clone(rec.Selected[1:]), "V29")
	if !slices.Contains(rec.Selected, "V29") {
		if c := instance.VerifyDraw(&swapped); !slices.Equal(codes(c.Problems), []string{"drawcheck.panel_differs"}) {
			t.Errorf("a published panel with someone swapped in: problems %v", codes(c.Problems))
		}
	}

	unknown := *rec
	unknown.AlgorithmVersion = 2
	if c := instance.VerifyDraw(&unknown); !slices.Equal(codes(c.Problems), []string{"drawcheck.unknown_algorithm"}) {
		t.Errorf("unknown algorithm: %v", codes(c.Problems))
	}
}

// When the quotas cannot be met, the explanation names the quota and why.
func TestInfeasibleQuotasExplained(t *testing.T) {
	in := village()
	in.Size, in.Strata = 40, nil
	for i := range in.Volunteers {
		in.Volunteers[i].Answers = nil
	}
	if got := instance.ExplainQuotas(in); len(got) != 1 || got[0].Code != "panel.too_few_volunteers" || got[0].Args[0] != 40 || got[0].Args[1] != 30 {
		t.Errorf("panel larger than its volunteers: %+v", got)
	}

	short := village()
	short.Strata[0].Answers[0].Target = target(3)
	short.Strata[0].Answers[1].Target = target(3)
	short.Volunteers = short.Volunteers[:6] // two from each end, two of 40 and over
	got := instance.ExplainQuotas(short)
	if len(got) != 3 || got[0].Code != "panel.quota_short" || got[0].Args[0] != "North end" || got[0].Args[2] != 3 || got[0].Args[3] != 2 {
		t.Errorf("quota with too few volunteers: %+v", got)
	}

	clash := instance.DrawInputs{Size: 2, Strata: []instance.Stratum{
		{Name: "Part of the village", Answers: []instance.Answer{{Label: "North", Target: target(2)}, {Label: "South", Target: target(0)}}},
		{Name: "Age", Answers: []instance.Answer{{Label: "Young", Target: target(2)}, {Label: "Old", Target: target(0)}}},
	}}
	for i := range 3 {
		clash.Volunteers = append(clash.Volunteers, instance.DrawVolunteer{Code: fmt.Sprintf("N%d", i), Answers: []int{1, 2}},
			instance.DrawVolunteer{Code: fmt.Sprintf("S%d", i), Answers: []int{2, 1}})
	}
	got = instance.ExplainQuotas(clash)
	if len(got) != 1 || got[0].Code != "panel.quotas_clash" || got[0].Args[0] != "Part of the village" || got[0].Args[1] != "Age" {
		t.Errorf("quotas that clash: %+v", got)
	}
	if _, issue := instance.Draw(clash, key("any")); issue == nil || issue.Code != "panel.quotas_clash" {
		t.Errorf("drawing with clashing quotas: %+v", issue)
	}
	if got := instance.ExplainQuotas(village()); got != nil {
		t.Errorf("feasible quotas explained as %+v", got)
	}

	over := instance.CheckQuotas(6, []instance.Stratum{{Name: "Age", Answers: []instance.Answer{{Label: "Young", Target: target(4)}, {Label: "Old", Target: target(3)}}}})
	if len(over) != 1 || over[0].Code != "err.quota_sum_over" || over[0].Args[1] != 7 || over[0].Args[2] != 6 {
		t.Errorf("quotas over the size: %+v", over)
	}
	under := instance.CheckQuotas(6, []instance.Stratum{{Name: "Age", Answers: []instance.Answer{{Label: "Young", Target: target(2)}, {Label: "Old", Target: target(3)}}}})
	if len(under) != 1 || under[0].Code != "err.quota_sum_under" {
		t.Errorf("every answer with a quota, short of the size: %+v", under)
	}
}

// With one question, every volunteer who gave an answer has the same
// chance: its seats over its volunteers. The estimate shows it.
func TestChancesShowFairness(t *testing.T) {
	in := instance.DrawInputs{Size: 4, Strata: []instance.Stratum{{Name: "Part", Answers: []instance.Answer{
		{Label: "North", Target: target(1)}, {Label: "South", Target: target(3)}}}}}
	for i := range 10 { // 2 in the North, 8 in the South
		in.Volunteers = append(in.Volunteers, instance.DrawVolunteer{Code: fmt.Sprintf("V%d", i), Answers: []int{1 + min(i%5, 1)}})
	}
	got := instance.Chances(in, instance.ChanceRuns)
	if len(got) != 2 {
		t.Fatalf("chances %+v", got)
	}
	north, south := got[0], got[1]
	if north.Volunteers != 2 || south.Volunteers != 8 {
		t.Fatalf("volunteers per answer: %+v", got)
	}
	if d := north.Mean - 0.5; d > 1e-9 || d < -1e-9 {
		t.Errorf("North: mean chance %.3f, want exactly 1 seat in 2 = 0.5", north.Mean)
	}
	if d := south.Mean - 3.0/8; d > 1e-9 || d < -1e-9 {
		t.Errorf("South: mean chance %.3f, want exactly 3 seats in 8 = 0.375", south.Mean)
	}
	if north.Low < 0.4 || north.High > 0.6 || south.Low < 0.3 || south.High > 0.45 {
		t.Errorf("individual chances spread too far for 1,000 re-draws: %+v", got)
	}
}
