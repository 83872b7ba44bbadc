package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"roost/server/app"
	"roost/server/content"
	"roost/server/mastodon"
	"roost/store"
	"roost/store/about"
	"roost/templates"
)

// search resolves what the owner typed: @user@host or an actor URL opens the account, a post URL
// opens the post; anything else is searched for (searchResults).
func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		http.Redirect(w, r, "/home", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	if !strings.Contains(strings.TrimPrefix(q, "@"), "@") && !strings.Contains(q, "://") {
		h.searchResults(w, r, q)
		return
	}
	if !strings.HasPrefix(q, "http://") && !strings.HasPrefix(q, "https://") {
		a, err := h.app.Resolve.Handle(ctx, q)
		if err != nil {
			h.backToError(w, r, "/home", "Could not find "+q+": ", err)
			return
		}
		http.Redirect(w, r, accountURL(a.IRI), http.StatusSeeOther)
		return
	}
	if a, err := h.app.Resolve.Account(ctx, q); err == nil {
		http.Redirect(w, r, accountURL(a.IRI), http.StatusSeeOther)
		return
	}
	p, err := h.app.FindPost(ctx, q)
	if err != nil {
		backTo(w, r, "/home", "error", "Could not find an account or post at "+q)
		return
	}
	v, err := h.ownerPostView(ctx, p)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render200(w, r, templates.PostListPage(h.ownerPage(r, "Search"), templates.PostList{Title: "Post", Posts: []templates.Post{v}}))
}

// countsLine is a remote account's own counts as the profile shows them, leaving out those its
// server does not give.
func countsLine(c about.Counts) string {
	var parts []string
	for _, n := range []struct {
		v           int
		one, plural string
	}{{c.Statuses, "post", "posts"}, {c.Following, "following", "following"}, {c.Followers, "follower", "followers"}} {
		switch {
		case n.v == 1:
			parts = append(parts, "1 "+n.one)
		case n.v >= 0:
			parts = append(parts, strconv.Itoa(n.v)+" "+n.plural)
		}
	}
	return strings.Join(parts, " · ")
}

// accountBackfillWait bounds how long an account's page waits for its outbox.
const accountBackfillWait = 10 * time.Second

func accountURL(iri string) string { return "/account?iri=" + url.QueryEscape(iri) }

// showAccount is the owner's view of an account: profile, relationship, actions and recent posts
// (fetched from its outbox the first time, when Roost has none stored).
func (h *Handler) showAccount(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	iri := r.URL.Query().Get("iri")
	a, err := h.st.AccountByIRI(ctx, iri)
	if err != nil {
		if a, err = h.app.Resolve.Account(ctx, iri); err != nil {
			h.notFound(w, r)
			return
		}
	}
	const recent = 20
	posts, err := h.st.AccountPosts(ctx, a.ID, false, store.Page{Limit: recent})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	switch {
	case len(posts) == 0 && !a.Local:
		// Nothing to show: wait for the outbox (bounded), and show what it gave.
		bctx, cancel := context.WithTimeout(ctx, accountBackfillWait)
		_, err := h.app.Backfill.AccountNow(bctx, a)
		cancel()
		if err != nil {
			h.log.Info("outbox backfill failed", "account", a.IRI, "err", err)
		}
		posts, _ = h.st.AccountPosts(ctx, a.ID, false, store.Page{Limit: recent})
	case !a.Local:
		h.app.Backfill.Account(a) // the latest and pinned posts, on the next view
	}
	v := templates.AccountView{Name: displayName(a), Handle: "@" + a.Handle(), IRI: a.IRI, URL: app.ProfileURL(a),
		AvatarURL: h.app.ImageSrc(h.proxy, a.AvatarURL), HeaderURL: h.app.ImageSrc(h.proxy, a.HeaderURL), Summary: content.HTML(a.Summary), Local: a.Local, MovedTo: a.MovedTo}
	for _, f := range a.Fields {
		v.Fields = append(v.Fields, templates.Field{Name: f.Name, Value: content.HTML(f.Value)})
	}
	if f, err := h.st.FollowBetween(ctx, h.app.Owner.Account.ID, a.ID); err == nil {
		v.Following, v.Requested = f.State == store.Accepted, f.State == store.Pending
		v.ShowBoosts, v.Notify = !f.HideReblogs, f.Notify
	}
	if v.Following {
		v.Lists = h.accountListChoices(r, a.ID)
	}
	if c, err := about.New(h.st).CountsOf(ctx, a.ID); err == nil {
		v.Counts = countsLine(c)
	}
	v.FollowsYou, _ = h.st.IsFollowing(ctx, a.ID, h.app.Owner.Account.ID)
	v.Blocked, _ = h.st.Blocked(ctx, a.ID)
	v.Muted, _ = h.st.Muted(ctx, a.ID)
	filters := h.filtersFor(ctx, "account")
	for _, p := range posts {
		if p.Visibility == store.Direct {
			if ok, _ := h.st.Mentioned(ctx, p.ID, h.app.Owner.Account.ID); !ok && !a.Local {
				continue
			}
		}
		if pv, err := h.ownerPostView(ctx, p); err == nil && filters.apply(h, p, &pv) {
			v.Posts = append(v.Posts, pv)
		}
	}
	h.render200(w, r, templates.AccountPage(h.ownerPage(r, displayName(a)), v))
}

// accountAction runs an action on the account in the form's "account" field.
func (h *Handler) accountAction(act func(context.Context, string) (*store.Account, error), done string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		iri := r.PostFormValue("account")
		if _, err := act(r.Context(), iri); err != nil {
			h.backToError(w, r, accountURL(iri), "", err)
			return
		}
		backTo(w, r, accountURL(iri), "notice", done)
	}
}

// saveFollowOptions changes the options of the owner's follow of the form's "account": "reblogs"
// (its boosts in home) and "notify" (a notification of each new post), whichever the form has.
func (h *Handler) saveFollowOptions(w http.ResponseWriter, r *http.Request) {
	iri := r.PostFormValue("account")
	var o app.FollowOptions
	notice := "Saved."
	if v, ok := mastodon.FormBool(r.PostForm, "reblogs"); ok {
		o.Reblogs, notice = &v, "Their boosts no longer show in your home timeline."
		if v {
			notice = "Their boosts show in your home timeline."
		}
	}
	if v, ok := mastodon.FormBool(r.PostForm, "notify"); ok {
		o.Notify, notice = &v, "You will no longer be notified of their new posts."
		if v {
			notice = "You will be notified of their new posts."
		}
	}
	if _, err := h.app.SetFollowOptions(r.Context(), iri, o); err != nil {
		h.backToError(w, r, accountURL(iri), "", err)
		return
	}
	backTo(w, r, accountURL(iri), "notice", notice)
}

// showBookmarks lists the owner's bookmarks.
func (h *Handler) showBookmarks(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	maxID, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	posts, err := h.st.Bookmarks(ctx, store.Page{MaxID: maxID, Limit: 20})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	l := templates.PostList{Title: "Bookmarks", Empty: "No bookmarks yet."}
	for _, p := range posts {
		if v, err := h.ownerPostView(ctx, p); err == nil {
			l.Posts = append(l.Posts, v)
		}
	}
	h.render200(w, r, templates.PostListPage(h.ownerPage(r, "Bookmarks"), l))
}

// showEdit shows the edit form of one of the owner's posts, with its history.
func (h *Handler) showEdit(w http.ResponseWriter, r *http.Request) {
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
	f := templates.EditForm{Post: v, Source: p.Source, Summary: p.Summary}
	edits, err := h.st.Edits(ctx, p.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, e := range edits {
		f.History = append(f.History, templates.Edit{Summary: e.Summary, Content: content.HTML(e.Content), When: e.CreatedAt})
	}
	h.render200(w, r, templates.EditPage(h.ownerPage(r, "Edit post"), f))
}

func (h *Handler) saveEdit(w http.ResponseWriter, r *http.Request) {
	in := app.EditInput{Post: r.PostFormValue("post"), Text: r.PostFormValue("text"), Summary: r.PostFormValue("cw")}
	switch {
	case r.PostFormValue("poll_remove") == "true":
		in.RemovePoll = true
	case r.PostForm.Has("poll_option"): // the form of a post with a poll
		if in.Poll = formPoll(r); in.Poll == nil {
			in.Poll = &app.PollInput{KeepEnd: true} // no options: refused, with the reason
		}
	}
	_, err := h.app.EditPost(r.Context(), in)
	if err != nil {
		http.Redirect(w, r, editURL(r.PostFormValue("post"))+"&error="+url.QueryEscape(h.ownerMessage(err)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/home?notice="+url.QueryEscape("Post updated."), http.StatusSeeOther)
}

func editURL(iri string) string { return "/edit?post=" + url.QueryEscape(iri) }

// showProfileEdit is the profile editor.
func (h *Handler) showProfileEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	src, err := h.app.ProfileSource(ctx, a)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	f := templates.ProfileForm{DisplayName: a.DisplayName, Bio: src.Bio, AvatarURL: a.AvatarURL,
		HeaderURL: a.HeaderURL, Locked: a.Locked, Discoverable: a.Discoverable, Indexable: a.Indexable,
		HideNetwork: a.HideNetwork, Bot: a.Bot, NoIndex: a.NoIndex, NoAI: a.NoAI, MovedTo: a.MovedTo, Handle: "@" + a.Handle()}
	for _, fl := range src.Fields {
		f.Fields = append(f.Fields, templates.FieldInput{Name: fl.Name, Value: fl.Value})
	}
	for len(f.Fields) < 4 {
		f.Fields = append(f.Fields, templates.FieldInput{})
	}
	f.MaxUpload = h.cfg.MaxUploadBytes
	h.render200(w, r, templates.ProfileEditPage(h.ownerPage(r, "Profile"), f))
}

// saveProfile saves the profile editor: text, fields, images and flags, federated as Update.
func (h *Handler) saveProfile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseMultipartForm(h.cfg.MaxUploadBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		http.Redirect(w, r, "/settings/profile?error="+url.QueryEscape("The upload is too large."), http.StatusSeeOther)
		return
	}
	name, bio := r.PostFormValue("display_name"), r.PostFormValue("bio")
	flag := func(k string) *bool { v := r.PostFormValue(k) == "on"; return &v }
	in := app.ProfileInput{DisplayName: &name, Bio: &bio, SetFields: true, Locked: flag("locked"),
		Discoverable: flag("discoverable"), Indexable: flag("indexable"), Bot: flag("bot"), HideNetwork: flag("hide_network"),
		NoIndex: flag("noindex"), NoAI: flag("noai")}
	names, values := r.PostForm["field_name"], r.PostForm["field_value"]
	for i := range names {
		if i < len(values) && strings.TrimSpace(names[i]) != "" {
			in.Fields = append(in.Fields, store.Field{Name: names[i], Value: values[i]})
		}
	}
	for field, dst := range map[string]**string{"avatar": &in.AvatarURL, "header": &in.HeaderURL} {
		file, _, err := r.FormFile(field)
		if err != nil {
			continue // no file chosen
		}
		m, err := h.media.Save(ctx, file, "")
		file.Close()
		if err != nil {
			http.Redirect(w, r, "/settings/profile?error="+url.QueryEscape(field+": "+h.uploadMessage(err)), http.StatusSeeOther)
			return
		}
		u := h.media.URL(m.Name)
		*dst = &u
	}
	if _, err := h.app.UpdateProfile(ctx, in); err != nil {
		http.Redirect(w, r, "/settings/profile?error="+url.QueryEscape(h.ownerMessage(err)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/settings/profile?notice="+url.QueryEscape("Profile saved."), http.StatusSeeOther)
}

// showDomainBlocks lists the blocked domains (GET /settings/domain-blocks).
func (h *Handler) showDomainBlocks(w http.ResponseWriter, r *http.Request) {
	domains, err := h.st.DomainBlocks(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render200(w, r, templates.DomainBlocksPage(h.ownerPage(r, "Blocked domains"), templates.DomainBlocks{Domains: domains}))
}

func (h *Handler) blockDomain(w http.ResponseWriter, r *http.Request) {
	d := strings.TrimSpace(strings.ToLower(r.PostFormValue("domain")))
	if d == "" || strings.ContainsAny(d, "/@ ") || h.app.OurHost(d) {
		http.Redirect(w, r, "/settings/domain-blocks?error="+url.QueryEscape("Enter a domain name such as spam.example."), http.StatusSeeOther)
		return
	}
	if err := h.st.BlockDomain(r.Context(), d); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/domain-blocks?notice="+url.QueryEscape(d+" is blocked."), http.StatusSeeOther)
}

// moveAccount moves the owner's followers to the account in "to", or takes the redirect back
// when it is empty (see MoveTo).
func (h *Handler) moveAccount(w http.ResponseWriter, r *http.Request) {
	if !h.reauthenticated(w, r, "/settings/profile") {
		return
	}
	to := strings.TrimSpace(r.PostFormValue("to"))
	a, err := h.app.MoveTo(r.Context(), to)
	if err != nil {
		http.Redirect(w, r, "/settings/profile?error="+url.QueryEscape("Not moved: "+h.ownerMessage(err)), http.StatusSeeOther)
		return
	}
	notice := "This account no longer points to another."
	if to != "" {
		notice = "Moved: your followers' servers are being told to follow " + a.MovedTo + "."
	}
	http.Redirect(w, r, "/settings/profile?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

func (h *Handler) unblockDomain(w http.ResponseWriter, r *http.Request) {
	if err := h.st.UnblockDomain(r.Context(), r.PostFormValue("domain")); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/domain-blocks?notice="+url.QueryEscape("Domain unblocked."), http.StatusSeeOther)
}
