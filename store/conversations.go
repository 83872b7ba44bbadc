package store

import "context"

// DirectPosts lists the newest limit live direct posts ownerID wrote or is mentioned in, newest
// first.
func (s *Store) DirectPosts(ctx context.Context, ownerID int64, limit int) ([]*Post, error) {
	return scanPosts(s.r.QueryContext(ctx, `SELECT `+postCols+` FROM posts p
		WHERE p.visibility = 'direct' AND p.deleted_at = 0
		  AND (p.account_id = ? OR EXISTS (SELECT 1 FROM post_mentions m WHERE m.post_id = p.id AND m.account_id = ?))
		ORDER BY p.id DESC LIMIT ?`, ownerID, ownerID, limit))
}

// HideConversation hides the direct thread rooted at rootID until a status newer than
// lastStatusID arrives in it.
func (s *Store) HideConversation(ctx context.Context, rootID, lastStatusID int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO hidden_conversations (root_id, last_status_id, created_at)
			VALUES (?, ?, ?) ON CONFLICT (root_id) DO UPDATE SET last_status_id = excluded.last_status_id`,
			rootID, lastStatusID, s.nowMS())
		return err
	})
}

// HiddenConversations maps the roots of hidden direct threads to the last status they had when
// hidden.
func (s *Store) HiddenConversations(ctx context.Context) (map[int64]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT root_id, last_status_id FROM hidden_conversations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var root, last int64
		if err := rows.Scan(&root, &last); err != nil {
			return nil, err
		}
		out[root] = last
	}
	return out, rows.Err()
}
