package mastoapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store"
	"roost/store/lists"
)

// Lists (docs.joinmastodon.org/methods/lists): the owner's lists of followed accounts, their
// members and their timelines; the "list" stream is in streaming.go.

// listsRoutes registers /api/v1/lists, /api/v1/accounts/:id/lists and /api/v1/timelines/list/:id.
func (h *Handler) listsRoutes(mux *http.ServeMux) {
	auth := func(pattern, scope string, fn http.HandlerFunc) { mux.HandleFunc(pattern, h.apiAuth(scope, fn)) }
	auth("GET /api/v1/lists", "read:lists", h.apiLists)
	auth("POST /api/v1/lists", "write:lists", h.apiSaveList)
	auth("GET /api/v1/lists/{id}", "read:lists", h.apiGetList)
	auth("PUT /api/v1/lists/{id}", "write:lists", h.apiSaveList)
	auth("DELETE /api/v1/lists/{id}", "write:lists", h.apiDeleteList)
	auth("GET /api/v1/lists/{id}/accounts", "read:lists", h.apiListAccounts)
	auth("POST /api/v1/lists/{id}/accounts", "write:lists", h.apiListMembers(true))
	auth("DELETE /api/v1/lists/{id}/accounts", "write:lists", h.apiListMembers(false))
	auth("GET /api/v1/accounts/{id}/lists", "read:lists", h.apiAccountLists)
	auth("GET /api/v1/timelines/list/{id}", "read:lists", h.apiListTimeline)
}

// apiList is a list as Mastodon's List entity.
func apiList(l *lists.List) map[string]any {
	return map[string]any{"id": render.ID(l.ID), "title": l.Title, "replies_policy": l.RepliesPolicy, "exclusive": l.Exclusive}
}

func writeLists(w http.ResponseWriter, lists []*lists.List) {
	out := []map[string]any{}
	for _, l := range lists {
		out = append(out, apiList(l))
	}
	writeAPI(w, http.StatusOK, out)
}

// apiListParam loads the list named by the {id} path value.
func (h *Handler) apiListParam(w http.ResponseWriter, r *http.Request) (*lists.List, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		if l, err := h.app.Lists.ListByID(r.Context(), id); err == nil {
			return l, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

func (h *Handler) apiLists(w http.ResponseWriter, r *http.Request) {
	lists, err := h.app.Lists.Lists(r.Context())
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeLists(w, lists)
}

func (h *Handler) apiGetList(w http.ResponseWriter, r *http.Request) {
	if l, ok := h.apiListParam(w, r); ok {
		writeAPI(w, http.StatusOK, apiList(l))
	}
}

// apiSaveList creates a list (POST) or changes the {id} one (PUT): title, replies_policy
// (followed, list or none; list when new) and exclusive.
func (h *Handler) apiSaveList(w http.ResponseWriter, r *http.Request) {
	l := &lists.List{RepliesPolicy: lists.RepliesList}
	if r.PathValue("id") != "" {
		var ok bool
		if l, ok = h.apiListParam(w, r); !ok {
			return
		}
	}
	f, err := mastodon.ReadSmallForm(w, r, 64<<10)
	if err != nil {
		apiError(w, http.StatusBadRequest, "Invalid form")
		return
	}
	if _, given := f["title"]; given || l.ID == 0 {
		l.Title = strings.TrimSpace(f.Get("title"))
	}
	if v := f.Get("replies_policy"); v != "" {
		l.RepliesPolicy = v
	}
	if v, ok := mastodon.FormBool(f, "exclusive"); ok {
		l.Exclusive = v
	}
	switch {
	case l.Title == "":
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Title can't be blank")
		return
	case l.RepliesPolicy != lists.RepliesFollowed && l.RepliesPolicy != lists.RepliesList && l.RepliesPolicy != lists.RepliesNone:
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Replies policy is not included in the list")
		return
	}
	if l.ID == 0 {
		err = h.app.Lists.CreateList(r.Context(), l)
	} else {
		err = h.app.Lists.UpdateList(r.Context(), l)
	}
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, apiList(l))
}

func (h *Handler) apiDeleteList(w http.ResponseWriter, r *http.Request) {
	l, ok := h.apiListParam(w, r)
	if !ok {
		return
	}
	if err := h.app.Lists.DeleteList(r.Context(), l.ID); err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}

// apiListAccounts lists a list's members, paged; limit=0 lists them all, as Mastodon does.
func (h *Handler) apiListAccounts(w http.ResponseWriter, r *http.Request) {
	l, ok := h.apiListParam(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	pg := storePage(mastodon.ParsePage(q, 40, 80))
	if q.Get("limit") == "0" {
		pg.Limit = 200
	}
	items, err := h.app.Lists.ListAccounts(r.Context(), l.ID, pg)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	h.writeAccountItems(w, r, items)
}

// apiListMembers adds (POST) or removes (DELETE) the account_ids[] of a list. Only accounts
// the owner follows may be added (422 otherwise, as Mastodon).
func (h *Handler) apiListMembers(add bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l, ok := h.apiListParam(w, r)
		if !ok {
			return
		}
		f, err := mastodon.ReadSmallForm(w, r, 64<<10)
		if err != nil {
			apiError(w, http.StatusBadRequest, "Invalid form")
			return
		}
		var ids []int64
		for _, v := range mastodon.FormList(f, "account_ids") {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				apiError(w, http.StatusNotFound, "Record not found")
				return
			}
			if _, err := h.st.AccountByID(r.Context(), id); err != nil {
				apiError(w, http.StatusNotFound, "Record not found")
				return
			}
			ids = append(ids, id)
		}
		if add {
			err = h.app.Lists.AddListAccounts(r.Context(), l.ID, h.app.Owner.Account.ID, ids)
		} else {
			err = h.app.Lists.RemoveListAccounts(r.Context(), l.ID, ids)
		}
		switch {
		case errors.Is(err, lists.ErrNotFollowed):
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: Account has not been followed")
		case errors.Is(err, store.ErrNotFound):
			apiError(w, http.StatusNotFound, "Record not found")
		case err != nil:
			h.apiServerError(w, r, err)
		default:
			writeAPI(w, http.StatusOK, map[string]any{})
		}
	}
}

// apiAccountLists lists the lists holding the {id} account.
func (h *Handler) apiAccountLists(w http.ResponseWriter, r *http.Request) {
	a, ok := h.apiAccountParam(w, r)
	if !ok {
		return
	}
	lists, err := h.app.Lists.ListsWithAccount(r.Context(), a.ID)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeLists(w, lists)
}

// apiListTimeline lists a list's timeline, rendered and filtered as home is.
func (h *Handler) apiListTimeline(w http.ResponseWriter, r *http.Request) {
	l, ok := h.apiListParam(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	entries, err := h.app.Lists.ListTimeline(ctx, l, h.app.Owner.Account.ID, storePage(mastodon.ParsePage(r.URL.Query(), 20, 40)))
	if err != nil {
		h.apiServerError(w, r, err)
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
