package web

import (
	"net/http"
	"strconv"

	"roost/store"
	"roost/templates"
)

// threadReplies bounds the replies the owner's thread page shows.
const threadReplies = 300

// showThread renders /thread?id=N for the owner: the post with what Roost has above and below
// it, and starts the background fetch of the rest of the conversation (shown on the next load).
func (h *Handler) showThread(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	p, err := h.st.PostByID(ctx, id)
	if err != nil || !p.DeletedAt.IsZero() {
		h.notFound(w, r)
		return
	}
	h.app.Backfill.Thread(ctx, p)
	authors := &authorCache{h: h, byID: map[int64]*store.Account{}}
	var t templates.OwnerThread
	if t.Post, err = h.ownerPostViewBy(ctx, authors, p); err != nil {
		h.serverError(w, r, err)
		return
	}
	for parent, n := p, 0; parent.ReplyToID != 0 && n < maxAncestors; n++ {
		if parent, err = h.st.PostByID(ctx, parent.ReplyToID); err != nil || !parent.DeletedAt.IsZero() {
			break
		}
		if v, err := h.ownerPostViewBy(ctx, authors, parent); err == nil {
			t.Ancestors = append([]templates.Post{v}, t.Ancestors...)
		}
	}
	queue := []string{p.IRI}
	for len(queue) > 0 && len(t.Descendants) < threadReplies {
		replies, err := h.st.Replies(ctx, queue[0], threadReplies)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		queue = queue[1:]
		for _, rp := range replies {
			if v, err := h.ownerPostViewBy(ctx, authors, rp); err == nil && len(t.Descendants) < threadReplies {
				t.Descendants = append(t.Descendants, v)
				queue = append(queue, rp.IRI)
			}
		}
	}
	h.render200(w, r, templates.OwnerThreadPage(h.ownerPage(r, "Thread"), t))
}
