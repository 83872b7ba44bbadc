package store

import "context"

// BookmarkItems lists bookmarked live posts, most recently bookmarked first, paged by the
// bookmark's time in milliseconds.
func (s *Store) BookmarkItems(ctx context.Context, pg Page) ([]PostItem, error) {
	maxID, minID, limit, asc := pg.Bounds()
	return s.postItems(ctx, asc, `SELECT b.created_at, `+prefixed("p.", postCols)+` FROM bookmarks b
		JOIN posts p ON p.id = b.post_id
		WHERE b.created_at < ? AND b.created_at > ? AND p.deleted_at = 0
		ORDER BY b.created_at `+order(asc)+`, b.post_id `+order(asc)+` LIMIT ?`, maxID, minID, limit)
}

// Bookmark adds or removes a bookmark of the owner's.
func (s *Store) Bookmark(ctx context.Context, postID int64, on bool) error {
	return s.tx(ctx, func(tx *wtx) error {
		if !on {
			_, err := tx.ExecContext(ctx, `DELETE FROM bookmarks WHERE post_id = ?`, postID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO bookmarks (post_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			postID, s.nowMS())
		return err
	})
}

// Bookmarked reports whether the owner bookmarked the post.
func (s *Store) Bookmarked(ctx context.Context, postID int64) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM bookmarks WHERE post_id = ?`, postID).Scan(&n)
	return n > 0, err
}

// Bookmarks lists bookmarked posts, most recently bookmarked first; the page bounds apply to
// the bookmark time in milliseconds.
func (s *Store) Bookmarks(ctx context.Context, pg Page) ([]*Post, error) {
	maxID, minID, limit, _ := pg.Bounds()
	return scanPosts(s.r.QueryContext(ctx, `SELECT `+prefixed("p.", postCols)+` FROM bookmarks b
		JOIN posts p ON p.id = b.post_id WHERE b.created_at < ? AND b.created_at > ? AND p.deleted_at = 0
		ORDER BY b.created_at DESC LIMIT ?`, maxID, minID, limit))
}
