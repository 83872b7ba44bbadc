package server

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"roost/server/app"
	"roost/server/mastodon"
	"roost/server/media"
	"roost/store"
)

// More of the Mastodon client API: media uploads, profile editing, follower lists and requests,
// blocks and mutes, status edits and their history, bookmarks and favourites, hashtag timelines,
// direct conversations, and filters (https://docs.joinmastodon.org/methods/).

// mastodonMoreRoutes registers the endpoints of this file.
func (s *Server) mastodonMoreRoutes(mux *http.ServeMux) {
	auth := func(pattern, scope string, h http.HandlerFunc) { mux.HandleFunc(pattern, s.apiAuth(scope, h)) }
	// opt: public, as on Mastodon, but a token (which then must be valid and cover scope) shows more.
	opt := func(pattern, scope string, h http.HandlerFunc) { mux.HandleFunc(pattern, s.apiOptionalAuth(scope, h)) }

	auth("POST /api/v1/media", "write:media", s.apiUploadMedia)
	auth("POST /api/v2/media", "write:media", s.apiUploadMedia)
	auth("GET /api/v1/media/{id}", "write:media", s.apiGetMedia)
	auth("PUT /api/v1/media/{id}", "write:media", s.apiUpdateMedia)

	auth("PATCH /api/v1/accounts/update_credentials", "write:accounts", s.apiUpdateCredentials)
	opt("GET /api/v1/accounts/{id}/followers", "read:accounts", s.apiAccountFollows(true))
	opt("GET /api/v1/accounts/{id}/following", "read:accounts", s.apiAccountFollows(false))
	auth("GET /api/v1/follow_requests", "read:follows", s.apiFollowRequests)
	auth("POST /api/v1/follow_requests/{id}/authorize", "write:follows", s.apiAnswerFollowRequest(true))
	auth("POST /api/v1/follow_requests/{id}/reject", "write:follows", s.apiAnswerFollowRequest(false))
	auth("GET /api/v1/blocks", "read:blocks", s.apiAccountList(s.st.BlockedAccounts))
	auth("GET /api/v1/mutes", "read:mutes", s.apiAccountList(s.st.MutedAccounts))
	auth("GET /api/v1/domain_blocks", "read:blocks", s.apiDomainBlocks)
	auth("POST /api/v1/domain_blocks", "write:blocks", s.apiBlockDomain(true))
	auth("DELETE /api/v1/domain_blocks", "write:blocks", s.apiBlockDomain(false))

	auth("PUT /api/v1/statuses/{id}", "write:statuses", s.apiEditStatus)
	opt("GET /api/v1/statuses/{id}/history", "read:statuses", s.apiStatusHistory)
	auth("GET /api/v1/statuses/{id}/source", "read:statuses", s.apiStatusSource)
	opt("GET /api/v1/statuses/{id}/favourited_by", "read:accounts", s.apiStatusReactors(s.st.Likers))
	opt("GET /api/v1/statuses/{id}/reblogged_by", "read:accounts", s.apiStatusReactors(s.st.Boosters))
	auth("GET /api/v1/bookmarks", "read:bookmarks", s.apiPostList(func(ctx context.Context, pg store.Page) ([]store.PostItem, error) {
		return s.st.BookmarkItems(ctx, pg)
	}))
	auth("GET /api/v1/favourites", "read:favourites", s.apiPostList(func(ctx context.Context, pg store.Page) ([]store.PostItem, error) {
		return s.st.Favourites(ctx, s.app.Owner.Account.ID, pg)
	}))
	opt("GET /api/v1/timelines/tag/{hashtag}", "read:statuses", s.apiTagTimeline)

	auth("GET /api/v1/conversations", "read:statuses", s.apiConversations)
	auth("POST /api/v1/conversations/{id}/read", "write:conversations", s.apiReadConversation)
	auth("DELETE /api/v1/conversations/{id}", "write:conversations", s.apiHideConversation)

	// GET /api/v2/filters and GET /api/v1/filters are registered in mastodonRoutes.
	auth("POST /api/v2/filters", "write:filters", s.apiSaveFilter)
	auth("GET /api/v2/filters/{id}", "read:filters", s.apiGetFilter)
	auth("PUT /api/v2/filters/{id}", "write:filters", s.apiSaveFilter)
	auth("DELETE /api/v2/filters/{id}", "write:filters", s.apiDeleteFilter)
}

// apiOptionalAuth serves h without a token, or through apiAuth(scope) when the request carries
// one; apiToken(r) tells the two apart.
func (s *Server) apiOptionalAuth(scope string, h http.HandlerFunc) http.HandlerFunc {
	authed, public := s.apiAuth(scope, h), apiPublic(h)
	return func(w http.ResponseWriter, r *http.Request) {
		if bearerToken(r) != "" {
			authed(w, r)
			return
		}
		public(w, r)
	}
}

// formBool reads a Rails boolean parameter; ok is false when it is absent.
func formBool(f url.Values, k string) (v, ok bool) {
	vs, ok := f[k]
	if !ok || len(vs) == 0 {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(vs[0])) {
	case "1", "true", "t", "on", "yes":
		return true, true
	}
	return false, true
}

// formObjects reads a list of objects sent Rails-style: "key[0][field]" (indexed forms, and JSON
// arrays or objects as readForm flattens them), in index order, then "key[][field]" (repeated
// fields, zipped by position).
func formObjects(f url.Values, key string) []map[string]string {
	indexed := map[string]map[string]string{}
	var zipped []map[string]string
	for k, vs := range f {
		rest, ok := strings.CutPrefix(k, key+"[")
		if !ok || len(vs) == 0 {
			continue
		}
		idx, field, ok := strings.Cut(rest, "][")
		if !ok {
			continue
		}
		field = strings.TrimSuffix(field, "]")
		if idx == "" {
			for i, v := range vs {
				for len(zipped) <= i {
					zipped = append(zipped, map[string]string{})
				}
				zipped[i][field] = v
			}
			continue
		}
		if indexed[idx] == nil {
			indexed[idx] = map[string]string{}
		}
		indexed[idx][field] = vs[0]
	}
	keys := make([]string, 0, len(indexed))
	for k := range indexed {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		x, errA := strconv.Atoi(a)
		y, errB := strconv.Atoi(b)
		if errA == nil && errB == nil {
			return x - y
		}
		return strings.Compare(a, b)
	})
	var out []map[string]string
	for _, k := range keys {
		out = append(out, indexed[k])
	}
	return append(out, zipped...)
}

func hasFormPrefix(f url.Values, prefix string) bool {
	for k := range f {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// writeAccountItems writes a page of accounts with Mastodon's Link header, paged by the items'
// cursors.
func (s *Server) writeAccountItems(w http.ResponseWriter, r *http.Request, items []store.AccountItem) {
	out := []*mastodon.Account{}
	for _, it := range items {
		out = append(out, s.apiAccount(r.Context(), it.Account))
	}
	if len(items) > 0 {
		mastodon.SetLink(w, r, s.app.Base, idString(items[0].Cursor), idString(items[len(items)-1].Cursor), len(items))
	}
	writeAPI(w, http.StatusOK, out)
}

// writeFilteredStatuses is writeStatuses with the owner's filters of filterContext applied. The
// Link header is set from the page before filtering, so a page of hidden statuses still leads on.
func (s *Server) writeFilteredStatuses(w http.ResponseWriter, r *http.Request, filterContext string, list []*mastodon.Status) {
	if len(list) > 0 {
		mastodon.SetLink(w, r, s.app.Base, list[0].ID, list[len(list)-1].ID, len(list))
	}
	list = s.filterStatuses(r.Context(), filterContext, list)
	if list == nil {
		list = []*mastodon.Status{}
	}
	writeAPI(w, http.StatusOK, list)
}

// Media

// apiMediaMeta is the meta of an upload: original and small sizes, and the focal point.
func apiMediaMeta(m *store.Media) map[string]any {
	size := func(w, h int) map[string]any {
		aspect := 0.0
		if h > 0 {
			aspect = float64(w) / float64(h)
		}
		return map[string]any{"width": w, "height": h, "size": strconv.Itoa(w) + "x" + strconv.Itoa(h), "aspect": aspect}
	}
	sw, sh := m.Width, m.Height
	if m.ThumbName != "" && (sw > media.ThumbSide || sh > media.ThumbSide) {
		// The thumbnail's size, as fit made it.
		if sw >= sh {
			sw, sh = media.ThumbSide, max(1, sh*media.ThumbSide/sw)
		} else {
			sw, sh = max(1, sw*media.ThumbSide/sh), media.ThumbSide
		}
	}
	return map[string]any{"original": size(m.Width, m.Height), "small": size(sw, sh),
		"focus": map[string]float64{"x": m.FocusX, "y": m.FocusY}}
}

// apiMedia is an upload as Mastodon's MediaAttachment entity.
func (s *Server) apiMedia(m *store.Media) mastodon.MediaAttachment {
	out := mastodon.MediaAttachment{ID: idString(m.ID), Type: "image", URL: s.media.URL(m.Name),
		PreviewURL: s.media.URL(m.ThumbName), Meta: apiMediaMeta(m)}
	if out.PreviewURL == "" {
		out.PreviewURL = out.URL
	}
	if m.Description != "" {
		d := m.Description
		out.Description = &d
	}
	if m.Blurhash != "" {
		b := m.Blurhash
		out.Blurhash = &b
	}
	return out
}

// parseFocus reads a focal point "x,y" with both in -1..1; "" is the centre.
func parseFocus(v string) (x, y float64, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, 0, true
	}
	xs, ys, found := strings.Cut(v, ",")
	if !found {
		return 0, 0, false
	}
	x, errX := strconv.ParseFloat(strings.TrimSpace(xs), 64)
	y, errY := strconv.ParseFloat(strings.TrimSpace(ys), 64)
	if errX != nil || errY != nil || math.IsNaN(x) || math.IsNaN(y) || math.Abs(x) > 1 || math.Abs(y) > 1 {
		return 0, 0, false
	}
	return x, y, true
}

const msgBadFocus = "Validation failed: Focus must be two numbers between -1.0 and 1.0, as x,y"

// uploadError answers a failed media.Library.Save: the client's file (422) or the server (500, 503).
func (s *Server) uploadError(w http.ResponseWriter, r *http.Request, err error) {
	var pathErr *fs.PathError
	switch {
	case errors.Is(err, media.ErrNotConfigured):
		apiError(w, http.StatusServiceUnavailable, "uploads are not configured on this server")
	case errors.As(err, &pathErr):
		s.apiServerError(w, r, err)
	default:
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+s.uploadMessage(err))
	}
}

// apiUploadMedia stores an image (POST /api/v1/media and /api/v2/media). Processing is
// synchronous, so v2 answers 200 with the finished attachment rather than 202.
func (s *Server) apiUploadMedia(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: File can't be blank")
		return
	}
	fx, fy, ok := parseFocus(f.Get("focus"))
	if !ok {
		apiError(w, http.StatusUnprocessableEntity, msgBadFocus)
		return
	}
	file, err := r.MultipartForm.File["file"][0].Open()
	if err != nil {
		apiError(w, http.StatusBadRequest, "the file could not be read")
		return
	}
	defer file.Close()
	m, err := s.media.Save(ctx, file, strings.TrimSpace(f.Get("description")))
	if err != nil {
		s.uploadError(w, r, err)
		return
	}
	if fx != 0 || fy != 0 {
		if err := s.st.UpdateMediaDescription(ctx, m.ID, m.Description, fx, fy); err != nil {
			s.apiServerError(w, r, err)
			return
		}
		m.FocusX, m.FocusY = fx, fy
	}
	writeAPI(w, http.StatusOK, s.apiMedia(m))
}

func (s *Server) apiMediaParam(w http.ResponseWriter, r *http.Request) (*store.Media, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		if m, err := s.st.MediaByID(r.Context(), id); err == nil {
			return m, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

func (s *Server) apiGetMedia(w http.ResponseWriter, r *http.Request) {
	m, ok := s.apiMediaParam(w, r)
	if !ok {
		return
	}
	out := s.apiMedia(m)
	if m.PostID != 0 { // the URLs of a non-public post's file carry its capability token
		if p, err := s.st.PostByID(r.Context(), m.PostID); err == nil {
			out.URL, out.PreviewURL = s.app.PostMediaURL(p, out.URL), s.app.PostMediaURL(p, out.PreviewURL)
		}
	}
	writeAPI(w, http.StatusOK, out)
}

// apiUpdateMedia changes the description and focal point of an upload not yet attached, as
// Mastodon allows: an attached one is part of a post already federated.
func (s *Server) apiUpdateMedia(w http.ResponseWriter, r *http.Request) {
	m, ok := s.apiMediaParam(w, r)
	if !ok {
		return
	}
	if m.PostID != 0 {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	f, err := readForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	if _, ok := f["description"]; ok {
		m.Description = app.TruncateRunes(strings.TrimSpace(f.Get("description")), 1500)
	}
	if _, ok := f["focus"]; ok {
		if m.FocusX, m.FocusY, ok = parseFocus(f.Get("focus")); !ok {
			apiError(w, http.StatusUnprocessableEntity, msgBadFocus)
			return
		}
	}
	if err := s.st.UpdateMediaDescription(r.Context(), m.ID, m.Description, m.FocusX, m.FocusY); err != nil {
		s.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, s.apiMedia(m))
}

// Accounts

// apiUpdateCredentials edits the owner's profile and answers the account with its source, as
// verify_credentials does.
func (s *Server) apiUpdateCredentials(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := readForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	var in app.ProfileInput
	if _, ok := f["display_name"]; ok {
		v := f.Get("display_name")
		in.DisplayName = &v
	}
	if _, ok := f["note"]; ok {
		v := f.Get("note")
		in.Bio = &v
	}
	for _, b := range []struct {
		key string
		out **bool
	}{{"locked", &in.Locked}, {"bot", &in.Bot}, {"discoverable", &in.Discoverable}, {"indexable", &in.Indexable},
		{"hide_collections", &in.HideNetwork}} {
		if v, ok := formBool(f, b.key); ok {
			*b.out = &v
		}
	}
	if hasFormPrefix(f, "fields_attributes[") {
		in.SetFields = true
		for _, o := range formObjects(f, "fields_attributes") {
			in.Fields = append(in.Fields, store.Field{Name: o["name"], Value: o["value"]})
		}
	}
	for _, img := range []struct {
		key string
		out **string
	}{{"avatar", &in.AvatarURL}, {"header", &in.HeaderURL}} {
		if r.MultipartForm == nil || len(r.MultipartForm.File[img.key]) == 0 {
			continue
		}
		file, err := r.MultipartForm.File[img.key][0].Open()
		if err != nil {
			apiError(w, http.StatusBadRequest, "the file could not be read")
			return
		}
		m, err := s.media.Save(ctx, file, "")
		file.Close()
		if err != nil {
			s.uploadError(w, r, err)
			return
		}
		u := s.media.URL(m.Name)
		*img.out = &u
	}
	if _, err := s.app.UpdateProfile(ctx, in); err != nil {
		s.log.Info("profile update refused", "err", err)
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+s.ownerMessage(err))
		return
	}
	s.apiVerifyCredentials(w, r)
}

// apiAccountFollows lists an account's followers or followings as far as Roost knows them, paged
// by follow ID. A network its account hides is an empty list, except to the owner for their own;
// and while the owner hides theirs, they are left out of other accounts' lists too, which would
// otherwise show it one account at a time (Mastodon keeps a hidden network out of every list).
func (s *Server) apiAccountFollows(followers bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := s.apiAccountParam(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		self := apiViewer(ctx).Owner
		if a.HideNetwork && !(a.Local && self) {
			s.writeAccountItems(w, r, nil)
			return
		}
		pg := storePage(mastodon.ParsePage(r.URL.Query(), 40, 80))
		list := s.st.Following
		if followers {
			list = s.st.Followers
		}
		entries, err := list(ctx, a.ID, store.Accepted, pg)
		if err != nil {
			s.apiServerError(w, r, err)
			return
		}
		items := followItems(entries)
		if !self && !a.Local {
			o, err := s.st.AccountByID(ctx, s.app.Owner.Account.ID)
			if err != nil {
				s.apiServerError(w, r, err)
				return
			}
			if o.HideNetwork {
				items = slices.DeleteFunc(items, func(it store.AccountItem) bool { return it.Account.ID == o.ID })
			}
		}
		s.writeAccountItems(w, r, items)
	}
}

func followItems(entries []store.FollowEntry) []store.AccountItem {
	var out []store.AccountItem
	for _, e := range entries {
		out = append(out, store.AccountItem{Cursor: e.Follow.ID, Account: e.Account})
	}
	return out
}

func (s *Server) apiFollowRequests(w http.ResponseWriter, r *http.Request) {
	pg := storePage(mastodon.ParsePage(r.URL.Query(), 40, 80))
	entries, err := s.st.Followers(r.Context(), s.app.Owner.Account.ID, store.Pending, pg)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	s.writeAccountItems(w, r, followItems(entries))
}

// apiAnswerFollowRequest accepts or rejects the {id} account's pending follow request.
func (s *Server) apiAnswerFollowRequest(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := s.apiAccountParam(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		f, err := s.st.FollowBetween(ctx, a.ID, s.app.Owner.Account.ID)
		if err != nil || f.State != store.Pending {
			apiError(w, http.StatusNotFound, "Record not found")
			return
		}
		answer := s.app.RejectFollower
		if accept {
			answer = s.app.ApproveFollower
		}
		if _, err := answer(ctx, a.IRI); err != nil {
			s.apiActionError(w, err)
			return
		}
		writeAPI(w, http.StatusOK, s.relationship(ctx, a))
	}
}

// apiAccountList lists blocked or muted accounts.
func (s *Server) apiAccountList(list func(context.Context, store.Page) ([]store.AccountItem, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		items, err := list(r.Context(), storePage(mastodon.ParsePage(r.URL.Query(), 40, 80)))
		if err != nil {
			s.apiServerError(w, r, err)
			return
		}
		s.writeAccountItems(w, r, items)
	}
}

func (s *Server) apiDomainBlocks(w http.ResponseWriter, r *http.Request) {
	l, err := s.st.DomainBlocks(r.Context())
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	if l == nil {
		l = []string{}
	}
	writeAPI(w, http.StatusOK, l)
}

// apiBlockDomain blocks or unblocks the domain parameter.
func (s *Server) apiBlockDomain(block bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := readForm(r)
		if err != nil {
			apiError(w, http.StatusBadRequest, "the request body could not be read")
			return
		}
		domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(f.Get("domain"))), ".")
		if domain == "" || strings.ContainsAny(domain, " /@?#") {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: Domain is not a valid domain")
			return
		}
		if block && (s.app.OurHost(domain) || domain == strings.ToLower(s.cfg.HandleDomain)) {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: Domain is this server's own")
			return
		}
		op := s.st.UnblockDomain
		if block {
			op = s.st.BlockDomain
		}
		if err := op(r.Context(), domain); err != nil {
			s.apiServerError(w, r, err)
			return
		}
		writeAPI(w, http.StatusOK, map[string]any{})
	}
}

// Statuses

// apiOwnPost loads the {id} status, which must be the owner's.
func (s *Server) apiOwnPost(w http.ResponseWriter, r *http.Request) (*store.Post, bool) {
	p, ok := s.apiPostParam(w, r)
	if ok && p.AccountID != s.app.Owner.Account.ID {
		apiError(w, http.StatusNotFound, "Record not found")
		return nil, false
	}
	return p, ok
}

// apiEditStatus edits one of the owner's statuses. Its attachments cannot change in an edit, so
// media_ids must name the ones it has (or be left out); sensitive follows the spoiler text, as in
// EditPost.
func (s *Server) apiEditStatus(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, ok := s.apiOwnPost(w, r)
	if !ok {
		return
	}
	f, err := readForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	var poll *app.PollInput
	if hasPoll(f) {
		if poll, err = apiPollInput(f); err != nil {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+err.Error())
			return
		}
	}
	if ids := append(f["media_ids[]"], f["media_ids"]...); len(ids) > 0 {
		current, err := s.apiStatus(ctx, p)
		if err != nil {
			s.apiServerError(w, r, err)
			return
		}
		same := len(ids) == len(current.MediaAttachments)
		for _, id := range ids {
			same = same && slices.ContainsFunc(current.MediaAttachments, func(m mastodon.MediaAttachment) bool { return m.ID == id })
		}
		if !same {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: attachments cannot be changed by an edit")
			return
		}
	}
	edited, err := s.app.EditPost(ctx, app.EditInput{Post: idString(p.ID), Text: f.Get("status"),
		Summary: f.Get("spoiler_text"), Poll: poll, RemovePoll: poll == nil})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			apiError(w, http.StatusNotFound, "Record not found")
			return
		}
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+s.ownerMessage(err))
		return
	}
	if fresh, err := s.st.PostByID(ctx, edited.ID); err == nil {
		edited = fresh
	}
	st, err := s.apiStatus(ctx, edited)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, st)
}

// apiStatusEdit is Mastodon's StatusEdit entity: one version of a status.
type apiStatusEdit struct {
	Content          string                     `json:"content"`
	SpoilerText      string                     `json:"spoiler_text"`
	Sensitive        bool                       `json:"sensitive"`
	CreatedAt        string                     `json:"created_at"`
	Account          *mastodon.Account          `json:"account"`
	Poll             any                        `json:"poll"`
	MediaAttachments []mastodon.MediaAttachment `json:"media_attachments"`
	Emojis           []mastodon.Emoji           `json:"emojis"`
}

// apiStatusHistory lists a status's versions, oldest first, ending with the current one. Roost
// keeps earlier text and spoiler text; attachments and sensitivity are the current ones.
func (s *Server) apiStatusHistory(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, ok := s.apiPostParam(w, r)
	if !ok {
		return
	}
	cur, err := s.apiStatus(ctx, p)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	edits, err := s.st.Edits(ctx, p.ID)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	version := func(content, summary string, at time.Time) apiStatusEdit {
		return apiStatusEdit{Content: content, SpoilerText: summary, Sensitive: p.Sensitive, CreatedAt: apiTime(at),
			Account: cur.Account, MediaAttachments: cur.MediaAttachments, Emojis: cur.Emojis}
	}
	out := []apiStatusEdit{}
	for _, e := range edits {
		out = append(out, version(e.Content, e.Summary, e.CreatedAt))
	}
	out = append(out, version(p.Content, p.Summary, firstTime(p.Updated, p.Published)))
	writeAPI(w, http.StatusOK, out)
}

func (s *Server) apiStatusSource(w http.ResponseWriter, r *http.Request) {
	if p, ok := s.apiOwnPost(w, r); ok {
		writeAPI(w, http.StatusOK, map[string]string{"id": idString(p.ID), "text": p.Source, "spoiler_text": p.Summary})
	}
}

// apiStatusReactors lists the accounts that liked or boosted the {id} status.
func (s *Server) apiStatusReactors(list func(context.Context, int64, store.Page) ([]store.AccountItem, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.apiPostParam(w, r)
		if !ok {
			return
		}
		items, err := list(r.Context(), p.ID, storePage(mastodon.ParsePage(r.URL.Query(), 40, 80)))
		if err != nil {
			s.apiServerError(w, r, err)
			return
		}
		s.writeAccountItems(w, r, items)
	}
}

// apiPostList lists bookmarked or favourited statuses, paged by the bookmark or like.
func (s *Server) apiPostList(list func(context.Context, store.Page) ([]store.PostItem, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		items, err := list(ctx, storePage(mastodon.ParsePage(r.URL.Query(), 20, 40)))
		if err != nil {
			s.apiServerError(w, r, err)
			return
		}
		out := []*mastodon.Status{}
		for _, it := range items {
			if st, err := s.apiStatus(ctx, it.Post); err == nil {
				out = append(out, st)
			}
		}
		if len(items) > 0 {
			mastodon.SetLink(w, r, s.app.Base, idString(items[0].Cursor), idString(items[len(items)-1].Cursor), len(items))
		}
		writeAPI(w, http.StatusOK, out)
	}
}

// apiTagTimeline lists public statuses with a hashtag, by anyone Roost stored (local=true: the
// owner's only).
func (s *Server) apiTagTimeline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	var author int64
	if q.Get("local") == "true" {
		author = s.app.Owner.Account.ID
	}
	posts, err := s.st.HashtagTimeline(ctx, r.PathValue("hashtag"), author, storePage(mastodon.ParsePage(q, 20, 40)))
	if err != nil {
		s.apiServerError(w, r, err)
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
	if apiToken(r) == nil {
		s.writeStatuses(w, r, out)
		return
	}
	s.writeFilteredStatuses(w, r, "public", out)
}

// Conversations

// maxConversationPosts bounds the direct posts read to build the conversation list.
const maxConversationPosts = 400

// conversation is a direct thread: its root's ID and its direct posts, newest first.
type conversation struct {
	root  int64
	posts []*store.Post
}

// apiConversation is Mastodon's Conversation entity.
type apiConversation struct {
	ID         string              `json:"id"`
	Unread     bool                `json:"unread"`
	Accounts   []*mastodon.Account `json:"accounts"`
	LastStatus *mastodon.Status    `json:"last_status"`
}

// conversations groups the direct posts the owner wrote or is mentioned in by the root of their
// thread, most recently active first, less the ones the owner hid since their last post.
func (s *Server) conversations(ctx context.Context) ([]conversation, error) {
	posts, err := s.st.DirectPosts(ctx, s.app.Owner.Account.ID, maxConversationPosts)
	if err != nil {
		return nil, err
	}
	hidden, err := s.st.HiddenConversations(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*store.Post{}
	for _, p := range posts {
		byID[p.ID] = p
	}
	rootOf := func(p *store.Post) int64 {
		for n := 0; p.ReplyToID != 0 && n < 40; n++ {
			parent, ok := byID[p.ReplyToID]
			if !ok {
				var err error
				if parent, err = s.st.PostByID(ctx, p.ReplyToID); err != nil || parent.Visibility != store.Direct {
					break
				}
			}
			p = parent
		}
		return p.ID
	}
	var out []conversation
	index := map[int64]int{}
	for _, p := range posts {
		root := rootOf(p)
		if i, ok := index[root]; ok {
			out[i].posts = append(out[i].posts, p)
			continue
		}
		index[root] = len(out)
		out = append(out, conversation{root: root, posts: []*store.Post{p}})
	}
	return slices.DeleteFunc(out, func(c conversation) bool {
		last, ok := hidden[c.root]
		return ok && c.posts[0].ID <= last
	}), nil
}

func (s *Server) apiConversationOf(ctx context.Context, c conversation) (*apiConversation, error) {
	last, err := s.apiStatus(ctx, c.posts[0])
	if err != nil {
		return nil, err
	}
	out := &apiConversation{ID: idString(c.root), Accounts: []*mastodon.Account{}, LastStatus: last}
	seen := map[int64]bool{s.app.Owner.Account.ID: true}
	add := func(a *store.Account) {
		if !seen[a.ID] {
			seen[a.ID] = true
			out.Accounts = append(out.Accounts, s.apiAccount(ctx, a))
		}
	}
	for _, p := range c.posts {
		if a, err := s.st.AccountByID(ctx, p.AccountID); err == nil {
			add(a)
		}
		for _, t := range p.Tags {
			if t.Type == "Mention" {
				if a, err := s.st.AccountByIRI(ctx, t.Href); err == nil {
					add(a)
				}
			}
		}
	}
	return out, nil
}

// apiConversations lists direct conversations, paged by their last status's ID.
func (s *Server) apiConversations(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pg := mastodon.ParsePage(r.URL.Query(), 20, 40)
	convs, err := s.conversations(ctx)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	convs = slices.DeleteFunc(convs, func(c conversation) bool {
		id := c.posts[0].ID
		return (pg.MaxID > 0 && id >= pg.MaxID) || id <= max(pg.MinID, pg.SinceID)
	})
	if pg.MinID > 0 && len(convs) > pg.Limit {
		convs = convs[len(convs)-pg.Limit:] // the ones just above min_id
	} else if len(convs) > pg.Limit {
		convs = convs[:pg.Limit]
	}
	out := []*apiConversation{}
	for _, c := range convs {
		if api, err := s.apiConversationOf(ctx, c); err == nil {
			out = append(out, api)
		}
	}
	if len(convs) > 0 {
		mastodon.SetLink(w, r, s.app.Base, idString(convs[0].posts[0].ID), idString(convs[len(convs)-1].posts[0].ID), len(convs))
	}
	writeAPI(w, http.StatusOK, out)
}

func (s *Server) apiConversationParam(w http.ResponseWriter, r *http.Request) (*conversation, bool) {
	convs, err := s.conversations(r.Context())
	if err != nil {
		s.apiServerError(w, r, err)
		return nil, false
	}
	for _, c := range convs {
		if idString(c.root) == r.PathValue("id") {
			return &c, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

// apiReadConversation marks a conversation read; Roost does not track unread conversations, so it
// answers the conversation as it is.
func (s *Server) apiReadConversation(w http.ResponseWriter, r *http.Request) {
	c, ok := s.apiConversationParam(w, r)
	if !ok {
		return
	}
	api, err := s.apiConversationOf(r.Context(), *c)
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, api)
}

// apiHideConversation removes a conversation from the list until a new status arrives in it.
func (s *Server) apiHideConversation(w http.ResponseWriter, r *http.Request) {
	c, ok := s.apiConversationParam(w, r)
	if !ok {
		return
	}
	if err := s.st.HideConversation(r.Context(), c.root, c.posts[0].ID); err != nil {
		s.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}

// Filters (v2, https://docs.joinmastodon.org/methods/filters/)

// filterContexts are where a filter may apply.
var filterContexts = []string{"home", "notifications", "public", "thread", "account"}

// apiFilter is Mastodon's Filter entity.
type apiFilter struct {
	ID           string             `json:"id"`
	Title        string             `json:"title"`
	Context      []string           `json:"context"`
	ExpiresAt    *string            `json:"expires_at"`
	FilterAction string             `json:"filter_action"`
	Keywords     []apiFilterKeyword `json:"keywords"`
	Statuses     []any              `json:"statuses"`
}

// apiFilterKeyword is Mastodon's FilterKeyword entity.
type apiFilterKeyword struct {
	ID        string `json:"id"`
	Keyword   string `json:"keyword"`
	WholeWord bool   `json:"whole_word"`
}

// apiFilterResult is Mastodon's FilterResult entity, in a status's filtered list.
type apiFilterResult struct {
	Filter         *apiFilter `json:"filter"`
	KeywordMatches []string   `json:"keyword_matches"`
	StatusMatches  []string   `json:"status_matches"`
}

func apiFilterOf(f *store.Filter) *apiFilter {
	out := &apiFilter{ID: idString(f.ID), Title: f.Title, Context: f.Context, FilterAction: f.Action,
		Keywords: []apiFilterKeyword{}, Statuses: []any{}}
	if out.Context == nil {
		out.Context = []string{}
	}
	if !f.ExpiresAt.IsZero() {
		e := apiTime(f.ExpiresAt)
		out.ExpiresAt = &e
	}
	for _, k := range f.Keywords {
		out.Keywords = append(out.Keywords, apiFilterKeyword{ID: idString(k.ID), Keyword: k.Keyword, WholeWord: k.WholeWord})
	}
	return out
}

func (s *Server) apiFilters(w http.ResponseWriter, r *http.Request) {
	l, err := s.st.Filters(r.Context())
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	out := []*apiFilter{}
	for _, f := range l {
		out = append(out, apiFilterOf(f))
	}
	writeAPI(w, http.StatusOK, out)
}

// apiFiltersV1 lists the filters' keywords as v1 filters, one per keyword, as Mastodon does.
func (s *Server) apiFiltersV1(w http.ResponseWriter, r *http.Request) {
	l, err := s.st.Filters(r.Context())
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	out := []map[string]any{}
	for _, f := range l {
		api := apiFilterOf(f)
		for _, k := range f.Keywords {
			out = append(out, map[string]any{"id": idString(k.ID), "phrase": k.Keyword, "context": api.Context,
				"whole_word": k.WholeWord, "expires_at": api.ExpiresAt, "irreversible": f.Action == "hide"})
		}
	}
	writeAPI(w, http.StatusOK, out)
}

func (s *Server) apiFilterParam(w http.ResponseWriter, r *http.Request) (*store.Filter, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		if f, err := s.st.FilterByID(r.Context(), id); err == nil {
			return f, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

func (s *Server) apiGetFilter(w http.ResponseWriter, r *http.Request) {
	if f, ok := s.apiFilterParam(w, r); ok {
		writeAPI(w, http.StatusOK, apiFilterOf(f))
	}
}

func (s *Server) apiDeleteFilter(w http.ResponseWriter, r *http.Request) {
	f, ok := s.apiFilterParam(w, r)
	if !ok {
		return
	}
	if err := s.st.DeleteFilter(r.Context(), f.ID); err != nil {
		s.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}

// apiSaveFilter creates a filter (POST) or changes the {id} one (PUT): title, context[],
// filter_action, expires_in (seconds; empty for never) and keywords_attributes[] (keyword,
// whole_word; with id to change one, and _destroy to delete it).
func (s *Server) apiSaveFilter(w http.ResponseWriter, r *http.Request) {
	f := &store.Filter{Action: "warn"}
	if r.PathValue("id") != "" {
		var ok bool
		if f, ok = s.apiFilterParam(w, r); !ok {
			return
		}
	}
	form, err := readForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	invalid := func(msg string) { apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+msg) }
	if _, ok := form["title"]; ok || f.ID == 0 {
		f.Title = strings.TrimSpace(form.Get("title"))
		if f.Title == "" {
			invalid("Title can't be blank")
			return
		}
		if utf8.RuneCountInString(f.Title) > 256 {
			invalid("Title is too long (maximum is 256 characters)")
			return
		}
	}
	if ctxs := formList(form, "context"); len(ctxs) > 0 || f.ID == 0 {
		if len(ctxs) == 0 {
			invalid("Context can't be blank")
			return
		}
		f.Context = nil
		for _, c := range ctxs {
			if !slices.Contains(filterContexts, c) {
				invalid("Context contains invalid context values")
				return
			}
			if !slices.Contains(f.Context, c) {
				f.Context = append(f.Context, c)
			}
		}
	}
	if a := form.Get("filter_action"); a != "" {
		if a != "warn" && a != "hide" {
			invalid("Filter action is not included in the list")
			return
		}
		f.Action = a
	}
	if _, ok := form["expires_in"]; ok {
		f.ExpiresAt = time.Time{}
		if v := strings.TrimSpace(form.Get("expires_in")); v != "" {
			secs, err := strconv.ParseInt(v, 10, 64)
			if err != nil || secs <= 0 || secs > 100*365*24*3600 {
				invalid("Expires in must be a number of seconds")
				return
			}
			f.ExpiresAt = s.st.Now().Add(time.Duration(secs) * time.Second)
		}
	}
	for _, o := range formObjects(form, "keywords_attributes") {
		destroy, _ := formBool(url.Values{"d": {o["_destroy"]}}, "d")
		wholeWord, hasWholeWord := formBool(url.Values{"w": {o["whole_word"]}}, "w")
		hasWholeWord = hasWholeWord && o["whole_word"] != ""
		keyword := strings.TrimSpace(o["keyword"])
		if id := o["id"]; id != "" {
			i := slices.IndexFunc(f.Keywords, func(k store.FilterKeyword) bool { return idString(k.ID) == id })
			if i < 0 {
				apiError(w, http.StatusNotFound, "Record not found")
				return
			}
			if destroy {
				f.Keywords = slices.Delete(f.Keywords, i, i+1)
				continue
			}
			if keyword != "" {
				f.Keywords[i].Keyword = keyword
			}
			if hasWholeWord {
				f.Keywords[i].WholeWord = wholeWord
			}
			continue
		}
		if destroy {
			continue
		}
		if keyword == "" {
			invalid("Keyword can't be blank")
			return
		}
		if !hasWholeWord {
			wholeWord = true // Mastodon's default
		}
		f.Keywords = append(f.Keywords, store.FilterKeyword{Keyword: keyword, WholeWord: wholeWord})
	}
	if err := s.st.SaveFilter(r.Context(), f); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			apiError(w, http.StatusNotFound, "Record not found")
			return
		}
		s.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, apiFilterOf(f))
}

// statusFilter is a filter in force, ready to match statuses.
type statusFilter struct {
	api      *apiFilter
	hide     bool
	keywords []store.FilterKeyword
}

// activeFilters returns the filters in force in filterContext.
func (s *Server) activeFilters(ctx context.Context, filterContext string) []statusFilter {
	l, err := s.st.Filters(ctx)
	if err != nil {
		s.log.Warn("load filters", "err", err)
		return nil
	}
	now := s.st.Now()
	var out []statusFilter
	for _, f := range l {
		if !slices.Contains(f.Context, filterContext) || len(f.Keywords) == 0 ||
			(!f.ExpiresAt.IsZero() && !f.ExpiresAt.After(now)) {
			continue
		}
		out = append(out, statusFilter{api: apiFilterOf(f), hide: f.Action == "hide", keywords: f.Keywords})
	}
	return out
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// keywordIn reports whether keyword occurs in text, case-insensitively. A whole-word keyword
// must not continue a word on either side where it starts or ends with a word character, as
// Mastodon's \b-bounded pattern (app/models/custom_filter.rb).
func keywordIn(text string, k store.FilterKeyword) bool {
	text, kw := strings.ToLower(text), strings.ToLower(k.Keyword)
	if kw == "" {
		return false
	}
	first, _ := utf8.DecodeRuneInString(kw)
	last, _ := utf8.DecodeLastRuneInString(kw)
	for i := 0; i <= len(text)-len(kw); {
		j := strings.Index(text[i:], kw)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(kw)
		if !k.WholeWord {
			return true
		}
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (!isWordRune(first) || start == 0 || !isWordRune(before)) &&
			(!isWordRune(last) || end == len(text) || !isWordRune(after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		i = start + size
	}
	return false
}

// filterText is what filters match in a status: its text, spoiler text and media descriptions.
func (s *Server) filterText(st *mastodon.Status) string {
	parts := []string{s.app.Sanitize.Text(st.Content), st.SpoilerText}
	for _, m := range st.MediaAttachments {
		if m.Description != nil {
			parts = append(parts, *m.Description)
		}
	}
	return strings.Join(parts, "\n")
}

// match applies filters to st (the boosted status, for a boost): it reports false when a "hide"
// filter matches, and otherwise lists the matching "warn" filters in filtered.
func (s *Server) match(filters []statusFilter, st *mastodon.Status) bool {
	target := st
	if st.Reblog != nil {
		target = st.Reblog
	}
	text := s.filterText(target)
	var results []any
	for _, f := range filters {
		var matches []string
		for _, k := range f.keywords {
			if keywordIn(text, k) {
				matches = append(matches, k.Keyword)
			}
		}
		if len(matches) == 0 {
			continue
		}
		if f.hide {
			return false
		}
		results = append(results, apiFilterResult{Filter: f.api, KeywordMatches: matches})
	}
	if len(results) > 0 {
		st.Filtered = append(st.Filtered, results...)
		if st.Reblog != nil {
			st.Reblog.Filtered = append(st.Reblog.Filtered, results...)
		}
	}
	return true
}

// filterStatuses applies the owner's filters of filterContext to a list of statuses: those a
// "hide" filter matches are dropped, those a "warn" filter matches say so in filtered.
func (s *Server) filterStatuses(ctx context.Context, filterContext string, list []*mastodon.Status) []*mastodon.Status {
	filters := s.activeFilters(ctx, filterContext)
	if len(filters) == 0 {
		return list
	}
	return slices.DeleteFunc(list, func(st *mastodon.Status) bool { return !s.match(filters, st) })
}

// filterNotifications applies the owner's "notifications" filters to the statuses of
// notifications, dropping the notifications whose status a "hide" filter matches.
func (s *Server) filterNotifications(ctx context.Context, list []*mastodon.Notification) []*mastodon.Notification {
	filters := s.activeFilters(ctx, "notifications")
	if len(filters) == 0 {
		return list
	}
	return slices.DeleteFunc(list, func(n *mastodon.Notification) bool { return n.Status != nil && !s.match(filters, n.Status) })
}
