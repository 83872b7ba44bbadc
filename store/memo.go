package store

import (
	"sync"
)

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
