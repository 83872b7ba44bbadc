package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/server/content"
	"roost/server/remote"
	"roost/store"
	"roost/store/emojis"
	"roost/templates"
)

const (
	// pageSize is how many posts a public page shows.
	pageSize = 20
	// maxAncestors bounds the walk up a thread from a permalink.
	maxAncestors = 20
	// maxThreadReplies bounds the replies shown under a permalink.
	maxThreadReplies = 60
	// descriptionChars is the length of a page's plain-text description (meta and og:description).
	descriptionChars = 200
	// subscribeRel is the WebFinger link whose template starts a remote follow (OStatus, still
	// published by Mastodon, Pleroma, Misskey and GoToSocial).
	subscribeRel = "http://ostatus.org/schema/1.0/subscribe"
	// remoteFollowTimeout bounds the WebFinger lookup of a remote follow.
	remoteFollowTimeout = 10 * time.Second
)

// page returns the layout values shared by every page, with the owner's choice about search
// engines.
func (h *Handler) page(ctx context.Context, title string) templates.Page {
	pg := templates.Page{Title: title, CSS: h.assets.URL("style.css"), JS: h.assets.URL("roost.js"), SiteName: h.cfg.Domain}
	if o, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID); err == nil {
		pg.Robots = robotsMeta(o)
	}
	return pg
}

// publicPage is the layout of a page about the owner: with the feeds linked.
func (h *Handler) publicPage(ctx context.Context, title string) templates.Page {
	pg := h.page(ctx, title)
	pg.AtomURL, pg.RSSURL = h.atomURL(), h.rssURL()
	return pg
}

// showProfile renders /@{name}: the owner's profile and public posts, newest first. ActivityPub
// clients asking for JSON get the actor; /@{name}.atom and /@{name}.rss, as Mastodon has them,
// are the feeds.
func (h *Handler) showProfile(w http.ResponseWriter, r *http.Request) {
	if feed := h.profileFeed(r); feed != nil {
		feed(w, r)
		return
	}
	if !h.atOwner(r) {
		h.notFound(w, r)
		return
	}
	if activitypub.WantsJSON(r.Header.Get("Accept")) {
		h.cfg.ActorDoc(w, r)
		return
	}
	ctx := r.Context()
	o, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	maxID, _ := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	posts, next, err := h.publicPosts(ctx, maxID, pageSize)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	followers, following, err := h.st.CountFollows(ctx, o.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	count, err := h.st.CountPosts(ctx, o.ID, true)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	prof := templates.Profile{
		DisplayName: ownerName(o), Handle: "@" + o.Username + "@" + h.cfg.HandleDomain, URL: o.URL,
		AvatarURL: h.avatarSrc(o), HeaderURL: content.SafeURL(o.HeaderURL), Summary: content.HTML(o.Summary),
		Followers: followers, Following: following, PostCount: count, HideNetwork: o.HideNetwork,
		AtomURL: h.atomURL(), RSSURL: h.rssURL(), MovedTo: o.MovedTo,
	}
	for _, f := range o.Fields {
		prof.Fields = append(prof.Fields, templates.Field{Name: f.Name, Value: content.HTML(f.Value)})
	}
	owner := h.ownerHere(w, r)
	for _, p := range posts {
		prof.Posts = append(prof.Posts, h.viewFor(ctx, owner, o, p))
	}
	if r.URL.Query().Get("max_id") == "" {
		pinned, err := h.st.PinnedPosts(ctx, o.ID)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		for _, p := range pinned {
			if p.Visibility == store.Public && h.app.MaySee(ctx, app.Viewer{}, p) {
				prof.Pinned = append(prof.Pinned, h.viewFor(ctx, owner, o, p))
			}
		}
	}
	if next != 0 {
		prof.OlderURL = o.URL + "?max_id=" + strconv.FormatInt(next, 10)
	}
	pg := h.publicPage(r.Context(), ownerName(o)+" ("+prof.Handle+")")
	h.withOwner(r, owner, &pg)
	pg.Canonical, pg.ActivityIRI = o.URL, o.IRI
	pg.Description = excerpt(h.app.Sanitize.Text(o.Summary), descriptionChars)
	pg.OG = &templates.OpenGraph{Type: "profile", Title: pg.Title, Description: pg.Description, URL: o.URL,
		Image: content.SafeURL(o.AvatarURL)}
	allowFormRedirects(w)
	h.render200(w, r, templates.ProfilePage(pg, prof))
}

// allowFormRedirects lets the remote-follow form's answer redirect to the visitor's server:
// browsers apply form-action to every redirect of a form submission
// (https://www.w3.org/TR/CSP3/#directive-form-action), and secureHeaders allows only 'self'.
func allowFormRedirects(w http.ResponseWriter) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", strings.Replace(hdr.Get("Content-Security-Policy"),
		"form-action 'self'", "form-action 'self' https: http:", 1))
}

// publicPosts returns up to n of the owner's live public posts older than maxID, newest first,
// and the max_id of the next page (0 when there is none). Unlisted posts are skipped, as on
// Mastodon's profile; the batches are bounded so a long run of unlisted posts cannot make one
// request scan the whole table.
func (h *Handler) publicPosts(ctx context.Context, maxID int64, n int) ([]*store.Post, int64, error) {
	var out []*store.Post
	for range 5 {
		batch, err := h.st.AccountPosts(ctx, h.app.Owner.Account.ID, true, store.Page{MaxID: maxID, Limit: 2 * n})
		if err != nil {
			return nil, 0, err
		}
		for _, p := range batch {
			if p.Visibility != store.Public || !h.app.MaySee(ctx, app.Viewer{}, p) {
				continue
			}
			out = append(out, p)
			if len(out) == n {
				return out, p.ID, nil
			}
		}
		if len(batch) < 2*n {
			return out, 0, nil
		}
		maxID = batch[len(batch)-1].ID
	}
	return out, maxID, nil
}

// showPostPage renders /@{name}/{id}: the post in its thread, to whoever may see it (the owner's
// session, or a signed fetch of someone in its audience, for a followers-only or direct post).
// The thread above and below shows only what everyone may see.
func (h *Handler) showPostPage(w http.ResponseWriter, r *http.Request) {
	if !h.atOwner(r) {
		h.notFound(w, r)
		return
	}
	if id := r.PathValue("id"); id == "followers" || id == "following" {
		h.showNetwork(w, r, id == "following") // Mastodon's /@name/followers and /@name/following
		return
	}
	p, err := h.app.OwnPost(r.Context(), r.PathValue("name"), r.PathValue("id"))
	if err != nil {
		h.notFoundOr(w, r, err)
		return
	}
	if activitypub.WantsJSON(r.Header.Get("Accept")) {
		h.cfg.PostDoc(w, r)
		return
	}
	if !h.app.RequestMaySee(r, p) {
		h.notFound(w, r)
		return
	}
	if !h.app.MaySee(r.Context(), app.Viewer{}, p) {
		w.Header().Set("Cache-Control", "private, no-store")
	}
	ctx := r.Context()
	o, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	authors := authorCache{h: h, byID: map[int64]*store.Account{o.ID: o}}
	owner := h.ownerHere(w, r)
	t, err := h.thread(ctx, &authors, p, owner, app.Viewer{Owner: owner})
	if err != nil {
		h.serverError(w, r, err)
		return
	}

	text := h.app.Sanitize.Text(p.Content)
	if p.Summary != "" {
		text = p.Summary // a content warning stands in for what it hides, in previews too
	}
	pg := h.publicPage(r.Context(), ownerName(o)+": "+excerpt(text, 80))
	h.withOwner(r, owner, &pg)
	pg.Canonical, pg.ActivityIRI = p.URL, p.IRI
	pg.Description = excerpt(text, descriptionChars)
	pg.OG = &templates.OpenGraph{Type: "article", Title: ownerName(o) + " (@" + o.Username + "@" +
		h.cfg.HandleDomain + ")", Description: pg.Description, URL: p.URL, Image: content.SafeURL(o.AvatarURL),
		Published: p.Published}
	h.render200(w, r, templates.PostPage(pg, t))
}

// authorCache loads each author of a thread once.
type authorCache struct {
	h       *Handler
	byID    map[int64]*store.Account
	filters postFilters // the owner's, for the owner's view of a thread
}

func (c *authorCache) get(ctx context.Context, id int64) (*store.Account, error) {
	if a, ok := c.byID[id]; ok {
		return a, nil
	}
	a, err := c.h.st.AccountByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c.byID[id] = a
	return a, nil
}

// viewFor is the owner's view of the owner's post p when owner, else the public's.
func (h *Handler) viewFor(ctx context.Context, owner bool, o *store.Account, p *store.Post) templates.Post {
	if owner {
		if v, err := h.ownerPostViewBy(ctx, &authorCache{h: h, byID: map[int64]*store.Account{o.ID: o}}, p); err == nil {
			return v
		}
	}
	return h.postView(ctx, o, p)
}

func (h *Handler) postView(ctx context.Context, author *store.Account, p *store.Post) templates.Post {
	c, _ := h.st.Counts(ctx, p) // zero counts rather than no page
	return h.countedPostView(ctx, author, p, c)
}

// countedPostView is postView with the counts already read.
func (h *Handler) countedPostView(ctx context.Context, author *store.Account, p *store.Post, c store.PostCounts) templates.Post {
	v := templates.Post{
		AuthorName: displayName(author), AuthorHandle: "@" + author.Handle(), AuthorURL: author.URL,
		AuthorAvatar: h.avatarSrc(author),
		URL:          p.URL, Summary: p.Summary, Content: content.HTML(p.Content), Published: p.Published,
		Edited: edited(p), Visibility: p.Visibility, Replies: c.Replies, Likes: c.Likes, Boosts: c.Boosts, Poll: pollView(p),
		Quote: app.PostQuote(p),
	}
	if c.Likes > 0 {
		list, _ := emojis.New(h.st).Of(ctx, p.ID, h.app.Owner.Account.ID)
		for _, e := range list {
			r := templates.Reaction{Emoji: e.Emoji, Count: e.Count}
			if e.URL != "" {
				r.ImageURL = h.app.ImageSrc(h.proxy, e.URL)
			}
			v.Reactions = append(v.Reactions, r)
		}
	}
	if id, ok := h.app.LocalPostID(v.Quote); ok {
		v.Quote = h.app.PostURL(id)
	}
	if p.InReplyTo != "" {
		if id, ok := h.app.LocalPostID(p.InReplyTo); ok {
			v.InReplyTo = h.app.PostURL(id)
		} else {
			v.InReplyTo = content.SafeURL(p.InReplyTo)
		}
	}
	for _, a := range p.Attachments {
		u := content.SafeURL(h.app.PostMediaURL(p, a.URL))
		if u == "" {
			continue
		}
		image := strings.HasPrefix(a.MediaType, "image/") || (a.MediaType == "" && a.Type == "Image")
		preview := content.SafeURL(h.app.PostMediaURL(p, a.PreviewURL))
		if preview == "" && !h.app.IsLocal(u) {
			preview = h.app.ImageSrc(h.proxy, u) // the remote image itself, or through the media proxy
		}
		full := u
		if !h.app.IsLocal(u) {
			full = h.app.ImageSrc(h.proxy, u)
		}
		v.Attachments = append(v.Attachments, templates.Attachment{URL: u, PreviewURL: preview, FullSrc: full,
			MediaType: a.MediaType, Alt: a.Name, Image: image, Width: a.Width, Height: a.Height})
	}
	return v
}

// displayName is the name to show for an account: its display name, or its handle when the
// name is empty or reads as a pronoun or a placeholder.
func displayName(a *store.Account) string {
	if a.Local {
		return ownerName(a) // the owner's own: "me" is right
	}
	name := strings.TrimSpace(a.DisplayName)
	if name == "" || ambiguousName(name) {
		return "@" + a.Handle()
	}
	return name
}

// ownerName is the owner's name on their own profile, feeds and titles: the display name, else
// the username, which the handle beside it explains.
func ownerName(o *store.Account) string {
	if o.DisplayName != "" {
		return o.DisplayName
	}
	return o.Username
}

// ambiguousName reports whether a name reads as a pronoun or a placeholder ("Boosted by me").
func ambiguousName(name string) bool {
	switch strings.ToLower(strings.Trim(name, " .!")) {
	case "me", "i", "you", "myself", "yourself", "us", "we", "them", "admin", "user", "owner":
		return true
	}
	return false
}

// edited is when p was last edited, zero when never: a post's Updated is set by an edit (the
// owner's, or a remote Update), and some servers send it equal to the published time.
func edited(p *store.Post) time.Time {
	if p.Updated.IsZero() || !p.Updated.After(p.Published) {
		return time.Time{}
	}
	return p.Updated
}

// avatarSrc is the src of an account's avatar in a page: through the media proxy when it is on,
// the default picture when it has none.
func (h *Handler) avatarSrc(a *store.Account) string {
	if src := h.app.ImageSrc(h.proxy, a.AvatarURL); src != "" {
		return src
	}
	return h.assets.URL("avatar.svg")
}

// excerpt is the start of plain text s, at most n characters, whitespace collapsed, cut at a word
// boundary with an ellipsis when it is longer.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := []rune(s)[:n-1]
	if i := strings.LastIndexByte(string(cut), ' '); i > len(string(cut))/2 {
		return strings.TrimRight(string(cut)[:i], " ,.;:") + "…"
	}
	return string(cut) + "…"
}

// showTag renders /tags/{tag}: the owner's public posts with the hashtag, newest first.
func (h *Handler) showTag(w http.ResponseWriter, r *http.Request) {
	tag := strings.ToLower(strings.TrimPrefix(r.PathValue("tag"), "#"))
	if tag == "" || utf8.RuneCountInString(tag) > 100 {
		h.notFound(w, r)
		return
	}
	ctx := r.Context()
	maxID, _ := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	posts, err := h.st.TagPosts(ctx, h.app.Owner.Account.ID, tag, store.Page{MaxID: maxID, Limit: pageSize})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	o, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	tp := templates.TagPosts{Tag: tag}
	owner := h.ownerHere(w, r)
	for _, p := range posts {
		if h.app.MaySee(ctx, app.Viewer{}, p) {
			tp.Posts = append(tp.Posts, h.viewFor(ctx, owner, o, p))
		}
	}
	if len(posts) == pageSize {
		tp.OlderURL = h.app.TagURL(tag) + "?max_id=" + strconv.FormatInt(posts[len(posts)-1].ID, 10)
	}
	pg := h.page(ctx, "#"+tag+" – "+ownerName(o))
	h.withOwner(r, owner, &pg)
	if owner {
		if tp.Following, err = h.app.Tags.Following(ctx, tag); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	pg.Canonical = h.app.TagURL(tag)
	pg.Description = "Posts by " + ownerName(o) + " tagged #" + tag
	h.render200(w, r, templates.TagPage(pg, tp))
}

// remoteFollow answers the profile's "follow from your server" form: it looks up the visitor's
// server by WebFinger and sends them to its subscribe page (the OStatus subscribe template) for
// the owner's actor, where their follow button is.
func (h *Handler) remoteFollow(w http.ResponseWriter, r *http.Request) {
	handle := strings.TrimSpace(r.URL.Query().Get("acct"))
	fail := func(status int, msg string) {
		pg := h.page(r.Context(), "Follow from your server")
		allowFormRedirects(w) // the page offers the form again
		h.render(w, r, status, templates.RemoteFollowPage(pg, templates.RemoteFollow{Handle: handle, Error: msg,
			ProfileURL: h.app.Owner.Account.URL, OwnerHandle: "@" + h.app.Owner.Account.Username + "@" + h.cfg.HandleDomain}))
	}
	user, host, err := remote.SplitHandle(handle)
	if err != nil {
		fail(http.StatusBadRequest, "Enter your own handle as you@your.server, for example alice@mastodon.social.")
		return
	}
	if h.app.OurHost(host) {
		fail(http.StatusBadRequest, "That handle is on this server; enter the handle of your account on your own server.")
		return
	}
	// A visitor is waiting on the page: give up sooner than the client's default.
	ctx, cancel := context.WithTimeout(r.Context(), remoteFollowTimeout)
	defer cancel()
	target, err := h.subscribeURL(ctx, user, host)
	if err != nil {
		h.log.Info("remote follow failed", slog.String("host", host), slog.Any("err", err))
		fail(http.StatusBadGateway, "Could not find where to follow from on "+host+
			". Check the handle, or search for "+"@"+h.app.Owner.Account.Username+"@"+h.cfg.HandleDomain+
			" on your server instead.")
		return
	}
	// A redirect from this site goes only where the visitor's own server lives: a WebFinger
	// answer pointing elsewhere would make /remote-follow an open redirect for anyone who runs a
	// server. Anything else is shown, and the visitor decides.
	if t, err := url.Parse(target); err == nil && strings.EqualFold(t.Host, host) &&
		(t.Scheme == "https" || h.cfg.Scheme == "http" || len(h.cfg.AllowPrivate) > 0) {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	h.render200(w, r, templates.RemoteFollowPage(h.page(r.Context(), "Follow from your server"), templates.RemoteFollow{
		Handle: handle, Target: target, Host: host, ProfileURL: h.app.Owner.Account.URL,
		OwnerHandle: "@" + h.app.Owner.Account.Username + "@" + h.cfg.HandleDomain}))
}

// errNoSubscribe means a WebFinger answer has no usable subscribe template.
var errNoSubscribe = errors.New("no subscribe template")

// subscribeURL asks host's WebFinger about user@host and fills its subscribe template with the
// owner's actor IRI. Only an absolute http(s) result is returned.
func (h *Handler) subscribeURL(ctx context.Context, user, host string) (string, error) {
	u := url.URL{Scheme: "https", Host: host, Path: "/.well-known/webfinger",
		RawQuery: url.Values{"resource": {"acct:" + user + "@" + host}}.Encode()}
	resp, err := h.app.Remote.Get(ctx, u.String(), remote.JRDAccept, 64<<10)
	if err != nil && (h.cfg.Scheme == "http" || len(h.cfg.AllowPrivate) > 0) &&
		!errors.Is(err, remote.ErrForbiddenAddress) {
		u.Scheme = "http" // development and tests, as remote.WebFinger does
		resp, err = h.app.Remote.Get(ctx, u.String(), remote.JRDAccept, 64<<10)
	}
	if err != nil {
		return "", err
	}
	if resp.Status != http.StatusOK {
		return "", &remote.StatusError{Code: resp.Status}
	}
	var jrd remote.JRD
	if err := json.Unmarshal(resp.Body, &jrd); err != nil {
		return "", err
	}
	for _, l := range jrd.Links {
		if l.Rel != subscribeRel || !strings.Contains(l.Template, "{uri}") {
			continue
		}
		target := strings.ReplaceAll(l.Template, "{uri}", url.QueryEscape(h.app.ActorIRI()))
		t, err := url.Parse(target)
		if err != nil || (t.Scheme != "https" && t.Scheme != "http") || t.Host == "" || t.User != nil ||
			strings.ContainsAny(target, "\r\n\x00\\ ") {
			continue
		}
		return t.String(), nil
	}
	return "", errNoSubscribe
}

// showHome redirects the site root to the owner's profile.
func (h *Handler) showHome(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		h.notFound(w, r)
		return
	}
	http.Redirect(w, r, h.app.Owner.Account.URL, http.StatusFound)
}

// atOwner checks that the {at} path segment is "@user" or "@user@host" naming the owner, and sets
// the {name} path value for the shared handlers.
func (h *Handler) atOwner(r *http.Request) bool {
	at, ok := strings.CutPrefix(r.PathValue("at"), "@")
	if !ok {
		return false
	}
	user, host, hasHost := strings.Cut(at, "@")
	if user != h.app.Owner.Account.Username || (hasHost && !h.app.OurHost(host)) {
		return false
	}
	r.SetPathValue("name", user)
	return true
}
