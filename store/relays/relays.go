// Package relays keeps the relays the owner subscribes to (their state and whether the owner's
// public posts are forwarded to them) and which stored posts came only through a relay, with the
// cap that prunes the oldest of those.
package relays

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"roost/store"
	"roost/store/sqlite"
)

// State is where a subscription stands.
type State string

// The states of a subscription: the Follow sent, answered with an Accept, or with a Reject.
const (
	Pending  State = "pending"
	Accepted State = "accepted"
	Rejected State = "rejected"
)

// Relay is one subscription.
type Relay struct {
	ID        int64
	URL       string // as the owner gave it: a Mastodon-style relay's inbox or a LitePub relay's actor
	Inbox     string // where the Follow, its Undo and forwarded posts go
	ActorIRI  string // the relay's actor, once known ("" until a Mastodon-style relay accepts)
	FollowIRI string // the id of the Follow sent
	State     State
	Forward   bool // the owner's public posts go to it too
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Store reads and writes the relays of a store's database.
type Store struct {
	st *store.Store
	db *sqlite.DB
	r  *sqlite.Reader
}

// New returns the relays kept in st's database, on st's clock.
func New(st *store.Store) *Store {
	return &Store{st: st, db: st.DB(), r: st.DB().Reader()}
}

const columns = `id, url, inbox, actor_iri, follow_iri, state, forward, created_at, updated_at`

func scan(row sqlite.Scanner) (*Relay, error) {
	var r Relay
	var created, updated int64
	err := row.Scan(&r.ID, &r.URL, &r.Inbox, &r.ActorIRI, &r.FollowIRI, &r.State, &r.Forward, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = sqlite.Time(created), sqlite.Time(updated)
	return &r, nil
}

// Add records a new subscription, pending; r.ID is set. A relay of the same URL is
// store.ErrConflict.
func (s *Store) Add(ctx context.Context, r *Relay) error {
	if r.ID == 0 {
		r.ID = s.st.NewID()
	}
	now := s.st.Now().UnixMilli()
	r.State = Pending
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO relays (id, url, inbox, actor_iri, follow_iri, state, forward,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING`,
			r.ID, r.URL, r.Inbox, r.ActorIRI, r.FollowIRI, r.State, r.Forward, now, now)
		if err != nil {
			return fmt.Errorf("add relay %s: %w", r.URL, err)
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM relays WHERE url = ?`, r.URL).Scan(&id); err != nil {
			return err
		}
		if id != r.ID {
			return fmt.Errorf("relay %s: %w", r.URL, store.ErrConflict)
		}
		return nil
	})
}

// List returns every subscription, oldest first.
func (s *Store) List(ctx context.Context) ([]*Relay, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+columns+` FROM relays ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Relay
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ByURL returns the subscription the owner added as url.
func (s *Store) ByURL(ctx context.Context, url string) (*Relay, error) {
	return scan(s.r.QueryRowContext(ctx, `SELECT `+columns+` FROM relays WHERE url = ?`, url))
}

// ByActor returns the subscription whose relay has the actor iri.
func (s *Store) ByActor(ctx context.Context, iri string) (*Relay, error) {
	if iri == "" {
		return nil, store.ErrNotFound
	}
	return scan(s.r.QueryRowContext(ctx, `SELECT `+columns+` FROM relays WHERE actor_iri = ? ORDER BY id LIMIT 1`, iri))
}

// ByFollow returns the subscription whose Follow has the id iri.
func (s *Store) ByFollow(ctx context.Context, iri string) (*Relay, error) {
	return scan(s.r.QueryRowContext(ctx, `SELECT `+columns+` FROM relays WHERE follow_iri = ?`, iri))
}

// Answered records the relay's answer to the Follow and the actor that gave it.
func (s *Store) Answered(ctx context.Context, id int64, st State, actorIRI string) error {
	return s.exec(ctx, `UPDATE relays SET state = ?, actor_iri = ?, updated_at = ? WHERE id = ?`,
		st, actorIRI, s.st.Now().UnixMilli(), id)
}

// SetForward turns the forwarding of the owner's public posts to a relay on or off.
func (s *Store) SetForward(ctx context.Context, id int64, on bool) error {
	return s.exec(ctx, `UPDATE relays SET forward = ?, updated_at = ? WHERE id = ?`, on, s.st.Now().UnixMilli(), id)
}

// Remove forgets a subscription. The posts it brought stay, under the cap.
func (s *Store) Remove(ctx context.Context, id int64) error {
	return s.exec(ctx, `DELETE FROM relays WHERE id = ?`, id)
}

func (s *Store) exec(ctx context.Context, q string, args ...any) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// ForwardInboxes returns the inboxes of the accepted relays the owner's public posts go to.
func (s *Store) ForwardInboxes(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT inbox FROM relays WHERE forward = 1 AND state = 'accepted'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var inbox string
		if err := rows.Scan(&inbox); err != nil {
			return nil, err
		}
		out = append(out, inbox)
	}
	return out, rows.Err()
}

// AddPost records that a post was stored because the relay passed it on.
func (s *Store) AddPost(ctx context.Context, relayID, postID int64) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO relay_posts (post_id, relay_id) VALUES (?, ?)
			ON CONFLICT DO NOTHING`, postID, relayID)
		return err
	})
}

// Relayed reports whether a post was stored because a relay passed it on.
func (s *Store) Relayed(ctx context.Context, postID int64) bool {
	var one int
	return s.r.QueryRowContext(ctx, `SELECT 1 FROM relay_posts WHERE post_id = ?`, postID).Scan(&one) == nil
}

// Posts counts the posts kept because a relay passed them on.
func (s *Store) Posts(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM relay_posts`).Scan(&n)
	return n, err
}

// Prune deletes the posts that came through a relay beyond the newest keep of them, unless the
// owner (ownerID) has interacted with one since: liked, boosted, bookmarked or answered it,
// followed its author, or been notified about it; a post someone boosted stays too. The rows go
// for good (not tombstones), so a post pruned can be stored again should it come another way.
// It returns how many went.
func (s *Store) Prune(ctx context.Context, ownerID int64, keep int) (int64, error) {
	var n int64
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM posts WHERE id IN (
			SELECT rp.post_id FROM relay_posts rp JOIN posts p ON p.id = rp.post_id
			WHERE p.account_id != ?1
			  AND NOT EXISTS (SELECT 1 FROM likes l WHERE l.post_id = p.id AND l.account_id = ?1)
			  AND NOT EXISTS (SELECT 1 FROM boosts b WHERE b.post_id = p.id)
			  AND NOT EXISTS (SELECT 1 FROM bookmarks k WHERE k.post_id = p.id)
			  AND NOT EXISTS (SELECT 1 FROM notifications nt WHERE nt.post_id = p.id)
			  AND NOT EXISTS (SELECT 1 FROM posts r WHERE r.reply_to_id = p.id AND r.account_id = ?1)
			  AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ?1 AND f.followee_id = p.account_id)
			ORDER BY rp.post_id DESC LIMIT -1 OFFSET ?2)`, ownerID, keep)
		if err != nil {
			return fmt.Errorf("prune relay posts: %w", err)
		}
		n, _ = res.RowsAffected()
		// Rows whose post went another way (an author's Delete leaves a tombstone) are left to
		// the cascade; those interacted with stay listed and count against nothing but the scan.
		return nil
	})
	return n, err
}
