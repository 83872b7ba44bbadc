package access

import (
	"path/filepath"
	"testing"

	"roost/store"
	"roost/store/storetest"
)

// newTestAuth opens a fresh database in a temporary directory and returns its credentials.
func newTestAuth(tb testing.TB) *Store {
	tb.Helper()
	st := storetest.Open(tb, store.Open, filepath.Join(tb.TempDir(), "roost.db"))
	return New(st)
}
