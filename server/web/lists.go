package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"roost/store"
	"roost/store/lists"
	"roost/templates"
)

// The owner's lists: /lists creates, renames and deletes them and removes members; an account's
// page adds a followed account to a list; /lists/{id} is a list's timeline.

// listRoutes registers the lists pages.
func (h *Handler) listRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /lists", h.signedIn(h.showLists))
	mux.HandleFunc("GET /lists/{id}", h.signedIn(h.showListTimeline))
	mux.HandleFunc("POST /lists/create", h.signedIn(h.saveList))
	mux.HandleFunc("POST /lists/update", h.signedIn(h.saveList))
	mux.HandleFunc("POST /lists/delete", h.signedIn(h.deleteList))
	mux.HandleFunc("POST /lists/add", h.signedIn(h.listMember(true)))
	mux.HandleFunc("POST /lists/remove", h.signedIn(h.listMember(false)))
}

func formID(r *http.Request, key string) int64 {
	id, _ := strconv.ParseInt(r.PostFormValue(key), 10, 64)
	return id
}

// showLists renders /lists: every list with its members.
func (h *Handler) showLists(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lists, err := h.app.Lists.Lists(ctx)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var v templates.ListsView
	for _, l := range lists {
		lv := templates.ListView{ID: strconv.FormatInt(l.ID, 10), Title: l.Title, RepliesPolicy: l.RepliesPolicy, Exclusive: l.Exclusive}
		members, err := h.app.Lists.ListAccounts(ctx, l.ID, store.Page{Limit: 200})
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		for _, m := range members {
			a := m.Account
			lv.Members = append(lv.Members, templates.ListMember{ID: strconv.FormatInt(a.ID, 10), Name: displayName(a),
				Handle: "@" + a.Handle(), URL: accountURL(a.IRI)})
		}
		v.Lists = append(v.Lists, lv)
	}
	h.render200(w, r, templates.ListsPage(h.ownerPage(r, "Lists"), v))
}

// saveList creates a list, or changes the one of the form's id: title, replies_policy, exclusive.
func (h *Handler) saveList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l := &lists.List{}
	if id := formID(r, "id"); id != 0 {
		var err error
		if l, err = h.app.Lists.ListByID(ctx, id); err != nil {
			backTo(w, r, "/lists", "error", "That list is gone.")
			return
		}
	}
	l.Title = strings.TrimSpace(r.PostFormValue("title"))
	l.RepliesPolicy = r.PostFormValue("replies_policy")
	l.Exclusive = r.PostFormValue("exclusive") == "true"
	switch l.RepliesPolicy {
	case lists.RepliesFollowed, lists.RepliesList, lists.RepliesNone:
	default:
		l.RepliesPolicy = lists.RepliesList
	}
	if l.Title == "" {
		backTo(w, r, "/lists", "error", "Give the list a title.")
		return
	}
	var err error
	if l.ID == 0 {
		err = h.app.Lists.CreateList(ctx, l)
	} else {
		err = h.app.Lists.UpdateList(ctx, l)
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	backTo(w, r, "/lists", "notice", "List saved.")
}

func (h *Handler) deleteList(w http.ResponseWriter, r *http.Request) {
	if err := h.app.Lists.DeleteList(r.Context(), formID(r, "id")); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	backTo(w, r, "/lists", "notice", "List deleted.")
}

// listMember adds the form's account (by IRI, from its page) to the list of the form's id, or
// removes it (by account_id from /lists, or IRI).
func (h *Handler) listMember(add bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		listID, accountID := formID(r, "id"), formID(r, "account_id")
		if iri := r.PostFormValue("account"); iri != "" {
			a, err := h.st.AccountByIRI(ctx, iri)
			if err != nil {
				backTo(w, r, "/lists", "error", "That account is unknown.")
				return
			}
			accountID = a.ID
		}
		var err error
		if add {
			err = h.app.Lists.AddListAccounts(ctx, listID, h.app.Owner.Account.ID, []int64{accountID})
		} else {
			err = h.app.Lists.RemoveListAccounts(ctx, listID, []int64{accountID})
		}
		switch {
		case errors.Is(err, lists.ErrNotFollowed):
			backTo(w, r, "/lists", "error", "Only accounts you follow can be in a list.")
		case errors.Is(err, store.ErrNotFound):
			backTo(w, r, "/lists", "error", "That list is gone.")
		case err != nil:
			h.serverError(w, r, err)
		case add:
			backTo(w, r, "/lists", "notice", "Added to the list.")
		default:
			backTo(w, r, "/lists", "notice", "Removed from the list.")
		}
	}
}

// accountListChoices is the owner's lists, each saying whether accountID is in it.
func (h *Handler) accountListChoices(r *http.Request, accountID int64) []templates.ListChoice {
	lists, err := h.app.Lists.Lists(r.Context())
	if err != nil {
		return nil
	}
	in, _ := h.app.Lists.ListsWithAccount(r.Context(), accountID)
	member := map[int64]bool{}
	for _, l := range in {
		member[l.ID] = true
	}
	var out []templates.ListChoice
	for _, l := range lists {
		out = append(out, templates.ListChoice{ID: strconv.FormatInt(l.ID, 10), Title: l.Title, Member: member[l.ID]})
	}
	return out
}

// showListTimeline renders /lists/{id}: the list's timeline, newest first.
func (h *Handler) showListTimeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	l, err := h.app.Lists.ListByID(ctx, id)
	if err != nil {
		h.notFound(w, r)
		return
	}
	q := r.URL.Query()
	maxID, _ := strconv.ParseInt(q.Get("max_id"), 10, 64)
	minID, _ := strconv.ParseInt(q.Get("min_id"), 10, 64)
	const pageSize = 20
	entries, err := h.app.Lists.ListTimeline(ctx, l, h.app.Owner.Account.ID, store.Page{MaxID: maxID, MinID: minID, Limit: pageSize})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := templates.ListTimeline{Title: l.Title}
	if v.Entries, err = h.entryViews(ctx, entries); err != nil {
		h.serverError(w, r, err)
		return
	}
	base := "/lists/" + strconv.FormatInt(l.ID, 10)
	if len(entries) == pageSize {
		v.OlderURL = base + "?max_id=" + strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	if (maxID > 0 || minID > 0) && len(entries) > 0 {
		v.NewerURL = base + "?min_id=" + strconv.FormatInt(entries[0].ID, 10)
	}
	h.render200(w, r, templates.ListTimelinePage(h.ownerPage(r, l.Title), v))
}
