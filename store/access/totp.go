package access

import (
	"context"
	"database/sql"
	"errors"

	"roost/store"
	"roost/store/sqlite"
)

// TOTP is the owner's second factor as stored.
type TOTP struct {
	Secret   string // base32
	Enabled  bool   // a code from it was entered: sign-in asks for one
	LastStep int64  // the last time step a code was accepted for
}

// OwnerTOTP returns the owner's second factor; store.ErrNotFound when there is none.
func (s *Store) OwnerTOTP(ctx context.Context) (*TOTP, error) {
	var t TOTP
	var enabled int64
	err := s.r.QueryRowContext(ctx, `SELECT secret, enabled_at, last_step FROM owner_totp WHERE id = 1`).
		Scan(&t.Secret, &enabled, &t.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	t.Enabled = enabled != 0
	return &t, err
}

// StartTOTP stores a new secret being set up (not enabled yet); store.ErrConflict when a second
// factor is already enabled.
func (s *Store) StartTOTP(ctx context.Context, secret string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO owner_totp (id, secret, created_at) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at
			WHERE enabled_at = 0`, secret, s.nowMS())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrConflict
		}
		return nil
	})
}

// EnableTOTP turns the secret being set up on, with the code's time step used, and replaces the
// recovery codes with recoveryHashes.
func (s *Store) EnableTOTP(ctx context.Context, step int64, recoveryHashes []string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE owner_totp SET enabled_at = ?, last_step = ? WHERE id = 1 AND enabled_at = 0`,
			s.nowMS(), step)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrConflict
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes`); err != nil {
			return err
		}
		for _, h := range recoveryHashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (hash) VALUES (?)`, h); err != nil {
				return err
			}
		}
		return nil
	})
}

// UseTOTPStep records that a code of time step was accepted; false when that step or a later one
// was used already, so that each code signs in once.
func (s *Store) UseTOTPStep(ctx context.Context, step int64) (bool, error) {
	var ok bool
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE owner_totp SET last_step = ? WHERE id = 1 AND enabled_at != 0 AND last_step < ?`,
			step, step)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// UseRecoveryCode spends the recovery code whose hash is given; false when there is no such
// unused code.
func (s *Store) UseRecoveryCode(ctx context.Context, hash string) (bool, error) {
	var ok bool
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ? WHERE hash = ? AND used_at = 0`, s.nowMS(), hash)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// RecoveryCodesLeft counts the unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE used_at = 0`).Scan(&n)
	return n, err
}

// DisableTOTP removes the second factor and its recovery codes.
func (s *Store) DisableTOTP(ctx context.Context) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM owner_totp`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes`)
		return err
	})
}
