package store

import (
	"context"

	"roost/store/sqlite"
)

// SnapshotsKept is how many pre-migration snapshots (roost.db.before-vN.bak) are kept beside the
// database; older ones are removed when a new one is taken.
const SnapshotsKept = 3

// Backup writes a consistent copy of the database to file while the store stays in use, then
// opens the copy and checks it with PRAGMA integrity_check. file must not exist or be empty, and
// is removed again on failure.
func (s *Store) Backup(ctx context.Context, file string) error { return s.db.Backup(ctx, file) }

// Size returns the bytes the database takes on disk: the main file and its write-ahead log.
func (s *Store) Size(ctx context.Context) (int64, error) { return s.db.Size(ctx) }

// Snapshots returns the pre-migration snapshots of the database file (roost.db.before-vN.bak),
// oldest (lowest version) first.
func Snapshots(file string) ([]string, error) { return sqlite.Snapshots(file) }

// SyncDir flushes a folder's entries to disk, so that a file just created or renamed in it
// survives a power loss under its new name.
func SyncDir(dir string) error { return sqlite.SyncDir(dir) }
