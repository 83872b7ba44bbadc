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

// maxKeyAccounts bounds keyAccounts: a server hears from a few thousand actors at most between
// account writes, and past the bound the map starts over.
const maxKeyAccounts = 4096

// keyAccounts keeps the accounts found by key id, for the inbox's signature check. Any write to
// the accounts table empties it (afterCommit); gen keeps a lookup that raced such a write from
// putting back what it read before.
type keyAccounts struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]*Account
}

func (c *keyAccounts) get(keyID string) (*Account, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[keyID], c.gen
}

func (c *keyAccounts) put(keyID string, a *Account, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= maxKeyAccounts {
		c.m = map[string]*Account{}
	}
	c.m[keyID] = a
}

func (c *keyAccounts) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}
