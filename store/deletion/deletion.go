// Package deletion keeps the state of the owner's account deletion in the store's database:
// whether it was asked for and whether the data is wiped, the inboxes to tell, and the wipe
// itself, which waits until no delivery of the Delete is queued. store.RequestDeletion starts it, in the
// transaction that queues the Delete.
package deletion

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"roost/store"
	"roost/store/sqlite"
)

// Store reads and writes the deletion state of a store's database.
type Store struct {
	st *store.Store
	db *sqlite.DB
	r  *sqlite.Reader
}

// New returns the deletion state kept in st's database, on st's clock.
func New(st *store.Store) *Store {
	return &Store{st: st, db: st.DB(), r: st.DB().Reader()}
}

// Deletion returns when the owner asked for the account's deletion and when its data was wiped
// (zero times when not).
func (s *Store) Deletion(ctx context.Context) (requested, wiped time.Time, err error) {
	var r, w int64
	err = s.r.QueryRowContext(ctx, `SELECT requested_at, wiped_at FROM account_deletion WHERE id = 1`).Scan(&r, &w)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if w != 0 {
		wiped = sqlite.Time(w)
	}
	return sqlite.Time(r), wiped, nil
}

// KnownInboxes returns the inbox of every remote account Roost stores (the shared inbox when it
// has one), each once: every server that ever exchanged anything with Roost.
func (s *Store) KnownInboxes(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT CASE WHEN shared_inbox != '' THEN shared_inbox ELSE inbox END
		FROM accounts WHERE local = 0 AND (inbox != '' OR shared_inbox != '')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// wipeStatements lists what Wipe empties, in an order the foreign keys accept.
var wipeStatements = []string{
	`DELETE FROM deliveries`, `DELETE FROM activities`, `DELETE FROM inbox`, `DELETE FROM notifications`,
	`DELETE FROM scheduled_media`, `DELETE FROM scheduled_statuses`, `DELETE FROM media`, `DELETE FROM bookmarks`,
	`DELETE FROM posts`, `DELETE FROM lists`, `DELETE FROM filters`, `DELETE FROM import_items`,
	`DELETE FROM accounts WHERE local = 0`, `DELETE FROM domain_blocks`, `DELETE FROM oauth_apps`,
	`DELETE FROM markers`, `DELETE FROM idempotency`, `DELETE FROM profile_source`,
	`UPDATE accounts SET display_name = '', summary = '', fields = '[]', avatar_url = '', header_url = '',
		also_known_as = '[]' WHERE local = 1`,
}

// Wipe empties the account's data once the deletion was asked for and no delivery of the Delete
// (the activity iri) is left, and returns the names of the media files to remove; ok is false, and
// nothing changes, when deliveries are left or no deletion was asked for. Both are checked in the
// writing transaction, which sees every commit, including another process's (roost
// delete-account's): a reader's snapshot could predate the Delete's deliveries.
func (s *Store) Wipe(ctx context.Context, iri string) (names []string, ok bool, err error) {
	err = s.db.Write(ctx, func(tx *sqlite.Tx) error {
		names, ok = names[:0], false
		var requested, left int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM account_deletion WHERE id = 1 AND wiped_at = 0),
			(SELECT count(*) FROM deliveries d JOIN activities a ON a.id = d.activity_id WHERE a.iri = ?)`,
			iri).Scan(&requested, &left); err != nil {
			return err
		}
		if requested == 0 || left > 0 {
			return nil
		}
		ok = true
		rows, err := tx.QueryContext(ctx, `SELECT name, thumb_name FROM media`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var n, t string
			if err := rows.Scan(&n, &t); err != nil {
				rows.Close()
				return err
			}
			names = append(names, n)
			if t != "" {
				names = append(names, t)
			}
		}
		rows.Close()
		for _, q := range wipeStatements {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("wipe (%.40s): %w", q, err)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE account_deletion SET wiped_at = ? WHERE id = 1`, s.st.Now().UnixMilli())
		return err
	})
	return names, ok, err
}
