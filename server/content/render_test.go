package content

import (
	"fmt"
	"strings"
	"testing"
)

func tagURL(tag string) string { return "https://roost.test/tags/" + tag }

func TestRender(t *testing.T) {
	r := NewRenderer(NewSanitizer())
	mentions := []Mention{
		{Handle: "alice@example.com", Href: "https://example.com/@alice", IRI: "https://example.com/users/alice"},
		{Handle: "owner", Href: "https://roost.test/@owner", IRI: "https://roost.test/users/owner"},
	}
	tests := []struct {
		name, in string
		want     string   // exact output, when set
		contains []string // substrings, otherwise
		absent   []string
	}{
		{name: "plain", in: "hello world", want: "<p>hello world</p>"},
		{name: "hard wraps", in: "one\ntwo", want: "<p>one<br>\ntwo</p>"},
		{name: "paragraphs", in: "one\n\ntwo", want: "<p>one</p>\n<p>two</p>"},
		{name: "emphasis", in: "*em* **strong** ~~gone~~", want: "<p><em>em</em> <strong>strong</strong> <del>gone</del></p>"},
		{
			name: "autolink",
			in:   "see https://example.com/a?b=c",
			want: `<p>see <a href="https://example.com/a?b=c" rel="nofollow noopener noreferrer" target="_blank">https://example.com/a?b=c</a></p>`,
		},
		{
			name: "markdown link",
			in:   "[site](https://example.com/)",
			want: `<p><a href="https://example.com/" rel="nofollow noopener noreferrer" target="_blank">site</a></p>`,
		},
		{name: "javascript link", in: "[x](javascript:alert(1))", want: "<p>x</p>"},
		{name: "relative link dropped", in: "[x](/local)", want: "<p>x</p>"},
		{
			name:   "raw script escaped",
			in:     "<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)>",
			want:   "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>hi &lt;img src=x onerror=alert(1)&gt;</p>",
			absent: []string{"<script", "<img"},
		},
		{name: "inline html shown", in: "I <3 <b>bold</b>", want: "<p>I &lt;3 &lt;b&gt;bold&lt;/b&gt;</p>"},
		{
			name: "remote mention",
			in:   "hi @alice@example.com!",
			want: `<p>hi <span class="h-card"><a href="https://example.com/@alice" class="u-url mention">@<span>alice</span></a></span>!</p>`,
		},
		{
			name:     "mention case-insensitive, shown as written",
			in:       "@Alice@Example.com",
			contains: []string{`href="https://example.com/@alice"`, `@<span>Alice</span>`},
		},
		{
			name:     "bare local mention",
			in:       "ping @owner",
			contains: []string{`<span class="h-card"><a href="https://roost.test/@owner" class="u-url mention">@<span>owner</span></a></span>`},
		},
		{name: "unresolved mention stays text", in: "hi @bob@elsewhere.test", want: "<p>hi @bob@elsewhere.test</p>"},
		{
			name: "hashtag",
			in:   "about #go.",
			want: `<p>about <a href="https://roost.test/tags/go" class="mention hashtag" rel="tag">#<span>go</span></a>.</p>`,
		},
		{name: "number is no hashtag", in: "#1 fan", want: "<p>#1 fan</p>"},
		{
			name:     "unicode hashtag",
			in:       "#café",
			contains: []string{`class="mention hashtag" rel="tag">#<span>café</span></a>`},
		},
		{
			name:   "code span untouched",
			in:     "`@alice@example.com #go <b>`",
			want:   "<p><code>@alice@example.com #go &lt;b&gt;</code></p>",
			absent: []string{"h-card", "hashtag"},
		},
		{
			name: "code block untouched",
			in:   "```go\n#go @alice@example.com\n```",
			want: "<pre><code class=\"language-go\">#go @alice@example.com\n</code></pre>",
		},
		{
			name:   "link text untouched",
			in:     "[#go @alice@example.com](https://example.com/)",
			absent: []string{"h-card", "hashtag", "<a href=\"https://example.com/\" rel=\"nofollow noopener noreferrer\" target=\"_blank\"><a"},
		},
		{name: "url fragment untouched", in: "https://example.com/#go", absent: []string{"hashtag"}},
		{name: "url mention untouched", in: "https://example.com/@alice@example.com", absent: []string{"h-card"}},
		{
			name: "url at line start, after emphasis and in parentheses",
			in:   "https://a.example/1\n*https://b.example/2* (https://c.example/3_(x))",
			want: `<p><a href="https://a.example/1" rel="nofollow noopener noreferrer" target="_blank">https://a.example/1</a><br>` + "\n" +
				`<em><a href="https://b.example/2" rel="nofollow noopener noreferrer" target="_blank">https://b.example/2</a></em> ` +
				`(<a href="https://c.example/3_(x)" rel="nofollow noopener noreferrer" target="_blank">https://c.example/3_(x)</a>)</p>`,
		},
		{
			name: "url ends before sentence punctuation and entities",
			in:   `see https://example.com/a?b=1. or https://example.com/c&amp;`,
			want: `<p>see <a href="https://example.com/a?b=1" rel="nofollow noopener noreferrer" target="_blank">https://example.com/a?b=1</a>. or ` +
				`<a href="https://example.com/c" rel="nofollow noopener noreferrer" target="_blank">https://example.com/c</a>&amp;</p>`,
		},
		{
			name:     "url with a port; a non-ASCII host is not linked",
			in:       "https://example.com:8443/x https://例え.jp/",
			contains: []string{`href="https://example.com:8443/x"`, ` https://例え.jp/</p>`},
		},
		{
			name: "not urls",
			in:   "ftp://example.com/f https://localhost/ https://user@example.com/ xhttps://example.com mailto:a@example.com a@example.com",
			want: "<p>ftp://example.com/f https://localhost/ https://user@example.com/ xhttps://example.com mailto:a@example.com a@example.com</p>",
		},
		{
			name: "www and a host ending at an underscore",
			in:   "www.example.com https://example.c_m/",
			want: `<p><a href="http://www.example.com" rel="nofollow noopener noreferrer" target="_blank">www.example.com</a> ` +
				`<a href="https://example.c" rel="nofollow noopener noreferrer" target="_blank">https://example.c</a>_m/</p>`,
		},
		{
			name: "url ends at the host",
			in:   "see https://example.com; ok https://example.com。next https://a.example(x https://b.example>",
			want: `<p>see <a href="https://example.com" rel="nofollow noopener noreferrer" target="_blank">https://example.com</a>; ok ` +
				`<a href="https://example.com" rel="nofollow noopener noreferrer" target="_blank">https://example.com</a>。next ` +
				`<a href="https://a.example" rel="nofollow noopener noreferrer" target="_blank">https://a.example</a>(x ` +
				`<a href="https://b.example" rel="nofollow noopener noreferrer" target="_blank">https://b.example</a>&gt;</p>`,
		},
		{
			name: "url ends before punctuation outside ASCII and format characters",
			in:   "see https://example.com/a” https://example.com/b;\u202eevil",
			want: `<p>see <a href="https://example.com/a" rel="nofollow noopener noreferrer" target="_blank">https://example.com/a</a>” ` +
				`<a href="https://example.com/b;" rel="nofollow noopener noreferrer" target="_blank">https://example.com/b;</a>` + "\u202eevil</p>",
		},
		{name: "url in code span", in: "`https://example.com/`", want: "<p><code>https://example.com/</code></p>"},
		{
			name: "strikethrough",
			in:   "~one~ a~~b~~c ~~**both**~~ ~~~three~~~x ~~ spaced ~~ ~~unclosed",
			want: "<p><del>one</del> a<del>b</del>c <del><strong>both</strong></del> ~~~three~~~x ~~ spaced ~~ ~~unclosed</p>",
		},
		{
			name:     "image becomes link",
			in:       "![a cat](https://example.com/cat.png)",
			want:     `<p><a href="https://example.com/cat.png" rel="nofollow noopener noreferrer" target="_blank">a cat</a></p>`,
			contains: nil,
		},
		{name: "escaped text stays escaped", in: "a &lt; b & c", want: "<p>a &lt; b &amp; c</p>"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(r.Render(tt.in, mentions, tagURL))
			assertSafe(t, got)
			if tt.want != "" || (tt.contains == nil && tt.absent == nil) {
				if got != tt.want {
					t.Errorf("Render(%q)\n got %s\nwant %s", tt.in, got, tt.want)
				}
			}
			for _, w := range tt.contains {
				if !strings.Contains(got, w) {
					t.Errorf("Render(%q) = %s\nwant it to contain %s", tt.in, got, w)
				}
			}
			for _, w := range tt.absent {
				if strings.Contains(got, w) {
					t.Errorf("Render(%q) = %s\nwant it not to contain %s", tt.in, got, w)
				}
			}
		})
	}
}

func TestRenderNilTagURL(t *testing.T) {
	r := NewRenderer(NewSanitizer())
	if got := r.Render("#go", nil, nil); got != "<p>#go</p>" {
		t.Errorf("Render with nil tagURL = %s", got)
	}
}

// TestRenderAgreesWithFind checks that every mention and hashtag Find* sees
// is one Render links, so addressing and markup never disagree.
func TestRenderAgreesWithFind(t *testing.T) {
	r := NewRenderer(NewSanitizer())
	in := "hey @alice@example.com, @bob@b.test and @owner: #one #Two `#no @x@y.test`\n\n> quote #three @c@c.test"
	var mentions []Mention
	for _, h := range FindMentions(in) {
		mentions = append(mentions, Mention{Handle: h, Href: "https://x.test/" + h})
	}
	got := string(r.Render(in, mentions, tagURL))
	if n, want := strings.Count(got, `class="u-url mention"`), len(mentions); n != want || want != 4 {
		t.Errorf("linked %d mentions, found %d (want 4): %s", n, want, got)
	}
	if n, want := strings.Count(got, `rel="tag"`), len(FindHashtags(in)); n != want || want != 3 {
		t.Errorf("linked %d hashtags, found %d (want 3): %s", n, want, got)
	}
}

func BenchmarkRender(b *testing.B) {
	r := NewRenderer(NewSanitizer())
	in := "hey @alice@example.com, look at https://example.com/ #go #fediverse\nsecond *line*"
	ms := []Mention{{Handle: "alice@example.com", Href: "https://example.com/@alice"}}
	for b.Loop() {
		r.Render(in, ms, tagURL)
	}
}

func FuzzRender(f *testing.F) {
	f.Add("hi @alice@example.com #go `code` <script>alert(1)</script>")
	f.Add("[x](javascript:alert(1)) ![y](data:text/html,<script>) <img src=x onerror=alert(1)>")
	f.Add("```\n</code><script>\n```\n\n<div onclick=x>\n\n*a* _b_ ~~c~~")
	r := NewRenderer(NewSanitizer())
	ms := []Mention{{Handle: "alice@example.com", Href: "https://example.com/@alice"}}
	f.Fuzz(func(t *testing.T, in string) {
		out := string(r.Render(in, ms, tagURL))
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("Render(%q) = %q contains <script", in, out)
		}
		assertSafe(t, out)
		FindMentions(in)
		FindHashtags(in)
	})
}

// largeInputs once made linkify run in quadratic time (an unanchored e-mail regexp tried at
// every '*' and space): 100 kB of them took minutes then, and takes milliseconds now
// (BenchmarkRenderLargeInputs). Each comes with what its rendering holds: its text, and how many
// links, <em> and <del> elements.
var largeInputs = []struct {
	in, text       string
	links, em, del int
}{
	{strings.Repeat("*a", 50000), strings.Repeat("a", 50000), 0, 25000, 0},
	{strings.Repeat("a ", 50000), strings.TrimSpace(strings.Repeat("a ", 50000)), 0, 0, 0},
	{strings.Repeat("@a_", 30000), strings.Repeat("@a_", 30000), 0, 0, 0},
	{strings.Repeat("[", 50000), strings.Repeat("[", 50000), 0, 0, 0},
	{"https://example.com/" + strings.Repeat(")", 50000), "https://example.com/" + strings.Repeat(")", 50000), 1, 0, 0},
	{"https://example.com/" + strings.Repeat("&a;", 30000), "https://example.com/" + strings.Repeat("&a;", 30000), 1, 0, 0},
	{strings.Repeat("https://example.com/", 10000), strings.Repeat("https://example.com/", 10000), 1, 0, 0},
	{strings.Repeat("~~a", 30000), strings.Repeat("a", 30000), 0, 0, 15000},
	{strings.Repeat("(https://a", 50000), strings.Repeat("(https://a", 50000), 0, 0, 0},
	{strings.Repeat("*https://a.b/", 30000), strings.Repeat("*https://a.b/", 30000), 30000, 0, 0}, // '*' ends a URL
}

// TestRenderLargeInputs renders the large inputs whole: one paragraph keeping all their text,
// with the links and emphasis they call for and nothing unsafe.
func TestRenderLargeInputs(t *testing.T) {
	r := NewRenderer(NewSanitizer())
	s := NewSanitizer()
	for _, tc := range largeInputs {
		t.Run(fmt.Sprintf("%.12s", tc.in), func(t *testing.T) {
			out := string(r.Render(tc.in, nil, tagURL))
			assertSafe(t, out)
			if !strings.HasPrefix(out, "<p>") || !strings.HasSuffix(out, "</p>") || strings.Count(out, "<p>") != 1 {
				t.Errorf("not one paragraph: %.100s ... %.100s", out, out[max(0, len(out)-100):])
			}
			if got := s.Text(out); got != tc.text {
				t.Errorf("text of %d bytes, want %d: %.100s", len(got), len(tc.text), got)
			}
			for el, want := range map[string]int{"<a ": tc.links, "<em>": tc.em, "<del>": tc.del} {
				if n := strings.Count(out, el); n != want {
					t.Errorf("%d %s elements, want %d", n, el, want)
				}
			}
			if h := FindHashtags(tc.in); len(h) != 0 {
				t.Errorf("hashtags %q", h)
			}
			FindMentions(tc.in)
		})
	}
}

// BenchmarkRenderLargeInputs renders each large input once per iteration, with the mention and
// hashtag scans a post goes through.
func BenchmarkRenderLargeInputs(b *testing.B) {
	r := NewRenderer(NewSanitizer())
	for b.Loop() {
		for _, tc := range largeInputs {
			r.Render(tc.in, nil, tagURL)
			FindMentions(tc.in)
			FindHashtags(tc.in)
		}
	}
}
