package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Reaction is a Like or a boost (Announce) of a post by an account.
type Reaction struct {
	ID         int64
	IRI        string // the Like or Announce activity's id
	AccountID  int64
	PostID     int64
	Content    string // emoji of an emoji reaction (likes only)
	Visibility string // boosts only
	CreatedAt  time.Time
}

// AddLike records a Like with notices (the core's: a like of one of the owner's posts); out (the
// owner's own Like activity) is queued in the same transaction. A second Like of the same post by
// the same account is ErrConflict.
func (s *Store) AddLike(ctx context.Context, l *Reaction, out *Outgoing, notices ...Notice) error {
	return s.addReaction(ctx, "likes", l, out, notices)
}

// AddBoost records an Announce of a post with notices, and queues out, in one transaction.
func (s *Store) AddBoost(ctx context.Context, b *Reaction, out *Outgoing, notices ...Notice) error {
	return s.addReaction(ctx, "boosts", b, out, notices)
}

func (s *Store) addReaction(ctx context.Context, table string, r *Reaction, out *Outgoing, notices []Notice) error {
	if r.ID == 0 {
		r.ID = s.NewID()
	}
	return s.tx(ctx, func(tx *wtx) error {
		var err error
		if table == "likes" {
			_, err = tx.ExecContext(ctx, `INSERT INTO likes (id, iri, account_id, post_id, content, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, r.ID, r.IRI, r.AccountID, r.PostID, r.Content, s.nowMS())
		} else {
			vis := r.Visibility
			if vis == "" {
				vis = Public
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO boosts (id, iri, account_id, post_id, visibility, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, r.ID, r.IRI, r.AccountID, r.PostID, vis, s.nowMS())
			if err == nil {
				s.changed(tx, Change{BoostAdded, r.ID})
			}
		}
		if isUnique(err) {
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
		if err := s.record(ctx, tx, notices); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, out)
	})
}

// LikeByIRI returns the like made by the activity iri.
func (s *Store) LikeByIRI(ctx context.Context, iri string) (*Reaction, error) {
	return s.reactionBy(ctx, "likes", "iri = ?", iri)
}

// BoostByIRI returns the boost made by the Announce iri.
func (s *Store) BoostByIRI(ctx context.Context, iri string) (*Reaction, error) {
	return s.reactionBy(ctx, "boosts", "iri = ?", iri)
}

// LikeOf returns accountID's like of postID.
func (s *Store) LikeOf(ctx context.Context, accountID, postID int64) (*Reaction, error) {
	return s.reactionBy(ctx, "likes", "account_id = ? AND post_id = ?", accountID, postID)
}

// BoostOf returns accountID's boost of postID.
func (s *Store) BoostOf(ctx context.Context, accountID, postID int64) (*Reaction, error) {
	return s.reactionBy(ctx, "boosts", "account_id = ? AND post_id = ?", accountID, postID)
}

func (s *Store) reactionBy(ctx context.Context, table, where string, args ...any) (*Reaction, error) {
	var r Reaction
	var created int64
	extra := "content"
	if table == "boosts" {
		extra = "visibility"
	}
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT id, iri, account_id, post_id, `+extra+`, created_at FROM `+table+
		` WHERE `+where, args...).Scan(&r.ID, &r.IRI, &r.AccountID, &r.PostID, &v, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if table == "boosts" {
		r.Visibility = v
	} else {
		r.Content = v
	}
	r.CreatedAt = msTime(created)
	return &r, err
}

// RemoveLike deletes a like (and its notification) and queues out (the owner's Undo) with it.
func (s *Store) RemoveLike(ctx context.Context, id int64, out *Outgoing) error {
	return s.removeReaction(ctx, "likes", "favourite", id, out)
}

// RemoveBoost deletes a boost (and its notification) and queues out with it.
func (s *Store) RemoveBoost(ctx context.Context, id int64, out *Outgoing) error {
	return s.removeReaction(ctx, "boosts", "reblog", id, out)
}

func (s *Store) removeReaction(ctx context.Context, table, kind string, id int64, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		var accountID, postID int64
		err := tx.QueryRowContext(ctx, `DELETE FROM `+table+` WHERE id = ? RETURNING account_id, post_id`, id).
			Scan(&accountID, &postID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM notifications WHERE type = ? AND account_id = ? AND post_id = ?`,
			kind, accountID, postID); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, out)
	})
}

// Favourites lists the live posts accountID liked, most recently liked first, paged by like ID.
func (s *Store) Favourites(ctx context.Context, accountID int64, pg Page) ([]PostItem, error) {
	maxID, minID, limit, asc := pg.Bounds()
	return s.postItems(ctx, asc, `SELECT l.id, `+prefixed("p.", postCols)+` FROM likes l
		JOIN posts p ON p.id = l.post_id
		WHERE l.account_id = ? AND l.id < ? AND l.id > ? AND p.deleted_at = 0
		ORDER BY l.id `+order(asc)+` LIMIT ?`, accountID, maxID, minID, limit)
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
	maxID, minID, limit, asc := pg.Bounds()
	return s.accountItems(ctx, asc, `SELECT r.id, `+prefixed("a.", accountCols)+` FROM `+table+` r
		JOIN accounts a ON a.id = r.account_id
		WHERE r.post_id = ? AND r.id < ? AND r.id > ?
		ORDER BY r.id `+order(asc)+` LIMIT ?`, postID, maxID, minID, limit)
}
