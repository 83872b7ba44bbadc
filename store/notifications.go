package store

import (
	"context"
	"database/sql"
	"errors"
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

func (s *Store) notify(ctx context.Context, tx *wtx, kind string, accountID, postID int64) error {
	var post any
	if postID != 0 {
		post = postID
		// The owner muted this conversation (a status's mute): nothing about it notifies.
		if muted, err := threadMutedTx(ctx, tx, postID); err != nil || muted {
			return err
		}
	}
	id := s.NewID()
	res, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, type, account_id, post_id, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, id, kind, accountID, post, s.nowMS())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		s.changed(tx, Change{NotificationAdded, id})
		// A push for each subscription that asked for the type, committed with the notification
		// (see access.ClaimPushDeliveries); its policy is checked when it is sent.
		if _, err := tx.ExecContext(ctx, `INSERT INTO push_deliveries (subscription_id, notification_id, next_at, created_at)
			SELECT id, ?1, ?2, ?2 FROM push_subscriptions WHERE policy != 'none'
			AND EXISTS (SELECT 1 FROM json_each(alerts) WHERE value = ?3)`, id, s.nowMS(), kind); err != nil {
			return err
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
