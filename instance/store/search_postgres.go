package store

import (
	"context"
	"strings"
	"unicode/utf8"
)

// PostgreSQL searches with a tsvector of title, description, area and
// category (item_document) in the 'simple' configuration (words as
// written, lower-cased, no stemming, as SQLite's unicode61; diacritics are
// kept, where SQLite removes them), with a GIN index, items_search.
// items_vocab (term, doc) is its vocabulary, kept by triggers on items,
// with a pg_trgm GiST index on term: the corrections' candidates are the
// vocabulary's words nearest by trigram similarity, found by the index
// rather than by reading every word of a letter.
// (migrations/postgres/0020_schema.sql)

// The match must use the expression of the index items_search.
var pgSearch = searchEngine{
	match: "to_tsvector('simple', item_document(i.title, i.description, i.area, i.category)) @@ to_tsquery('simple', ?)",
	query: pgQuery, vocab: (*Store).pgVocab,
}

// pgQuery is a tsquery for the words (each with its corrections), every
// word quoted so nothing typed is tsquery syntax.
func pgQuery(words []string, alts [][]string) string {
	quote := func(w string) string { return "'" + strings.ReplaceAll(w, "'", "''") + "'" }
	var terms []string
	for i, w := range words {
		term := quote(w) + ":*"
		for _, a := range alts[i] {
			term += " | " + quote(a)
		}
		terms = append(terms, "("+term+")")
	}
	return strings.Join(terms, " & ")
}

// pgCandidates is how many of the nearest words by trigrams are measured
// by edit distance.
const pgCandidates = 50

// pgVocab returns the indexed words nearest to word by trigram similarity
// that start with its first letter and are from lo to hi letters long, or
// none when some indexed word starts with word itself.
func (s *Store) pgVocab(ctx context.Context, word string, lo, hi int) ([]vocabWord, error) {
	var known bool
	if err := s.rd.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM items_vocab WHERE term >= ?1 AND term < ?1 || chr(1114111)
		AND doc > 0)`, word).Scan(&known); err != nil || known {
		return nil, err
	}
	first, _ := utf8.DecodeRuneInString(word)
	rows, err := s.rd.QueryContext(ctx, `SELECT term, doc FROM items_vocab WHERE doc > 0 AND term >= ?1 AND term < ?1 || chr(1114111)
		AND length(term) BETWEEN ?2 AND ?3 ORDER BY term <-> ?4 LIMIT ?5`, string(first), lo, hi, word, pgCandidates)
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
