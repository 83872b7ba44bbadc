package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// IdempotentPost returns the post created under an Idempotency-Key (kept a day).
func (s *Store) IdempotentPost(ctx context.Context, key string) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT post_id FROM idempotency WHERE key = ? AND created_at > ?`,
		key, s.nowMS()-24*3600*1000).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// SetIdempotentPost remembers the post created under an Idempotency-Key.
func (s *Store) SetIdempotentPost(ctx context.Context, key string, postID int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency WHERE created_at < ?`, s.nowMS()-24*3600*1000); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO idempotency (key, post_id, created_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, key, postID, s.nowMS())
		return err
	})
}

// NotificationByID returns one notification.
func (s *Store) NotificationByID(ctx context.Context, id int64) (*Notification, error) {
	var n Notification
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT id, type, account_id, ifnull(post_id, 0), read, created_at
		FROM notifications WHERE id = ?`, id).Scan(&n.ID, &n.Type, &n.AccountID, &n.PostID, &n.Read, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	n.CreatedAt = msTime(created)
	return &n, err
}

// DismissNotifications deletes one notification, or all of them when id is 0.
func (s *Store) DismissNotifications(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		if id == 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM notifications`)
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM notifications WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// Marker is a client's saved reading position in a timeline.
type Marker struct {
	Timeline   string
	LastReadID string
	Version    int
	UpdatedAt  time.Time
}

// Marker returns the saved position in a timeline ("home" or "notifications").
func (s *Store) Marker(ctx context.Context, timeline string) (*Marker, error) {
	m := Marker{Timeline: timeline}
	var updated int64
	err := s.r.QueryRowContext(ctx, `SELECT last_read_id, version, updated_at FROM markers WHERE timeline = ?`,
		timeline).Scan(&m.LastReadID, &m.Version, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	m.UpdatedAt = msTime(updated)
	return &m, err
}

// SetMarker saves a reading position, bumping its version.
func (s *Store) SetMarker(ctx context.Context, timeline, lastReadID string) (*Marker, error) {
	err := s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO markers (timeline, last_read_id, version, updated_at) VALUES (?, ?, 1, ?)
			ON CONFLICT (timeline) DO UPDATE SET last_read_id = excluded.last_read_id, version = version + 1,
			updated_at = excluded.updated_at`, timeline, lastReadID, s.nowMS())
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Marker(ctx, timeline)
}
