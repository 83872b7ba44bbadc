package webpush

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"time"
)

// The legacy encoding: "aesgcm" of draft-ietf-webpush-encryption-04 (over
// draft-ietf-httpbis-encryption-encoding-03) with the VAPID of draft-ietf-webpush-vapid-01.
// Mastodon sent only this up to 4.3 and still sends it to every subscription that does not ask for
// the standard (subscription[standard], Mastodon 4.4), so apps that decrypt pushes themselves
// (through their own relay) expect it. It differs from RFC 8291 in where the parameters travel
// (the Encryption and Crypto-Key headers rather than the body's header), in the key derivation's
// info strings, and in its two-byte padding length before the plaintext.

// LegacyMessage is an encrypted aesgcm push: the body and the salt and sender key its headers
// carry.
type LegacyMessage struct {
	Body      []byte
	Salt      []byte // 16 bytes
	SenderKey []byte // the sender's ephemeral P-256 public key, uncompressed
}

// maxLegacyPlaintext is the largest plaintext of one aesgcm record of 4096 bytes: less the
// padding length and the tag.
const maxLegacyPlaintext = recordSize - 2 - tagLen

// EncryptLegacy encrypts plaintext for the subscription with keys p256dh and auth in the aesgcm
// encoding, with a fresh salt and ephemeral key.
func EncryptLegacy(p256dh, auth string, plaintext []byte) (*LegacyMessage, error) {
	ua, secret, err := ParseSubscriptionKeys(p256dh, auth)
	if err != nil {
		return nil, err
	}
	if len(plaintext) > maxLegacyPlaintext {
		return nil, ErrTooLarge
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("webpush: salt: %w", err)
	}
	as, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("webpush: ephemeral key: %w", err)
	}
	gcm, nonce, err := legacyKeys(as, ua, as.PublicKey(), ua, secret, salt)
	if err != nil {
		return nil, err
	}
	record := append([]byte{0, 0}, plaintext...) // no padding: its length, 0, in two bytes
	return &LegacyMessage{Body: gcm.Seal(nil, nonce, record, nil), Salt: salt, SenderKey: as.PublicKey().Bytes()}, nil
}

// DecryptLegacy opens an aesgcm push as the subscribed user agent does: ua is the subscription's
// private key and authSecret its auth; salt and senderKey come from the Encryption and Crypto-Key
// headers. It takes one record.
func DecryptLegacy(ua *ecdh.PrivateKey, authSecret, salt, senderKey, body []byte) ([]byte, error) {
	if len(salt) != saltLen {
		return nil, fmt.Errorf("%w: salt of %d bytes", ErrBadBody, len(salt))
	}
	as, err := ecdh.P256().NewPublicKey(senderKey)
	if err != nil {
		return nil, fmt.Errorf("%w: sender key: %v", ErrBadBody, err)
	}
	if len(body) < tagLen+2 || len(body) > recordSize+tagLen {
		return nil, fmt.Errorf("%w: not one record", ErrBadBody)
	}
	gcm, nonce, err := legacyKeys(ua, as, as, ua.PublicKey(), authSecret, salt)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, body, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadBody, err)
	}
	pad := int(binary.BigEndian.Uint16(plain))
	if 2+pad > len(plain) {
		return nil, fmt.Errorf("%w: padding longer than the record", ErrBadBody)
	}
	for _, b := range plain[2 : 2+pad] {
		if b != 0 {
			return nil, fmt.Errorf("%w: padding not zero", ErrBadBody)
		}
	}
	return plain[2+pad:], nil
}

// legacyKeys derives the content encryption key and nonce of the aesgcm draft from the ECDH of
// own with peer: the auth secret mixed in with the info "Content-Encoding: auth", then the key
// and nonce with a context naming the curve and both public keys, receiver's first.
func legacyKeys(own *ecdh.PrivateKey, peer, asPub, uaPub *ecdh.PublicKey, authSecret, salt []byte) (cipher.AEAD, []byte, error) {
	shared, err := own.ECDH(peer)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: ecdh: %v", ErrBadKeys, err)
	}
	ikm, err := hkdf.Key(sha256.New, shared, authSecret, "Content-Encoding: auth\x00", 32)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: ikm: %w", err)
	}
	context := []byte("P-256\x00")
	for _, k := range [][]byte{uaPub.Bytes(), asPub.Bytes()} {
		context = binary.BigEndian.AppendUint16(context, uint16(len(k)))
		context = append(context, k...)
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aesgcm\x00"+string(context), 16)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: cek: %w", err)
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00"+string(context), 12)
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

// LegacyRequest builds the POST of an aesgcm message to endpoint, as Mastodon's webpush library
// sends it: Content-Encoding aesgcm, the salt in Encryption, the sender key and the VAPID public
// key in Crypto-Key, and the VAPID token of draft-ietf-webpush-vapid-01 as "Authorization:
// WebPush <JWT>".
func LegacyRequest(ctx context.Context, endpoint string, m *LegacyMessage, ttl time.Duration, urgency Urgency, vapid VAPID) (*http.Request, error) {
	token, err := vapid.Key.Token(endpoint, vapid.Subject, time.Now())
	if err != nil {
		return nil, err
	}
	req, err := newRequest(ctx, endpoint, m.Body, ttl, urgency)
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding
	req.Header.Set("Content-Encoding", "aesgcm")
	req.Header.Set("Encryption", "salt="+enc.EncodeToString(m.Salt))
	req.Header.Set("Crypto-Key", "dh="+enc.EncodeToString(m.SenderKey)+";p256ecdsa="+vapid.Key.PublicKey())
	req.Header.Set("Authorization", "WebPush "+token)
	return req, nil
}
