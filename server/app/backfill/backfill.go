// Package backfill fetches what a one-person server misses of the conversations and profiles
// its owner reads: a reply's missing ancestors, a thread's replies and FEP-7888 context
// collections, an account's latest and pinned posts. Every fetch goes through the caller's
// guarded fetch and is bounded in count, depth, time and per-host rate.
package backfill

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"roost/server/activitypub"
	"roost/server/remote"
	"roost/store"
)

// Limits bound the work of each kind of job. The zero value of a field takes its default.
type Limits struct {
	// AncestorDepth is how many missing ancestors of one reply are fetched (8).
	AncestorDepth int
	// ThreadPosts is how many posts one thread job looks at (600).
	ThreadPosts int
	// ThreadDepth is how deep a replies walk goes below the thread's root (12).
	ThreadDepth int
	// Pages is how many pages of one collection are read (40).
	Pages int
	// JobTime bounds one job, waits for the rate limit included (60 s).
	JobTime time.Duration
	// HostRate and HostBurst are the fetches per second each host gets, and how many may go at
	// once after a quiet spell (5 and 20).
	HostRate  float64
	HostBurst float64
	// AccountPosts is how many of an account's latest posts its outbox backfill keeps (20).
	AccountPosts int
	// Again is how long a thread or an account is left alone after a backfill (10 minutes for
	// a thread, 24 hours for an account: Again*144).
	Again time.Duration
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.AncestorDepth, 8)
	def(&l.ThreadPosts, 600)
	def(&l.ThreadDepth, 12)
	def(&l.Pages, 40)
	def(&l.AccountPosts, 20)
	if l.JobTime <= 0 {
		l.JobTime = time.Minute
	}
	if l.HostRate <= 0 {
		l.HostRate = 5
	}
	if l.HostBurst <= 0 {
		l.HostBurst = 20
	}
	if l.Again <= 0 {
		l.Again = 10 * time.Minute
	}
	return l
}

// Config is what a Fetcher needs from the core.
type Config struct {
	// Fetch GETs an ActivityPub document through the guarded client (resolve.Resolver.FetchAS).
	Fetch func(ctx context.Context, iri string) ([]byte, error)
	// Save stores a post as its origin served it, with its author (resolving the author if
	// needed), and returns the stored row; it refuses an object not on its author's origin.
	Save func(ctx context.Context, o *activitypub.Object) (*store.Post, error)
	// IsLocal reports whether an IRI is this server's.
	IsLocal func(iri string) bool
	Store   *store.Store
	Log     *slog.Logger
	Limits  Limits
}

// Fetcher runs backfill jobs in the background (Run), a few at a time, each at most once in a
// while for the same thread or account.
type Fetcher struct {
	cfg   Config
	lim   Limits
	jobs  chan job
	hosts *hostLimiter

	mu   sync.Mutex
	busy map[string]time.Time // a job's key: until when it is not queued again
}

type job struct {
	key   string
	again time.Duration
	run   func(ctx context.Context) error
}

// queueLen bounds the jobs waiting; past it new ones are dropped (they come again on the next
// view).
const queueLen = 256

// New returns a Fetcher; its jobs run once Run is called.
func New(cfg Config) *Fetcher {
	lim := cfg.Limits.withDefaults()
	return &Fetcher{cfg: cfg, lim: lim, jobs: make(chan job, queueLen), busy: map[string]time.Time{},
		hosts: &hostLimiter{rate: lim.HostRate, burst: lim.HostBurst, buckets: map[string]*bucket{}}}
}

// workers is how many jobs run at once.
const workers = 2

// Run runs queued jobs until ctx ends.
func (f *Fetcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-f.jobs:
					jctx, cancel := context.WithTimeout(ctx, f.lim.JobTime)
					if err := j.run(jctx); err != nil && ctx.Err() == nil {
						f.cfg.Log.Info("backfill", slog.String("job", j.key), slog.Any("err", err))
					}
					cancel()
					f.mu.Lock()
					f.busy[j.key] = time.Now().Add(j.again)
					f.mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
}

// enqueue queues a job unless the same key ran (or was queued) within again; it never blocks.
func (f *Fetcher) enqueue(key string, again time.Duration, run func(ctx context.Context) error) bool {
	f.mu.Lock()
	now := time.Now()
	if until, ok := f.busy[key]; ok && now.Before(until) {
		f.mu.Unlock()
		return false
	}
	if len(f.busy) > maxBusy {
		for k, until := range f.busy {
			if now.After(until) {
				delete(f.busy, k)
			}
		}
	}
	f.busy[key] = now.Add(again)
	f.mu.Unlock()
	select {
	case f.jobs <- job{key: key, again: again, run: run}:
		return true
	default:
		f.mu.Lock()
		delete(f.busy, key)
		f.mu.Unlock()
		return false
	}
}

// maxBusy is how many keys are remembered before those whose time is up are forgotten.
const maxBusy = 10_000

// fetch GETs a document after waiting for its host's turn.
func (f *Fetcher) fetch(ctx context.Context, iri string) ([]byte, error) {
	u, err := url.Parse(iri)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("not an http(s) IRI: " + iri)
	}
	if err := f.hosts.wait(ctx, u.Host); err != nil {
		return nil, err
	}
	return f.cfg.Fetch(ctx, iri)
}

// fetchObject fetches a post from its origin; it must name itself.
func (f *Fetcher) fetchObject(ctx context.Context, iri string) (*activitypub.Object, error) {
	body, err := f.fetch(ctx, iri)
	if err != nil {
		return nil, err
	}
	o, err := activitypub.DecodeObject(body)
	if err != nil {
		return nil, err
	}
	if o.ID != iri {
		return nil, errors.New("fetched " + iri + " but got " + o.ID)
	}
	return o, nil
}

// itemObject is a collection item as a post: the embedded copy when it is on the origin of the
// page that carried it (the page was fetched from there), else the copy its own origin serves.
// An embedded Create stands for its object. It returns nil, nil for what is not a post.
func (f *Fetcher) itemObject(ctx context.Context, it activitypub.Ref, pageIRI string) (*activitypub.Object, error) {
	if it.IsEmbedded() && it.Type == "Create" {
		a, err := it.Activity()
		if err != nil {
			return nil, nil
		}
		it = a.Object
	}
	if it.ID == "" || f.cfg.IsLocal(it.ID) {
		return nil, nil
	}
	if it.IsEmbedded() && remote.SameOrigin(it.ID, pageIRI) {
		o, err := it.Object()
		if err == nil && activitypub.IsPostType(o.Type) {
			return o, nil
		}
	}
	o, err := f.fetchObject(ctx, it.ID)
	if err != nil || !activitypub.IsPostType(o.Type) {
		return nil, err
	}
	return o, nil
}

// pages reads a collection's items: its own, then those of up to maxPages pages (its first and
// those after), at most max items, calling each with the IRI of the document that carried it. An
// embedded collection is read without a fetch, as speaking for carrier, the IRI of the document
// it came in.
func (f *Fetcher) pages(ctx context.Context, col activitypub.Ref, carrier string, maxPages, max int, each func(it activitypub.Ref, from string) bool) error {
	var c *activitypub.RemoteCollection
	var err error
	from := col.ID
	if col.IsEmbedded() {
		from = carrier
		c, err = activitypub.DecodeCollection(col.Raw)
	} else if col.ID != "" {
		c, err = f.fetchCollection(ctx, col.ID)
	} else {
		return nil
	}
	if err != nil {
		return err
	}
	seen, n := map[string]bool{}, 0
	next := c.First
	if next.IsZero() {
		next = c.Next // a page served as the collection
	}
	for page := 0; ; page++ {
		for _, it := range c.Items {
			if n >= max {
				return nil
			}
			n++
			if !each(it, from) {
				return nil
			}
		}
		if page >= maxPages || next.IsZero() || seen[next.ID] {
			return nil
		}
		seen[next.ID] = true
		if next.IsEmbedded() && (next.ID == "" || remote.SameOrigin(next.ID, from)) {
			// Embedded in a document from `from`: it speaks for that origin.
			c, err = activitypub.DecodeCollection(next.Raw)
		} else {
			from = next.ID
			c, err = f.fetchCollection(ctx, next.ID)
		}
		if err != nil {
			return err
		}
		next = c.Next
	}
}

func (f *Fetcher) fetchCollection(ctx context.Context, iri string) (*activitypub.RemoteCollection, error) {
	if f.cfg.IsLocal(iri) {
		return nil, errors.New("a local collection: " + iri)
	}
	body, err := f.fetch(ctx, iri)
	if err != nil {
		return nil, err
	}
	return activitypub.DecodeCollection(body)
}

// save stores o unless a post with its IRI is stored already, and returns the row. An author
// Roost has not met is fetched in the course of it: that fetch waits its host's turn too.
func (f *Fetcher) save(ctx context.Context, o *activitypub.Object) (*store.Post, error) {
	if p, err := f.cfg.Store.PostByIRI(ctx, o.ID); err == nil {
		return p, nil
	}
	if _, err := f.cfg.Store.AccountByIRI(ctx, o.AttributedTo.ID); err != nil {
		if u, err := url.Parse(o.AttributedTo.ID); err == nil && u.Host != "" {
			if err := f.hosts.wait(ctx, u.Host); err != nil {
				return nil, err
			}
		}
	}
	return f.cfg.Save(ctx, o)
}
