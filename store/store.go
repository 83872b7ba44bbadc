// Package store is Roost's only code that speaks SQL: one SQLite file, one writer connection, a
// read-only pool, embedded migrations, and the durable queues for incoming and outgoing activities.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrNotFound means no row matched.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the write would break a uniqueness rule (a duplicate).
	ErrConflict = errors.New("conflict")
	// ErrSchemaTooNew means the database was written by a newer Roost.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is an open Roost database.
type Store struct {
	w      *sql.DB // exactly one connection: SQLite has one writer anyway, and this avoids SQLITE_BUSY
	wcache *stmtCache
	r      *readDB // query_only readers
	ids    idGen
	now    func() time.Time

	adds          chan inboxAdd // AddInbox calls waiting for the group committer
	coming        atomic.Int64  // inbox POSTs on their way to AddInbox, see InboxComing
	linger        time.Duration // groupLinger; tests lengthen it
	quit          chan struct{} // closed by Close
	committerDone chan struct{}

	lazy           bool    // the writer's connection is at synchronous=NORMAL, see txOn
	ck             *sql.DB // the checkpointer's own connection, see checkpoint
	walFile        string
	committed      chan struct{} // wakes the checkpointer after a commit
	checkpointDone chan struct{}
	closeOnce      sync.Once
	readOnly       string // the DSN's mode for OpenReadOnly ("mode=ro", maybe with immutable=1)

	// What every inbox POST asks, kept in memory (see memo).
	domainBlocks memo[map[string]bool]
	blocked      memo[map[int64]bool] // accounts the owner blocks
	failingHosts memo[map[string]bool]
	keyAccounts  keyAccounts

	onChange changeHook // see OnCommit
}

// Open opens (creating if needed) the SQLite database at file, checks it is in WAL mode and
// applies pending migrations. It refuses a database whose schema is newer than this binary.
// Only the server (and a restore) open the database this way: see OpenCurrent and OpenReadOnly.
func Open(ctx context.Context, file string) (*Store, error) {
	return open(ctx, file, true)
}

// OpenCurrent opens an existing database for reading and writing without migrating it: a newer
// binary's command must not change the schema under an older server that still runs. It fails
// with ErrSchemaOld when the database needs migrations, and ErrSchemaTooNew when it is newer.
func OpenCurrent(ctx context.Context, file string) (*Store, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	return open(ctx, file, false)
}

// ErrSchemaOld means the database was written by an older Roost and needs its migrations, which
// only `roost serve` (or a restore) applies.
var ErrSchemaOld = errors.New("database schema is older than this binary")

func open(ctx context.Context, file string, migrate bool) (*Store, error) {
	// Commit with fdatasync, as SQLite's own Linux builds do: it syncs the data and the size a
	// read needs but not the timestamps, whose journal commit is most of what an fsync waits
	// for on ext4. modernc's transpile keeps fsync unless asked. The switch is process-wide and
	// idempotent; where the platform lacks fdatasync, fsync simply stays.
	sqlite.Fdatasync(true)
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

	s := &Store{w: w, wcache: newStmtCache(w, true), r: &readDB{DB: r, cache: newStmtCache(r, false)}, now: time.Now,
		adds: make(chan inboxAdd), linger: groupLinger, quit: make(chan struct{}), committerDone: make(chan struct{}),
		ck: ck, walFile: file + "-wal", committed: make(chan struct{}, 1), checkpointDone: make(chan struct{})}
	go s.commitInbox()
	go s.checkpoint()
	check := s.migrate
	if !migrate {
		check = s.checkSchema
	}
	if err := check(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenReadOnly opens an existing database only to read it (a backup), without migrating it and
// without writing anything to its folder, which may be read-only: SQLite reads a WAL database
// through its -shm file, which it cannot create there; a database without a -wal file (its
// server stopped cleanly) is then opened as immutable. Writes through it fail.
func OpenReadOnly(ctx context.Context, file string) (*Store, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	s, err := openReadOnly(ctx, file, "mode=ro")
	if err != nil {
		if _, werr := os.Stat(file + "-wal"); errors.Is(werr, os.ErrNotExist) {
			if s, err2 := openReadOnly(ctx, file, "mode=ro&immutable=1"); err2 == nil {
				return s, nil
			}
		}
		return nil, fmt.Errorf("open %s read-only: %w", file, err)
	}
	return s, nil
}

func openReadOnly(ctx context.Context, file, mode string) (*Store, error) {
	db, err := sql.Open("sqlite", dsn(file, mode, "busy_timeout(10000)", "query_only(1)"))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{w: db, wcache: newStmtCache(db, true), r: &readDB{DB: db, cache: newStmtCache(db, false)},
		now: time.Now, quit: make(chan struct{}), committerDone: make(chan struct{}), ck: db,
		checkpointDone: make(chan struct{}), readOnly: mode}
	close(s.committerDone)
	close(s.checkpointDone)
	return s, nil
}

// checkSchema fails unless the database's schema is the one this binary's migrations make.
func (s *Store) checkSchema(ctx context.Context) error {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	var current int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case current > len(names):
		return fmt.Errorf("%w: database is at version %d, this binary knows %d", ErrSchemaTooNew, current, len(names))
	case current < len(names):
		return fmt.Errorf("%w: database is at version %d, this binary's is %d", ErrSchemaOld, current, len(names))
	}
	return nil
}

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

// Close stops the group committer (after the batch it is committing) and the checkpointer, and
// closes the connections; closing the last one checkpoints what is left and removes the WAL.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.quit) })
	<-s.committerDone
	<-s.checkpointDone
	if s.readOnly != "" { // one connection for all three
		return errors.Join(s.r.cache.close(), s.wcache.close(), s.w.Close())
	}
	return errors.Join(s.r.cache.close(), s.wcache.close(), s.r.Close(), s.ck.Close(), s.w.Close())
}

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
func (s *Store) checkpoint() {
	defer close(s.checkpointDone)
	const (
		pause        = 100 * time.Millisecond // between rounds: fewer, larger copies and fsyncs
		restartPages = 4000                   // 16 MB of WAL with 4 KiB pages
	)
	ctx := context.Background()
	for {
		select {
		case <-s.committed:
		case <-s.quit:
			return
		}
		// A WAL file under 1 MB holds too little to be worth a copy and its fsync (SQLite's
		// own threshold is 4 MB); leaving it keeps the checkpointer's connection closed on an
		// idle server. Its size only grows until a restart, so it never hides a larger WAL.
		if fi, err := os.Stat(s.walFile); err == nil && fi.Size() < 1<<20 {
			continue
		}
		var busy, log, copied int
		err := s.ck.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied)
		if err == nil && log >= restartPages && copied == log {
			// Commits went on during that copy. Copy them too, twice (each copy is shorter
			// than the one before), so that the writer's own part is short: under the inbox
			// benchmark it held the writer 19 ms (median), and 11 ms after these copies.
			for range 2 {
				s.ck.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
			}
			s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		}
		select {
		case <-time.After(pause):
		case <-s.quit:
			return
		}
	}
}

// Now returns the store's clock. Tests may replace it with SetClock.
func (s *Store) Now() time.Time { return s.now() }

// SetClock replaces the clock used for timestamps and due times (tests only).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

func (s *Store) nowMS() int64 { return s.now().UnixMilli() }

// migrate applies the embedded migrations newer than PRAGMA user_version, each in its own
// transaction together with the user_version bump, so a failed migration changes nothing. Before
// it changes a database that was in use (user_version > 0) it takes a snapshot of it, see
// snapshotBeforeMigrate.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	var current int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(names) {
		return fmt.Errorf("%w: database is at version %d, this binary knows %d", ErrSchemaTooNew, current, len(names))
	}
	if current > 0 && current < len(names) {
		// An upgrade of a database in use: keep a copy to go back to by hand, should it go wrong.
		if err := s.snapshotBeforeMigrate(ctx, current+1); err != nil {
			return err
		}
	}
	for i, name := range names {
		version := i + 1
		if n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0]); err != nil || n != version {
			return fmt.Errorf("migration %s: file names must be numbered 0001, 0002, ... without gaps", name)
		}
		if version <= current {
			continue
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *wtx) error {
			if _, err := tx.Tx.ExecContext(ctx, string(body)); err != nil { // many statements: not cached
				return err
			}
			_, err := tx.Tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// tx runs fn in a write transaction and commits it when fn returns nil. The commit waits for
// the disk (synchronous=FULL) unless ctx comes from LazySync.
func (s *Store) tx(ctx context.Context, fn func(tx *wtx) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	err = s.txOn(ctx, conn, fn)
	conn.Close() // back to the pool, before preparePending asks for it
	if s.wcache.hasPending() {
		s.wcache.preparePending(ctx)
	}
	return err
}

func (s *Store) txOn(ctx context.Context, conn *sql.Conn, fn func(tx *wtx) error) error {
	// The writer has one connection, so s.lazy, its synchronous setting, is only read and
	// written by the goroutine holding it. SQLite refuses to change it inside a transaction.
	if lazy := ctx.Value(lazySyncKey{}) != nil; lazy != s.lazy {
		mode := "PRAGMA synchronous = FULL"
		if lazy {
			mode = "PRAGMA synchronous = NORMAL"
		}
		if _, err := conn.ExecContext(ctx, mode); err != nil {
			return err
		}
		s.lazy = lazy
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	w := &wtx{Tx: tx, cache: s.wcache}
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
	case s.committed <- struct{}{}:
	default:
	}
	return nil
}

type lazySyncKey struct{}

// LazySync returns a context under which the store's writes commit without waiting for the disk
// (synchronous=NORMAL in WAL mode). A crash of the process loses none of them; a power cut may
// lose the last few, together with everything committed after them and nothing before: the WAL
// is written in order, and the next commit that does wait for the disk takes them along. It is
// for work that is done again when its record is lost, such as processing an inbox activity
// that was itself committed with a wait, and whose "done" mark comes after its effects.
func LazySync(ctx context.Context) context.Context {
	return context.WithValue(ctx, lazySyncKey{}, true)
}

// SchemaVersion returns PRAGMA user_version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// IntegrityCheck runs PRAGMA integrity_check and returns an error unless it reports "ok".
func (s *Store) IntegrityCheck(ctx context.Context) error {
	var res string
	if err := s.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}

// ErrCorrupt means the database file is damaged: SQLite found malformed pages.
var ErrCorrupt = errors.New("the database file is damaged")

// QuickCheck runs PRAGMA quick_check, which reads every page of the database and checks its
// structure (not the contents of indexes against their tables, which integrity_check adds).
// It fails with ErrCorrupt unless the check reports "ok".
func (s *Store) QuickCheck(ctx context.Context) error {
	var res string
	if err := s.r.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&res); err != nil {
		if IsCorrupt(err) {
			return fmt.Errorf("%w: quick check: %w", ErrCorrupt, err)
		}
		return fmt.Errorf("quick check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("%w: quick check: %s", ErrCorrupt, res)
	}
	return nil
}

// IsCorrupt reports whether err is SQLite's SQLITE_CORRUPT or SQLITE_NOTADB ("database disk
// image is malformed", "file is not a database"), or ErrCorrupt.
func IsCorrupt(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		code := e.Code() & 0xff // the primary code, without the extended bits
		return code == sqlite3.SQLITE_CORRUPT || code == sqlite3.SQLITE_NOTADB
	}
	return errors.Is(err, ErrCorrupt)
}

// idGen makes time-ordered 64-bit IDs: milliseconds since the Unix epoch shifted left by 16 bits,
// plus a sequence within the millisecond, as Mastodon does. IDs from one generator never repeat
// and never go backwards, even if the clock does.
type idGen struct {
	mu   sync.Mutex
	last int64
}

func (g *idGen) next(t time.Time) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := t.UnixMilli() << 16
	if id <= g.last {
		id = g.last + 1
		if id&0x8000 != 0 { // the local half of this millisecond is used up: take the next one
			id = (id>>16 + 1) << 16
		}
	}
	g.last = id
	return id
}

// NewID returns a fresh time-ordered ID for a local object.
func (s *Store) NewID() int64 { return s.ids.next(s.now()) }

// IDAt returns an ID that sorts at time t, for remote objects stored with their published time.
// The low 15 bits come from key, so the same object gets the same ID on a retry, and bit 15 is
// set, so remote IDs never collide with local ones (whose sequence stays below 0x8000).
func IDAt(t time.Time, key string) int64 {
	var h uint32 = 2166136261
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return t.UnixMilli()<<16 | 0x8000 | int64(h&0x7fff)
}

// IDTime returns the time encoded in a time-ordered ID.
func IDTime(id int64) time.Time { return time.UnixMilli(id >> 16) }

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// LimitSize caps the database at about bytes (PRAGMA max_page_count on the writer; 0 lifts the
// cap). A write that would grow it further fails as on a full disk, and the transaction rolls
// back. Tests use it to show what a full disk does; an operator could use it as a quota.
func (s *Store) LimitSize(ctx context.Context, bytes int64) error {
	var pageSize int64
	if err := s.w.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return err
	}
	pages := int64(4294967294) // SQLite's default maximum
	if bytes > 0 {
		pages = max(1, bytes/pageSize)
	}
	_, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages))
	return err
}
