package sqlite

import (
	"context"
	"os"
	"time"
)

// checkpoint copies committed pages from the WAL into the database file, mostly on its own
// connection, so that the writer seldom waits for it. SQLite's automatic checkpoint would run
// inside the commit that takes the WAL past 1,000 pages, and every inbox POST waiting on that
// commit would wait for the copy and the fsync of the database file too.
//
// A PASSIVE checkpoint on the checkpointer's connection copies beside the writer and readers.
// The WAL starts over from its beginning only when a write finds all of it copied, which under a
// steady stream of commits never happens by itself: each copy takes a few milliseconds, in which
// new commits arrive. So once the WAL passes restartPages and a copy has caught up, a second
// PASSIVE checkpoint runs on the writer's own connection: nothing can commit while it copies the
// few pages written meanwhile, and the next write starts the WAL over (journal_size_limit then
// trims the file). Errors (a full disk, a reader holding an old snapshot) only mean the WAL
// grows until a later round, after the next commit, succeeds.
func (db *DB) checkpoint() {
	defer db.workers.Done()
	const (
		pause        = 100 * time.Millisecond // between rounds: fewer, larger copies and fsyncs
		restartPages = 4000                   // 16 MB of WAL with 4 KiB pages
	)
	ctx := context.Background()
	for {
		select {
		case <-db.committed:
		case <-db.quit:
			return
		}
		// A WAL file under 1 MB holds too little to be worth a copy and its fsync (SQLite's
		// own threshold is 4 MB); leaving it keeps the checkpointer's connection closed on an
		// idle server. Its size only grows until a restart, so it never hides a larger WAL.
		if fi, err := os.Stat(db.walFile); err == nil && fi.Size() < 1<<20 {
			continue
		}
		var busy, log, copied int
		err := db.ck.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied)
		if err == nil && log >= restartPages && copied == log {
			// Commits went on during that copy. Copy them too, twice (each copy is shorter
			// than the one before), so that the writer's own part is short: under the inbox
			// benchmark it held the writer 19 ms (median), and 11 ms after these copies.
			for range 2 {
				db.ck.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
			}
			db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		}
		select {
		case <-time.After(pause):
		case <-db.quit:
			return
		}
	}
}
