// Package webpush encrypts and signs Web Push messages: RFC 8291 aes128gcm payloads and RFC 8292
// VAPID, and the older aesgcm draft that Mastodon still sends to apps that do not ask for the
// standard (legacy.go). It builds the request a push service expects and leaves sending it to the
// caller.
//
// It is composed from the standard library (crypto/ecdh, crypto/hkdf, crypto/aes, crypto/ecdsa)
// rather than a Web Push library: the Go module proxy as reachable here serves none, and the whole
// of RFC 8291 is one ECDH, two HKDF steps and one AES-GCM seal. The encryption is checked against
// the RFC's own test vector (RFC 8291 Appendix A).
package webpush

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Sizes of RFC 8188's aes128gcm header as RFC 8291 fills it, and the push service's limit.
const (
	saltLen    = 16
	keyLen     = 65 // an uncompressed P-256 point
	headerLen  = saltLen + 4 + 1 + keyLen
	tagLen     = 16
	authLen    = 16
	recordSize = 4096
	// MaxBody is the largest body a push service must accept (RFC 8030 section 7.2).
	MaxBody = 4096
	// MaxPlaintext is the largest plaintext Encrypt takes: MaxBody less the header, the padding
	// delimiter and the AEAD tag.
	MaxPlaintext = MaxBody - headerLen - 1 - tagLen
)

// Errors of Encrypt and Decrypt.
var (
	// ErrTooLarge means the plaintext does not fit one push message.
	ErrTooLarge = errors.New("webpush: plaintext too large for one push message")
	// ErrBadKeys means a subscription's p256dh or auth is not a P-256 point or 16 bytes.
	ErrBadKeys = errors.New("webpush: bad subscription keys")
	// ErrBadBody means a body is not a well-formed, authentic aes128gcm push message.
	ErrBadBody = errors.New("webpush: bad aes128gcm body")
)

// b64 decodes base64url with or without padding, as subscriptions carry their keys either way,
// and the standard alphabet too, as Ruby's urlsafe_decode64 that Mastodon uses takes it (and
// Mastodon.py sends it).
func b64(s string) ([]byte, error) {
	s = strings.NewReplacer("+", "-", "/", "_").Replace(strings.TrimRight(s, "="))
	return base64.RawURLEncoding.DecodeString(s)
}

// ParseSubscriptionKeys decodes a subscription's keys: p256dh, the user agent's public key (a
// base64url uncompressed P-256 point) and auth, its 16-byte authentication secret (base64url).
func ParseSubscriptionKeys(p256dh, auth string) (*ecdh.PublicKey, []byte, error) {
	raw, err := b64(p256dh)
	if err != nil || len(raw) != keyLen {
		return nil, nil, fmt.Errorf("%w: p256dh", ErrBadKeys)
	}
	pub, err := ecdh.P256().NewPublicKey(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: p256dh: %v", ErrBadKeys, err)
	}
	secret, err := b64(auth)
	if err != nil || len(secret) != authLen {
		return nil, nil, fmt.Errorf("%w: auth", ErrBadKeys)
	}
	return pub, secret, nil
}

// Encrypt makes the aes128gcm body (RFC 8291) of a push message carrying plaintext to the
// subscription with keys p256dh and auth, with a fresh salt and ephemeral key.
func Encrypt(p256dh, auth string, plaintext []byte) ([]byte, error) {
	ua, secret, err := ParseSubscriptionKeys(p256dh, auth)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("webpush: salt: %w", err)
	}
	as, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("webpush: ephemeral key: %w", err)
	}
	return encrypt(ua, secret, salt, as, plaintext)
}

// encrypt is Encrypt with the salt and the sender's ephemeral key given, for the RFC's test vector.
func encrypt(ua *ecdh.PublicKey, authSecret, salt []byte, as *ecdh.PrivateKey, plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxPlaintext {
		return nil, ErrTooLarge
	}
	gcm, nonce, err := keys(as, ua, as.PublicKey(), ua, authSecret, salt)
	if err != nil {
		return nil, err
	}
	body := make([]byte, headerLen, headerLen+len(plaintext)+1+tagLen)
	copy(body, salt)
	binary.BigEndian.PutUint32(body[saltLen:], recordSize)
	body[saltLen+4] = keyLen
	copy(body[saltLen+5:], as.PublicKey().Bytes())
	record := append(append([]byte(nil), plaintext...), 2) // 0x02: the last (and only) record, no padding
	return gcm.Seal(body, nonce, record, nil), nil
}

// keys derives the content encryption key and nonce of RFC 8291 section 3.4 from the ECDH of own
// with peer; uaPub and asPub are the user agent's and the application server's public keys.
func keys(own *ecdh.PrivateKey, peer, asPub, uaPub *ecdh.PublicKey, authSecret, salt []byte) (cipher.AEAD, []byte, error) {
	shared, err := own.ECDH(peer)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: ecdh: %v", ErrBadKeys, err)
	}
	info := append(append([]byte("WebPush: info\x00"), uaPub.Bytes()...), asPub.Bytes()...)
	ikm, err := hkdf.Key(sha256.New, shared, authSecret, string(info), 32)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: ikm: %w", err)
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: cek: %w", err)
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: nonce: %w", err)
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: aes: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: gcm: %w", err)
	}
	return gcm, nonce, nil
}

// Decrypt opens an aes128gcm push message body as the subscribed user agent does (what a
// browser's push client does on receipt): ua is the subscription's private key and authSecret its
// auth. It takes the single record RFC 8291 allows and checks its padding.
func Decrypt(ua *ecdh.PrivateKey, authSecret, body []byte) ([]byte, error) {
	if len(body) < headerLen {
		return nil, fmt.Errorf("%w: short header", ErrBadBody)
	}
	salt := body[:saltLen]
	rs := binary.BigEndian.Uint32(body[saltLen:])
	if body[saltLen+4] != keyLen {
		return nil, fmt.Errorf("%w: keyid is not a P-256 point", ErrBadBody)
	}
	as, err := ecdh.P256().NewPublicKey(body[saltLen+5 : headerLen])
	if err != nil {
		return nil, fmt.Errorf("%w: sender key: %v", ErrBadBody, err)
	}
	record := body[headerLen:]
	if rs < tagLen+1 || len(record) < tagLen+1 || uint64(len(record)) > uint64(rs) {
		return nil, fmt.Errorf("%w: not one record of size %d", ErrBadBody, rs)
	}
	gcm, nonce, err := keys(ua, as, as, ua.PublicKey(), authSecret, salt)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, record, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBody, err)
	}
	end := len(plain) - 1
	for end >= 0 && plain[end] == 0 {
		end--
	}
	if end < 0 || plain[end] != 2 {
		return nil, fmt.Errorf("%w: no last-record delimiter", ErrBadBody)
	}
	return plain[:end], nil
}
