package sqlite

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Group is a group committer: it commits the writes that callers of Add hand it concurrently in
// one transaction, so that one fsync (synchronous=FULL) serves many of them. With one caller it
// is a plain transaction; under load every write that arrived while the previous commit ran
// shares the next one.
//
// It exists for the inbox: every inbox POST must be committed to disk before Roost answers 202,
// and a commit costs about the same for one row as for many (BEGIN, the WAL header, the fsync,
// the checkpointer's look), so a commit of its own for each POST would spend the inbox's time
// waiting for the disk one POST at a time. The inbox target of
// BENCHMARKS.md (4,000 signed POSTs a second with a p99 under 50 ms, on 2 vCPUs and a disk that
// really syncs) is met only with it; BenchmarkLoadInbox and BenchmarkLoadInboxServe in
// server/load_test.go measure it, and BenchmarkAddInbox in the store one commit alone. Measure
// both durability and throughput again before changing it (see BENCHMARKS.md, "a pipelined
// commit" that was tried and not kept).
type Group[T, R any] struct {
	db     *DB
	max    int
	write  func(ctx context.Context, tx *Tx, batch []T) ([]R, error)
	reqs   chan groupReq[T, R]
	coming atomic.Int64 // writes on their way to Add, see Coming

	// Linger is how long the committer waits for writes still coming (Coming) before it
	// commits those it has. Tests lengthen it before the first Add.
	Linger time.Duration
}

type groupReq[T, R any] struct {
	v     T
	reply chan groupRes[R]
}

type groupRes[R any] struct {
	r   R
	err error
}

// NewGroup starts a group committer on db that commits at most max writes per transaction with
// write, which returns one result per write in batch. It stops with db.Close, after committing
// the batch it holds.
func NewGroup[T, R any](db *DB, max int, linger time.Duration, write func(ctx context.Context, tx *Tx, batch []T) ([]R, error)) *Group[T, R] {
	g := &Group[T, R]{db: db, max: max, write: write, reqs: make(chan groupReq[T, R]), Linger: linger}
	db.workers.Add(1)
	go g.run()
	return g
}

// Add hands v to the committer and returns its result once the transaction holding it has
// committed (or failed: then every write in it fails with the same error).
func (g *Group[T, R]) Add(ctx context.Context, v T) (R, error) {
	req := groupReq[T, R]{v: v, reply: make(chan groupRes[R], 1)}
	var zero R
	select {
	case g.reqs <- req:
	case <-g.db.quit:
		return zero, ErrClosed
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	// Once sent, the committer always answers; wait for it even if ctx ends, so the caller never
	// reports a failure for a write that was in fact committed.
	res := <-req.reply
	return res.r, res.err
}

// Coming tells the committer that a write is on its way to Add (an inbox POST being read,
// decoded and verified), so that it waits up to Linger for it instead of committing without it.
// Call the returned function (more than once is harmless) when the write is handed to Add or
// will not be.
func (g *Group[T, R]) Coming() (handed func()) {
	g.coming.Add(1)
	var once sync.Once
	return func() { once.Do(func() { g.coming.Add(-1) }) }
}

func (g *Group[T, R]) run() {
	defer g.db.workers.Done()
	for {
		var first groupReq[T, R]
		select {
		case first = <-g.reqs:
		case <-g.db.quit:
			return
		}
		batch := g.collect(first)
		vs := make([]T, len(batch))
		for i, req := range batch {
			vs[i] = req.v
		}
		var rs []R
		err := g.db.Write(context.Background(), func(tx *Tx) error {
			var err error
			rs, err = g.write(context.Background(), tx, vs)
			return err
		})
		for i, req := range batch {
			var res groupRes[R]
			if err == nil {
				res.r = rs[i]
			}
			res.err = err
			req.reply <- res
		}
	}
}

// collect gathers the group to commit with first: every Add waiting now, and then, while other
// writes are still coming, those that arrive within Linger.
func (g *Group[T, R]) collect(first groupReq[T, R]) []groupReq[T, R] {
	batch := []groupReq[T, R]{first}
	var linger *time.Timer
	defer func() {
		if linger != nil {
			linger.Stop()
		}
	}()
	for len(batch) < g.max {
		select {
		case req := <-g.reqs:
			batch = append(batch, req)
			continue
		default:
		}
		if g.coming.Load() == 0 {
			return batch
		}
		if linger == nil {
			linger = time.NewTimer(g.Linger)
		}
		select {
		case req := <-g.reqs:
			batch = append(batch, req)
		case <-linger.C:
			return batch
		case <-g.db.quit:
			return batch
		}
	}
	return batch
}
