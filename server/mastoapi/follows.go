package mastoapi

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"roost/server/mastoapi/oauth"
	"roost/server/mastodon"
	"roost/store"
)

// apiAccountFollows lists an account's followers or followings as far as Roost knows them, paged
// by follow ID. A network its account hides is an empty list, except to the owner for their own;
// and while the owner hides theirs, they are left out of other accounts' lists too, which would
// otherwise show it one account at a time (Mastodon keeps a hidden network out of every list).
func (h *Handler) apiAccountFollows(followers bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := h.apiAccountParam(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		self := oauth.Viewer(ctx).Owner
		if a.HideNetwork && !(a.Local && self) {
			h.writeAccountItems(w, r, nil)
			return
		}
		pg := storePage(mastodon.ParsePage(r.URL.Query(), 40, 80))
		list := h.st.Following
		if followers {
			list = h.st.Followers
		}
		entries, err := list(ctx, a.ID, store.Accepted, pg)
		if err != nil {
			h.apiServerError(w, r, err)
			return
		}
		items := followItems(entries)
		if !self && !a.Local {
			o, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
			if err != nil {
				h.apiServerError(w, r, err)
				return
			}
			if o.HideNetwork {
				items = slices.DeleteFunc(items, func(it store.AccountItem) bool { return it.Account.ID == o.ID })
			}
		}
		h.writeAccountItems(w, r, items)
	}
}

func followItems(entries []store.FollowEntry) []store.AccountItem {
	var out []store.AccountItem
	for _, e := range entries {
		out = append(out, store.AccountItem{Cursor: e.Follow.ID, Account: e.Account})
	}
	return out
}

func (h *Handler) apiFollowRequests(w http.ResponseWriter, r *http.Request) {
	pg := storePage(mastodon.ParsePage(r.URL.Query(), 40, 80))
	entries, err := h.st.Followers(r.Context(), h.app.Owner.Account.ID, store.Pending, pg)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	h.writeAccountItems(w, r, followItems(entries))
}

// apiAnswerFollowRequest accepts or rejects the {id} account's pending follow request.
func (h *Handler) apiAnswerFollowRequest(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := h.apiAccountParam(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		f, err := h.st.FollowBetween(ctx, a.ID, h.app.Owner.Account.ID)
		if err != nil || f.State != store.Pending {
			apiError(w, http.StatusNotFound, "Record not found")
			return
		}
		answer := h.app.RejectFollower
		if accept {
			answer = h.app.ApproveFollower
		}
		if _, err := answer(ctx, a.IRI); err != nil {
			h.apiActionError(w, err)
			return
		}
		writeAPI(w, http.StatusOK, h.relationship(ctx, a))
	}
}

// apiAccountList lists blocked or muted accounts.
func (h *Handler) apiAccountList(list func(context.Context, store.Page) ([]store.AccountItem, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		items, err := list(r.Context(), storePage(mastodon.ParsePage(r.URL.Query(), 40, 80)))
		if err != nil {
			h.apiServerError(w, r, err)
			return
		}
		h.writeAccountItems(w, r, items)
	}
}

func (h *Handler) apiDomainBlocks(w http.ResponseWriter, r *http.Request) {
	l, err := h.st.DomainBlocks(r.Context())
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	if l == nil {
		l = []string{}
	}
	writeAPI(w, http.StatusOK, l)
}

// apiBlockDomain blocks or unblocks the domain parameter.
func (h *Handler) apiBlockDomain(block bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := mastodon.ReadForm(r)
		if err != nil {
			apiError(w, http.StatusBadRequest, "the request body could not be read")
			return
		}
		domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(f.Get("domain"))), ".")
		if domain == "" || strings.ContainsAny(domain, " /@?#") {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: Domain is not a valid domain")
			return
		}
		if block && (h.app.OurHost(domain) || domain == strings.ToLower(h.cfg.HandleDomain)) {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: Domain is this server's own")
			return
		}
		op := h.st.UnblockDomain
		if block {
			op = h.st.BlockDomain
		}
		if err := op(r.Context(), domain); err != nil {
			h.apiServerError(w, r, err)
			return
		}
		writeAPI(w, http.StatusOK, map[string]any{})
	}
}
