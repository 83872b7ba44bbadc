// Package transfer moves the owner's account in and out of Roost: it imports Mastodon's CSV
// lists (applied one row at a time, follows at a polite pace) and archive zips, exports
// everything in the same formats with a static copy of the public profile, and deletes the
// account.
package transfer

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"roost/server/app"
	"roost/store"
	"roost/store/deletion"
	"roost/store/imports"
)

// Options tune the Service.
type Options struct {
	// MediaDir is the folder of the owner's uploaded files (the export reads them).
	MediaDir string
	// FollowEvery is the pace of imported follows (and list members), one per interval
	// (default 3 s): a thousand follows take under an hour and no server sees a burst.
	FollowEvery time.Duration
	// OtherEvery is the pace of the other imported rows (default 200 ms): each may fetch a
	// remote account or post.
	OtherEvery time.Duration
	// Poll is how often the worker looks for rows queued by another process (default 1 s).
	Poll time.Duration
}

// Service is the owner's import, export and account deletion, over the core and its store.
type Service struct {
	app      *app.App
	st       *store.Store
	items    *imports.Store
	deletion *deletion.Store
	log      *slog.Logger
	opt      Options
	wake     chan struct{}

	deleted atomic.Int32 // 0: live, 1: deletion asked for, 2: wiped
	wipeMu  sync.Mutex
}

// New returns the Service of a core.
func New(ctx context.Context, core *app.App, st *store.Store, log *slog.Logger, opt Options) (*Service, error) {
	if opt.FollowEvery <= 0 {
		opt.FollowEvery = 3 * time.Second
	}
	if opt.OtherEvery <= 0 {
		opt.OtherEvery = 200 * time.Millisecond
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	s := &Service{app: core, st: st, items: imports.New(st), deletion: deletion.New(st), log: log.With("sub", "transfer"), opt: opt,
		wake: make(chan struct{}, 1)}
	if err := s.loadDeletion(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Items is the store of imported rows (progress and failures).
func (s *Service) Items() *imports.Store { return s.items }

// Wake tells the worker that rows were queued.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run applies queued import rows, in two lanes: follows (and list members, which need a follow)
// at FollowEvery, everything else at OtherEvery; and finishes an account deletion once its
// deliveries are done. It returns when ctx ends.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); s.lane(ctx, true, s.opt.FollowEvery) }()
	go func() { defer wg.Done(); s.lane(ctx, false, s.opt.OtherEvery) }()
	go func() { defer wg.Done(); s.finishDeletion(ctx) }()
	wg.Wait()
}

func (s *Service) lane(ctx context.Context, follows bool, every time.Duration) {
	for {
		wait := s.opt.Poll
		if s.deleted.Load() == 0 {
			it, err := s.items.Next(ctx, follows)
			switch {
			case err == nil:
				s.applyItem(ctx, it)
				wait = every
			case !errors.Is(err, store.ErrNotFound):
				if ctx.Err() != nil {
					return
				}
				s.log.Warn("next import row", "err", err)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.wake:
			// A fresh import: start now, but never faster than the lane's pace.
			if wait == every {
				<-t.C
			}
			t.Stop()
		}
	}
}
