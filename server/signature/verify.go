package signature

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/go-fed/httpsig"
)

// MinRSABits is the smallest RSA modulus [Verify] accepts.
const MinRSABits = 2048

// Verify checks the cryptographic signature of r with pub, using go-fed/httpsig. Call [Check] first:
// Verify enforces no policy beyond the algorithm.
//
// The algorithm comes from the key type, never from the header: an *rsa.PublicKey (at least
// MinRSABits) is verified as RSA-SHA256 and accepts the labels "rsa-sha256", "hs2019" (GoToSocial's
// label for RSA-SHA256) or none; an ed25519.PublicKey (or pointer to one) as Ed25519 with the labels
// "ed25519", "hs2019" or none. Any other label, "hmac-sha256" included, is [ErrPolicy].
//
// Verify hands go-fed a request rebuilt from our own parse of the header, so the library sees the
// same headers list and signature that [Check] approved, whatever its laxer parser would make of the
// original. The (request-target) is the path and query as received (r.RequestURI); for GET and HEAD
// with a query, a signature over the path alone is accepted too, as GoToSocial does, since some
// servers leave the query out. go-fed itself additionally refuses created more than 10 s ahead or
// expires more than 10 s past, when those are signed.
func Verify(r *http.Request, pub crypto.PublicKey) error {
	value, err := signatureValue(r.Header)
	if err != nil {
		return err
	}
	p, err := Parse(value)
	if err != nil {
		return err
	}

	var algo httpsig.Algorithm
	var labels []string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return fmt.Errorf("%w: nil RSA key", ErrPolicy)
		}
		if k.N.BitLen() < MinRSABits {
			return fmt.Errorf("%w: RSA key of %d bits", ErrPolicy, k.N.BitLen())
		}
		algo, labels = httpsig.RSA_SHA256, []string{"", "rsa-sha256", "hs2019"}
	case *ed25519.PublicKey:
		if k == nil {
			return fmt.Errorf("%w: nil Ed25519 key", ErrPolicy)
		}
		pub = *k
		algo, labels = httpsig.ED25519, []string{"", "ed25519", "hs2019"}
	case ed25519.PublicKey:
		algo, labels = httpsig.ED25519, []string{"", "ed25519", "hs2019"}
	default:
		return fmt.Errorf("%w: unsupported key type %T", ErrPolicy, pub)
	}
	labelOK := false
	for _, l := range labels {
		labelOK = labelOK || p.Algorithm == l
	}
	if !labelOK {
		return fmt.Errorf("%w: algorithm %q with a %s key", ErrPolicy, clip(p.Algorithm), algo)
	}

	path, query := requestTarget(r)
	err = verifyTarget(r, p, pub, algo, path, query)
	if err != nil && query != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		if verifyTarget(r, p, pub, algo, path, "") == nil {
			return nil
		}
	}
	return err
}

// verifyTarget runs go-fed's verifier on a copy of r that holds only the signed headers, Host set
// from r.Host, and a canonical Signature header.
func verifyTarget(r *http.Request, p Params, pub crypto.PublicKey, algo httpsig.Algorithm, path, query string) error {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	h := make(http.Header, len(p.Headers)+1)
	for _, name := range p.Headers {
		if strings.HasPrefix(name, "(") {
			continue
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		if key == "Host" {
			h[key] = []string{host}
		} else if v := r.Header.Values(name); len(v) > 0 {
			h[key] = v
		}
	}
	canon := Params{KeyID: "k", Headers: p.Headers, Signature: p.Signature}
	if p.has("(created)") {
		canon.Created = p.Created
	}
	if p.has("(expires)") {
		canon.Expires = p.Expires
	}
	h.Set("Signature", canon.String())

	c := &http.Request{Method: r.Method, URL: &url.URL{Path: path, RawQuery: query}, Host: host, Header: h}
	v, err := httpsig.NewVerifier(c)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	if err := v.Verify(pub, algo); err != nil {
		return fmt.Errorf("%w: keyId %s: %v", ErrBadSignature, clip(p.KeyID), err)
	}
	return nil
}

// requestTarget returns the path and query of r as they appeared on the request line.
func requestTarget(r *http.Request) (path, query string) {
	if strings.HasPrefix(r.RequestURI, "/") {
		path, query, _ = strings.Cut(r.RequestURI, "?")
	} else {
		path, query = r.URL.EscapedPath(), r.URL.RawQuery
	}
	if path == "" {
		path = "/"
	}
	return path, query
}
