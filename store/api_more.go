package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Queries of the Mastodon client API's lists (favourites, bookmarks, who liked or boosted a post,
// blocks, mutes, hashtag timelines, direct conversations) and its filters.

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

// Favourites lists the live posts accountID liked, most recently liked first, paged by like ID.
func (s *Store) Favourites(ctx context.Context, accountID int64, pg Page) ([]PostItem, error) {
	maxID, minID, limit, asc := pg.bounds()
	return s.postItems(ctx, asc, `SELECT l.id, `+prefixed("p.", postCols)+` FROM likes l
		JOIN posts p ON p.id = l.post_id
		WHERE l.account_id = ? AND l.id < ? AND l.id > ? AND p.deleted_at = 0
		ORDER BY l.id `+order(asc)+` LIMIT ?`, accountID, maxID, minID, limit)
}

// BookmarkItems lists bookmarked live posts, most recently bookmarked first, paged by the
// bookmark's time in milliseconds.
func (s *Store) BookmarkItems(ctx context.Context, pg Page) ([]PostItem, error) {
	maxID, minID, limit, asc := pg.bounds()
	return s.postItems(ctx, asc, `SELECT b.created_at, `+prefixed("p.", postCols)+` FROM bookmarks b
		JOIN posts p ON p.id = b.post_id
		WHERE b.created_at < ? AND b.created_at > ? AND p.deleted_at = 0
		ORDER BY b.created_at `+order(asc)+`, b.post_id `+order(asc)+` LIMIT ?`, maxID, minID, limit)
}

// Likers lists the accounts that liked a post, most recent first, paged by like ID.
func (s *Store) Likers(ctx context.Context, postID int64, pg Page) ([]AccountItem, error) {
	return s.reactors(ctx, "likes", postID, pg)
}

// Boosters lists the accounts that boosted a post, most recent first, paged by boost ID.
func (s *Store) Boosters(ctx context.Context, postID int64, pg Page) ([]AccountItem, error) {
	return s.reactors(ctx, "boosts", postID, pg)
}

func (s *Store) reactors(ctx context.Context, table string, postID int64, pg Page) ([]AccountItem, error) {
	maxID, minID, limit, asc := pg.bounds()
	return s.accountItems(ctx, asc, `SELECT r.id, `+prefixed("a.", accountCols)+` FROM `+table+` r
		JOIN accounts a ON a.id = r.account_id
		WHERE r.post_id = ? AND r.id < ? AND r.id > ?
		ORDER BY r.id `+order(asc)+` LIMIT ?`, postID, maxID, minID, limit)
}

// BlockedAccounts lists the accounts the owner blocks, most recent first, paged by the block's
// time in milliseconds.
func (s *Store) BlockedAccounts(ctx context.Context, pg Page) ([]AccountItem, error) {
	maxID, minID, limit, asc := pg.bounds()
	return s.accountItems(ctx, asc, `SELECT b.created_at, `+prefixed("a.", accountCols)+` FROM blocks b
		JOIN accounts a ON a.id = b.account_id
		WHERE b.by_owner = 1 AND b.created_at < ? AND b.created_at > ?
		ORDER BY b.created_at `+order(asc)+`, b.account_id `+order(asc)+` LIMIT ?`, maxID, minID, limit)
}

// MutedAccounts lists the accounts the owner mutes, most recent first, paged by the mute's time
// in milliseconds.
func (s *Store) MutedAccounts(ctx context.Context, pg Page) ([]AccountItem, error) {
	maxID, minID, limit, asc := pg.bounds()
	return s.accountItems(ctx, asc, `SELECT m.created_at, `+prefixed("a.", accountCols)+` FROM mutes m
		JOIN accounts a ON a.id = m.account_id
		WHERE m.created_at < ? AND m.created_at > ?
		ORDER BY m.created_at `+order(asc)+`, m.account_id `+order(asc)+` LIMIT ?`, maxID, minID, limit)
}

// HashtagTimeline lists live public posts by anyone carrying hashtag tag (lower-cased, without
// the #), newest first, paged by post ID; with accountID not 0, only that account's.
func (s *Store) HashtagTimeline(ctx context.Context, tag string, accountID int64, pg Page) ([]*Post, error) {
	maxID, minID, limit, asc := pg.bounds()
	tag = strings.ToLower(strings.TrimPrefix(tag, "#"))
	// Driven by post_tags' primary key (tag, post_id), as tagPostsSQL is.
	posts, err := scanPosts(s.r.QueryContext(ctx, `SELECT `+prefixed("p.", postCols)+` FROM post_tags t
		JOIN posts p ON p.id = t.post_id
		WHERE t.tag = ? AND t.post_id < ? AND t.post_id > ? AND (? = 0 OR p.account_id = ?)
		  AND p.visibility = 'public' AND p.deleted_at = 0
		ORDER BY t.post_id `+order(asc)+` LIMIT ?`, tag, maxID, minID, accountID, accountID, limit))
	if asc {
		reversePosts(posts)
	}
	return posts, err
}

// DirectPosts lists the newest limit live direct posts ownerID wrote or is mentioned in, newest
// first.
func (s *Store) DirectPosts(ctx context.Context, ownerID int64, limit int) ([]*Post, error) {
	return scanPosts(s.r.QueryContext(ctx, `SELECT `+postCols+` FROM posts p
		WHERE p.visibility = 'direct' AND p.deleted_at = 0
		  AND (p.account_id = ? OR EXISTS (SELECT 1 FROM post_mentions m WHERE m.post_id = p.id AND m.account_id = ?))
		ORDER BY p.id DESC LIMIT ?`, ownerID, ownerID, limit))
}

// HideConversation hides the direct thread rooted at rootID until a status newer than
// lastStatusID arrives in it.
func (s *Store) HideConversation(ctx context.Context, rootID, lastStatusID int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO hidden_conversations (root_id, last_status_id, created_at)
			VALUES (?, ?, ?) ON CONFLICT (root_id) DO UPDATE SET last_status_id = excluded.last_status_id`,
			rootID, lastStatusID, s.nowMS())
		return err
	})
}

// HiddenConversations maps the roots of hidden direct threads to the last status they had when
// hidden.
func (s *Store) HiddenConversations(ctx context.Context) (map[int64]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT root_id, last_status_id FROM hidden_conversations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var root, last int64
		if err := rows.Scan(&root, &last); err != nil {
			return nil, err
		}
		out[root] = last
	}
	return out, rows.Err()
}

// Filter is one of the owner's content filters: statuses whose text has one of its keywords are
// hidden or shown behind a warning in its contexts.
type Filter struct {
	ID        int64
	Title     string
	Context   []string // home, notifications, public, thread, account
	Action    string   // warn or hide
	ExpiresAt time.Time
	CreatedAt time.Time
	Keywords  []FilterKeyword
}

// FilterKeyword is a word or phrase of a filter.
type FilterKeyword struct {
	ID        int64
	Keyword   string
	WholeWord bool
}

// Filters lists the owner's filters, oldest first, with their keywords.
func (s *Store) Filters(ctx context.Context) ([]*Filter, error) {
	return s.filters(ctx, 0)
}

// FilterByID returns one filter with its keywords.
func (s *Store) FilterByID(ctx context.Context, id int64) (*Filter, error) {
	l, err := s.filters(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, ErrNotFound
	}
	return l[0], nil
}

func (s *Store) filters(ctx context.Context, id int64) ([]*Filter, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT f.id, f.title, f.context, f.action, f.expires_at, f.created_at,
		ifnull(k.id, 0), ifnull(k.keyword, ''), ifnull(k.whole_word, 0)
		FROM filters f LEFT JOIN filter_keywords k ON k.filter_id = f.id
		WHERE ? = 0 OR f.id = ? ORDER BY f.id, k.id`, id, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Filter
	for rows.Next() {
		var f Filter
		var ctxJSON string
		var expires, created int64
		var k FilterKeyword
		if err := rows.Scan(&f.ID, &f.Title, &ctxJSON, &f.Action, &expires, &created, &k.ID, &k.Keyword,
			&k.WholeWord); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != f.ID {
			_ = json.Unmarshal([]byte(ctxJSON), &f.Context)
			f.ExpiresAt, f.CreatedAt = msTime(expires), msTime(created)
			out = append(out, &f)
		}
		if k.ID != 0 {
			last := out[len(out)-1]
			last.Keywords = append(last.Keywords, k)
		}
	}
	return out, rows.Err()
}

// SaveFilter creates f (ID 0) or replaces it: its keywords become f.Keywords exactly, those with
// an ID updated, those without added, the others deleted. New IDs are set on f.
func (s *Store) SaveFilter(ctx context.Context, f *Filter) error {
	ctxJSON := jsonText(f.Context)
	if f.Context == nil {
		ctxJSON = "[]"
	}
	return s.tx(ctx, func(tx *wtx) error {
		if f.ID == 0 {
			f.ID = s.NewID()
			f.CreatedAt = msTime(s.nowMS())
			if _, err := tx.ExecContext(ctx, `INSERT INTO filters (id, title, context, action, expires_at, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, f.ID, f.Title, ctxJSON, f.Action, timeMS(f.ExpiresAt), timeMS(f.CreatedAt)); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE filters SET title = ?, context = ?, action = ?, expires_at = ?
				WHERE id = ?`, f.Title, ctxJSON, f.Action, timeMS(f.ExpiresAt), f.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrNotFound
			}
		}
		var keep []any
		for i := range f.Keywords {
			k := &f.Keywords[i]
			if k.ID != 0 {
				res, err := tx.ExecContext(ctx, `UPDATE filter_keywords SET keyword = ?, whole_word = ?
					WHERE id = ? AND filter_id = ?`, k.Keyword, k.WholeWord, k.ID, f.ID)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return ErrNotFound
				}
			} else {
				k.ID = s.NewID()
				if _, err := tx.ExecContext(ctx, `INSERT INTO filter_keywords (id, filter_id, keyword, whole_word)
					VALUES (?, ?, ?, ?)`, k.ID, f.ID, k.Keyword, k.WholeWord); err != nil {
					return err
				}
			}
			keep = append(keep, k.ID)
		}
		q := `DELETE FROM filter_keywords WHERE filter_id = ?`
		if len(keep) > 0 {
			q += ` AND id NOT IN (?` + strings.Repeat(", ?", len(keep)-1) + `)`
		}
		_, err := tx.ExecContext(ctx, q, append([]any{f.ID}, keep...)...)
		return err
	})
}

// DeleteFilter deletes a filter and its keywords.
func (s *Store) DeleteFilter(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM filters WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}
