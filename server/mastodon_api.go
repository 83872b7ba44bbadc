package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"roost/server/app"
	"roost/server/mastodon"
	"roost/server/media"
	"roost/store"
)

// The Mastodon client API: the endpoints apps (Ivory, Ice Cubes, Tusky, Elk, Phanpy, ...) call to
// sign in and be used every day, with Mastodon's paths, fields, status codes and JSON errors.

// mastodonVersion is the Mastodon version Roost presents, so apps enable the features it has.
const mastodonVersion = "4.3.0"

func (s *Server) versionString() string {
	return mastodonVersion + " (compatible; Roost " + s.cfg.Version + ")"
}

func (s *Server) apiInstanceV1(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, err := s.st.AccountByID(ctx, s.app.Owner.Account.ID)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	posts, _ := s.st.CountPosts(ctx, o.ID, true) // what everyone may see: the route takes no token
	writeAPI(w, http.StatusOK, map[string]any{
		"uri": s.cfg.Domain, "title": s.cfg.Domain, "short_description": "A single-user Roost server",
		"description": o.Summary, "email": "", "version": s.versionString(),
		"urls":      map[string]string{"streaming_api": "ws" + strings.TrimPrefix(s.app.Base, "http")},
		"stats":     map[string]int{"user_count": 1, "status_count": posts, "domain_count": 0},
		"thumbnail": nil, "languages": []string{"en"}, "registrations": false, "approval_required": false,
		"invites_enabled": false, "configuration": s.apiConfiguration(), "contact_account": s.apiAccount(ctx, o),
		"rules": []any{},
	})
}

func (s *Server) apiConfiguration() map[string]any {
	return map[string]any{
		"urls":     map[string]string{"streaming": "ws" + strings.TrimPrefix(s.app.Base, "http")},
		"accounts": map[string]int{"max_featured_tags": 0, "max_pinned_statuses": app.MaxPinned},
		"statuses": map[string]int{"max_characters": app.MaxPostChars, "max_media_attachments": app.MaxAttachments,
			"characters_reserved_per_url": 23},
		"media_attachments": map[string]any{
			"supported_mime_types":   []string{"image/jpeg", "image/png", "image/gif", "image/webp"},
			"image_size_limit":       s.cfg.MaxUploadBytes,
			"image_matrix_limit":     media.MaxPixels,
			"video_size_limit":       0,
			"video_frame_rate_limit": 0,
			"video_matrix_limit":     0,
		},
		"polls": map[string]int{"max_options": app.MaxPollOptions, "max_characters_per_option": app.MaxPollOptionChars,
			"min_expiration": int(app.MinPollDuration.Seconds()), "max_expiration": int(app.MaxPollDuration.Seconds())},
		"translation": map[string]bool{"enabled": false},
	}
}

func (s *Server) apiInstanceV2(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, err := s.st.AccountByID(ctx, s.app.Owner.Account.ID)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{
		"domain": s.cfg.Domain, "title": s.cfg.Domain, "version": s.versionString(),
		"source_url": "https://github.com/roost-social/roost", "description": s.app.Sanitize.Text(o.Summary),
		"usage":         map[string]any{"users": map[string]int{"active_month": 1}},
		"thumbnail":     map[string]any{"url": s.app.Base + s.assets.URL("header.svg")},
		"languages":     []string{"en"},
		"configuration": s.apiConfiguration(),
		"registrations": map[string]any{"enabled": false, "approval_required": false, "message": nil},
		"contact":       map[string]any{"email": "", "account": s.apiAccount(ctx, o)},
		"rules":         []any{},
		"api_versions":  map[string]int{"mastodon": 2},
	})
}

// apiEmpty answers endpoints Roost has nothing for (trends, announcements, peers, emojis) with an
// empty array, as apps expect, never 404.
func apiEmpty(w http.ResponseWriter, r *http.Request) { writeAPI(w, http.StatusOK, []any{}) }

func (s *Server) apiPreferences(w http.ResponseWriter, r *http.Request) {
	writeAPI(w, http.StatusOK, map[string]any{
		"posting:default:visibility": "public", "posting:default:sensitive": false, "posting:default:language": nil,
		"reading:expand:media": "default", "reading:expand:spoilers": false,
	})
}

func (s *Server) apiVerifyCredentials(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, err := s.st.AccountByID(ctx, s.app.Owner.Account.ID)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	a := s.apiAccount(ctx, o)
	reqs, _ := s.app.FollowRequests(ctx)
	typed, err := s.app.ProfileSource(ctx, o)
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
func (s *Server) apiAccountParam(w http.ResponseWriter, r *http.Request) (*store.Account, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		if a, err := s.st.AccountByID(r.Context(), id); err == nil {
			return a, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

func (s *Server) apiGetAccount(w http.ResponseWriter, r *http.Request) {
	if a, ok := s.apiAccountParam(w, r); ok {
		writeAPI(w, http.StatusOK, s.apiAccount(r.Context(), a))
	}
}

func (s *Server) apiLookup(w http.ResponseWriter, r *http.Request) {
	acct := strings.TrimPrefix(r.URL.Query().Get("acct"), "@")
	if !strings.Contains(acct, "@") {
		acct += "@" + s.cfg.HandleDomain
	}
	a, err := s.app.KnownAccount(r.Context(), acct)
	if err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeAPI(w, http.StatusOK, s.apiAccount(r.Context(), a))
}

// writeStatuses writes a page of statuses with Mastodon's Link header.
func (s *Server) writeStatuses(w http.ResponseWriter, r *http.Request, list []*mastodon.Status) {
	if list == nil {
		list = []*mastodon.Status{}
	}
	if len(list) > 0 {
		mastodon.SetLink(w, r, s.app.Base, list[0].ID, list[len(list)-1].ID, len(list))
	}
	writeAPI(w, http.StatusOK, list)
}

func storePage(p mastodon.Page) store.Page {
	return store.Page{MaxID: p.MaxID, MinID: p.MinID, SinceID: p.SinceID, Limit: p.Limit}
}

// apiAccountStatuses lists an account's statuses as the request may see them: everyone sees the
// public and unlisted ones, the owner's token all that Roost has (as Mastodon's
// AccountStatusesFilter, whose other viewers Roost's API does not have).
func (s *Server) apiAccountStatuses(w http.ResponseWriter, r *http.Request) {
	a, ok := s.apiAccountParam(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	pg := mastodon.ParsePage(q, 20, 40)
	var posts []*store.Post
	var err error
	if q.Get("pinned") == "true" {
		posts, err = s.st.PinnedPosts(ctx, a.ID)
	} else {
		posts, err = s.st.AccountPosts(ctx, a.ID, !apiViewer(ctx).Owner, storePage(pg))
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	var out []*mastodon.Status
	for _, p := range posts {
		if (q.Get("exclude_replies") == "true" && p.InReplyTo != "") || (q.Get("only_media") == "true" && len(p.Attachments) == 0) {
			continue
		}
		if st, err := s.apiStatus(ctx, p); err == nil { // errNotVisible leaves out what the viewer may not see
			out = append(out, st)
		}
	}
	s.writeStatuses(w, r, out)
}

func (s *Server) apiRelationships(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	ids := append(q["id[]"], q["id"]...)
	out := []mastodon.Relationship{}
	for _, v := range ids {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		a, err := s.st.AccountByID(ctx, id)
		if err != nil {
			continue
		}
		out = append(out, s.relationship(ctx, a))
	}
	writeAPI(w, http.StatusOK, out)
}

func (s *Server) relationship(ctx context.Context, a *store.Account) mastodon.Relationship {
	rel := mastodon.Relationship{ID: idString(a.ID), Languages: []string{}, ShowingReblogs: true}
	owner := s.app.Owner.Account.ID
	if f, err := s.st.FollowBetween(ctx, owner, a.ID); err == nil {
		rel.Following, rel.Requested = f.State == store.Accepted, f.State == store.Pending
	}
	if f, err := s.st.FollowBetween(ctx, a.ID, owner); err == nil {
		rel.FollowedBy, rel.RequestedBy = f.State == store.Accepted, f.State == store.Pending
	}
	rel.Blocking, _ = s.st.Blocked(ctx, a.ID)
	rel.Muting, _ = s.st.Muted(ctx, a.ID)
	rel.MutingNotifications = rel.Muting
	rel.DomainBlocking, _ = s.st.DomainBlocked(ctx, a.Host)
	return rel
}

// apiAccountAction runs a relationship action on the {id} account and answers the relationship.
func (s *Server) apiAccountAction(act func(context.Context, string) (*store.Account, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := s.apiAccountParam(w, r)
		if !ok {
			return
		}
		if _, err := act(r.Context(), a.IRI); err != nil && !errors.Is(err, app.ErrAlreadyFollowing) && !errors.Is(err, app.ErrNotFollowing) {
			s.apiActionError(w, err)
			return
		}
		writeAPI(w, http.StatusOK, s.relationship(r.Context(), a))
	}
}

// apiActionError answers an error of one of the core's actions: by its kind (app.ErrorOf), with
// the core's message for the user; an internal error is logged and answered 500.
func (s *Server) apiActionError(w http.ResponseWriter, err error) {
	kind, msg := app.ErrorOf(err)
	switch kind {
	case app.NotFound:
		apiError(w, http.StatusNotFound, "Record not found")
	case app.Forbidden:
		apiError(w, http.StatusForbidden, "This action is not allowed")
	case app.Internal:
		s.log.Error("api action", slog.Any("err", err))
		apiError(w, http.StatusInternalServerError, "internal error")
	default:
		s.log.Info("api action refused", "err", err)
		apiError(w, http.StatusUnprocessableEntity, msg)
	}
}

// apiPostParam loads the status named by {id}, when the request may see it (visibility.go); a
// status it may not see is not found, as on Mastodon.
func (s *Server) apiPostParam(w http.ResponseWriter, r *http.Request) (*store.Post, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		if p, err := s.st.PostByID(r.Context(), id); err == nil && s.app.MaySee(r.Context(), apiViewer(r.Context()), p) {
			return p, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

func (s *Server) apiGetStatus(w http.ResponseWriter, r *http.Request) {
	p, ok := s.apiPostParam(w, r)
	if !ok {
		return
	}
	st, err := s.apiStatus(r.Context(), p)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeAPI(w, http.StatusOK, st)
}

// apiCreateStatus posts a status. An Idempotency-Key makes a retried request return the first
// post instead of posting twice.
func (s *Server) apiCreateStatus(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		if id, err := s.st.IdempotentPost(ctx, key); err == nil {
			if p, err := s.st.PostByID(ctx, id); err == nil {
				st, _ := s.apiStatus(ctx, p)
				writeAPI(w, http.StatusOK, st)
				return
			}
		}
	}
	vis, ok := mastodon.StoredVisibility(f.Get("visibility"))
	if !ok {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Visibility is not included in the list")
		return
	}
	if f.Get("visibility") == "" {
		vis = "" // a reply's default is its parent's (DefaultVisibility)
	}
	in := app.PostInput{Text: f.Get("status"), Summary: f.Get("spoiler_text"), Sensitive: f.Get("sensitive") == "true",
		Visibility: vis, Language: f.Get("language")}
	if hasPoll(f) {
		if in.Poll, err = apiPollInput(f); err != nil {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+err.Error())
			return
		}
	}
	if id := f.Get("in_reply_to_id"); id != "" {
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			apiError(w, http.StatusNotFound, "Record not found")
			return
		}
		in.InReplyTo = id
	}
	for _, v := range append(f["media_ids[]"], f["media_ids"]...) {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: media_ids are not valid")
			return
		}
		in.MediaIDs = append(in.MediaIDs, id)
	}
	p, err := s.app.Post(ctx, in)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			apiError(w, http.StatusNotFound, "Record not found")
			return
		}
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+s.ownerMessage(err))
		return
	}
	if key != "" {
		_ = s.st.SetIdempotentPost(ctx, key, p.ID)
	}
	st, err := s.apiStatus(ctx, p)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeAPI(w, http.StatusOK, st)
}

func (s *Server) apiDeleteStatus(w http.ResponseWriter, r *http.Request) {
	p, ok := s.apiPostParam(w, r)
	if !ok {
		return
	}
	if p.AccountID != s.app.Owner.Account.ID {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	st, _ := s.apiStatus(r.Context(), p)
	if err := s.app.DeletePost(r.Context(), p.IRI); err != nil {
		s.apiActionError(w, err)
		return
	}
	writeAPI(w, http.StatusOK, st)
}

// apiStatusAction runs an action on the {id} status and answers the status as it is afterwards.
// Repeating an action (liking a liked post) is not an error, as on Mastodon.
func (s *Server) apiStatusAction(act func(context.Context, string) (*store.Post, error), wrapBoost bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, ok := s.apiPostParam(w, r)
		if !ok {
			return
		}
		if _, err := act(ctx, p.IRI); err != nil && !isNoChange(err) {
			s.apiActionError(w, err)
			return
		}
		p, _ = s.st.PostByID(ctx, p.ID)
		st, err := s.apiStatus(ctx, p)
		if err != nil {
			apiError(w, http.StatusInternalServerError, "internal error")
			return
		}
		if wrapBoost {
			// POST /reblog answers the new boost, wrapping the original.
			if b, err := s.st.BoostOf(ctx, s.app.Owner.Account.ID, p.ID); err == nil {
				if wrapped, err := s.apiEntry(ctx, store.Entry{ID: b.ID, PostID: p.ID, BoosterID: b.AccountID}); err == nil {
					st = wrapped
				}
			}
		}
		writeAPI(w, http.StatusOK, st)
	}
}

func (s *Server) apiContext(w http.ResponseWriter, r *http.Request) {
	p, ok := s.apiPostParam(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	out := mastodon.Context{Ancestors: []*mastodon.Status{}, Descendants: []*mastodon.Status{}}
	for parent, n := p, 0; parent.ReplyToID != 0 && n < 40; n++ {
		pp, err := s.st.PostByID(ctx, parent.ReplyToID)
		if err != nil || !pp.DeletedAt.IsZero() {
			break
		}
		if st, err := s.apiStatus(ctx, pp); err == nil {
			out.Ancestors = append([]*mastodon.Status{st}, out.Ancestors...)
		}
		parent = pp
	}
	queue := []string{p.IRI}
	for len(queue) > 0 && len(out.Descendants) < 200 {
		iri := queue[0]
		queue = queue[1:]
		replies, _ := s.st.Replies(ctx, iri, 60)
		for _, rp := range replies {
			if st, err := s.apiStatus(ctx, rp); err == nil {
				out.Descendants = append(out.Descendants, st)
				queue = append(queue, rp.IRI)
			}
		}
	}
	writeAPI(w, http.StatusOK, out)
}

func (s *Server) apiHomeTimeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pg := mastodon.ParsePage(r.URL.Query(), 20, 40)
	entries, err := s.st.HomeTimeline(ctx, s.app.Owner.Account.ID, storePage(pg))
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	var out []*mastodon.Status
	for _, e := range entries {
		if st, err := s.apiEntry(ctx, e); err == nil {
			out = append(out, st)
		}
	}
	s.writeFilteredStatuses(w, r, "home", out)
}

func (s *Server) apiPublicTimeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	pg := mastodon.ParsePage(q, 20, 40)
	posts, err := s.st.PublicTimeline(ctx, q.Get("local") == "true", s.app.Owner.Account.ID, storePage(pg))
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	var out []*mastodon.Status
	for _, p := range posts {
		if q.Get("only_media") == "true" && len(p.Attachments) == 0 {
			continue
		}
		if st, err := s.apiStatus(ctx, p); err == nil {
			out = append(out, st)
		}
	}
	s.writeFilteredStatuses(w, r, "public", out)
}

// notificationTypes maps Roost's notification kinds to Mastodon's (they match).
var notificationTypes = []string{"follow", "follow_request", "mention", "reblog", "favourite", "move", "poll"}

func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	pg := mastodon.ParsePage(q, 15, 30)
	types := append(q["types[]"], q["types"]...)
	exclude := append(q["exclude_types[]"], q["exclude_types"]...)
	if len(types) == 0 {
		types = notificationTypes
	}
	var want []string
	for _, t := range types {
		if slices.Contains(notificationTypes, t) && !slices.Contains(exclude, t) {
			want = append(want, t)
		}
	}
	out := []*mastodon.Notification{}
	if len(want) > 0 {
		list, err := s.st.Notifications(ctx, want, storePage(pg))
		if err != nil {
			apiError(w, http.StatusInternalServerError, "internal error")
			return
		}
		for _, n := range list {
			if api, err := s.apiNotification(ctx, n); err == nil {
				out = append(out, api)
			}
		}
	}
	if len(out) > 0 {
		mastodon.SetLink(w, r, s.app.Base, out[0].ID, out[len(out)-1].ID, len(out))
	}
	writeAPI(w, http.StatusOK, s.filterNotifications(ctx, out))
}

func (s *Server) apiNotification(ctx context.Context, n store.Notification) (*mastodon.Notification, error) {
	a, err := s.st.AccountByID(ctx, n.AccountID)
	if err != nil {
		return nil, err
	}
	out := &mastodon.Notification{ID: idString(n.ID), Type: n.Type, CreatedAt: apiTime(n.CreatedAt), Account: s.apiAccount(ctx, a)}
	if n.PostID != 0 {
		p, err := s.st.PostByID(ctx, n.PostID)
		if err != nil {
			return nil, err
		}
		if out.Status, err = s.apiStatus(ctx, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Server) apiGetNotification(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	n, err := s.st.NotificationByID(ctx, id)
	if err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	api, err := s.apiNotification(ctx, *n)
	if err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeAPI(w, http.StatusOK, api)
}

func (s *Server) apiDismissNotification(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := s.st.DismissNotifications(r.Context(), id); err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}

func (s *Server) apiClearNotifications(w http.ResponseWriter, r *http.Request) {
	if err := s.st.DismissNotifications(r.Context(), 0); err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}

func (s *Server) apiGetMarkers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	out := map[string]any{}
	for _, tl := range append(q["timeline[]"], q["timeline"]...) {
		if m, err := s.st.Marker(r.Context(), tl); err == nil {
			out[tl] = map[string]any{"last_read_id": m.LastReadID, "version": m.Version, "updated_at": apiTime(m.UpdatedAt)}
		}
	}
	writeAPI(w, http.StatusOK, out)
}

func (s *Server) apiSetMarkers(w http.ResponseWriter, r *http.Request) {
	f, err := readForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	out := map[string]any{}
	for _, tl := range []string{"home", "notifications"} {
		id := f.Get(tl + "[last_read_id]")
		if id == "" {
			continue
		}
		m, err := s.st.SetMarker(r.Context(), tl, id)
		if err != nil {
			apiError(w, http.StatusInternalServerError, "internal error")
			return
		}
		out[tl] = map[string]any{"last_read_id": m.LastReadID, "version": m.Version, "updated_at": apiTime(m.UpdatedAt)}
	}
	writeAPI(w, http.StatusOK, out)
}

// apiSearch resolves accounts and posts: @user@host and URLs, with resolve=true, over the network.
func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	term := strings.TrimSpace(q.Get("q"))
	resolve := q.Get("resolve") == "true"
	out := map[string]any{"accounts": []*mastodon.Account{}, "statuses": []*mastodon.Status{}, "hashtags": []any{}}
	typ := q.Get("type")
	if term != "" && (typ == "" || typ == "accounts") {
		var a *store.Account
		var err error
		if resolve {
			a, err = s.app.ResolveHandle(ctx, term)
		} else {
			a, err = s.app.KnownAccount(ctx, term)
		}
		if err == nil {
			out["accounts"] = []*mastodon.Account{s.apiAccount(ctx, a)}
		}
	}
	if u, err := url.Parse(term); err == nil && (u.Scheme == "https" || u.Scheme == "http") && (typ == "" || typ == "statuses") {
		var p *store.Post
		if resolve {
			p, err = s.app.FindPost(ctx, term)
		} else {
			p, err = s.st.PostByIRI(ctx, term)
		}
		if err == nil && p.DeletedAt.IsZero() {
			if st, err := s.apiStatus(ctx, p); err == nil {
				out["statuses"] = []*mastodon.Status{st}
			}
		}
	}
	writeAPI(w, http.StatusOK, out)
}

// apiPublic wraps an API endpoint that needs no token: JSON answers with open CORS.
func apiPublic(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h(w, r)
	}
}

// mastodonRoutes registers the Mastodon client API.
func (s *Server) mastodonRoutes(mux *http.ServeMux) {
	pub := func(pattern string, h http.HandlerFunc) { mux.HandleFunc(pattern, apiPublic(h)) }
	auth := func(pattern, scope string, h http.HandlerFunc) { mux.HandleFunc(pattern, s.apiAuth(scope, h)) }

	pub("GET /api/v1/instance", s.apiInstanceV1)
	pub("GET /api/v2/instance", s.apiInstanceV2)
	pub("GET /api/v1/instance/peers", apiEmpty)
	pub("GET /api/v1/custom_emojis", apiEmpty)
	pub("GET /api/v1/trends/{kind}", apiEmpty)
	pub("GET /api/v1/trends", apiEmpty)
	auth("GET /api/v1/announcements", "read", apiEmpty)
	auth("GET /api/v2/filters", "read:filters", s.apiFilters)
	auth("GET /api/v1/filters", "read:filters", s.apiFiltersV1)
	auth("GET /api/v1/preferences", "read:accounts", s.apiPreferences)
	auth("GET /api/v1/markers", "read:statuses", s.apiGetMarkers)
	auth("POST /api/v1/markers", "write:statuses", s.apiSetMarkers)

	auth("GET /api/v1/accounts/verify_credentials", "read:accounts", s.apiVerifyCredentials)
	auth("GET /api/v1/accounts/relationships", "read:follows", s.apiRelationships)
	// Public, but a token, when sent, must cover the scope (Mastodon's authorize_if_got_token!),
	// and the owner's shows what only the owner may see.
	opt := func(pattern, scope string, h http.HandlerFunc) { mux.HandleFunc(pattern, s.apiOptionalAuth(scope, h)) }
	opt("GET /api/v1/accounts/lookup", "read:accounts", s.apiLookup)
	opt("GET /api/v1/accounts/{id}", "read:accounts", s.apiGetAccount)
	opt("GET /api/v1/accounts/{id}/statuses", "read:statuses", s.apiAccountStatuses)
	opt("GET /api/v1/statuses/{id}", "read:statuses", s.apiGetStatus)
	opt("GET /api/v1/statuses/{id}/context", "read:statuses", s.apiContext)
	auth("POST /api/v1/accounts/{id}/follow", "write:follows", s.apiAccountAction(s.app.Follow))
	auth("POST /api/v1/accounts/{id}/unfollow", "write:follows", s.apiAccountAction(s.app.Unfollow))
	auth("POST /api/v1/accounts/{id}/block", "write:blocks", s.apiAccountAction(s.app.BlockAccount))
	auth("POST /api/v1/accounts/{id}/unblock", "write:blocks", s.apiAccountAction(s.app.UnblockAccount))
	auth("POST /api/v1/accounts/{id}/mute", "write:mutes", s.apiAccountAction(s.app.MuteAccount(true)))
	auth("POST /api/v1/accounts/{id}/unmute", "write:mutes", s.apiAccountAction(s.app.MuteAccount(false)))

	auth("POST /api/v1/statuses", "write:statuses", s.apiCreateStatus)
	auth("DELETE /api/v1/statuses/{id}", "write:statuses", s.apiDeleteStatus)
	auth("POST /api/v1/statuses/{id}/favourite", "write:favourites", s.apiStatusAction(s.app.Like, false))
	auth("POST /api/v1/statuses/{id}/unfavourite", "write:favourites", s.apiStatusAction(s.app.Unlike, false))
	auth("POST /api/v1/statuses/{id}/reblog", "write:statuses", s.apiStatusAction(s.app.Boost, true))
	auth("POST /api/v1/statuses/{id}/unreblog", "write:statuses", s.apiStatusAction(s.app.Unboost, false))
	auth("POST /api/v1/statuses/{id}/bookmark", "write:bookmarks", s.apiStatusAction(s.app.BookmarkPost(true), false))
	auth("POST /api/v1/statuses/{id}/unbookmark", "write:bookmarks", s.apiStatusAction(s.app.BookmarkPost(false), false))
	auth("POST /api/v1/statuses/{id}/pin", "write:accounts", s.apiStatusAction(s.app.PinPost(true), false))
	auth("POST /api/v1/statuses/{id}/unpin", "write:accounts", s.apiStatusAction(s.app.PinPost(false), false))

	auth("GET /api/v1/polls/{id}", "read:statuses", s.apiGetPoll)
	auth("POST /api/v1/polls/{id}/votes", "write:statuses", s.apiVote)

	auth("GET /api/v1/timelines/home", "read:statuses", s.apiHomeTimeline)
	auth("GET /api/v1/timelines/public", "read:statuses", s.apiPublicTimeline)
	auth("GET /api/v1/notifications", "read:notifications", s.apiNotifications)
	auth("GET /api/v1/notifications/{id}", "read:notifications", s.apiGetNotification)
	auth("POST /api/v1/notifications/{id}/dismiss", "write:notifications", s.apiDismissNotification)
	auth("POST /api/v1/notifications/clear", "write:notifications", s.apiClearNotifications)
	auth("GET /api/v2/search", "read:search", s.apiSearch)
	s.streamingRoutes(mux)
	s.mastodonMoreRoutes(mux)
}

// isNoChange reports whether an action failed only because its state already held.
func isNoChange(err error) bool {
	for _, e := range []error{app.ErrAlreadyLiked, app.ErrAlreadyBoosted, app.ErrNotLiked, app.ErrNotBoosted} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
