package signature

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Window limits applied by [Check]. They follow Mastodon's SignedRequest
// (app/lib/signed_request.rb): a Date or created up to an hour in the future, and a signature
// usable until an hour after it expires, where expires defaults to created+5min and is capped at
// created+12h.
const (
	// MaxSkew is how far in the future Date or created may be, and how far in the past Date or
	// expires may be.
	MaxSkew = time.Hour
	// DefaultExpiry is the lifetime of a signature with created but no expires.
	DefaultExpiry = 5 * time.Minute
	// MaxExpiry caps expires - created.
	MaxExpiry = 12 * time.Hour
)

// Check enforces every rule on an incoming request that needs no key, and returns the parsed
// signature so the caller can fetch the key named by KeyID and then call [Verify]. body is the raw
// body, already read under a size cap. wantHosts are the host[:port] values this server answers to.
//
// The rules, each closing a way to replay or forge a request that the signature bytes alone allow:
//   - exactly one signature: one Signature header or one "Authorization: Signature ..."; both, or
//     several, is [ErrMalformed]. None is [ErrUnsigned], and so is a request whose only signature is
//     RFC 9421 (Signature-Input present and a Signature value without keyId).
//   - keyId is an absolute http(s) URL without userinfo; algorithm, if given, is rsa-sha256, hs2019
//     or ed25519.
//   - signed headers include (request-target) and host; date, unless (created) is signed (with a
//     created parameter); and digest when the method is POST or body is not empty.
//   - r.Host equals one of wantHosts, ignoring case, so a request signed for another server cannot
//     be replayed here.
//   - Date, when signed, is within [now-MaxSkew, now+MaxSkew). created must not be after
//     now+MaxSkew; the request is refused once now is past expires+MaxSkew (see the constants).
//   - Digest, when required or signed, lists SHA-256 and/or SHA-512 (algorithm names ignore case;
//     others in the list are ignored), and every listed one matches body. Content-Digest (RFC 9530)
//     is not consulted.
func Check(r *http.Request, body []byte, wantHosts []string, now time.Time) (Params, error) {
	value, err := signatureValue(r.Header)
	if err != nil {
		return Params{}, err
	}
	p, err := Parse(value)
	if err != nil {
		return Params{}, err
	}
	if err := checkKeyID(p.KeyID); err != nil {
		return p, err
	}
	switch p.Algorithm {
	case "", "rsa-sha256", "hs2019", "ed25519":
	default:
		return p, fmt.Errorf("%w: algorithm %q not accepted", ErrPolicy, clip(p.Algorithm))
	}

	required := []string{"(request-target)", "host"}
	if !p.has("(created)") {
		required = append(required, "date")
	}
	needDigest := r.Method == http.MethodPost || len(body) > 0
	if needDigest {
		required = append(required, "digest")
	}
	for _, h := range required {
		if !p.has(h) {
			return p, fmt.Errorf("%w: %q not signed (signed: %q)", ErrPolicy, h, strings.Join(p.Headers, " "))
		}
	}
	if p.has("(created)") && p.Created == 0 {
		return p, fmt.Errorf("%w: (created) signed without a created parameter", ErrMalformed)
	}
	if p.has("(expires)") && p.Expires == 0 {
		return p, fmt.Errorf("%w: (expires) signed without an expires parameter", ErrMalformed)
	}

	if !hostWanted(r.Host, wantHosts) {
		return p, fmt.Errorf("%w: host %q is not ours", ErrPolicy, clip(r.Host))
	}
	if err := checkTimes(r.Header, p, now); err != nil {
		return p, err
	}
	if needDigest || p.has("digest") {
		if err := checkDigest(r.Header, body); err != nil {
			return p, err
		}
	}
	return p, nil
}

// signatureValue finds the one draft-cavage signature in h.
func signatureValue(h http.Header) (string, error) {
	sigs := h.Values("Signature")
	rfc9421 := false
	if len(h.Values("Signature-Input")) > 0 {
		cavage := false
		for _, s := range sigs {
			if strings.Contains(strings.ToLower(s), "keyid=") {
				cavage = true
			}
		}
		if !cavage {
			sigs, rfc9421 = nil, true
		}
	}
	var auths []string
	for _, a := range h.Values("Authorization") {
		scheme, rest, _ := strings.Cut(strings.TrimLeft(a, " \t"), " ")
		if strings.EqualFold(scheme, "Signature") {
			auths = append(auths, rest)
		}
	}
	switch n := len(sigs) + len(auths); {
	case n == 0 && rfc9421:
		return "", fmt.Errorf("%w: only an RFC 9421 signature", ErrUnsigned)
	case n == 0:
		return "", ErrUnsigned
	case len(sigs) > 0 && len(auths) > 0:
		return "", fmt.Errorf("%w: both Signature and Authorization headers", ErrMalformed)
	case n > 1:
		return "", fmt.Errorf("%w: %d signatures", ErrMalformed, n)
	case len(sigs) == 1:
		return sigs[0], nil
	default:
		return auths[0], nil
	}
}

func checkKeyID(keyID string) error {
	u, err := url.Parse(keyID)
	if err != nil {
		return fmt.Errorf("%w: keyId: %v", ErrPolicy, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: keyId %q is not an absolute http(s) URL", ErrPolicy, clip(keyID))
	}
	if u.User != nil {
		return fmt.Errorf("%w: keyId %q has userinfo", ErrPolicy, clip(keyID))
	}
	return nil
}

func hostWanted(host string, want []string) bool {
	for _, w := range want {
		if host != "" && strings.EqualFold(host, w) {
			return true
		}
	}
	return false
}

func checkTimes(h http.Header, p Params, now time.Time) error {
	if p.has("date") {
		dates := h.Values("Date")
		if len(dates) != 1 {
			return fmt.Errorf("%w: %d Date headers", ErrPolicy, len(dates))
		}
		t, err := http.ParseTime(dates[0])
		if err != nil {
			return fmt.Errorf("%w: Date %q: %v", ErrPolicy, clip(dates[0]), err)
		}
		if t.Before(now.Add(-MaxSkew)) {
			return fmt.Errorf("%w: Date %s is too old", ErrPolicy, t.Format(time.RFC3339))
		}
		if !t.Before(now.Add(MaxSkew)) {
			return fmt.Errorf("%w: Date %s is in the future", ErrPolicy, t.Format(time.RFC3339))
		}
	}
	if p.Created != 0 && time.Unix(p.Created, 0).After(now.Add(MaxSkew)) {
		return fmt.Errorf("%w: created %d is in the future", ErrPolicy, p.Created)
	}
	expires := p.Expires
	if p.Created != 0 {
		if expires == 0 {
			expires = p.Created + int64(DefaultExpiry/time.Second)
		}
		expires = min(expires, p.Created+int64(MaxExpiry/time.Second))
	}
	if expires != 0 && now.After(time.Unix(expires, 0).Add(MaxSkew)) {
		return fmt.Errorf("%w: signature expired at %d", ErrPolicy, expires)
	}
	return nil
}

// checkDigest checks the draft-cavage / RFC 3230 Digest header against body.
func checkDigest(h http.Header, body []byte) error {
	vals := h.Values("Digest")
	if len(vals) == 0 {
		return fmt.Errorf("%w: no Digest header", ErrPolicy)
	}
	matched := false
	for _, v := range vals {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			alg, enc, ok := strings.Cut(part, "=")
			if !ok {
				return fmt.Errorf("%w: Digest entry %q has no value", ErrPolicy, clip(part))
			}
			var sum []byte
			switch strings.ToUpper(alg) {
			case "SHA-256":
				s := sha256.Sum256(body)
				sum = s[:]
			case "SHA-512":
				s := sha512.Sum512(body)
				sum = s[:]
			default:
				continue
			}
			got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
			if err != nil {
				return fmt.Errorf("%w: Digest %s: %v", ErrPolicy, alg, err)
			}
			if !bytes.Equal(got, sum) {
				return fmt.Errorf("%w: Digest %s does not match the body", ErrPolicy, alg)
			}
			matched = true
		}
	}
	if !matched {
		return fmt.Errorf("%w: no SHA-256 or SHA-512 in Digest %q", ErrPolicy, clip(strings.Join(vals, ",")))
	}
	return nil
}
