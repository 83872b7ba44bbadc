package store

import (
	"context"
	"fmt"
)

// ImportedPost is one of the owner's posts brought from another server's archive: kept with the
// URL it had there, never delivered as new.
type ImportedPost struct {
	Post     *Post
	Original string  // its URL (or IRI) on the server it came from
	MediaIDs []int64 // the owner's unattached uploads holding its media
}

// ImportPosts stores imported posts in one transaction. Each gets an ID from its published time
// (the next free one if taken), and iri gives its IRI and URL from that ID. A post whose
// original URL was imported before is skipped, so an archive imported twice adds only what is
// missing. It returns how many posts were added.
func (s *Store) ImportPosts(ctx context.Context, posts []ImportedPost, iri func(id int64) (iri, url string)) (int, error) {
	added := 0
	err := s.tx(ctx, func(tx *wtx) error {
		added = 0
		for _, ip := range posts {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM imported_posts WHERE original_url = ?`, ip.Original).Scan(&one)
			if err == nil {
				continue
			}
			p := ip.Post
			// A reply to a post imported before (its parent, earlier in the archive) points at
			// the parent's new IRI.
			if p.InReplyTo != "" {
				var local string
				if tx.QueryRowContext(ctx, `SELECT p.iri FROM imported_posts i JOIN posts p ON p.id = i.post_id
					WHERE i.original_url = ?`, p.InReplyTo).Scan(&local) == nil {
					p.InReplyTo, p.ReplyToID = local, 0
				}
			}
			p.ID = IDAt(p.Published, ip.Original)
			for {
				if err := tx.QueryRowContext(ctx, `SELECT 1 FROM posts WHERE id = ?`, p.ID).Scan(&one); err != nil {
					break
				}
				p.ID = p.ID&^0xffff | 0x8000 | (p.ID+1)&0x7fff
			}
			p.IRI, p.URL = iri(p.ID)
			if err := s.insertPost(ctx, tx, p, nil, false); err != nil {
				return fmt.Errorf("import %s: %w", ip.Original, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO imported_posts (post_id, original_url) VALUES (?, ?)`,
				p.ID, ip.Original); err != nil {
				return err
			}
			for _, id := range ip.MediaIDs {
				if _, err := tx.ExecContext(ctx, `UPDATE media SET post_id = ? WHERE id = ? AND post_id IS NULL`,
					p.ID, id); err != nil {
					return err
				}
			}
			added++
		}
		return nil
	})
	return added, err
}

// ImportedFrom returns the original URL of an imported post ("" for any other post).
func (s *Store) ImportedFrom(ctx context.Context, postID int64) string {
	var u string
	_ = s.r.QueryRowContext(ctx, `SELECT original_url FROM imported_posts WHERE post_id = ?`, postID).Scan(&u)
	return u
}

// WasImported reports whether a post with this original URL was imported already.
func (s *Store) WasImported(ctx context.Context, original string) bool {
	var one int
	return s.r.QueryRowContext(ctx, `SELECT 1 FROM imported_posts WHERE original_url = ?`, original).Scan(&one) == nil
}
