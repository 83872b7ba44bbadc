// Package imports keeps the rows of the owner's imported CSV lists (follows, blocks, mutes,
// domain blocks, bookmarks, lists) in the store's database, so the worker that applies them one
// at a time resumes after a restart and a re-import adds only what is missing.
package imports

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"roost/store"
	"roost/store/sqlite"
)

// States of an item.
const (
	Pending = "pending"
	Done    = "done"
	Failed  = "failed"
)

// Item is one row of an imported list.
type Item struct {
	ID      int64
	Kind    string // archive.Kind
	Target  string // user@host, a domain or a post's URL
	Arg     string // lists: the list's title
	Options string // JSON: following's columns
	State   string
	Error   string
	Created time.Time
}

// Count is the progress of one kind of list.
type Count struct {
	Kind                  string
	Pending, Done, Failed int
}

// Store reads and writes import items in a store's database.
type Store struct {
	st *store.Store
	db *sqlite.DB
	r  *sqlite.Reader
}

// New returns the import items of st's database.
func New(st *store.Store) *Store { return &Store{st: st, db: st.DB(), r: st.DB().Reader()} }

// Add queues items. An item already there (same kind, target and list) is queued again if it
// was done or failed, so that a re-import checks it once more (the worker skips what already
// holds); it returns how many rows were new.
func (s *Store) Add(ctx context.Context, items []Item) (int, error) {
	added := 0
	now := s.st.Now().UnixMilli()
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		added = 0
		for _, it := range items {
			if it.Options == "" {
				it.Options = "{}"
			}
			var state string
			err := tx.QueryRowContext(ctx, `SELECT state FROM import_items WHERE kind = ? AND target = ? AND arg = ?`,
				it.Kind, it.Target, it.Arg).Scan(&state)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := tx.ExecContext(ctx, `INSERT INTO import_items (kind, target, arg, options, created_at)
					VALUES (?, ?, ?, ?, ?)`, it.Kind, it.Target, it.Arg, it.Options, now); err != nil {
					return err
				}
				added++
			case err != nil:
				return err
			case state != Pending:
				if _, err := tx.ExecContext(ctx, `UPDATE import_items SET state = 'pending', error = '', options = ?
					WHERE kind = ? AND target = ? AND arg = ?`, it.Options, it.Kind, it.Target, it.Arg); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return added, err
}

const cols = `id, kind, target, arg, options, state, error, created_at`

func scan(row sqlite.Scanner) (*Item, error) {
	var it Item
	var created int64
	err := row.Scan(&it.ID, &it.Kind, &it.Target, &it.Arg, &it.Options, &it.State, &it.Error, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	it.Created = sqlite.Time(created)
	return &it, err
}

// Next returns the oldest pending item that is due, of the follows' lane (following and
// lists, which follow) when follows is true, else of the others; store.ErrNotFound when none
// waits.
func (s *Store) Next(ctx context.Context, follows bool) (*Item, error) {
	return scan(s.r.QueryRowContext(ctx, `SELECT `+cols+` FROM import_items
		WHERE state = 'pending' AND (kind IN ('following', 'lists')) = ? AND due_at <= ? ORDER BY id LIMIT 1`, follows, s.st.Now().UnixMilli()))
}

// Defer leaves an item pending but not tried again before until.
func (s *Store) Defer(ctx context.Context, id int64, until time.Time) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE import_items SET due_at = ? WHERE id = ?`, until.UnixMilli(), id)
		return err
	})
}

// Finish marks an item done, or failed with the reason shown to the owner.
func (s *Store) Finish(ctx context.Context, id int64, failure string) error {
	state := Done
	if failure != "" {
		state = Failed
	}
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE import_items SET state = ?, error = ?, done_at = ? WHERE id = ?`,
			state, failure, s.st.Now().UnixMilli(), id)
		return err
	})
}

// Progress counts the items of each kind by state, in the order kinds were first imported.
func (s *Store) Progress(ctx context.Context) ([]Count, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, sum(state = 'pending'), sum(state = 'done'),
		sum(state = 'failed') FROM import_items GROUP BY kind ORDER BY min(id)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Kind, &c.Pending, &c.Done, &c.Failed); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Failures returns the failed items, newest first, at most limit.
func (s *Store) Failures(ctx context.Context, limit int) ([]*Item, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+cols+` FROM import_items WHERE state = 'failed'
		ORDER BY done_at DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Item
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// Clear forgets the items that are done or failed.
func (s *Store) Clear(ctx context.Context) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM import_items WHERE state != 'pending'`)
		return err
	})
}
