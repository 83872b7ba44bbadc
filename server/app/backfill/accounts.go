package backfill

import (
	"context"
	"time"

	"roost/server/activitypub"
	"roost/server/remote"
	"roost/store"
)

// Account queues the backfill of a remote account: its latest AccountPosts public posts from
// its outbox and its pinned posts from its featured collection, at most once in a day.
func (f *Fetcher) Account(a *store.Account) {
	if a.Local {
		return
	}
	f.enqueue("account "+a.IRI, 144*f.lim.Again, func(ctx context.Context) error { return f.account(ctx, a) })
}

// AccountNow backfills a remote account now, within the job's limits, and counts it as done
// for a day; it reports how many posts it stored.
func (f *Fetcher) AccountNow(ctx context.Context, a *store.Account) (int, error) {
	if a.Local {
		return 0, nil
	}
	f.mu.Lock()
	f.busy["account "+a.IRI] = time.Now().Add(144 * f.lim.Again)
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, f.lim.JobTime)
	defer cancel()
	n, err := f.outbox(ctx, a)
	f.featured(ctx, a)
	return n, err
}

func (f *Fetcher) account(ctx context.Context, a *store.Account) error {
	_, err := f.outbox(ctx, a)
	f.featured(ctx, a)
	return err
}

// outbox stores the account's own public posts from the first page(s) of its outbox: the
// objects of its Creates, taken as embedded when on the account's origin.
func (f *Fetcher) outbox(ctx context.Context, a *store.Account) (int, error) {
	if a.Outbox == "" {
		return 0, nil
	}
	stored := 0
	err := f.pages(ctx, activitypub.Ref{ID: a.Outbox}, "", 2, 2*f.lim.AccountPosts, func(it activitypub.Ref, from string) bool {
		if !it.IsEmbedded() || it.Type != "Create" {
			return true // boosts and other activities are not the account's posts
		}
		act, err := it.Activity()
		if err != nil || act.Actor.ID != a.IRI {
			return true
		}
		o, err := f.itemObject(ctx, act.Object, from)
		if err != nil || o == nil || o.AttributedTo.ID != a.IRI || !remote.SameOrigin(o.ID, a.IRI) || !public(o) {
			return true
		}
		if _, err := f.save(ctx, o); err == nil {
			stored++
		}
		return stored < f.lim.AccountPosts && ctx.Err() == nil
	})
	return stored, err
}

// featured stores and pins the account's pinned posts, from the featured collection its actor
// document names (Roost does not keep that IRI).
func (f *Fetcher) featured(ctx context.Context, a *store.Account) {
	body, err := f.fetch(ctx, a.IRI)
	if err != nil {
		return
	}
	actor, err := activitypub.DecodeActor(body)
	if err != nil || actor.ID != a.IRI || actor.Featured == "" || !remote.SameOrigin(actor.Featured, a.IRI) {
		return
	}
	iri := actor.Featured
	err = f.pages(ctx, activitypub.Ref{ID: iri}, "", 2, f.lim.AccountPosts, func(it activitypub.Ref, from string) bool {
		o, err := f.itemObject(ctx, it, from)
		if err != nil || o == nil || o.AttributedTo.ID != a.IRI || !public(o) {
			return ctx.Err() == nil
		}
		if p, err := f.save(ctx, o); err == nil && p.PinnedAt.IsZero() {
			f.cfg.Store.SetPinned(ctx, p.ID, true, nil)
		}
		return ctx.Err() == nil
	})
	if err != nil {
		f.cfg.Log.Debug("backfill featured", "account", a.IRI, "err", err)
	}
}

// public reports whether a post is addressed to everyone (in to or cc).
func public(o *activitypub.Object) bool {
	for _, l := range [][]string{o.To, o.CC} {
		for _, v := range l {
			if v == activitypub.Public || v == "as:Public" || v == "Public" {
				return true
			}
		}
	}
	return false
}
