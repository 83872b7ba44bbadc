package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"
)

// Entry is one item of a timeline: a post, or a boost of one (BoostID and BoosterID set).
type Entry struct {
	ID        int64 // the post's ID, or the boost's: what the timeline pages by
	PostID    int64
	BoosterID int64
}

// HomeTimeline lists the owner's home timeline, newest first: their own posts and boosts, and
// those of everyone they follow, less muted accounts (and boosts of them). Direct posts appear only
// when they mention the owner (or are the owner's).
func (s *Store) HomeTimeline(ctx context.Context, ownerID int64, pg Page) ([]Entry, error) {
	maxID, minID, limit, asc := pg.Bounds()
	order := "DESC"
	if asc {
		order = "ASC"
	}
	// Posts and boosts are two walks of two primary keys, each stopping after limit rows, merged
	// here; one UNION ALL ... ORDER BY would make SQLite sort both whole ranges.
	var out []Entry
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{homePostsSQL(order), []any{ownerID, maxID, minID, limit}},
		{homeBoostsSQL(order), []any{ownerID, maxID, minID, limit}},
	} {
		rows, err := s.r.QueryContext(ctx, q.sql, q.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var e Entry
			if err := rows.Scan(&e.ID, &e.PostID, &e.BoosterID); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(b.ID, a.ID) }) // newest first
	if asc {
		out = out[max(0, len(out)-limit):] // the limit entries just above minID
	} else if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// homeBooster is true when boost x is by the owner (?1) or by someone they follow whose boosts
// they show (Mastodon's per-follow "show boosts"), and not by a muted account. It is tested row by
// row with two primary-key lookups: a list of all followed accounts would be built for every page,
// 10,000 rows for a busy owner. Members of an exclusive list are read in that list instead.
func homeBooster(x string) string {
	return `(` + x + `.account_id = ?1 OR EXISTS (SELECT 1 FROM follows f
		WHERE f.follower_id = ?1 AND f.followee_id = ` + x + `.account_id AND f.state = 'accepted'
		  AND f.show_reblogs = 1))
		AND ` + homeNotHidden(x)
}

// homePostsSQL walks posts by primary key in order and stops after limit rows: driving it by
// the (account_id, id) index instead would sort every post of every followed account. Its
// parameters are the owner's ID, the max and min IDs and the limit.
//
// A post shows when it is the owner's; or by someone they follow, in one of the languages the
// owner chose for them (or in no known language), and then a reply only when it answers its own
// author, the owner or someone they follow (a reply whose parent Roost lacks is left out), as
// Mastodon's FeedManager#filter_from_home; or public and carrying a hashtag the owner follows.
func homePostsSQL(order string) string {
	return `SELECT p.id, p.id, 0 FROM posts p
		WHERE p.id < ?2 AND p.id > ?3 AND p.deleted_at = 0 AND ` + homeNotHidden("p") + `
		  AND (p.account_id = ?1
		    OR (` + homeFollowedInLanguage("p") + `
		      AND (p.visibility != 'direct'
		        OR EXISTS (SELECT 1 FROM post_mentions pm WHERE pm.post_id = p.id AND pm.account_id = ?1))
		      AND (p.in_reply_to = '' OR EXISTS (SELECT 1 FROM posts pp WHERE pp.id = p.reply_to_id
		        AND (pp.account_id IN (p.account_id, ?1) OR ` + homeFollowed("pp") + `))))
		    OR (p.visibility = 'public' AND EXISTS (SELECT 1 FROM post_tags t JOIN followed_tags ft ON ft.name = t.tag
		      WHERE t.post_id = p.id)))
		ORDER BY p.id ` + order + ` LIMIT ?4`
}

// homeFollowed is true when x's author is followed by the owner (?1), accepted.
func homeFollowed(x string) string {
	return `EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ?1 AND f.followee_id = ` + x + `.account_id
		AND f.state = 'accepted')`
}

// homeFollowedInLanguage is homeFollowed for post x, when x's language is one the owner chose
// for its author, or unknown. A chosen "pt" takes "pt-BR" too; the codes are checked when chosen
// (no LIKE wildcards in them).
func homeFollowedInLanguage(x string) string {
	return `EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ?1 AND f.followee_id = ` + x + `.account_id
		AND f.state = 'accepted' AND ` + InFollowLanguages(x, "f") + `)`
}

// InFollowLanguages is SQL that is true when post x is in one of the languages chosen on
// follow f (a row of follows), or in no known language, or f chose none (every language).
func InFollowLanguages(x, f string) string {
	return `(` + f + `.languages IS NULL OR ` + x + `.language = ''
		OR EXISTS (SELECT 1 FROM json_each(` + f + `.languages) lang
		  WHERE ` + x + `.language LIKE lang.value OR ` + x + `.language LIKE lang.value || '-%'))`
}

// homeNotHidden is true unless x's author is muted or in an exclusive list.
func homeNotHidden(x string) string {
	return `NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = ` + x + `.account_id)
		AND NOT EXISTS (SELECT 1 FROM list_accounts la JOIN lists l ON l.id = la.list_id
			WHERE la.account_id = ` + x + `.account_id AND l.exclusive = 1)`
}

// homeBoostsSQL walks boosts the same way, skipping boosts of muted accounts' posts and those of
// accounts whose boosts the owner hides.
func homeBoostsSQL(order string) string {
	return `SELECT b.id, b.post_id, b.account_id FROM boosts b
		WHERE b.id < ?2 AND b.id > ?3 AND ` + homeBooster("b") + `
		  AND NOT EXISTS (SELECT 1 FROM posts p2 JOIN mutes m2 ON m2.account_id = p2.account_id WHERE p2.id = b.post_id)
		ORDER BY b.id ` + order + ` LIMIT ?4`
}

// UnreadNotifications counts notifications the owner has not seen.
func (s *Store) UnreadNotifications(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE read = 0`).Scan(&n)
	return n, err
}

// MarkNotificationsRead marks every notification up to and including id as read.
func (s *Store) MarkNotificationsRead(ctx context.Context, upTo int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET read = 1 WHERE id <= ? AND read = 0`, upTo)
		return err
	})
}

// PublicTimeline lists stored public posts, newest first: only the owner's with local, else
// everyone's Roost knows.
func (s *Store) PublicTimeline(ctx context.Context, local bool, ownerID int64, pg Page) ([]*Post, error) {
	return s.FilteredPublicTimeline(ctx, PostFilter{Local: local, OwnerID: ownerID}, pg)
}

// FilteredPublicTimeline is PublicTimeline of the posts that pass f.
func (s *Store) FilteredPublicTimeline(ctx context.Context, f PostFilter, pg Page) ([]*Post, error) {
	maxID, minID, limit, asc := pg.Bounds()
	where, args := f.where("p")
	posts, err := scanPosts(s.r.QueryContext(ctx, publicPostsSQL(where, asc),
		append(append([]any{maxID, minID}, args...), limit)...))
	if asc {
		reversePosts(posts)
	}
	return posts, err
}

// Marker is a client's saved reading position in a timeline.
type Marker struct {
	Timeline   string
	LastReadID string
	Version    int
	UpdatedAt  time.Time
}

// Marker returns the saved position in a timeline ("home" or "notifications").
func (s *Store) Marker(ctx context.Context, timeline string) (*Marker, error) {
	m := Marker{Timeline: timeline}
	var updated int64
	err := s.r.QueryRowContext(ctx, `SELECT last_read_id, version, updated_at FROM markers WHERE timeline = ?`,
		timeline).Scan(&m.LastReadID, &m.Version, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	m.UpdatedAt = msTime(updated)
	return &m, err
}

// SetMarker saves a reading position, bumping its version.
func (s *Store) SetMarker(ctx context.Context, timeline, lastReadID string) (*Marker, error) {
	err := s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO markers (timeline, last_read_id, version, updated_at) VALUES (?, ?, 1, ?)
			ON CONFLICT (timeline) DO UPDATE SET last_read_id = excluded.last_read_id, version = version + 1,
			updated_at = excluded.updated_at`, timeline, lastReadID, s.nowMS())
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Marker(ctx, timeline)
}

// PostItem is a post in a list paged by something other than the post's ID: Cursor is the like's
// ID, or the bookmark's time in milliseconds.
type PostItem struct {
	Cursor int64
	Post   *Post
}

// AccountItem is an account in a list paged by Cursor: a like's, boost's or follow's ID, or a
// block's or mute's time in milliseconds.
type AccountItem struct {
	Cursor  int64
	Account *Account
}

func order(asc bool) string {
	if asc {
		return "ASC"
	}
	return "DESC"
}

func (s *Store) postItems(ctx context.Context, asc bool, query string, args ...any) ([]PostItem, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PostItem
	for rows.Next() {
		var it PostItem
		if it.Post, err = scanPost(multiScanner{rows, []any{&it.Cursor}}); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	if asc {
		slices.Reverse(out)
	}
	return out, rows.Err()
}

func (s *Store) accountItems(ctx context.Context, asc bool, query string, args ...any) ([]AccountItem, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AccountItem
	for rows.Next() {
		var it AccountItem
		if it.Account, err = scanAccount(multiScanner{rows, []any{&it.Cursor}}); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	if asc {
		slices.Reverse(out)
	}
	return out, rows.Err()
}

// AccountItems runs query, whose columns are a cursor then AccountColumns, and returns its
// accounts; with asc (the query walked up) they are reversed to come newest first.
func (s *Store) AccountItems(ctx context.Context, asc bool, query string, args ...any) ([]AccountItem, error) {
	return s.accountItems(ctx, asc, query, args...)
}

// AccountColumns is the account columns AccountItems scans, each with prefix ("a.").
func AccountColumns(prefix string) string { return prefixed(prefix, accountCols) }
