package app

import (
	"context"
	"fmt"

	"roost/server/auth"
)

// MinPasswordLength is the shortest password the owner may choose.
const MinPasswordLength = 10

// ErrWeakPassword is SetPassword's refusal of a password shorter than MinPasswordLength.
var ErrWeakPassword = &Error{Kind: Invalid, Msg: fmt.Sprintf("use at least %d characters", MinPasswordLength)}

// hashSlot waits for the one password hash that may run at a time (argon2id takes 64 MiB each).
func (s *App) hashSlot(ctx context.Context) (release func(), err error) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// CheckOwnerPassword reports whether password is the owner's, hashing one password at a time.
// Sign-in throttles its callers before they get here (server/web).
func (s *App) CheckOwnerPassword(ctx context.Context, password string) (bool, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	o, err := s.st.Owner(ctx)
	if err != nil {
		return false, err
	}
	return auth.CheckPassword(o.PasswordHash, password), nil
}

// SetPassword replaces the owner's password, signs out every session except keep (a session ID,
// or "" for none) and revokes every app's access.
func (s *App) SetPassword(ctx context.Context, password, keep string) error {
	if len([]rune(password)) < MinPasswordLength {
		return ErrWeakPassword
	}
	release, err := s.hashSlot(ctx)
	if err != nil {
		return err
	}
	hash := auth.HashPassword(password)
	release()
	return s.st.ChangePassword(ctx, hash, keep)
}
