// Package store is Roost's only code that speaks SQL: the tables of one SQLite file (opened by
// store/sqlite, with one writer connection and a read-only pool) and its embedded migrations.
// The packages under it keep jobs of their own on the same database: store/auth the owner's
// credentials, store/queue the durable queues of incoming and outgoing activities.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"roost/store/sqlite"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrNotFound means no row matched.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the write would break a uniqueness rule (a duplicate).
	ErrConflict = errors.New("conflict")
	// ErrSchemaTooNew means the database was written by a newer Roost.
	ErrSchemaTooNew = sqlite.ErrSchemaTooNew
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is an open Roost database.
type Store struct {
	db  *sqlite.DB
	w   *sql.DB        // the writer's one connection, for pragmas outside a transaction
	r   *sqlite.Reader // query_only readers
	ids idGen
	now func() time.Time

	// What every inbox POST asks, kept in memory (see sqlite.Memo and keyAccounts).
	domainBlocks sqlite.Memo[map[string]bool]
	blocked      sqlite.Memo[map[int64]bool] // accounts the owner blocks
	keyAccounts  keyAccounts

	onChange changeHook // see OnCommit
}

// wtx and readDB are the write transaction and the read pool, with cached statements.
type (
	wtx    = sqlite.Tx
	readDB = sqlite.Reader
)

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
var ErrSchemaOld = sqlite.ErrSchemaOld

func open(ctx context.Context, file string, migrate bool) (*Store, error) {
	db, err := sqlite.Open(ctx, file)
	if err != nil {
		return nil, err
	}
	s := newStore(db)
	files, err := fs.Sub(migrationFiles, "migrations")
	if err == nil && migrate {
		err = db.Migrate(ctx, files, SnapshotsKept)
	} else if err == nil {
		err = db.CheckSchema(ctx, files)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func newStore(db *sqlite.DB) *Store {
	return &Store{db: db, w: db.Writer(), r: db.Reader(), now: time.Now}
}

// OpenReadOnly opens an existing database only to read it (a backup), without migrating it and
// without writing anything to its folder, which may be read-only: SQLite reads a WAL database
// through its -shm file, which it cannot create there; a database without a -wal file (its
// server stopped cleanly) is then opened as immutable. Writes through it fail.
func OpenReadOnly(ctx context.Context, file string) (*Store, error) {
	db, err := sqlite.OpenReadOnly(ctx, file)
	if err != nil {
		return nil, err
	}
	return newStore(db), nil
}

// Close stops the group committer (after the batch it is committing) and the checkpointer, and
// closes the connections; closing the last one checkpoints what is left and removes the WAL.
func (s *Store) Close() error { return s.db.Close() }

// DB returns the database the store is open on, for the packages under store that keep tables
// of their own on it (store/auth, store/queue).
func (s *Store) DB() *sqlite.DB { return s.db }

// Now returns the store's clock. Tests may replace it with SetClock.
func (s *Store) Now() time.Time { return s.now() }

// SetClock replaces the clock used for timestamps and due times (tests only).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

func (s *Store) nowMS() int64 { return s.now().UnixMilli() }

// tx runs fn in a write transaction and commits it when fn returns nil. The commit waits for
// the disk (synchronous=FULL) unless ctx comes from LazySync.
func (s *Store) tx(ctx context.Context, fn func(tx *wtx) error) error { return s.db.Write(ctx, fn) }

// LazySync returns a context under which the store's writes commit without waiting for the disk
// (synchronous=NORMAL in WAL mode); see sqlite.LazySync for what a crash or a power cut loses.
// It is for work that is done again when its record is lost, such as processing an inbox
// activity that was itself committed with a wait, and whose "done" mark comes after its effects.
func LazySync(ctx context.Context) context.Context { return sqlite.LazySync(ctx) }

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
	return sqlite.IsCorrupt(err) || errors.Is(err, ErrCorrupt)
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

func isUnique(err error) bool { return sqlite.IsUnique(err) }

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
