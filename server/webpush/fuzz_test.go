package webpush

import (
	"crypto/ecdh"
	"encoding/base64"
	"testing"
)

// FuzzDecrypt: whatever a network peer sends as subscription keys or as a push body, parsing and
// decryption answer an error or a plaintext, never a panic; a body Encrypt made opens again.
func FuzzDecrypt(f *testing.F) {
	f.Add(rfcUAPublic, rfcAuth, mustB64(f, rfcBody))
	f.Add("BA", "AA==", []byte{})
	f.Add(rfcUAPublic, rfcAuth, mustB64(f, rfcBody)[:headerLen])
	ua, err := ecdh.P256().NewPrivateKey(mustB64(f, rfcUAPrivate))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p256dh, auth string, body []byte) {
		_, secret, err := ParseSubscriptionKeys(p256dh, auth)
		if err != nil {
			secret = mustB64(t, rfcAuth)
		}
		plain, err := Decrypt(ua, secret, body)
		if err == nil && len(plain) > len(body) {
			t.Fatalf("plaintext of %d bytes from a body of %d", len(plain), len(body))
		}
		if len(body) > MaxPlaintext {
			return
		}
		sealed, err := Encrypt(rfcUAPublic, base64.RawURLEncoding.EncodeToString(secret), body)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := Decrypt(ua, secret, sealed); err != nil || string(back) != string(body) {
			t.Fatalf("round trip: %q, %v", back, err)
		}
	})
}
