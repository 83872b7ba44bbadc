package webpush

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
)

// RFC 8291 Appendix A.
const (
	rfcPlaintext = "When I grow up, I want to be a watermelon"
	rfcASPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
	rfcUAPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
	rfcUAPublic  = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	rfcSalt      = "DGv6ra1nlYgDCS1FRnbzlw"
	rfcAuth      = "BTBZMqHH6r4Tts7J_aSIgg"
	rfcBody      = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEncryptMatchesRFC8291Vector: with the RFC's salt and sender key, the body is the RFC's, byte
// for byte, and the receiver's key opens it.
func TestEncryptMatchesRFC8291Vector(t *testing.T) {
	as, err := ecdh.P256().NewPrivateKey(mustB64(t, rfcASPrivate))
	if err != nil {
		t.Fatal(err)
	}
	ua, secret, err := ParseSubscriptionKeys(rfcUAPublic, rfcAuth)
	if err != nil {
		t.Fatal(err)
	}
	body, err := encrypt(ua, secret, mustB64(t, rfcSalt), as, []byte(rfcPlaintext))
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(body); got != rfcBody {
		t.Fatalf("body\n got %s\nwant %s", got, rfcBody)
	}
	uaPriv, err := ecdh.P256().NewPrivateKey(mustB64(t, rfcUAPrivate))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Decrypt(uaPriv, secret, mustB64(t, rfcBody))
	if err != nil || string(plain) != rfcPlaintext {
		t.Fatalf("Decrypt = %q, %v; want %q", plain, err, rfcPlaintext)
	}
}

// receiver is a subscription as a browser makes one: its private key and auth, and the keys as
// the app sends them to the server.
func receiver(t testing.TB) (*ecdh.PrivateKey, []byte, string, string) {
	t.Helper()
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	enc := base64.RawURLEncoding
	return priv, auth, enc.EncodeToString(priv.PublicKey().Bytes()), enc.EncodeToString(auth)
}

// TestEncryptRoundTripsAndRefusesTampering: what Encrypt makes, the subscriber opens; a flipped
// byte, another auth secret or a truncated body is refused, not decrypted to garbage.
func TestEncryptRoundTripsAndRefusesTampering(t *testing.T) {
	priv, auth, p256dh, authB64 := receiver(t)
	msg := []byte(`{"title":"Alice mentioned you","body":"hi"}`)
	body, err := Encrypt(p256dh, authB64+"==", msg) // padded base64 too, as some apps send it
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := Decrypt(priv, auth, body); err != nil || !bytes.Equal(plain, msg) {
		t.Fatalf("Decrypt = %q, %v; want %q", plain, err, msg)
	}
	// The standard base64 alphabet, padded, as Mastodon.py sends the keys.
	std := func(s string) string {
		b, _ := base64.RawURLEncoding.DecodeString(s)
		return base64.StdEncoding.EncodeToString(b)
	}
	if b, err := Encrypt(std(p256dh), std(authB64), msg); err != nil {
		t.Errorf("Encrypt with standard base64 keys: %v", err)
	} else if plain, err := Decrypt(priv, auth, b); err != nil || !bytes.Equal(plain, msg) {
		t.Errorf("Decrypt of standard base64 keys' message = %q, %v", plain, err)
	}
	again, _ := Encrypt(p256dh, authB64, msg)
	if bytes.Equal(again[:headerLen], body[:headerLen]) {
		t.Error("two messages share salt and sender key")
	}
	flipped := bytes.Clone(body)
	flipped[len(flipped)-20] ^= 1
	otherAuth := bytes.Clone(auth)
	otherAuth[0] ^= 1
	for name, c := range map[string]struct {
		auth, body []byte
	}{
		"flipped byte": {auth, flipped},
		"other auth":   {otherAuth, body},
		"truncated":    {auth, body[:len(body)-1]},
		"header only":  {auth, body[:headerLen]},
	} {
		if _, err := Decrypt(priv, c.auth, c.body); !errors.Is(err, ErrBadBody) {
			t.Errorf("%s: err %v, want ErrBadBody", name, err)
		}
	}
}

// TestEncryptRefusesBadKeysAndLargePlaintext: keys that are not a P-256 point and 16 bytes, and a
// plaintext larger than one push message, are errors before anything is encrypted.
func TestEncryptRefusesBadKeysAndLargePlaintext(t *testing.T) {
	_, _, p256dh, auth := receiver(t)
	// The same x with the last bit of y flipped: only y and p-y go with x on the curve, and y^1 is
	// p-y only for y = (p±1)/2, so this point is off the curve (the test altered the first byte
	// of x before, which left the key unchanged one time in sixteen).
	point, err := base64.RawURLEncoding.DecodeString(p256dh)
	if err != nil {
		t.Fatal(err)
	}
	point[len(point)-1] ^= 1
	offCurve := base64.RawURLEncoding.EncodeToString(point)
	for name, k := range map[string][2]string{
		"not base64":      {"***", auth},
		"short point":     {p256dh[:40], auth},
		"point off curve": {offCurve, auth},
		"short auth":      {p256dh, auth[:10]},
	} {
		if _, err := Encrypt(k[0], k[1], []byte("x")); !errors.Is(err, ErrBadKeys) {
			t.Errorf("%s: err %v, want ErrBadKeys", name, err)
		}
	}
	if _, err := Encrypt(p256dh, auth, make([]byte, MaxPlaintext+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("large plaintext: err %v, want ErrTooLarge", err)
	}
	body, err := Encrypt(p256dh, auth, make([]byte, MaxPlaintext))
	if err != nil || len(body) != MaxBody {
		t.Errorf("largest plaintext: %d bytes, %v; want %d", len(body), err, MaxBody)
	}
}

// TestDecryptStripsPaddingAndRefusesMissingDelimiter: a sender may pad the record with zeros
// after the 0x02 delimiter (RFC 8188 section 2); a record without the delimiter, or marked as not
// the last (0x01), is refused.
func TestDecryptStripsPaddingAndRefusesMissingDelimiter(t *testing.T) {
	priv, auth, p256dh, authB64 := receiver(t)
	body, err := Encrypt(p256dh, authB64, []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	as, err := ecdh.P256().NewPublicKey(body[saltLen+5 : headerLen])
	if err != nil {
		t.Fatal(err)
	}
	// The receiver derives the same key and nonce as the sender: reseal other records under them.
	gcm, nonce, err := keys(priv, as, as, priv.PublicKey(), auth, body[:saltLen])
	if err != nil {
		t.Fatal(err)
	}
	reseal := func(record string) []byte { return gcm.Seal(bytes.Clone(body[:headerLen]), nonce, []byte(record), nil) }
	if plain, err := Decrypt(priv, auth, reseal("hi\x02\x00\x00\x00")); err != nil || string(plain) != "hi" {
		t.Errorf("padded record: %q, %v; want \"hi\"", plain, err)
	}
	for _, record := range []string{"hi", "hi\x01", "hi\x00\x00", ""} {
		if _, err := Decrypt(priv, auth, reseal(record)); !errors.Is(err, ErrBadBody) {
			t.Errorf("record %q: err %v, want ErrBadBody", record, err)
		}
	}
}
