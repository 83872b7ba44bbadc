package queue

import (
	"context"
	"database/sql"
	"testing"

	"roost/store"
	"roost/store/storetest"
	"roost/store/storetest/ownertest"
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
var testEpoch = storetest.Epoch

// fakeClock is a settable clock for Store.SetClock.
type fakeClock = storetest.Clock

// openStore opens the database file and closes it when the test ends.
func openStore(tb testing.TB, file string) *testDB {
	tb.Helper()
	st := storetest.Open(tb, store.Open, file)
	return &testDB{st, New(st)}
}

// rawDB opens the file with database/sql and the "sqlite" driver, bypassing the store.
func rawDB(tb testing.TB, file string, readOnly bool) *sql.DB {
	tb.Helper()
	return storetest.RawDB(tb, file, readOnly)
}

// newTestStore opens a fresh database in a temporary directory with a fake clock at testEpoch.
func newTestStore(tb testing.TB) (*testDB, *fakeClock) {
	tb.Helper()
	st, c := storetest.Fresh(tb, store.Open)
	return &testDB{st, New(st)}, c
}

// count runs a count(*) query through the read pool.
func count(tb testing.TB, s *testDB, query string, args ...any) int {
	tb.Helper()
	return storetest.Count(tb, s.r, query, args...)
}

const ownerIRI = ownertest.IRI

// createOwner sets up the local account.
func createOwner(tb testing.TB, s *testDB) *store.Account {
	tb.Helper()
	return ownertest.Create(tb, s.Store)
}
