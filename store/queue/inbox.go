package queue

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"roost/store/sqlite"
)

// InboxItem is a verified incoming activity waiting to be processed.
type InboxItem struct {
	ID          int64
	ActivityIRI string
	ActorIRI    string // the verified signer's actor
	Body        []byte
	Attempts    int
	ReceivedAt  time.Time
}

// AddInbox stores a verified incoming activity. It reports false, storing nothing, when a copy
// of it has already been processed: an activity with the same id and the same body, byte for byte
// (see BodyHash; peers reuse ids for different activities). A copy that arrives while the first is
// still waiting is stored too, and dropped by ClaimInbox: looking for it here would put a random
// page of a growing index into every commit. It returns once the activity is committed, so an
// inbox may answer 2xx then; concurrent calls are committed together in one transaction (group
// commit), which shares one fsync among them.
func (q *Queue) AddInbox(ctx context.Context, activityIRI, actorIRI string, body []byte) (bool, error) {
	added, err := q.inbox.Add(ctx, inboxAdd{iri: activityIRI, actor: actorIRI, body: body, hash: BodyHash(body)})
	if err != nil && !errors.Is(err, sqlite.ErrClosed) {
		return false, fmt.Errorf("store incoming activity: %w", err)
	}
	return added, err
}

type inboxAdd struct {
	iri, actor string
	body, hash []byte
}

// BodyHash is what tells two activities with one id apart: the first 16 bytes of the SHA-256
// of the body as received. Ids alone do not: WriteFreely's Update has its Create's id, GoToSocial
// and honk send every edit of a post under one Update id, snac's and honk's Like and Announce ids
// come back after an Undo, and Misskey names each Undo of a follow after the follow. Each of those
// bodies differs (a published or updated time, the new text), while a true copy (the same
// activity sent to the shared and the personal inbox, or sent again) is the same bytes.
func BodyHash(body []byte) []byte {
	sum := sha256.Sum256(body)
	return sum[:16]
}

// InboxComing tells the group committer that an inbox POST is on its way to AddInbox: being
// read, decoded and verified. Call the returned function (more than once is harmless) when the
// POST is handed to AddInbox or will not be.
func (q *Queue) InboxComing() (handed func()) { return q.inbox.Coming() }

const (
	// maxGroup bounds how many incoming activities one transaction commits.
	maxGroup = 256
	// groupLinger is how long the group committer waits for POSTs still coming (InboxComing)
	// before it commits those it has. A commit costs the same CPU for one activity as for ten
	// (BEGIN, the WAL header, the fsync, the checkpoint's look), and a flood's POSTs reach the
	// committer one by one as their verification ends: without waiting, a commit took 1.6 of
	// them on average.
	groupLinger = time.Millisecond
)

// commitInbox writes a group of incoming activities in the group committer's transaction (see
// sqlite.Group: it carries the inbox's throughput target), reporting for each whether it was
// stored.
func (q *Queue) commitInbox(ctx context.Context, tx *sqlite.Tx, batch []inboxAdd) ([]bool, error) {
	now := q.nowMS()
	added := make([]bool, len(batch))
	// The look-up in inbox_seen runs here, on the writer's connection, whose page cache no other
	// connection's commit makes stale: on a reader it cost each POST a fresh read transaction
	// and the index pages read again from the file.
	// An empty body_hash is a row from before migration 0020, when only the id was kept: it
	// stands for any body.
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO inbox (activity_iri, actor_iri, body, received_at)
		SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM inbox_seen WHERE activity_iri = ?1 AND body_hash IN (?5, x''))`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	for i, a := range batch {
		res, err := stmt.Exec(a.iri, a.actor, a.body, now, a.hash)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		added[i] = n > 0
	}
	return added, nil
}

// ClaimInbox leases up to limit unprocessed activities for lease, oldest first. Activities whose
// processing was cut short (a crash) become due again when their lease runs out. A copy of an
// activity already claimed under another row (the same id and body, see BodyHash) is marked done
// as a duplicate instead of returned; those are returned as dropped, without their bodies.
func (q *Queue) ClaimInbox(ctx context.Context, limit int, lease time.Duration) (items, dropped []InboxItem, err error) {
	now := q.nowMS()
	var out []InboxItem
	err = q.db.Write(ctx, func(tx *sqlite.Tx) error {
		out, dropped = out[:0], dropped[:0]
		rows, err := tx.QueryContext(ctx, `UPDATE inbox SET next_at = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM inbox WHERE done_at = 0 AND next_at <= ? ORDER BY next_at, id LIMIT ?)
			RETURNING id, activity_iri, actor_iri, body, attempts, received_at`, now+lease.Milliseconds(), now, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var it InboxItem
			var received int64
			if err := rows.Scan(&it.ID, &it.ActivityIRI, &it.ActorIRI, &it.Body, &it.Attempts, &received); err != nil {
				rows.Close()
				return err
			}
			it.ReceivedAt = sqlite.Time(received)
			out = append(out, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// RETURNING gives rows in no defined order; the oldest copy of an activity must win.
		slices.SortFunc(out, func(a, b InboxItem) int { return cmp.Compare(a.ID, b.ID) })
		kept := out[:0]
		for _, it := range out {
			var first int64
			err := tx.QueryRowContext(ctx, `SELECT inbox_id FROM inbox_seen WHERE activity_iri = ? AND body_hash = x''`,
				it.ActivityIRI).Scan(&first)
			if errors.Is(err, sql.ErrNoRows) {
				err = tx.QueryRowContext(ctx, `INSERT INTO inbox_seen (activity_iri, body_hash, inbox_id, seen_at) VALUES (?, ?, ?, ?)
					ON CONFLICT (activity_iri, body_hash) DO UPDATE SET seen_at = seen_at RETURNING inbox_id`,
					it.ActivityIRI, BodyHash(it.Body), it.ID, now).Scan(&first)
			}
			if err != nil {
				return err
			}
			if first == it.ID {
				kept = append(kept, it)
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE inbox SET done_at = ?, body = x'', error = 'duplicate' WHERE id = ?`,
				now, it.ID); err != nil {
				return err
			}
			it.Body = nil
			dropped = append(dropped, it)
		}
		out = kept
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("claim inbox: %w", err)
	}
	return out, dropped, nil
}

// InboxDone marks an activity processed; the body is dropped. inbox_seen keeps its id to
// recognise copies, as long as PruneInbox keeps the row.
// A non-empty errText records why processing gave up.
func (q *Queue) InboxDone(ctx context.Context, id int64, errText string) error {
	return q.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE inbox SET done_at = ?, body = x'', error = ? WHERE id = ?`,
			q.nowMS(), sqlite.Truncate(errText, 500), id)
		return err
	})
}

// InboxResult is the outcome of processing one incoming activity.
type InboxResult struct {
	ID    int64
	Error string // why processing gave up; "" when it succeeded
}

// InboxDoneMany marks several activities processed in one transaction (see InboxDone).
func (q *Queue) InboxDoneMany(ctx context.Context, results []InboxResult) error {
	if len(results) == 0 {
		return nil
	}
	now := q.nowMS()
	return q.db.Write(ctx, func(tx *sqlite.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE inbox SET done_at = ?, body = x'', error = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range results {
			if _, err := stmt.ExecContext(ctx, now, sqlite.Truncate(r.Error, 500), r.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// InboxRetry makes an activity due again at at (processing hit a temporary failure).
func (q *Queue) InboxRetry(ctx context.Context, id int64, at time.Time, errText string) error {
	return q.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE inbox SET next_at = ?, error = ? WHERE id = ?`,
			at.UnixMilli(), sqlite.Truncate(errText, 500), id)
		return err
	})
}

// InboxPending counts activities not yet processed.
func (q *Queue) InboxPending(ctx context.Context) (int, error) {
	var n int
	err := q.r.QueryRowContext(ctx, `SELECT count(*) FROM inbox WHERE done_at = 0`).Scan(&n)
	return n, err
}

// PruneInbox forgets processed activities older than before.
func (q *Queue) PruneInbox(ctx context.Context, before time.Time) error {
	return q.db.Write(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM inbox WHERE done_at > 0 AND done_at < ?`, before.UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM inbox_seen WHERE seen_at < ?`, before.UnixMilli())
		return err
	})
}

// InboxCount counts received activities, processed or not; with a non-empty activityIRI only the
// copies of that activity (usually 0 or 1; a copy that arrived before the first was processed
// is stored too). Looking up one activity reads the whole table: it is for tests.
func (q *Queue) InboxCount(ctx context.Context, activityIRI string) (int, error) {
	var n int
	err := q.r.QueryRowContext(ctx, `SELECT count(*) FROM inbox WHERE ? = '' OR activity_iri = ?`,
		activityIRI, activityIRI).Scan(&n)
	return n, err
}

// InboxCopies counts the stored copies of every activity received, by activity id, in one read
// of the table: for tests that check many.
func (q *Queue) InboxCopies(ctx context.Context) (map[string]int, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT activity_iri, count(*) FROM inbox GROUP BY activity_iri`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var iri string
		var n int
		if err := rows.Scan(&iri, &n); err != nil {
			return nil, err
		}
		out[iri] = n
	}
	return out, rows.Err()
}
