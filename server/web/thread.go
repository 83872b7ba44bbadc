package web

import (
	"context"
	"net/http"
	"slices"

	"roost/server/app"
	"roost/store"
	"roost/templates"
)

// thread builds the thread of p as v may see it: the posts it replies to above, oldest first,
// and the replies below, nested. The owner (owner true) gets their actions on every post.
func (h *Handler) thread(ctx context.Context, authors *authorCache, p *store.Post, owner bool, v app.Viewer) (templates.Thread, error) {
	focus, err := h.threadView(ctx, authors, p, owner)
	if err != nil {
		return templates.Thread{}, err
	}
	t := templates.Thread{Post: focus, Ancestors: h.ancestors(ctx, authors, p, owner, v)}
	budget := maxThreadReplies
	t.Replies, err = h.replyTree(ctx, authors, p, owner, v, 0, &budget)
	if err != nil {
		return templates.Thread{}, err
	}
	if budget > 0 {
		// Count what the reader can see: the stored count includes followers-only and direct
		// replies.
		t.Post.Replies = len(t.Replies)
	}
	return t, nil
}

// threadView is p with its author, with the owner's actions when owner.
func (h *Handler) threadView(ctx context.Context, authors *authorCache, p *store.Post, owner bool) (templates.Post, error) {
	if owner {
		v, err := h.ownerPostViewBy(ctx, authors, p)
		// A thread keeps every post in its place: one a filter matches is folded, whatever the
		// filter's action, so the replies below it still read in order.
		v.Filtered, _ = authors.filters.match(h, p)
		return v, err
	}
	a, err := authors.get(ctx, p.AccountID)
	if err != nil {
		return templates.Post{}, err
	}
	return h.postView(ctx, a, p), nil
}

// maxReplyDepth bounds how deep replies nest on a page; deeper ones are one click away.
const maxReplyDepth = 4

// replyTree is the replies to p that v may see, oldest first, each with its own replies, up to
// budget posts in all.
func (h *Handler) replyTree(ctx context.Context, authors *authorCache, p *store.Post, owner bool, v app.Viewer, depth int, budget *int) ([]templates.Reply, error) {
	if depth >= maxReplyDepth || *budget <= 0 {
		return nil, nil
	}
	replies, err := h.st.Replies(ctx, p.IRI, *budget)
	if err != nil {
		return nil, err
	}
	var out []templates.Reply
	for _, rp := range replies {
		if *budget <= 0 {
			break
		}
		if !h.visibleIn(ctx, rp, v) {
			continue
		}
		pv, err := h.threadView(ctx, authors, rp, owner)
		if err != nil {
			continue
		}
		*budget--
		below, err := h.replyTree(ctx, authors, rp, owner, v, depth+1, budget)
		if err != nil {
			return nil, err
		}
		out = append(out, templates.Reply{Post: pv, Replies: below})
	}
	return out, nil
}

// visibleIn reports whether p belongs in a thread shown to v: v may see it, and it is not by an
// account the owner blocked.
func (h *Handler) visibleIn(ctx context.Context, p *store.Post, v app.Viewer) bool {
	if !h.app.MaySee(ctx, v, p) {
		return false
	}
	if p.AccountID != h.app.Owner.Account.ID {
		if blocked, err := h.st.Blocked(ctx, p.AccountID); err != nil || blocked {
			return false
		}
	}
	return true
}

// ancestors walks up the thread from p through the posts Roost has stored, and returns the ones
// v may see, oldest first. The walk stops at the first missing, deleted or hidden post, so
// nothing above a hidden post is shown out of context.
func (h *Handler) ancestors(ctx context.Context, authors *authorCache, p *store.Post, owner bool, v app.Viewer) []templates.Post {
	var chain []templates.Post
	seen := map[string]bool{p.IRI: true}
	for iri := p.InReplyTo; iri != "" && !seen[iri] && len(chain) < maxAncestors; {
		seen[iri] = true
		a, err := h.st.PostByIRI(ctx, iri)
		if err != nil || !h.visibleIn(ctx, a, v) {
			break
		}
		pv, err := h.threadView(ctx, authors, a, owner)
		if err != nil {
			break
		}
		chain = append(chain, pv)
		iri = a.InReplyTo
	}
	slices.Reverse(chain)
	return chain
}

// showThread is the owner's view of any stored post in its thread (GET /thread?post=, the
// post's id or IRI): what the owner may see above and below it, with their actions. Opening it
// starts the background fetch of what Roost lacks of the conversation, shown on the next load.
func (h *Handler) showThread(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ref := r.URL.Query().Get("post")
	if ref == "" {
		ref = r.URL.Query().Get("id")
	}
	p, err := h.app.FindPost(ctx, ref)
	if err != nil || !p.DeletedAt.IsZero() {
		h.notFound(w, r)
		return
	}
	h.app.Backfill.Thread(ctx, p)
	authors := authorCache{h: h, byID: map[int64]*store.Account{}, filters: h.filtersFor(ctx, "thread")}
	t, err := h.thread(ctx, &authors, p, true, app.Viewer{Owner: true})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render200(w, r, templates.PostPage(h.ownerPage(r, "Thread"), t))
}

// ownerHere reports whether the owner's session came with a request to a public page; their
// answer is then private to them.
func (h *Handler) ownerHere(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Cookie")
	if h.session(r) == nil {
		return false
	}
	w.Header().Set("Cache-Control", "private, no-store")
	return true
}

// withOwner gives a public page the owner's navigation when they are signed in (owner true).
func (h *Handler) withOwner(r *http.Request, owner bool, pg *templates.Page) {
	if owner {
		pg.Owner = h.ownerPage(r, pg.Title).Owner
	}
}
