// Package lists keeps the owner's lists of followed accounts (Mastodon's List) in the store's
// database: the lists, their members and each list's timeline.
package lists

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"roost/store"
	"roost/store/sqlite"
	"slices"
	"time"
)

// ErrNotFollowed refuses to add to a list an account the owner does not follow, as Mastodon does.
var ErrNotFollowed = errors.New("account not followed")

// Replies policies: which replies a list's timeline shows besides members' replies to themselves.
const (
	RepliesFollowed = "followed" // replies to anyone the owner follows
	RepliesList     = "list"     // replies to members of the list
	RepliesNone     = "none"     // no replies
)

// List is one of the owner's lists.
type List struct {
	ID            int64
	Title         string
	RepliesPolicy string
	Exclusive     bool // members' posts are kept out of the home timeline
	CreatedAt     time.Time
}

// Store reads and writes the lists of a store's database. It holds no state of its own beyond
// the store it was made from, so any number may be made from one store.
type Store struct {
	st *store.Store
	db *sqlite.DB
	r  *sqlite.Reader
}

// New returns the lists kept in st's database, on st's clock.
func New(st *store.Store) *Store {
	return &Store{st: st, db: st.DB(), r: st.DB().Reader()}
}

const listCols = `id, title, replies_policy, exclusive, created_at`

func scanList(row sqlite.Scanner) (*List, error) {
	var l List
	var created int64
	if err := row.Scan(&l.ID, &l.Title, &l.RepliesPolicy, &l.Exclusive, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	l.CreatedAt = sqlite.Time(created)
	return &l, nil
}

func (s *Store) scanLists(ctx context.Context, query string, args ...any) ([]*List, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*List
	for rows.Next() {
		l, err := scanList(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// CreateList stores a new list; l.ID and l.CreatedAt are set.
func (s *Store) CreateList(ctx context.Context, l *List) error {
	l.ID = s.st.NewID()
	l.CreatedAt = sqlite.Time(s.st.Now().UnixMilli())
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO lists (`+listCols+`) VALUES (?, ?, ?, ?, ?)`,
			l.ID, l.Title, l.RepliesPolicy, l.Exclusive, sqlite.MS(l.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert list: %w", err)
		}
		return nil
	})
}

// UpdateList saves a list's title, replies policy and exclusive flag.
func (s *Store) UpdateList(ctx context.Context, l *List) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE lists SET title = ?, replies_policy = ?, exclusive = ? WHERE id = ?`,
			l.Title, l.RepliesPolicy, l.Exclusive, l.ID)
		if err != nil {
			return fmt.Errorf("update list: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// DeleteList deletes a list and its memberships.
func (s *Store) DeleteList(ctx context.Context, id int64) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM list_accounts WHERE list_id = ?`, id); err != nil {
			return fmt.Errorf("delete list members: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM lists WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete list: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// ListByID returns one list.
func (s *Store) ListByID(ctx context.Context, id int64) (*List, error) {
	return scanList(s.r.QueryRowContext(ctx, `SELECT `+listCols+` FROM lists WHERE id = ?`, id))
}

// Lists returns every list, by title.
func (s *Store) Lists(ctx context.Context) ([]*List, error) {
	return s.scanLists(ctx, `SELECT `+listCols+` FROM lists ORDER BY title COLLATE NOCASE, id`)
}

// ListsWithAccount returns the lists accountID is a member of, by title.
func (s *Store) ListsWithAccount(ctx context.Context, accountID int64) ([]*List, error) {
	return s.scanLists(ctx, `SELECT l.id, l.title, l.replies_policy, l.exclusive, l.created_at FROM list_accounts la JOIN lists l ON l.id = la.list_id
		WHERE la.account_id = ? ORDER BY l.title COLLATE NOCASE, l.id`, accountID)
}

// AddListAccounts adds accounts to a list, all or none: each must be followed by ownerID
// (ErrNotFollowed), and the list must exist (store.ErrNotFound). Present members stay.
func (s *Store) AddListAccounts(ctx context.Context, listID, ownerID int64, accountIDs []int64) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM lists WHERE id = ?`, listID).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return store.ErrNotFound
			}
			return fmt.Errorf("find list: %w", err)
		}
		now := s.st.Now().UnixMilli()
		for _, id := range accountIDs {
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM follows WHERE follower_id = ? AND followee_id = ? AND state = 'accepted'`,
				ownerID, id).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFollowed
			}
			if err != nil {
				return fmt.Errorf("check follow: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO list_accounts (list_id, account_id, created_at) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, listID, id, now); err != nil {
				return fmt.Errorf("add list member: %w", err)
			}
		}
		return nil
	})
}

// RemoveListAccounts removes accounts from a list; absent ones are ignored.
func (s *Store) RemoveListAccounts(ctx context.Context, listID int64, accountIDs []int64) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		for _, id := range accountIDs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM list_accounts WHERE list_id = ? AND account_id = ?`, listID, id); err != nil {
				return fmt.Errorf("remove list member: %w", err)
			}
		}
		return nil
	})
}

// ListAccounts lists a list's members, paged by account ID (the Cursor), highest first.
func (s *Store) ListAccounts(ctx context.Context, listID int64, pg store.Page) ([]store.AccountItem, error) {
	maxID, minID, limit, asc := pg.Bounds()
	return s.st.AccountItems(ctx, asc, `SELECT a.id, `+store.AccountColumns("a.")+` FROM list_accounts la
		JOIN accounts a ON a.id = la.account_id
		WHERE la.list_id = ? AND a.id < ? AND a.id > ? ORDER BY a.id `+order(asc)+` LIMIT ?`,
		listID, maxID, minID, limit)
}

// ListTimeline lists a list's timeline, newest first, paged as the home timeline: the posts and
// boosts of its members, less muted accounts; a member's reply to someone else only as the
// list's replies policy allows (to the owner or anyone they follow, to a member, or none).
// Direct posts appear only when they mention the owner.
func (s *Store) ListTimeline(ctx context.Context, l *List, ownerID int64, pg store.Page) ([]store.Entry, error) {
	maxID, minID, limit, asc := pg.Bounds()
	posts, boosts := listPostsSQL(l.RepliesPolicy, order(asc)), listBoostsSQL(order(asc))
	var out []store.Entry
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{posts, []any{l.ID, maxID, minID, limit, ownerID}},
		{boosts, []any{l.ID, maxID, minID, limit, ownerID}},
	} {
		rows, err := s.r.QueryContext(ctx, q.sql, q.args...)
		if err != nil {
			return nil, fmt.Errorf("list timeline: %w", err)
		}
		for rows.Next() {
			var e store.Entry
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
	slices.SortFunc(out, func(a, b store.Entry) int { return cmp.Compare(b.ID, a.ID) })
	if asc {
		out = out[max(0, len(out)-limit):]
	} else if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func order(asc bool) string {
	if asc {
		return "ASC"
	}
	return "DESC"
}

// listMember is true when post or boost x is by a member of list ?1 who is not muted.
func listMember(x string) string {
	return `EXISTS (SELECT 1 FROM list_accounts la WHERE la.list_id = ?1 AND la.account_id = ` + x + `.account_id)
		AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = ` + x + `.account_id)`
}

// listFollowAllows is true when the owner's (?5) options on their follow of x's author let x
// show, as in home (Mastodon's list feeds take them too): a boost only when they show the
// author's boosts, a post only in a language they chose for the author.
func listFollowAllows(x string, boost bool) string {
	allows := store.InFollowLanguages(x, "fo")
	if boost {
		allows = `fo.show_reblogs = 1`
	}
	return `NOT EXISTS (SELECT 1 FROM follows fo WHERE fo.follower_id = ?5 AND fo.followee_id = ` + x + `.account_id
		AND NOT ` + allows + `)`
}

// listPostsSQL walks posts by primary key in order, as the store's home timeline does, keeping members' posts
// and the replies policy allows. Its parameters are the list's ID, the max and min IDs, the
// limit and the owner's ID.
func listPostsSQL(policy, order string) string {
	// A reply is shown when it answers its own author, or as the policy says; a reply whose
	// parent Roost does not have is not.
	replies := `1`
	parent := `(SELECT pp.account_id FROM posts pp WHERE pp.id = p.reply_to_id)`
	switch policy {
	case RepliesNone:
		replies = `p.in_reply_to = '' OR ` + parent + ` = p.account_id`
	case RepliesList:
		replies = `p.in_reply_to = '' OR EXISTS (SELECT 1 FROM list_accounts lr WHERE lr.list_id = ?1 AND lr.account_id = ` + parent + `)
			OR ` + parent + ` = p.account_id`
	case RepliesFollowed:
		replies = `p.in_reply_to = '' OR ` + parent + ` IN (?5, p.account_id)
			OR EXISTS (SELECT 1 FROM follows fr WHERE fr.follower_id = ?5 AND fr.followee_id = ` + parent + ` AND fr.state = 'accepted')`
	}
	return `SELECT p.id, p.id, 0 FROM posts p
		WHERE p.id < ?2 AND p.id > ?3 AND p.deleted_at = 0 AND ` + listMember("p") + ` AND ` + listFollowAllows("p", false) + `
		  AND (p.visibility != 'direct'
		       OR EXISTS (SELECT 1 FROM post_mentions pm WHERE pm.post_id = p.id AND pm.account_id = ?5))
		  AND (` + replies + `)
		ORDER BY p.id ` + order + ` LIMIT ?4`
}

// listBoostsSQL walks a list's boosts the same way, skipping boosts of muted accounts' posts and
// those of members whose boosts the owner hides. Its parameters are the list's ID, the max and
// min IDs, the limit and the owner's ID.
func listBoostsSQL(order string) string {
	return `SELECT b.id, b.post_id, b.account_id FROM boosts b
		WHERE b.id < ?2 AND b.id > ?3 AND ` + listMember("b") + ` AND ` + listFollowAllows("b", true) + `
		  AND NOT EXISTS (SELECT 1 FROM posts p2 JOIN mutes m2 ON m2.account_id = p2.account_id WHERE p2.id = b.post_id)
		ORDER BY b.id ` + order + ` LIMIT ?4`
}
