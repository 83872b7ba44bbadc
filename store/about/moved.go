package about

import (
	"context"

	"roost/store"
	"roost/store/sqlite"
)

// MovedFollower is a follower who came with the owner's move here.
type MovedFollower struct {
	Account   *store.Account
	MovedFrom string // the owner's old account, which they followed
}

// AddMovedFollower records that accountID followed because the owner's old account from moved here.
func (s *Store) AddMovedFollower(ctx context.Context, accountID int64, from string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO moved_followers (account_id, moved_from, created_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, accountID, from, s.st.Now().UnixMilli())
		return err
	})
}

// MovedFollowers lists the followers who came with the owner's move and still follow, newest
// first, at most limit.
func (s *Store) MovedFollowers(ctx context.Context, ownerID int64, limit int) ([]MovedFollower, error) {
	items, err := s.st.AccountItems(ctx, false, `SELECT m.created_at, `+store.AccountColumns("a.")+` FROM moved_followers m
		JOIN accounts a ON a.id = m.account_id
		JOIN follows f ON f.follower_id = m.account_id AND f.followee_id = ? AND f.state = 'accepted'
		ORDER BY m.created_at DESC LIMIT ?`, ownerID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]MovedFollower, 0, len(items))
	for _, it := range items {
		m := MovedFollower{Account: it.Account}
		if err := s.r.QueryRowContext(ctx, `SELECT moved_from FROM moved_followers WHERE account_id = ?`,
			it.Account.ID).Scan(&m.MovedFrom); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
