// Package queue keeps the durable queues in the store's database: the verified incoming
// activities waiting to be processed (committed in groups, see sqlite.Group), and the outgoing
// deliveries the store queued with the owner's activities, claimed, retried and given up on,
// with what is known of each remote host's availability.
package queue

import (
	"roost/store"
	"roost/store/sqlite"
)

// Queue is the incoming and outgoing queues of one store's database. It runs the inbox's group
// committer and keeps the failing hosts in memory: make one per store, and share it.
type Queue struct {
	st    *store.Store
	db    *sqlite.DB
	r     *sqlite.Reader
	inbox *sqlite.Group[inboxAdd, bool] // AddInbox's group committer

	// What every inbox POST asks of the hosts table, kept in memory (see HostHeard).
	failingHosts sqlite.Memo[map[string]bool]
}

// New returns the queues of st's database, on st's clock. Its group committer stops when st
// is closed.
func New(st *store.Store) *Queue {
	q := &Queue{st: st, db: st.DB(), r: st.DB().Reader()}
	q.inbox = sqlite.NewGroup(q.db, maxGroup, groupLinger, q.commitInbox)
	return q
}

func (q *Queue) nowMS() int64 { return q.st.Now().UnixMilli() }
