package store

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// InForce reports whether f applies in filterContext at now: it names the context, has a
// keyword, and has not expired.
func (f *Filter) InForce(filterContext string, now time.Time) bool {
	return slices.Contains(f.Context, filterContext) && len(f.Keywords) > 0 &&
		(f.ExpiresAt.IsZero() || f.ExpiresAt.After(now))
}

// In reports whether k occurs in text, case-insensitively. A whole-word keyword must not
// continue a word on either side where it starts or ends with a word character, as Mastodon's
// \b-bounded pattern (app/models/custom_filter.rb).
func (k FilterKeyword) In(text string) bool {
	text, kw := strings.ToLower(text), strings.ToLower(k.Keyword)
	if kw == "" {
		return false
	}
	first, _ := utf8.DecodeRuneInString(kw)
	last, _ := utf8.DecodeLastRuneInString(kw)
	for i := 0; i <= len(text)-len(kw); {
		j := strings.Index(text[i:], kw)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(kw)
		if !k.WholeWord {
			return true
		}
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (!wordRune(first) || start == 0 || !wordRune(before)) &&
			(!wordRune(last) || end == len(text) || !wordRune(after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		i = start + size
	}
	return false
}

func wordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}
