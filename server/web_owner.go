package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"roost/server/app"
	"roost/store"
	"roost/templates"
)

// ownerPage is the layout of a signed-in page: navigation, unread count, CSRF token.
func (s *Server) ownerPage(r *http.Request, title string) templates.Page {
	p := s.page(title)
	se := s.session(r)
	if se == nil {
		return p
	}
	unread, _ := s.st.UnreadNotifications(r.Context())
	p.Owner = &templates.OwnerNav{CSRF: se.CSRF, Unread: unread, ProfileURL: s.app.Owner.Account.URL}
	// Notices travel in the redirect after a form; a link from another site could carry a
	// misleading one, so they are shown only on same-site navigations.
	if site := r.Header.Get("Sec-Fetch-Site"); site == "" || site == "same-origin" {
		p.Owner.Notice, p.Owner.Error = r.URL.Query().Get("notice"), r.URL.Query().Get("error")
	}
	return p
}

// ownerPostView is a post as the owner sees it: with its author and the owner's like and boost.
func (s *Server) ownerPostView(ctx context.Context, p *store.Post) (templates.Post, error) {
	return s.ownerPostViewBy(ctx, &authorCache{s: s, byID: map[int64]*store.Account{}}, p)
}

// ownerPostViewBy is ownerPostView with the authors of a page looked up once each.
func (s *Server) ownerPostViewBy(ctx context.Context, authors *authorCache, p *store.Post) (templates.Post, error) {
	author, err := authors.get(ctx, p.AccountID)
	if err != nil {
		return templates.Post{}, err
	}
	c, _ := s.st.CountsFor(ctx, p, s.app.Owner.Account.ID) // zero counts rather than no page
	v := s.countedPostView(author, p, c)
	v.ID, v.IRI, v.Actions = p.ID, p.IRI, true
	v.Own = p.AccountID == s.app.Owner.Account.ID
	v.Pinned = !p.PinnedAt.IsZero()
	v.Liked, v.Boosted, v.Bookmarked = c.Liked, c.Boosted, c.Bookmarked
	return v, nil
}

func (s *Server) composeDefaults() templates.Compose {
	return templates.Compose{MaxChars: app.MaxPostChars, PollExpires: "86400"}
}

// formVisibility is a stored visibility as the compose form names it.
func formVisibility(vis string) string {
	if vis == store.Private {
		return "followers"
	}
	return vis
}

// showHomeTimeline renders /home: the compose form and the home timeline, newest first.
func (s *Server) showHomeTimeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	maxID, _ := strconv.ParseInt(q.Get("max_id"), 10, 64)
	minID, _ := strconv.ParseInt(q.Get("min_id"), 10, 64)
	const pageSize = 20
	entries, err := s.st.HomeTimeline(ctx, s.app.Owner.Account.ID, store.Page{MaxID: maxID, MinID: minID, Limit: pageSize})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	h := templates.Home{Compose: s.composeDefaults()}
	authors := &authorCache{s: s, byID: map[int64]*store.Account{}}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.PostID
	}
	posts, err := s.st.PostsByID(ctx, ids)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for _, e := range entries {
		p, ok := posts[e.PostID]
		if !ok {
			continue
		}
		v, err := s.ownerPostViewBy(ctx, authors, p)
		if err != nil {
			continue
		}
		if e.BoosterID != 0 {
			if b, err := authors.get(ctx, e.BoosterID); err == nil {
				v.BoostedBy = displayName(b)
			}
		}
		h.Entries = append(h.Entries, v)
	}
	if len(entries) == pageSize {
		h.OlderURL = "/home?max_id=" + strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	if (maxID > 0 || minID > 0) && len(entries) > 0 {
		h.NewerURL = "/home?min_id=" + strconv.FormatInt(entries[0].ID, 10)
	}
	s.render200(w, r, templates.HomePage(s.ownerPage(r, "Home"), h))
}

// backTo redirects to where the form was (a same-site Referer) or to fallback, with a notice.
func backTo(w http.ResponseWriter, r *http.Request, fallback, key, msg string) {
	target := fallback
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && strings.HasPrefix(ref.Path, "/") {
		q := ref.Query()
		q.Del("notice")
		q.Del("error")
		ref.RawQuery = q.Encode()
		target = ref.RequestURI()
	}
	if msg != "" {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + key + "=" + url.QueryEscape(msg)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// showCompose renders the compose form on its own, for replies.
func (s *Server) showCompose(w http.ResponseWriter, r *http.Request) {
	c := s.composeDefaults()
	if ref := r.URL.Query().Get("reply_to"); ref != "" {
		p, err := s.app.FindPost(r.Context(), ref)
		if err != nil {
			backTo(w, r, "/home", "error", "Could not find that post.")
			return
		}
		v, err := s.ownerPostView(r.Context(), p)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		c.ReplyTo, c.ReplyToPost = p.IRI, &v
		c.Visibility = formVisibility(app.DefaultVisibility(p))
		if author, err := s.st.AccountByID(r.Context(), p.AccountID); err == nil && p.AccountID != s.app.Owner.Account.ID {
			c.Text = "@" + author.Handle() + " "
		}
	}
	s.render200(w, r, templates.ComposePage(s.ownerPage(r, "New post"), c))
}

// savePost publishes the compose form. A refused post comes back in the form with the reason,
// as written (text, content warning, poll, visibility and the images already uploaded).
func (s *Server) savePost(w http.ResponseWriter, r *http.Request) {
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
				s.serverError(w, r, err)
				return
			}
			alt := ""
			if i < len(alts) {
				alt = alts[i]
			}
			m, err := s.media.Save(ctx, f, alt)
			f.Close()
			if err != nil {
				s.refusePost(w, r, mediaIDs, "Not posted: "+fh.Filename+": "+s.uploadMessage(err))
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
	_, err := s.app.Post(ctx, in)
	if err != nil {
		s.log.Info("post refused", "err", err)
		s.refusePost(w, r, mediaIDs, "Not posted: "+s.ownerMessage(err))
		return
	}
	http.Redirect(w, r, "/home?notice="+url.QueryEscape("Posted."), http.StatusSeeOther)
}

// refusePost answers a refused compose form with the form again, filled in as it was sent, and
// the reason.
func (s *Server) refusePost(w http.ResponseWriter, r *http.Request, mediaIDs []int64, msg string) {
	c := s.composeDefaults()
	c.Text, c.Summary, c.Visibility = r.PostFormValue("text"), r.PostFormValue("cw"), r.PostFormValue("visibility")
	c.PollOptions, c.PollMultiple = r.PostForm["poll_option"], r.PostFormValue("poll_multiple") == "true"
	if e := r.PostFormValue("poll_expires"); e != "" {
		c.PollExpires = e
	}
	for _, id := range mediaIDs {
		c.MediaIDs = append(c.MediaIDs, strconv.FormatInt(id, 10))
	}
	if c.ReplyTo = r.PostFormValue("in_reply_to"); c.ReplyTo != "" {
		if p, err := s.st.PostByIRI(r.Context(), c.ReplyTo); err == nil {
			if v, err := s.ownerPostView(r.Context(), p); err == nil {
				c.ReplyToPost = &v
			}
		}
	}
	page := s.ownerPage(r, "New post")
	page.Owner.Error = msg
	s.render(w, r, http.StatusUnprocessableEntity, templates.ComposePage(page, c))
}

// ownerMessage turns an error of an owner's action into text for the owner: the core's message
// for the errors it types (app.ErrorOf); any other error is logged and becomes a generic sentence.
func (s *Server) ownerMessage(err error) string {
	kind, msg := app.ErrorOf(err)
	if kind == app.Internal {
		s.log.Error("owner action", slog.Any("err", err))
		return "something went wrong; see the server log"
	}
	return msg
}

// uploadMessage is ownerMessage for the errors of saveUpload, which media.go does not type yet:
// its refusals are written for the owner, and what mentions the database is not shown.
// TODO(media): type the refusals and drop the look at the text.
func (s *Server) uploadMessage(err error) string {
	if kind, _ := app.ErrorOf(err); kind != app.Internal {
		return s.ownerMessage(err)
	}
	msg := err.Error()
	if strings.Contains(msg, "sql") || strings.Contains(msg, "database") {
		return s.ownerMessage(err)
	}
	return msg
}

// postAction runs one of the owner's actions on the post named by the form's "post" field.
func (s *Server) postAction(act func(context.Context, string) (*store.Post, error), done string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := act(r.Context(), r.PostFormValue("post")); err != nil {
			backTo(w, r, "/home", "error", s.ownerMessage(err))
			return
		}
		backTo(w, r, "/home", "notice", done)
	}
}

func (s *Server) deleteAction(ctx context.Context, ref string) (*store.Post, error) {
	return nil, s.app.DeletePost(ctx, ref)
}

// showNotifications lists notifications, newest first, and marks them read.
func (s *Server) showNotifications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	maxID, _ := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	const pageSize = 30
	list, err := s.st.Notifications(ctx, nil, store.Page{MaxID: maxID, Limit: pageSize})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	page := s.ownerPage(r, "Notifications")
	var n templates.Notifications
	for _, it := range list {
		a, err := s.st.AccountByID(ctx, it.AccountID)
		if err != nil {
			continue
		}
		item := templates.Notification{Kind: it.Type, Who: displayName(a), WhoURL: app.ProfileURL(a),
			Handle: "@" + a.Handle(), When: it.CreatedAt, Unread: !it.Read}
		if it.PostID != 0 {
			if p, err := s.st.PostByID(ctx, it.PostID); err == nil {
				if v, err := s.ownerPostView(ctx, p); err == nil {
					item.Post = &v
				}
			}
		}
		n.Items = append(n.Items, item)
	}
	if len(list) == pageSize {
		n.OlderURL = "/notifications?max_id=" + strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	if reqs, err := s.app.FollowRequests(ctx); err == nil {
		for _, e := range reqs {
			n.Requests = append(n.Requests, templates.Account{Name: displayName(e.Account),
				Handle: "@" + e.Account.Handle(), URL: app.ProfileURL(e.Account), IRI: e.Account.IRI})
		}
	}
	if len(list) > 0 && maxID == 0 {
		if err := s.st.MarkNotificationsRead(ctx, list[0].ID); err != nil {
			s.log.Warn("mark notifications read", "err", err)
		}
	}
	s.render200(w, r, templates.NotificationsPage(page, n))
}

// answerRequest approves or rejects the follow request of the account in the form's "post" field
// (an actor IRI).
func (s *Server) answerRequest(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		act, done := s.app.RejectFollower, "Request rejected."
		if approve {
			act, done = s.app.ApproveFollower, "Request approved."
		}
		if _, err := act(r.Context(), r.PostFormValue("post")); err != nil {
			backTo(w, r, "/notifications", "error", s.ownerMessage(err))
			return
		}
		backTo(w, r, "/notifications", "notice", done)
	}
}
