package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

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

// Notification is something that happened to the owner.
type Notification struct {
	ID        int64
	Type      string
	AccountID int64
	PostID    int64
	Read      bool
	CreatedAt time.Time
}

// Notice is a notification a write adds for the owner, in the write's own transaction, so that
// the write and its notification commit together. The core decides which notices a write makes
// (and that a muted conversation makes none); the store only records them.
type Notice struct {
	Type      string // Mastodon's notification type: follow, mention, quote, favourite, move, ...
	AccountID int64  // the account it is from
	PostID    int64  // the post it is about, 0 for none
}

// record adds notices, each once (a repeat of the same type, account and post is ignored), and
// reports each added one to the commit hook.
func (s *Store) record(ctx context.Context, tx *wtx, notices []Notice) error {
	for _, n := range notices {
		var post any
		if n.PostID != 0 {
			post = n.PostID
		}
		id := s.NewID()
		res, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, type, account_id, post_id, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, id, n.Type, n.AccountID, post, s.nowMS())
		if err != nil {
			return fmt.Errorf("insert %s notification: %w", n.Type, err)
		}
		if added, _ := res.RowsAffected(); added == 1 {
			s.changed(tx, Change{NotificationAdded, id})
			// A push for each subscription that asked for the type, committed with the
			// notification (see access.ClaimPushDeliveries); its policy is checked when it is sent.
			if _, err := tx.ExecContext(ctx, `INSERT INTO push_deliveries (subscription_id, notification_id, next_at, created_at)
				SELECT id, ?1, ?2, ?2 FROM push_subscriptions WHERE policy != 'none'
				AND EXISTS (SELECT 1 FROM json_each(alerts) WHERE value = ?3)`, id, s.nowMS(), n.Type); err != nil {
				return fmt.Errorf("queue pushes: %w", err)
			}
		}
	}
	return nil
}

// Notifications lists the owner's notifications, newest first; types filters when not empty.
func (s *Store) Notifications(ctx context.Context, types []string, pg Page) ([]Notification, error) {
	maxID, minID, limit, _ := pg.Bounds()
	q := `SELECT id, type, account_id, ifnull(post_id, 0), read, created_at FROM notifications WHERE id < ? AND id > ?`
	args := []any{maxID, minID}
	if len(types) > 0 {
		q += ` AND type IN (?` + strings.Repeat(", ?", len(types)-1) + `)`
		for _, t := range types {
			args = append(args, t)
		}
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanNotifications(rows)
}
