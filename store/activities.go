package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
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
