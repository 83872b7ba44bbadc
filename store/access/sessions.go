package access

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"roost/store"
	"roost/store/sqlite"
)

// Session is one signed-in browser of the owner's.
type Session struct {
	ID        string // hex SHA-256 of the cookie token
	CSRF      string
	CreatedAt time.Time
	SeenAt    time.Time
	ExpiresAt time.Time
	UserAgent string
	IP        string
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, se *Session) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		now := s.nowMS()
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, csrf, created_at, seen_at, expires_at, user_agent, ip)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, se.ID, se.CSRF, now, now, sqlite.MS(se.ExpiresAt), sqlite.Truncate(se.UserAgent, 300), se.IP)
		if sqlite.IsUnique(err) {
			return store.ErrConflict
		}
		return err
	})
}

// SessionByID returns a session that has not expired.
func (s *Store) SessionByID(ctx context.Context, id string) (*Session, error) {
	var se Session
	var created, seen, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT id, csrf, created_at, seen_at, expires_at, user_agent, ip FROM sessions
		WHERE id = ? AND expires_at > ?`, id, s.nowMS()).Scan(&se.ID, &se.CSRF, &created, &seen, &expires, &se.UserAgent, &se.IP)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	se.CreatedAt, se.SeenAt, se.ExpiresAt = sqlite.Time(created), sqlite.Time(seen), sqlite.Time(expires)
	return &se, nil
}

// TouchSession records activity on a session and extends it to expires (sliding expiry).
func (s *Store) TouchSession(ctx context.Context, id string, expires time.Time) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET seen_at = ?, expires_at = ? WHERE id = ?`,
			s.nowMS(), sqlite.MS(expires), id)
		return err
	})
}

// DeleteSession signs one session out.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return err
	})
}

// DeleteSessions signs every session out except keep (may be empty), and drops expired ones.
func (s *Store) DeleteSessions(ctx context.Context, keep string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id != ?`, keep)
		return err
	})
}
