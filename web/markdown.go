package web

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
)

// markdown renders the small Markdown subset members may use in
// descriptions: paragraphs, emphasis, lists, quotes, code and links.
// goldmark never passes raw HTML through (it is not built WithUnsafe), and
// bluemonday then keeps only the allowed elements, so what reaches the page
// is safe whatever was typed. Links get rel="nofollow noopener ugc".
type markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

func newMarkdown() *markdown {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "em", "strong", "ul", "ol", "li", "blockquote", "code", "pre", "del")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto", "tel")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.AllowAttrs("rel").Matching(bluemonday.SpaceSeparatedTokens).OnElements("a")
	return &markdown{md: goldmark.New(), policy: p}
}

// render turns Markdown into sanitised HTML. On a rendering error it falls
// back to escaped plain text, never to raw input.
func (m *markdown) render(src string) template.HTML {
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	out := m.policy.SanitizeBytes(buf.Bytes())
	out = bytes.ReplaceAll(out, []byte(`rel="nofollow"`), []byte(`rel="nofollow noopener ugc"`))
	return template.HTML(out) // sanitised above
}
