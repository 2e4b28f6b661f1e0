package web

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"hearth/instance"
)

// Counts read naturally in each language: the plural form follows the
// language's own rules (French counts 0 as singular), the number is
// formatted for the language, and a message can choose its form by
// another argument than the first.
func TestPluralMessages(t *testing.T) {
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"en", "home.pending", []any{1}, "1 person is waiting for their application to be looked at."},
		{"en", "home.pending", []any{3}, "3 people are waiting for their applications to be looked at."},
		{"en", "home.pending", []any{0}, "0 people are waiting for their applications to be looked at."},
		{"en", "home.unread", []any{1}, "You have 1 new notification."},
		{"en", "home.unread", []any{2}, "You have 2 new notifications."},
		{"en", "groups.members", []any{1000}, "1,000 members"},
		{"en", "item.going_of", []any{1, 1}, "1 of 1 place taken"},
		{"en", "item.going_of", []any{1, 4}, "1 of 4 places taken"},
		{"fr", "home.pending", []any{0}, "0 demande d'adhésion attend d'être examinée."},
		{"fr", "home.pending", []any{1}, "1 demande d'adhésion attend d'être examinée."},
		{"fr", "home.pending", []any{2}, "2 demandes d'adhésion attendent d'être examinées."},
		{"fr", "item.going_of", []any{1, 4}, "1 place prise sur 4"},
		{"fr", "item.going_of", []any{2, 4}, "2 places prises sur 4"},
		{"en", "err.too_long", []any{60, 61}, "This is too long: it can be at most 60 characters (it has 61)."},
	} {
		if got := cat.text(c.lang, c.key, c.args...); got != c.want {
			t.Errorf("%s %s %v = %q, want %q", c.lang, c.key, c.args, got, c.want)
		}
	}
	// A plain message with no verbs ignores arguments instead of printing
	// %!(EXTRA…).
	if got := cat.text("en", "nav.home", "x", 2); got != "Home" {
		t.Errorf("nav.home with arguments = %q", got)
	}
}

// Broken plural entries stop the catalogue from loading, with the key.
func TestPluralEntriesChecked(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{"a.b": {"one": "%d thing"}}`, `a.b: a plural message needs an "other" form`},
		{`{"a.b": {"single": "%d thing", "other": "%d things"}}`, `a.b: "single" is not a plural form`},
		{`{"a.b": {"arg": 0, "other": "%d things"}}`, `a.b: "arg" must be the number of an argument`},
		{`{"a.b": 3}`, `a.b: a message is a string or an object of plural forms`},
	} {
		_, err := buildCatalogue(map[string][]byte{"en": []byte(c.json)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.json, err, c.want)
		}
	}
}

// checkPlurals reports plural forms whose arguments differ from the
// English message's: every form must take the same arguments, or a
// member would read "%!d(MISSING)" for one count and not another.
func checkPlurals(en map[string]string, plurals map[string]pluralEntry) []string {
	var problems []string
	for key, p := range plurals {
		want := strings.Join(fmtVerbs(en[key]), " ")
		for form, msg := range p.Forms {
			if got := fmtVerbs(msg); strings.Join(got, " ") != want {
				problems = append(problems, fmt.Sprintf("%s (%s): arguments %v, English has [%s]", key, form, got, want))
			}
		}
		if p.Arg > len(fmtVerbs(en[key])) {
			problems = append(problems, fmt.Sprintf("%s: chooses its form by argument %d, which it does not have", key, p.Arg))
		}
	}
	sort.Strings(problems)
	return problems
}

func TestPluralFormsMatchEnglish(t *testing.T) {
	got := checkPlurals(map[string]string{"a.b": "%d people"},
		map[string]pluralEntry{"a.b": {Arg: 2, Forms: map[string]string{"one": "one person", "other": "%d people"}}})
	want := []string{"a.b (one): arguments [], English has [1:d]", "a.b: chooses its form by argument 2, which it does not have"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("checkPlurals = %q, want %q", got, want)
	}
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for lang, plurals := range cat.plurals {
		n += len(plurals)
		for _, p := range checkPlurals(cat.langs["en"], plurals) {
			t.Errorf("messages/%s.json: %s", lang, p)
		}
	}
	if n < 10 {
		t.Errorf("only %d plural messages: is the catalogue read?", n)
	}
}

// Every kind of notification, and every email choice, has its texts in
// every language: adding a kind without them fails here, not on a
// member's page.
func TestEveryNotificationKindHasTexts(t *testing.T) {
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, spec := range instance.NoteSpecs {
		keys = append(keys, "note."+string(spec.Kind))
		if spec.Next {
			keys = append(keys, "note."+string(spec.Kind)+"_next")
		}
		if spec.Words {
			keys = append(keys, "note."+string(spec.Kind)+"_detail")
		}
	}
	for _, k := range instance.NoticeKinds {
		keys = append(keys, "prefs.kind."+string(k.Kind), "prefs.kind."+string(k.Kind)+"_hint", "notes.group."+string(k.Kind))
	}
	keys = append(keys, "prefs.kind."+string(instance.NoticeDigestDaily), "prefs.kind."+string(instance.NoticeDigestWeekly))
	for lang, msgs := range cat.langs {
		for _, k := range keys {
			if strings.HasPrefix(k, "notes.group.new_") {
				continue // posts are never about no item
			}
			if _, ok := msgs[k]; !ok {
				t.Errorf("messages/%s.json has no %q", lang, k)
			}
		}
	}
	if len(keys) < 40 {
		t.Errorf("only %d keys: are the kinds listed?", len(keys))
	}
}
