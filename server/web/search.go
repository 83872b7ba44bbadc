package web

import (
	"net/http"
	"net/url"
	"strconv"

	"roost/server/app"
	"roost/templates"
)

// searchPage is how many posts a page of the owner's search results shows.
const searchPage = 20

// searchResults shows what the owner's search for q finds: known accounts by handle and name,
// hashtags by name, and posts by their words (with Mastodon's operators), paged by offset.
func (h *Handler) searchResults(w http.ResponseWriter, r *http.Request, q string) {
	ctx := r.Context()
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	offset = max(offset, 0)
	in := app.SearchInput{Q: q, Offset: offset, Limit: searchPage}
	if offset > 0 {
		in.Type = "statuses" // later pages are of posts only
	}
	res, err := h.app.Search(ctx, app.Viewer{Owner: true}, in)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := templates.SearchResults{Query: q}
	for _, a := range res.Accounts {
		v.Accounts = append(v.Accounts, templates.SearchAccount{Name: displayName(a.Account),
			Handle: "@" + a.Handle(), URL: accountURL(a.IRI)})
	}
	for _, t := range res.Tags {
		v.Tags = append(v.Tags, templates.SearchTag{Name: t.Name, URL: h.app.TagURL(t.Name)})
	}
	for _, p := range res.Posts {
		pv, err := h.ownerPostView(ctx, p)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		v.Posts = append(v.Posts, pv)
	}
	if len(res.Posts) == searchPage {
		v.MoreURL = "/search?" + url.Values{"q": {q}, "offset": {strconv.Itoa(offset + searchPage)}}.Encode()
	}
	h.render200(w, r, templates.SearchPage(h.ownerPage(r, "Search"), v))
}
