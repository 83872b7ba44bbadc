package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Backup writes a consistent copy of the database to file while db stays in use, then
// opens the copy and checks it with PRAGMA integrity_check. file must not exist or be empty, and
// is removed again on failure.
//
// The copy is made with VACUUM INTO (https://sqlite.org/lang_vacuum.html#vacuuminto) on a
// connection of its own: the read-only pool refuses it (query_only), and on the writer it would
// hold up every write until it finished, while in WAL mode a reader blocks no writer.
func (db *DB) Backup(ctx context.Context, file string) (err error) {
	if fi, err := os.Stat(file); err == nil && fi.Size() > 0 {
		return fmt.Errorf("backup: %s exists", file)
	}
	src, err := db.dbFile(ctx)
	if err != nil {
		return err
	}
	// Read-only: a backup writes nothing to the data folder. VACUUM INTO reads through it.
	mode := "mode=ro"
	if db.readOnly != "" {
		mode = db.readOnly
	}
	c, err := sql.Open("sqlite", dsn(src, mode, "busy_timeout(10000)"))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer c.Close()
	c.SetMaxOpenConns(1)
	defer func() {
		if err != nil {
			removeDBFiles(file)
		}
	}()
	if err := vacuumInto(ctx, c, file); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := checkCopy(ctx, file); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// checkCopy opens a copy of the database, which nothing else uses, read-only and runs PRAGMA
// integrity_check on it.
func checkCopy(ctx context.Context, file string) error {
	if _, err := os.Stat(file); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", dsn(file, "mode=ro", "busy_timeout(10000)"))
	if err != nil {
		return err
	}
	defer db.Close()
	// A read-only connection to a WAL database may leave its -shm (and an empty -wal) behind.
	defer removeSidecars(file)
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("integrity check of %s: %w", file, err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check of %s: %s", file, res)
	}
	return nil
}

// Size returns the bytes the database takes on disk: the main file and its write-ahead log.
func (db *DB) Size(ctx context.Context) (int64, error) {
	file, err := db.dbFile(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, f := range []string{file, file + "-wal"} {
		fi, err := os.Stat(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		n += fi.Size()
	}
	return n, nil
}

// dbFile returns the path of the main database file, as SQLite resolved it.
func (db *DB) dbFile(ctx context.Context) (string, error) {
	var file string
	err := db.r.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file)
	if err != nil {
		return "", fmt.Errorf("database file name: %w", err)
	}
	if file == "" {
		return "", errors.New("database file name: the database is not a file")
	}
	return file, nil
}

// snapshotBeforeMigrate copies the database to roost.db.before-v{version}.bak before migration
// version changes it, so an upgrade that goes wrong can be undone by hand, and keeps the newest
// keep of these files. It runs on the writer, before any migration transaction.
func (db *DB) snapshotBeforeMigrate(ctx context.Context, version, keep int) error {
	file, err := db.dbFile(ctx)
	if err != nil {
		return err
	}
	snap := snapshotName(file, version)
	tmp := snap + ".tmp"
	removeDBFiles(tmp) // left over from a crash during an earlier attempt
	// It holds the private keys: created 0600 here, where VACUUM INTO would make it 0644.
	if err := privateFile(tmp); err != nil {
		return fmt.Errorf("snapshot before migration %d: %w", version, err)
	}
	if err := vacuumInto(ctx, db.w, tmp); err != nil {
		removeDBFiles(tmp)
		return fmt.Errorf("snapshot before migration %d: %w", version, err)
	}
	if err := os.Rename(tmp, snap); err != nil {
		removeDBFiles(tmp)
		return fmt.Errorf("snapshot before migration %d: %w", version, err)
	}
	if err := SyncDir(filepath.Dir(snap)); err != nil {
		return fmt.Errorf("snapshot before migration %d: %w", version, err)
	}
	return pruneSnapshots(file, keep)
}

func snapshotName(file string, version int) string {
	return fmt.Sprintf("%s.before-v%d.bak", file, version)
}

// Snapshots returns the pre-migration snapshots of the database file, oldest (lowest version)
// first.
func Snapshots(file string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	prefix := filepath.Base(file) + ".before-v"
	versions := map[string]int{}
	var out []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSuffix(rest, ".bak"))
		if err != nil || !strings.HasSuffix(rest, ".bak") {
			continue
		}
		name := filepath.Join(filepath.Dir(file), e.Name())
		versions[name] = v
		out = append(out, name)
	}
	sort.Slice(out, func(i, j int) bool { return versions[out[i]] < versions[out[j]] })
	return out, nil
}

// pruneSnapshots removes all but the keep newest snapshots of file.
func pruneSnapshots(file string, keep int) error {
	snaps, err := Snapshots(file)
	if err != nil {
		return err
	}
	for len(snaps) > keep {
		if err := os.Remove(snaps[0]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		snaps = snaps[1:]
	}
	return nil
}

// vacuumInto writes a compacted, consistent copy of the database db is connected to into file
// and makes it durable: SQLite does not fsync the output of VACUUM INTO.
func vacuumInto(ctx context.Context, db *sql.DB, file string) error {
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", file); err != nil {
		return fmt.Errorf("vacuum into %s: %w", file, err)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", file, err)
	}
	return nil
}

// removeDBFiles removes a database file with its write-ahead log and shared-memory file.
func removeDBFiles(file string) {
	os.Remove(file)
	removeSidecars(file)
}

func removeSidecars(file string) {
	os.Remove(file + "-wal")
	os.Remove(file + "-shm")
}

// SyncDir flushes a folder's entries to disk, so that a file just created or renamed in it
// survives a power loss under its new name.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
