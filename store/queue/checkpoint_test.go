package queue

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// Under a steady stream of commits the WAL is still copied into the database and started over:
// its file stays near the restart size instead of growing with everything written, and every
// activity is there after a reopen, with the WAL gone.
func TestCheckpointKeepsWALBounded(t *testing.T) {
	file := filepath.Join(t.TempDir(), "roost.db")
	s, err := open(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const (
		writers = 16
		n       = 16_000 // of 3 KB each: about 40,000 pages written to the WAL
	)
	body := bytes.Repeat([]byte("x"), 3000)
	var next atomic.Int64
	var largest atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				iri := fmt.Sprintf("https://a.example/users/u%d/statuses/%d/activity", i%100, i)
				if _, err := s.AddInbox(ctx, iri, "https://a.example/users/u", body); err != nil {
					t.Error(err)
					return
				}
				if fi, err := os.Stat(file + "-wal"); err == nil && fi.Size() > largest.Load() {
					largest.Store(fi.Size())
				}
			}
		})
	}
	wg.Wait()
	// 4,000 pages trigger a restart; allow for the pages written while the copy catches up.
	const limit = 10_000 * (4096 + 24)
	if got := largest.Load(); got > limit {
		t.Errorf("the WAL grew to %d bytes while %d activities were written; want at most %d", got, n, limit)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file + "-wal"); !os.IsNotExist(err) {
		t.Errorf("WAL left after Close: %v", err)
	}
	s = openStore(t, file)
	if got, err := s.InboxCount(ctx, ""); err != nil || got != n {
		t.Errorf("InboxCount after reopening = %d, %v; want %d", got, err, n)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}
