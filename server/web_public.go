package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"roost/server/activitypub"
	"roost/server/content"
	"roost/store"
	"roost/templates"
)

// page returns the layout values shared by every page.
func (s *Server) page(title string) templates.Page {
	return templates.Page{Title: title, CSS: s.assets.URL("style.css"), SiteName: s.cfg.Domain}
}

// showProfile renders /@{name}: the owner's profile and public posts, newest first. ActivityPub
// clients asking for JSON get the actor.
func (s *Server) showProfile(w http.ResponseWriter, r *http.Request) {
	if !s.atOwner(r) {
		s.notFound(w, r)
		return
	}
	if activitypub.WantsJSON(r.Header.Get("Accept")) {
		s.showActor(w, r)
		return
	}
	ctx := r.Context()
	o, err := s.st.AccountByID(ctx, s.owner.Account.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	maxID, _ := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	posts, err := s.st.AccountPosts(ctx, o.ID, true, store.Page{MaxID: maxID, Limit: 20})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	followers, following, err := s.st.CountFollows(ctx, o.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	count, err := s.st.CountPosts(ctx, o.ID, true)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	prof := templates.Profile{
		DisplayName: displayName(o), Handle: "@" + o.Username + "@" + s.cfg.HandleDomain, URL: o.URL,
		AvatarURL: o.AvatarURL, Summary: content.HTML(o.Summary),
		Followers: followers, Following: following, PostCount: count,
	}
	for _, f := range o.Fields {
		prof.Fields = append(prof.Fields, templates.Field{Name: f.Name, Value: content.HTML(f.Value)})
	}
	for _, p := range posts {
		if p.Visibility != store.Public {
			continue // unlisted posts stay off the profile page, as on Mastodon
		}
		prof.Posts = append(prof.Posts, s.postView(ctx, o, p))
	}
	if len(posts) == 20 {
		prof.OlderURL = o.URL + "?max_id=" + strconv.FormatInt(posts[len(posts)-1].ID, 10)
	}
	pg := s.page(displayName(o) + " (" + prof.Handle + ")")
	pg.Canonical, pg.ActivityIRI = o.URL, o.IRI
	s.render200(w, r, templates.ProfilePage(pg, prof))
}

// showPostPage renders /@{name}/{id}. Followers-only and direct posts are not shown to the public.
func (s *Server) showPostPage(w http.ResponseWriter, r *http.Request) {
	if !s.atOwner(r) {
		s.notFound(w, r)
		return
	}
	p, err := s.ownPost(r)
	if err != nil {
		s.notFoundOr(w, r, err)
		return
	}
	if activitypub.WantsJSON(r.Header.Get("Accept")) {
		s.showPost(w, r)
		return
	}
	if !p.DeletedAt.IsZero() || !visibleToPublic(p) {
		s.notFound(w, r)
		return
	}
	o, err := s.st.AccountByID(r.Context(), s.owner.Account.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	view := s.postView(r.Context(), o, p)
	pg := s.page(displayName(o) + ": " + s.sanitize.Text(p.Content))
	pg.Canonical, pg.ActivityIRI = p.URL, p.IRI
	s.render200(w, r, templates.PostPage(pg, view))
}

func (s *Server) postView(ctx context.Context, author *store.Account, p *store.Post) templates.Post {
	v := templates.Post{
		AuthorName: displayName(author), AuthorHandle: "@" + author.Handle(), AuthorURL: author.URL,
		URL: p.URL, Summary: p.Summary, Content: content.HTML(p.Content), Published: p.Published,
		Visibility: p.Visibility,
	}
	if c, err := s.st.Counts(ctx, p); err == nil {
		v.Replies, v.Likes, v.Boosts = c.Replies, c.Likes, c.Boosts
	}
	return v
}

func displayName(a *store.Account) string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Username
}

// showHome redirects the site root to the owner's profile.
func (s *Server) showHome(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		s.notFound(w, r)
		return
	}
	http.Redirect(w, r, s.owner.Account.URL, http.StatusFound)
}

// atOwner checks that the {at} path segment is "@user" or "@user@host" naming the owner, and sets
// the {name} path value for the shared handlers.
func (s *Server) atOwner(r *http.Request) bool {
	at, ok := strings.CutPrefix(r.PathValue("at"), "@")
	if !ok {
		return false
	}
	user, host, hasHost := strings.Cut(at, "@")
	if user != s.owner.Account.Username || (hasHost && !s.ourHost(host)) {
		return false
	}
	r.SetPathValue("name", user)
	return true
}
