// Package access keeps the owner's credentials in the store's database: browser sessions, the
// OAuth apps with their authorization codes and access tokens, the Web Push subscriptions
// made with those tokens, and the second factor (a TOTP secret and recovery codes).
package access

import (
	"roost/store"
	"roost/store/sqlite"
)

// Store reads and writes the credential tables of a store's database. It holds no state of its
// own beyond the store it was made from, so any number may be made from one store.
type Store struct {
	st *store.Store
	db *sqlite.DB
	r  *sqlite.Reader
}

// New returns the credentials kept in st's database, on st's clock.
func New(st *store.Store) *Store {
	return &Store{st: st, db: st.DB(), r: st.DB().Reader()}
}

func (s *Store) nowMS() int64 { return s.st.Now().UnixMilli() }
