// Package emojis keeps the custom emojis that other servers' reactions name, and reads a post's
// emoji reactions grouped by emoji, in the store's database.
package emojis

import (
	"context"
	"fmt"

	"roost/store"
	"roost/store/sqlite"
)

// Store reads and writes the emojis of a store's database; it holds no state beyond it.
type Store struct {
	st *store.Store
	db *sqlite.DB
	r  *sqlite.Reader
}

// New returns the emojis kept in st's database, on st's clock.
func New(st *store.Store) *Store {
	return &Store{st: st, db: st.DB(), r: st.DB().Reader()}
}

// Save records the image of the custom emoji shortcode (":name:") on host.
func (s *Store) Save(ctx context.Context, host, shortcode, url string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO remote_emojis (host, shortcode, url, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (host, shortcode) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at`,
			host, shortcode, url, s.st.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("save emoji %s on %s: %w", shortcode, host, err)
		}
		return nil
	})
}

// Reaction is one emoji a post was reacted with: how many reacted so, whether viewer did, and
// the image of a custom emoji ("" for a Unicode one).
type Reaction struct {
	Emoji string // a Unicode emoji, or ":name:"
	Count int
	Me    bool
	URL   string
}

// plainLikes are the reactions that are a plain favourite: Misskey's like button sends a heart.
const plainLikes = `('❤', '❤️', '♥', '♥️')`

// Of lists the emoji reactions to a post, the first given first. A custom emoji is its
// reactor's server's (two servers' :blob: are two emojis), shown with the image that server gave;
// reactions naming a custom emoji whose image is unknown are left out. Plain likes (no emoji, or
// a heart) are favourites, not listed here.
func (s *Store) Of(ctx context.Context, postID, viewerID int64) ([]Reaction, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT l.content, count(*), max(l.account_id = ?), coalesce(e.url, '') AS image
		FROM likes l JOIN accounts a ON a.id = l.account_id
		LEFT JOIN remote_emojis e ON e.host = a.host AND e.shortcode = l.content
		WHERE l.post_id = ? AND l.content != '' AND l.content NOT IN `+plainLikes+`
		GROUP BY l.content, image ORDER BY min(l.id)`, viewerID, postID)
	if err != nil {
		return nil, fmt.Errorf("reactions of %d: %w", postID, err)
	}
	defer rows.Close()
	var out []Reaction
	for rows.Next() {
		var r Reaction
		if err := rows.Scan(&r.Emoji, &r.Count, &r.Me, &r.URL); err != nil {
			return nil, err
		}
		if IsCustom(r.Emoji) && r.URL == "" {
			continue
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReactionOf returns the emoji reaction an account gave a post, and its image when it is a custom
// emoji; ok is false when the account's like of the post is a plain favourite (or there is none).
func (s *Store) ReactionOf(ctx context.Context, accountID, postID int64) (r Reaction, ok bool, err error) {
	rows, err := s.r.QueryContext(ctx, `SELECT l.content, coalesce(e.url, '')
		FROM likes l JOIN accounts a ON a.id = l.account_id
		LEFT JOIN remote_emojis e ON e.host = a.host AND e.shortcode = l.content
		WHERE l.account_id = ? AND l.post_id = ? AND l.content != '' AND l.content NOT IN `+plainLikes,
		accountID, postID)
	if err != nil {
		return r, false, fmt.Errorf("reaction of %d to %d: %w", accountID, postID, err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&r.Emoji, &r.URL); err != nil {
			return r, false, err
		}
		r.Count, ok = 1, !IsCustom(r.Emoji) || r.URL != ""
	}
	return r, ok, rows.Err()
}

// IsCustom reports whether emoji is a custom emoji's shortcode (":name:").
func IsCustom(emoji string) bool {
	return len(emoji) > 2 && emoji[0] == ':' && emoji[len(emoji)-1] == ':'
}
