// Package markup turns text into safe HTML: members' Markdown for the web
// page and the federated Note, and remote servers' HTML for display. It is
// shared by web and federation, which may not import each other.
package markup

import (
	"bytes"
	"html"
	"html/template"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
)

var md = goldmark.New()

// localPolicy keeps the small Markdown subset members may use: paragraphs,
// emphasis, lists, quotes, code and http/https/mailto/tel links.
var localPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "em", "strong", "ul", "ol", "li", "blockquote", "code", "pre", "del")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto", "tel")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	return p
}()

// remotePolicy is the allow-list for HTML from other servers, after
// Mastodon's MASTODON_STRICT: text formatting and links only. Links get
// rel="nofollow noopener ugc"; everything else is dropped, keeping text.
var remotePolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em", "ul", "ol", "li")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	return p
}()

// Markdown renders a member's Markdown as sanitised HTML. goldmark never
// passes raw HTML through (it is not built WithUnsafe) and bluemonday then
// keeps only the allowed elements. On any error it falls back to escaped
// text, never to raw input.
func Markdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	return template.HTML(relUGC(localPolicy.SanitizeBytes(buf.Bytes()))) // sanitised above
}

// MaxRemoteHTML caps a remote reply's HTML (Akkoma keeps 100,000; a village
// noticeboard needs far less).
const MaxRemoteHTML = 20000

// Remote sanitises HTML from another server. Bidirectional text is
// isolated by the page (<bdi>), and over-long content is cut at a rune
// boundary before sanitising, so tags are closed properly.
func Remote(src string) string {
	if len(src) > MaxRemoteHTML {
		cut := MaxRemoteHTML
		for cut > 0 && !utf8.RuneStart(src[cut]) {
			cut--
		}
		src = src[:cut]
	}
	return string(relUGC(remotePolicy.SanitizeBytes([]byte(src))))
}

// Text turns plain text into escaped HTML paragraphs.
func Text(s string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// TextOf returns the text of sanitised HTML (from Remote): tags dropped,
// character references decoded, paragraphs and line breaks as new lines.
// It is what length caps and hold words are checked on.
func TextOf(h string) string {
	var b, tag strings.Builder
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
			tag.Reset()
		case r == '>' && in:
			in = false
			name, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag.String())), " ")
			switch strings.TrimSuffix(name, "/") {
			case "br", "/p", "/li", "/blockquote", "/pre":
				b.WriteByte('\n')
			}
		case in:
			tag.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(html.UnescapeString(b.String()))
}

func relUGC(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte(`rel="nofollow"`), []byte(`rel="nofollow noopener ugc"`))
}
