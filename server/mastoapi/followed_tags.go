package mastoapi

import (
	"net/http"

	"roost/server/app"
	"roost/server/mastoapi/render"
	"roost/server/mastodon"
)

// Followed hashtags: https://docs.joinmastodon.org/methods/followed_tags/ and
// https://docs.joinmastodon.org/methods/tags/

// followedTagRoutes registers them.
func (h *Handler) followedTagRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/followed_tags", h.apiAuth("read:follows", h.apiFollowedTags))
	mux.HandleFunc("POST /api/v1/tags/{name}/follow", h.apiAuth("write:follows", h.apiFollowTag(true)))
	mux.HandleFunc("POST /api/v1/tags/{name}/unfollow", h.apiAuth("write:follows", h.apiFollowTag(false)))
}

// tagEntity is Mastodon's Tag; Roost keeps no history of a tag's use.
func (h *Handler) tagEntity(name string, following bool) map[string]any {
	return map[string]any{"name": name, "url": h.app.TagURL(name), "history": []any{},
		"following": following, "featuring": false, "id": name}
}

// apiTag is Mastodon's Tag entity for a hashtag, with following for the owner's token.
func (h *Handler) apiTag(w http.ResponseWriter, r *http.Request) {
	name, err := app.TagName(r.PathValue("name"))
	if err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	following := false
	if t := apiToken(r); t != nil && t.Owner {
		if following, err = h.app.Tags.Following(r.Context(), name); err != nil {
			h.apiServerError(w, r, err)
			return
		}
	}
	writeAPI(w, http.StatusOK, h.tagEntity(name, following))
}

func (h *Handler) apiFollowTag(follow bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, err := h.app.FollowTag(r.Context(), r.PathValue("name"), follow)
		if err != nil {
			h.apiActionError(w, err)
			return
		}
		writeAPI(w, http.StatusOK, h.tagEntity(name, follow))
	}
}

// apiFollowedTags lists the followed tags, newest first, paged by an opaque id in the Link header.
func (h *Handler) apiFollowedTags(w http.ResponseWriter, r *http.Request) {
	tags, err := h.app.Tags.List(r.Context(), storePage(mastodon.ParsePage(r.URL.Query(), 100, 200)))
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	out := []map[string]any{}
	for _, t := range tags {
		out = append(out, h.tagEntity(t.Name, true))
	}
	if len(tags) > 0 {
		mastodon.SetLink(w, r, h.app.Base, render.ID(tags[0].ID), render.ID(tags[len(tags)-1].ID), len(tags))
	}
	writeAPI(w, http.StatusOK, out)
}
