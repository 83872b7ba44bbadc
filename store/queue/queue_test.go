package queue

import (
	"context"
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

// openStore opens the database file and closes it when the test ends.
func openStore(tb testing.TB, file string) *testDB {
	tb.Helper()
	return storetest.Open(tb, open, file)
}

// newTestStore opens a fresh database in a temporary directory with a fake clock at testEpoch.
func newTestStore(tb testing.TB) (*testDB, *storetest.Clock) {
	tb.Helper()
	return storetest.Fresh(tb, open)
}

// createOwner sets up the local account.
func createOwner(tb testing.TB, s *testDB) *store.Account {
	tb.Helper()
	return ownertest.Create(tb, s.Store)
}
