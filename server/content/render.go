package content

import (
	"bytes"
	"html"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
	xhtml "golang.org/x/net/html"
)

// Mention is one resolved @user@host in local text.
type Mention struct {
	// Handle is "user@host" as written, host lower-cased ("user" for a bare
	// @user the caller resolved, usually to the owner).
	Handle string
	// Href is the actor's profile page (its AS2 url) to link to.
	Href string
	// IRI is the actor's id, for the Mention tag's href and for addressing.
	IRI string
}

// Renderer converts the owner's Markdown to post HTML: CommonMark via
// goldmark with GitHub's bare URL links and strikethrough, and hard line
// breaks, raw HTML in the source shown as text (never passed through),
// mentions and hashtags linked with Mastodon's markup, and the whole result
// passed through the Sanitizer. It is safe for concurrent use.
type Renderer struct {
	md func() goldmark.Markdown // built on first use, as the Sanitizer's policies are
	s  *Sanitizer
}

// NewRenderer returns a Renderer whose output goes through s.
func NewRenderer(s *Sanitizer) *Renderer {
	return &Renderer{md: sync.OnceValue(newMarkdown), s: s}
}

// bareURL is goldmark's own pattern for a bare URL, limited to http(s) and without '@' in the
// host: a URL with user information ("https://bank.example@evil.example/") reads as one host and
// goes to another, so it stays text.
const bareURL = `^https?://[-a-zA-Z0-9:%._\+~#=]{1,256}\.[a-z]+(?::\d+)?` +
	`(?:[/#?][-a-zA-Z0-9@:%_+.~#$!?&/=\(\);,'">\^{}\[\]` + "`" + `]*)?`

// newMarkdown is the one goldmark configuration, shared by Render and by
// FindMentions and FindHashtags so that they agree on what is text.
// html.WithUnsafe is deliberately absent: raw HTML goes through escapeRaw.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(
			// Bare http(s) and www. URLs become links, as on GitHub, but not e-mail addresses:
			// Mastodon links none, and after the '_' of "@a_b@x.test" one would take the
			// mention's text.
			extension.NewLinkify(
				extension.WithLinkifyURLRegexp(regexp.MustCompile(bareURL)),
				extension.WithLinkifyEmailRegexp(regexp.MustCompile(`^[^\x00-\x{10FFFF}]`)), // matches nothing
			),
			extension.Strikethrough, // ~~text~~
		),
		goldmark.WithRendererOptions(
			gmhtml.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(escapeRaw{}, 100)), // lower runs later, so wins over goldmark's 1000
		),
	)
}

// Render converts markdown to HTML. A mention is linked only when its handle
// (compared without case) is in mentions; the others stay plain text.
// Hashtags link to tagURL(tag); a nil tagURL leaves them plain. Href and
// tagURL must give absolute http(s) URLs, since the HTML federates: a
// mention or hashtag with any other URL stays plain text. Output looks like Mastodon's:
//
//	<span class="h-card"><a href="{Href}" class="u-url mention">@<span>user</span></a></span>
//	<a href="{tagURL(tag)}" class="mention hashtag" rel="tag">#<span>tag</span></a>
func (r *Renderer) Render(markdown string, mentions []Mention, tagURL func(tag string) string) HTML {
	var buf bytes.Buffer
	if err := r.md().Convert([]byte(markdown), &buf); err != nil {
		// goldmark only fails when the writer does; a bytes.Buffer does not.
		return HTML(html.EscapeString(markdown))
	}
	byHandle := make(map[string]Mention, len(mentions))
	for _, m := range mentions {
		byHandle[strings.ToLower(m.Handle)] = m
	}

	var out strings.Builder
	walkHTML(buf.String(), func(tok xhtml.Token, inText bool) {
		switch {
		case tok.Type == xhtml.TextToken && inText:
			linkText(&out, tok.Data, byHandle, tagURL)
		case tok.Type == xhtml.TextToken:
			out.WriteString(html.EscapeString(tok.Data))
		case tok.Type == xhtml.StartTagToken && tok.Data == "a":
			// Links the owner wrote open in a new tab without leaking who sent
			// the reader, as Mastodon's do. goldmark leaves href empty for a
			// dangerous URL; with no attributes at all the sanitizer drops
			// the a and keeps its text.
			tok.Attr = withoutAttrs(tok.Attr, "rel", "target")
			if isLinkable(attr(tok.Attr, "href")) {
				tok.Attr = append(tok.Attr,
					xhtml.Attribute{Key: "rel", Val: "nofollow noopener noreferrer"},
					xhtml.Attribute{Key: "target", Val: "_blank"})
			}
			out.WriteString(tok.String())
		case tok.Type == xhtml.StartTagToken && tok.Data == "img":
			// Posts carry pictures as attachments, not inline: an inline
			// image becomes a link to it, labelled with its alt text.
			src, alt := attr(tok.Attr, "src"), attr(tok.Attr, "alt")
			if alt == "" {
				alt = src
			}
			if !isLinkable(src) {
				out.WriteString(html.EscapeString(alt))
				return
			}
			out.WriteString(`<a href="` + html.EscapeString(src) + `" rel="nofollow noopener noreferrer" target="_blank">` + html.EscapeString(alt) + `</a>`)
		case tok.Type == xhtml.StartTagToken, tok.Type == xhtml.EndTagToken, tok.Type == xhtml.SelfClosingTagToken:
			out.WriteString(tok.String())
		}
	})
	return r.s.sanitizeLocal(out.String())
}

// linkText writes one run of text with its known mentions and hashtags
// linked and everything else escaped.
func linkText(out *strings.Builder, s string, byHandle map[string]Mention, tagURL func(string) string) {
	last := 0
	for _, m := range scan(s) {
		var link string
		if m.hashtag {
			if tagURL != nil {
				if u := tagURL(m.value); isLinkable(u) {
					link = `<a href="` + html.EscapeString(u) + `" class="mention hashtag" rel="tag">#<span>` + html.EscapeString(m.value) + `</span></a>`
				}
			}
		} else if mm, ok := byHandle[strings.ToLower(m.value)]; ok && isLinkable(mm.Href) {
			// Mastodon shows only @user, whatever the host.
			user, _, _ := strings.Cut(m.value, "@")
			link = `<span class="h-card"><a href="` + html.EscapeString(mm.Href) + `" class="u-url mention">@<span>` + html.EscapeString(user) + `</span></a></span>`
		}
		if link == "" {
			continue
		}
		out.WriteString(html.EscapeString(s[last:m.start]))
		out.WriteString(link)
		last = m.end
	}
	out.WriteString(html.EscapeString(s[last:]))
}

// textRuns returns the runs of plain text in markdown where mentions and
// hashtags count: outside code, pre and links.
func textRuns(md goldmark.Markdown, markdown string) []string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(markdown), &buf); err != nil {
		return nil
	}
	var runs []string
	walkHTML(buf.String(), func(tok xhtml.Token, inText bool) {
		if tok.Type == xhtml.TextToken && inText {
			runs = append(runs, tok.Data)
		}
	})
	return runs
}

// walkHTML calls fn for every token of goldmark's output except comments
// and doctypes, telling it whether a text token is outside a, code and pre.
// Text tokens arrive with entities decoded; adjacent text is one token, so a
// handle split by goldmark into several text nodes is whole again here.
func walkHTML(s string, fn func(tok xhtml.Token, inText bool)) {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	skip := 0
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return
		}
		tok := z.Token()
		switch tt {
		case xhtml.StartTagToken:
			if isOpaque(tok.Data) {
				skip++
			}
		case xhtml.EndTagToken:
			if isOpaque(tok.Data) && skip > 0 {
				skip--
			}
		case xhtml.CommentToken, xhtml.DoctypeToken:
			continue
		}
		fn(tok, skip == 0)
	}
}

// isOpaque reports whether text inside the element is never linked.
func isOpaque(name string) bool { return name == "a" || name == "code" || name == "pre" }

// isLinkable reports whether the sanitizer will keep href, so that rel and
// target are only added to links that survive.
func isLinkable(href string) bool {
	u, err := url.Parse(href)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "http", "https":
		return hasHost(u)
	case "mailto":
		return true
	}
	return false
}

func attr(attrs []xhtml.Attribute, key string) string {
	for _, a := range attrs {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func withoutAttrs(attrs []xhtml.Attribute, keys ...string) []xhtml.Attribute {
	out := attrs[:0:0]
	for _, a := range attrs {
		drop := false
		for _, k := range keys {
			drop = drop || a.Key == k
		}
		if !drop {
			out = append(out, a)
		}
	}
	return out
}

// escapeRaw renders raw HTML found in the Markdown source as visible text,
// so "I <3 <b>" reads as typed instead of vanishing or becoming markup.
type escapeRaw struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (escapeRaw) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, renderRawHTML)
	reg.Register(ast.KindHTMLBlock, renderHTMLBlock)
}

func renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		segs := node.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			seg := segs.At(i)
			_, _ = w.WriteString(html.EscapeString(string(seg.Value(source))))
		}
	}
	return ast.WalkSkipChildren, nil
}

func renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.HTMLBlock)
	var lines []string
	for i := range n.Lines().Len() {
		seg := n.Lines().At(i)
		lines = append(lines, string(seg.Value(source)))
	}
	if n.HasClosure() {
		lines = append(lines, string(n.ClosureLine.Value(source)))
	}
	text := strings.TrimRight(strings.Join(lines, ""), "\n")
	if text == "" {
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<p>")
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			_, _ = w.WriteString("<br>\n")
		}
		_, _ = w.WriteString(html.EscapeString(line))
	}
	_, _ = w.WriteString("</p>\n")
	return ast.WalkContinue, nil
}
