package mastoapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"roost/server/app"
	"roost/server/mastoapi/oauth"
	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store"
	"roost/store/about"
)

func (h *Handler) apiVerifyCredentials(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	a := h.render.Account(ctx, o)
	reqs, _ := h.app.FollowRequests(ctx)
	typed, err := h.app.ProfileSource(ctx, o)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	src := &mastodon.Source{Privacy: "public", Note: typed.Bio, Fields: []mastodon.Field{},
		FollowRequestsCount: len(reqs), HideCollections: o.HideNetwork, Discoverable: o.Discoverable, Indexable: o.Indexable}
	for _, f := range typed.Fields {
		src.Fields = append(src.Fields, mastodon.Field{Name: f.Name, Value: f.Value})
	}
	a.Source = src
	writeAPI(w, http.StatusOK, a)
}

// apiAccountParam loads the account named by the {id} path value.
func (h *Handler) apiAccountParam(w http.ResponseWriter, r *http.Request) (*store.Account, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		if a, err := h.st.AccountByID(r.Context(), id); err == nil {
			return a, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

func (h *Handler) apiGetAccount(w http.ResponseWriter, r *http.Request) {
	if a, ok := h.apiAccountParam(w, r); ok {
		writeAPI(w, http.StatusOK, h.render.Account(r.Context(), a))
	}
}

func (h *Handler) apiLookup(w http.ResponseWriter, r *http.Request) {
	acct := strings.TrimPrefix(r.URL.Query().Get("acct"), "@")
	if !strings.Contains(acct, "@") {
		acct += "@" + h.cfg.HandleDomain
	}
	a, err := h.app.KnownAccount(r.Context(), acct)
	if err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeAPI(w, http.StatusOK, h.render.Account(r.Context(), a))
}

// apiAccountStatuses lists an account's statuses as the request may see them: everyone sees the
// public and unlisted ones, the owner's token all that Roost has (as Mastodon's
// AccountStatusesFilter, whose other viewers Roost's API does not have).
func (h *Handler) apiAccountStatuses(w http.ResponseWriter, r *http.Request) {
	a, ok := h.apiAccountParam(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if oauth.Viewer(ctx).Owner && !a.Local {
		h.app.Backfill.Account(a) // the owner opened the profile: its latest and pinned posts, for the next load
	}
	q := r.URL.Query()
	pg := mastodon.ParsePage(q, 20, 40)
	// Filtered in the query, before paging (boosts are not among an account's statuses here, so
	// exclude_reblogs has nothing to leave out).
	f := h.postFilter(q)
	f.Local, f.Remote = false, false
	var posts []*store.Post
	var err error
	if mastodon.Bool(q.Get("pinned")) {
		posts, err = h.st.PinnedPosts(ctx, a.ID) // a handful: filtered here
		posts = slices.DeleteFunc(posts, func(p *store.Post) bool {
			return (f.OnlyMedia && len(p.Attachments) == 0) || (f.ExcludeReplies && p.InReplyTo != "") ||
				(f.Tagged != "" && !slices.ContainsFunc(p.Tags, func(t store.Tag) bool {
					return t.Type == "Hashtag" && strings.EqualFold(strings.TrimPrefix(t.Name, "#"), f.Tagged)
				}))
		})
	} else {
		posts, err = h.st.FilteredAccountPosts(ctx, a.ID, !oauth.Viewer(ctx).Owner, f, storePage(pg))
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	var out []*mastodon.Status
	for _, p := range posts {
		if st, err := h.render.Status(ctx, p); err == nil { // an error leaves out what the viewer may not see
			out = append(out, st)
		}
	}
	h.writeStatuses(w, r, out)
}

func (h *Handler) apiRelationships(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	ids := append(q["id[]"], q["id"]...)
	out := []mastodon.Relationship{}
	for _, v := range ids {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		a, err := h.st.AccountByID(ctx, id)
		if err != nil {
			continue
		}
		out = append(out, h.relationship(ctx, a))
	}
	writeAPI(w, http.StatusOK, out)
}

func (h *Handler) relationship(ctx context.Context, a *store.Account) mastodon.Relationship {
	// As Mastodon: showing_reblogs and notifying are false and languages null (every language)
	// unless the owner follows (or asked to follow) the account.
	rel := mastodon.Relationship{ID: render.ID(a.ID)}
	owner := h.app.Owner.Account.ID
	if f, err := h.st.FollowBetween(ctx, owner, a.ID); err == nil {
		rel.Following, rel.Requested = f.State == store.Accepted, f.State == store.Pending
		rel.ShowingReblogs, rel.Notifying, rel.Languages = !f.HideReblogs, f.Notify, f.Languages
	}
	if f, err := h.st.FollowBetween(ctx, a.ID, owner); err == nil {
		rel.FollowedBy, rel.RequestedBy = f.State == store.Accepted, f.State == store.Pending
	}
	rel.Blocking, _ = h.st.Blocked(ctx, a.ID)
	rel.Muting, _ = h.st.Muted(ctx, a.ID)
	rel.MutingNotifications = rel.Muting
	rel.DomainBlocking, _ = h.st.DomainBlocked(ctx, a.Host)
	rel.Note, _ = about.New(h.st).Note(ctx, a.ID)
	return rel
}

// apiFollow follows the {id} account, or changes the options of the owner's follow of it, with
// Mastodon's reblogs, notify and languages[] parameters; absent ones keep what the follow has.
func (h *Handler) apiFollow(w http.ResponseWriter, r *http.Request) {
	a, ok := h.apiAccountParam(w, r)
	if !ok {
		return
	}
	f, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "could not read the request")
		return
	}
	var o app.FollowOptions
	if v, ok := mastodon.FormBool(f, "reblogs"); ok {
		o.Reblogs = &v
	}
	if v, ok := mastodon.FormBool(f, "notify"); ok {
		o.Notify = &v
	}
	if f.Has("languages[]") || f.Has("languages") {
		langs := mastodon.FormList(f, "languages")
		o.Languages = &langs
	}
	if _, err := h.app.FollowWith(r.Context(), a.IRI, o); err != nil && !errors.Is(err, app.ErrAlreadyFollowing) {
		h.apiActionError(w, err)
		return
	}
	writeAPI(w, http.StatusOK, h.relationship(r.Context(), a))
}

// apiAccountAction runs a relationship action on the {id} account and answers the relationship.
func (h *Handler) apiAccountAction(act func(context.Context, string) (*store.Account, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := h.apiAccountParam(w, r)
		if !ok {
			return
		}
		if _, err := act(r.Context(), a.IRI); err != nil && !errors.Is(err, app.ErrAlreadyFollowing) && !errors.Is(err, app.ErrNotFollowing) {
			h.apiActionError(w, err)
			return
		}
		writeAPI(w, http.StatusOK, h.relationship(r.Context(), a))
	}
}

// writeAccountItems writes a page of accounts with Mastodon's Link header, paged by the items'
// cursors.
func (h *Handler) writeAccountItems(w http.ResponseWriter, r *http.Request, items []store.AccountItem) {
	out := []*mastodon.Account{}
	for _, it := range items {
		out = append(out, h.render.Account(r.Context(), it.Account))
	}
	if len(items) > 0 {
		mastodon.SetLink(w, r, h.app.Base, render.ID(items[0].Cursor), render.ID(items[len(items)-1].Cursor), len(items))
	}
	writeAPI(w, http.StatusOK, out)
}
