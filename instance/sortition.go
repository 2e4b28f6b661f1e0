package instance

// The draw of a panel chosen by lot, and how anyone can check it.
//
// # Method
//
// Hearth draws a panel by taking the volunteers in a random order and
// keeping the first panel, in that order, that meets every quota exactly
// ("seeded order, first feasible panel"): it walks the shuffled list and
// takes each volunteer unless taking them would make the quotas
// impossible to meet with the volunteers still to come, backtracking when
// a choice turns out to lead nowhere. The search is complete, so when the
// volunteers allow the quotas to be met, they are met exactly.
//
// Why this and not the published alternatives:
//
//   - LEXIMIN (Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair
//     algorithms for selecting citizens' assemblies", Nature 596, 2021)
//     gives every volunteer the most equal chance the quotas allow, but it
//     computes a probability distribution over panels with a linear
//     programming (and integer programming) solver, and re-running it to
//     verify a draw depends on that solver's floating-point results. Hearth
//     has no solver (the domain uses the standard library only) and a draw
//     must be checkable bit for bit by anyone.
//   - The Sortition Foundation's "legacy" algorithm picks, seat by seat,
//     the category most urgently short of people and a random person in
//     it; it can fail and is then retried, and Flanigan et al. show that
//     it can give some volunteers far lower chances than others.
//   - Ours uses integers only and fits in about a hundred lines, so a
//     reimplementation in any language gives the same panel. With a single
//     question (stratum), everyone who gave the same answer has exactly
//     the same chance: the seats for that answer divided by the volunteers
//     who gave it. With several questions, chances within an answer can
//     differ; the panel page shows them, estimated from 1,000 re-draws, so
//     unfairness is visible.
//
// Limits: it is not LEXIMIN-optimal; the search is exponential in the
// worst case (quotas over several questions that almost cannot be met
// together), so it stops after DrawStepLimit steps and says so; it does
// not check households or addresses.
//
// # What is published, exactly
//
// The inputs' fingerprint (volunteers_sha256) is the lowercase hex
// SHA-256 of this UTF-8 text, one line per entry, each ending in "\n":
//
//	hearth-draw/1
//	algorithm hearth-ordered-backtracking 1
//	size 12
//	stratum Part of the village          (one per question, in order)
//	answer 4 North end                   (its answers in order: target, or "-" for none)
//	answer - Elsewhere
//	volunteer K7F3Q2 1 2                 (sorted by code, byte order; the 1-based answer to each question)
//
// A secret seed is 64 lowercase hex digits (32 random bytes); before the
// draw Hearth publishes its commitment, the hex SHA-256 of the seed's
// text. A public seed is the value the coordinator named (a lottery
// result, say), as typed in after it was known, with runs of white space
// made single spaces and the ends trimmed.
//
// The draw's key is SHA-256 of "hearth-draw-key/1", a 0 byte, the seed, a
// 0 byte and volunteers_sha256 (hex). It seeds ChaCha8 (math/rand/v2,
// which follows the C2SP chacha8rand specification). A number below m is
// drawn as the first 64-bit output x with x >= (2^64 mod m), taken mod m.
// The volunteers, sorted by code, are shuffled by Fisher–Yates: for i from
// n-1 down to 1, swap i with a number below i+1.
//
// Each question's answers with a target are quotas of exactly that many
// seats; the answers without one share the seats left over (size minus
// the targets) as one quota. The panel is the first set, in the order
// "take this volunteer before leaving them out", walking the shuffled
// list, that fills every quota exactly.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The draw's algorithm, as named in published records.
const (
	DrawFormat           = "hearth-draw/1"
	DrawAlgorithm        = "hearth-ordered-backtracking"
	DrawAlgorithmVersion = 1
	// DrawStepLimit bounds the search for one draw. It is part of the
	// algorithm: a verifier stops where Hearth stopped.
	DrawStepLimit = 2_000_000
	// ChanceRuns is how many re-draws estimate each volunteer's chance.
	ChanceRuns = 1000
)

// Seed methods.
const (
	SeedSecret = "secret" // Hearth's random seed, committed to before the draw
	SeedPublic = "public" // a public value nobody knows yet, typed in after
)

// Stratum is a question volunteers answer about themselves ("Which part
// of the village?"), with its answers and their quotas.
type Stratum struct {
	Name    string   `json:"name"`
	Answers []Answer `json:"answers"`
}

// Answer is one answer to a stratum's question. Target nil means no quota
// of its own: such answers share the seats the targets leave.
type Answer struct {
	Label  string `json:"label"`
	Target *int   `json:"target"`
}

// DrawVolunteer is a volunteer as published: a code and their answers
// (1-based, one per stratum). Names never appear in a record.
type DrawVolunteer struct {
	Code    string `json:"code"`
	Answers []int  `json:"answers"`
}

// DrawInputs is everything a draw depends on except the seed.
type DrawInputs struct {
	Size       int
	Strata     []Stratum
	Volunteers []DrawVolunteer
}

// DrawRecord is the published record of a draw: before it, the inputs,
// their fingerprint and the seed commitment (or the public value's
// source); after it, the seed and the panel. `hearth verify-draw` reads it.
type DrawRecord struct {
	Format           string          `json:"format"`
	Panel            string          `json:"panel,omitempty"`
	Title            string          `json:"title,omitempty"`
	Algorithm        string          `json:"algorithm"`
	AlgorithmVersion int             `json:"algorithm_version"`
	Size             int             `json:"size"`
	Strata           []Stratum       `json:"strata"`
	Volunteers       []DrawVolunteer `json:"volunteers"`
	VolunteersSHA256 string          `json:"volunteers_sha256"`
	SeedMethod       string          `json:"seed_method"`
	SeedCommitment   string          `json:"seed_commitment,omitempty"`
	SeedSource       string          `json:"seed_source,omitempty"`
	CommittedAt      time.Time       `json:"committed_at"`
	Seed             string          `json:"seed,omitempty"`
	DrawnAt          *time.Time      `json:"drawn_at,omitempty"`
	Selected         []string        `json:"selected,omitempty"`
}

// Inputs returns the record's draw inputs.
func (r *DrawRecord) Inputs() DrawInputs {
	return DrawInputs{Size: r.Size, Strata: r.Strata, Volunteers: r.Volunteers}
}

// QuotaIssue says why quotas cannot be met (or a panel cannot be drawn),
// as a catalogue code and its arguments.
type QuotaIssue struct {
	Code string
	Args []any
}

// sortedVolunteers returns the volunteers sorted by code (byte order).
func sortedVolunteers(vs []DrawVolunteer) []DrawVolunteer {
	out := slices.Clone(vs)
	slices.SortFunc(out, func(a, b DrawVolunteer) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// CanonicalInputs is the text whose SHA-256 is published (see the package
// comment above for its grammar).
func CanonicalInputs(in DrawInputs) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nalgorithm %s %d\nsize %d\n", DrawFormat, DrawAlgorithm, DrawAlgorithmVersion, in.Size)
	for _, s := range in.Strata {
		fmt.Fprintf(&b, "stratum %s\n", s.Name)
		for _, a := range s.Answers {
			t := "-"
			if a.Target != nil {
				t = strconv.Itoa(*a.Target)
			}
			fmt.Fprintf(&b, "answer %s %s\n", t, a.Label)
		}
	}
	for _, v := range sortedVolunteers(in.Volunteers) {
		b.WriteString("volunteer " + v.Code)
		for _, a := range v.Answers {
			b.WriteString(" " + strconv.Itoa(a))
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// InputsHash is the published fingerprint of the inputs.
func InputsHash(in DrawInputs) string {
	sum := sha256.Sum256(CanonicalInputs(in))
	return hex.EncodeToString(sum[:])
}

// SeedCommitment is the hex SHA-256 of a seed.
func SeedCommitment(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])
}

// NormaliseSeed makes a typed public value canonical: white space runs
// become one space, and the ends are trimmed.
func NormaliseSeed(s string) string { return strings.Join(strings.Fields(s), " ") }

// DrawKey derives the PRNG key of a draw from its seed and the inputs'
// fingerprint.
func DrawKey(seed, inputsHash string) [32]byte {
	return sha256.Sum256([]byte("hearth-draw-key/1\x00" + seed + "\x00" + inputsHash))
}

// estimateKey derives the key of the i-th re-draw that estimates chances;
// it does not depend on the real seed, so chances can be shown before the
// draw.
func estimateKey(inputsHash string, i int) [32]byte {
	return sha256.Sum256([]byte("hearth-draw-estimate/1\x00" + inputsHash + "\x00" + strconv.Itoa(i)))
}

// below returns a uniform number in [0, m) from the generator.
func below(r *rand.ChaCha8, m uint64) uint64 {
	threshold := -m % m // 2^64 mod m
	for {
		if x := r.Uint64(); x >= threshold {
			return x % m
		}
	}
}

// shuffledOrder returns the indexes 0..n-1 shuffled by Fisher–Yates.
func shuffledOrder(n int, key [32]byte) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	r := rand.NewChaCha8(key)
	for i := n - 1; i > 0; i-- {
		j := int(below(r, uint64(i+1)))
		order[i], order[j] = order[j], order[i]
	}
	return order
}

// quotaModel is the inputs turned into quotas: for every stratum, each
// volunteer falls into one group (their answer, or the shared group of
// answers without a target) and each group has an exact target; a
// stratum's targets add up to the panel's size.
type quotaModel struct {
	size   int
	vols   []DrawVolunteer // sorted by code
	group  [][]int         // group[v][s]
	target [][]int         // target[s][g]
	label  [][]string      // label[s][g]: the answer, or "" for the shared group
	names  []string        // stratum names
}

// CheckQuotas checks that the quotas fit the panel: no stratum's targets
// add up to more than its size, and a stratum whose every answer has a
// target adds up to exactly the size. It returns the problems found, with
// the stratum's position (0-based) for the form.
func CheckQuotas(size int, strata []Stratum) []FieldError {
	var out []FieldError
	for i, s := range strata {
		sum, free := 0, false
		for _, a := range s.Answers {
			if a.Target == nil {
				free = true
			} else {
				sum += *a.Target
			}
		}
		field := fmt.Sprintf("stratum_%d", i+1)
		switch {
		case sum > size:
			out = append(out, FieldError{Field: field, Code: "err.quota_sum_over", Args: []any{s.Name, sum, size}})
		case !free && sum < size:
			out = append(out, FieldError{Field: field, Code: "err.quota_sum_under", Args: []any{s.Name, sum, size}})
		}
	}
	return out
}

// newQuotaModel builds the model; the inputs must have passed
// checkInputs.
func newQuotaModel(in DrawInputs) *quotaModel {
	m := &quotaModel{size: in.Size, vols: sortedVolunteers(in.Volunteers)}
	answerGroup := make([][]int, len(in.Strata)) // answer index → group
	for s, st := range in.Strata {
		m.names = append(m.names, st.Name)
		var targets []int
		var labels []string
		shared, sharedAt, used := in.Size, -1, 0
		answerGroup[s] = make([]int, len(st.Answers))
		for a, ans := range st.Answers {
			if ans.Target != nil {
				answerGroup[s][a] = len(targets)
				targets = append(targets, *ans.Target)
				labels = append(labels, ans.Label)
				used += *ans.Target
				continue
			}
			if sharedAt < 0 {
				sharedAt = len(targets)
				targets = append(targets, 0)
				labels = append(labels, "")
			}
			answerGroup[s][a] = sharedAt
		}
		shared -= used
		if sharedAt >= 0 {
			targets[sharedAt] = shared
		}
		m.target = append(m.target, targets)
		m.label = append(m.label, labels)
	}
	for _, v := range m.vols {
		g := make([]int, len(in.Strata))
		for s := range in.Strata {
			g[s] = answerGroup[s][v.Answers[s]-1]
		}
		m.group = append(m.group, g)
	}
	return m
}

// search finds the first panel, walking order and taking a volunteer
// before leaving them out, that meets the quotas of the strata in use.
// It returns the chosen volunteers (indexes into m.vols), or nil with
// exceeded set when the step limit was reached.
func (m *quotaModel) search(order []int, use []bool) (picked []int, exceeded bool) {
	remain := make([][]int, len(m.target))
	count := make([][]int, len(m.target))
	for s := range m.target {
		remain[s] = make([]int, len(m.target[s]))
		count[s] = make([]int, len(m.target[s]))
	}
	for _, v := range order {
		for s := range m.target {
			remain[s][m.group[v][s]]++
		}
	}
	feasible := func() bool {
		for s := range m.target {
			if !use[s] {
				continue
			}
			for g, t := range m.target[s] {
				if count[s][g] > t || count[s][g]+remain[s][g] < t {
					return false
				}
			}
		}
		return true
	}
	steps := 0
	var pick []int
	var walk func(i int) bool
	walk = func(i int) bool {
		if steps++; steps > DrawStepLimit {
			exceeded = true
			return false
		}
		if len(pick) == m.size {
			return true
		}
		if i == len(order) || len(pick)+len(order)-i < m.size {
			return false
		}
		v := order[i]
		for s := range m.target {
			remain[s][m.group[v][s]]--
		}
		room := true
		for s := range m.target {
			if use[s] && count[s][m.group[v][s]] >= m.target[s][m.group[v][s]] {
				room = false
			}
		}
		if room {
			for s := range m.target {
				count[s][m.group[v][s]]++
			}
			pick = append(pick, v)
			if feasible() && walk(i+1) {
				return true
			}
			pick = pick[:len(pick)-1]
			for s := range m.target {
				count[s][m.group[v][s]]--
			}
			if exceeded {
				return false
			}
		}
		if feasible() && walk(i+1) {
			return true
		}
		for s := range m.target {
			remain[s][m.group[v][s]]++
		}
		return false
	}
	if feasible() && walk(0) {
		return slices.Clone(pick), false
	}
	return nil, exceeded
}

func all(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = true
	}
	return out
}

var codePattern = regexp.MustCompile(`^[0-9A-Z]{1,16}$`)

// checkInputs refuses inputs no draw can be made from (a damaged or
// hand-edited record, say).
func checkInputs(in DrawInputs) *QuotaIssue {
	if in.Size < 1 || len(in.Volunteers) > MaxVolunteers {
		return &QuotaIssue{Code: "draw.bad_record"}
	}
	seen := map[string]bool{}
	for _, v := range in.Volunteers {
		if !codePattern.MatchString(v.Code) || seen[v.Code] || len(v.Answers) != len(in.Strata) {
			return &QuotaIssue{Code: "draw.bad_record"}
		}
		seen[v.Code] = true
		for s, a := range v.Answers {
			if a < 1 || a > len(in.Strata[s].Answers) {
				return &QuotaIssue{Code: "draw.bad_record"}
			}
		}
	}
	for _, s := range in.Strata {
		if len(s.Answers) == 0 {
			return &QuotaIssue{Code: "draw.bad_record"}
		}
		for _, a := range s.Answers {
			if a.Target != nil && *a.Target < 0 {
				return &QuotaIssue{Code: "draw.bad_record"}
			}
		}
	}
	if errs := CheckQuotas(in.Size, in.Strata); len(errs) > 0 {
		return &QuotaIssue{Code: errs[0].Code, Args: errs[0].Args}
	}
	return nil
}

// ExplainQuotas says why the volunteers cannot fill the panel, or nil
// when they can: too few volunteers, an answer with fewer volunteers than
// its quota, two questions whose quotas clash, or all of them together.
func ExplainQuotas(in DrawInputs) []QuotaIssue {
	if bad := checkInputs(in); bad != nil {
		return []QuotaIssue{*bad}
	}
	if n := len(in.Volunteers); n < in.Size {
		return []QuotaIssue{{Code: "panel.too_few_volunteers", Args: []any{in.Size, n}}}
	}
	m := newQuotaModel(in)
	var out []QuotaIssue
	for s := range m.target {
		have := make([]int, len(m.target[s]))
		for v := range m.vols {
			have[m.group[v][s]]++
		}
		for g, t := range m.target[s] {
			if have[g] >= t {
				continue
			}
			if m.label[s][g] == "" {
				out = append(out, QuotaIssue{Code: "panel.quota_short_shared", Args: []any{m.names[s], t, have[g]}})
			} else {
				out = append(out, QuotaIssue{Code: "panel.quota_short", Args: []any{m.label[s][g], m.names[s], t, have[g]}})
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	order := make([]int, len(m.vols))
	for i := range order {
		order[i] = i
	}
	for a := range m.target {
		for b := a + 1; b < len(m.target); b++ {
			use := make([]bool, len(m.target))
			use[a], use[b] = true, true
			if p, exceeded := m.search(order, use); p == nil && !exceeded {
				out = append(out, QuotaIssue{Code: "panel.quotas_clash", Args: []any{m.names[a], m.names[b]}})
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	if p, exceeded := m.search(order, all(len(m.target))); p == nil {
		if exceeded {
			return []QuotaIssue{{Code: "panel.search_too_long", Args: []any{DrawStepLimit}}}
		}
		return []QuotaIssue{{Code: "panel.quotas_clash_all"}}
	}
	return nil
}

// Draw runs the draw with a key and returns the chosen volunteers' codes,
// sorted, or why none could be chosen.
func Draw(in DrawInputs, key [32]byte) ([]string, *QuotaIssue) {
	if bad := checkInputs(in); bad != nil {
		return nil, bad
	}
	m := newQuotaModel(in)
	picked, exceeded := m.search(shuffledOrder(len(m.vols), key), all(len(m.target)))
	if picked == nil {
		if issues := ExplainQuotas(in); len(issues) > 0 {
			return nil, &issues[0]
		}
		if exceeded {
			return nil, &QuotaIssue{Code: "panel.search_too_long", Args: []any{DrawStepLimit}}
		}
		return nil, &QuotaIssue{Code: "panel.quotas_clash_all"}
	}
	codes := make([]string, len(picked))
	for i, v := range picked {
		codes[i] = m.vols[v].Code
	}
	slices.Sort(codes)
	return codes, nil
}

// AnswerChance is how likely the volunteers who gave one answer are to be
// drawn, estimated from ChanceRuns re-draws.
type AnswerChance struct {
	Stratum    string  `json:"stratum"`
	Answer     string  `json:"answer"`
	Volunteers int     `json:"volunteers"`
	Seats      *int    `json:"seats"` // the answer's own quota, if it has one
	Mean       float64 `json:"mean"`  // average chance of its volunteers
	Low        float64 `json:"low"`   // the lowest chance of one of them
	High       float64 `json:"high"`  // and the highest
}

// Chances estimates, from ChanceRuns re-draws with keys derived from the
// inputs' fingerprint, each volunteer's chance, and reports it per answer
// (and for everyone, as the first entry, when there are no strata). Runs
// that cannot fill the panel are left out; all fail gives nil.
func Chances(in DrawInputs, runs int) []AnswerChance {
	if checkInputs(in) != nil || len(ExplainQuotas(in)) > 0 {
		return nil
	}
	m := newQuotaModel(in)
	hash := InputsHash(in)
	hits := make([]int, len(m.vols))
	ok := 0
	for i := range runs {
		picked, _ := m.search(shuffledOrder(len(m.vols), estimateKey(hash, i)), all(len(m.target)))
		if picked == nil {
			continue
		}
		ok++
		for _, v := range picked {
			hits[v]++
		}
	}
	if ok == 0 {
		return nil
	}
	summarise := func(stratum, answer string, seats *int, members []int) AnswerChance {
		c := AnswerChance{Stratum: stratum, Answer: answer, Seats: seats, Volunteers: len(members), Low: 1}
		if len(members) == 0 {
			c.Low = 0
			return c
		}
		for _, v := range members {
			p := float64(hits[v]) / float64(ok)
			c.Mean += p
			c.Low, c.High = min(c.Low, p), max(c.High, p)
		}
		c.Mean /= float64(len(members))
		return c
	}
	var out []AnswerChance
	if len(in.Strata) == 0 {
		everyone := make([]int, len(m.vols))
		for i := range everyone {
			everyone[i] = i
		}
		return []AnswerChance{summarise("", "", nil, everyone)}
	}
	for s, st := range in.Strata {
		for a, ans := range st.Answers {
			var members []int
			for v, vol := range m.vols {
				if vol.Answers[s] == a+1 {
					members = append(members, v)
				}
			}
			out = append(out, summarise(st.Name, ans.Label, ans.Target, members))
		}
	}
	return out
}

// DrawCheck is what re-running a published draw found.
type DrawCheck struct {
	// Problems are catalogue codes, in the order checked; none means the
	// record is sound and the re-run gives the published panel.
	Problems     []QuotaIssue
	ComputedHash string
	Drawn        bool     // the record has a seed and a panel
	Rerun        []string // the panel the re-run chose
}

// OK reports whether every check passed.
func (c *DrawCheck) OK() bool { return len(c.Problems) == 0 }

// VerifyDraw re-runs a published draw from its record: the inputs'
// fingerprint, the seed against its commitment, and the panel.
func VerifyDraw(rec *DrawRecord) *DrawCheck {
	c := &DrawCheck{}
	if rec.Format != DrawFormat || rec.Algorithm != DrawAlgorithm || rec.AlgorithmVersion != DrawAlgorithmVersion {
		c.Problems = append(c.Problems, QuotaIssue{Code: "drawcheck.unknown_algorithm", Args: []any{rec.Algorithm, rec.AlgorithmVersion}})
		return c
	}
	in := rec.Inputs()
	if bad := checkInputs(in); bad != nil {
		c.Problems = append(c.Problems, *bad)
		return c
	}
	c.ComputedHash = InputsHash(in)
	if c.ComputedHash != rec.VolunteersSHA256 {
		c.Problems = append(c.Problems, QuotaIssue{Code: "drawcheck.hash_differs", Args: []any{c.ComputedHash, rec.VolunteersSHA256}})
	}
	if rec.Seed == "" {
		if len(rec.Selected) > 0 {
			c.Problems = append(c.Problems, QuotaIssue{Code: "drawcheck.no_seed"})
		}
		return c
	}
	c.Drawn = true
	switch rec.SeedMethod {
	case SeedSecret:
		if SeedCommitment(rec.Seed) != rec.SeedCommitment {
			c.Problems = append(c.Problems, QuotaIssue{Code: "drawcheck.commitment_differs"})
		}
	case SeedPublic:
		if NormaliseSeed(rec.Seed) != rec.Seed {
			c.Problems = append(c.Problems, QuotaIssue{Code: "drawcheck.seed_not_normal"})
		}
	default:
		c.Problems = append(c.Problems, QuotaIssue{Code: "drawcheck.unknown_seed_method"})
	}
	// The key binds the seed to the inputs as given, so a changed list
	// changes the order as well as the fingerprint.
	rerun, issue := Draw(in, DrawKey(rec.Seed, c.ComputedHash))
	if issue != nil {
		c.Problems = append(c.Problems, *issue)
		return c
	}
	c.Rerun = rerun
	got := slices.Clone(rec.Selected)
	slices.Sort(got)
	if !slices.Equal(got, rerun) {
		c.Problems = append(c.Problems, QuotaIssue{Code: "drawcheck.panel_differs"})
	}
	return c
}
