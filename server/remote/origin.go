package remote

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Origin returns the origin of u, "scheme://host[:port]", normalized for comparison: scheme and host
// lower-cased, a trailing dot on the host removed, and the scheme's default port dropped. It returns ""
// for a URL without scheme or host.
//
// Internationalized host names are lower-cased but not converted to punycode, so a Unicode host and
// its xn-- form compare different. That errs toward refusing, never toward accepting: servers put
// the xn-- form in ids, and SplitHandle converts the handles the owner types to it.
func Origin(u *url.URL) string {
	if u == nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" || strings.HasSuffix(host, ".") {
		return ""
	}
	// A host with a colon must be an IPv6 literal; anything else (url.Parse lets "a://::" through)
	// has no origin, nor has a literal with a zone ("[fe80::1%25eth0]"): a zone names one of the
	// sender's own interfaces, and can be any text, spaces included.
	if strings.Contains(host, ":") {
		if a, err := netip.ParseAddr(host); err != nil || a.Zone() != "" {
			return ""
		}
	}
	port := u.Port()
	if port == defaultPort(scheme) {
		port = ""
	}
	// Hostname is unescaped; a "%" (an IPv6 zone, or an escaped "%" in a name) must be escaped
	// again for the origin to parse back to the same host.
	host = strings.ReplaceAll(host, "%", "%25")
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// defaultPort is the port a scheme implies.
func defaultPort(scheme string) string {
	switch scheme {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// SameOrigin reports whether the URLs a and b parse and share a non-empty [Origin].
func SameOrigin(a, b string) bool {
	ua, err := url.Parse(a)
	if err != nil {
		return false
	}
	ub, err := url.Parse(b)
	if err != nil {
		return false
	}
	oa := Origin(ua)
	return oa != "" && oa == Origin(ub)
}

// checkURL parses raw and refuses what may never be requested: control characters, schemes other
// than https (and http with Config.AllowHTTP), userinfo, and a missing host. The fragment is dropped.
func (c *Client) checkURL(raw string) (*url.URL, error) {
	if strings.ContainsAny(raw, "\r\n\x00") {
		return nil, fmt.Errorf("%w: control character", ErrForbiddenURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForbiddenURL, err)
	}
	return c.checkParsed(u)
}

// checkParsed is checkURL for an already parsed URL (a redirect's resolved Location).
func (c *Client) checkParsed(u *url.URL) (*url.URL, error) {
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !c.cfg.AllowHTTP {
			return nil, fmt.Errorf("%w: plain http", ErrForbiddenURL)
		}
	default:
		return nil, fmt.Errorf("%w: scheme %q", ErrForbiddenURL, u.Scheme)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: userinfo", ErrForbiddenURL)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: no host", ErrForbiddenURL)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: port %q", ErrForbiddenURL, p)
		}
	}
	v := *u
	v.Fragment, v.RawFragment = "", ""
	return &v, nil
}
