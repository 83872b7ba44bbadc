package store

import (
	"context"
	"database/sql"
)

// Entry is one item of a timeline: a post, or a boost of one (BoostID and BoosterID set).
type Entry struct {
	ID        int64 // the post's ID, or the boost's: what the timeline pages by
	PostID    int64
	BoosterID int64
}

// HomeTimeline lists the owner's home timeline, newest first: their own posts and boosts, and
// those of everyone they follow. Direct posts appear only when they mention the owner (or are the
// owner's).
func (s *Store) HomeTimeline(ctx context.Context, ownerID int64, pg Page) ([]Entry, error) {
	maxID, minID, limit, asc := pg.bounds()
	order := "DESC"
	if asc {
		order = "ASC"
	}
	// "+p.account_id" keeps SQLite from driving the query by the (account_id, id) index, which
	// would sort every post of every followed account; walking the primary key newest first and
	// stopping after limit rows is what a timeline needs.
	rows, err := s.r.QueryContext(ctx, `
		WITH authors(id) AS (
			SELECT ? UNION SELECT followee_id FROM follows WHERE follower_id = ? AND state = 'accepted')
		SELECT id, post_id, booster FROM (
			SELECT p.id AS id, p.id AS post_id, 0 AS booster FROM posts p
			WHERE +p.account_id IN authors AND p.id < ? AND p.id > ? AND p.deleted_at = 0
			  AND (p.visibility != 'direct' OR p.account_id = ?
			       OR EXISTS (SELECT 1 FROM post_mentions m WHERE m.post_id = p.id AND m.account_id = ?))
			UNION ALL
			SELECT b.id, b.post_id, b.account_id FROM boosts b
			WHERE +b.account_id IN authors AND b.id < ? AND b.id > ?)
		ORDER BY id `+order+` LIMIT ?`,
		ownerID, ownerID, maxID, minID, ownerID, ownerID, maxID, minID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.PostID, &e.BoosterID); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if asc {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, rows.Err()
}

// UnreadNotifications counts notifications the owner has not seen.
func (s *Store) UnreadNotifications(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE read = 0`).Scan(&n)
	return n, err
}

// MarkNotificationsRead marks every notification up to and including id as read.
func (s *Store) MarkNotificationsRead(ctx context.Context, upTo int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET read = 1 WHERE id <= ? AND read = 0`, upTo)
		return err
	})
}
