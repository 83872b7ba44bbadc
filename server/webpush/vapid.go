package webpush

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// Key is the server's VAPID key pair (RFC 8292): an ECDSA P-256 key that signs every push request,
// whose public half apps pass to the push service when they subscribe.
type Key struct {
	priv *ecdsa.PrivateKey
}

// GenerateKey makes a new VAPID key pair.
func GenerateKey() (*Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("webpush: generate vapid key: %w", err)
	}
	return &Key{priv: priv}, nil
}

// ParseKey reads a key stored as Key.Bytes wrote it.
func ParseKey(raw []byte) (*Key, error) {
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		return nil, fmt.Errorf("webpush: parse vapid key: %w", err)
	}
	return &Key{priv: priv}, nil
}

// Bytes is the private key for storage: the 32-byte P-256 scalar, big-endian.
func (k *Key) Bytes() []byte {
	raw, err := k.priv.Bytes()
	if err != nil {
		panic("webpush: a P-256 key has bytes: " + err.Error()) // unreachable for keys made here
	}
	return raw
}

// PublicKey is the public key as Mastodon shows it (configuration.vapid.public_key, an app's
// vapid_key) and as apps pass it to the push service as applicationServerKey: the uncompressed
// P-256 point, base64url without padding.
func (k *Key) PublicKey() string {
	raw, err := k.priv.PublicKey.Bytes()
	if err != nil {
		panic("webpush: a P-256 public key has bytes: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// MaxExpiry is the longest a VAPID token may live: RFC 8292 section 2 allows 24 hours; 12 is what
// push services and libraries use, leaving room for clock skew.
const MaxExpiry = 12 * time.Hour

// Authorization is the Authorization header value of a push request to endpoint (RFC 8292
// section 3): "vapid t=<JWT>, k=<public key>", the JWT from Token.
func (k *Key) Authorization(endpoint, subject string, now time.Time) (string, error) {
	token, err := k.Token(endpoint, subject, now)
	if err != nil {
		return "", err
	}
	return "vapid t=" + token + ", k=" + k.PublicKey(), nil
}

// Token is the VAPID JWT of a push request to endpoint: an ES256 signature over the endpoint's
// origin as audience, an expiry MaxExpiry after now, and subject, a mailto: or https: URI by
// which the push service can reach the server's operator.
func (k *Key) Token(endpoint, subject string, now time.Time) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("webpush: endpoint %q is not an absolute URL", endpoint)
	}
	claims, err := json.Marshal(struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub,omitempty"`
	}{u.Scheme + "://" + u.Host, now.Add(MaxExpiry).Unix(), subject})
	if err != nil {
		return "", fmt.Errorf("webpush: claims: %w", err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"ES256"}`)) + "." + enc.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, digest[:])
	if err != nil {
		return "", fmt.Errorf("webpush: sign vapid token: %w", err)
	}
	// JWS ES256 is r and s as two 32-byte big-endian integers (RFC 7518 section 3.4), not ASN.1.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + enc.EncodeToString(sig), nil
}
