package mastoapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"roost/server/mastoapi/oauth"
	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store"
)

// writeStatuses writes a page of statuses with Mastodon's Link header.
func (h *Handler) writeStatuses(w http.ResponseWriter, r *http.Request, list []*mastodon.Status) {
	if list == nil {
		list = []*mastodon.Status{}
	}
	if len(list) > 0 {
		mastodon.SetLink(w, r, h.app.Base, list[0].ID, list[len(list)-1].ID, len(list))
	}
	writeAPI(w, http.StatusOK, list)
}

func storePage(p mastodon.Page) store.Page {
	return store.Page{MaxID: p.MaxID, MinID: p.MinID, SinceID: p.SinceID, Limit: p.Limit}
}

func (h *Handler) apiHomeTimeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pg := mastodon.ParsePage(r.URL.Query(), 20, 40)
	entries, err := h.st.HomeTimeline(ctx, h.app.Owner.Account.ID, storePage(pg))
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	var out []*mastodon.Status
	for _, e := range entries {
		if st, err := h.render.Entry(ctx, e); err == nil {
			out = append(out, st)
		}
	}
	h.writeFilteredStatuses(w, r, "home", out)
}

func (h *Handler) apiPublicTimeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	pg := mastodon.ParsePage(q, 20, 40)
	posts, err := h.st.FilteredPublicTimeline(ctx, h.postFilter(q), storePage(pg))
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	out := h.renderPosts(ctx, posts)
	h.writeFilteredStatuses(w, r, "public", out)
}

// writeFilteredStatuses is writeStatuses with the owner's filters of filterContext applied. The
// Link header is set from the page before filtering, so a page of hidden statuses still leads on.
func (h *Handler) writeFilteredStatuses(w http.ResponseWriter, r *http.Request, filterContext string, list []*mastodon.Status) {
	if len(list) > 0 {
		mastodon.SetLink(w, r, h.app.Base, list[0].ID, list[len(list)-1].ID, len(list))
	}
	list = h.filterStatuses(r.Context(), filterContext, list)
	if list == nil {
		list = []*mastodon.Status{}
	}
	writeAPI(w, http.StatusOK, list)
}

// apiPostList lists bookmarked or favourited statuses, paged by the bookmark or like.
func (h *Handler) apiPostList(list func(context.Context, store.Page) ([]store.PostItem, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		items, err := list(ctx, storePage(mastodon.ParsePage(r.URL.Query(), 20, 40)))
		if err != nil {
			h.apiServerError(w, r, err)
			return
		}
		out := []*mastodon.Status{}
		for _, it := range items {
			if st, err := h.render.Status(ctx, it.Post); err == nil {
				out = append(out, st)
			}
		}
		if len(items) > 0 {
			mastodon.SetLink(w, r, h.app.Base, render.ID(items[0].Cursor), render.ID(items[len(items)-1].Cursor), len(items))
		}
		writeAPI(w, http.StatusOK, out)
	}
}

// apiTagTimeline lists public statuses with a hashtag, by anyone Roost stored (local=true: the
// owner's only).
func (h *Handler) apiTagTimeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	posts, err := h.st.FilteredHashtagTimeline(ctx, r.PathValue("hashtag"), h.postFilter(q), storePage(mastodon.ParsePage(q, 20, 40)))
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	out := h.renderPosts(ctx, posts)
	if apiToken(r) == nil {
		h.writeStatuses(w, r, out)
		return
	}
	h.writeFilteredStatuses(w, r, "public", out)
}

// postFilter reads the filters of a timeline request that the store applies before paging:
// only_media, exclude_replies, tagged, and local or remote (the owner's posts, or others').
func (h *Handler) postFilter(q url.Values) store.PostFilter {
	return store.PostFilter{
		OnlyMedia:      mastodon.Bool(q.Get("only_media")),
		ExcludeReplies: mastodon.Bool(q.Get("exclude_replies")),
		Tagged:         strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q.Get("tagged")), "#")),
		Local:          mastodon.Bool(q.Get("local")),
		Remote:         mastodon.Bool(q.Get("remote")) && !mastodon.Bool(q.Get("local")),
		OwnerID:        h.app.Owner.Account.ID,
	}
}

// renderPosts renders a timeline's posts that the request's viewer may see (app.MaySee); a post
// that cannot be rendered (its author gone meanwhile) is left out.
func (h *Handler) renderPosts(ctx context.Context, posts []*store.Post) []*mastodon.Status {
	var out []*mastodon.Status
	v := oauth.Viewer(ctx)
	for _, p := range posts {
		if !h.app.MaySee(ctx, v, p) {
			continue
		}
		if st, err := h.render.Status(ctx, p); err == nil {
			out = append(out, st)
		}
	}
	return out
}
