package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"roost/store"
	"roost/templates"
)

// The owner's content filters (Mastodon's, which apps read through the client API): /filters
// lists, adds and deletes them, and the owner's pages apply those in force in their context.

// showFilters is the filters page (GET /filters).
func (h *Handler) showFilters(w http.ResponseWriter, r *http.Request) {
	list, err := h.st.Filters(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var v templates.Filters
	for _, f := range list {
		fv := templates.FilterView{ID: strconv.FormatInt(f.ID, 10), Title: f.Title, Hide: f.Action == "hide"}
		for _, k := range f.Keywords {
			fv.Keywords = append(fv.Keywords, k.Keyword)
		}
		for _, c := range f.Context {
			fv.Contexts = append(fv.Contexts, templates.FilterContextLabel(c))
		}
		if !f.ExpiresAt.IsZero() {
			fv.Expires = f.ExpiresAt.In(h.zone(r)).Format("2006-01-02 15:04 MST")
		}
		v.Filters = append(v.Filters, fv)
	}
	h.render200(w, r, templates.FiltersPage(h.ownerPage(r, "Filters"), v))
}

// filterContexts are the contexts a filter may name, as Mastodon's.
var filterContexts = []string{"home", "notifications", "public", "thread", "account"}

// saveFilter adds a filter (POST /filters).
func (h *Handler) saveFilter(w http.ResponseWriter, r *http.Request) {
	fail := func(msg string) {
		http.Redirect(w, r, "/filters?error="+url.QueryEscape(msg), http.StatusSeeOther)
	}
	f := &store.Filter{Title: strings.TrimSpace(r.PostFormValue("title")), Action: "warn"}
	if r.PostFormValue("action") == "hide" {
		f.Action = "hide"
	}
	if f.Title == "" || len(f.Title) > 256 {
		fail("Give the filter a name (up to 256 characters).")
		return
	}
	for _, c := range r.PostForm["context"] {
		if slices.Contains(filterContexts, c) && !slices.Contains(f.Context, c) {
			f.Context = append(f.Context, c)
		}
	}
	if len(f.Context) == 0 {
		fail("Choose where the filter applies.")
		return
	}
	whole := r.PostFormValue("whole_word") == "on"
	for _, k := range strings.Split(r.PostFormValue("keywords"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			f.Keywords = append(f.Keywords, store.FilterKeyword{Keyword: k, WholeWord: whole})
		}
	}
	if len(f.Keywords) == 0 {
		fail("Give at least one word or phrase to filter.")
		return
	}
	if secs, err := strconv.Atoi(r.PostFormValue("expires_in")); err == nil && secs > 0 {
		f.ExpiresAt = h.st.Now().Add(time.Duration(secs) * time.Second)
	}
	if err := h.st.SaveFilter(r.Context(), f); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/filters?notice="+url.QueryEscape("Filter added."), http.StatusSeeOther)
}

// deleteFilter deletes a filter (POST /filters/delete).
func (h *Handler) deleteFilter(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err := h.st.DeleteFilter(r.Context(), id); err != nil {
		h.backToError(w, r, "/filters", "Not deleted: ", err)
		return
	}
	http.Redirect(w, r, "/filters?notice="+url.QueryEscape("Filter deleted."), http.StatusSeeOther)
}

// postFilters are the owner's filters in force in one context, read once for a page.
type postFilters []*store.Filter

// filtersFor returns the filters in force in filterContext ("home", "notifications", "thread",
// "account").
func (h *Handler) filtersFor(ctx context.Context, filterContext string) postFilters {
	list, err := h.st.Filters(ctx)
	if err != nil {
		h.log.Warn("load filters", "err", err)
		return nil
	}
	now := h.st.Now()
	return slices.DeleteFunc(list, func(f *store.Filter) bool { return !f.InForce(filterContext, now) })
}

// apply marks v with the first "warn" filter p matches, and reports false when a "hide" filter
// matches.
func (fs postFilters) apply(h *Handler, p *store.Post, v *templates.Post) bool {
	title, hide := fs.match(h, p)
	if hide {
		return false
	}
	v.Filtered = title
	return true
}

// match returns the title of the first filter p matches, and whether one that matches hides
// it. What filters match is the post's text, its content warning and its images' descriptions,
// as in the client API.
func (fs postFilters) match(h *Handler, p *store.Post) (title string, hide bool) {
	if len(fs) == 0 {
		return "", false
	}
	parts := []string{h.app.Sanitize.Text(p.Content), p.Summary}
	for _, a := range p.Attachments {
		parts = append(parts, a.Name)
	}
	text := strings.Join(parts, "\n")
	for _, f := range fs {
		if !slices.ContainsFunc(f.Keywords, func(k store.FilterKeyword) bool { return k.In(text) }) {
			continue
		}
		if title == "" {
			title = f.Title
		}
		hide = hide || f.Action == "hide"
	}
	return title, hide
}
