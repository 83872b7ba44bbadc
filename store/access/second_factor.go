package access

import (
	"context"
	"database/sql"
	"errors"

	"roost/store"
	"roost/store/sqlite"
)

// TOTP is the owner's time-based one-time password secret. Until Confirmed it is only being set
// up and does not guard sign-in.
type TOTP struct {
	Secret    string
	Confirmed bool
	LastStep  int64
}

// TOTP returns the owner's TOTP secret, or store.ErrNotFound when there is none.
func (s *Store) TOTP(ctx context.Context) (*TOTP, error) {
	var t TOTP
	err := s.r.QueryRowContext(ctx, `SELECT secret, confirmed, last_step FROM totp WHERE id = 1`).
		Scan(&t.Secret, &t.Confirmed, &t.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return &t, err
}

// SecondFactorOn reports whether signing in needs a second factor: a confirmed TOTP secret or a
// passkey.
func (s *Store) SecondFactorOn(ctx context.Context) (bool, error) {
	var on bool
	err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM totp WHERE confirmed = 1)
		OR EXISTS (SELECT 1 FROM passkeys)`).Scan(&on)
	return on, err
}

// BeginTOTP keeps secret as the one being set up, replacing one being set up before. It fails
// with store.ErrConflict when a confirmed secret is in place: that one is turned off first.
func (s *Store) BeginTOTP(ctx context.Context, secret string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO totp (id, secret, created_at) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
			WHERE confirmed = 0`, secret, s.nowMS())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrConflict
		}
		return nil
	})
}

// ConfirmTOTP turns the secret being set up on, with step as the step of the code that confirmed
// it, and replaces the recovery codes with those hashed, in one transaction. It fails with
// store.ErrNotFound when no secret is being set up.
func (s *Store) ConfirmTOTP(ctx context.Context, step int64, recoveryHashes []string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE totp SET confirmed = 1, last_step = ? WHERE id = 1 AND confirmed = 0`, step)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return replaceRecoveryCodes(ctx, tx, recoveryHashes)
	})
}

// ReplaceRecoveryCodes makes those hashed the only recovery codes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, hashes []string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error { return replaceRecoveryCodes(ctx, tx, hashes) })
}

func replaceRecoveryCodes(ctx context.Context, tx *sqlite.Tx, hashes []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes`); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (hash) VALUES (?)`, h); err != nil {
			return err
		}
	}
	return nil
}

// UseTOTPStep records that a code of step was accepted, and reports false when a code of that
// step or a later one was accepted before: each code signs in once.
func (s *Store) UseTOTPStep(ctx context.Context, step int64) (bool, error) {
	used := false
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE totp SET last_step = ? WHERE id = 1 AND confirmed = 1 AND last_step < ?`,
			step, step)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		used = n == 1
		return nil
	})
	return used, err
}

// UseRecoveryCode spends the recovery code hashed, reporting false when there is no such unused
// code.
func (s *Store) UseRecoveryCode(ctx context.Context, hash string) (bool, error) {
	used := false
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ? WHERE hash = ? AND used_at IS NULL`,
			s.nowMS(), hash)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		used = n == 1
		return nil
	})
	return used, err
}

// RecoveryCodesLeft counts the unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE used_at IS NULL`).Scan(&n)
	return n, err
}

// TurnOffTOTP removes the TOTP secret, and the recovery codes unless a passkey is left for
// them to stand in for.
func (s *Store) TurnOffTOTP(ctx context.Context) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM totp`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE NOT EXISTS (SELECT 1 FROM passkeys)`)
		return err
	})
}

// TurnOffSecondFactor removes the TOTP secret, the recovery codes and the passkeys.
func (s *Store) TurnOffSecondFactor(ctx context.Context) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		for _, table := range []string{"totp", "recovery_codes", "passkeys"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
				return err
			}
		}
		return nil
	})
}
