package backfill

import (
	"context"
	"strings"

	"roost/server/activitypub"
	"roost/store"
)

// Ancestors queues the fetch of p's missing ancestors: its parent from its origin, then that
// one's, up to AncestorDepth, stopping at a post Roost has, a local one or a failure. Each is
// stored, and the replies stored before it are linked to it.
func (f *Fetcher) Ancestors(p *store.Post) {
	if p.InReplyTo == "" || p.ReplyToID != 0 || f.cfg.IsLocal(p.InReplyTo) {
		return
	}
	f.enqueue("ancestors "+p.IRI, f.lim.Again, func(ctx context.Context) error { return f.ancestors(ctx, p.InReplyTo) })
}

func (f *Fetcher) ancestors(ctx context.Context, parent string) error {
	for range f.lim.AncestorDepth {
		if parent == "" || f.cfg.IsLocal(parent) {
			return nil
		}
		if _, err := f.cfg.Store.PostByIRI(ctx, parent); err == nil {
			return nil
		}
		o, err := f.fetchObject(ctx, parent)
		if err != nil {
			return err
		}
		if !activitypub.IsPostType(o.Type) {
			return nil
		}
		if _, err := f.save(ctx, o); err != nil {
			return err
		}
		parent = o.InReplyTo.ID
	}
	return nil
}

// Thread queues the completion of the thread p is in: its root's missing ancestors first, then
// the root's FEP-7888 context collection where its server offers one, else a walk down the
// replies collections; at most ThreadPosts posts, ThreadDepth levels, JobTime. What arrives shows
// on the next view of the thread. A thread is completed at most once in Again.
func (f *Fetcher) Thread(ctx context.Context, p *store.Post) {
	root := f.root(ctx, p)
	f.enqueue("thread "+root.IRI, f.lim.Again, func(ctx context.Context) error { return f.thread(ctx, root) })
}

// root is the topmost post Roost has above p.
func (f *Fetcher) root(ctx context.Context, p *store.Post) *store.Post {
	for range 64 {
		if p.ReplyToID == 0 {
			return p
		}
		parent, err := f.cfg.Store.PostByID(ctx, p.ReplyToID)
		if err != nil {
			return p
		}
		p = parent
	}
	return p
}

// ThreadNow completes the thread of root now, within the job's limits: for the benchmark and for
// callers that wait.
func (f *Fetcher) ThreadNow(ctx context.Context, root *store.Post) error {
	ctx, cancel := context.WithTimeout(ctx, f.lim.JobTime)
	defer cancel()
	return f.thread(ctx, root)
}

func (f *Fetcher) thread(ctx context.Context, root *store.Post) error {
	if root.InReplyTo != "" {
		if err := f.ancestors(ctx, root.InReplyTo); err != nil {
			f.cfg.Log.Debug("backfill ancestors", "post", root.IRI, "err", err)
		}
		if r, err := f.cfg.Store.PostByIRI(ctx, root.IRI); err == nil {
			root = f.root(ctx, r)
		}
	}
	budget := f.lim.ThreadPosts
	var doc *activitypub.Object
	if !f.cfg.IsLocal(root.IRI) {
		var err error
		if doc, err = f.fetchObject(ctx, root.IRI); err != nil {
			return err
		}
		budget--
		if c := doc.ContextIRI; strings.HasPrefix(c, "https://") || strings.HasPrefix(c, "http://") {
			got := 0
			err := f.pages(ctx, activitypub.Ref{ID: c}, "", f.lim.Pages, budget, func(it activitypub.Ref, from string) bool {
				got++
				if o, err := f.itemObject(ctx, it, from); err == nil && o != nil {
					f.save(ctx, o)
				}
				return ctx.Err() == nil
			})
			if err != nil {
				f.cfg.Log.Debug("backfill context", "post", root.IRI, "context", c, "err", err)
			}
			if got > 0 {
				return nil // the context collection is the whole conversation
			}
		}
	}
	return f.walkReplies(ctx, root, doc, budget)
}

// node is a post whose replies are still to read: its document when fetched, else its row.
type node struct {
	doc   *activitypub.Object
	post  *store.Post
	depth int
}

// walkReplies reads the replies collections breadth first from root down, storing what is new.
// A local post's replies are the ones stored.
func (f *Fetcher) walkReplies(ctx context.Context, root *store.Post, doc *activitypub.Object, budget int) error {
	queue := []node{{doc: doc, post: root}}
	for len(queue) > 0 && budget > 0 && ctx.Err() == nil {
		n := queue[0]
		queue = queue[1:]
		if n.depth >= f.lim.ThreadDepth {
			continue
		}
		if n.doc == nil {
			if n.post == nil || !f.cfg.IsLocal(n.post.IRI) {
				continue
			}
			replies, err := f.cfg.Store.Replies(ctx, n.post.IRI, budget)
			if err != nil {
				return err
			}
			for _, rp := range replies {
				budget--
				child := node{post: rp, depth: n.depth + 1}
				if !f.cfg.IsLocal(rp.IRI) {
					if child.doc, err = f.fetchObject(ctx, rp.IRI); err != nil {
						continue
					}
				}
				queue = append(queue, child)
			}
			continue
		}
		if n.doc.Replies.IsZero() {
			continue
		}
		err := f.pages(ctx, n.doc.Replies, n.doc.ID, f.lim.Pages, budget, func(it activitypub.Ref, from string) bool {
			budget--
			o, err := f.itemObject(ctx, it, from)
			if err != nil || o == nil {
				return budget > 0 && ctx.Err() == nil
			}
			if _, err := f.save(ctx, o); err == nil {
				queue = append(queue, node{doc: o, depth: n.depth + 1})
			}
			return budget > 0 && ctx.Err() == nil
		})
		if err != nil {
			f.cfg.Log.Debug("backfill replies", "post", n.doc.ID, "err", err)
		}
	}
	return ctx.Err()
}
