package mastoapi

import (
	"context"
	"net/http"
	"slices"

	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store"
)

// Conversations

// maxConversationPosts bounds the direct posts read to build the conversation list.
const maxConversationPosts = 400

// conversation is a direct thread: its root's ID and its direct posts, newest first.
type conversation struct {
	root  int64
	posts []*store.Post
}

// apiConversation is Mastodon's Conversation entity.
type apiConversation struct {
	ID         string              `json:"id"`
	Unread     bool                `json:"unread"`
	Accounts   []*mastodon.Account `json:"accounts"`
	LastStatus *mastodon.Status    `json:"last_status"`
}

// conversations groups the direct posts the owner wrote or is mentioned in by the root of their
// thread, most recently active first, less the ones the owner hid since their last post.
func (h *Handler) conversations(ctx context.Context) ([]conversation, error) {
	posts, err := h.st.DirectPosts(ctx, h.app.Owner.Account.ID, maxConversationPosts)
	if err != nil {
		return nil, err
	}
	hidden, err := h.st.HiddenConversations(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*store.Post{}
	for _, p := range posts {
		byID[p.ID] = p
	}
	rootOf := func(p *store.Post) int64 {
		for n := 0; p.ReplyToID != 0 && n < 40; n++ {
			parent, ok := byID[p.ReplyToID]
			if !ok {
				var err error
				if parent, err = h.st.PostByID(ctx, p.ReplyToID); err != nil || parent.Visibility != store.Direct {
					break
				}
			}
			p = parent
		}
		return p.ID
	}
	var out []conversation
	index := map[int64]int{}
	for _, p := range posts {
		root := rootOf(p)
		if i, ok := index[root]; ok {
			out[i].posts = append(out[i].posts, p)
			continue
		}
		index[root] = len(out)
		out = append(out, conversation{root: root, posts: []*store.Post{p}})
	}
	return slices.DeleteFunc(out, func(c conversation) bool {
		last, ok := hidden[c.root]
		return ok && c.posts[0].ID <= last
	}), nil
}

func (h *Handler) apiConversationOf(ctx context.Context, c conversation) (*apiConversation, error) {
	last, err := h.render.Status(ctx, c.posts[0])
	if err != nil {
		return nil, err
	}
	out := &apiConversation{ID: render.ID(c.root), Accounts: []*mastodon.Account{}, LastStatus: last}
	seen := map[int64]bool{h.app.Owner.Account.ID: true}
	add := func(a *store.Account) {
		if !seen[a.ID] {
			seen[a.ID] = true
			out.Accounts = append(out.Accounts, h.render.Account(ctx, a))
		}
	}
	for _, p := range c.posts {
		if a, err := h.st.AccountByID(ctx, p.AccountID); err == nil {
			add(a)
		}
		for _, t := range p.Tags {
			if t.Type == "Mention" {
				if a, err := h.st.AccountByIRI(ctx, t.Href); err == nil {
					add(a)
				}
			}
		}
	}
	return out, nil
}

// apiConversations lists direct conversations, paged by their last status's ID.
func (h *Handler) apiConversations(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pg := mastodon.ParsePage(r.URL.Query(), 20, 40)
	convs, err := h.conversations(ctx)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	convs = slices.DeleteFunc(convs, func(c conversation) bool {
		id := c.posts[0].ID
		return (pg.MaxID > 0 && id >= pg.MaxID) || id <= max(pg.MinID, pg.SinceID)
	})
	if pg.MinID > 0 && len(convs) > pg.Limit {
		convs = convs[len(convs)-pg.Limit:] // the ones just above min_id
	} else if len(convs) > pg.Limit {
		convs = convs[:pg.Limit]
	}
	out := []*apiConversation{}
	for _, c := range convs {
		if api, err := h.apiConversationOf(ctx, c); err == nil {
			out = append(out, api)
		}
	}
	if len(convs) > 0 {
		mastodon.SetLink(w, r, h.app.Base, render.ID(convs[0].posts[0].ID), render.ID(convs[len(convs)-1].posts[0].ID), len(convs))
	}
	writeAPI(w, http.StatusOK, out)
}

func (h *Handler) apiConversationParam(w http.ResponseWriter, r *http.Request) (*conversation, bool) {
	convs, err := h.conversations(r.Context())
	if err != nil {
		h.apiServerError(w, r, err)
		return nil, false
	}
	for _, c := range convs {
		if render.ID(c.root) == r.PathValue("id") {
			return &c, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

// apiReadConversation marks a conversation read; Roost does not track unread conversations, so it
// answers the conversation as it is.
func (h *Handler) apiReadConversation(w http.ResponseWriter, r *http.Request) {
	c, ok := h.apiConversationParam(w, r)
	if !ok {
		return
	}
	api, err := h.apiConversationOf(r.Context(), *c)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, api)
}

// apiHideConversation removes a conversation from the list until a new status arrives in it.
func (h *Handler) apiHideConversation(w http.ResponseWriter, r *http.Request) {
	c, ok := h.apiConversationParam(w, r)
	if !ok {
		return
	}
	if err := h.st.HideConversation(r.Context(), c.root, c.posts[0].ID); err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}
