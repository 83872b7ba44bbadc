package mastoapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"roost/server/auth"
	"roost/server/mastoapi/oauth"
	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store/about"
)

// Endpoints Mastodon 4.3 has that a single-user server answers simply: honest empties where Roost
// keeps nothing (featured tags, suggestions, endorsements, rules), and small views of what it
// keeps (a hashtag, several accounts, the owner's OpenID profile).
// https://docs.joinmastodon.org/methods/

// moreEndpointRoutes registers them.
func (h *Handler) moreEndpointRoutes(mux *http.ServeMux) {
	pub := func(pattern string, fn http.HandlerFunc) { mux.HandleFunc(pattern, fn) }
	authed := func(pattern, scope string, fn http.HandlerFunc) { mux.HandleFunc(pattern, h.apiAuth(scope, fn)) }
	opt := func(pattern, scope string, fn http.HandlerFunc) {
		mux.HandleFunc(pattern, h.apiOptionalAuth(scope, fn))
	}

	h.filterPartRoutes(mux)
	h.followedTagRoutes(mux)
	pub("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("OK"))
	})
	pub("GET /api/v1/instance/rules", apiEmpty)
	pub("GET /api/v1/instance/extended_description", h.apiExtendedDescription)
	pub("GET /api/v1/directory", h.apiDirectory)
	opt("GET /api/v1/tags/{name}", "read", h.apiTag)
	opt("GET /api/v1/accounts", "read:accounts", h.apiAccounts)
	opt("GET /api/v1/accounts/{id}/featured_tags", "read:accounts", apiEmpty)

	// Roost keeps no featured tags (configuration.accounts.max_featured_tags is 0).
	authed("GET /api/v1/featured_tags", "read:accounts", apiEmpty)
	authed("GET /api/v1/featured_tags/suggestions", "read:accounts", apiEmpty)
	authed("POST /api/v1/featured_tags", "write:accounts", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: featured tags are not supported by this server")
	})
	authed("DELETE /api/v1/featured_tags/{id}", "write:accounts", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "Record not found")
	})
	authed("GET /api/v1/suggestions", "read", apiEmpty)
	authed("GET /api/v2/suggestions", "read", apiEmpty)
	authed("GET /api/v1/endorsements", "read:accounts", apiEmpty)
	authed("GET /api/v1/accounts/familiar_followers", "read:follows", apiFamiliarFollowers)
	authed("POST /api/v1/accounts/{id}/remove_from_followers", "write:follows", h.apiRemoveFromFollowers)
	authed("POST /api/v1/accounts/{id}/note", "write:accounts", h.apiSetAccountNote)
	authed("POST /api/v1/statuses/{id}/mute", "write:mutes", h.apiMuteThread(true))
	authed("POST /api/v1/statuses/{id}/unmute", "write:mutes", h.apiMuteThread(false))
	// Any token; the scope is checked inside, as profile (OpenID) or read:accounts both do.
	authed("GET /oauth/userinfo", "", h.oauthUserinfo)
}

func (h *Handler) apiExtendedDescription(w http.ResponseWriter, r *http.Request) {
	o, err := h.st.AccountByID(r.Context(), h.app.Owner.Account.ID)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{"updated_at": render.Time(render.FirstTime(o.FetchedAt, o.CreatedAt)), "content": o.Summary})
}

// apiDirectory lists the owner when their profile is discoverable: the only local account.
func (h *Handler) apiDirectory(w http.ResponseWriter, r *http.Request) {
	out := []*mastodon.Account{}
	o, err := h.st.AccountByID(r.Context(), h.app.Owner.Account.ID)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	if o.Discoverable && offset <= 0 {
		out = append(out, h.render.Account(r.Context(), o))
	}
	writeAPI(w, http.StatusOK, out)
}

// maxAccountIDs is how many accounts one request may name, as Mastodon takes (40): a stranger's
// request cannot make Roost look up and render thousands.
const maxAccountIDs = 40

// accountIDs returns the id[] (or id) parameters of a request, the first maxAccountIDs of them.
func accountIDs(r *http.Request) []string {
	q := r.URL.Query()
	ids := append(q["id[]"], q["id"]...)
	return ids[:min(len(ids), maxAccountIDs)]
}

// apiAccounts answers GET /api/v1/accounts?id[]=...: the known accounts among the ids, in order.
func (h *Handler) apiAccounts(w http.ResponseWriter, r *http.Request) {
	out := []*mastodon.Account{}
	for _, v := range accountIDs(r) {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		if a, err := h.st.AccountByID(r.Context(), id); err == nil {
			out = append(out, h.render.Account(r.Context(), a))
		}
	}
	writeAPI(w, http.StatusOK, out)
}

// apiFamiliarFollowers answers, for each id, which accounts the owner follows also follow it:
// the owner is the only local account, and Roost does not know remote accounts' followers.
func apiFamiliarFollowers(w http.ResponseWriter, r *http.Request) {
	out := []map[string]any{}
	for _, v := range accountIDs(r) {
		out = append(out, map[string]any{"id": v, "accounts": []any{}})
	}
	writeAPI(w, http.StatusOK, out)
}

// oauthUserinfo is the token owner's OpenID Connect profile, as Mastodon 4.4 serves it.
func (h *Handler) oauthUserinfo(w http.ResponseWriter, r *http.Request) {
	t := apiToken(r)
	if !t.Owner || !(slices.Contains(t.Scopes, "profile") || auth.HasScope(t.Scopes, "read:accounts")) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Roost", error="insufficient_scope", scope="profile"`)
		apiError(w, http.StatusForbidden, oauth.MsgOutsideScope)
		return
	}
	o, err := h.st.AccountByID(r.Context(), h.app.Owner.Account.ID)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	a := h.render.Account(r.Context(), o)
	writeAPI(w, http.StatusOK, map[string]any{
		"iss": h.app.Base + "/", "sub": o.IRI, "name": o.DisplayName, "preferred_username": o.Username,
		"profile": a.URL, "picture": a.Avatar,
	})
}

// apiRemoveFromFollowers makes an account stop following the owner (a Reject of its Follow), and
// answers the relationship, also when it did not follow.
func (h *Handler) apiRemoveFromFollowers(w http.ResponseWriter, r *http.Request) {
	a, ok := h.apiAccountParam(w, r)
	if !ok {
		return
	}
	if rel := h.relationship(r.Context(), a); rel.FollowedBy || rel.RequestedBy {
		if _, err := h.app.RejectFollower(r.Context(), a.IRI); err != nil {
			h.apiActionError(w, err)
			return
		}
	}
	writeAPI(w, http.StatusOK, h.relationship(r.Context(), a))
}

// maxAccountNote is Mastodon's limit on a private note (AccountNote::COMMENT_SIZE_LIMIT).
const maxAccountNote = 2000

// apiSetAccountNote keeps the owner's private note on an account (comment; empty removes it) and
// answers the relationship, whose note it is.
func (h *Handler) apiSetAccountNote(w http.ResponseWriter, r *http.Request) {
	a, ok := h.apiAccountParam(w, r)
	if !ok {
		return
	}
	f, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	note := strings.TrimSpace(f.Get("comment"))
	if utf8.RuneCountInString(note) > maxAccountNote {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Comment is too long (maximum is 2000 characters)")
		return
	}
	if err := about.New(h.st).SetNote(r.Context(), a.ID, note); err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, h.relationship(r.Context(), a))
}

// apiMuteThread mutes or unmutes the conversation of the {id} status: while muted, nothing about
// its posts notifies the owner. It answers the status, whose muted tells.
func (h *Handler) apiMuteThread(mute bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.apiPostParam(w, r)
		if !ok {
			return
		}
		if err := h.st.MuteThread(r.Context(), p.ID, mute); err != nil {
			h.apiServerError(w, r, err)
			return
		}
		st, err := h.render.Status(r.Context(), p)
		if err != nil {
			h.apiServerError(w, r, err)
			return
		}
		writeAPI(w, http.StatusOK, st)
	}
}
