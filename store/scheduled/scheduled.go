// Package scheduled keeps the owner's scheduled statuses in the store's database: Mastodon's
// rules for when and how many, the uploads each reserves, and what falls due for the publisher.
// Publishing one is the store's CreatePost with NewPost.ScheduledID, which deletes it in the post's
// transaction, so it is published once.
package scheduled

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"roost/store"
	"roost/store/sqlite"
	"time"
)

// Mastodon's rules for scheduled statuses (app/models/scheduled_status.rb): a time at least
// ScheduleMinOffset ahead, at most ScheduledTotalLimit waiting, ScheduledDailyLimit of them on
// one UTC day.
const (
	ScheduleMinOffset   = 5 * time.Minute
	ScheduledTotalLimit = 300
	ScheduledDailyLimit = 25
)

// Errors of CreateScheduled and RescheduleScheduled, which the client API answers with 422. Their
// text is Mastodon's message for the client.
var (
	ErrScheduleTooSoon     = errors.New("must be at least 5 minutes in the future")
	ErrScheduledTotalLimit = fmt.Errorf("You have exceeded the limit of %d scheduled posts", ScheduledTotalLimit)
	ErrScheduledDailyLimit = fmt.Errorf("You have exceeded the limit of %d scheduled posts for today", ScheduledDailyLimit)
)

// Scheduled is one of the owner's posts waiting to be published at ScheduledAt.
type Scheduled struct {
	ID          int64 // time-ordered, from the creation time; set by CreateScheduled
	ScheduledAt time.Time
	DueAt       time.Time // when the publisher tries it next: ScheduledAt, later after DeferScheduled
	Params      ScheduledParams
	CreatedAt   time.Time
}

// ScheduledParams is what the post will be, as the owner wrote it; the post is made from it
// (mentions resolved, Markdown rendered) when it is published.
type ScheduledParams struct {
	Text        string         `json:"text"`
	SpoilerText string         `json:"spoiler_text,omitempty"`
	Visibility  string         `json:"visibility,omitempty"` // "" for the default
	Sensitive   bool           `json:"sensitive,omitempty"`
	Language    string         `json:"language,omitempty"`
	InReplyToID string         `json:"in_reply_to_id,omitempty"` // the parent post's ID (or IRI)
	Poll        *ScheduledPoll `json:"poll,omitempty"`
	MediaIDs    []int64        `json:"media_ids,omitempty"` // the owner's uploads, reserved until published
	Idempotency string         `json:"idempotency,omitempty"`
	AppID       int64          `json:"application_id,omitempty"` // the OAuth app that scheduled it
	AppName     string         `json:"application_name,omitempty"`
}

// ScheduledPoll is the poll a scheduled status will carry; it runs for ExpiresIn from the
// publication.
type ScheduledPoll struct {
	Options    []string `json:"options"`
	ExpiresIn  int64    `json:"expires_in"` // seconds
	Multiple   bool     `json:"multiple,omitempty"`
	HideTotals bool     `json:"hide_totals,omitempty"`
}

// Store reads and writes the scheduled statuses of a store's database. It holds no state of its
// own beyond the store it was made from, so any number may be made from one store.
type Store struct {
	st *store.Store
	db *sqlite.DB
	r  *sqlite.Reader
}

// New returns the scheduled statuses kept in st's database, on st's clock.
func New(st *store.Store) *Store {
	return &Store{st: st, db: st.DB(), r: st.DB().Reader()}
}

const scheduledCols = `id, scheduled_at, due_at, params, created_at`

func scanScheduled(row sqlite.Scanner) (*Scheduled, error) {
	var sc Scheduled
	var at, due, created int64
	var params string
	err := row.Scan(&sc.ID, &at, &due, &params, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &sc.Params); err != nil {
		return nil, fmt.Errorf("scheduled status %d: params: %w", sc.ID, err)
	}
	sc.ScheduledAt, sc.DueAt, sc.CreatedAt = sqlite.Time(at), sqlite.Time(due), sqlite.Time(created)
	return &sc, nil
}

// checkSchedule applies Mastodon's rules to a status scheduled at at, leaving out the scheduled
// status self (0 for a new one) from the counts.
func (s *Store) checkSchedule(ctx context.Context, tx *sqlite.Tx, self int64, at time.Time) error {
	if !at.After(s.st.Now().Add(ScheduleMinOffset)) {
		return ErrScheduleTooSoon
	}
	day := at.UTC().Truncate(24 * time.Hour) // Unix days are UTC days
	var total, daily int
	err := tx.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE scheduled_at >= ? AND scheduled_at < ?)
		FROM scheduled_statuses WHERE id != ?`, day.UnixMilli(), day.Add(24*time.Hour).UnixMilli(), self).Scan(&total, &daily)
	switch {
	case err != nil:
		return fmt.Errorf("count scheduled statuses: %w", err)
	case total >= ScheduledTotalLimit:
		return ErrScheduledTotalLimit
	case daily >= ScheduledDailyLimit:
		return ErrScheduledDailyLimit
	}
	return nil
}

// CreateScheduled stores a status to publish at sc.ScheduledAt and reserves its uploads for it. It
// fails with ErrScheduleTooSoon, ErrScheduledTotalLimit or ErrScheduledDailyLimit when Mastodon's
// rules refuse it, and with store.ErrNotFound (wrapped) when an upload is not an unattached,
// unreserved one. When a waiting status was scheduled with the same Params.Idempotency, nothing
// is stored and sc is filled with that one, as Mastodon answers a repeated request.
func (s *Store) CreateScheduled(ctx context.Context, sc *Scheduled) error {
	params, err := json.Marshal(sc.Params)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		if key := sc.Params.Idempotency; key != "" {
			prev, err := scanScheduled(tx.QueryRowContext(ctx, `SELECT `+scheduledCols+` FROM scheduled_statuses
				WHERE params ->> '$.idempotency' = ?`, key))
			if err == nil {
				*sc = *prev
				return nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if err := s.checkSchedule(ctx, tx, 0, sc.ScheduledAt); err != nil {
			return err
		}
		if sc.ID == 0 {
			sc.ID = s.st.NewID()
		}
		now := s.st.Now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `INSERT INTO scheduled_statuses (`+scheduledCols+`) VALUES (?, ?, ?, ?, ?)`,
			sc.ID, sqlite.MS(sc.ScheduledAt), sqlite.MS(sc.ScheduledAt), string(params), now); err != nil {
			if sqlite.IsUnique(err) {
				return store.ErrConflict
			}
			return fmt.Errorf("insert scheduled status: %w", err)
		}
		for i, id := range sc.Params.MediaIDs {
			res, err := tx.ExecContext(ctx, `INSERT INTO scheduled_media (media_id, scheduled_id, position)
				SELECT id, ?, ? FROM media WHERE id = ? AND post_id IS NULL ON CONFLICT DO NOTHING`, sc.ID, i, id)
			if err != nil {
				return fmt.Errorf("reserve media %d: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("media %d: %w", id, store.ErrNotFound)
			}
		}
		sc.DueAt, sc.CreatedAt = sc.ScheduledAt, sqlite.Time(now)
		return nil
	})
}

// ScheduledByID returns a waiting scheduled status.
func (s *Store) ScheduledByID(ctx context.Context, id int64) (*Scheduled, error) {
	return scanScheduled(s.r.QueryRowContext(ctx, `SELECT `+scheduledCols+` FROM scheduled_statuses WHERE id = ?`, id))
}

// ListScheduled lists the waiting scheduled statuses by ID (their creation), newest first, a page
// at a time as Mastodon's GET /api/v1/scheduled_statuses does.
func (s *Store) ListScheduled(ctx context.Context, pg store.Page) ([]*Scheduled, error) {
	maxID, minID, limit, asc := pg.Bounds()
	order := "DESC"
	if asc {
		order = "ASC"
	}
	out, err := s.queryScheduled(ctx, `SELECT `+scheduledCols+` FROM scheduled_statuses
		WHERE id < ? AND id > ? ORDER BY id `+order+` LIMIT ?`, maxID, minID, limit)
	if asc {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, err
}

func (s *Store) queryScheduled(ctx context.Context, query string, args ...any) ([]*Scheduled, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Scheduled
	for rows.Next() {
		sc, err := scanScheduled(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// RescheduleScheduled moves a waiting scheduled status to at, under the rules of
// CreateScheduled (the status itself left out of the limits).
func (s *Store) RescheduleScheduled(ctx context.Context, id int64, at time.Time) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM scheduled_statuses WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		if err := s.checkSchedule(ctx, tx, id, at); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE scheduled_statuses SET scheduled_at = ?, due_at = ? WHERE id = ?`,
			sqlite.MS(at), sqlite.MS(at), id)
		return err
	})
}

// DeleteScheduled cancels a waiting scheduled status; its uploads become unattached ones again.
func (s *Store) DeleteScheduled(ctx context.Context, id int64) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM scheduled_statuses WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete scheduled status %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("scheduled status %d: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

// DueScheduled returns up to limit scheduled statuses due by now, earliest first, for the
// publisher. Each is published by CreatePost with NewPost.ScheduledID set, which deletes it in the
// post's transaction: a crash before that commit leaves it due, one after leaves it gone, so it
// is published once.
func (s *Store) DueScheduled(ctx context.Context, now time.Time, limit int) ([]*Scheduled, error) {
	return s.queryScheduled(ctx, `SELECT `+scheduledCols+` FROM scheduled_statuses WHERE due_at <= ?
		ORDER BY due_at, id LIMIT ?`, sqlite.MS(now), limit)
}

// DeferScheduled makes a due scheduled status due again at (after an attempt to publish it failed
// for a reason that may pass), leaving the time the owner sees unchanged.
func (s *Store) DeferScheduled(ctx context.Context, id int64, at time.Time) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE scheduled_statuses SET due_at = ? WHERE id = ?`, sqlite.MS(at), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// NextScheduledAt returns when the earliest scheduled status is due, or the zero time when none
// waits: the publisher's timer.
func (s *Store) NextScheduledAt(ctx context.Context) (time.Time, error) {
	var ms int64
	err := s.r.QueryRowContext(ctx, `SELECT due_at FROM scheduled_statuses ORDER BY due_at LIMIT 1`).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(ms), nil
}
