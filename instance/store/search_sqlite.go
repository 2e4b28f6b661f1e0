package store

import (
	"context"
	"strings"
	"unicode/utf8"
)

// SQLite searches with FTS5: the items_fts index (title, description,
// area, category; unicode61, diacritics removed) and its fts5vocab table
// items_vocab for the "did you mean" corrections.
//
// A trigram index was the other way: FTS5's trigram tokenizer finds
// substrings, but "shoping" is not a substring of "shopping" (its "opi"
// is no trigram of it), and matching any of a word's trigrams matches
// nearly everything and needs a ranking threshold. The vocabulary of the
// index we have is small (one row per distinct word) and read in order.

var ftsSearch = searchEngine{match: "i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)", query: ftsQuery, vocab: (*Store).ftsVocab}

// ftsQuery is a safe FTS5 query for the words (each with its corrections).
func ftsQuery(words []string, alts [][]string) string {
	var terms []string
	for i, w := range words {
		term := `"` + w + `"*`
		for _, a := range alts[i] {
			term += ` OR "` + a + `"`
		}
		if len(alts[i]) > 0 {
			term = "(" + term + ")"
		}
		terms = append(terms, term)
	}
	return strings.Join(terms, " AND ") // FTS5 has no implicit AND between brackets
}

// ftsVocab returns the indexed words starting with word's first letter
// and from lo to hi letters long, or none when some indexed word starts
// with word itself.
func (s *Store) ftsVocab(ctx context.Context, word string, lo, hi int) ([]vocabWord, error) {
	var known bool
	if err := s.rd.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM items_vocab WHERE term >= ?1 AND term < ?1 || char(1114111))`,
		word).Scan(&known); err != nil || known {
		return nil, err
	}
	first, _ := utf8.DecodeRuneInString(word)
	rows, err := s.rd.QueryContext(ctx, `SELECT term, doc FROM items_vocab WHERE term >= ?1 AND term < ?1 || char(1114111)
		AND length(term) BETWEEN ?2 AND ?3`, string(first), lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var found []vocabWord
	for rows.Next() {
		var m vocabWord
		if err := rows.Scan(&m.term, &m.doc); err != nil {
			return nil, err
		}
		found = append(found, m)
	}
	return found, rows.Err()
}
