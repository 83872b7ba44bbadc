// Package signature signs and verifies HTTP requests with draft-cavage HTTP Signatures as Mastodon does.
//
// The cryptography is go-fed/httpsig's; everything else is ours, because that library checks nothing but
// the signature bytes: it does not require (request-target), host or digest to be signed, does not check
// the Date, never compares the Digest with the body and lets the sender pick the algorithm. Misskey's
// CVE-2023-49079 was exactly that gap (anyone could impersonate any remote user). An inbox handler
// calls [Check] first, which needs no key and enforces every policy rule, then fetches the key named by
// [Params.KeyID] and calls [Verify].
//
// Spec: https://datatracker.ietf.org/doc/html/draft-cavage-http-signatures-12
package signature

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors returned by [Parse], [Check] and [Verify], always wrapped with detail. All of them should be
// answered with 401; the detail is for logs, never for the peer.
var (
	// ErrUnsigned means the request carries no draft-cavage signature at all. A request signed only
	// with RFC 9421 (Signature-Input) is unsigned too: Fedify retries with cavage after a 401.
	ErrUnsigned = errors.New("signature: request not signed")
	// ErrMalformed means the signature header could not be parsed, or there is more than one.
	ErrMalformed = errors.New("signature: malformed")
	// ErrPolicy means the signature is well formed but breaks a rule: a required header is not
	// signed, the time is out of the window, the Digest is missing or wrong, the host or keyId is
	// unacceptable, or the algorithm does not fit the key.
	ErrPolicy = errors.New("signature: policy violation")
	// ErrBadSignature means the cryptographic check failed.
	ErrBadSignature = errors.New("signature: verification failed")
)

// Params is a parsed Signature header.
type Params struct {
	KeyID     string
	Algorithm string   // lower-cased as sent, "" if absent; never trusted to pick the algorithm
	Headers   []string // lower-cased, in signing order
	Signature []byte
	Created   int64 // unix seconds, 0 if absent
	Expires   int64 // unix seconds, 0 if absent
}

// Parse parses a draft-cavage Signature header value (the part after "Signature " for the
// Authorization form). It is strict: unterminated quotes, duplicated parameters (names compare
// case-insensitively), a missing or empty keyId or signature, an empty headers="", a headers list
// that names a header twice, bad base64 and trailing commas are all [ErrMalformed]. Unknown parameters
// are ignored. A missing headers= defaults to ["date"] as the spec says; [Check] then rejects it.
func Parse(value string) (Params, error) {
	var p Params
	s := strings.Trim(value, " \t")
	if s == "" {
		return p, fmt.Errorf("%w: empty signature", ErrMalformed)
	}
	seen := make(map[string]bool, 6)
	for {
		n := tokenLen(s)
		if n == 0 {
			return p, fmt.Errorf("%w: expected a parameter name at %q", ErrMalformed, clip(s))
		}
		name := strings.ToLower(s[:n])
		s = s[n:]
		if s == "" || s[0] != '=' {
			return p, fmt.Errorf("%w: parameter %q has no value", ErrMalformed, name)
		}
		s = s[1:]
		var val string
		if s != "" && s[0] == '"' {
			var err error
			if val, s, err = readQuoted(s); err != nil {
				return p, fmt.Errorf("%w: parameter %q: %v", ErrMalformed, name, err)
			}
		} else {
			n := tokenLen(s)
			if n == 0 {
				return p, fmt.Errorf("%w: parameter %q has an empty value", ErrMalformed, name)
			}
			val, s = s[:n], s[n:]
		}
		if seen[name] {
			return p, fmt.Errorf("%w: duplicated parameter %q", ErrMalformed, name)
		}
		seen[name] = true
		if err := p.set(name, val); err != nil {
			return p, err
		}

		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		if s[0] != ',' {
			return p, fmt.Errorf("%w: unexpected %q after parameter %q", ErrMalformed, clip(s), name)
		}
		s = strings.TrimLeft(s[1:], " \t")
		if s == "" {
			return p, fmt.Errorf("%w: trailing comma", ErrMalformed)
		}
	}
	if p.KeyID == "" {
		return p, fmt.Errorf("%w: missing keyId", ErrMalformed)
	}
	if len(p.Signature) == 0 {
		return p, fmt.Errorf("%w: missing signature", ErrMalformed)
	}
	if !seen["headers"] {
		// draft-cavage-12 §2.1.6: "If not specified, implementations MUST operate as if the field
		// were specified with a single value, `date`".
		p.Headers = []string{"date"}
	}
	return p, nil
}

func (p *Params) set(name, val string) error {
	switch name {
	case "keyid":
		if val == "" {
			return fmt.Errorf("%w: empty keyId", ErrMalformed)
		}
		p.KeyID = val
	case "algorithm":
		p.Algorithm = strings.ToLower(val)
	case "headers":
		hs := strings.Fields(strings.ToLower(val))
		if len(hs) == 0 {
			return fmt.Errorf("%w: empty headers", ErrMalformed)
		}
		for i, h := range hs {
			if name := strings.TrimSuffix(strings.TrimPrefix(h, "("), ")"); name == "" || tokenLen(name) != len(name) ||
				(h[0] == '(') != (h[len(h)-1] == ')') {
				return fmt.Errorf("%w: bad header name %q", ErrMalformed, clip(h))
			}
			for _, prev := range hs[:i] {
				if h == prev {
					return fmt.Errorf("%w: header %q listed twice", ErrMalformed, h)
				}
			}
		}
		p.Headers = hs
	case "signature":
		b, err := base64.StdEncoding.DecodeString(val)
		if err != nil {
			return fmt.Errorf("%w: signature: %v", ErrMalformed, err)
		}
		if len(b) == 0 {
			return fmt.Errorf("%w: empty signature", ErrMalformed)
		}
		p.Signature = b
	case "created", "expires":
		t, err := strconv.ParseInt(val, 10, 64)
		if err != nil || t <= 0 {
			return fmt.Errorf("%w: %s %q is not a positive integer", ErrMalformed, name, clip(val))
		}
		if name == "created" {
			p.Created = t
		} else {
			p.Expires = t
		}
	}
	return nil
}

// String formats p as a Signature header value in the order Mastodon writes it. created and expires
// appear only when set; algorithm only when not empty.
func (p Params) String() string {
	var b strings.Builder
	b.WriteString("keyId=")
	writeQuoted(&b, p.KeyID)
	if p.Algorithm != "" {
		b.WriteString(",algorithm=")
		writeQuoted(&b, p.Algorithm)
	}
	if p.Created != 0 {
		b.WriteString(",created=" + strconv.FormatInt(p.Created, 10))
	}
	if p.Expires != 0 {
		b.WriteString(",expires=" + strconv.FormatInt(p.Expires, 10))
	}
	b.WriteString(`,headers="` + strings.Join(p.Headers, " ") + `"`)
	b.WriteString(`,signature="` + base64.StdEncoding.EncodeToString(p.Signature) + `"`)
	return b.String()
}

// writeQuoted writes s as a quoted-string, escaping '"' and '\\'.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, c := range []byte(s) {
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
}

// has reports whether header h (lower case) is in the signed list.
func (p Params) has(h string) bool {
	for _, x := range p.Headers {
		if x == h {
			return true
		}
	}
	return false
}

// tokenLen returns the length of the RFC 9110 token at the start of s.
func tokenLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return i
	}
	return len(s)
}

// readQuoted reads an RFC 9110 quoted-string at the start of s (s[0] == '"') and returns its
// unescaped value and the rest of s.
func readQuoted(s string) (val, rest string, err error) {
	var b []byte // from the first escape on; until then the value is a slice of s
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			if b == nil {
				return s[1:i], s[i+1:], nil
			}
			return string(b), s[i+1:], nil
		case c == '\\':
			if b == nil {
				b = append(make([]byte, 0, len(s)), s[1:i]...)
			}
			i++
			if i == len(s) {
				return "", "", errors.New("unterminated quoted string")
			}
			c = s[i]
		}
		if c < 0x20 && c != '\t' || c == 0x7f {
			return "", "", fmt.Errorf("control character %#x in quoted string", c)
		}
		if b != nil {
			b = append(b, c)
		}
	}
	return "", "", errors.New("unterminated quoted string")
}

// clip shortens attacker-controlled text before it goes into an error (and so into a log line).
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
