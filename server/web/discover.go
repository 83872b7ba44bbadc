package web

import (
	"net/http"
	"strconv"

	"roost/server/app"
	"roost/store"
	"roost/templates"
)

// Beyond the follow graph: /tags lists the hashtags the owner follows (and the tag pages have
// the owner's follow button); /federated is the public posts Roost has seen.

// discoverRoutes registers those pages.
func (h *Handler) discoverRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /tags", h.signedIn(h.showFollowedTags))
	mux.HandleFunc("POST /tags/follow", h.signedIn(h.followTag(true)))
	mux.HandleFunc("POST /tags/unfollow", h.signedIn(h.followTag(false)))
	mux.HandleFunc("GET /federated", h.signedIn(h.showFederated))
}

func (h *Handler) showFollowedTags(w http.ResponseWriter, r *http.Request) {
	tags, err := h.app.Tags.List(r.Context(), store.Page{Limit: 500})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var v templates.FollowedTags
	for _, t := range tags {
		v.Tags = append(v.Tags, t.Name)
	}
	h.render200(w, r, templates.FollowedTagsPage(h.ownerPage(r, "Followed hashtags"), v))
}

func (h *Handler) followTag(follow bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, err := h.app.FollowTag(r.Context(), r.PostFormValue("tag"), follow)
		if err != nil {
			if kind, _ := app.ErrorOf(err); kind != app.Internal {
				backTo(w, r, "/tags", "error", "That is not a hashtag: use letters, digits and _.")
				return
			}
			h.serverError(w, r, err)
			return
		}
		msg := "Following #" + name + "."
		if !follow {
			msg = "Unfollowed #" + name + "."
		}
		backTo(w, r, "/tags", "notice", msg)
	}
}

// showFederated renders /federated: every public post Roost has, the owner's and others'.
func (h *Handler) showFederated(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	maxID, _ := strconv.ParseInt(q.Get("max_id"), 10, 64)
	minID, _ := strconv.ParseInt(q.Get("min_id"), 10, 64)
	const pageSize = 20
	posts, err := h.st.PublicTimeline(ctx, false, h.app.Owner.Account.ID, store.Page{MaxID: maxID, MinID: minID, Limit: pageSize})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	entries := make([]store.Entry, len(posts))
	for i, p := range posts {
		entries[i] = store.Entry{ID: p.ID, PostID: p.ID}
	}
	var f templates.Federated
	if f.Entries, err = h.entryViews(ctx, entries); err != nil {
		h.serverError(w, r, err)
		return
	}
	if len(posts) == pageSize {
		f.OlderURL = "/federated?max_id=" + strconv.FormatInt(posts[len(posts)-1].ID, 10)
	}
	if (maxID > 0 || minID > 0) && len(posts) > 0 {
		f.NewerURL = "/federated?min_id=" + strconv.FormatInt(posts[0].ID, 10)
	}
	h.render200(w, r, templates.FederatedPage(h.ownerPage(r, "Federated"), f))
}
