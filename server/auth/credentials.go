// Package auth holds the owner's credentials and OAuth's rules: password hashing, the random
// secrets handed out as cookies, tokens and codes and how they are stored, and what the Mastodon
// client API's OAuth accepts (scopes, a valid authorization request, PKCE). It knows no HTTP and
// keeps no state.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The owner's credentials: the password (argon2id), and the random secrets handed out as session
// cookies, OAuth tokens and codes, which are stored only as their hashes.

// NewPassword returns a generated password: 120 random bits, URL-safe.
func NewPassword() string { return RandomToken(15) }

// RandomToken returns n random bytes, base64url-encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// argon2id parameters: RFC 9106's second recommended option (64 MiB, 3 passes), one lane.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword hashes a password with argon2id in the PHC string format.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	sum := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	debug.FreeOSMemory() // hand argon2's 64 MiB back now, not whenever the runtime gets to it
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum))
}

// CheckPassword reports whether password matches a hash made by HashPassword, in constant time.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var mem, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	debug.FreeOSMemory()
	return subtle.ConstantTimeCompare(got, want) == 1
}

// HashToken is how a bearer secret (a token, a code, a session cookie) is stored: its SHA-256, so
// a copy of the database does not hand out working secrets.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
