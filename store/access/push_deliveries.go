package access

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"roost/store/sqlite"
)

// PushDelivery is one queued push: a notification to send to one subscription. The store queues
// it in the transaction that adds the notification, for each subscription whose alerts ask for
// the notification's type.
type PushDelivery struct {
	ID             int64
	SubscriptionID int64
	NotificationID int64
	Attempts       int
}

// ClaimPushDeliveries leases up to limit due pushes for lease, oldest first. A lease that runs
// out (the process died) makes the row due again, so a push queued before a restart is sent
// after it.
func (s *Store) ClaimPushDeliveries(ctx context.Context, limit int, lease time.Duration) ([]PushDelivery, error) {
	now := s.nowMS()
	var out []PushDelivery
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE push_deliveries SET leased_until = ?1
			WHERE id IN (SELECT id FROM push_deliveries WHERE next_at <= ?2 AND leased_until <= ?2
				ORDER BY next_at, id LIMIT ?3)
			RETURNING id, subscription_id, notification_id, attempts`, now+lease.Milliseconds(), now, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d PushDelivery
			if err := rows.Scan(&d.ID, &d.SubscriptionID, &d.NotificationID, &d.Attempts); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim push deliveries: %w", err)
	}
	return out, nil
}

// PushDone removes a push that was sent, refused for good or is no longer wanted.
func (s *Store) PushDone(ctx context.Context, id int64) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM push_deliveries WHERE id = ?`, id)
		return err
	})
}

// PushFailed records a failed attempt at a push, due again at retryAt.
func (s *Store) PushFailed(ctx context.Context, id int64, reason string, retryAt time.Time) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE push_deliveries SET attempts = attempts + 1, next_at = ?,
			leased_until = 0, last_error = ? WHERE id = ?`, retryAt.UnixMilli(), sqlite.Truncate(reason, 500), id)
		return err
	})
}

// NextPushAt returns when the earliest queued push falls due (zero when none is queued).
func (s *Store) NextPushAt(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT min(max(next_at, leased_until)) FROM push_deliveries`).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, err
	}
	return sqlite.Time(next.Int64), nil
}
