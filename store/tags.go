package store

import (
	"context"
	"strings"
)

// TagPosts lists an account's live public posts carrying hashtag tag (matched lower-cased, without
// the #), newest first, paged by ID.
func (s *Store) TagPosts(ctx context.Context, accountID int64, tag string, pg Page) ([]*Post, error) {
	maxID, _, limit, _ := pg.Bounds()
	tag = strings.ToLower(strings.TrimPrefix(tag, "#"))
	return scanPosts(s.r.QueryContext(ctx, tagPostsSQL, tag, maxID, accountID, limit))
}

// tagPostsSQL is driven by post_tags' primary key (tag, post_id) walked newest first, so a page
// stops after limit matching rows instead of sorting every post with the tag.
var tagPostsSQL = `SELECT ` + prefixed("p.", postCols) + ` FROM post_tags t JOIN posts p ON p.id = t.post_id
	WHERE t.tag = ? AND t.post_id < ? AND p.account_id = ? AND p.visibility = 'public' AND p.deleted_at = 0
	ORDER BY t.post_id DESC LIMIT ?`

// HashtagTimeline lists live public posts by anyone carrying hashtag tag (lower-cased, without
// the #), newest first, paged by post ID; with accountID not 0, only that account's.
func (s *Store) HashtagTimeline(ctx context.Context, tag string, accountID int64, pg Page) ([]*Post, error) {
	return s.FilteredHashtagTimeline(ctx, tag, PostFilter{Local: accountID != 0, OwnerID: accountID}, pg)
}

// FilteredHashtagTimeline is HashtagTimeline of the posts that pass f.
func (s *Store) FilteredHashtagTimeline(ctx context.Context, tag string, f PostFilter, pg Page) ([]*Post, error) {
	maxID, minID, limit, asc := pg.Bounds()
	tag = strings.ToLower(strings.TrimPrefix(tag, "#"))
	where, args := f.where("p")
	// Driven by post_tags' primary key (tag, post_id), as tagPostsSQL is.
	posts, err := scanPosts(s.r.QueryContext(ctx, `SELECT `+prefixed("p.", postCols)+` FROM post_tags t
		JOIN posts p ON p.id = t.post_id
		WHERE t.tag = ? AND t.post_id < ? AND t.post_id > ? AND p.visibility = 'public' AND p.deleted_at = 0`+where+`
		ORDER BY t.post_id `+order(asc)+` LIMIT ?`, append(append([]any{tag, maxID, minID}, args...), limit)...))
	if asc {
		reversePosts(posts)
	}
	return posts, err
}

// writePostTags replaces the hashtags p is indexed under with those it carries.
func writePostTags(ctx context.Context, tx *wtx, p *Post) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM post_tags WHERE post_id = ?`, p.ID); err != nil {
		return err
	}
	for _, t := range p.Tags {
		if t.Type != "Hashtag" {
			continue
		}
		name := strings.ToLower(strings.TrimPrefix(t.Name, "#"))
		if name == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO post_tags (tag, post_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			name, p.ID); err != nil {
			return err
		}
	}
	return nil
}
