// Package sqlite opens a SQLite file the way Roost's store needs it: the pragmas (WAL,
// synchronous=FULL, foreign keys), one writer connection and a pool of query-only readers, each
// with a statement cache, the group committer, the checkpointer, migrations, and backups and
// snapshots of the file. It knows nothing of Roost's tables: package store holds every query.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	driver "modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrClosed is returned by writes that arrive after Close.
var ErrClosed = errors.New("store is closed")

// DB is an open SQLite file: one writer connection, a read-only pool and a checkpointer.
type DB struct {
	w      *sql.DB // exactly one connection: SQLite has one writer anyway, and this avoids SQLITE_BUSY
	wcache *stmtCache
	r      *Reader // query_only readers
	lazy   bool    // the writer's connection is at synchronous=NORMAL, see Write

	ck        *sql.DB // the checkpointer's own connection, see checkpoint
	walFile   string
	committed chan struct{} // wakes the checkpointer after a commit
	readOnly  string        // the DSN's mode for OpenReadOnly ("mode=ro", maybe with immutable=1)

	quit      chan struct{} // closed by Close
	workers   sync.WaitGroup
	closeOnce sync.Once
}

// Open opens (creating if needed) the SQLite database at file for reading and writing, and
// checks that it is in WAL mode. The file and its -wal and -shm are readable by their owner
// only: the database holds the private keys.
func Open(ctx context.Context, file string) (*DB, error) {
	// Commit with fdatasync, as SQLite's own Linux builds do: it syncs the data and the size a
	// read needs but not the timestamps, whose journal commit is most of what an fsync waits
	// for on ext4. modernc's transpile keeps fsync unless asked. The switch is process-wide and
	// idempotent; where the platform lacks fdatasync, fsync simply stays.
	driver.Fdatasync(true)
	if err := privateFile(file); err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	// busy_timeout must come first: the journal_mode pragma itself may need to wait for a lock.
	// synchronous(FULL): a commit that Roost acknowledged survives power loss, not only a crash.
	// wal_autocheckpoint(0): checkpoints run beside the writer, not inside its commits (see
	// checkpoint); journal_size_limit gives the disk back once the WAL starts over.
	w, err := sql.Open("sqlite", dsn(file, "_txlock=immediate", "busy_timeout(10000)", "journal_mode(WAL)",
		"foreign_keys(ON)", "synchronous(FULL)", "wal_autocheckpoint(0)", "journal_size_limit(67108864)"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)

	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	if mode != "wal" {
		w.Close()
		return nil, fmt.Errorf("open %s: journal_mode is %q, want wal", file, mode)
	}
	// SQLite creates the -wal and -shm files with the database's mode; those left by an older
	// Roost (or copied in) may be wider.
	for _, f := range []string{file + "-wal", file + "-shm"} {
		if err := chmodPrivate(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			w.Close()
			return nil, fmt.Errorf("open %s: %w", file, err)
		}
	}

	r, err := sql.Open("sqlite", dsn(file, "", "busy_timeout(10000)", "foreign_keys(ON)", "query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(4)

	ck, err := sql.Open("sqlite", dsn(file, "", "busy_timeout(10000)", "synchronous(FULL)"))
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(1)
	ck.SetConnMaxIdleTime(2 * time.Second) // an idle server gives its memory back

	db := &DB{w: w, wcache: newStmtCache(w, true), r: &Reader{DB: r, cache: newStmtCache(r, false)},
		ck: ck, walFile: file + "-wal", committed: make(chan struct{}, 1), quit: make(chan struct{})}
	db.workers.Add(1)
	go db.checkpoint()
	return db, nil
}

// OpenReadOnly opens an existing database only to read it (a backup), without writing anything
// to its folder, which may be read-only: SQLite reads a WAL database through its -shm file,
// which it cannot create there; a database without a -wal file (its server stopped cleanly) is
// then opened as immutable. Writes through it fail.
func OpenReadOnly(ctx context.Context, file string) (*DB, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	db, err := openReadOnly(ctx, file, "mode=ro")
	if err != nil {
		if _, werr := os.Stat(file + "-wal"); errors.Is(werr, os.ErrNotExist) {
			if db, err2 := openReadOnly(ctx, file, "mode=ro&immutable=1"); err2 == nil {
				return db, nil
			}
		}
		return nil, fmt.Errorf("open %s read-only: %w", file, err)
	}
	return db, nil
}

func openReadOnly(ctx context.Context, file, mode string) (*DB, error) {
	c, err := sql.Open("sqlite", dsn(file, mode, "busy_timeout(10000)", "query_only(1)"))
	if err != nil {
		return nil, err
	}
	c.SetMaxOpenConns(1)
	var v int
	if err := c.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		c.Close()
		return nil, err
	}
	return &DB{w: c, wcache: newStmtCache(c, true), r: &Reader{DB: c, cache: newStmtCache(c, false)},
		ck: c, committed: make(chan struct{}, 1), quit: make(chan struct{}), readOnly: mode}, nil
}

// Writer returns the writer's pool of one connection, for statements outside a transaction
// (pragmas).
func (db *DB) Writer() *sql.DB { return db.w }

// Reader returns the query-only pool.
func (db *DB) Reader() *Reader { return db.r }

// privateFile creates the database file readable by its owner only (it holds the private keys),
// before SQLite would create it with 0644, or narrows the mode of an existing one.
func privateFile(file string) error {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, os.ErrExist) {
		return err
	}
	return chmodPrivate(file)
}

// chmodPrivate takes group and other permissions away from file, if it has any.
func chmodPrivate(file string) error {
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	return os.Chmod(file, fi.Mode().Perm()&0o700)
}

func dsn(file, extra string, pragmas ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	// The path is a URI path here: escape what SQLite's URI parser would read otherwise.
	path := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(file)
	s := "file:" + path + "?" + q.Encode()
	if extra != "" {
		s += "&" + extra
	}
	return s
}

// Close stops the group committers (after the batch each is committing) and the checkpointer,
// and closes the connections; closing the last one checkpoints what is left and removes the WAL.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.quit) })
	db.workers.Wait()
	if db.readOnly != "" { // one connection for all three
		return errors.Join(db.r.cache.close(), db.wcache.close(), db.w.Close())
	}
	return errors.Join(db.r.cache.close(), db.wcache.close(), db.r.Close(), db.ck.Close(), db.w.Close())
}

// Write runs fn in a write transaction and commits it when fn returns nil. The commit waits for
// the disk (synchronous=FULL) unless ctx comes from LazySync.
func (db *DB) Write(ctx context.Context, fn func(tx *Tx) error) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	err = db.writeOn(ctx, conn, fn)
	conn.Close() // back to the pool, before preparePending asks for it
	if db.wcache.hasPending() {
		db.wcache.preparePending(ctx)
	}
	return err
}

func (db *DB) writeOn(ctx context.Context, conn *sql.Conn, fn func(tx *Tx) error) error {
	// The writer has one connection, so db.lazy, its synchronous setting, is only read and
	// written by the goroutine holding it. SQLite refuses to change it inside a transaction.
	if lazy := ctx.Value(lazySyncKey{}) != nil; lazy != db.lazy {
		mode := "PRAGMA synchronous = FULL"
		if lazy {
			mode = "PRAGMA synchronous = NORMAL"
		}
		if _, err := conn.ExecContext(ctx, mode); err != nil {
			return err
		}
		db.lazy = lazy
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	w := &Tx{Tx: tx, cache: db.wcache}
	if err := fn(w); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, f := range w.onCommit {
		f()
	}
	select {
	case db.committed <- struct{}{}:
	default:
	}
	return nil
}

type lazySyncKey struct{}

// LazySync returns a context under which writes commit without waiting for the disk
// (synchronous=NORMAL in WAL mode). A crash of the process loses none of them; a power cut may
// lose the last few, together with everything committed after them and nothing before: the WAL
// is written in order, and the next commit that does wait for the disk takes them along. It is
// for work that is done again when its record is lost, such as processing an inbox activity
// that was itself committed with a wait, and whose "done" mark comes after its effects.
func LazySync(ctx context.Context) context.Context {
	return context.WithValue(ctx, lazySyncKey{}, true)
}

// IsCorrupt reports whether err is SQLite's SQLITE_CORRUPT or SQLITE_NOTADB ("database disk
// image is malformed", "file is not a database").
func IsCorrupt(err error) bool {
	var e *driver.Error
	if errors.As(err, &e) {
		code := e.Code() & 0xff // the primary code, without the extended bits
		return code == sqlite3.SQLITE_CORRUPT || code == sqlite3.SQLITE_NOTADB
	}
	return false
}
