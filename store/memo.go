package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// memo keeps a small table's contents in memory for the inbox path, where every POST asks about
// domain blocks, account blocks and failing hosts. Transactions that change the table reset it
// once they commit (wtx.onCommit); the next reader loads it again.
type memo[T any] struct {
	mu sync.Mutex // held while loading and resetting, so a load cannot outlive a reset
	v  atomic.Pointer[T]
}

func (m *memo[T]) get(ctx context.Context, load func(ctx context.Context) (T, error)) (T, error) {
	if p := m.v.Load(); p != nil {
		return *p, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.v.Load(); p != nil {
		return *p, nil
	}
	v, err := load(ctx)
	if err != nil {
		return v, err
	}
	m.v.Store(&v)
	return v, nil
}

func (m *memo[T]) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.v.Store(nil)
}

// loadSet reads a one-column query into a set.
func loadSet[K comparable](ctx context.Context, r *readDB, query string) (map[K]bool, error) {
	rows, err := r.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	set := map[K]bool{}
	for rows.Next() {
		var k K
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		set[k] = true
	}
	return set, rows.Err()
}
