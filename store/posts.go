package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Visibility values, as Mastodon names them.
const (
	Public   = "public"
	Unlisted = "unlisted"
	Private  = "private" // followers only
	Direct   = "direct"
)

// Post is a status: the owner's or a remote one.
type Post struct {
	ID          int64
	IRI         string
	AccountID   int64
	URL         string
	Type        string
	Visibility  string
	InReplyTo   string // parent IRI
	ReplyToID   int64  // parent's id when stored
	Summary     string
	Sensitive   bool
	Content     string // sanitized HTML
	Source      string
	Language    string
	To          []string
	CC          []string
	Tags        []Tag
	Attachments []Attachment
	Poll        *Poll                      // the post's poll, kept in the extra column
	Quote       string                     // the IRI of the post it quotes, as received, kept in the extra column
	extra       map[string]json.RawMessage // the extra column's other properties, kept as read
	Published   time.Time
	Updated     time.Time
	PinnedAt    time.Time
	DeletedAt   time.Time
	CreatedAt   time.Time
}

// NewPost is what creating one of the owner's posts writes beside its row, in the same
// transaction (CreatePost).
type NewPost struct {
	Mentions    []int64   // the accounts it mentions
	MediaIDs    []int64   // the owner's unattached uploads it attaches
	ScheduledID int64     // the scheduled status it publishes, deleted with its creation
	PollEnds    time.Time // its poll's end, watched from now on
}

// PostChange is what an edit (EditPost) or a received update (UpdatePost) changes beside the row.
type PostChange struct {
	// PollEnds is the poll's end: watched from now on for the owner's poll (EditPost), moved if
	// watched (UpdatePost).
	PollEnds time.Time
	// PollReset: the owner's poll changed its options, and the votes in it go (EditPost only).
	PollReset bool
}

// Tag is a Mention, Hashtag or Emoji of a post.
type Tag struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Href string `json:"href"`
	Icon string `json:"icon,omitempty"`
}

// Attachment is a media attachment of a post.
type Attachment struct {
	Type       string    `json:"type"`
	MediaType  string    `json:"mediaType,omitempty"`
	URL        string    `json:"url"`
	Name       string    `json:"name,omitempty"`
	Blurhash   string    `json:"blurhash,omitempty"`
	Width      int       `json:"width,omitempty"`
	Height     int       `json:"height,omitempty"`
	FocalPoint []float64 `json:"focalPoint,omitempty"`
	PreviewURL string    `json:"previewUrl,omitempty"` // a smaller image for pages, when there is one
}

type recipients struct {
	To []string `json:"to"`
	CC []string `json:"cc"`
}

const postCols = `id, iri, account_id, url, type, visibility, in_reply_to, reply_to_id, summary, sensitive,
	content, source, language, recipients, tags, attachments, extra, published, updated, pinned_at,
	deleted_at, created_at`

func scanPost(row scanner) (*Post, error) {
	var p Post
	var replyTo sql.NullInt64
	var rcpt, tags, atts, extra string
	var published, updated, pinned, deleted, created int64
	err := row.Scan(&p.ID, &p.IRI, &p.AccountID, &p.URL, &p.Type, &p.Visibility, &p.InReplyTo, &replyTo,
		&p.Summary, &p.Sensitive, &p.Content, &p.Source, &p.Language, &rcpt, &tags, &atts, &extra,
		&published, &updated, &pinned, &deleted, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	p.ReplyToID = replyTo.Int64
	var r recipients
	_ = json.Unmarshal([]byte(rcpt), &r)
	p.To, p.CC = r.To, r.CC
	_ = json.Unmarshal([]byte(tags), &p.Tags)
	_ = json.Unmarshal([]byte(atts), &p.Attachments)
	p.decodeExtra(extra)
	p.Published, p.Updated, p.PinnedAt = msTime(published), msTime(updated), msTime(pinned)
	p.DeletedAt, p.CreatedAt = msTime(deleted), msTime(created)
	return &p, nil
}

func scanPosts(rows *sql.Rows, err error) ([]*Post, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PostByID returns a post, including a deleted one (check DeletedAt).
func (s *Store) PostByID(ctx context.Context, id int64) (*Post, error) {
	return scanPost(s.r.QueryRowContext(ctx, `SELECT `+postCols+` FROM posts WHERE id = ?`, id))
}

const postsByIDSQL = `SELECT ` + postCols + ` FROM posts WHERE id IN (SELECT value FROM json_each(?))`

// PostsByID returns the posts with the given IDs (deleted ones included) in one query, keyed by
// ID; IDs with no post are missing from the map.
func (s *Store) PostsByID(ctx context.Context, ids []int64) (map[int64]*Post, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	posts, err := scanPosts(s.r.QueryContext(ctx, postsByIDSQL, string(list)))
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*Post, len(posts))
	for _, p := range posts {
		out[p.ID] = p
	}
	return out, nil
}

// PostByIRI returns the post whose object id is iri, including a deleted one.
func (s *Store) PostByIRI(ctx context.Context, iri string) (*Post, error) {
	return scanPost(s.r.QueryRowContext(ctx, `SELECT `+postCols+` FROM posts WHERE iri = ?`, iri))
}

// insertPost writes p with its hashtags and mentions. A remote post whose time-ordered ID collides
// with another post's gets the next free ID; a local post's ID is never changed, because its IRI
// and activity already carry it.
func (s *Store) insertPost(ctx context.Context, tx *wtx, p *Post, mentions []int64, bump bool) error {
	if p.ReplyToID == 0 && p.InReplyTo != "" {
		_ = tx.QueryRowContext(ctx, `SELECT id FROM posts WHERE iri = ?`, p.InReplyTo).Scan(&p.ReplyToID)
	}
	var replyTo any
	if p.ReplyToID != 0 {
		replyTo = p.ReplyToID
	}
	extra, err := p.encodeExtra()
	if err != nil {
		return err
	}
	rcpt, _ := json.Marshal(recipients{To: p.To, CC: p.CC})
	now := s.nowMS()
	for attempt := 0; ; attempt++ {
		_, err := tx.ExecContext(ctx, `INSERT INTO posts (`+postCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
			p.ID, p.IRI, p.AccountID, p.URL, p.Type, p.Visibility, p.InReplyTo, replyTo, p.Summary, p.Sensitive,
			p.Content, p.Source, p.Language, string(rcpt), jsonText(p.Tags), jsonText(p.Attachments), extra,
			timeMS(p.Published), timeMS(p.Updated), timeMS(p.PinnedAt), now)
		if err != nil && strings.Contains(err.Error(), "posts.id") && bump && attempt < 100 {
			p.ID = p.ID&^0xffff | 0x8000 | (p.ID+1)&0x7fff // stay in the remote half of the millisecond
			continue
		}
		if isUnique(err) {
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("insert post: %w", err)
		}
		break
	}
	p.CreatedAt = msTime(now)
	s.changed(tx, Change{PostAdded, p.ID})
	// Replies stored before their parent (a thread fetched from its leaves up) are linked now.
	if _, err := tx.ExecContext(ctx, `UPDATE posts SET reply_to_id = ? WHERE in_reply_to = ? AND reply_to_id IS NULL`,
		p.ID, p.IRI); err != nil {
		return fmt.Errorf("link replies: %w", err)
	}
	if err := writePostTags(ctx, tx, p); err != nil {
		return err
	}
	if err := indexPost(ctx, tx, p); err != nil {
		return err
	}
	for _, id := range mentions {
		if _, err := tx.ExecContext(ctx, `INSERT INTO post_mentions (post_id, account_id) VALUES (?, ?)
			ON CONFLICT DO NOTHING`, p.ID, id); err != nil {
			return fmt.Errorf("insert mention: %w", err)
		}
	}
	return nil
}

// CreatePost writes one of the owner's posts, what np adds (its mentions, uploads and poll end),
// and its Create activity with every delivery, in one transaction. With np.ScheduledID it
// publishes that scheduled status: the scheduled one is deleted in the same transaction, so it is
// published once, and CreatePost fails with ErrNotFound (wrapped), creating nothing, when it is
// gone (published or cancelled).
func (s *Store) CreatePost(ctx context.Context, p *Post, np NewPost, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		if np.ScheduledID != 0 {
			// First, so that the uploads it reserved are free to attach below.
			if err := deleteScheduled(ctx, tx, np.ScheduledID); err != nil {
				return err
			}
		}
		if err := s.insertPost(ctx, tx, p, np.Mentions, false); err != nil {
			return err
		}
		if !np.PollEnds.IsZero() {
			if err := watchPollEnd(ctx, tx, p.ID, np.PollEnds); err != nil {
				return err
			}
		}
		for _, id := range np.MediaIDs {
			// Only the owner's unattached uploads can be attached, once, and not those a scheduled
			// status reserved.
			res, err := tx.ExecContext(ctx, `UPDATE media SET post_id = ?1 WHERE id = ?2 AND post_id IS NULL
				AND NOT EXISTS (SELECT 1 FROM scheduled_media WHERE media_id = ?2)`, p.ID, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("media %d: %w", id, ErrNotFound)
			}
		}
		return s.enqueue(ctx, tx, out)
	})
}

// InsertRemotePost stores a post that arrived from another server, with the local accounts it
// mentions, and the notices the core decided it gives the owner. Each notice is about p: its
// PostID is set to p's ID once p is written (a remote post's ID moves when another post has the
// same time). It returns ErrConflict when the post is already stored.
func (s *Store) InsertRemotePost(ctx context.Context, p *Post, mentions []int64, notices ...Notice) error {
	return s.tx(ctx, func(tx *wtx) error {
		if err := s.insertPost(ctx, tx, p, mentions, true); err != nil {
			return err
		}
		for i := range notices {
			notices[i].PostID = p.ID
		}
		return s.record(ctx, tx, notices)
	})
}

// UpdatePost replaces the editable parts of a stored post (content, summary, tags, attachments,
// visibility, updated time, and its type when p has one: a poll taken off makes a Question a
// Note), moves the watched end of its poll to ch.PollEnds when it has one, and, for the owner's
// posts, queues the Update activity.
func (s *Store) UpdatePost(ctx context.Context, p *Post, ch PostChange, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error { return s.updatePost(ctx, tx, p, ch.PollEnds, out) })
}

func (s *Store) updatePost(ctx context.Context, tx *wtx, p *Post, pollEnds time.Time, out *Outgoing) error {
	rcpt, _ := json.Marshal(recipients{To: p.To, CC: p.CC})
	extra, err := p.encodeExtra()
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE posts SET summary = ?, sensitive = ?, content = ?, source = ?,
		language = ?, recipients = ?, tags = ?, attachments = ?, extra = ?, updated = ?, url = ?,
		type = coalesce(nullif(?, ''), type)
		WHERE id = ? AND deleted_at = 0`,
		p.Summary, p.Sensitive, p.Content, p.Source, p.Language, string(rcpt), jsonText(p.Tags),
		jsonText(p.Attachments), extra, timeMS(p.Updated), p.URL, p.Type, p.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if err := writePostTags(ctx, tx, p); err != nil {
		return err
	}
	if err := indexPost(ctx, tx, p); err != nil {
		return err
	}
	if !pollEnds.IsZero() {
		if _, err := tx.ExecContext(ctx, `UPDATE poll_ends SET ends_at = ? WHERE post_id = ?`,
			timeMS(pollEnds), p.ID); err != nil {
			return err
		}
	}
	return s.enqueue(ctx, tx, out)
}

// SetPostExtra writes p's extra properties (its poll and quote) and queues outs, the owner's
// activities about it, in the same transaction.
func (s *Store) SetPostExtra(ctx context.Context, p *Post, outs ...*Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		if err := setPostExtra(ctx, tx, p); err != nil {
			return err
		}
		for _, out := range outs {
			if err := s.enqueue(ctx, tx, out); err != nil {
				return err
			}
		}
		return nil
	})
}

func setPostExtra(ctx context.Context, tx *wtx, p *Post) error {
	extra, err := p.encodeExtra()
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE posts SET extra = ? WHERE id = ? AND deleted_at = 0`, extra, p.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeletePost turns a post into a tombstone: its content, tags, likes, boosts and notifications go,
// its row (IRI and ID) stays so the object answers 410 and is never stored again. For the owner's
// posts the Delete activity is queued in the same transaction.
func (s *Store) DeletePost(ctx context.Context, id int64, out *Outgoing) error {
	_, err := s.DeletePostMedia(ctx, id, out)
	return err
}

// DeletePostMedia is DeletePost that also drops the post's uploads from the store and returns
// their file names, for the caller to remove from disk after the commit.
func (s *Store) DeletePostMedia(ctx context.Context, id int64, out *Outgoing) ([]string, error) {
	now := s.nowMS()
	var files []string
	err := s.tx(ctx, func(tx *wtx) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM media WHERE post_id = ? RETURNING name, thumb_name`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var name, thumb string
			if err := rows.Scan(&name, &thumb); err != nil {
				rows.Close()
				return err
			}
			files = append(files, name)
			if thumb != "" {
				files = append(files, thumb)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE posts SET deleted_at = ?, content = '', source = '', summary = '',
			tags = '[]', attachments = '[]', extra = '{}', pinned_at = 0 WHERE id = ? AND deleted_at = 0`, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		for _, q := range []string{
			`DELETE FROM post_tags WHERE post_id = ?`,
			`DELETE FROM post_mentions WHERE post_id = ?`,
			`DELETE FROM likes WHERE post_id = ?`,
			`DELETE FROM boosts WHERE post_id = ?`,
			`DELETE FROM notifications WHERE post_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return s.enqueue(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// Page selects a slice of a time-ordered list: items below MaxID and above MinID or SinceID, at
// most Limit of them, always returned newest first.
type Page struct {
	MaxID   int64
	MinID   int64 // the items just above MinID (Mastodon's min_id)
	SinceID int64 // the newest items above SinceID (Mastodon's since_id)
	Limit   int
}

// Bounds returns the page's limits for a query: IDs below maxID and above minID, at most limit
// rows, in ascending order when asc (the caller reverses them: a page is newest first).
func (p Page) Bounds() (maxID, minID int64, limit int, asc bool) {
	maxID, minID, limit = p.MaxID, max(p.MinID, p.SinceID), p.Limit
	if maxID <= 0 {
		maxID = 1<<63 - 1
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	return maxID, minID, limit, p.MinID > 0
}

// AccountPosts lists an account's posts that are not deleted, newest first. With publicOnly only
// public and unlisted posts are listed.
func (s *Store) AccountPosts(ctx context.Context, accountID int64, publicOnly bool, pg Page) ([]*Post, error) {
	return s.FilteredAccountPosts(ctx, accountID, publicOnly, PostFilter{}, pg)
}

// FilteredAccountPosts is AccountPosts of the posts that pass f.
func (s *Store) FilteredAccountPosts(ctx context.Context, accountID int64, publicOnly bool, f PostFilter, pg Page) ([]*Post, error) {
	maxID, minID, limit, asc := pg.Bounds()
	where, args := f.where("p")
	posts, err := scanPosts(s.r.QueryContext(ctx, accountPostsSQL(publicOnly, where, asc),
		append(append([]any{accountID, maxID, minID}, args...), limit)...))
	if asc {
		reversePosts(posts)
	}
	return posts, err
}

// CountPosts counts an account's live posts (public and unlisted only, with publicOnly).
func (s *Store) CountPosts(ctx context.Context, accountID int64, publicOnly bool) (int, error) {
	col := "posts"
	if publicOnly {
		col = "public_posts"
	}
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT `+col+` FROM account_counts WHERE account_id = ?`, accountID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// PinnedPosts lists an account's pinned posts, most recently pinned first.
func (s *Store) PinnedPosts(ctx context.Context, accountID int64) ([]*Post, error) {
	return scanPosts(s.r.QueryContext(ctx, `SELECT `+postCols+` FROM posts
		WHERE account_id = ? AND pinned_at > 0 AND deleted_at = 0 ORDER BY pinned_at DESC`, accountID))
}

// Replies lists the stored, live replies to the post with IRI iri, oldest first.
func (s *Store) Replies(ctx context.Context, iri string, limit int) ([]*Post, error) {
	return scanPosts(s.r.QueryContext(ctx, `SELECT `+postCols+` FROM posts
		WHERE in_reply_to = ? AND in_reply_to != '' AND deleted_at = 0 ORDER BY id LIMIT ?`, iri, limit))
}

func reversePosts(p []*Post) {
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
}

// PostCounts are the interaction counts of a post, and what one viewer did to it.
type PostCounts struct {
	Replies, Likes, Boosts     int
	Liked, Boosted, Bookmarked bool // by the viewer (Bookmarked: the owner, whose bookmarks they are)
}

// Counts returns how many public replies, likes and boosts Roost knows of for a post.
func (s *Store) Counts(ctx context.Context, p *Post) (PostCounts, error) {
	return s.CountsFor(ctx, p, 0)
}

// CountsFor returns p's counts and, in one query, whether viewerID liked, boosted and (for the
// owner) bookmarked it.
func (s *Store) CountsFor(ctx context.Context, p *Post, viewerID int64) (PostCounts, error) {
	var c PostCounts
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM posts WHERE in_reply_to = ?1 AND in_reply_to != '' AND deleted_at = 0
			AND visibility IN ('public', 'unlisted')),
		(SELECT count(*) FROM likes WHERE post_id = ?2),
		(SELECT count(*) FROM boosts WHERE post_id = ?2),
		EXISTS (SELECT 1 FROM likes WHERE account_id = ?3 AND post_id = ?2),
		EXISTS (SELECT 1 FROM boosts WHERE account_id = ?3 AND post_id = ?2),
		?3 != 0 AND EXISTS (SELECT 1 FROM bookmarks WHERE post_id = ?2)`, p.IRI, p.ID, viewerID).Scan(
		&c.Replies, &c.Likes, &c.Boosts, &c.Liked, &c.Boosted, &c.Bookmarked)
	return c, err
}

// Mentioned reports whether the post mentions the account.
func (s *Store) Mentioned(ctx context.Context, postID, accountID int64) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM post_mentions WHERE post_id = ? AND account_id = ?`,
		postID, accountID).Scan(&n)
	return n > 0, err
}

func ownerAccountID(ctx context.Context, tx *wtx) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE local = 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// SetPinned pins or unpins one of the owner's posts (the featured collection) and queues out (the
// Add or Remove) with it.
func (s *Store) SetPinned(ctx context.Context, id int64, pinned bool, out *Outgoing) error {
	at := int64(0)
	if pinned {
		at = s.nowMS()
	}
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE posts SET pinned_at = ? WHERE id = ? AND deleted_at = 0`, at, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return s.enqueue(ctx, tx, out)
	})
}

// IdempotentPost returns the post created under an Idempotency-Key (kept a day).
func (s *Store) IdempotentPost(ctx context.Context, key string) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT post_id FROM idempotency WHERE key = ? AND created_at > ?`,
		key, s.nowMS()-24*3600*1000).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// SetIdempotentPost remembers the post created under an Idempotency-Key.
func (s *Store) SetIdempotentPost(ctx context.Context, key string, postID int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency WHERE created_at < ?`, s.nowMS()-24*3600*1000); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO idempotency (key, post_id, created_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, key, postID, s.nowMS())
		return err
	})
}

// deleteScheduled deletes the scheduled status a post publishes, in the post's transaction
// (store/scheduled keeps the rest of that table).
func deleteScheduled(ctx context.Context, tx *wtx, id int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM scheduled_statuses WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete scheduled status %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("scheduled status %d: %w", id, ErrNotFound)
	}
	return nil
}
