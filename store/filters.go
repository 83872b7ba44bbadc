package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Filter is one of the owner's content filters: statuses whose text has one of its keywords are
// hidden or shown behind a warning in its contexts.
type Filter struct {
	ID        int64
	Title     string
	Context   []string // home, notifications, public, thread, account
	Action    string   // warn or hide
	ExpiresAt time.Time
	CreatedAt time.Time
	Keywords  []FilterKeyword
}

// FilterKeyword is a word or phrase of a filter.
type FilterKeyword struct {
	ID        int64
	Keyword   string
	WholeWord bool
}

// Filters lists the owner's filters, oldest first, with their keywords.
func (s *Store) Filters(ctx context.Context) ([]*Filter, error) {
	return s.filters(ctx, 0)
}

// FilterByID returns one filter with its keywords.
func (s *Store) FilterByID(ctx context.Context, id int64) (*Filter, error) {
	l, err := s.filters(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, ErrNotFound
	}
	return l[0], nil
}

func (s *Store) filters(ctx context.Context, id int64) ([]*Filter, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT f.id, f.title, f.context, f.action, f.expires_at, f.created_at,
		ifnull(k.id, 0), ifnull(k.keyword, ''), ifnull(k.whole_word, 0)
		FROM filters f LEFT JOIN filter_keywords k ON k.filter_id = f.id
		WHERE ? = 0 OR f.id = ? ORDER BY f.id, k.id`, id, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Filter
	for rows.Next() {
		var f Filter
		var ctxJSON string
		var expires, created int64
		var k FilterKeyword
		if err := rows.Scan(&f.ID, &f.Title, &ctxJSON, &f.Action, &expires, &created, &k.ID, &k.Keyword,
			&k.WholeWord); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != f.ID {
			_ = json.Unmarshal([]byte(ctxJSON), &f.Context)
			f.ExpiresAt, f.CreatedAt = msTime(expires), msTime(created)
			out = append(out, &f)
		}
		if k.ID != 0 {
			last := out[len(out)-1]
			last.Keywords = append(last.Keywords, k)
		}
	}
	return out, rows.Err()
}

// SaveFilter creates f (ID 0) or replaces it: its keywords become f.Keywords exactly, those with
// an ID updated, those without added, the others deleted. New IDs are set on f.
func (s *Store) SaveFilter(ctx context.Context, f *Filter) error {
	ctxJSON := jsonText(f.Context)
	if f.Context == nil {
		ctxJSON = "[]"
	}
	return s.tx(ctx, func(tx *wtx) error {
		if f.ID == 0 {
			f.ID = s.NewID()
			f.CreatedAt = msTime(s.nowMS())
			if _, err := tx.ExecContext(ctx, `INSERT INTO filters (id, title, context, action, expires_at, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, f.ID, f.Title, ctxJSON, f.Action, timeMS(f.ExpiresAt), timeMS(f.CreatedAt)); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE filters SET title = ?, context = ?, action = ?, expires_at = ?
				WHERE id = ?`, f.Title, ctxJSON, f.Action, timeMS(f.ExpiresAt), f.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrNotFound
			}
		}
		var keep []any
		for i := range f.Keywords {
			k := &f.Keywords[i]
			if k.ID != 0 {
				res, err := tx.ExecContext(ctx, `UPDATE filter_keywords SET keyword = ?, whole_word = ?
					WHERE id = ? AND filter_id = ?`, k.Keyword, k.WholeWord, k.ID, f.ID)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return ErrNotFound
				}
			} else {
				k.ID = s.NewID()
				if _, err := tx.ExecContext(ctx, `INSERT INTO filter_keywords (id, filter_id, keyword, whole_word)
					VALUES (?, ?, ?, ?)`, k.ID, f.ID, k.Keyword, k.WholeWord); err != nil {
					return err
				}
			}
			keep = append(keep, k.ID)
		}
		q := `DELETE FROM filter_keywords WHERE filter_id = ?`
		if len(keep) > 0 {
			q += ` AND id NOT IN (?` + strings.Repeat(", ?", len(keep)-1) + `)`
		}
		_, err := tx.ExecContext(ctx, q, append([]any{f.ID}, keep...)...)
		return err
	})
}

// DeleteFilter deletes a filter and its keywords.
func (s *Store) DeleteFilter(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM filters WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}
