package mastoapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store"
)

// Filters v1 (https://docs.joinmastodon.org/methods/filters/#v1): the API older apps and
// Mastodon.py 1.8 still call. Mastodon 4 keeps it over the v2 filters: a v1 filter is one keyword
// of a v2 filter, its id the keyword's; creating one makes a v2 filter titled with the phrase and
// holding that one keyword (app/controllers/api/v1/filters_controller.rb).

// filterV1Routes registers the v1 filters' create, show, update and delete; the list is in
// routes.go.
func (h *Handler) filterV1Routes(mux *http.ServeMux) {
	auth := func(pattern, scope string, fn http.HandlerFunc) { mux.HandleFunc(pattern, h.apiAuth(scope, fn)) }
	auth("POST /api/v1/filters", "write:filters", h.apiSaveFilterV1)
	auth("GET /api/v1/filters/{id}", "read:filters", h.apiGetFilterV1)
	auth("PUT /api/v1/filters/{id}", "write:filters", h.apiSaveFilterV1)
	auth("DELETE /api/v1/filters/{id}", "write:filters", h.apiDeleteFilterV1)
}

// apiFilterV1 is Mastodon's V1::Filter entity for keyword i of f.
func apiFilterV1(f *store.Filter, i int) map[string]any {
	api := apiFilterOf(f)
	k := f.Keywords[i]
	return map[string]any{"id": render.ID(k.ID), "phrase": k.Keyword, "context": api.Context,
		"whole_word": k.WholeWord, "expires_at": api.ExpiresAt, "irreversible": f.Action == "hide"}
}

// apiFilterV1Param finds the filter holding the keyword named by the {id} path value.
func (h *Handler) apiFilterV1Param(w http.ResponseWriter, r *http.Request) (*store.Filter, int, bool) {
	filters, err := h.st.Filters(r.Context())
	if err != nil {
		h.apiServerError(w, r, err)
		return nil, 0, false
	}
	for _, f := range filters {
		if i := slices.IndexFunc(f.Keywords, func(k store.FilterKeyword) bool { return render.ID(k.ID) == r.PathValue("id") }); i >= 0 {
			return f, i, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, 0, false
}

func (h *Handler) apiGetFilterV1(w http.ResponseWriter, r *http.Request) {
	if f, i, ok := h.apiFilterV1Param(w, r); ok {
		writeAPI(w, http.StatusOK, apiFilterV1(f, i))
	}
}

// apiSaveFilterV1 creates a v1 filter (POST) or changes the {id} one (PUT): phrase, context[],
// irreversible, whole_word and expires_in. A filter of several keywords (made through v2) takes
// only phrase and whole_word, as Mastodon: the rest would change its other keywords too.
func (h *Handler) apiSaveFilterV1(w http.ResponseWriter, r *http.Request) {
	f, i := &store.Filter{Action: "warn", Keywords: []store.FilterKeyword{{WholeWord: true}}}, 0
	if r.PathValue("id") != "" {
		var ok bool
		if f, i, ok = h.apiFilterV1Param(w, r); !ok {
			return
		}
	}
	form, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	invalid := func(msg string) { apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+msg) }
	shared := f.ID != 0 && len(f.Keywords) > 1
	if shared && (form.Has("context[]") || form.Has("context") || form.Has("irreversible") || form.Has("expires_in")) {
		invalid("Cannot update filter params that apply to multiple keywords")
		return
	}
	if _, given := form["phrase"]; given || f.ID == 0 {
		phrase := strings.TrimSpace(form.Get("phrase"))
		if phrase == "" {
			invalid("Keyword can't be blank")
			return
		}
		f.Keywords[i].Keyword = phrase
		if !shared {
			f.Title = phrase
		}
	}
	if v, ok := mastodon.FormBool(form, "whole_word"); ok && form.Get("whole_word") != "" {
		f.Keywords[i].WholeWord = v
	}
	if ctxs := mastodon.FormList(form, "context"); len(ctxs) > 0 || f.ID == 0 {
		if len(ctxs) == 0 {
			invalid("Context can't be blank")
			return
		}
		f.Context = nil
		for _, c := range ctxs {
			if !slices.Contains(filterContexts, c) {
				invalid("Context contains invalid context values")
				return
			}
			if !slices.Contains(f.Context, c) {
				f.Context = append(f.Context, c)
			}
		}
	}
	if v, ok := mastodon.FormBool(form, "irreversible"); ok && form.Get("irreversible") != "" {
		f.Action = "warn"
		if v {
			f.Action = "hide"
		}
	}
	if _, ok := form["expires_in"]; ok {
		f.ExpiresAt = time.Time{}
		if v := strings.TrimSpace(form.Get("expires_in")); v != "" {
			secs, err := strconv.ParseInt(v, 10, 64)
			if err != nil || secs <= 0 || secs > 100*365*24*3600 {
				invalid("Expires in must be a number of seconds")
				return
			}
			f.ExpiresAt = h.st.Now().Add(time.Duration(secs) * time.Second)
		}
	}
	if err := h.st.SaveFilter(r.Context(), f); err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, apiFilterV1(f, i))
}

// apiDeleteFilterV1 deletes a v1 filter: its keyword, and the filter when it was the only one.
func (h *Handler) apiDeleteFilterV1(w http.ResponseWriter, r *http.Request) {
	f, i, ok := h.apiFilterV1Param(w, r)
	if !ok {
		return
	}
	if len(f.Keywords) == 1 {
		err := h.st.DeleteFilter(r.Context(), f.ID)
		if err != nil {
			h.apiServerError(w, r, err)
			return
		}
	} else {
		f.Keywords = slices.Delete(f.Keywords, i, i+1)
		if err := h.st.SaveFilter(r.Context(), f); err != nil {
			h.apiServerError(w, r, err)
			return
		}
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}
