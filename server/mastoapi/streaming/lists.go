package streaming

import (
	"context"
	"net/http"
	"strconv"

	"roost/server/mastoapi/render"
	"roost/store"
)

// streamParam is the parameter a stream takes: the list ID of a list stream, else the tag.
func streamParam(name, tag, list string) string {
	if name == "list" {
		return list
	}
	return tag
}

// listStream makes sub the stream of list ID tag: its timeline's new posts and boosts. On
// failure it returns the HTTP status and message.
func (h *Handler) listStream(ctx context.Context, sub *streamSub, tag string) (int, string) {
	sub.kind = "list"
	id, err := strconv.ParseInt(tag, 10, 64)
	if err == nil {
		_, err = h.app.Lists.ListByID(ctx, id)
	}
	if err != nil {
		return http.StatusNotFound, "Not authorized to stream this list"
	}
	sub.spec.tag = render.ID(id)
	sub.addSource([]store.ChangeKind{store.PostAdded, store.BoostAdded}, func(ctx context.Context, pg store.Page) ([]streamItem, error) {
		l, err := h.app.Lists.ListByID(ctx, id)
		if err != nil {
			return nil, nil // deleted since: nothing more to show
		}
		entries, err := h.app.Lists.ListTimeline(ctx, l, h.app.Owner.Account.ID, pg)
		out := make([]streamItem, 0, len(entries))
		for _, e := range entries {
			out = append(out, streamItem{e.ID, "update", func(ctx context.Context) (any, error) { return h.render.Entry(ctx, e) }})
		}
		return out, err
	})
	return 0, ""
}
