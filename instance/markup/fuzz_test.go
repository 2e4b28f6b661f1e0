package markup

import (
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// checkSafe parses out as a browser would and fails on anything outside
// the allow-list: an element not in elements, an attribute other than
// href and rel on a link, a link whose scheme (after the entity decoding
// and the whitespace a browser ignores) is not in schemes, or a <script
// anywhere in the text.
func checkSafe(t *testing.T, what, in, out string, elements map[string]bool, schemes []string) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Fatalf("%s(%q) = %q: contains <script", what, in, out)
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("%s(%q) = %q: %v", what, in, out, z.Err())
			}
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !elements[tok.Data] {
			t.Fatalf("%s(%q) = %q: element <%s>", what, in, out, tok.Data)
		}
		for _, a := range tok.Attr {
			if tok.Data != "a" || (a.Key != "href" && a.Key != "rel") {
				t.Fatalf("%s(%q) = %q: attribute %s on <%s>", what, in, out, a.Key, tok.Data)
			}
			if a.Key != "href" {
				continue
			}
			href := strings.ToLower(strings.Map(func(r rune) rune {
				if r <= ' ' || r == 0x7f {
					return -1 // browsers drop these inside a scheme
				}
				return r
			}, a.Val))
			ok := false
			for _, s := range schemes {
				ok = ok || strings.HasPrefix(href, s+":")
			}
			if !ok || strings.Contains(href, "javascript:") {
				t.Fatalf("%s(%q) = %q: link to %q", what, in, out, a.Val)
			}
		}
	}
}

var (
	markdownElements = map[string]bool{"p": true, "br": true, "em": true, "strong": true, "ul": true, "ol": true, "li": true,
		"blockquote": true, "code": true, "pre": true, "del": true, "a": true}
	remoteElements = map[string]bool{"p": true, "br": true, "span": true, "del": true, "s": true, "pre": true, "blockquote": true,
		"code": true, "b": true, "strong": true, "u": true, "i": true, "em": true, "ul": true, "ol": true, "li": true, "a": true}
)

// The Markdown renderer (and the remote-HTML sanitiser, on the same
// input) never panics and always gives allow-listed HTML: no script, no
// event handler, no javascript: or data: link.
func FuzzMarkup(f *testing.F) {
	for _, s := range []string{
		"I need it *soon*", "[x](https://example.org)", "<script>alert(1)</script>", `<img src=x onerror=alert(1)>`,
		"[click](javascript:alert(1))", "[click](JaVaScRiPt:alert(1))", "[c](&#106;avascript:alert(1))", "[c](java\tscript:x)",
		"[c](  javascript:x)", "<javascript:alert(1)>", "![i](javascript:alert(1))", "[c](data:text/html,<script>x</script>)",
		"[c](vbscript:x)", "<https://example.org>", "[c][r]\n\n[r]: javascript:alert(1)", "# Big", "- milk\n- bread",
		"> quote\n```\n<script>\n```", "`<script>`", "<svg onload=alert(1)>", `<a href="javascript:x" onclick="y">z</a>`,
		"<p style=\"x\">s</p>", "mailto:someone@example.org", "[m](mailto:a@b.example) [t](tel:+44123)", "<iframe src=x>",
		"<<script>script>alert(1)<</script>/script>", "[x](https://example.org \"title\" onclick=\"x\")", "\x00<script>",
		"<a href=\"https://ok.example\">ok</a><a href=\"&#x6A;avascript:x\">no</a>", "<!-- <script> -->",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkSafe(t, "Markdown", src, string(Markdown(src)), markdownElements, []string{"http", "https", "mailto", "tel"})
		checkSafe(t, "Remote", src, Remote(src), remoteElements, []string{"http", "https"})
	})
}
