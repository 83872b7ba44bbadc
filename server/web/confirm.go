package web

import (
	"net/http"
	"net/url"
	"strings"

	"roost/templates"
)

// The destructive actions (deleting a post, blocking an account) take two steps: the button is a
// GET form opening a page that says what will happen, whose POST form does it. No JavaScript is
// needed, and the POST keeps the session's CSRF token.

// confirmDelete asks before deleting one of the owner's posts (GET /delete?post=).
func (h *Handler) confirmDelete(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := h.app.FindPost(ctx, r.URL.Query().Get("post"))
	if err != nil || p.AccountID != h.app.Owner.Account.ID {
		h.notFound(w, r)
		return
	}
	v, err := h.ownerPostView(ctx, p)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	back := sameSiteBack(r, "/home")
	if strings.HasPrefix(back, pathOf(p.URL)) {
		back = "/home" // the permalink is gone after the delete
	}
	h.render200(w, r, templates.ConfirmPage(h.ownerPage(r, "Delete post"), templates.Confirm{
		Title: "Delete this post?", Question: "This cannot be undone.",
		Effects: []string{"The post goes from your profile and timelines here.",
			"Servers that received it are asked to delete it; most do, but copies may remain elsewhere.",
			"Its likes and boosts are lost; replies to it stay, without the post they answer."},
		Action: "/delete", Field: "post", Value: p.IRI, Button: "Delete the post", Back: back, Post: &v}))
}

// confirmBlock asks before blocking an account (GET /block?account=).
func (h *Handler) confirmBlock(w http.ResponseWriter, r *http.Request) {
	a, err := h.st.AccountByIRI(r.Context(), r.URL.Query().Get("account"))
	if err != nil || a.ID == h.app.Owner.Account.ID {
		h.notFound(w, r)
		return
	}
	name := "@" + a.Handle()
	h.render200(w, r, templates.ConfirmPage(h.ownerPage(r, "Block "+name), templates.Confirm{
		Title: "Block " + name + "?", Question: "You can unblock later, but the follows do not come back by themselves.",
		Effects: []string{"If they follow you, they stop following you.",
			"If you follow them, you stop following them.",
			"Their posts, boosts and notifications no longer reach you, and they cannot see your posts here.",
			"Their server is told about the block."},
		Action: "/block", Field: "account", Value: a.IRI, Button: "Block " + name,
		Back: sameSiteBack(r, accountURL(a.IRI))}))
}

// sameSiteBack is where a confirmation's Cancel goes: the page that asked (a same-site Referer),
// else fallback.
func sameSiteBack(r *http.Request, fallback string) string {
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || !strings.HasPrefix(ref.Path, "/") {
		return fallback
	}
	q := ref.Query()
	q.Del("notice")
	q.Del("error")
	q.Del("error_detail")
	ref.RawQuery = q.Encode()
	if back := ref.RequestURI(); safeNext(back) == back {
		return back
	}
	return fallback // a path such as //elsewhere would leave the site
}

// pathOf is the path of an absolute URL, or "\x00" (matching no path) when it has none.
func pathOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Path == "" {
		return "\x00"
	}
	return p.Path
}

// formBack is the form's "back" field when it is a path on this site, else "".
func formBack(r *http.Request) string {
	b := r.PostFormValue("back")
	if b == "" || safeNext(b) != b { // the sign-in form's rules: a path, never another site
		return ""
	}
	return b
}
