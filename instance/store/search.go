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

// ftsQuery turns what a person typed into a safe FTS5 query: every word
// must appear, as the start of a word ("shop" finds "shopping"), or, when
// no word in the index starts like it, as one of the indexed words it is
// a slip away from ("shoping" finds "shopping"; see corrections).
func (s *Store) ftsQuery(ctx context.Context, q string) (string, error) {
	var terms []string
	for _, w := range searchWords(q) {
		alts, err := s.corrections(ctx, strings.ToLower(w))
		if err != nil {
			return "", err
		}
		term := `"` + w + `"*`
		for _, a := range alts {
			term += ` OR "` + a + `"`
		}
		if len(alts) > 0 {
			term = "(" + term + ")"
		}
		terms = append(terms, term)
	}
	return strings.Join(terms, " AND "), nil // FTS5 has no implicit AND between brackets
}

// corrections returns up to three indexed words that a word of four
// letters or more is probably a misspelling of: none when some indexed
// word starts with it (it is a real word, or the start of one); otherwise
// the words starting with the same letter within one edit (two for words
// of eight letters or more), where an edit is a letter added, dropped,
// changed or two swapped, the closest and commonest first.
//
// A trigram index was the other way: FTS5's trigram tokenizer finds
// substrings, but "shoping" is not a substring of "shopping" (its "opi"
// is no trigram of it), and matching any of a word's trigrams matches
// nearly everything and needs a ranking threshold. The vocabulary of the
// index we have is small (one row per distinct word) and read in order.
func (s *Store) corrections(ctx context.Context, word string) ([]string, error) {
	n := utf8.RuneCountInString(word)
	if n < 4 {
		return nil, nil
	}
	var known bool
	if err := s.rd.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM items_vocab WHERE term >= ?1 AND term < ?1 || char(1114111))`,
		word).Scan(&known); err != nil {
		return nil, fmt.Errorf("store: search words: %w", err)
	}
	if known {
		return nil, nil
	}
	most := 1
	if n >= 8 {
		most = 2
	}
	first, _ := utf8.DecodeRuneInString(word)
	rows, err := s.rd.QueryContext(ctx, `SELECT term, doc FROM items_vocab WHERE term >= ?1 AND term < ?1 || char(1114111)
		AND length(term) BETWEEN ?2 AND ?3`, string(first), n-most, n+most)
	if err != nil {
		return nil, fmt.Errorf("store: search words: %w", err)
	}
	defer rows.Close()
	type match struct {
		term      string
		dist, doc int
	}
	var found []match
	for rows.Next() {
		var m match
		if err := rows.Scan(&m.term, &m.doc); err != nil {
			return nil, err
		}
		if m.dist = editDistance(word, m.term, most); m.dist <= most && !strings.ContainsRune(m.term, '"') {
			found = append(found, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].dist != found[j].dist {
			return found[i].dist < found[j].dist
		}
		return found[i].doc > found[j].doc
	})
	var out []string
	for i := 0; i < len(found) && i < 3; i++ {
		out = append(out, found[i].term)
	}
	return out, nil
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
