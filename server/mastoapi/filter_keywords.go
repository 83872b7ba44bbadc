package mastoapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store"
)

// A filter's keywords one by one, and its statuses (Roost filters by keyword only), as Mastodon's
// sub-resources: https://docs.joinmastodon.org/methods/filters/#keywords-get

// filterPartRoutes registers them. Go's ServeMux refuses both /filters/{id}/keywords and
// /filters/keywords/{id} (neither is more specific), so the first is /filters/{id}/{part}.
func (h *Handler) filterPartRoutes(mux *http.ServeMux) {
	authed := func(pattern, scope string, fn http.HandlerFunc) { mux.HandleFunc(pattern, h.apiAuth(scope, fn)) }
	authed("GET /api/v2/filters/{id}/{part}", "read:filters", h.apiFilterParts)
	authed("POST /api/v2/filters/{id}/{part}", "write:filters", h.apiAddFilterPart)
	authed("GET /api/v2/filters/keywords/{id}", "read:filters", h.apiFilterKeyword)
	authed("PUT /api/v2/filters/keywords/{id}", "write:filters", h.apiFilterKeyword)
	authed("DELETE /api/v2/filters/keywords/{id}", "write:filters", h.apiFilterKeyword)
	authed("GET /api/v2/filters/statuses/{id}", "read:filters", recordNotFound)
	authed("DELETE /api/v2/filters/statuses/{id}", "write:filters", recordNotFound)
}

func recordNotFound(w http.ResponseWriter, r *http.Request) {
	apiError(w, http.StatusNotFound, "Record not found")
}

// apiFilterPartParams reads the {part} (keywords or statuses) and the filter of a
// /api/v2/filters/{id}/{part} request, answering 404 for anything else.
func (h *Handler) apiFilterPartParams(w http.ResponseWriter, r *http.Request) (string, *store.Filter, bool) {
	part := r.PathValue("part")
	if part != "keywords" && part != "statuses" {
		recordNotFound(w, r)
		return "", nil, false
	}
	f, ok := h.apiFilterParam(w, r)
	return part, f, ok
}

// apiFilterParts lists a filter's keywords, or its statuses (none).
func (h *Handler) apiFilterParts(w http.ResponseWriter, r *http.Request) {
	part, f, ok := h.apiFilterPartParams(w, r)
	if !ok {
		return
	}
	if part == "statuses" {
		writeAPI(w, http.StatusOK, []any{})
		return
	}
	writeAPI(w, http.StatusOK, apiFilterOf(f).Keywords)
}

// apiAddFilterPart adds a keyword (keyword, whole_word) to a filter. Filtering single statuses is
// not something Roost does: that is a 422.
func (h *Handler) apiAddFilterPart(w http.ResponseWriter, r *http.Request) {
	part, f, ok := h.apiFilterPartParams(w, r)
	if !ok {
		return
	}
	if part == "statuses" {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: filtering single statuses is not supported by this server")
		return
	}
	form, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	k := store.FilterKeyword{Keyword: strings.TrimSpace(form.Get("keyword")), WholeWord: true}
	if k.Keyword == "" {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Keyword can't be blank")
		return
	}
	if v, ok := mastodon.FormBool(form, "whole_word"); ok && form.Get("whole_word") != "" {
		k.WholeWord = v
	}
	f.Keywords = append(f.Keywords, k)
	if err := h.st.SaveFilter(r.Context(), f); err != nil {
		h.apiServerError(w, r, err)
		return
	}
	added := f.Keywords[len(f.Keywords)-1]
	writeAPI(w, http.StatusOK, apiFilterKeyword{ID: render.ID(added.ID), Keyword: added.Keyword, WholeWord: added.WholeWord})
}

// apiFilterKeyword shows (GET), changes (PUT: keyword, whole_word) or deletes (DELETE) one keyword.
func (h *Handler) apiFilterKeyword(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		recordNotFound(w, r)
		return
	}
	filters, err := h.st.Filters(r.Context())
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	var f *store.Filter
	i := -1
	for _, c := range filters {
		if i = slices.IndexFunc(c.Keywords, func(k store.FilterKeyword) bool { return k.ID == id }); i >= 0 {
			f = c
			break
		}
	}
	if f == nil {
		recordNotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodDelete:
		f.Keywords = slices.Delete(f.Keywords, i, i+1)
	case http.MethodPut:
		form, err := mastodon.ReadForm(r)
		if err != nil {
			apiError(w, http.StatusBadRequest, "the request body could not be read")
			return
		}
		if _, ok := form["keyword"]; ok {
			kw := strings.TrimSpace(form.Get("keyword"))
			if kw == "" {
				apiError(w, http.StatusUnprocessableEntity, "Validation failed: Keyword can't be blank")
				return
			}
			f.Keywords[i].Keyword = kw
		}
		if v, ok := mastodon.FormBool(form, "whole_word"); ok && form.Get("whole_word") != "" {
			f.Keywords[i].WholeWord = v
		}
	}
	if r.Method != http.MethodGet {
		if err := h.st.SaveFilter(r.Context(), f); err != nil {
			h.apiServerError(w, r, err)
			return
		}
	}
	if r.Method == http.MethodDelete {
		writeAPI(w, http.StatusOK, map[string]any{})
		return
	}
	k := f.Keywords[i]
	writeAPI(w, http.StatusOK, apiFilterKeyword{ID: render.ID(k.ID), Keyword: k.Keyword, WholeWord: k.WholeWord})
}
