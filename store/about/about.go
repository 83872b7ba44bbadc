// Package about keeps what Roost knows of other accounts beside their actor documents: the
// owner's private notes on them (Mastodon's account notes), the counts their own servers give
// (their collections' totalItems), and which followers came with the owner's move here, in the
// store's database.
package about

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"roost/store"
	"roost/store/sqlite"
)

// Store reads and writes the notes and counts of a store's database. It holds no state of its
// own beyond the store it was made from, so any number may be made from one store.
type Store struct {
	st *store.Store
	db *sqlite.DB
	r  *sqlite.Reader
}

// New returns the notes and counts kept in st's database, on st's clock.
func New(st *store.Store) *Store {
	return &Store{st: st, db: st.DB(), r: st.DB().Reader()}
}

// Note returns the owner's private note on an account, "" when there is none.
func (s *Store) Note(ctx context.Context, accountID int64) (string, error) {
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

// SetNote keeps the owner's private note on an account; "" removes it.
func (s *Store) SetNote(ctx context.Context, accountID int64, note string) error {
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		if note == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM account_notes WHERE account_id = ?`, accountID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO account_notes (account_id, note, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (account_id) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at`,
			accountID, note, sqlite.MS(s.st.Now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("set account note %d: %w", accountID, err)
	}
	return nil
}

// Counts are a remote account's counts as its server gives them (its collections' totalItems);
// -1 where it gave none.
type Counts struct {
	Followers, Following, Statuses int
}

// SetCounts keeps a remote account's own counts.
func (s *Store) SetCounts(ctx context.Context, accountID int64, c Counts) error {
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO remote_counts (account_id, followers, following, statuses, fetched_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET followers = excluded.followers,
			following = excluded.following, statuses = excluded.statuses, fetched_at = excluded.fetched_at`,
			accountID, c.Followers, c.Following, c.Statuses, sqlite.MS(s.st.Now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("set remote counts %d: %w", accountID, err)
	}
	return nil
}

// CountsOf returns a remote account's own counts, or store.ErrNotFound when none were fetched.
func (s *Store) CountsOf(ctx context.Context, accountID int64) (Counts, error) {
	var c Counts
	err := s.r.QueryRowContext(ctx, `SELECT followers, following, statuses FROM remote_counts WHERE account_id = ?`,
		accountID).Scan(&c.Followers, &c.Following, &c.Statuses)
	if errors.Is(err, sql.ErrNoRows) {
		return c, store.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("remote counts %d: %w", accountID, err)
	}
	return c, nil
}
