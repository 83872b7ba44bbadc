package content

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// hostile is a corpus of HTML that other servers could send to get script
// into our pages.
var hostile = map[string]string{
	"script":                `<p>hi</p><script>alert(1)</script>`,
	"script uppercase":      `<SCRIPT SRC=https://evil.test/x.js></SCRIPT>`,
	"img onerror":           `<img src=x onerror="alert(1)">`,
	"onclick on p":          `<p onclick="alert(1)" onmouseover=alert(1)>click</p>`,
	"javascript href":       `<a href="javascript:alert(1)">x</a>`,
	"mixed case scheme":     `<a href="JaVaScRiPt:alert(1)">x</a>`,
	"scheme with spaces":    `<a href=" javascript:alert(1)">x</a>`,
	"scheme with tab":       "<a href=\"java\tscript:alert(1)\">x</a>",
	"entity encoded scheme": `<a href="&#106;avascript:alert(1)">x</a>`,
	"hex entity scheme":     `<a href="&#x6A;&#x61;vascript&#x3A;alert(1)">x</a>`,
	"data url":              `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	"vbscript":              `<a href="vbscript:msgbox(1)">x</a>`,
	"style element":         `<style>body{background:url(javascript:alert(1))}</style><p>x</p>`,
	"style attribute":       `<p style="background:url(javascript:alert(1))">x</p>`,
	"css expression":        `<span style="width: expression(alert(1))">x</span>`,
	"iframe":                `<iframe src="https://evil.test/"></iframe>`,
	"iframe srcdoc":         `<iframe srcdoc="<script>alert(1)</script>"></iframe>`,
	"form":                  `<form action="https://evil.test/"><input name=p><button>go</button></form>`,
	"svg script":            `<svg><script>alert(1)</script></svg>`,
	"svg onload":            `<svg onload=alert(1)><a xlink:href="javascript:alert(1)">x</a></svg>`,
	"math":                  `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>`,
	"unclosed tags":         `<p><a href="https://ok.test/"><b>open <script>alert(1)`,
	"unclosed attribute":    `<a href="https://ok.test/" onmouseover="alert(1)`,
	"nested a":              `<a href="https://ok.test/"><a href="javascript:alert(1)">x</a></a>`,
	"base":                  `<base href="https://evil.test/"><a href="/x">x</a>`,
	"meta refresh":          `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	"object":                `<object data="https://evil.test/x.swf"><embed src="x.swf"></object>`,
	"link stylesheet":       `<link rel=stylesheet href="https://evil.test/x.css">`,
	"comment breakout":      `<!--<script>alert(1)</script>--><p>x</p>`,
	"cdata":                 `<![CDATA[<script>alert(1)</script>]]>`,
	"noscript":              `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	"template":              `<template><script>alert(1)</script></template>`,
	"textarea breakout":     `<textarea></textarea><script>alert(1)</script>`,
	"attribute breakout":    `<span class="mention" x="><script>alert(1)</script>">y</span>`,
	"span bad class":        `<span class="mention evil">x</span>`,
	"code bad class":        `<code class="language-go onclick">x</code>`,
	"target and rel":        `<a href="https://ok.test/" target="_self" rel="opener">x</a>`,
	"formaction":            `<button formaction="javascript:alert(1)">x</button>`,
	"video poster":          `<video poster="javascript:alert(1)"><source src=x onerror=alert(1)></video>`,
	"null byte":             "<scr\x00ipt>alert(1)</scr\x00ipt><a href=\"java\x00script:alert(1)\">x</a>",
	"protocol relative":     `<a href="//evil.test/">x</a>`,
	"opaque http":           `<a href="http:evil">x</a>`,
	"srcset":                `<img srcset="javascript:alert(1) 1x">`,
}

func TestRemoteHostile(t *testing.T) {
	s := NewSanitizer()
	for name, in := range hostile {
		t.Run(name, func(t *testing.T) {
			assertSafe(t, string(s.Remote(in)))
		})
	}
}

// assertSafe parses out as a browser would and fails on anything that could
// run script, load a resource or style the page.
func assertSafe(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Errorf("output contains <script: %s", out)
	}
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("parse output: %v", err)
	}
	allowed := map[string]bool{
		"html": true, "head": true, "body": true, // added by the parser
		"p": true, "br": true, "span": true, "a": true, "del": true, "s": true, "pre": true,
		"code": true, "blockquote": true, "ol": true, "ul": true, "li": true, "strong": true,
		"b": true, "em": true, "i": true, "u": true, "sub": true, "sup": true,
		"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
		"small": true, "ruby": true, "rt": true, "rp": true,
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		if !allowed[n.Data] {
			t.Errorf("element <%s> survived: %s", n.Data, out)
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			switch {
			case strings.HasPrefix(key, "on"):
				t.Errorf("event handler %s on <%s> survived: %s", a.Key, n.Data, out)
			case key == "style" || key == "src" || key == "srcdoc" || key == "srcset" || key == "action" || key == "formaction" || key == "poster":
				t.Errorf("attribute %s on <%s> survived: %s", a.Key, n.Data, out)
			case key == "href":
				u, err := url.Parse(a.Val)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
					t.Errorf("href %q survived: %s", a.Val, out)
				}
			}
		}
	}
}

func TestRemoteKeepsMastodonMarkup(t *testing.T) {
	s := NewSanitizer()
	tests := []struct {
		name, in string
		want     []string // substrings the output must contain
	}{
		{
			name: "mention",
			in:   `<p><span class="h-card" translate="no"><a href="https://mastodon.social/@Gargron" class="u-url mention">@<span>Gargron</span></a></span> hi</p>`,
			want: []string{`<p><span class="h-card"><a href="https://mastodon.social/@Gargron" class="u-url mention"`, `>@<span>Gargron</span></a></span> hi</p>`},
		},
		{
			name: "hashtag",
			in:   `<p><a href="https://mastodon.social/tags/go" class="mention hashtag" rel="tag">#<span>go</span></a></p>`,
			want: []string{`class="mention hashtag"`, `>#<span>go</span></a>`},
		},
		{
			name: "shortened link",
			in:   `<p><a href="https://example.com/a/long/path" target="_blank" rel="nofollow noopener noreferrer" translate="no"><span class="invisible">https://</span><span class="ellipsis">example.com/a/</span><span class="invisible">long/path</span></a></p>`,
			want: []string{`<span class="invisible">https://</span><span class="ellipsis">example.com/a/</span>`, `target="_blank"`, `nofollow`, `noopener`, `noreferrer`},
		},
		{
			name: "paragraphs and breaks",
			in:   `<p>one<br>two<br/>three</p><p>four</p>`,
			want: []string{`<p>one<br>two<br/>three</p><p>four</p>`},
		},
		{
			name: "formatting",
			in:   `<blockquote><p><strong>b</strong> <em>i</em> <del>d</del> <s>s</s> <u>u</u> x<sub>2</sub> y<sup>3</sup></p></blockquote><ul><li>a</li></ul><ol start="3"><li>c</li></ol><h2>head</h2><pre><code class="language-go">x := 1</code></pre>`,
			want: []string{`<blockquote><p><strong>b</strong> <em>i</em> <del>d</del> <s>s</s> <u>u</u> x<sub>2</sub> y<sup>3</sup></p></blockquote>`, `<ul><li>a</li></ul>`, `<ol start="3"><li>c</li></ol>`, `<h2>head</h2>`, `<pre><code class="language-go">x := 1</code></pre>`},
		},
		{
			// Misskey renders MFM's $[small] and $[ruby] as these (Misskey's MfmService.toHtml).
			name: "misskey small and ruby",
			in:   `<p><small>fine print</small> <ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby></p>`,
			want: []string{`<small>fine print</small>`, `<ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>`},
		},
		{
			name: "mailto",
			in:   `<a href="mailto:a@example.com">mail</a>`,
			want: []string{`href="mailto:a@example.com"`, `nofollow`},
		},
		{
			name: "rel and target forced",
			in:   `<a href="https://ok.test/" target="_self" rel="opener">x</a>`,
			want: []string{`target="_blank"`, `nofollow`, `noopener`, `noreferrer`},
		},
		{
			name: "text escaped",
			in:   `<p>a &lt;b&gt; &amp; c</p>`,
			want: []string{`<p>a &lt;b&gt; &amp; c</p>`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(s.Remote(tt.in))
			assertSafe(t, got)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Remote(%q)\n = %s\nwant it to contain %s", tt.in, got, w)
				}
			}
		})
	}
}

func TestRemoteDrops(t *testing.T) {
	s := NewSanitizer()
	tests := []struct{ in, want string }{
		{`<a href="javascript:alert(1)">x</a>`, `x`},
		{`<a href="/relative">x</a>`, `x`},
		{`<span class="mention evil">x</span>`, `<span>x</span>`},
		{`<img src="https://ok.test/i.png" alt="pic">`, ``},
		{`<p>hi</p><script>alert(1)</script>`, `<p>hi</p>`},
		{`<p style="color:red">x</p>`, `<p>x</p>`},
		{`  <p>x</p>  `, `<p>x</p>`},
	}
	for _, tt := range tests {
		if got := string(s.Remote(tt.in)); got != tt.want {
			t.Errorf("Remote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	s := NewSanitizer()
	tests := []struct{ in, want string }{
		{`plain name`, `plain name`},
		{`  padded  `, `padded`},
		{`<b>bold</b> <i>name</i>`, `bold name`},
		{`Tom &amp; Jerry`, `Tom & Jerry`},
		{`&amp;lt;b&amp;gt;`, `&lt;b&gt;`}, // decoded once, not twice
		{`caf&eacute; &#x1F600;`, "café 😀"},
		{`<script>alert(1)</script>name`, `name`},
		{`<style>p{}</style>name`, `name`},
		{`a<br>b`, "a\nb"},
		{`<p>one</p><p>two</p>`, "one\n\ntwo"},
		{`<img src=x onerror=alert(1)>alt`, `alt`},
		{`a  b`, `a  b`},
		{`5 < 6`, `5 < 6`},
	}
	for _, tt := range tests {
		if got := s.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRemote(f *testing.F) {
	for _, in := range hostile {
		f.Add(in)
	}
	s := NewSanitizer()
	f.Fuzz(func(t *testing.T, in string) {
		out := string(s.Remote(in))
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("Remote(%q) = %q contains <script", in, out)
		}
		assertSafe(t, out)
		_ = s.Text(in)
	})
}
