package markup

import (
	"strings"
	"testing"
)

func TestMarkdownIsSafe(t *testing.T) {
	cases := []struct{ name, in, want, notWant string }{
		{"emphasis", "I need it *soon*", "<em>soon</em>", ""},
		{"link", "[x](https://example.org)", `<a href="https://example.org" rel="nofollow noopener ugc">x</a>`, ""},
		{"script", "<script>alert(1)</script>", "", "<script"},
		{"raw html", `<img src=x onerror=alert(1)>`, "", "<img"},
		{"javascript link", "[click](javascript:alert(1))", "", "javascript:"},
		{"heading", "# Big", "Big", "<h1"},
		{"list", "- milk\n- bread", "<li>milk</li>", ""},
	}
	for _, c := range cases {
		out := string(Markdown(c.in))
		if c.want != "" && !strings.Contains(out, c.want) {
			t.Errorf("%s: %q lacks %q", c.name, out, c.want)
		}
		if c.notWant != "" && strings.Contains(out, c.notWant) {
			t.Errorf("%s: %q contains %q", c.name, out, c.notWant)
		}
	}
}

func TestRemoteHTMLIsSanitised(t *testing.T) {
	cases := []struct{ name, in, want, notWant string }{
		{"keeps text and links", `<p>Hi <a href="https://gts.test/@alice" class="u-url mention">@alice</a></p>`,
			`<a href="https://gts.test/@alice" rel="nofollow noopener ugc">@alice</a>`, "class="},
		{"drops script", `<p>x</p><script>alert(1)</script>`, "<p>x</p>", "script"},
		{"drops event handlers", `<p onclick="evil()">x</p>`, "<p>x</p>", "onclick"},
		{"drops javascript links", `<a href="javascript:alert(1)">x</a>`, "x", "javascript"},
		{"drops images", `<img src="https://evil.example/track.gif">`, "", "<img"},
		{"drops iframes", `<iframe src="https://evil.example"></iframe>`, "", "iframe"},
		{"drops styles", `<p style="position:fixed">x</p>`, "<p>x</p>", "style"},
	}
	for _, c := range cases {
		out := Remote(c.in)
		if c.want != "" && !strings.Contains(out, c.want) {
			t.Errorf("%s: %q lacks %q", c.name, out, c.want)
		}
		if c.notWant != "" && strings.Contains(out, c.notWant) {
			t.Errorf("%s: %q contains %q", c.name, out, c.notWant)
		}
	}
	long := "<p>" + strings.Repeat("é", MaxRemoteHTML) + "</p>"
	if out := Remote(long); len(out) > MaxRemoteHTML+20 || !strings.HasPrefix(out, "<p>é") {
		t.Errorf("long content: %d bytes", len(out))
	}
}

func TestText(t *testing.T) {
	if got := Text("a <b>\nc\n\nd"); got != "<p>a &lt;b&gt;<br>c</p><p>d</p>" {
		t.Errorf("Text = %q", got)
	}
}

// TextOf is what hold words and length caps see: the text a reader
// reads, so an entity cannot hide a word from them.
func TestTextOf(t *testing.T) {
	for in, want := range map[string]string{
		`<p>vi&#97;gra <a href="https://x.example" rel="nofollow">link</a></p><p>two<br>lines</p>`: "viagra link\ntwo\nlines",
		`<p>a &lt;b&gt; &amp; c</p>`: "a <b> & c",
		"":                           "",
	} {
		if got := TextOf(in); got != want {
			t.Errorf("TextOf(%q) = %q, want %q", in, got, want)
		}
	}
}
