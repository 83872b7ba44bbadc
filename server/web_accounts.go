package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"roost/server/activitypub"
	"roost/server/content"
	"roost/server/remote"
	"roost/store"
	"roost/templates"
)

// backfillPosts is how many of an account's recent posts Roost fetches from its outbox the first
// time the owner looks at it.
const backfillPosts = 20

// search resolves what the owner typed: @user@host or an actor URL opens the account, a post URL
// opens the post.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		http.Redirect(w, r, "/home", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	if !strings.HasPrefix(q, "http://") && !strings.HasPrefix(q, "https://") {
		a, err := s.resolveHandle(ctx, q)
		if err != nil {
			backTo(w, r, "/home", "error", "Could not find "+q+": "+ownerMessage(err))
			return
		}
		http.Redirect(w, r, accountURL(a.IRI), http.StatusSeeOther)
		return
	}
	if a, err := s.account(ctx, q); err == nil {
		http.Redirect(w, r, accountURL(a.IRI), http.StatusSeeOther)
		return
	}
	p, err := s.findPost(ctx, q)
	if err != nil {
		backTo(w, r, "/home", "error", "Could not find an account or post at "+q)
		return
	}
	v, err := s.ownerPostView(ctx, p)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render200(w, r, templates.PostListPage(s.ownerPage(r, "Search"), templates.PostList{Title: "Post", Posts: []templates.Post{v}}))
}

func accountURL(iri string) string { return "/account?iri=" + url.QueryEscape(iri) }

// showAccount is the owner's view of an account: profile, relationship, actions and recent posts
// (fetched from its outbox the first time, when Roost has none stored).
func (s *Server) showAccount(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	iri := r.URL.Query().Get("iri")
	a, err := s.st.AccountByIRI(ctx, iri)
	if err != nil {
		if a, err = s.account(ctx, iri); err != nil {
			s.notFound(w, r)
			return
		}
	}
	posts, err := s.st.AccountPosts(ctx, a.ID, false, store.Page{Limit: backfillPosts})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if len(posts) == 0 && !a.Local && a.Outbox != "" {
		if err := s.backfill(ctx, a); err != nil {
			s.log.Info("outbox backfill failed", "account", a.IRI, "err", err)
		}
		posts, _ = s.st.AccountPosts(ctx, a.ID, false, store.Page{Limit: backfillPosts})
	}
	v := templates.AccountView{Name: displayName(a), Handle: "@" + a.Handle(), IRI: a.IRI, URL: profileURL(a),
		AvatarURL: s.imageSrc(a.AvatarURL), Summary: content.HTML(a.Summary), Local: a.Local, MovedTo: a.MovedTo}
	for _, f := range a.Fields {
		v.Fields = append(v.Fields, templates.Field{Name: f.Name, Value: content.HTML(f.Value)})
	}
	if f, err := s.st.FollowBetween(ctx, s.owner.Account.ID, a.ID); err == nil {
		v.Following, v.Requested = f.State == store.Accepted, f.State == store.Pending
	}
	v.FollowsYou, _ = s.st.IsFollowing(ctx, a.ID, s.owner.Account.ID)
	v.Blocked, _ = s.st.Blocked(ctx, a.ID)
	v.Muted, _ = s.st.Muted(ctx, a.ID)
	for _, p := range posts {
		if p.Visibility == store.Direct {
			if ok, _ := s.st.Mentioned(ctx, p.ID, s.owner.Account.ID); !ok && !a.Local {
				continue
			}
		}
		if pv, err := s.ownerPostView(ctx, p); err == nil {
			v.Posts = append(v.Posts, pv)
		}
	}
	s.render200(w, r, templates.AccountPage(s.ownerPage(r, displayName(a)), v))
}

// backfill stores an account's recent public posts from the first page of its outbox. Only
// Creates of the account's own posts, embedded on its own origin, are taken.
func (s *Server) backfill(ctx context.Context, a *store.Account) error {
	body, err := s.fetchAS(ctx, a.Outbox)
	if err != nil {
		return err
	}
	col, err := activitypub.DecodeCollection(body)
	if err != nil {
		return err
	}
	items := col.Items
	if len(items) == 0 && !col.First.IsZero() {
		var page *activitypub.RemoteCollection
		if col.First.IsEmbedded() {
			page, err = activitypub.DecodeCollection(col.First.Raw)
		} else {
			var pb []byte
			if pb, err = s.fetchAS(ctx, col.First.ID); err == nil {
				page, err = activitypub.DecodeCollection(pb)
			}
		}
		if err != nil {
			return err
		}
		items = page.Items
	}
	stored := 0
	for _, it := range items {
		if stored >= backfillPosts || !it.IsEmbedded() {
			continue
		}
		act, err := it.Activity()
		if err != nil || act.Type != "Create" || act.Actor.ID != a.IRI || !act.Object.IsEmbedded() {
			continue
		}
		o, err := act.Object.Object()
		if err != nil || o.AttributedTo.ID != a.IRI || !activitypub.IsPostType(o.Type) || !remote.SameOrigin(o.ID, a.IRI) {
			continue
		}
		p, mentionsOwner := s.postFromObject(o, a, s.owner.Account)
		if p.Visibility != store.Public && p.Visibility != store.Unlisted {
			continue
		}
		var mentions []int64
		if mentionsOwner {
			mentions = []int64{s.owner.Account.ID}
		}
		if err := s.st.InsertRemotePost(ctx, p, mentions); err == nil {
			stored++
		}
	}
	return nil
}

// accountAction runs an action on the account in the form's "account" field.
func (s *Server) accountAction(act func(context.Context, string) (*store.Account, error), done string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		iri := r.PostFormValue("account")
		if _, err := act(r.Context(), iri); err != nil {
			backTo(w, r, accountURL(iri), "error", ownerMessage(err))
			return
		}
		backTo(w, r, accountURL(iri), "notice", done)
	}
}

func (s *Server) muteAccount(on bool) func(context.Context, string) (*store.Account, error) {
	return func(ctx context.Context, handle string) (*store.Account, error) {
		a, err := s.knownAccount(ctx, handle)
		if err != nil {
			return nil, err
		}
		return a, s.st.Mute(ctx, a.ID, on)
	}
}

func (s *Server) bookmarkPost(on bool) func(context.Context, string) (*store.Post, error) {
	return func(ctx context.Context, ref string) (*store.Post, error) {
		p, err := s.findPost(ctx, ref)
		if err != nil {
			return nil, err
		}
		return p, s.st.Bookmark(ctx, p.ID, on)
	}
}

// showBookmarks lists the owner's bookmarks.
func (s *Server) showBookmarks(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	maxID, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	posts, err := s.st.Bookmarks(ctx, store.Page{MaxID: maxID, Limit: 20})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	l := templates.PostList{Title: "Bookmarks", Empty: "No bookmarks yet."}
	for _, p := range posts {
		if v, err := s.ownerPostView(ctx, p); err == nil {
			l.Posts = append(l.Posts, v)
		}
	}
	s.render200(w, r, templates.PostListPage(s.ownerPage(r, "Bookmarks"), l))
}

// showEdit shows the edit form of one of the owner's posts, with its history.
func (s *Server) showEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := s.findPost(ctx, r.URL.Query().Get("post"))
	if err != nil || p.AccountID != s.owner.Account.ID {
		s.notFound(w, r)
		return
	}
	v, err := s.ownerPostView(ctx, p)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	f := templates.EditForm{Post: v, Source: p.Source, Summary: p.Summary}
	edits, err := s.st.Edits(ctx, p.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, e := range edits {
		f.History = append(f.History, templates.Edit{Summary: e.Summary, Content: content.HTML(e.Content), When: e.CreatedAt})
	}
	s.render200(w, r, templates.EditPage(s.ownerPage(r, "Edit post"), f))
}

func (s *Server) saveEdit(w http.ResponseWriter, r *http.Request) {
	in := EditInput{Post: r.PostFormValue("post"), Text: r.PostFormValue("text"), Summary: r.PostFormValue("cw")}
	switch {
	case r.PostFormValue("poll_remove") == "true":
		in.RemovePoll = true
	case r.PostForm.Has("poll_option"): // the form of a post with a poll
		if in.Poll = formPoll(r); in.Poll == nil {
			in.Poll = &PollInput{KeepEnd: true} // no options: refused, with the reason
		}
	}
	_, err := s.EditPost(r.Context(), in)
	if err != nil {
		http.Redirect(w, r, editURL(r.PostFormValue("post"))+"&error="+url.QueryEscape(ownerMessage(err)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/home?notice="+url.QueryEscape("Post updated."), http.StatusSeeOther)
}

func editURL(iri string) string { return "/edit?post=" + url.QueryEscape(iri) }

// showProfileEdit is the profile editor.
func (s *Server) showProfileEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := s.st.AccountByID(ctx, s.owner.Account.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	src, err := s.profileSource(ctx, a)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	f := templates.ProfileForm{DisplayName: a.DisplayName, Bio: src.Bio, AvatarURL: a.AvatarURL,
		HeaderURL: a.HeaderURL, Locked: a.Locked, Discoverable: a.Discoverable, Indexable: a.Indexable,
		HideNetwork: a.HideNetwork, Bot: a.Bot, MovedTo: a.MovedTo, Handle: "@" + a.Handle()}
	for _, fl := range src.Fields {
		f.Fields = append(f.Fields, templates.FieldInput{Name: fl.Name, Value: fl.Value})
	}
	for len(f.Fields) < 4 {
		f.Fields = append(f.Fields, templates.FieldInput{})
	}
	f.DomainBlocks, _ = s.st.DomainBlocks(ctx)
	s.render200(w, r, templates.ProfileEditPage(s.ownerPage(r, "Profile"), f))
}

// saveProfile saves the profile editor: text, fields, images and flags, federated as Update.
func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseMultipartForm(s.cfg.MaxUploadBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		http.Redirect(w, r, "/settings/profile?error="+url.QueryEscape("The upload is too large."), http.StatusSeeOther)
		return
	}
	name, bio := r.PostFormValue("display_name"), r.PostFormValue("bio")
	flag := func(k string) *bool { v := r.PostFormValue(k) == "on"; return &v }
	in := ProfileInput{DisplayName: &name, Bio: &bio, SetFields: true, Locked: flag("locked"),
		Discoverable: flag("discoverable"), Indexable: flag("indexable"), Bot: flag("bot"), HideNetwork: flag("hide_network")}
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
		m, err := s.media.Save(ctx, file, "")
		file.Close()
		if err != nil {
			http.Redirect(w, r, "/settings/profile?error="+url.QueryEscape(field+": "+ownerMessage(err)), http.StatusSeeOther)
			return
		}
		u := s.media.URL(m.Name)
		*dst = &u
	}
	if _, err := s.UpdateProfile(ctx, in); err != nil {
		http.Redirect(w, r, "/settings/profile?error="+url.QueryEscape(ownerMessage(err)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/settings/profile?notice="+url.QueryEscape("Profile saved."), http.StatusSeeOther)
}

func (s *Server) blockDomain(w http.ResponseWriter, r *http.Request) {
	d := strings.TrimSpace(strings.ToLower(r.PostFormValue("domain")))
	if d == "" || strings.ContainsAny(d, "/@ ") || s.ourHost(d) {
		http.Redirect(w, r, "/settings/profile?error="+url.QueryEscape("Enter a domain name such as spam.example."), http.StatusSeeOther)
		return
	}
	if err := s.st.BlockDomain(r.Context(), d); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/profile?notice="+url.QueryEscape(d+" is blocked."), http.StatusSeeOther)
}

// moveAccount moves the owner's followers to the account in "to", or takes the redirect back
// when it is empty (see MoveTo).
func (s *Server) moveAccount(w http.ResponseWriter, r *http.Request) {
	if !s.reauthenticated(w, r, "/settings/profile") {
		return
	}
	to := strings.TrimSpace(r.PostFormValue("to"))
	a, err := s.MoveTo(r.Context(), to)
	if err != nil {
		http.Redirect(w, r, "/settings/profile?error="+url.QueryEscape("Not moved: "+ownerMessage(err)), http.StatusSeeOther)
		return
	}
	notice := "This account no longer points to another."
	if to != "" {
		notice = "Moved: your followers' servers are being told to follow " + a.MovedTo + "."
	}
	http.Redirect(w, r, "/settings/profile?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

func (s *Server) unblockDomain(w http.ResponseWriter, r *http.Request) {
	if err := s.st.UnblockDomain(r.Context(), r.PostFormValue("domain")); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/profile?notice="+url.QueryEscape("Domain unblocked."), http.StatusSeeOther)
}

func (s *Server) pinPost(on bool) func(context.Context, string) (*store.Post, error) {
	return func(ctx context.Context, ref string) (*store.Post, error) { return s.Pin(ctx, ref, on) }
}
