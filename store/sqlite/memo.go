package sqlite

import (
	"context"
	"sync"
	"sync/atomic"
)

// Memo keeps a small table's contents in memory for the inbox path, where every POST asks about
// domain blocks, account blocks and failing hosts. Transactions that change the table reset it
// once they commit (Tx.AfterCommit); the next reader loads it again.
type Memo[T any] struct {
	mu sync.Mutex // held while loading and resetting, so a load cannot outlive a reset
	v  atomic.Pointer[T]
}

// Get returns the kept contents, loading them with load when none are kept.
func (m *Memo[T]) Get(ctx context.Context, load func(ctx context.Context) (T, error)) (T, error) {
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

// Peek returns the kept contents without loading them, or nil when none are kept.
func (m *Memo[T]) Peek() *T { return m.v.Load() }

// Reset forgets the kept contents.
func (m *Memo[T]) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.v.Store(nil)
}

// LoadSet reads a one-column query into a set.
func LoadSet[K comparable](ctx context.Context, r *Reader, query string) (map[K]bool, error) {
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
