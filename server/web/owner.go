package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"roost/server/app"
	"roost/store"
	"roost/templates"
)

// ownerPage is the layout of a signed-in page: navigation, unread count, CSRF token.
func (h *Handler) ownerPage(r *http.Request, title string) templates.Page {
	p := h.page(r.Context(), title)
	se := h.session(r)
	if se == nil {
		return p
	}
	unread, _ := h.st.UnreadNotifications(r.Context())
	p.Owner = &templates.OwnerNav{CSRF: se.CSRF, Unread: unread, ProfileURL: h.app.Owner.Account.URL}
	if reqs, err := h.st.Followers(r.Context(), h.app.Owner.Account.ID, store.Pending, store.Page{Limit: 1}); err == nil {
		p.Owner.Requests = len(reqs) // one is enough to show the link
	}
	// Notices travel in the redirect after a form; a link from another site could carry a
	// misleading one, so they are shown only on same-site navigations.
	if site := r.Header.Get("Sec-Fetch-Site"); site == "" || site == "same-origin" {
		q := r.URL.Query()
		p.Owner.Notice, p.Owner.Error, p.Owner.ErrorDetail = q.Get("notice"), q.Get("error"), q.Get("error_detail")
	}
	return p
}

// ownerPostView is a post as the owner sees it: with its author and the owner's like and boost.
func (h *Handler) ownerPostView(ctx context.Context, p *store.Post) (templates.Post, error) {
	return h.ownerPostViewBy(ctx, &authorCache{h: h, byID: map[int64]*store.Account{}}, p)
}

// ownerPostViewBy is ownerPostView with the authors of a page looked up once each.
func (h *Handler) ownerPostViewBy(ctx context.Context, authors *authorCache, p *store.Post) (templates.Post, error) {
	author, err := authors.get(ctx, p.AccountID)
	if err != nil {
		return templates.Post{}, err
	}
	c, _ := h.st.CountsFor(ctx, p, h.app.Owner.Account.ID) // zero counts rather than no page
	v := h.countedPostView(ctx, author, p, c)
	v.ID, v.IRI, v.Actions = p.ID, p.IRI, true
	v.ThreadURL = threadURL(p.IRI)
	if p.AccountID != h.app.Owner.Account.ID {
		v.AuthorPage = accountURL(author.IRI)
	}
	v.Own = p.AccountID == h.app.Owner.Account.ID
	v.Pinned = !p.PinnedAt.IsZero()
	v.Liked, v.Boosted, v.Bookmarked = c.Liked, c.Boosted, c.Bookmarked
	return v, nil
}

func (h *Handler) composeDefaults() templates.Compose {
	return templates.Compose{MaxChars: app.MaxPostChars, PollExpires: "86400"}
}

func threadURL(iri string) string { return "/thread?post=" + url.QueryEscape(iri) }

// formVisibility is a stored visibility as the compose form names it.
func formVisibility(vis string) string {
	if vis == store.Private {
		return "followers"
	}
	return vis
}

// showHomeTimeline renders /home: the compose form and the home timeline, newest first.
func (h *Handler) showHomeTimeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	maxID, _ := strconv.ParseInt(q.Get("max_id"), 10, 64)
	minID, _ := strconv.ParseInt(q.Get("min_id"), 10, 64)
	const pageSize = 40 // as Mastodon's web app loads
	entries, err := h.st.HomeTimeline(ctx, h.app.Owner.Account.ID, store.Page{MaxID: maxID, MinID: minID, Limit: pageSize})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	home := templates.Home{Compose: h.composeDefaults()}
	if home.Entries, err = h.entryViews(ctx, entries); err != nil {
		h.serverError(w, r, err)
		return
	}
	if len(entries) == pageSize {
		home.OlderURL = "/home?max_id=" + strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	if (maxID > 0 || minID > 0) && len(entries) > 0 {
		home.NewerURL = "/home?min_id=" + strconv.FormatInt(entries[0].ID, 10)
	}
	h.render200(w, r, templates.HomePage(h.ownerPage(r, "Home"), home))
}

// entryViews renders timeline entries (posts, and boosts with their booster) for the owner.
func (h *Handler) entryViews(ctx context.Context, entries []store.Entry) ([]templates.Post, error) {
	authors := &authorCache{h: h, byID: map[int64]*store.Account{}}
	filters := h.filtersFor(ctx, "home") // lists too, as Mastodon's
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.PostID
	}
	posts, err := h.st.PostsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []templates.Post
	for _, e := range entries {
		p, ok := posts[e.PostID]
		if !ok {
			continue
		}
		v, err := h.ownerPostViewBy(ctx, authors, p)
		if err != nil || !filters.apply(h, p, &v) {
			continue
		}
		if e.BoosterID == h.app.Owner.Account.ID {
			v.BoostedByYou = true
		} else if e.BoosterID != 0 {
			if b, err := authors.get(ctx, e.BoosterID); err == nil {
				v.BoostedBy, v.BoostedByURL = displayName(b), accountURL(b.IRI)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// backTo redirects to where the form was (a same-site Referer) or to fallback, with a notice.
func backTo(w http.ResponseWriter, r *http.Request, fallback, key, msg string) {
	backWith(w, r, fallback, url.Values{key: {msg}})
}

// backWith is backTo with any parameters: the form's "back" field (a confirmation page's) or a
// same-site Referer, else fallback.
func backWith(w http.ResponseWriter, r *http.Request, fallback string, params url.Values) {
	target := formBack(r)
	if target == "" {
		target = sameSiteBack(r, fallback)
	}
	for k, v := range params {
		if len(v) == 0 || v[0] == "" {
			continue
		}
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + k + "=" + url.QueryEscape(v[0])
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// backToError is backTo with the words for err (prefixed by prefix) and its detail.
func (h *Handler) backToError(w http.ResponseWriter, r *http.Request, fallback, prefix string, err error) {
	msg, detail := h.ownerError(err)
	backWith(w, r, fallback, url.Values{"error": {prefix + msg}, "error_detail": {detail}})
}

// showCompose renders the compose form on its own, for replies.
func (h *Handler) showCompose(w http.ResponseWriter, r *http.Request) {
	c := h.composeDefaults()
	if ref := r.URL.Query().Get("reply_to"); ref != "" {
		p, err := h.app.FindPost(r.Context(), ref)
		if err != nil {
			backTo(w, r, "/home", "error", "Could not find that post.")
			return
		}
		v, err := h.ownerPostView(r.Context(), p)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		c.ReplyTo, c.ReplyToPost = p.IRI, &v
		c.Visibility = formVisibility(app.DefaultVisibility(p))
		c.Text = h.replyMentions(r.Context(), p)
	}
	h.render200(w, r, templates.ComposePage(h.ownerPage(r, "New post"), c))
}

// replyMentions is the start of a reply to p: its author and everyone p mentions, but the
// owner, each once, as Mastodon prefills them.
func (h *Handler) replyMentions(ctx context.Context, p *store.Post) string {
	var out []string
	seen := map[string]bool{}
	add := func(a *store.Account) {
		if a.ID == h.app.Owner.Account.ID || seen[a.IRI] {
			return
		}
		seen[a.IRI] = true
		out = append(out, "@"+a.Handle())
	}
	if author, err := h.st.AccountByID(ctx, p.AccountID); err == nil {
		add(author)
	}
	for _, t := range p.Tags {
		if t.Type != "Mention" || t.Href == "" || seen[t.Href] || t.Href == h.app.Owner.Account.IRI {
			continue
		}
		if a, err := h.st.AccountByIRI(ctx, t.Href); err == nil {
			add(a)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, " ") + " "
}

// savePost publishes the compose form. A refused post comes back in the form with the reason,
// as written (text, content warning, poll, visibility and the images already uploaded).
func (h *Handler) savePost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var mediaIDs []int64
	for _, v := range r.PostForm["media_id"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			mediaIDs = append(mediaIDs, id)
		}
	}
	if r.MultipartForm != nil {
		alts := r.MultipartForm.Value["alt"]
		for i, fh := range r.MultipartForm.File["media"] {
			if fh.Size == 0 {
				continue // an empty file input
			}
			f, err := fh.Open()
			if err != nil {
				h.serverError(w, r, err)
				return
			}
			alt := ""
			if i < len(alts) {
				alt = alts[i]
			}
			m, err := h.media.Save(ctx, f, alt)
			f.Close()
			if err != nil {
				h.refusePost(w, r, mediaIDs, "Not posted: "+fh.Filename+": "+h.uploadMessage(err))
				return
			}
			mediaIDs = append(mediaIDs, m.ID)
		}
	}
	in := app.PostInput{
		MediaIDs:   mediaIDs,
		Text:       r.PostFormValue("text"),
		Summary:    r.PostFormValue("cw"),
		Visibility: r.PostFormValue("visibility"),
		InReplyTo:  r.PostFormValue("in_reply_to"),
	}
	in.Poll = formPoll(r)
	if at := r.PostFormValue("schedule_at"); strings.TrimSpace(at) != "" {
		h.schedulePost(w, r, in, at)
		return
	}
	_, err := h.app.Post(ctx, in)
	if err != nil {
		h.log.Info("post refused", "err", err)
		h.refusePost(w, r, mediaIDs, "Not posted: "+h.ownerMessage(err))
		return
	}
	http.Redirect(w, r, "/home?notice="+url.QueryEscape("Posted."), http.StatusSeeOther)
}

// refusePost answers a refused compose form with the form again, filled in as it was sent, and
// the reason.
func (h *Handler) refusePost(w http.ResponseWriter, r *http.Request, mediaIDs []int64, msg string) {
	c := h.composeDefaults()
	c.Text, c.Summary, c.Visibility = r.PostFormValue("text"), r.PostFormValue("cw"), r.PostFormValue("visibility")
	c.PollOptions, c.PollMultiple = r.PostForm["poll_option"], r.PostFormValue("poll_multiple") == "true"
	c.ScheduleAt = r.PostFormValue("schedule_at")
	if e := r.PostFormValue("poll_expires"); e != "" {
		c.PollExpires = e
	}
	for _, id := range mediaIDs {
		c.MediaIDs = append(c.MediaIDs, strconv.FormatInt(id, 10))
		if m, err := h.st.MediaByID(r.Context(), id); err == nil {
			name := m.ThumbName
			if name == "" {
				name = m.Name
			}
			c.Kept = append(c.Kept, templates.Upload{Src: h.media.URL(name), Alt: m.Description})
		}
	}
	if c.ReplyTo = r.PostFormValue("in_reply_to"); c.ReplyTo != "" {
		if p, err := h.st.PostByIRI(r.Context(), c.ReplyTo); err == nil {
			if v, err := h.ownerPostView(r.Context(), p); err == nil {
				c.ReplyToPost = &v
			}
		}
	}
	page := h.ownerPage(r, "New post")
	page.Owner.Error = msg
	h.render(w, r, http.StatusUnprocessableEntity, templates.ComposePage(page, c))
}

// uploadMessage is ownerMessage for the errors of saving an upload (app.UploadErrorOf).
func (h *Handler) uploadMessage(err error) string {
	if kind, msg := app.UploadErrorOf(err); kind != app.Internal {
		return msg
	}
	return h.ownerMessage(err)
}

// postAction runs one of the owner's actions on the post named by the form's "post" field.
func (h *Handler) postAction(act func(context.Context, string) (*store.Post, error), done string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := act(r.Context(), r.PostFormValue("post")); err != nil {
			h.backToError(w, r, "/home", "", err)
			return
		}
		backTo(w, r, "/home", "notice", done)
	}
}

func (h *Handler) deleteAction(ctx context.Context, ref string) (*store.Post, error) {
	return nil, h.app.DeletePost(ctx, ref)
}

// showNotifications lists notifications, newest first, and marks them read.
func (h *Handler) showNotifications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	maxID, _ := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	const pageSize = 30
	list, err := h.st.Notifications(ctx, nil, store.Page{MaxID: maxID, Limit: pageSize})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	page := h.ownerPage(r, "Notifications")
	filters := h.filtersFor(ctx, "notifications")
	var n templates.Notifications
	for _, it := range list {
		a, err := h.st.AccountByID(ctx, it.AccountID)
		if err != nil {
			continue
		}
		item := templates.Notification{Kind: it.Type, Who: displayName(a), WhoURL: accountURL(a.IRI), WhoIRI: a.IRI,
			Avatar: h.avatarSrc(a), Handle: "@" + a.Handle(), When: it.CreatedAt, Unread: !it.Read}
		if it.Type == "follow" && !a.Local {
			_, err := h.st.FollowBetween(ctx, h.app.Owner.Account.ID, a.ID)
			item.FollowBack = errors.Is(err, store.ErrNotFound)
		}
		if it.PostID != 0 {
			if p, err := h.st.PostByID(ctx, it.PostID); err == nil {
				v, err := h.ownerPostView(ctx, p)
				if err == nil && !filters.apply(h, p, &v) {
					continue // a hidden post's notification goes with it, as in the client API
				}
				if err == nil {
					item.Post = &v
				}
			}
		}
		n.Items = append(n.Items, item)
	}
	if len(list) == pageSize {
		n.OlderURL = "/notifications?max_id=" + strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	if reqs, err := h.app.FollowRequests(ctx); err == nil {
		for _, e := range reqs {
			n.Requests = append(n.Requests, templates.Account{Name: displayName(e.Account),
				Handle: "@" + e.Account.Handle(), URL: app.ProfileURL(e.Account), IRI: e.Account.IRI})
		}
	}
	if len(list) > 0 && maxID == 0 {
		if err := h.st.MarkNotificationsRead(ctx, list[0].ID); err != nil {
			h.log.Warn("mark notifications read", "err", err)
		}
	}
	h.render200(w, r, templates.NotificationsPage(page, n))
}

// answerRequest approves or rejects the follow request of the account in the form's "post" field
// (an actor IRI).
func (h *Handler) answerRequest(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		act, done := h.app.RejectFollower, "Request rejected."
		if approve {
			act, done = h.app.ApproveFollower, "Request approved."
		}
		who := r.PostFormValue("account") // the follow-requests page; the notifications page says "post"
		if who == "" {
			who = r.PostFormValue("post")
		}
		if _, err := act(r.Context(), who); err != nil {
			h.backToError(w, r, "/notifications", "", err)
			return
		}
		backTo(w, r, "/notifications", "notice", done)
	}
}
