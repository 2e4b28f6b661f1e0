package web

import (
	"strings"
	"testing"
)

func TestMarkdownIsSafe(t *testing.T) {
	md := newMarkdown()
	cases := map[string]struct{ want, notWant string }{
		"emphasis":        {"<em>soon</em>", ""},
		"link":            {`<a href="https://example.org" rel="nofollow noopener ugc">x</a>`, ""},
		"script":          {"", "<script"},
		"raw html":        {"", "<img"},
		"javascript link": {"", "javascript:"},
		"heading":         {"Big", "<h1"},
		"list":            {"<li>milk</li>", ""},
	}
	inputs := map[string]string{
		"emphasis":        "I need it *soon*",
		"link":            "[x](https://example.org)",
		"script":          "<script>alert(1)</script>",
		"raw html":        `<img src=x onerror=alert(1)>`,
		"javascript link": "[click](javascript:alert(1))",
		"heading":         "# Big",
		"list":            "- milk\n- bread",
	}
	for name, c := range cases {
		out := string(md.render(inputs[name]))
		if c.want != "" && !strings.Contains(out, c.want) {
			t.Errorf("%s: %q lacks %q", name, out, c.want)
		}
		if c.notWant != "" && strings.Contains(out, c.notWant) {
			t.Errorf("%s: %q contains %q", name, out, c.notWant)
		}
	}
}
