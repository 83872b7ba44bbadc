package queue

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"roost/store"
	"roost/store/sqlite"
	"slices"
	"strings"
	"time"
)

// Delivery is one queued POST of an activity to an inbox.
type Delivery struct {
	ID         int64
	ActivityID int64
	Inbox      string
	Host       string
	Attempts   int
	Body       []byte
	CreatedAt  time.Time
}

// ClaimDeliveries leases up to limit due deliveries for lease, the longest due first, and returns
// them in the order they were queued. It
// takes at most perHost rows for any one host, none for the hosts in skip (the caller has enough
// of theirs under way), and none for paused hosts. A lease that runs out (the process died)
// makes the row due again.
func (q *Queue) ClaimDeliveries(ctx context.Context, limit, perHost int, skip []string, lease time.Duration) ([]Delivery, error) {
	now := q.nowMS()
	if skip == nil {
		skip = []string{} // "[]": json_each of "null" is one NULL row, and NOT IN (NULL) is never true
	}
	skipJSON, err := json.Marshal(skip)
	if err != nil {
		return nil, err
	}
	var out []Delivery
	err = q.db.Write(ctx, func(tx *sqlite.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET leased_until = ?1
			WHERE id IN (
				SELECT id FROM (
					SELECT d.id, d.next_at, row_number() OVER (PARTITION BY d.host ORDER BY d.next_at, d.id) AS n
					FROM deliveries d
					WHERE d.next_at <= ?2 AND d.leased_until <= ?2
					  AND d.host NOT IN (SELECT value FROM json_each(?3))
					  AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host = d.host AND h.paused_until > ?2))
				WHERE n <= ?4 ORDER BY next_at, id LIMIT ?5)
			RETURNING id, activity_id, inbox, host, attempts, created_at`,
			now+lease.Milliseconds(), now, string(skipJSON), perHost, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d Delivery
			var created int64
			if err := rows.Scan(&d.ID, &d.ActivityID, &d.Inbox, &d.Host, &d.Attempts, &created); err != nil {
				return err
			}
			d.CreatedAt = sqlite.Time(created)
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	slices.SortFunc(out, func(a, b Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ReleaseDeliveries ends the leases of claimed deliveries the caller will not attempt now, so
// they are due again at once.
func (q *Queue) ReleaseDeliveries(ctx context.Context, ids []int64) error {
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	return q.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET leased_until = 0
			WHERE id IN (SELECT value FROM json_each(?))`, string(list))
		return err
	})
}

// ActivityBody returns the JSON body of a stored activity.
func (q *Queue) ActivityBody(ctx context.Context, id int64) ([]byte, error) {
	var b []byte
	err := q.r.QueryRowContext(ctx, `SELECT body FROM activities WHERE id = ?`, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return b, err
}

// NextDeliveryAt returns when the earliest queued delivery falls due (zero when none is queued).
func (q *Queue) NextDeliveryAt(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := q.r.QueryRowContext(ctx, `SELECT min(max(next_at, leased_until)) FROM deliveries`).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, err
	}
	return sqlite.Time(next.Int64), nil
}

// DeliverySucceeded removes a delivered row and records that its host answered.
func (q *Queue) DeliverySucceeded(ctx context.Context, d Delivery) error {
	return q.db.Write(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE id = ?`, d.ID); err != nil {
			return err
		}
		return q.hostHeard(ctx, tx, d.Host, q.nowMS())
	})
}

// DeliveryFailed records a failed attempt. When retryAt is zero the failure is final and the row
// is dropped; otherwise it becomes due again at retryAt. hostDown counts the failure against the
// host (a refused connection, a timeout or a 5xx, not a 4xx about this one request).
func (q *Queue) DeliveryFailed(ctx context.Context, d Delivery, reason string, retryAt time.Time, hostDown bool) error {
	now := q.nowMS()
	return q.db.Write(ctx, func(tx *sqlite.Tx) error {
		var err error
		if retryAt.IsZero() {
			_, err = tx.ExecContext(ctx, `DELETE FROM deliveries WHERE id = ?`, d.ID)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE deliveries SET attempts = attempts + 1, next_at = ?,
				leased_until = 0, last_error = ? WHERE id = ?`, retryAt.UnixMilli(), sqlite.Truncate(reason, 500), d.ID)
		}
		if err != nil || !hostDown {
			return err
		}
		tx.AfterCommit(q.failingHosts.Reset)
		_, err = tx.ExecContext(ctx, `INSERT INTO hosts (host, failures, failing_since) VALUES (?, 1, ?)
			ON CONFLICT (host) DO UPDATE SET failures = failures + 1,
				failing_since = CASE WHEN failing_since = 0 THEN excluded.failing_since ELSE failing_since END`,
			d.Host, now)
		return err
	})
}

// PauseHost stops deliveries to host until until; HostHeard ends the pause early.
func (q *Queue) PauseHost(ctx context.Context, host string, until time.Time) error {
	host = strings.ToLower(host)
	return q.db.Write(ctx, func(tx *sqlite.Tx) error {
		tx.AfterCommit(q.failingHosts.Reset)
		_, err := tx.ExecContext(ctx, `INSERT INTO hosts (host, paused_until) VALUES (?, ?)
			ON CONFLICT (host) DO UPDATE SET paused_until = excluded.paused_until`, host, until.UnixMilli())
		return err
	})
}

// HostState is what the store knows about a remote server's availability.
type HostState struct {
	Host         string
	Failures     int
	FailingSince time.Time
	PausedUntil  time.Time
	LastSuccess  time.Time
}

// Host returns the availability record of host (a zero record when there is none).
func (q *Queue) Host(ctx context.Context, host string) (HostState, error) {
	host = strings.ToLower(host)
	h := HostState{Host: host}
	var since, paused, last int64
	err := q.r.QueryRowContext(ctx, `SELECT failures, failing_since, paused_until, last_success FROM hosts
		WHERE host = ?`, host).Scan(&h.Failures, &since, &paused, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return h, nil
	}
	h.FailingSince, h.PausedUntil, h.LastSuccess = sqlite.Time(since), sqlite.Time(paused), sqlite.Time(last)
	return h, err
}

// HostHeard records that host is alive (a delivery succeeded or it sent us a signed activity):
// failure counts reset and a pause ends, so its queued deliveries go out again.
func (q *Queue) HostHeard(ctx context.Context, host string) error {
	host = strings.ToLower(host)
	failing, err := q.failingHosts.Get(ctx, func(ctx context.Context) (map[string]bool, error) {
		return sqlite.LoadSet[string](ctx, q.r, `SELECT host FROM hosts WHERE failures > 0 OR paused_until > 0`)
	})
	if err != nil || !failing[host] {
		return err // the common case: nothing to write
	}
	return q.db.Write(ctx, func(tx *sqlite.Tx) error {
		if err := q.hostHeard(ctx, tx, host, q.nowMS()); err != nil {
			return err
		}
		// Deliveries that were pushed far back while the host was down go out now.
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET next_at = ? WHERE host = ? AND next_at > ?`,
			q.nowMS(), host, q.nowMS())
		return err
	})
}

func (q *Queue) hostHeard(ctx context.Context, tx *sqlite.Tx, host string, now int64) error {
	if p := q.failingHosts.Peek(); p == nil || (*p)[host] { // else the set stays as it is
		tx.AfterCommit(q.failingHosts.Reset)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO hosts (host, last_success) VALUES (?, ?)
		ON CONFLICT (host) DO UPDATE SET failures = 0, failing_since = 0, paused_until = 0,
			last_success = excluded.last_success`, host, now)
	return err
}

// QueueStats counts queued deliveries per host.
type QueueStats struct {
	Host    string
	Queued  int
	Failing int // rows that have failed at least once
}

// DeliveryQueue summarises the outgoing queue by host, busiest first.
func (q *Queue) DeliveryQueue(ctx context.Context) ([]QueueStats, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT host, count(*), sum(attempts > 0) FROM deliveries
		GROUP BY host ORDER BY count(*) DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QueueStats
	for rows.Next() {
		var q QueueStats
		if err := rows.Scan(&q.Host, &q.Queued, &q.Failing); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// ReleaseLeases makes every leased delivery and incoming activity due again. The server calls it
// when it starts: leases belong to the process that took them, and a new process means the old
// one is gone (a crash or kill -9), so its work must not wait for the leases to run out.
func (q *Queue) ReleaseLeases(ctx context.Context) error {
	return q.db.Write(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET leased_until = 0 WHERE leased_until > 0`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE inbox SET next_at = 0 WHERE done_at = 0 AND next_at > ?`, q.nowMS())
		return err
	})
}
