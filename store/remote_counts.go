package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// RemoteCounts are a remote account's counts as its server gives them (its collections'
// totalItems); -1 where it gave none.
type RemoteCounts struct {
	Followers, Following, Statuses int
}

// SetRemoteCounts keeps a remote account's own counts.
func (s *Store) SetRemoteCounts(ctx context.Context, accountID int64, c RemoteCounts) error {
	err := s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO remote_counts (account_id, followers, following, statuses, fetched_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET followers = excluded.followers,
			following = excluded.following, statuses = excluded.statuses, fetched_at = excluded.fetched_at`,
			accountID, c.Followers, c.Following, c.Statuses, s.nowMS())
		return err
	})
	if err != nil {
		return fmt.Errorf("set remote counts %d: %w", accountID, err)
	}
	return nil
}

// RemoteCountsOf returns a remote account's own counts, or ErrNotFound when none were fetched.
func (s *Store) RemoteCountsOf(ctx context.Context, accountID int64) (RemoteCounts, error) {
	var c RemoteCounts
	err := s.r.QueryRowContext(ctx, `SELECT followers, following, statuses FROM remote_counts WHERE account_id = ?`,
		accountID).Scan(&c.Followers, &c.Following, &c.Statuses)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("remote counts %d: %w", accountID, err)
	}
	return c, nil
}
