package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Follow states.
const (
	Pending  = "pending"
	Accepted = "accepted"
)

// Follow is a follow relation: Follower follows Followee.
type Follow struct {
	ID         int64
	IRI        string // the Follow activity's id
	FollowerID int64
	FolloweeID int64
	State      string
	CreatedAt  time.Time
	FollowOptions
}

// FollowOptions are the owner's choices about an account they follow (Mastodon's per-follow
// options). The zero value is a new follow's: boosts shown, no notifications, every language; a
// follow of the owner keeps it.
type FollowOptions struct {
	HideReblogs bool     // their boosts stay out of home (Mastodon's show_reblogs false)
	Notify      bool     // each new post of theirs makes a "status" notification
	Languages   []string // only their posts in these languages (or of no known one) show in home; nil: all
}

// followCols are the columns a Follow is read from (followDest).
const followCols = `id, iri, follower_id, followee_id, state, created_at, show_reblogs = 0, notify, languages`

// followDest are the scan destinations of followCols, and finish completes f after the scan.
func followDest(f *Follow) (dest []any, finish func() error) {
	var created int64
	var langs sql.NullString
	return []any{&f.ID, &f.IRI, &f.FollowerID, &f.FolloweeID, &f.State, &created, &f.HideReblogs, &f.Notify, &langs},
		func() error {
			f.CreatedAt = msTime(created)
			f.Languages = nil
			if langs.Valid {
				if err := json.Unmarshal([]byte(langs.String), &f.Languages); err != nil {
					return fmt.Errorf("follow %d languages: %w", f.ID, err)
				}
			}
			return nil
		}
}

// languagesValue is the languages column's value for langs: NULL for every language.
func languagesValue(langs []string) any {
	if len(langs) == 0 {
		return nil
	}
	b, _ := json.Marshal(langs)
	return string(b)
}

func scanFollow(row scanner) (*Follow, error) {
	var f Follow
	dest, finish := followDest(&f)
	err := row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &f, finish()
}

// FollowBetween returns the follow of follower to followee.
func (s *Store) FollowBetween(ctx context.Context, followerID, followeeID int64) (*Follow, error) {
	return scanFollow(s.r.QueryRowContext(ctx, `SELECT `+followCols+` FROM follows
		WHERE follower_id = ? AND followee_id = ?`, followerID, followeeID))
}

// FollowByIRI returns the follow by followerID made by the Follow activity iri. The id is
// the sender's choice, so it is looked up only among that follower's: another actor's Follow
// with the same id is another follow.
func (s *Store) FollowByIRI(ctx context.Context, followerID int64, iri string) (*Follow, error) {
	return scanFollow(s.r.QueryRowContext(ctx, `SELECT `+followCols+` FROM follows
		WHERE follower_id = ? AND iri = ?`, followerID, iri))
}

// AddFollower records a remote account's Follow of the owner, in state (Pending when the owner
// approves followers by hand), and queues out (the Accept, when accepted automatically) in the
// same transaction, with notices when the relation is new (a repeated Follow is not news). A follow is known by who follows whom: a repeated
// Follow from the same account keeps one relation, the newest Follow id wins, and an accepted
// relation stays accepted; another account's follow is never touched, whatever id the Follow
// carries. It reports whether the relation is new.
func (s *Store) AddFollower(ctx context.Context, f *Follow, out *Outgoing, notices ...Notice) (bool, error) {
	created := false
	err := s.tx(ctx, func(tx *wtx) error {
		existing, err := scanFollow(tx.QueryRowContext(ctx, `SELECT `+followCols+` FROM follows
			WHERE follower_id = ? AND followee_id = ?`, f.FollowerID, f.FolloweeID))
		switch {
		case errors.Is(err, ErrNotFound):
			created = true
			f.ID = s.NewID()
			_, err = tx.ExecContext(ctx, `INSERT INTO follows (id, iri, follower_id, followee_id, state, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, f.ID, f.IRI, f.FollowerID, f.FolloweeID, f.State, s.nowMS())
			if err != nil {
				return fmt.Errorf("insert follow: %w", err)
			}
			if err := s.record(ctx, tx, notices); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if existing.State == Accepted {
				f.State = Accepted
			}
			f.ID = existing.ID
			if _, err := tx.ExecContext(ctx, `UPDATE follows SET iri = ?, state = ? WHERE id = ?`,
				f.IRI, f.State, existing.ID); err != nil {
				return err
			}
		}
		return s.enqueue(ctx, tx, out)
	})
	return created, err
}

// FollowAccount records that the owner asked to follow followee (Pending until their Accept
// arrives), with f's options, and queues the Follow activity, in one transaction. A follow asked
// again keeps its state and takes the new Follow's id and f's options.
func (s *Store) FollowAccount(ctx context.Context, f *Follow, out *Outgoing) error {
	f.ID = s.NewID()
	f.State = Pending
	return s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO follows (id, iri, follower_id, followee_id, state, created_at,
				show_reblogs, notify, languages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (follower_id, followee_id) DO UPDATE SET iri = excluded.iri,
				show_reblogs = excluded.show_reblogs, notify = excluded.notify, languages = excluded.languages`,
			f.ID, f.IRI, f.FollowerID, f.FolloweeID, f.State, s.nowMS(), !f.HideReblogs, f.Notify, languagesValue(f.Languages))
		if err != nil {
			return fmt.Errorf("insert follow: %w", err)
		}
		return s.enqueue(ctx, tx, out)
	})
}

// SetFollowOptions changes the options of the follow id.
func (s *Store) SetFollowOptions(ctx context.Context, id int64, o FollowOptions) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE follows SET show_reblogs = ?, notify = ?, languages = ? WHERE id = ?`,
			!o.HideReblogs, o.Notify, languagesValue(o.Languages), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// SetFollowState changes the state of a follow and queues out with it (an Accept the owner gave).
func (s *Store) SetFollowState(ctx context.Context, id int64, state string, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE follows SET state = ? WHERE id = ?`, state, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if state == Accepted {
			// A request the owner approved becomes an ordinary follow notification.
			var follower int64
			if err := tx.QueryRowContext(ctx, `SELECT follower_id FROM follows WHERE id = ?`, id).Scan(&follower); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM notifications WHERE type = 'follow_request' AND account_id = ?`,
				follower); err != nil {
				return err
			}
		}
		return s.enqueue(ctx, tx, out)
	})
}

// RemoveFollow deletes a follow relation and queues out (an Undo or a Reject) with it.
func (s *Store) RemoveFollow(ctx context.Context, id int64, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM follows WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM notifications WHERE type = 'follow_request'
			AND account_id NOT IN (SELECT follower_id FROM follows WHERE state = 'pending')`); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, out)
	})
}

// FollowEntry is one row of a followers or following list.
type FollowEntry struct {
	Follow  *Follow
	Account *Account
}

// Followers lists who follows accountID in state, newest first.
func (s *Store) Followers(ctx context.Context, accountID int64, state string, pg Page) ([]FollowEntry, error) {
	return s.listFollows(ctx, "followee_id", "follower_id", accountID, state, pg)
}

// Following lists whom accountID follows in state, newest first.
func (s *Store) Following(ctx context.Context, accountID int64, state string, pg Page) ([]FollowEntry, error) {
	return s.listFollows(ctx, "follower_id", "followee_id", accountID, state, pg)
}

func (s *Store) listFollows(ctx context.Context, self, other string, accountID int64, state string, pg Page) ([]FollowEntry, error) {
	maxID, minID, limit, _ := pg.Bounds()
	rows, err := s.r.QueryContext(ctx, `SELECT `+prefixed("f.", followCols)+`, `+
		prefixed("a.", accountCols)+` FROM follows f JOIN accounts a ON a.id = f.`+other+`
		WHERE f.`+self+` = ? AND f.state = ? AND f.id < ? AND f.id > ? ORDER BY f.id DESC LIMIT ?`,
		accountID, state, maxID, minID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FollowEntry
	for rows.Next() {
		var e FollowEntry
		var f Follow
		dest, finish := followDest(&f)
		acct, err := scanAccount(multiScanner{rows, dest})
		if err != nil {
			return nil, err
		}
		if err := finish(); err != nil {
			return nil, err
		}
		e.Follow, e.Account = &f, acct
		out = append(out, e)
	}
	return out, rows.Err()
}

// CountFollows counts accepted followers of and followings by accountID.
func (s *Store) CountFollows(ctx context.Context, accountID int64) (followers, following int, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT followers, following FROM account_counts WHERE account_id = ?`,
		accountID).Scan(&followers, &following)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return followers, following, err
}

// FollowerInboxes returns the distinct inboxes (shared where the server has one) of the accepted
// followers of accountID: one POST per server.
func (s *Store) FollowerInboxes(ctx context.Context, accountID int64) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT CASE WHEN a.shared_inbox != '' THEN a.shared_inbox ELSE a.inbox END
		FROM follows f JOIN accounts a ON a.id = f.follower_id
		WHERE f.followee_id = ? AND f.state = 'accepted' AND a.inbox != ''`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// IsFollowing reports whether follower follows followee (accepted).
func (s *Store) IsFollowing(ctx context.Context, followerID, followeeID int64) (bool, error) {
	f, err := s.FollowBetween(ctx, followerID, followeeID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && f.State == Accepted, err
}

type multiScanner struct {
	rows  *sql.Rows
	first []any
}

func (m multiScanner) Scan(dest ...any) error {
	return m.rows.Scan(append(append([]any{}, m.first...), dest...)...)
}

func prefixed(prefix, cols string) string {
	var out []byte
	start := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if start && c != ' ' && c != '\n' && c != '\t' {
			out = append(out, prefix...)
			start = false
		}
		if c == ',' {
			start = true
		}
		out = append(out, c)
	}
	return string(out)
}
