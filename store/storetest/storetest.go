// Package storetest opens fresh stores for other packages' tests, and checks their query plans.
// Only test files import it. It does not import the store itself, so that the store's own tests
// can use it too: callers hand it store.Open (or a sub-package's opener).
package storetest

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Epoch is where every test clock starts: far from the zero time, in UTC.
var Epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// Clock is a settable clock for a store's SetClock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Store is what Fresh needs of an opened store: store.Store has both methods.
type Store interface {
	Close() error
	SetClock(now func() time.Time)
}

// Open opens the database file with open and closes it when the test ends.
func Open[S Store](tb testing.TB, open func(context.Context, string) (S, error), file string) S {
	tb.Helper()
	s, err := open(context.Background(), file)
	if err != nil {
		tb.Fatalf("Open(%s): %v", file, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// Fresh opens a new database in a temporary directory with a Clock at Epoch.
func Fresh[S Store](tb testing.TB, open func(context.Context, string) (S, error)) (S, *Clock) {
	tb.Helper()
	s := Open(tb, open, filepath.Join(tb.TempDir(), "roost.db"))
	c := NewClock(Epoch)
	s.SetClock(c.Now)
	return s, c
}

// RawDB opens the file with database/sql and the "sqlite" driver, bypassing the store.
func RawDB(tb testing.TB, file string, readOnly bool) *sql.DB {
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

// Querier is a read pool: sqlite.Reader and sql.DB both are.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Count runs a count(*) query through q.
func Count(tb testing.TB, q Querier, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := q.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// QueryPlan returns SQLite's EXPLAIN QUERY PLAN for query, one detail line each.
func QueryPlan(tb testing.TB, q Querier, query string, args ...any) string {
	tb.Helper()
	rows, err := q.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			tb.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return strings.Join(plan, "\n")
}
