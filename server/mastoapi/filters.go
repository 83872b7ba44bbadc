package mastoapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store"
)

// Filters (v2, https://docs.joinmastodon.org/methods/filters/)

// filterContexts are where a filter may apply.
var filterContexts = []string{"home", "notifications", "public", "thread", "account"}

// apiFilter is Mastodon's Filter entity.
type apiFilter struct {
	ID           string             `json:"id"`
	Title        string             `json:"title"`
	Context      []string           `json:"context"`
	ExpiresAt    *string            `json:"expires_at"`
	FilterAction string             `json:"filter_action"`
	Keywords     []apiFilterKeyword `json:"keywords"`
	Statuses     []any              `json:"statuses"`
}

// apiFilterKeyword is Mastodon's FilterKeyword entity.
type apiFilterKeyword struct {
	ID        string `json:"id"`
	Keyword   string `json:"keyword"`
	WholeWord bool   `json:"whole_word"`
}

// apiFilterResult is Mastodon's FilterResult entity, in a status's filtered list.
type apiFilterResult struct {
	Filter         *apiFilter `json:"filter"`
	KeywordMatches []string   `json:"keyword_matches"`
	StatusMatches  []string   `json:"status_matches"`
}

func apiFilterOf(f *store.Filter) *apiFilter {
	out := &apiFilter{ID: render.ID(f.ID), Title: f.Title, Context: f.Context, FilterAction: f.Action,
		Keywords: []apiFilterKeyword{}, Statuses: []any{}}
	if out.Context == nil {
		out.Context = []string{}
	}
	if !f.ExpiresAt.IsZero() {
		e := render.Time(f.ExpiresAt)
		out.ExpiresAt = &e
	}
	for _, k := range f.Keywords {
		out.Keywords = append(out.Keywords, apiFilterKeyword{ID: render.ID(k.ID), Keyword: k.Keyword, WholeWord: k.WholeWord})
	}
	return out
}

func (h *Handler) apiFilters(w http.ResponseWriter, r *http.Request) {
	l, err := h.st.Filters(r.Context())
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	out := []*apiFilter{}
	for _, f := range l {
		out = append(out, apiFilterOf(f))
	}
	writeAPI(w, http.StatusOK, out)
}

// apiFiltersV1 lists the filters' keywords as v1 filters, one per keyword, as Mastodon does.
func (h *Handler) apiFiltersV1(w http.ResponseWriter, r *http.Request) {
	l, err := h.st.Filters(r.Context())
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	out := []map[string]any{}
	for _, f := range l {
		api := apiFilterOf(f)
		for _, k := range f.Keywords {
			out = append(out, map[string]any{"id": render.ID(k.ID), "phrase": k.Keyword, "context": api.Context,
				"whole_word": k.WholeWord, "expires_at": api.ExpiresAt, "irreversible": f.Action == "hide"})
		}
	}
	writeAPI(w, http.StatusOK, out)
}

func (h *Handler) apiFilterParam(w http.ResponseWriter, r *http.Request) (*store.Filter, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		if f, err := h.st.FilterByID(r.Context(), id); err == nil {
			return f, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

func (h *Handler) apiGetFilter(w http.ResponseWriter, r *http.Request) {
	if f, ok := h.apiFilterParam(w, r); ok {
		writeAPI(w, http.StatusOK, apiFilterOf(f))
	}
}

func (h *Handler) apiDeleteFilter(w http.ResponseWriter, r *http.Request) {
	f, ok := h.apiFilterParam(w, r)
	if !ok {
		return
	}
	if err := h.st.DeleteFilter(r.Context(), f.ID); err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}

// apiSaveFilter creates a filter (POST) or changes the {id} one (PUT): title, context[],
// filter_action, expires_in (seconds; empty for never) and keywords_attributes[] (keyword,
// whole_word; with id to change one, and _destroy to delete it).
func (h *Handler) apiSaveFilter(w http.ResponseWriter, r *http.Request) {
	f := &store.Filter{Action: "warn"}
	if r.PathValue("id") != "" {
		var ok bool
		if f, ok = h.apiFilterParam(w, r); !ok {
			return
		}
	}
	form, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	invalid := func(msg string) { apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+msg) }
	if _, ok := form["title"]; ok || f.ID == 0 {
		f.Title = strings.TrimSpace(form.Get("title"))
		if f.Title == "" {
			invalid("Title can't be blank")
			return
		}
		if utf8.RuneCountInString(f.Title) > 256 {
			invalid("Title is too long (maximum is 256 characters)")
			return
		}
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
	if a := form.Get("filter_action"); a != "" {
		if a != "warn" && a != "hide" {
			invalid("Filter action is not included in the list")
			return
		}
		f.Action = a
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
	for _, o := range mastodon.FormObjects(form, "keywords_attributes") {
		destroy, _ := mastodon.FormBool(url.Values{"d": {o["_destroy"]}}, "d")
		wholeWord, hasWholeWord := mastodon.FormBool(url.Values{"w": {o["whole_word"]}}, "w")
		hasWholeWord = hasWholeWord && o["whole_word"] != ""
		keyword := strings.TrimSpace(o["keyword"])
		if id := o["id"]; id != "" {
			i := slices.IndexFunc(f.Keywords, func(k store.FilterKeyword) bool { return render.ID(k.ID) == id })
			if i < 0 {
				apiError(w, http.StatusNotFound, "Record not found")
				return
			}
			if destroy {
				f.Keywords = slices.Delete(f.Keywords, i, i+1)
				continue
			}
			if keyword != "" {
				f.Keywords[i].Keyword = keyword
			}
			if hasWholeWord {
				f.Keywords[i].WholeWord = wholeWord
			}
			continue
		}
		if destroy {
			continue
		}
		if keyword == "" {
			invalid("Keyword can't be blank")
			return
		}
		if !hasWholeWord {
			wholeWord = true // Mastodon's default
		}
		f.Keywords = append(f.Keywords, store.FilterKeyword{Keyword: keyword, WholeWord: wholeWord})
	}
	if err := h.st.SaveFilter(r.Context(), f); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			apiError(w, http.StatusNotFound, "Record not found")
			return
		}
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, apiFilterOf(f))
}

// statusFilter is a filter in force, ready to match statuses.
type statusFilter struct {
	api      *apiFilter
	hide     bool
	keywords []store.FilterKeyword
}

// activeFilters returns the filters in force in filterContext.
func (h *Handler) activeFilters(ctx context.Context, filterContext string) []statusFilter {
	l, err := h.st.Filters(ctx)
	if err != nil {
		h.log.Warn("load filters", "err", err)
		return nil
	}
	now := h.st.Now()
	var out []statusFilter
	for _, f := range l {
		if !f.InForce(filterContext, now) {
			continue
		}
		out = append(out, statusFilter{api: apiFilterOf(f), hide: f.Action == "hide", keywords: f.Keywords})
	}
	return out
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// keywordIn reports whether k occurs in text (store.FilterKeyword.In, which the web pages
// share).
func keywordIn(text string, k store.FilterKeyword) bool { return k.In(text) }

// filterText is what filters match in a status: its text, spoiler text and media descriptions.
func (h *Handler) filterText(st *mastodon.Status) string {
	parts := []string{h.app.Sanitize.Text(st.Content), st.SpoilerText}
	for _, m := range st.MediaAttachments {
		if m.Description != nil {
			parts = append(parts, *m.Description)
		}
	}
	return strings.Join(parts, "\n")
}

// match applies filters to st (the boosted status, for a boost): it reports false when a "hide"
// filter matches, and otherwise lists the matching "warn" filters in filtered.
func (h *Handler) match(filters []statusFilter, st *mastodon.Status) bool {
	target := st
	if st.Reblog != nil {
		target = st.Reblog
	}
	text := h.filterText(target)
	var results []any
	for _, f := range filters {
		var matches []string
		for _, k := range f.keywords {
			if keywordIn(text, k) {
				matches = append(matches, k.Keyword)
			}
		}
		if len(matches) == 0 {
			continue
		}
		if f.hide {
			return false
		}
		results = append(results, apiFilterResult{Filter: f.api, KeywordMatches: matches})
	}
	if len(results) > 0 {
		st.Filtered = append(st.Filtered, results...)
		if st.Reblog != nil {
			st.Reblog.Filtered = append(st.Reblog.Filtered, results...)
		}
	}
	return true
}

// filterStatuses applies the owner's filters of filterContext to a list of statuses: those a
// "hide" filter matches are dropped, those a "warn" filter matches say so in filtered.
func (h *Handler) filterStatuses(ctx context.Context, filterContext string, list []*mastodon.Status) []*mastodon.Status {
	filters := h.activeFilters(ctx, filterContext)
	if len(filters) == 0 {
		return list
	}
	return slices.DeleteFunc(list, func(st *mastodon.Status) bool { return !h.match(filters, st) })
}

// filterNotifications applies the owner's "notifications" filters to the statuses of
// notifications, dropping the notifications whose status a "hide" filter matches.
func (h *Handler) filterNotifications(ctx context.Context, list []*mastodon.Notification) []*mastodon.Notification {
	filters := h.activeFilters(ctx, "notifications")
	if len(filters) == 0 {
		return list
	}
	return slices.DeleteFunc(list, func(n *mastodon.Notification) bool { return n.Status != nil && !h.match(filters, n.Status) })
}
