package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"roost/store/sqlite"
	"slices"
	"strings"
	"time"
)

// Outgoing is one of the owner's activities and the inboxes it goes to. Methods that change the
// owner's data take one and write it in the same transaction (a transactional outbox): a post and
// every delivery it causes are committed together or not at all.
type Outgoing struct {
	ID      int64  // set by the store when zero
	IRI     string // the activity's id
	Type    string
	PostID  int64 // the post it is about, if any
	Public  bool  // shown in the public outbox
	Body    []byte
	Inboxes []string // distinct inbox URLs; duplicates are ignored
}

// Activity is a stored activity of the owner's.
type Activity struct {
	ID        int64
	IRI       string
	Type      string
	PostID    int64
	Public    bool
	Body      []byte
	CreatedAt time.Time
}

// enqueue writes out and one delivery row per inbox. A nil out is a no-op.
func (s *Store) enqueue(ctx context.Context, tx *wtx, out *Outgoing) error {
	if out == nil {
		return nil
	}
	if out.ID == 0 {
		out.ID = s.NewID()
	}
	now := s.nowMS()
	var postID any
	if out.PostID != 0 {
		postID = out.PostID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO activities (id, iri, type, post_id, public, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, out.ID, out.IRI, out.Type, postID, out.Public, out.Body, now)
	if isUnique(err) {
		return fmt.Errorf("activity %s: %w", out.IRI, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert activity: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO deliveries (activity_id, inbox, host, next_at, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, inbox := range out.Inboxes {
		u, err := url.Parse(inbox)
		if err != nil || u.Host == "" {
			continue
		}
		if _, err := stmt.ExecContext(ctx, out.ID, inbox, strings.ToLower(u.Host), now, now); err != nil {
			return fmt.Errorf("queue delivery to %s: %w", inbox, err)
		}
	}
	return nil
}

// Enqueue writes an activity with its deliveries on its own, for activities that change nothing
// else in the store (an Accept, a Reject, a resend).
func (s *Store) Enqueue(ctx context.Context, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error { return s.enqueue(ctx, tx, out) })
}

// ActivityByIRI returns one of the owner's activities.
func (s *Store) ActivityByIRI(ctx context.Context, iri string) (*Activity, error) {
	var a Activity
	var postID sql.NullInt64
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT id, iri, type, post_id, public, body, created_at FROM activities
		WHERE iri = ?`, iri).Scan(&a.ID, &a.IRI, &a.Type, &postID, &a.Public, &a.Body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.PostID = postID.Int64
	a.CreatedAt = msTime(created)
	return &a, nil
}

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
func (s *Store) ClaimDeliveries(ctx context.Context, limit, perHost int, skip []string, lease time.Duration) ([]Delivery, error) {
	now := s.nowMS()
	if skip == nil {
		skip = []string{} // "[]": json_each of "null" is one NULL row, and NOT IN (NULL) is never true
	}
	skipJSON, err := json.Marshal(skip)
	if err != nil {
		return nil, err
	}
	var out []Delivery
	err = s.tx(ctx, func(tx *wtx) error {
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
			d.CreatedAt = msTime(created)
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
func (s *Store) ReleaseDeliveries(ctx context.Context, ids []int64) error {
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET leased_until = 0
			WHERE id IN (SELECT value FROM json_each(?))`, string(list))
		return err
	})
}

// ActivityBody returns the JSON body of a stored activity.
func (s *Store) ActivityBody(ctx context.Context, id int64) ([]byte, error) {
	var b []byte
	err := s.r.QueryRowContext(ctx, `SELECT body FROM activities WHERE id = ?`, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return b, err
}

// NextDeliveryAt returns when the earliest queued delivery falls due (zero when none is queued).
func (s *Store) NextDeliveryAt(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT min(max(next_at, leased_until)) FROM deliveries`).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, err
	}
	return msTime(next.Int64), nil
}

// DeliverySucceeded removes a delivered row and records that its host answered.
func (s *Store) DeliverySucceeded(ctx context.Context, d Delivery) error {
	return s.tx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE id = ?`, d.ID); err != nil {
			return err
		}
		return s.hostHeard(ctx, tx, d.Host, s.nowMS())
	})
}

// DeliveryFailed records a failed attempt. When retryAt is zero the failure is final and the row
// is dropped; otherwise it becomes due again at retryAt. hostDown counts the failure against the
// host (a refused connection, a timeout or a 5xx, not a 4xx about this one request).
func (s *Store) DeliveryFailed(ctx context.Context, d Delivery, reason string, retryAt time.Time, hostDown bool) error {
	now := s.nowMS()
	return s.tx(ctx, func(tx *wtx) error {
		var err error
		if retryAt.IsZero() {
			_, err = tx.ExecContext(ctx, `DELETE FROM deliveries WHERE id = ?`, d.ID)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE deliveries SET attempts = attempts + 1, next_at = ?,
				leased_until = 0, last_error = ? WHERE id = ?`, retryAt.UnixMilli(), truncate(reason, 500), d.ID)
		}
		if err != nil || !hostDown {
			return err
		}
		tx.AfterCommit(s.failingHosts.reset)
		_, err = tx.ExecContext(ctx, `INSERT INTO hosts (host, failures, failing_since) VALUES (?, 1, ?)
			ON CONFLICT (host) DO UPDATE SET failures = failures + 1,
				failing_since = CASE WHEN failing_since = 0 THEN excluded.failing_since ELSE failing_since END`,
			d.Host, now)
		return err
	})
}

// PauseHost stops deliveries to host until until; HostHeard ends the pause early.
func (s *Store) PauseHost(ctx context.Context, host string, until time.Time) error {
	host = strings.ToLower(host)
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.failingHosts.reset)
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
func (s *Store) Host(ctx context.Context, host string) (HostState, error) {
	host = strings.ToLower(host)
	h := HostState{Host: host}
	var since, paused, last int64
	err := s.r.QueryRowContext(ctx, `SELECT failures, failing_since, paused_until, last_success FROM hosts
		WHERE host = ?`, host).Scan(&h.Failures, &since, &paused, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return h, nil
	}
	h.FailingSince, h.PausedUntil, h.LastSuccess = msTime(since), msTime(paused), msTime(last)
	return h, err
}

// HostHeard records that host is alive (a delivery succeeded or it sent us a signed activity):
// failure counts reset and a pause ends, so its queued deliveries go out again.
func (s *Store) HostHeard(ctx context.Context, host string) error {
	host = strings.ToLower(host)
	failing, err := s.failingHosts.get(ctx, func(ctx context.Context) (map[string]bool, error) {
		return loadSet[string](ctx, s.r, `SELECT host FROM hosts WHERE failures > 0 OR paused_until > 0`)
	})
	if err != nil || !failing[host] {
		return err // the common case: nothing to write
	}
	return s.tx(ctx, func(tx *wtx) error {
		if err := s.hostHeard(ctx, tx, host, s.nowMS()); err != nil {
			return err
		}
		// Deliveries that were pushed far back while the host was down go out now.
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET next_at = ? WHERE host = ? AND next_at > ?`,
			s.nowMS(), host, s.nowMS())
		return err
	})
}

func (s *Store) hostHeard(ctx context.Context, tx *wtx, host string, now int64) error {
	if p := s.failingHosts.v.Load(); p == nil || (*p)[host] { // else the set stays as it is
		tx.AfterCommit(s.failingHosts.reset)
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
func (s *Store) DeliveryQueue(ctx context.Context) ([]QueueStats, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT host, count(*), sum(attempts > 0) FROM deliveries
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

func truncate(s string, n int) string { return sqlite.Truncate(s, n) }

// ReleaseLeases makes every leased delivery and incoming activity due again. The server calls it
// when it starts: leases belong to the process that took them, and a new process means the old
// one is gone (a crash or kill -9), so its work must not wait for the leases to run out.
func (s *Store) ReleaseLeases(ctx context.Context) error {
	return s.tx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET leased_until = 0 WHERE leased_until > 0`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE inbox SET next_at = 0 WHERE done_at = 0 AND next_at > ?`, s.nowMS())
		return err
	})
}
