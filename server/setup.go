package server

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"roost/server/app"
	"roost/server/auth"

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
	password = auth.NewPassword()
	a := app.OwnerAccount(cfg.Scheme+"://"+cfg.Domain, cfg.HandleDomain, cfg.Username)
	a.DisplayName = cfg.Username
	a.PublicKeyPEM = pub
	a.Discoverable, a.Indexable = true, true
	if _, err := st.CreateOwner(ctx, a, privPEM, instPEM, auth.HashPassword(password)); err != nil {
		return "", false, fmt.Errorf("create owner: %w", err)
	}
	return password, true, nil
}
