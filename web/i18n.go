package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

//go:embed messages/*.json
var messageFiles embed.FS

// catalogue holds the user-visible text of every language we have a file
// for. Messages use fmt verbs for their arguments (%[1]d to reorder).
//
// A message that depends on a number is an object of CLDR plural forms
// instead of a string, chosen by golang.org/x/text's plural rules for the
// language (French says "1 personne" and "0 personne", English "0
// people"):
//
//	"home.pending": {"one": "%d person is waiting…", "other": "%d people are waiting…"}
//
// The number is the first argument, or the one "arg" names ("arg": 2).
// Every form must use the same arguments; "other" is required.
type catalogue struct {
	// langs has every message; a plural one by its "other" form (so
	// key lookups and the consistency tests see every key).
	langs map[string]map[string]string
	// plurals[lang][key] are the forms of the plural messages, and
	// printers format them through x/text's catalogue.
	plurals  map[string]map[string]pluralEntry
	printers map[string]*message.Printer
}

// pluralEntry is one plural message: its forms and which argument picks
// the form (1-based).
type pluralEntry struct {
	Arg   int
	Forms map[string]string
}

// pluralForms are the CLDR plural categories, in the order x/text takes
// them.
var pluralForms = []string{"zero", "one", "two", "few", "many", "other"}

// loadCatalogue parses the embedded message files once per process: the
// web server and the domain's emails (Translator) share the result.
var loadCatalogue = sync.OnceValues(parseCatalogue)

func parseCatalogue() (*catalogue, error) {
	entries, err := messageFiles.ReadDir("messages")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		data, err := messageFiles.ReadFile("messages/" + e.Name())
		if err != nil {
			return nil, err
		}
		files[strings.TrimSuffix(e.Name(), path.Ext(e.Name()))] = data
	}
	return buildCatalogue(files)
}

// buildCatalogue reads message files (language → JSON).
func buildCatalogue(files map[string][]byte) (*catalogue, error) {
	c := &catalogue{langs: map[string]map[string]string{}, plurals: map[string]map[string]pluralEntry{},
		printers: map[string]*message.Printer{}}
	for lang, data := range files {
		raw := map[string]json.RawMessage{}
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("web: messages/%s.json: %w", lang, err)
		}
		msgs, plurals := map[string]string{}, map[string]pluralEntry{}
		for key, v := range raw {
			var s string
			if err := json.Unmarshal(v, &s); err == nil {
				msgs[key] = s
				continue
			}
			p, err := parsePlural(v)
			if err != nil {
				return nil, fmt.Errorf("web: messages/%s.json: %s: %w", lang, key, err)
			}
			plurals[key] = p
			msgs[key] = p.Forms["other"]
		}
		c.langs[lang], c.plurals[lang] = msgs, plurals
	}
	if _, ok := c.langs["en"]; !ok {
		return nil, fmt.Errorf("web: messages/en.json is missing")
	}
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for lang, plurals := range c.plurals {
		tag, err := language.Parse(lang)
		if err != nil {
			return nil, fmt.Errorf("web: messages/%s.json: not a language code: %w", lang, err)
		}
		for key, p := range plurals {
			var cases []any
			for _, f := range pluralForms {
				if msg, ok := p.Forms[f]; ok {
					cases = append(cases, f, msg)
				}
			}
			if err := b.Set(tag, key, plural.Selectf(p.Arg, "%d", cases...)); err != nil {
				return nil, fmt.Errorf("web: messages/%s.json: %s: %w", lang, key, err)
			}
		}
		c.printers[lang] = message.NewPrinter(tag, message.Catalog(b))
	}
	return c, nil
}

// parsePlural reads {"one": "…", "other": "…"} with an optional "arg".
func parsePlural(v json.RawMessage) (pluralEntry, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err != nil {
		return pluralEntry{}, fmt.Errorf("a message is a string or an object of plural forms")
	}
	p := pluralEntry{Arg: 1, Forms: map[string]string{}}
	for k, raw := range obj {
		if k == "arg" {
			if err := json.Unmarshal(raw, &p.Arg); err != nil || p.Arg < 1 {
				return pluralEntry{}, fmt.Errorf(`"arg" must be the number of an argument (1, 2…)`)
			}
			continue
		}
		if !slices.Contains(pluralForms, k) {
			return pluralEntry{}, fmt.Errorf("%q is not a plural form (zero, one, two, few, many, other)", k)
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return pluralEntry{}, fmt.Errorf("form %q is not a string", k)
		}
		p.Forms[k] = s
	}
	if _, ok := p.Forms["other"]; !ok {
		return pluralEntry{}, fmt.Errorf(`a plural message needs an "other" form`)
	}
	return p, nil
}

// Translator returns the catalogue's text function, for messages written
// outside the web interface (emails): the message for key in lang, with
// English as the fallback.
func Translator() (func(lang, key string, args ...any) string, error) {
	c, err := loadCatalogue()
	if err != nil {
		return nil, err
	}
	return c.text, nil
}

// exists reports whether the English catalogue (which every other one
// must match) has key.
func (c *catalogue) exists(key string) bool { _, ok := c.langs["en"][key]; return ok }

// has reports whether a language has a catalogue.
func (c *catalogue) has(lang string) bool { _, ok := c.langs[lang]; return ok }

// text returns the message for key in lang, falling back to English, and to
// a visible marker when the key is missing everywhere (a test keeps that
// from shipping). A message without verbs ignores its arguments.
func (c *catalogue) text(lang, key string, args ...any) string {
	msg, ok := c.langs[lang][key]
	if !ok {
		lang = "en"
		msg, ok = c.langs[lang][key]
	}
	if !ok {
		return "[[" + key + "]]"
	}
	if _, plural := c.plurals[lang][key]; plural {
		return c.printers[lang].Sprintf(key, args...)
	}
	if len(args) == 0 || !strings.Contains(msg, "%") {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}
