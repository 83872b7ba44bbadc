package access

import (
	"context"

	"roost/store/sqlite"
)

// Sessions lists the sessions that have not expired, most recently seen first.
func (s *Store) Sessions(ctx context.Context) ([]*Session, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, csrf, created_at, seen_at, expires_at, user_agent, ip FROM sessions
		WHERE expires_at > ? ORDER BY seen_at DESC`, s.nowMS())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Session
	for rows.Next() {
		var se Session
		var created, seen, expires int64
		if err := rows.Scan(&se.ID, &se.CSRF, &created, &seen, &expires, &se.UserAgent, &se.IP); err != nil {
			return nil, err
		}
		se.CreatedAt, se.SeenAt, se.ExpiresAt = sqlite.Time(created), sqlite.Time(seen), sqlite.Time(expires)
		out = append(out, &se)
	}
	return out, rows.Err()
}
