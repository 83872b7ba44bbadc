package store

import (
	"context"
	"strings"
	"time"
)

// NotificationGroup selects the notifications of Type on PostID (0: on no post) created in
// [From, To): one group of Mastodon's grouped notifications.
type NotificationGroup struct {
	Type     string
	PostID   int64
	From, To time.Time
}

// where selects the group's rows. IDs are time-ordered (NewID), taken at the same moment as
// created_at, so the group lies within an ID range a minute wider on each side: the query reads
// that range of the primary key (the unary + keeps the planner off the type index, which would
// read every notification of the type).
func (g NotificationGroup) where() (string, []any) {
	lo, hi := g.From.Add(-time.Minute).UnixMilli()<<16, g.To.Add(time.Minute).UnixMilli()<<16
	return `id >= ? AND id < ? AND +type = ? AND ifnull(post_id, 0) = ? AND created_at >= ? AND created_at < ?`,
		[]any{lo, hi, g.Type, g.PostID, g.From.UnixMilli(), g.To.UnixMilli()}
}

const notificationCols = `id, type, account_id, ifnull(post_id, 0), read, created_at`

func scanNotifications(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) ([]Notification, error) {
	var out []Notification
	for rows.Next() {
		var n Notification
		var created int64
		if err := rows.Scan(&n.ID, &n.Type, &n.AccountID, &n.PostID, &n.Read, &created); err != nil {
			return nil, err
		}
		n.CreatedAt = msTime(created)
		out = append(out, n)
	}
	return out, rows.Err()
}

// GroupNotifications lists a group's notifications with IDs in [minID, maxID], newest first, at
// most limit of them; maxID 0 means no upper bound.
func (s *Store) GroupNotifications(ctx context.Context, g NotificationGroup, minID, maxID int64, limit int) ([]Notification, error) {
	if maxID <= 0 {
		maxID = 1<<63 - 1
	}
	where, args := g.where()
	rows, err := s.r.QueryContext(ctx, `SELECT `+notificationCols+` FROM notifications WHERE `+where+
		` AND id >= ? AND id <= ? ORDER BY id DESC LIMIT ?`, append(args, minID, maxID, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanNotifications(rows)
}

// GroupStats counts a group's notifications with IDs up to maxID (0: all), and returns the
// oldest of their IDs that is at least minID (0 when there is none).
func (s *Store) GroupStats(ctx context.Context, g NotificationGroup, minID, maxID int64) (count int, oldest int64, err error) {
	if maxID <= 0 {
		maxID = 1<<63 - 1
	}
	where, args := g.where()
	err = s.r.QueryRowContext(ctx, `SELECT count(*), ifnull(min(CASE WHEN id >= ? THEN id END), 0)
		FROM notifications WHERE `+where+` AND id <= ?`, append(append([]any{minID}, args...), maxID)...).Scan(&count, &oldest)
	return count, oldest, err
}

// DismissNotificationGroup deletes a group's notifications; ErrNotFound when there were none.
func (s *Store) DismissNotificationGroup(ctx context.Context, g NotificationGroup) error {
	where, args := g.where()
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM notifications WHERE `+where, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// NotificationsAbove lists the notifications of the given types (all when empty) with IDs in
// (above, below), oldest first when asc, else newest first; below 0 means no upper bound.
func (s *Store) NotificationsAbove(ctx context.Context, types []string, above, below int64, asc bool, limit int) ([]Notification, error) {
	q, args := notificationsAboveQuery(types, above, below, asc, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanNotifications(rows)
}

// notificationsAboveQuery is NotificationsAbove's query. The unary + keeps the planner on the
// primary key: through the type index it would sort every notification of the types.
func notificationsAboveQuery(types []string, above, below int64, asc bool, limit int) (string, []any) {
	if below <= 0 {
		below = 1<<63 - 1
	}
	q := `SELECT ` + notificationCols + ` FROM notifications WHERE id > ? AND id < ?`
	args := []any{above, below}
	if len(types) > 0 {
		q += ` AND +type IN (?` + strings.Repeat(", ?", len(types)-1) + `)`
		for _, t := range types {
			args = append(args, t)
		}
	}
	if asc {
		q += ` ORDER BY id ASC LIMIT ?`
	} else {
		q += ` ORDER BY id DESC LIMIT ?`
	}
	return q, append(args, limit)
}
