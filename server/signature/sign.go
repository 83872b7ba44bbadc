package signature

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Sign signs req as Mastodon does: algorithm="rsa-sha256" and headers "(request-target) host date",
// plus "digest" when body != nil, in which case Sign sets Digest to the SHA-256 of body (replacing any
// Digest already there). It sets the Host header explicitly (go-fed/httpsig reads it from the header
// map; net/http never sends that map entry, so it cannot disagree with the wire) from req.Host, which
// http.NewRequest fills from req.URL.Host. It sets Date (http.TimeFormat, UTC) unless already set, so a
// caller retrying an old request must delete Date first. It replaces any earlier Signature header, so
// it can re-sign each redirect hop. It never adds created or expires: honk rejects them.
//
// The (request-target) is the method and the escaped path, with "?query" when there is one.
func Sign(req *http.Request, body []byte, keyID string, key *rsa.PrivateKey) error {
	if key == nil {
		return errors.New("sign request: nil key")
	}
	if keyID == "" || strings.ContainsFunc(keyID, func(r rune) bool { return r == '"' || r == '\\' || r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("sign request: unusable keyId %q", keyID)
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if host == "" {
		return fmt.Errorf("sign request %s: no host", req.URL)
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Set("Host", host)
	if req.Header.Get("Date") == "" {
		req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	headers := []string{httpsig.RequestTarget, "host", "date"}
	if body != nil {
		sum := sha256.Sum256(body)
		req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
		headers = append(headers, "digest")
	}

	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("sign request %s: %w", req.URL, err)
	}
	req.Header.Del("Signature")
	// go-fed writes r.URL.Path, the decoded path, into (request-target); peers sign and verify the
	// path as it goes on the wire, so hand it a copy whose Path is the escaped form. The header map
	// is shared, so the Signature header lands on req.
	path := req.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	wire := &http.Request{
		Method: req.Method,
		URL:    &url.URL{Path: path, RawQuery: req.URL.RawQuery},
		Host:   host,
		Header: req.Header,
	}
	if err := signer.SignRequest(key, keyID, wire, nil); err != nil {
		return fmt.Errorf("sign request %s: %w", req.URL, err)
	}
	// go-fed labels every signature "hs2019"; Mastodon and older peers expect "rsa-sha256".
	p, err := Parse(req.Header.Get("Signature"))
	if err != nil {
		return fmt.Errorf("sign request %s: reparse own signature: %w", req.URL, err)
	}
	p.KeyID = keyID
	p.Algorithm = "rsa-sha256"
	req.Header.Set("Signature", p.String())
	return nil
}
