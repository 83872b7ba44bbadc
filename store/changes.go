package store

import "sync/atomic"

// Change is a row that a committed transaction added and that a stream may show.
type Change struct {
	Kind ChangeKind
	ID   int64 // the row's ID: a timeline entry (a post or a boost) or a notification
}

// ChangeKind is what kind of row a Change added.
type ChangeKind int

// The kinds of rows a Change reports.
const (
	PostAdded ChangeKind = iota + 1
	BoostAdded
	NotificationAdded
)

// changeHook is what OnCommit set.
type changeHook = atomic.Pointer[func(Change)]

// OnCommit makes the store call fn with each Change once its transaction has committed, on the
// goroutine that committed it: fn must return quickly and must not write. One fn at a time; a
// later call replaces it.
func (s *Store) OnCommit(fn func(Change)) { s.onChange.Store(&fn) }

// changed reports c to the OnCommit function when tx commits.
func (s *Store) changed(tx *wtx, c Change) {
	tx.AfterCommit(func() {
		if fn := s.onChange.Load(); fn != nil {
			(*fn)(c)
		}
	})
}
