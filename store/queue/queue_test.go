package queue

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"roost/store"
)

// testDB is a store and its queues on one database, so that a test reads as the store's did.
type testDB struct {
	*store.Store
	*Queue
}

// open opens (creating if needed) the database at file with its queues.
func open(ctx context.Context, file string) (*testDB, error) {
	st, err := store.Open(ctx, file)
	if err != nil {
		return nil, err
	}
	return &testDB{st, New(st)}, nil
}

// testEpoch is where every test clock starts: far from the zero time, in UTC.
var testEpoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is a settable clock for Store.SetClock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// openStore opens the database file and closes it when the test ends.
func openStore(tb testing.TB, file string) *testDB {
	tb.Helper()
	s, err := open(context.Background(), file)
	if err != nil {
		tb.Fatalf("open(%s): %v", file, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// rawDB opens the file with database/sql and the "sqlite" driver, bypassing the store.
func rawDB(tb testing.TB, file string, readOnly bool) *sql.DB {
	tb.Helper()
	dsn := "file:" + file
	if readOnly {
		dsn += "?mode=ro"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		tb.Fatalf("open raw %s: %v", file, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// newTestStore opens a fresh database in a temporary directory with a fake clock at testEpoch.
func newTestStore(tb testing.TB) (*testDB, *fakeClock) {
	tb.Helper()
	s := openStore(tb, filepath.Join(tb.TempDir(), "roost.db"))
	c := &fakeClock{now: testEpoch}
	s.SetClock(c.Now)
	return s, c
}

// count runs a count(*) query through the read pool.
func count(tb testing.TB, s *testDB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := s.r.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

const ownerIRI = "https://roost.example/users/me"

// createOwner sets up the local account.
func createOwner(tb testing.TB, s *testDB) *store.Account {
	tb.Helper()
	o, err := s.CreateOwner(context.Background(), &store.Account{
		IRI: ownerIRI, Username: "me", Host: "roost.example", Inbox: ownerIRI + "/inbox",
		SharedInbox: "https://roost.example/inbox", Outbox: ownerIRI + "/outbox",
		FollowersURL: ownerIRI + "/followers", FollowingURL: ownerIRI + "/following",
		KeyID: ownerIRI + "#main-key", PublicKeyPEM: "PUBLIC",
	}, "PRIVATE", "INSTANCE", "HASH")
	if err != nil {
		tb.Fatalf("CreateOwner: %v", err)
	}
	return o.Account
}
