package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"sync"
)

//go:embed messages/*.json
var messageFiles embed.FS

// catalogue holds the user-visible text of every language we have a file
// for. Messages use fmt verbs for their arguments (%[1]d to reorder).
type catalogue struct {
	langs map[string]map[string]string
}

// loadCatalogue parses the embedded message files once per process: the
// web server and the domain's emails (Translator) share the result.
var loadCatalogue = sync.OnceValues(parseCatalogue)

func parseCatalogue() (*catalogue, error) {
	entries, err := messageFiles.ReadDir("messages")
	if err != nil {
		return nil, err
	}
	c := &catalogue{langs: map[string]map[string]string{}}
	for _, e := range entries {
		data, err := messageFiles.ReadFile("messages/" + e.Name())
		if err != nil {
			return nil, err
		}
		msgs := map[string]string{}
		if err := json.Unmarshal(data, &msgs); err != nil {
			return nil, fmt.Errorf("web: messages/%s: %w", e.Name(), err)
		}
		c.langs[strings.TrimSuffix(e.Name(), path.Ext(e.Name()))] = msgs
	}
	if _, ok := c.langs["en"]; !ok {
		return nil, fmt.Errorf("web: messages/en.json is missing")
	}
	return c, nil
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

// has reports whether a language has a catalogue.
func (c *catalogue) has(lang string) bool { _, ok := c.langs[lang]; return ok }

// text returns the message for key in lang, falling back to English, and to
// a visible marker when the key is missing everywhere (a test keeps that
// from shipping).
//
// A message whose text depends on a count has plural forms instead:
// key.one and key.other, chosen by the first integer argument and the
// language's rule (pluralOne).
func (c *catalogue) text(lang, key string, args ...any) string {
	msg, ok := c.lookup(lang, key)
	if !ok {
		if n, isCount := firstInt(args); isCount {
			form := ".other"
			if pluralOne(lang, n) {
				form = ".one"
			}
			msg, ok = c.lookup(lang, key+form)
		}
	}
	if !ok {
		return "[[" + key + "]]"
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// lookup finds a message in lang, falling back to English.
func (c *catalogue) lookup(lang, key string) (string, bool) {
	msg, ok := c.langs[lang][key]
	if !ok {
		msg, ok = c.langs["en"][key]
	}
	return msg, ok
}

// firstInt returns the first integer among args.
func firstInt(args []any) (int, bool) {
	for _, a := range args {
		switch n := a.(type) {
		case int:
			return n, true
		case int64:
			return int(n), true
		}
	}
	return 0, false
}

// pluralOne reports whether n takes a language's "one" form (CLDR plural
// rules): 0 and 1 in French, only 1 in English and as the default.
func pluralOne(lang string, n int) bool {
	if lang == "fr" {
		return n == 0 || n == 1
	}
	return n == 1
}
