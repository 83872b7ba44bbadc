package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// AccountNote returns the owner's private note on an account, "" when there is none.
func (s *Store) AccountNote(ctx context.Context, accountID int64) (string, error) {
	var note string
	err := s.r.QueryRowContext(ctx, `SELECT note FROM account_notes WHERE account_id = ?`, accountID).Scan(&note)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("account note %d: %w", accountID, err)
	}
	return note, nil
}

// SetAccountNote keeps the owner's private note on an account; "" removes it.
func (s *Store) SetAccountNote(ctx context.Context, accountID int64, note string) error {
	err := s.tx(ctx, func(tx *wtx) error {
		if note == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM account_notes WHERE account_id = ?`, accountID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO account_notes (account_id, note, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (account_id) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at`,
			accountID, note, timeMS(s.Now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("set account note %d: %w", accountID, err)
	}
	return nil
}
