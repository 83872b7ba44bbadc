package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Mute hides an account's posts from the owner's timelines without telling them.
func (s *Store) Mute(ctx context.Context, accountID int64, on bool) error {
	return s.tx(ctx, func(tx *wtx) error {
		if !on {
			_, err := tx.ExecContext(ctx, `DELETE FROM mutes WHERE account_id = ?`, accountID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO mutes (account_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			accountID, s.nowMS())
		return err
	})
}

// Muted reports whether the owner muted the account.
func (s *Store) Muted(ctx context.Context, accountID int64) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM mutes WHERE account_id = ?`, accountID).Scan(&n)
	return n > 0, err
}

// Bookmark adds or removes a bookmark of the owner's.
func (s *Store) Bookmark(ctx context.Context, postID int64, on bool) error {
	return s.tx(ctx, func(tx *wtx) error {
		if !on {
			_, err := tx.ExecContext(ctx, `DELETE FROM bookmarks WHERE post_id = ?`, postID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO bookmarks (post_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			postID, s.nowMS())
		return err
	})
}

// Bookmarked reports whether the owner bookmarked the post.
func (s *Store) Bookmarked(ctx context.Context, postID int64) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM bookmarks WHERE post_id = ?`, postID).Scan(&n)
	return n > 0, err
}

// Bookmarks lists bookmarked posts, most recently bookmarked first; the page bounds apply to
// the bookmark time in milliseconds.
func (s *Store) Bookmarks(ctx context.Context, pg Page) ([]*Post, error) {
	maxID, minID, limit, _ := pg.bounds()
	return scanPosts(s.r.QueryContext(ctx, `SELECT `+prefixed("p.", postCols)+` FROM bookmarks b
		JOIN posts p ON p.id = b.post_id WHERE b.created_at < ? AND b.created_at > ? AND p.deleted_at = 0
		ORDER BY b.created_at DESC LIMIT ?`, maxID, minID, limit))
}

// Edit is an earlier version of an edited post.
type Edit struct {
	Summary   string
	Content   string
	Source    string
	CreatedAt time.Time
}

// EditPost saves a new version of one of the owner's posts: the current version goes into the
// history, the post takes p's content, and out (the Update) is queued, in one transaction.
func (s *Store) EditPost(ctx context.Context, p *Post, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		var summary, content, source string
		var published, updated int64
		err := tx.QueryRowContext(ctx, `SELECT summary, content, source, published, updated FROM posts
			WHERE id = ? AND deleted_at = 0`, p.ID).Scan(&summary, &content, &source, &published, &updated)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		written := updated
		if written == 0 {
			written = published
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO post_edits (id, post_id, summary, content, source, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, s.NewID(), p.ID, summary, content, source, written); err != nil {
			return err
		}
		if p.PollReset {
			if _, err := tx.ExecContext(ctx, `DELETE FROM poll_votes WHERE post_id = ?`, p.ID); err != nil {
				return err
			}
		}
		if !p.PollEnds.IsZero() {
			if err := watchPollEnd(ctx, tx, p.ID, p.PollEnds); err != nil {
				return err
			}
		}
		return s.updatePost(ctx, tx, p, out)
	})
}

// Edits returns the earlier versions of a post, oldest first.
func (s *Store) Edits(ctx context.Context, postID int64) ([]Edit, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT summary, content, source, created_at FROM post_edits
		WHERE post_id = ? ORDER BY id`, postID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Edit
	for rows.Next() {
		var e Edit
		var created int64
		if err := rows.Scan(&e.Summary, &e.Content, &e.Source, &created); err != nil {
			return nil, err
		}
		e.CreatedAt = msTime(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Media is a file the owner uploaded: the stored (cleaned, bounded) image and its thumbnail.
type Media struct {
	ID          int64
	Name        string // file name of the full-size image in the media folder
	ThumbName   string // file name of the thumbnail ("" when the image is small enough)
	MediaType   string
	Size        int64
	Width       int
	Height      int
	Description string // alt text
	Blurhash    string
	FocusX      float64 // -1..1, Mastodon's focal point
	FocusY      float64
	PostID      int64 // the post it is attached to, 0 while unattached
	CreatedAt   time.Time
}

const mediaCols = `id, name, thumb_name, media_type, size, width, height, description, blurhash, focus_x, focus_y,
	ifnull(post_id, 0), created_at`

func scanMedia(row scanner) (*Media, error) {
	var m Media
	var created int64
	err := row.Scan(&m.ID, &m.Name, &m.ThumbName, &m.MediaType, &m.Size, &m.Width, &m.Height, &m.Description,
		&m.Blurhash, &m.FocusX, &m.FocusY, &m.PostID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	m.CreatedAt = msTime(created)
	return &m, err
}

// AddMedia records an uploaded file (already written under its name in the media folder).
func (s *Store) AddMedia(ctx context.Context, m *Media) error {
	if m.ID == 0 {
		m.ID = s.NewID()
	}
	return s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO media (id, name, thumb_name, media_type, size, width, height,
			description, blurhash, focus_x, focus_y, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.Name, m.ThumbName, m.MediaType, m.Size, m.Width, m.Height, m.Description, m.Blurhash,
			m.FocusX, m.FocusY, s.nowMS())
		return err
	})
}

// MediaByName returns the uploaded file whose full-size or thumbnail file has the given name.
func (s *Store) MediaByName(ctx context.Context, name string) (*Media, error) {
	return scanMedia(s.r.QueryRowContext(ctx, `SELECT `+mediaCols+` FROM media WHERE name = ? OR (thumb_name = ? AND thumb_name != '')`,
		name, name))
}

// MediaByID returns an uploaded file.
func (s *Store) MediaByID(ctx context.Context, id int64) (*Media, error) {
	return scanMedia(s.r.QueryRowContext(ctx, `SELECT `+mediaCols+` FROM media WHERE id = ?`, id))
}

// UpdateMediaDescription sets the alt text and focal point of an upload.
func (s *Store) UpdateMediaDescription(ctx context.Context, id int64, description string, fx, fy float64) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE media SET description = ?, focus_x = ?, focus_y = ? WHERE id = ?`,
			description, fx, fy, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// PostMedia lists the files attached to a post.
func (s *Store) PostMedia(ctx context.Context, postID int64) ([]*Media, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+mediaCols+` FROM media WHERE post_id = ? ORDER BY id`, postID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Media
	for rows.Next() {
		m, err := scanMedia(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
