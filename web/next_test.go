package web

import (
	"net/http"
	"net/url"
	"testing"

	"hearth/instance"
)

// ?next= only ever sends the browser to a page on this site. Browsers drop
// tabs and newlines from a Location and read "\" as "/", so "/\t/evil"
// leaves the site: every control character, backslash, "//", scheme and
// host is refused, as given and percent-decoded.
func TestSafeNext(t *testing.T) {
	refused := []string{
		"", "evil.example", "//evil.example", "///evil.example", "https://evil.example", "http:evil.example",
		"javascript:alert(1)", "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\r/evil.example",
		"/\n/evil.example", "/\x00/evil.example", "/\x1b/evil.example", "/\x7f/evil.example", "/\u0085/evil.example",
		"/%09/evil.example", "/%0d/evil.example", "/%0A/evil.example", "/%00/evil.example", "/%2509/evil.example",
		"/%2F/evil.example", "/%2f%2fevil.example", "/%5Cevil.example", "/%5cevil.example", "/%255Cevil.example",
		"/%252F%252Fevil.example", "/%25252F/evil.example", "/%zz", "/%", "/groups/\xff", "/a//b",
		"/%25252525", // still encoded after four rounds
	}
	for _, next := range refused {
		if got := safeNext(next); got != "/" {
			t.Errorf("safeNext(%q) = %q, want /", next, got)
		}
	}
	kept := []string{"/", "/groups/village", "/needs/12?tab=replies", "/needs/12#replies", "/groups/caf%C3%A9",
		"/?q=soup&kind=need", "/groups/a%20b"}
	for _, next := range kept {
		if got := safeNext(next); got != next {
			t.Errorf("safeNext(%q) = %q, want it kept", next, got)
		}
	}
}

// Through the sign-in form: a tab decoded from %09 in the form no longer
// redirects off-site.
func TestLoginNextRefusesControlCharacters(t *testing.T) {
	h := newHarness(t, instance.RegistrationOpen)
	h.member("bob")
	for _, next := range []string{"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/%09/evil.example"} {
		r := h.client().post("/login", url.Values{"login": {"bob"}, "password": {pw}, "next": {next}})
		if r.status != http.StatusSeeOther || r.location() != "/" {
			t.Errorf("next=%q: %d → %q, want 303 → /", next, r.status, r.location())
		}
	}
	// The raw query string of GET /login: %09 arrives as a tab.
	r := h.client().get("/login?next=/%09/evil.example")
	mustNotContain(t, r.body, "evil.example")
}
