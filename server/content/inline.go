package content

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Two inline rules of GitHub's Markdown, added to goldmark through its parser API: bare http(s)
// URLs become links, and ~~text~~ is struck through. goldmark's own extension package has both,
// but importing it compiles its link patterns (a character class repeated 256 times) at start-up,
// which cost every process 0.57 MB of the 20 it holds when idle (VmRSS 3 s after start, six
// starts each way).

// inlineRules adds both rules to a goldmark.Markdown.
type inlineRules struct{}

// Extend implements goldmark.Extender.
func (inlineRules) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithInlineParsers(
		util.Prioritized(strike{}, 500),   // beside emphasis
		util.Prioritized(bareURLs{}, 999), // after every core rule, so code and links win
	))
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(emphasisHTML{}, 100)))
}

// bareURLs links a URL written without angle brackets, by GitHub's rules for extended
// autolinks limited to the schemes Mastodon links in posts (http and https): it starts a line or
// follows a space, '*', '_', '~' or '(', has a domain with a dot, and runs to the next space or
// '<', less the punctuation that ends a sentence around it.
type bareURLs struct{}

// Trigger implements parser.InlineParser; goldmark reads ' ' as any space and the start of a line.
func (bareURLs) Trigger() []byte { return []byte{' ', '*', '_', '~', '('} }

// Parse implements parser.InlineParser.
func (bareURLs) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	if pc.IsInLinkLabel() {
		return nil
	}
	line, seg := block.PeekLine()
	lead := 0
	if c := line[0]; c == '*' || c == '_' || c == '~' || c == '(' || util.IsSpace(c) {
		lead = 1
	}
	n := urlLength(line[lead:])
	if n == 0 {
		return nil
	}
	if lead > 0 {
		ast.MergeOrAppendTextSegment(parent, seg.WithStop(seg.Start+lead))
	}
	block.Advance(lead + n)
	start := seg.Start + lead
	return ast.NewAutoLink(ast.AutoLinkURL, ast.NewTextSegment(text.NewSegment(start, start+n)))
}

// CloseBlock implements parser.InlineParser.
func (bareURLs) CloseBlock(ast.Node, parser.Context) {}

// urlLength returns the length of the http(s) URL that b starts with, or 0 if it starts with
// none. The host comes first: letters, digits, '-', '_' and '.', and an optional port. A '/', '?'
// or '#' after it starts a path, which runs up to a space, '<', a control or format character,
// or punctuation outside ASCII (a closing quote or a CJK full stop ends the sentence, not the
// link). Then trailing ?!.,:;*_~ and quotes go, as do a ')' without its '(' and an entity
// reference such as "&amp;" (GitHub's rules, plus the quotes). The host must then be
// dot-separated labels, no '_' in the last two. User information ("user@") is refused, as a
// link that hides its host.
func urlLength(b []byte) int {
	var scheme int
	switch {
	case bytes.HasPrefix(b, []byte("https://")):
		scheme = len("https://")
	case bytes.HasPrefix(b, []byte("http://")):
		scheme = len("http://")
	default:
		return 0
	}
	hostEnd := scheme
	for hostEnd < len(b) {
		r, size := utf8.DecodeRune(b[hostEnd:])
		if !hostRune(r) && r != ':' {
			break
		}
		hostEnd += size
	}
	end := hostEnd
	if end < len(b) && b[end] == '@' {
		return 0
	}
	opens, closes := 0, 0
	if end < len(b) && (b[end] == '/' || b[end] == '?' || b[end] == '#') {
		for end < len(b) {
			r, size := utf8.DecodeRune(b[end:])
			if r == '<' || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
				r >= utf8.RuneSelf && unicode.IsPunct(r) {
				break
			}
			switch r {
			case '(':
				opens++
			case ')':
				closes++
			}
			end += size
		}
	}
trim:
	for end > scheme {
		switch b[end-1] {
		case '?', '!', '.', ',', ':', '*', '_', '~', '"', '\'':
			end--
		case ')':
			if closes <= opens {
				break trim
			}
			closes--
			end--
		case ';':
			end--
			j := end - 1
			for j > scheme && isAlnum(b[j]) {
				j--
			}
			if j < end-1 && b[j] == '&' {
				end = j // an entity reference, not part of the link
			}
		default:
			break trim
		}
	}
	if !validHost(b[scheme:min(hostEnd, end)]) {
		return 0
	}
	return end
}

// hostRune reports whether r may be part of a host name: letters and digits (any script),
// combining marks, '-', '_' and '.'.
func hostRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isAlnum(byte(r)) || r == '-' || r == '_' || r == '.'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// validHost reports whether host (hostRune characters, with an optional :port) is a domain as
// GitHub's autolinks take one: at least two labels, none empty, with no '_' in the last two.
func validHost(host []byte) bool {
	if i := bytes.LastIndexByte(host, ':'); i >= 0 {
		port := host[i+1:]
		if len(port) == 0 || len(port) > 5 || bytes.ContainsFunc(port, func(r rune) bool { return r < '0' || r > '9' }) {
			return false
		}
		host = host[:i]
	}
	if bytes.IndexByte(host, ':') >= 0 {
		return false
	}
	labels := bytes.Split(host, []byte("."))
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		if len(l) == 0 {
			return false
		}
		if i >= len(labels)-2 && bytes.IndexByte(l, '_') >= 0 {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// strike parses text between one or two tildes on each side (GitHub's strikethrough) with
// goldmark's delimiter rules, those of emphasis; three or more tildes are left as they are.
type strike struct{}

// Trigger implements parser.InlineParser.
func (strike) Trigger() []byte { return []byte{'~'} }

// Parse implements parser.InlineParser.
func (s strike) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	before := block.PrecendingCharacter()
	line, seg := block.PeekLine()
	d := parser.ScanDelimiter(line, before, 1, s)
	if d == nil || d.OriginalLength > 2 || before == '~' {
		return nil
	}
	d.Segment = seg.WithStop(seg.Start + d.OriginalLength)
	block.Advance(d.OriginalLength)
	pc.PushDelimiter(d)
	return d
}

// CloseBlock implements parser.InlineParser.
func (strike) CloseBlock(ast.Node, parser.Context) {}

// IsDelimiter implements parser.DelimiterProcessor.
func (strike) IsDelimiter(b byte) bool { return b == '~' }

// CanOpenCloser implements parser.DelimiterProcessor.
func (strike) CanOpenCloser(opener, closer *parser.Delimiter) bool {
	return opener.Char == closer.Char
}

// OnMatch implements parser.DelimiterProcessor.
func (strike) OnMatch(int) ast.Node { return &struck{} }

// struck is struck-through text. It passes for emphasis (a new kind of node would have to be
// registered in goldmark's package-wide table), and emphasisHTML tells the two apart.
type struck struct{ ast.BaseInline }

// Kind implements ast.Node.
func (*struck) Kind() ast.NodeKind { return ast.KindEmphasis }

// Dump implements ast.Node.
func (s *struck) Dump(source []byte, level int) { ast.DumpHelper(s, source, level, nil, nil) }

// emphasisHTML renders emphasis as goldmark does, <em> or <strong>, and struck text as <del>.
type emphasisHTML struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (emphasisHTML) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindEmphasis, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		tag := "del"
		if e, ok := n.(*ast.Emphasis); ok {
			tag = "em"
			if e.Level == 2 {
				tag = "strong"
			}
		}
		if entering {
			w.WriteString("<" + tag + ">")
		} else {
			w.WriteString("</" + tag + ">")
		}
		return ast.WalkContinue, nil
	})
}
