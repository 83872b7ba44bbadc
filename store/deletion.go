package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RequestDeletion records that the owner deleted their account, with out (the Delete of the
// actor) queued in the same transaction, and signs out every session and app. It returns
// ErrConflict if the deletion was asked for already.
func (s *Store) RequestDeletion(ctx context.Context, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_deletion (id, requested_at) VALUES (1, ?)`, s.nowMS()); err != nil {
			if isUnique(err) {
				return ErrConflict
			}
			return err
		}
		for _, q := range []string{`DELETE FROM sessions`, `DELETE FROM oauth_tokens`, `DELETE FROM oauth_codes`,
			`DELETE FROM push_subscriptions`, `DELETE FROM import_items WHERE state = 'pending'`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("sign out: %w", err)
			}
		}
		// What was queued before goes: the Delete is the last thing the account says.
		if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries`); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, out)
	})
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
		wiped = msTime(w)
	}
	return msTime(r), wiped, nil
}

// DeliveriesLeft counts the deliveries of the activity iri still queued.
func (s *Store) DeliveriesLeft(ctx context.Context, iri string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM deliveries d JOIN activities a ON a.id = d.activity_id
		WHERE a.iri = ?`, iri).Scan(&n)
	return n, err
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

// wiped lists what Wipe empties, in an order the foreign keys accept.
var wiped = []string{
	`DELETE FROM deliveries`, `DELETE FROM activities`, `DELETE FROM inbox`, `DELETE FROM notifications`,
	`DELETE FROM scheduled_media`, `DELETE FROM scheduled_statuses`, `DELETE FROM media`, `DELETE FROM bookmarks`,
	`DELETE FROM posts`, `DELETE FROM lists`, `DELETE FROM filters`, `DELETE FROM import_items`,
	`DELETE FROM accounts WHERE local = 0`, `DELETE FROM domain_blocks`, `DELETE FROM oauth_apps`,
	`DELETE FROM markers`, `DELETE FROM idempotency`, `DELETE FROM profile_source`,
	`UPDATE accounts SET display_name = '', summary = '', fields = '[]', avatar_url = '', header_url = '',
		also_known_as = '[]' WHERE local = 1`,
}

// Wipe deletes the account's data: posts, media, follows, everything of other accounts, apps
// and queues; the owner's row stays (without profile) so that the server keeps answering 410
// Gone for it. It returns the names of the media files to remove.
func (s *Store) Wipe(ctx context.Context) ([]string, error) {
	var names []string
	err := s.tx(ctx, func(tx *wtx) error {
		names = names[:0]
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
		for _, q := range wiped {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("wipe (%.40s): %w", q, err)
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE account_deletion SET wiped_at = ? WHERE id = 1`, s.nowMS())
		return err
	})
	return names, err
}
