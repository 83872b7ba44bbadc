// Package followedtags keeps the hashtags the owner follows (Mastodon's followed tags) in the
// store's database; the home timeline (store.HomeTimeline) reads the same table.
package followedtags

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"roost/store"
	"roost/store/sqlite"
)

// Tag is a followed hashtag.
type Tag struct {
	ID        int64
	Name      string // lower-cased, without the #
	CreatedAt time.Time
}

// Store reads and writes the followed tags of a store's database. It holds no state of its own
// beyond the store it was made from.
type Store struct {
	st *store.Store
	db *sqlite.DB
	r  *sqlite.Reader
}

// New returns the followed tags kept in st's database, on st's clock.
func New(st *store.Store) *Store {
	return &Store{st: st, db: st.DB(), r: st.DB().Reader()}
}

// Normalize is the form a tag is kept and matched in: lower-cased, without the #.
func Normalize(name string) string { return strings.ToLower(strings.TrimPrefix(name, "#")) }

// Follow follows a tag; following one already followed changes nothing.
func (s *Store) Follow(ctx context.Context, name string) error {
	name = Normalize(name)
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO followed_tags (id, name, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO NOTHING`, s.st.NewID(), name, s.st.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("follow tag %s: %w", name, err)
		}
		return nil
	})
}

// Unfollow stops following a tag; unfollowing one not followed changes nothing.
func (s *Store) Unfollow(ctx context.Context, name string) error {
	name = Normalize(name)
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM followed_tags WHERE name = ?`, name); err != nil {
			return fmt.Errorf("unfollow tag %s: %w", name, err)
		}
		return nil
	})
}

// Following reports whether the owner follows tag.
func (s *Store) Following(ctx context.Context, name string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM followed_tags WHERE name = ?`, Normalize(name)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// AnyFollowed reports whether any of names (hashtags, with or without #) is followed.
func (s *Store) AnyFollowed(ctx context.Context, names []string) (bool, error) {
	for _, n := range names {
		if ok, err := s.Following(ctx, n); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// List returns the followed tags, newest first, paged by their IDs.
func (s *Store) List(ctx context.Context, pg store.Page) ([]Tag, error) {
	maxID, minID, limit, asc := pg.Bounds()
	order := "DESC"
	if asc {
		order = "ASC"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, created_at FROM followed_tags
		WHERE id < ? AND id > ? ORDER BY id `+order+` LIMIT ?`, maxID, minID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Tag
	for rows.Next() {
		var t Tag
		var created int64
		if err := rows.Scan(&t.ID, &t.Name, &created); err != nil {
			return nil, err
		}
		t.CreatedAt = sqlite.Time(created)
		out = append(out, t)
	}
	if asc {
		slices.Reverse(out)
	}
	return out, rows.Err()
}
