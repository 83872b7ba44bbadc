package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Edit is an earlier version of an edited post.
type Edit struct {
	Summary   string
	Content   string
	Source    string
	CreatedAt time.Time
}

// EditPost saves a new version of one of the owner's posts: the current version goes into the
// history, the post takes p's content, its poll changes as ch says, and out (the Update) is
// queued, in one transaction.
func (s *Store) EditPost(ctx context.Context, p *Post, ch PostChange, out *Outgoing) error {
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
		if ch.PollReset {
			if _, err := tx.ExecContext(ctx, `DELETE FROM poll_votes WHERE post_id = ?`, p.ID); err != nil {
				return err
			}
		}
		if !ch.PollEnds.IsZero() {
			if err := watchPollEnd(ctx, tx, p.ID, ch.PollEnds); err != nil {
				return err
			}
		}
		return s.updatePost(ctx, tx, p, ch.PollEnds, out)
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
