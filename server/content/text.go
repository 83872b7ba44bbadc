package content

import "net/url"

// Text and links from peers, made safe to show and to store.

// SafeURL returns u when it is an http(s) URL, else "" (no javascript: links from peers).
func SafeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return u
}

// TruncateRunes cuts s to at most n characters.
func TruncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
