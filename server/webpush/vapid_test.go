package webpush

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"
)

// TestKeyBytesRoundTrip: a stored key reads back as the same key pair.
func TestKeyBytesRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKey(k.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back.PublicKey() != k.PublicKey() || !bytes.Equal(back.Bytes(), k.Bytes()) {
		t.Error("parsed key differs from the stored one")
	}
	if raw, _ := base64.RawURLEncoding.DecodeString(k.PublicKey()); len(raw) != 65 || raw[0] != 4 {
		t.Errorf("public key %q: want a base64url uncompressed point", k.PublicKey())
	}
	if _, err := ParseKey([]byte("short")); err == nil {
		t.Error("ParseKey took 5 bytes")
	}
}

// checkVAPID verifies an Authorization header as a push service does (RFC 8292 section 3) and
// returns its claims.
func checkVAPID(t *testing.T, header string, k *Key) map[string]any {
	t.Helper()
	rest, ok := strings.CutPrefix(header, "vapid t=")
	token, pub, ok2 := strings.Cut(rest, ", k=")
	if !ok || !ok2 || pub != k.PublicKey() {
		t.Fatalf("Authorization %q: want vapid t=..., k=%s", header, k.PublicKey())
	}
	rawPub, _ := base64.RawURLEncoding.DecodeString(pub)
	key, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), rawPub)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q: want three parts", token)
	}
	var head struct{ Typ, Alg string }
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if err := json.Unmarshal(raw, &head); err != nil || head.Alg != "ES256" || head.Typ != "JWT" {
		t.Errorf("header %s: want typ JWT, alg ES256", raw)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		t.Fatalf("signature %q: want 64 bytes r||s", parts[2])
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(key, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("signature does not verify with k")
	}
	var claims map[string]any
	raw, _ = base64.RawURLEncoding.DecodeString(parts[1])
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// TestAuthorizationIsAVerifiableVAPIDToken: the token verifies with the public key it names, its
// audience is the endpoint's origin (no path), and it expires 12 hours after now.
func TestAuthorizationIsAVerifiableVAPIDToken(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	header, err := k.Authorization("https://push.example:8443/wpush/v2/abc?x=1", "mailto:owner@roost.example", now)
	if err != nil {
		t.Fatal(err)
	}
	claims := checkVAPID(t, header, k)
	if claims["aud"] != "https://push.example:8443" || claims["sub"] != "mailto:owner@roost.example" ||
		claims["exp"] != float64(now.Add(12*time.Hour).Unix()) {
		t.Errorf("claims %v", claims)
	}
	if _, err := k.Authorization("/relative", "", now); err == nil {
		t.Error("a relative endpoint got a token")
	}
}

// TestRequestCarriesPushHeaders: the request is a POST of the body to the endpoint with the
// headers RFC 8030, 8188 and 8292 ask for.
func TestRequestCarriesPushHeaders(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("encrypted")
	req, err := Request(context.Background(), "https://push.example/send/1", body, 48*time.Hour, High,
		VAPID{Key: k, Subject: "https://roost.example/"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(req.Body)
	if req.Method != "POST" || req.URL.String() != "https://push.example/send/1" || !bytes.Equal(got, body) {
		t.Errorf("%s %s %q", req.Method, req.URL, got)
	}
	for h, want := range map[string]string{
		"Content-Type":     "application/octet-stream",
		"Content-Encoding": "aes128gcm",
		"TTL":              "172800",
		"Urgency":          "high",
	} {
		if v := req.Header.Get(h); v != want {
			t.Errorf("%s: %q, want %q", h, v, want)
		}
	}
	claims := checkVAPID(t, req.Header.Get("Authorization"), k)
	if claims["aud"] != "https://push.example" || claims["sub"] != "https://roost.example/" {
		t.Errorf("claims %v", claims)
	}
}
