package store

import (
	"context"
	"testing"
)

// A write under LazySync commits without waiting for the disk, and the next ordinary write waits
// again.
func TestLazySync(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	level := func(ctx context.Context) int {
		var v int
		err := s.tx(ctx, func(tx *wtx) error {
			return tx.Tx.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&v)
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const normal, full = 1, 2
	for i, tt := range []struct {
		ctx  context.Context
		want int
	}{{ctx, full}, {LazySync(ctx), normal}, {LazySync(ctx), normal}, {ctx, full}, {LazySync(ctx), normal}, {ctx, full}} {
		if got := level(tt.ctx); got != tt.want {
			t.Errorf("write %d: synchronous = %d, want %d", i, got, tt.want)
		}
	}
}
