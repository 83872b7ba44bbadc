package content

import (
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// Sanitizer holds the bluemonday policies (safe for concurrent use). There is
// no package-level state: construct it with [NewSanitizer].
type Sanitizer struct {
	// policies builds them on first use: with goldmark (see Renderer) they
	// take about 150 kB that a server idle after start-up has no use for.
	policies func() policies
}

type policies struct {
	remote *bluemonday.Policy // HTML from other servers
	local  *bluemonday.Policy // output of Renderer: same allow-list, plus the rel values we set ourselves
}

// NewSanitizer returns a Sanitizer; the policies are built the first time one
// is used. Make one at start-up and share it.
func NewSanitizer() *Sanitizer {
	return &Sanitizer{policies: sync.OnceValue(newPolicies)}
}

func newPolicies() policies {
	remote := basePolicy()
	// Forced on every link from another server, whatever it carried: the
	// remote rel and target attributes are not on the allow-list at all.
	remote.RequireNoFollowOnLinks(true)
	remote.RequireNoReferrerOnLinks(true)
	remote.AddTargetBlankToFullyQualifiedLinks(true) // also adds rel=noopener

	local := basePolicy()
	local.AllowAttrs("rel").Matching(regexp.MustCompile(`^(?:tag|nofollow noopener noreferrer)$`)).OnElements("a")
	local.AllowAttrs("target").Matching(regexp.MustCompile(`^_blank$`)).OnElements("a")

	return policies{remote: remote, local: local}
}

// basePolicy is the GoToSocial/Mastodon-like allow-list shared by remote
// HTML and rendered local posts (GoToSocial internal/text/sanitize.go). The
// class values kept on span and a follow Mastodon's class allow-list
// (app/lib/sanitize_config.rb), narrowed to what our CSS styles.
func basePolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(
		"p", "br", "span", "del", "s", "pre", "code", "blockquote",
		"ol", "ul", "li", "strong", "b", "em", "i", "u", "sub", "sup",
		"h1", "h2", "h3", "h4", "h5", "h6",
		// Misskey's small text and ruby annotations (MFM $[small] and $[ruby]), which Mastodon
		// 4.3 keeps too.
		"small", "ruby", "rt", "rp",
	)
	p.AllowAttrs("class").Matching(classList("h-card", "mention", "hashtag", "ellipsis", "invisible")).OnElements("span")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[A-Za-z0-9_+#.-]{1,40}$`)).OnElements("code")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^-?[0-9]{1,9}$`)).OnElements("ol")
	p.AllowAttrs("reversed").Matching(regexp.MustCompile(`^(?:reversed)?$`)).OnElements("ol")

	// An a with no surviving href is dropped by bluemonday, keeping its text.
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("class").Matching(classList("u-url", "mention", "hashtag", "status-link", "unhandled-link")).OnElements("a")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false) // a relative URL from another server would point at us
	p.AllowURLSchemeWithCustomPolicy("http", hasHost)
	p.AllowURLSchemeWithCustomPolicy("https", hasHost)
	p.AllowURLSchemes("mailto")
	return p
}

// classList matches a class attribute made only of the given names,
// separated by white space.
func classList(names ...string) *regexp.Regexp {
	one := "(?:" + strings.Join(names, "|") + ")"
	return regexp.MustCompile(`^` + one + `(?:\s+` + one + `)*$`)
}

// hasHost rejects opaque forms such as "http:foo" that parse but go nowhere.
func hasHost(u *url.URL) bool { return u.Host != "" && u.Opaque == "" }

// Remote sanitizes post and bio HTML from another server with a
// GoToSocial/Mastodon-like allow-list: paragraphs, line breaks, lists,
// quotes, code, headings and inline emphasis; span classes only for
// Mastodon's microformats; links only to http, https and mailto, with
// rel="nofollow noreferrer noopener" (and target="_blank" on http(s)) forced.
// Images, styles, scripts, event handlers, frames and forms never survive.
func (s *Sanitizer) Remote(h string) HTML {
	return HTML(strings.TrimSpace(s.policies().remote.Sanitize(h)))
}

// sanitizeLocal sanitizes the Renderer's output.
func (s *Sanitizer) sanitizeLocal(h string) HTML {
	return HTML(strings.TrimSpace(s.policies().local.Sanitize(h)))
}

// Text strips all markup and returns plain text, with entities decoded once,
// for names, alt text, poll options and content warnings. A br becomes a
// newline and the end of a block (a paragraph gets two) a newline; nothing
// else is collapsed, and the result is trimmed. The result is text, not
// HTML: it must be escaped on output, as templ and encoding/json do.
func (s *Sanitizer) Text(h string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(h))
	skip := 0 // depth inside elements whose content is never text
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text()) // z.Text decodes entities
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "br":
				if skip == 0 {
					b.WriteByte('\n')
				}
			case "script", "style", "template", "noscript", "iframe", "noembed", "noframes", "object", "svg", "math", "textarea", "title", "select":
				if tt == html.StartTagToken {
					skip++
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "template", "noscript", "iframe", "noembed", "noframes", "object", "svg", "math", "textarea", "title", "select":
				if skip > 0 {
					skip--
				}
			case "p":
				if skip == 0 {
					b.WriteString("\n\n")
				}
			case "div", "li", "blockquote", "pre", "tr", "h1", "h2", "h3", "h4", "h5", "h6":
				if skip == 0 {
					b.WriteByte('\n')
				}
			}
		}
	}
}
