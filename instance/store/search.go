package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// searchWords splits what a person typed into the words FTS5 would see:
// letters, digits, - _ and ', and anything beyond ASCII; FTS syntax
// characters are dropped. At most ten words count.
func searchWords(q string) []string {
	var words []string
	for _, w := range strings.FieldsFunc(q, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '\'' || (r >= '0' && r <= '9') || r > 127 || (r|0x20 >= 'a' && r|0x20 <= 'z'))
	}) {
		w = strings.Trim(strings.ReplaceAll(w, `"`, ``), "-_'")
		if w != "" {
			words = append(words, w)
		}
		if len(words) == 10 {
			break
		}
	}
	return words
}

// searchMatch is the ListItems condition on items i for what a person
// typed, with its one argument: every word must appear, as the start of a
// word ("shop" finds "shopping"), or, when no indexed word starts like
// it, as one of the indexed words it is a slip away from ("shoping" finds
// "shopping"; see corrections). It is "" when no word is left of q.
// How words are matched is the engine's (search_sqlite.go: FTS5;
// search_postgres.go: tsvector).
func (s *Store) searchMatch(ctx context.Context, q string) (string, string, error) {
	words := searchWords(q)
	if len(words) == 0 {
		return "", "", nil
	}
	alts := make([][]string, len(words))
	for i, w := range words {
		var err error
		if alts[i], err = s.corrections(ctx, strings.ToLower(w)); err != nil {
			return "", "", err
		}
	}
	se := s.e.search()
	return se.match, se.query(words, alts), nil
}

// searchEngine is how an engine finds items by their words: match is the
// condition, query makes its argument from the words and their
// corrections, and vocab gives the candidates for corrections.
type searchEngine struct {
	match string
	query func(words []string, alts [][]string) string
	vocab func(s *Store, ctx context.Context, word string, lo, hi int) ([]vocabWord, error)
}

// corrections returns up to three indexed words that a word of four
// letters or more is probably a misspelling of: none when some indexed
// word starts with it (it is a real word, or the start of one); otherwise
// the words starting with the same letter within one edit (two for words
// of eight letters or more), where an edit is a letter added, dropped,
// changed or two swapped, the closest and commonest first. The engine
// gives the candidates from its vocabulary of indexed words (one row per
// distinct word, with the number of items using it); the edit distance
// is measured here, the same on both.
func (s *Store) corrections(ctx context.Context, word string) ([]string, error) {
	n := utf8.RuneCountInString(word)
	if n < 4 {
		return nil, nil
	}
	most := 1
	if n >= 8 {
		most = 2
	}
	found, err := s.e.search().vocab(s, ctx, word, n-most, n+most)
	if err != nil {
		return nil, fmt.Errorf("store: search words: %w", err)
	}
	kept := found[:0]
	for _, m := range found {
		if m.dist = editDistance(word, m.term, most); m.dist <= most && !strings.ContainsRune(m.term, '"') {
			kept = append(kept, m)
		}
	}
	sort.Slice(kept, func(i, j int) bool {
		if kept[i].dist != kept[j].dist {
			return kept[i].dist < kept[j].dist
		}
		return kept[i].doc > kept[j].doc
	})
	var out []string
	for i := 0; i < len(kept) && i < 3; i++ {
		out = append(out, kept[i].term)
	}
	return out, nil
}

// vocabWord is an indexed word, the number of items it is in, and its
// distance from the word looked up.
type vocabWord struct {
	term      string
	dist, doc int
}

// editDistance is the optimal-string-alignment distance between a and b
// (letters added, dropped, changed, or two next to each other swapped),
// or more than most as soon as it must be.
func editDistance(a, b string, most int) int {
	x, y := []rune(a), []rune(b)
	if d := len(x) - len(y); d > most || -d > most {
		return most + 1
	}
	prev2 := make([]int, len(y)+1)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			low = min(low, cur[j])
		}
		if low > most {
			return most + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}
