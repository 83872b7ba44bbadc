package store

import (
	"context"
	"fmt"
)

// RequestDeletion records that the owner deleted their account, with out (the Delete of the
// actor) queued in the same transaction, and signs out every session and app. It returns
// ErrConflict if the deletion was asked for already.
func (s *Store) RequestDeletion(ctx context.Context, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_deletion (id, requested_at) VALUES (1, ?)`, s.nowMS()); err != nil {
			if isUnique(err) {
				return ErrConflict
			}
			return err
		}
		for _, q := range []string{`DELETE FROM sessions`, `DELETE FROM oauth_tokens`, `DELETE FROM oauth_codes`,
			`DELETE FROM push_subscriptions`, `DELETE FROM import_items WHERE state = 'pending'`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("sign out: %w", err)
			}
		}
		// What was queued before goes: the Delete is the last thing the account says.
		if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries`); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, out)
	})
}
