package store

import (
	"context"
	"fmt"
)

// threadRootSQL selects the root of post ?: the topmost post Roost has up its reply chain
// (bounded, so a cycle of replies cannot loop).
const threadRootSQL = `WITH RECURSIVE up(id, parent, depth) AS (
		SELECT id, reply_to_id, 0 FROM posts WHERE id = ?
		UNION ALL SELECT p.id, p.reply_to_id, up.depth + 1 FROM posts p JOIN up ON p.id = up.parent WHERE up.depth < 1000
	) SELECT id FROM up ORDER BY depth DESC LIMIT 1`

// threadMutedSQL reports whether post ?'s thread is muted; with no muted thread, it walks nothing.
const threadMutedSQL = `SELECT EXISTS (SELECT 1 FROM muted_threads)
	AND EXISTS (SELECT 1 FROM muted_threads WHERE root_id = (` + threadRootSQL + `))`

// MuteThread mutes (or unmutes) the conversation postID is part of: no notification about a post
// of it is made while it is muted (Mastodon's status mute).
func (s *Store) MuteThread(ctx context.Context, postID int64, mute bool) error {
	err := s.tx(ctx, func(tx *wtx) error {
		if !mute {
			_, err := tx.ExecContext(ctx, `DELETE FROM muted_threads WHERE root_id = (`+threadRootSQL+`)`, postID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO muted_threads (root_id, created_at)
			SELECT (`+threadRootSQL+`), ? WHERE EXISTS (SELECT 1 FROM posts WHERE id = ?)
			ON CONFLICT DO NOTHING`, postID, s.nowMS(), postID)
		return err
	})
	if err != nil {
		return fmt.Errorf("mute thread of %d: %w", postID, err)
	}
	return nil
}

// ThreadMuted reports whether the conversation of postID is muted.
func (s *Store) ThreadMuted(ctx context.Context, postID int64) (bool, error) {
	var muted bool
	err := s.r.QueryRowContext(ctx, threadMutedSQL, postID).Scan(&muted)
	if err != nil {
		return false, fmt.Errorf("thread muted %d: %w", postID, err)
	}
	return muted, nil
}
