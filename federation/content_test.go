package federation

import (
	"encoding/json"
	"strings"
	"testing"

	"hearth/instance"
	"hearth/web"
)

// translator is the interface's catalogue, as cmd wires it (tests only:
// the federation package itself never imports web).
func translator(t *testing.T) func(lang, key string, args ...any) string {
	t.Helper()
	tr, err := web.Translator()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func noteOf(t *testing.T, f *Federation, path string) map[string]any {
	t.Helper()
	code, _, body := serveGet(t, f, path, "application/activity+json")
	if code != 200 {
		t.Fatalf("GET %s: %d", path, code)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A French member's action is federated in French, with contentMap
// "fr", its roles and the places left, and how to sign up; an English
// member's sensitive need goes behind a plain content warning.
func TestPostsReadersUnderstand(t *testing.T) {
	f, svc, _, ann := goldenFed(t)
	if err := svc.UpdateProfile(ctx, ann, instance.Profile{DisplayName: "Ann Smith", Language: "fr", ContactPreference: "site"}); err != nil {
		t.Fatal(err)
	}
	action, err := svc.CreateItem(ctx, ann, instance.ItemInput{Kind: instance.KindAction, Title: "Colis alimentaires",
		Place: "La salle des fêtes", StartDate: instance.DateOf("2026-12-05"), StartTime: instance.TimeOf("10:00"), EndDate: instance.DateOf("2026-12-05"), EndTime: instance.TimeOf("12:00"),
		Slots: []instance.SlotInput{{Name: "chauffeurs", Capacity: "2"}, {Name: "emballeurs", Capacity: "4"}}})
	if err != nil {
		t.Fatal(err)
	}
	note := noteOf(t, f, action.Path())
	content, _ := note["content"].(string)
	if cm, _ := note["contentMap"].(map[string]any); len(cm) != 1 || cm["fr"] != content {
		t.Errorf("contentMap = %v, want {fr: content}", note["contentMap"])
	}
	for _, want := range []string{"<strong>Action</strong>", "samedi 5 décembre 2026, de 10:00 à 12:00 UTC · La salle des fêtes",
		"2 chauffeurs, 4 emballeurs — 6 places restantes", "Ouvrez le lien pour vous inscrire"} {
		if !strings.Contains(content, want) {
			t.Errorf("content lacks %q:\n%s", want, content)
		}
	}
	if note["sensitive"] != false || note["summary"] != nil {
		t.Errorf("a lift is not sensitive: sensitive %v summary %v", note["sensitive"], note["summary"])
	}

	bob, err := svc.CreateMemberDirect(ctx, instance.NewMemberInput{Handle: "bob", DisplayName: "Bob", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	care, err := svc.CreateItem(ctx, bob, instance.ItemInput{Kind: instance.KindNeed, Title: "Help getting dressed in the mornings",
		Category: "personal care", Area: "Mill Lane", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	note = noteOf(t, f, care.Path())
	if note["sensitive"] != true || note["summary"] != "Need about personal care: open to read" {
		t.Errorf("sensitive %v summary %q", note["sensitive"], note["summary"])
	}
	if cm, _ := note["contentMap"].(map[string]any); cm["en"] != note["content"] {
		t.Errorf("contentMap = %v", note["contentMap"])
	}
	if !strings.HasSuffix(note["content"].(string), "<p>Reply to offer help, or open the link.</p>") {
		t.Errorf("the need does not end with how to help: %s", note["content"])
	}
	// A member's reply carries their language too.
	r, err := svc.AddResponse(ctx, ann, care.ID, "Je peux passer à 8 h.")
	if err != nil {
		t.Fatal(err)
	}
	reply := noteOf(t, f, "/responses/"+itoa(r.ID))
	if cm, _ := reply["contentMap"].(map[string]any); len(cm) != 1 || cm["fr"] != reply["content"] {
		t.Errorf("reply contentMap = %v", reply["contentMap"])
	}
}

// The places line: the overall limit when there is one, else the roles';
// a full action says so; no limit, no line.
func TestPlacesLine(t *testing.T) {
	f, _, _, _ := goldenFed(t)
	for _, tc := range []struct {
		it   instance.Item
		want string
	}{
		{instance.Item{Capacity: 20, Going: 17}, "3 places left"},
		{instance.Item{Capacity: 20, Going: 19}, "1 place left"},
		{instance.Item{Capacity: 5, Going: 5}, "no places left, but you can join the waiting list"},
		{instance.Item{Slots: []instance.Slot{{Name: "drivers", Capacity: 2, Going: 1}, {Name: "packers", Capacity: 4, Going: 2}}},
			"2 drivers, 4 packers — 3 places left"},
		{instance.Item{}, ""},
	} {
		if got := f.places(&tc.it, "en"); got != tc.want {
			t.Errorf("places(%+v) = %q, want %q", tc.it, got, tc.want)
		}
	}
}
