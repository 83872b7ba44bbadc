package content

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A mention or hashtag found in a run of text: text[start:end] is the whole
// "@user@host" or "#tag", value is it without the sigil.
type match struct {
	start, end int
	hashtag    bool
	value      string
}

// FindMentions returns the distinct handles mentioned in the owner's Markdown
// text, in order of first appearance, as "user@host" (without the leading @,
// host lower-cased) or, for a bare "@user", as "user": the caller resolves
// that to the owner or ignores it. Duplicates are compared without case.
//
// The text is read the way [Renderer.Render] reads it, so e-mail addresses,
// mentions inside code spans and blocks, inside links and inside URLs are
// not mentions, and the mentions found are exactly those Render can link.
func FindMentions(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, run := range textRuns(newMarkdown(), text) {
		for _, m := range scan(run) {
			if m.hashtag {
				continue
			}
			k := strings.ToLower(m.value)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, normalizeHandle(m.value))
		}
	}
	return out
}

// FindHashtags returns the distinct hashtags in the owner's Markdown text,
// without the #, as first written, in order. Following Mastodon's
// HASHTAG_RE, a tag is # then letters, marks, digits and underscores
// (Unicode letters allowed, so #café and #日本語 count), holding at least one
// letter (#123 is not a tag), and not preceded by a word character, '/',
// '=' or ')'. Tags inside code, links and URLs are not found. Duplicates are
// compared without case.
func FindHashtags(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, run := range textRuns(newMarkdown(), text) {
		for _, m := range scan(run) {
			if !m.hashtag {
				continue
			}
			k := strings.ToLower(m.value)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, m.value)
		}
	}
	return out
}

// normalizeHandle lower-cases the host of "user@host" and leaves the user
// as written.
func normalizeHandle(h string) string {
	if user, host, ok := strings.Cut(h, "@"); ok {
		return user + "@" + strings.ToLower(host)
	}
	return h
}

// scan finds mentions and hashtags in one run of plain text, after
// Mastodon's MENTION_RE and HASHTAG_RE (app/models/account.rb,
// app/models/tag.rb). Go's regexp has no look-behind, so the rules are
// written out.
func scan(s string) []match {
	var out []match
	for i := 0; i < len(s); {
		c := s[i]
		if c != '@' && c != '#' {
			i++
			continue
		}
		prev, _ := utf8.DecodeLastRuneInString(s[:i])
		if i > 0 && (isWord(prev) || prev == '/' || prev == '=' || (c == '#' && prev == ')')) {
			i++
			continue
		}
		var end int
		if c == '@' {
			end = scanMention(s, i+1)
		} else {
			end = scanHashtag(s, i+1)
		}
		if end < 0 {
			i++
			continue
		}
		out = append(out, match{start: i, end: end, hashtag: c == '#', value: s[i+1 : end]})
		i = end
	}
	return out
}

// scanMention reads "user" or "user@host" starting at i and returns where it
// ends, or -1. The user is ASCII letters, digits and _, with . and - allowed
// inside; the host is word characters, . and -, ending in a word character.
func scanMention(s string, i int) int {
	j := i
	for j < len(s) && (isUserByte(s[j]) || s[j] == '.' || s[j] == '-') {
		j++
	}
	for j > i && (s[j-1] == '.' || s[j-1] == '-') {
		j--
	}
	if j == i || !isUserByte(s[i]) {
		return -1
	}
	if j >= len(s) || s[j] != '@' {
		return j
	}
	k := j + 1
	for k < len(s) {
		r, size := utf8.DecodeRuneInString(s[k:])
		if !isWord(r) && r != '.' && r != '-' {
			break
		}
		k += size
	}
	for k > j+1 && (s[k-1] == '.' || s[k-1] == '-') {
		k--
	}
	if k == j+1 {
		return j // "@user@" followed by nothing usable: a bare mention
	}
	return k
}

// scanHashtag reads a tag name starting at i and returns where it ends, or
// -1 if there is none or it has no letter.
func scanHashtag(s string, i int) int {
	j := i
	letter := false
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !isWord(r) {
			break
		}
		if unicode.IsLetter(r) {
			letter = true
		}
		j += size
	}
	if !letter {
		return -1
	}
	return j
}

// isWord is Ruby's [[:word:]]: letters, marks, digits and connector
// punctuation such as _.
func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r) || unicode.Is(unicode.Pc, r)
}

func isUserByte(b byte) bool {
	return b == '_' || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9')
}
