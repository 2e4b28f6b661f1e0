package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/instance"
)

// Once the requester accepts a helper, the page gives them the helper's
// chosen contact (a tel: link for a phone), and the two write privately on
// the need: each is told, nobody else sees it, and the public reply box
// warns that replies are public.
func TestPrivateContactOnTheNeedPage(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("ann")
	h.member("bob")
	h.member("cy")
	ann, bob, cy := h.as("ann"), h.as("bob"), h.as("cy")
	if r := bob.post("/settings/profile", url.Values{"display_name": {"Bob"}, "language": {"en"}, "contact_preference": {"phone"},
		"phone": {"+44 (0)1234 999-888"}}); r.status != http.StatusSeeOther {
		t.Fatalf("profile: %d", r.status)
	}
	need := postItem(t, ann, "needs", needForm())
	mustContain(t, ann.get(need).body, `<p class="notice" id="replies-public">Replies are public: anyone can read them, and they are shared with other servers.</p>`)
	mustNotContain(t, ann.get(need).body, `id="messages"`)
	bob.post(need+"/help", nil)
	accept := regexp.MustCompile(`action="(` + need + `/accept/\d+)"`).FindStringSubmatch(ann.get(need).body)
	if r := ann.post(accept[1], nil); r.status != http.StatusSeeOther {
		t.Fatalf("accept: %d", r.status)
	}
	page := ann.get(need)
	checkPage(t, need, page, cssSize(t))
	mustContain(t, page.body, `<h2 id="helper-contact-h">How to reach Bob</h2>`, `<a href="tel:&#43;441234999888">&#43;44 (0)1234 999-888</a>`,
		`<h2 id="messages-h">Private messages</h2>`, `action="`+need+`/messages"`, "use the private messages above")
	mustNotContain(t, bob.get(need).body, "How to reach")
	r := bob.post(need+"/messages", url.Values{"message_body": {"I'll pick you up at 9:45. Blue Ford Galaxy."}})
	if r.status != http.StatusSeeOther || !strings.Contains(r.location(), "#message-") {
		t.Fatalf("send: %d %s", r.status, r.location())
	}
	mustContain(t, ann.get("/notifications").body, "Bob sent you a private message about “A lift to the surgery”")
	mustContain(t, ann.get(need).body, "Blue Ford Galaxy")
	for name, c := range map[string]*client{"another member": cy, "a visitor": h.client()} {
		body := c.get(need).body
		mustNotContain(t, body, "Blue Ford Galaxy", `id="messages"`, "How to reach")
		if c := c.post(need+"/messages", url.Values{"message_body": {"Me too"}}); c.status == http.StatusSeeOther && !strings.HasPrefix(c.location(), "/login") {
			t.Errorf("%s could write in the thread", name)
		}
	}
	bad := ann.post(need+"/messages", url.Values{"message_body": {""}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("an empty message: %d", bad.status)
	}
	mustContain(t, bad.body, `<p class="error" id="f-message_body-error">`)
	// Released, the helper can read what was said, and write no more.
	if r := ann.post(need+"/unclaim", nil); r.status != http.StatusSeeOther {
		t.Fatalf("release: %d", r.status)
	}
	after := bob.get(need).body
	mustContain(t, after, "Blue Ford Galaxy", "This conversation is closed")
	mustNotContain(t, after, `action="`+need+`/messages"`)
}
