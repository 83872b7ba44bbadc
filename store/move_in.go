package store

import "context"

// MovedFollower is a follower who came with the owner's move here.
type MovedFollower struct {
	Account   *Account
	MovedFrom string // the owner's old account, which they followed
}

// AddMovedFollower records that accountID followed because the owner's old account from moved here.
func (s *Store) AddMovedFollower(ctx context.Context, accountID int64, from string) error {
	return s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO moved_followers (account_id, moved_from, created_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, accountID, from, s.nowMS())
		return err
	})
}

// MovedFollowers lists the followers who came with the owner's move and still follow, newest
// first, at most limit.
func (s *Store) MovedFollowers(ctx context.Context, ownerID int64, limit int) ([]MovedFollower, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT m.moved_from, `+prefixed("a.", accountCols)+` FROM moved_followers m
		JOIN accounts a ON a.id = m.account_id
		JOIN follows f ON f.follower_id = m.account_id AND f.followee_id = ? AND f.state = 'accepted'
		ORDER BY m.created_at DESC LIMIT ?`, ownerID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MovedFollower
	for rows.Next() {
		var m MovedFollower
		if m.Account, err = scanAccount(multiScanner{rows, []any{&m.MovedFrom}}); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
