package access

import (
	"context"
	"path/filepath"
	"testing"

	"roost/store"
)

// newTestAuth opens a fresh database in a temporary directory and returns its credentials.
func newTestAuth(tb testing.TB) *Store {
	tb.Helper()
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "roost.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return New(st)
}
