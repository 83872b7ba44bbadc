package mastoapi

import (
	"net/http"
	"strconv"
	"strings"

	"roost/server/app"
	"roost/server/mastoapi/oauth"
	"roost/server/mastodon"
)

// searchTag is Mastodon's Tag entity as a search returns it
// (https://docs.joinmastodon.org/entities/Tag/): Roost keeps no daily history of a tag's use.
type searchTag struct {
	Name      string `json:"name"`
	URL       string `json:"url"`
	History   []any  `json:"history"`
	Following bool   `json:"following"`
}

// searchInput reads the parameters of a search that both search endpoints take.
func searchInput(r *http.Request) app.SearchInput {
	q := r.URL.Query()
	in := app.SearchInput{
		Q:         q.Get("q"),
		Type:      q.Get("type"),
		Resolve:   mastodon.Bool(q.Get("resolve")),
		Following: mastodon.Bool(q.Get("following")),
	}
	in.Offset, _ = strconv.Atoi(q.Get("offset"))
	in.Limit, _ = strconv.Atoi(q.Get("limit"))
	in.AccountID, _ = strconv.ParseInt(q.Get("account_id"), 10, 64)
	return in
}

// apiSearch is GET /api/v2/search: accounts by handle and name, hashtags by name, statuses by
// their words (with Mastodon's operators); a handle or URL with resolve=true is looked up on its
// server. exclude_unreviewed is accepted and changes nothing: Roost reviews no hashtags.
func (h *Handler) apiSearch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	in := searchInput(r)
	switch in.Type {
	case "", "accounts", "hashtags", "statuses":
	default:
		in.Type = "none"
	}
	res, err := h.app.Search(ctx, oauth.Viewer(ctx), in)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	out := struct {
		Accounts []*mastodon.Account `json:"accounts"`
		Statuses []*mastodon.Status  `json:"statuses"`
		Hashtags []searchTag         `json:"hashtags"`
	}{[]*mastodon.Account{}, []*mastodon.Status{}, []searchTag{}}
	for _, a := range res.Accounts {
		out.Accounts = append(out.Accounts, h.render.Account(ctx, a.Account))
	}
	for _, t := range res.Tags {
		out.Hashtags = append(out.Hashtags, searchTag{Name: t.Name, URL: h.app.TagURL(t.Name), History: []any{}})
	}
	for _, p := range res.Posts {
		if st, err := h.render.Status(ctx, p); err == nil {
			out.Statuses = append(out.Statuses, st)
		}
	}
	writeAPI(w, http.StatusOK, out)
}

// apiAccountSearch is GET /api/v1/accounts/search, the mention autocomplete: accounts whose
// handle or name begins with q (limit 40 by default, as Mastodon).
func (h *Handler) apiAccountSearch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	in := searchInput(r)
	in.Type = "accounts"
	if in.Limit <= 0 {
		in.Limit = 40
	}
	out := []*mastodon.Account{}
	if strings.TrimSpace(in.Q) == "" {
		writeAPI(w, http.StatusOK, out)
		return
	}
	res, err := h.app.Search(ctx, oauth.Viewer(ctx), in)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	for _, a := range res.Accounts {
		out = append(out, h.render.Account(ctx, a.Account))
	}
	writeAPI(w, http.StatusOK, out)
}
