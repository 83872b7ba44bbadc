package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStmts bounds the statement cache. Roost's queries are fixed strings, a few hundred at
// most; a query built with a variable number of placeholders may add one entry per length, and
// past the bound new texts are prepared for each call as before.
const maxCachedStmts = 512

// stmtCache keeps one prepared statement per query text for a pool. Parsing and planning a query
// costs SQLite about as much as running a small one; database/sql prepares the statement once on
// each connection that uses it and keeps it.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt

	// The writer's one connection is held by the transaction that asks for a statement, so there
	// a miss is noted in pending and prepared by preparePending once the transaction is over.
	deferred bool
	pending  map[string]bool
}

func newStmtCache(db *sql.DB, deferred bool) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, deferred: deferred, pending: map[string]bool{}}
}

// get returns the cached statement for query, preparing it the first time; nil when it is not
// (yet) cached: the cache is full, preparing failed or is deferred. The caller then runs the
// query unprepared, which also reports any error in it. The lock is never held while preparing,
// which may wait for a connection.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts)+len(c.pending) >= maxCachedStmts
	if !ok && !full && c.deferred {
		c.pending[query] = true
	}
	c.mu.Unlock()
	if ok || full || c.deferred {
		return st
	}
	return c.prepare(ctx, query)
}

// prepare prepares query and caches the statement (nil if it failed: it is not tried again).
func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		st = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.stmts[query]; ok { // prepared meanwhile by another caller
		if st != nil {
			st.Close()
		}
		return have
	}
	c.stmts[query] = st
	return st
}

// preparePending prepares the statements the writer's transactions missed.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	queries := make([]string, 0, len(c.pending))
	for q := range c.pending {
		queries = append(queries, q)
		delete(c.pending, q)
	}
	c.mu.Unlock()
	for _, q := range queries {
		c.prepare(ctx, q)
	}
}

// hasPending reports whether preparePending has work.
func (c *stmtCache) hasPending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) > 0
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.stmts {
		if st != nil {
			errs = append(errs, st.Close())
		}
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}

// Reader is the read pool with cached statements. Each query text must hold one statement.
type Reader struct {
	*sql.DB
	cache *stmtCache
}

// QueryContext runs a query on a reader, with the statement cached.
func (r *Reader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.cache.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a one-row query on a reader, with the statement cached.
func (r *Reader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.cache.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.DB.QueryRowContext(ctx, query, args...)
}

// Tx is a write transaction whose queries use the writer's cached statements. Each query text
// must hold one statement; the embedded *sql.Tx runs anything else (migrations) unprepared.
type Tx struct {
	*sql.Tx
	cache    *stmtCache
	onCommit []func() // run once the transaction has committed
}

// AfterCommit runs fn once the transaction has committed (not if it rolls back).
func (t *Tx) AfterCommit(fn func()) { t.onCommit = append(t.onCommit, fn) }

// ExecContext runs a statement in the transaction, with the statement cached.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.cache.get(ctx, query); st != nil {
		return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction, with the statement cached.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.cache.get(ctx, query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a one-row query in the transaction, with the statement cached.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.cache.get(ctx, query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// PrepareContext returns the cached statement bound to the transaction.
func (t *Tx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := t.cache.get(ctx, query); st != nil {
		return t.Tx.StmtContext(ctx, st), nil
	}
	return t.Tx.PrepareContext(ctx, query)
}
