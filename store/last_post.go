package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LastPostAt returns when an account last posted (a live post; public or unlisted only, with
// publicOnly), or ErrNotFound when it has none. It walks posts_account from the newest.
func (s *Store) LastPostAt(ctx context.Context, accountID int64, publicOnly bool) (time.Time, error) {
	q := `SELECT published FROM posts WHERE account_id = ? AND deleted_at = 0`
	if publicOnly {
		q += ` AND visibility IN ('public', 'unlisted')`
	}
	var ms int64
	err := s.r.QueryRowContext(ctx, q+` ORDER BY id DESC LIMIT 1`, accountID).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, ErrNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last post of %d: %w", accountID, err)
	}
	return msTime(ms), nil
}
