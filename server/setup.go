package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"roost/server/app"
	"runtime/debug"
	"strings"

	"golang.org/x/crypto/argon2"

	"roost/server/signature"
	"roost/store"
)

var usernameRE = regexp.MustCompile(`^[a-zA-Z0-9_]{1,30}$`)

// Setup creates the owner account on first run: RSA-2048 keys for the owner and the instance
// actor, and a generated password, which it returns (once; only its hash is stored). When the
// owner exists already it returns "" and created false.
func Setup(ctx context.Context, st *store.Store, cfg Config) (password string, created bool, err error) {
	if _, err := st.Owner(ctx); err == nil {
		return "", false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", false, err
	}
	if !usernameRE.MatchString(cfg.Username) {
		return "", false, fmt.Errorf("username %q: use 1 to 30 letters, digits or underscores", cfg.Username)
	}
	if cfg.Scheme == "" {
		cfg.Scheme = "https"
	}
	if cfg.HandleDomain == "" {
		cfg.HandleDomain = cfg.Domain
	}
	key, err := signature.GenerateKey()
	if err != nil {
		return "", false, err
	}
	inst, err := signature.GenerateKey()
	if err != nil {
		return "", false, err
	}
	pub, err := signature.EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		return "", false, err
	}
	privPEM, err := signature.EncodePrivateKeyPEM(key)
	if err != nil {
		return "", false, err
	}
	instPEM, err := signature.EncodePrivateKeyPEM(inst)
	if err != nil {
		return "", false, err
	}
	password = NewPassword()
	a := app.OwnerAccount(cfg.Scheme+"://"+cfg.Domain, cfg.HandleDomain, cfg.Username)
	a.DisplayName = cfg.Username
	a.PublicKeyPEM = pub
	a.Discoverable, a.Indexable = true, true
	if _, err := st.CreateOwner(ctx, a, privPEM, instPEM, HashPassword(password)); err != nil {
		return "", false, fmt.Errorf("create owner: %w", err)
	}
	return password, true, nil
}

// NewPassword returns a generated password: 120 random bits, URL-safe.
func NewPassword() string { return randomToken(15) }

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
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
