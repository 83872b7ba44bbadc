package webpush

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestLegacyRoundTripsAndRefusesTampering: an aesgcm message opens with the subscription's key
// and the salt and sender key of its headers, and not when any of them is wrong.
func TestLegacyRoundTripsAndRefusesTampering(t *testing.T) {
	priv, auth, p256dh, authB64 := receiver(t)
	msg := []byte(`{"title":"You were mentioned by Alice","body":"hi"}`)
	m, err := EncryptLegacy(p256dh, authB64, msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Body) != len(msg)+2+tagLen || len(m.Salt) != saltLen || len(m.SenderKey) != keyLen {
		t.Fatalf("message sizes: body %d, salt %d, key %d", len(m.Body), len(m.Salt), len(m.SenderKey))
	}
	if plain, err := DecryptLegacy(priv, auth, m.Salt, m.SenderKey, m.Body); err != nil || !bytes.Equal(plain, msg) {
		t.Fatalf("DecryptLegacy = %q, %v; want %q", plain, err, msg)
	}
	flipped := bytes.Clone(m.Body)
	flipped[3] ^= 1
	otherSalt := bytes.Clone(m.Salt)
	otherSalt[0] ^= 1
	otherAuth := bytes.Clone(auth)
	otherAuth[0] ^= 1
	for name, c := range map[string]struct{ auth, salt, body []byte }{
		"flipped byte": {auth, m.Salt, flipped},
		"other salt":   {auth, otherSalt, m.Body},
		"other auth":   {otherAuth, m.Salt, m.Body},
		"truncated":    {auth, m.Salt, m.Body[:len(m.Body)-1]},
		"short salt":   {auth, m.Salt[:8], m.Body},
	} {
		if _, err := DecryptLegacy(priv, c.auth, c.salt, m.SenderKey, c.body); !errors.Is(err, ErrBadBody) {
			t.Errorf("%s: err %v, want ErrBadBody", name, err)
		}
	}
	// The aes128gcm derivation does not open it: the two encodings differ in their info strings.
	if _, err := Decrypt(priv, auth, append(append(append(bytes.Clone(m.Salt), 0, 0, 16, 0, keyLen), m.SenderKey...), m.Body...)); err == nil {
		t.Error("an aesgcm body opened as aes128gcm")
	}
	if _, err := EncryptLegacy(p256dh, authB64, make([]byte, maxLegacyPlaintext+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized plaintext: %v", err)
	}
}

// TestLegacyRequestHeaders: the headers Mastodon's webpush library sends with an aesgcm push, which
// apps that decrypt for themselves read (Mastodon.py's push_subscription_decrypt_push splits
// "salt=", "dh=" and "p256ecdsa=" out of them).
func TestLegacyRequestHeaders(t *testing.T) {
	_, _, p256dh, authB64 := receiver(t)
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	m, err := EncryptLegacy(p256dh, authB64, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := LegacyRequest(context.Background(), "https://push.example/send/abc", m, time.Hour, Normal,
		VAPID{Key: key, Subject: "https://roost.example/"})
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	h := req.Header
	if h.Get("Content-Encoding") != "aesgcm" || h.Get("Encryption") != "salt="+enc.EncodeToString(m.Salt) ||
		h.Get("Crypto-Key") != "dh="+enc.EncodeToString(m.SenderKey)+";p256ecdsa="+key.PublicKey() ||
		h.Get("TTL") != "3600" || h.Get("Urgency") != "normal" {
		t.Errorf("headers = %v", h)
	}
	token, ok := strings.CutPrefix(h.Get("Authorization"), "WebPush ")
	if !ok || strings.Count(token, ".") != 2 {
		t.Errorf("Authorization = %q, want WebPush <JWT>", h.Get("Authorization"))
	}
}
