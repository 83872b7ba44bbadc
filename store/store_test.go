package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/store/storetest"
)

// testEpoch is where every test clock starts: far from the zero time, in UTC.
var testEpoch = storetest.Epoch

// fakeClock is a settable clock for Store.SetClock.
type fakeClock = storetest.Clock

// openStore opens the database file and closes it when the test ends.
func openStore(tb testing.TB, file string) *Store { tb.Helper(); return storetest.Open(tb, Open, file) }

// newTestStore opens a fresh database in a temporary directory with a fake clock at testEpoch.
func newTestStore(tb testing.TB) (*Store, *fakeClock) { tb.Helper(); return storetest.Fresh(tb, Open) }

// rawDB opens the file with database/sql and the "sqlite" driver, bypassing the store.
func rawDB(tb testing.TB, file string, readOnly bool) *sql.DB {
	tb.Helper()
	return storetest.RawDB(tb, file, readOnly)
}

// count runs a count(*) query through the read pool.
func count(tb testing.TB, s *Store, query string, args ...any) int {
	tb.Helper()
	return storetest.Count(tb, s.r, query, args...)
}

func migrationCount(tb testing.TB) int {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no migrations found: %v", err)
	}
	return len(names)
}

func TestOpenWAL(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "roost.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := s.r.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// WAL mode is a property of the file: a plain connection sees it too.
	db := rawDB(t, file, false)
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode after close = %q, want wal", mode)
	}
}

// The writer's pragmas carry the durability and integrity contracts.
func TestOpenWriterPragmas(t *testing.T) {
	s, _ := newTestStore(t)
	for _, tc := range []struct {
		pragma string
		want   int
	}{
		{"synchronous", 2}, // FULL
		{"foreign_keys", 1},
		{"busy_timeout", 10000},
	} {
		t.Run(tc.pragma, func(t *testing.T) {
			var got int
			if err := s.w.QueryRowContext(context.Background(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s = %d, want %d", tc.pragma, got, tc.want)
			}
		})
	}
}

func TestOpenReopen(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "roost.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	owner := createOwner(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, file)
	o, err := s.Owner(ctx)
	if err != nil {
		t.Fatalf("Owner after reopen: %v", err)
	}
	if o.Account.ID != owner.ID || o.Account.IRI != owner.IRI {
		t.Errorf("owner after reopen = %d %s, want %d %s", o.Account.ID, o.Account.IRI, owner.ID, owner.IRI)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := migrationCount(t); v != want {
		t.Errorf("SchemaVersion after reopen = %d, want %d", v, want)
	}
}

func TestMigrationsSetUserVersion(t *testing.T) {
	s, _ := newTestStore(t)
	v, err := s.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := migrationCount(t); v != want {
		t.Errorf("user_version = %d, want %d (one per migration file)", v, want)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "roost.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, file, false)
	newer := migrationCount(t) + 1
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err = Open(ctx, file)
	if err == nil {
		s.Close()
		t.Fatal("Open of a newer database succeeded, want ErrSchemaTooNew")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Open err = %v, want ErrSchemaTooNew", err)
	}
	// The refusal must not have touched the file.
	db = rawDB(t, file, true)
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != newer {
		t.Errorf("user_version after refused Open = %d, want %d", v, newer)
	}
}

func TestOpenBadDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "missing", "roost.db")
	s, err := Open(context.Background(), file)
	if err == nil {
		s.Close()
		t.Fatal("Open in a missing directory succeeded")
	}
	if _, statErr := os.Stat(filepath.Dir(file)); !os.IsNotExist(statErr) {
		t.Errorf("Open created the directory: %v", statErr)
	}
}

// No exported method writes through the read pool, so this reaches into it: a write there must
// fail, whichever pooled connection runs it.
func TestReadPoolIsQueryOnly(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		c, err := s.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for i, c := range conns {
		_, err := c.ExecContext(ctx, `INSERT INTO domain_blocks (host, created_at) VALUES (?, 0)`, fmt.Sprint("h", i))
		if err == nil {
			t.Errorf("conn %d: write through the read pool succeeded", i)
		} else if !strings.Contains(strings.ToLower(err.Error()), "readonly") {
			t.Logf("conn %d: write refused with %v", i, err)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM domain_blocks`); n != 0 {
		t.Errorf("domain_blocks has %d rows after refused writes", n)
	}
}

func TestNewIDStrictlyIncreasing(t *testing.T) {
	s, clock := newTestStore(t)
	steps := []struct {
		name  string
		shift time.Duration
	}{
		{"same millisecond", 0},
		{"forward", time.Millisecond},
		{"backwards an hour", -time.Hour},
		{"backwards a millisecond", -time.Millisecond},
		{"forward past the start", 2 * time.Hour},
	}
	var last int64
	for _, st := range steps {
		clock.Add(st.shift)
		for i := range 2000 {
			id := s.NewID()
			if id <= last {
				t.Fatalf("%s: call %d: NewID = %d, not above previous %d", st.name, i, id, last)
			}
			last = id
		}
	}
	// Once the clock is ahead again, IDs follow it.
	if got, want := IDTime(last), clock.Now(); got.Before(want) {
		t.Errorf("IDTime(last) = %v, before the clock %v", got, want)
	}
}

// More IDs than fit in one millisecond's sequence still increase, and stay out of the half of
// each millisecond that IDAt keeps for remote objects (bit 15 set).
func TestNewIDSequenceOverflow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shift time.Duration // applied once, after the first ID
	}{
		{"clock stands still", 0},
		{"clock goes back an hour", -time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, clock := newTestStore(t)
			last := s.NewID()
			clock.Add(tc.shift)
			for i := range 1<<16 + 10 {
				id := s.NewID()
				if id <= last {
					t.Fatalf("call %d: NewID = %d, not above %d", i, id, last)
				}
				if id&0x8000 != 0 {
					t.Fatalf("call %d: NewID = %#x has bit 15 set: it can collide with a remote IDAt", i, id)
				}
				last = id
			}
		})
	}
}

func TestNewIDConcurrent(t *testing.T) {
	s, _ := newTestStore(t)
	const workers, each = 8, 1000
	ids := make(chan int64, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				ids <- s.NewID()
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := make(map[int64]bool)
	for id := range ids {
		if seen[id] {
			t.Fatalf("NewID returned %d twice", id)
		}
		seen[id] = true
	}
}

func TestIDTimeRoundTrip(t *testing.T) {
	s, clock := newTestStore(t)
	for _, tc := range []struct {
		name string
		t    time.Time
	}{
		{"epoch of tests", testEpoch},
		{"milliseconds", testEpoch.Add(123 * time.Millisecond)},
		{"sub-millisecond truncated", testEpoch.Add(456*time.Millisecond + 789*time.Microsecond)},
		{"2100", time.Date(2100, 6, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.t.Truncate(time.Millisecond)
			if got := IDTime(IDAt(tc.t, "https://example.com/x")); !got.Equal(want) {
				t.Errorf("IDTime(IDAt(t)) = %v, want %v", got, want)
			}
			clock.Set(tc.t)
			if got := IDTime(s.NewID()); !got.Equal(want) {
				t.Errorf("IDTime(NewID()) = %v, want %v", got, want)
			}
		})
	}
}

func TestIDAtStable(t *testing.T) {
	at := testEpoch.Add(42 * time.Millisecond)
	a1 := IDAt(at, "https://a.example/notes/1")
	a2 := IDAt(at, "https://a.example/notes/1")
	b := IDAt(at, "https://a.example/notes/2")
	if a1 != a2 {
		t.Errorf("IDAt not stable: %d then %d", a1, a2)
	}
	if a1 == b {
		t.Errorf("IDAt gave %d for two different keys", a1)
	}
	if IDAt(at.Add(time.Millisecond), "https://a.example/notes/1") <= a1 {
		t.Error("IDAt does not sort by time")
	}
	// Any key at a later millisecond sorts after any key at an earlier one.
	if IDAt(at.Add(time.Millisecond), "") <= IDAt(at, "\xff\xff\xff") {
		t.Error("low bits from the key spill into the time bits")
	}
}

// The database file is whatever path the operator configured: characters that mean something in
// a SQLite URI ('?', '#', '%') must not send Roost to a different file.
func TestOpenPathWithURICharacters(t *testing.T) {
	for _, tc := range []struct{ name, dir string }{
		{"space", "my dir"},
		{"ampersand", "a&b"},
		{"hash", "a#b"},
		{"question mark", "a?b"},
		{"percent", "a%20b"},
	} {
		// The subtest name is part of t.TempDir, so it must stay free of these characters.
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), tc.dir)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "roost.db")
			s, err := Open(ctx, file)
			if err != nil {
				t.Fatalf("Open(%q): %v", file, err)
			}
			defer s.Close()
			var main string
			if err := s.w.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&main); err != nil {
				t.Fatal(err)
			}
			if main != file {
				t.Errorf("opened %q, want %q", main, file)
			}
			if _, err := os.Stat(file); err != nil {
				t.Errorf("database file not created: %v", err)
			}
		})
	}
}
