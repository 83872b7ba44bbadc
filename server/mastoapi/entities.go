package mastoapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"roost/server/app"
	"roost/server/mastodon"
	"roost/store"
)

func apiTime(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func writeAPI(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// apiAccount is an account as the Mastodon API shows it.
func (h *Handler) apiAccount(ctx context.Context, a *store.Account) *mastodon.Account {
	acct := a.Handle()
	if a.Local {
		acct = a.Username
	}
	avatar := a.AvatarURL
	if avatar == "" {
		avatar = h.app.Base + h.assets.URL("avatar.png")
	}
	header := a.HeaderURL
	if header == "" {
		header = h.app.Base + h.assets.URL("header.png")
	}
	out := &mastodon.Account{
		ID: idString(a.ID), Username: a.Username, Acct: acct, DisplayName: a.DisplayName, Locked: a.Locked,
		Bot: a.Bot, Discoverable: a.Discoverable, Indexable: a.Indexable, Group: a.Type == "Group",
		CreatedAt: apiTime(firstTime(a.Published, a.CreatedAt)), Note: a.Summary, URL: app.ProfileURL(a), URI: a.IRI,
		Avatar: h.imageSrcAbs(avatar), AvatarStatic: h.imageSrcAbs(avatar), Header: h.imageSrcAbs(header),
		HeaderStatic: h.imageSrcAbs(header), HideCollection: a.HideNetwork, Noindex: !a.Indexable,
		Emojis: []mastodon.Emoji{}, Roles: []any{}, Fields: []mastodon.Field{},
	}
	for _, f := range a.Fields {
		out.Fields = append(out.Fields, mastodon.Field{Name: f.Name, Value: f.Value})
	}
	// The owner's hidden network, and their followers-only and direct posts, are counted for
	// the owner only; a remote account is counted as far as everyone may see it.
	self := a.Local && apiViewer(ctx).Owner
	if self || !a.HideNetwork {
		out.FollowersCount, out.FollowingCount, _ = h.st.CountFollows(ctx, a.ID)
	}
	out.StatusesCount, _ = h.st.CountPosts(ctx, a.ID, !self)
	// A remote account's own counts, when its server gave them, not Roost's tallies of what it has.
	if !a.Local {
		if c, err := h.st.RemoteCountsOf(ctx, a.ID); err == nil {
			if c.Followers >= 0 && !a.HideNetwork {
				out.FollowersCount = c.Followers
			}
			if c.Following >= 0 && !a.HideNetwork {
				out.FollowingCount = c.Following
			}
			if c.Statuses >= 0 {
				out.StatusesCount = c.Statuses
			}
		}
	}
	// Mastodon gives the day only (Account#last_status_at is a date).
	if t, err := h.st.LastPostAt(ctx, a.ID, !self); err == nil {
		d := t.UTC().Format("2006-01-02")
		out.LastStatusAt = &d
	}
	return out
}

// imageSrcAbs is imageSrc as an absolute URL, as API clients need.
func (h *Handler) imageSrcAbs(u string) string {
	src := h.imageSrc(u)
	if strings.HasPrefix(src, "/") {
		return h.app.Base + src
	}
	return src
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// errNotVisible is apiStatus's answer for a post the request may not see.
var errNotVisible = errors.New("not visible to this viewer")

// apiStatus is a post as the Mastodon API shows it to the request in ctx (apiViewer): the
// owner's flags (liked, bookmarked) and the Markdown source for the owner only, and
// errNotVisible for a post the viewer may not see (visibility.go). Every route that returns a
// status renders it here.
func (h *Handler) apiStatus(ctx context.Context, p *store.Post) (*mastodon.Status, error) {
	return h.apiStatusAt(ctx, p, 0)
}

// apiStatusAt is apiStatus for a status depth quotes down.
func (h *Handler) apiStatusAt(ctx context.Context, p *store.Post, depth int) (*mastodon.Status, error) {
	v := apiViewer(ctx)
	if !h.app.MaySee(ctx, v, p) {
		return nil, errNotVisible
	}
	author, err := h.st.AccountByID(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	st := &mastodon.Status{
		ID: idString(p.ID), URI: p.IRI, CreatedAt: apiTime(p.Published), Account: h.apiAccount(ctx, author),
		Content: p.Content, Visibility: mastodon.Visibility(p.Visibility), Sensitive: p.Sensitive,
		SpoilerText: p.Summary, MediaAttachments: []mastodon.MediaAttachment{}, Mentions: []mastodon.Mention{},
		Tags: []mastodon.Tag{}, Emojis: []mastodon.Emoji{}, Filtered: []any{},
	}
	if p.URL != "" {
		u := p.URL
		st.URL = &u
	}
	if !p.Updated.IsZero() {
		e := apiTime(p.Updated)
		st.EditedAt = &e
	}
	if p.Language != "" {
		l := p.Language
		st.Language = &l
	}
	if p.ReplyToID != 0 {
		id := idString(p.ReplyToID)
		st.InReplyToID = &id
		if parent, err := h.st.PostByID(ctx, p.ReplyToID); err == nil {
			aid := idString(parent.AccountID)
			st.InReplyToAccountID = &aid
		}
	}
	// The owner's uploads keep their media IDs and meta, so an app sees the IDs it uploaded.
	var uploads []*store.Media
	if p.AccountID == h.app.Owner.Account.ID && len(p.Attachments) > 0 {
		uploads, _ = h.st.PostMedia(ctx, p.ID)
	}
	for i, a := range p.Attachments {
		kind := "unknown"
		switch {
		case strings.HasPrefix(a.MediaType, "image/gif"):
			kind = "image"
		case strings.HasPrefix(a.MediaType, "image/"), a.Type == "Image":
			kind = "image"
		case strings.HasPrefix(a.MediaType, "video/"):
			kind = "video"
		case strings.HasPrefix(a.MediaType, "audio/"):
			kind = "audio"
		}
		// A non-public post's own files carry their capability token: apps load images without
		// the owner's token.
		src := h.imageSrcAbs(h.app.PostMediaURL(p, a.URL))
		preview := h.app.PostMediaURL(p, a.PreviewURL)
		if preview == "" {
			preview = src
		}
		m := mastodon.MediaAttachment{ID: idString(p.ID) + strconv.Itoa(i), Type: kind, URL: src,
			PreviewURL: preview}
		if !h.app.IsLocal(a.URL) {
			u := a.URL
			m.RemoteURL = &u
			if a.PreviewURL != "" {
				pu := a.PreviewURL
				m.PreviewRemoteURL = &pu
			}
		}
		if a.Name != "" {
			d := a.Name
			m.Description = &d
		}
		if a.Blurhash != "" {
			b := a.Blurhash
			m.Blurhash = &b
		}
		meta := map[string]any{}
		if a.Width > 0 && a.Height > 0 {
			meta["original"] = map[string]any{"width": a.Width, "height": a.Height,
				"size": strconv.Itoa(a.Width) + "x" + strconv.Itoa(a.Height), "aspect": float64(a.Width) / float64(a.Height)}
		}
		if len(a.FocalPoint) == 2 {
			meta["focus"] = map[string]float64{"x": a.FocalPoint[0], "y": a.FocalPoint[1]}
		}
		m.Meta = meta
		for _, u := range uploads {
			if h.media.URL(u.Name) == a.URL {
				m.ID, m.Meta = idString(u.ID), apiMediaMeta(u)
			}
		}
		st.MediaAttachments = append(st.MediaAttachments, m)
	}
	for _, t := range p.Tags {
		switch t.Type {
		case "Mention":
			if a, err := h.st.AccountByIRI(ctx, t.Href); err == nil {
				acct := a.Handle()
				if a.Local {
					acct = a.Username
				}
				st.Mentions = append(st.Mentions, mastodon.Mention{ID: idString(a.ID), Username: a.Username,
					URL: app.ProfileURL(a), Acct: acct})
			}
		case "Hashtag":
			name := strings.TrimPrefix(t.Name, "#")
			st.Tags = append(st.Tags, mastodon.Tag{Name: strings.ToLower(name), URL: h.app.TagURL(name)})
		case "Emoji":
			if t.Icon != "" {
				code := strings.Trim(t.Name, ":")
				st.Emojis = append(st.Emojis, mastodon.Emoji{Shortcode: code, URL: h.imageSrcAbs(t.Icon),
					StaticURL: h.imageSrcAbs(t.Icon)})
			}
		}
	}
	if c, err := h.st.CountsFor(ctx, p, h.app.Owner.Account.ID); err == nil {
		st.RepliesCount, st.FavouritesCount, st.ReblogsCount = c.Replies, c.Likes, c.Boosts
		if v.Owner {
			st.Favourited, st.Reblogged, st.Bookmarked = c.Liked, c.Boosted, c.Bookmarked
		}
	}
	if v.Owner {
		st.Muted, _ = h.st.ThreadMuted(ctx, p.ID)
	}
	st.Pinned = !p.PinnedAt.IsZero()
	st.Poll = h.apiPoll(p)
	st.Quote = h.apiQuote(ctx, p, depth)
	if p.AccountID == h.app.Owner.Account.ID && v.Owner {
		src := p.Source
		st.Text = &src
	}
	return st, nil
}

// apiEntry is a timeline entry: a status, or a boost wrapping one.
func (h *Handler) apiEntry(ctx context.Context, e store.Entry) (*mastodon.Status, error) {
	p, err := h.st.PostByID(ctx, e.PostID)
	if err != nil {
		return nil, err
	}
	st, err := h.apiStatus(ctx, p)
	if err != nil || e.BoosterID == 0 {
		return st, err
	}
	booster, err := h.st.AccountByID(ctx, e.BoosterID)
	if err != nil {
		return nil, err
	}
	// A boost's uri is its Announce's id, as Mastodon shows it.
	uri := st.URI
	if b, err := h.st.BoostOf(ctx, e.BoosterID, e.PostID); err == nil && b.IRI != "" {
		uri = b.IRI
	}
	return &mastodon.Status{ID: idString(e.ID), URI: uri, CreatedAt: apiTime(store.IDTime(e.ID)),
		Account: h.apiAccount(ctx, booster), Visibility: "public", Reblog: st, MediaAttachments: []mastodon.MediaAttachment{},
		Mentions: []mastodon.Mention{}, Tags: []mastodon.Tag{}, Emojis: []mastodon.Emoji{}, Filtered: []any{},
		Favourited: st.Favourited, Reblogged: st.Reblogged, Bookmarked: st.Bookmarked}, nil
}
