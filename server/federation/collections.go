package federation

import (
	"net/http"
	"strconv"

	"roost/server/activitypub"
	"roost/store"
)

// collectionPageSize is how many items one page of a served collection holds.
const collectionPageSize = 20

// pageRequest reads the paging query of a collection request: ?page=true for the first page,
// ?max_id=N for later ones. It reports false when the request is for the collection itself.
func pageRequest(r *http.Request) (store.Page, bool) {
	q := r.URL.Query()
	if q.Get("page") == "" && q.Get("max_id") == "" {
		return store.Page{}, false
	}
	maxID, _ := strconv.ParseInt(q.Get("max_id"), 10, 64)
	return store.Page{MaxID: maxID, Limit: collectionPageSize}, true
}

// collection answers a paged OrderedCollection: the collection with totalItems and a link to the
// first page, or the page asked for. items returns the page's items and the cursor of the last one.
func (h *Handler) collection(w http.ResponseWriter, r *http.Request, id string, total int,
	items func(pg store.Page) ([]any, int64, error)) {
	pg, isPage := pageRequest(r)
	if !isPage {
		writeAS(w, r, http.StatusOK, &activitypub.OrderedCollection{
			Context: activitypub.Context(), ID: id, Type: "OrderedCollection", TotalItems: total,
			First: id + "?page=true",
		})
		return
	}
	list, last, err := items(pg)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page := &activitypub.OrderedCollectionPage{
		Context: activitypub.Context(), ID: id + "?" + r.URL.RawQuery, Type: "OrderedCollectionPage",
		TotalItems: total, PartOf: id, OrderedItems: list,
	}
	if page.OrderedItems == nil {
		page.OrderedItems = []any{}
	}
	if len(list) == pg.Limit {
		page.Next = id + "?page=true&max_id=" + strconv.FormatInt(last, 10)
	}
	writeAS(w, r, http.StatusOK, page)
}

func (h *Handler) isOwnerPath(w http.ResponseWriter, r *http.Request) bool {
	if r.PathValue("name") != h.app.Owner.Account.Username {
		h.notFound(w, r)
		return false
	}
	return true
}

// showOutbox serves the owner's public and unlisted posts as Create activities, newest first.
func (h *Handler) showOutbox(w http.ResponseWriter, r *http.Request) {
	if !h.isOwnerPath(w, r) {
		return
	}
	ctx := r.Context()
	total, err := h.st.CountPosts(ctx, h.app.Owner.Account.ID, true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.collection(w, r, h.app.Owner.Account.Outbox, total, func(pg store.Page) ([]any, int64, error) {
		return h.app.OutboxItems(ctx, pg)
	})
}

// showFollowers serves the IRIs of the owner's accepted followers.
func (h *Handler) showFollowers(w http.ResponseWriter, r *http.Request) {
	h.showFollows(w, r, h.app.Owner.Account.FollowersURL, true)
}

// showFollowing serves the IRIs of the accounts the owner follows.
func (h *Handler) showFollowing(w http.ResponseWriter, r *http.Request) {
	h.showFollows(w, r, h.app.Owner.Account.FollowingURL, false)
}

func (h *Handler) showFollows(w http.ResponseWriter, r *http.Request, id string, followers bool) {
	if !h.isOwnerPath(w, r) {
		return
	}
	ctx := r.Context()
	nFollowers, nFollowing, err := h.st.CountFollows(ctx, h.app.Owner.Account.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	total := nFollowing
	if followers {
		total = nFollowers
	}
	o, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if o.HideNetwork {
		// The owner hides their network, counts and members: the collection is there, with no
		// totalItems and no first page. A Mastodon reading it then shows the network as hidden
		// and keeps no count (ActivityPub::ProcessAccountService reads both as optional).
		writeAS(w, r, http.StatusOK, map[string]any{"@context": activitypub.Context(), "id": id,
			"type": "OrderedCollection"})
		return
	}
	h.collection(w, r, id, total, func(pg store.Page) ([]any, int64, error) {
		return h.app.FollowItems(ctx, followers, pg)
	})
}

// showFeatured serves the owner's pinned posts as an OrderedCollection of Notes.
func (h *Handler) showFeatured(w http.ResponseWriter, r *http.Request) {
	if !h.isOwnerPath(w, r) {
		return
	}
	doc, err := h.app.FeaturedDoc(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeAS(w, r, http.StatusOK, doc)
}

// showFeaturedTags serves the owner's featured hashtags (none yet).
func (h *Handler) showFeaturedTags(w http.ResponseWriter, r *http.Request) {
	if !h.isOwnerPath(w, r) {
		return
	}
	writeAS(w, r, http.StatusOK, &activitypub.Collection{
		Context: activitypub.Context(), ID: h.app.ActorIRI() + "/collections/tags", Type: "Collection",
		TotalItems: 0, Items: []any{},
	})
}

// showReplies serves the replies Roost knows to one of the owner's posts, to whoever may see the
// post; the replies listed are the ones everyone may see.
func (h *Handler) showReplies(w http.ResponseWriter, r *http.Request) {
	p, err := h.ownPost(r)
	if err != nil || !h.app.RequestMaySee(r, p) {
		h.notFound(w, r)
		return
	}
	page := ""
	if q := r.URL.Query(); q.Get("all") == "true" {
		page = "all"
	} else if q.Get("page") != "" {
		page = "first"
	}
	doc, err := h.app.RepliesDoc(r.Context(), p, page)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeAS(w, r, http.StatusOK, doc)
}

// showContext serves the conversation of one of the owner's posts (FEP-7888), to whoever may see
// the post; the posts listed are the ones everyone may see.
func (h *Handler) showContext(w http.ResponseWriter, r *http.Request) {
	p, err := h.ownPost(r)
	if err != nil || !h.app.RequestMaySee(r, p) {
		h.notFound(w, r)
		return
	}
	doc, err := h.app.ContextDoc(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeAS(w, r, http.StatusOK, doc)
}
