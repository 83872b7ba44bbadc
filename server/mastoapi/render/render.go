// Package render renders the store's rows (accounts, posts, timeline entries, notifications,
// polls, uploads) as the Mastodon client API's JSON entities, for the API and its streaming.
package render

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"roost/server/app"
	"roost/server/mastoapi/oauth"
	"roost/server/mastodon"
	"roost/server/media"
	"roost/static"
	"roost/store"
	"roost/store/about"
	"roost/store/emojis"
)

// Renderer renders rows as the API's entities, with the URLs of the server they are served from.
type Renderer struct {
	app    *app.App
	st     *store.Store
	assets *static.Assets
	media  *media.Library
	proxy  *media.Proxy // nil: remote images are shown from their origin
}

// New builds a Renderer over the core. proxy may be nil (the media proxy is off).
func New(core *app.App, st *store.Store, assets *static.Assets, proxy *media.Proxy) *Renderer {
	return &Renderer{app: core, st: st, assets: assets, media: core.Media, proxy: proxy}
}

// Time is a time as the API writes it (UTC, milliseconds); the zero time is the Unix epoch.
func Time(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// ID is a row's ID as the API writes it, a decimal string.
func ID(id int64) string { return strconv.FormatInt(id, 10) }

// Account is an account as the Mastodon API shows it.
func (r *Renderer) Account(ctx context.Context, a *store.Account) *mastodon.Account {
	acct := a.Handle()
	if a.Local {
		acct = a.Username
	}
	avatar := a.AvatarURL
	if avatar == "" {
		avatar = r.app.Base + r.assets.URL("avatar.png")
	}
	header := a.HeaderURL
	if header == "" {
		header = r.app.Base + r.assets.URL("header.png")
	}
	out := &mastodon.Account{
		ID: ID(a.ID), Username: a.Username, Acct: acct, DisplayName: a.DisplayName, Locked: a.Locked,
		Bot: a.Bot, Discoverable: a.Discoverable, Indexable: a.Indexable, Group: a.Type == "Group",
		CreatedAt: Time(FirstTime(a.Published, a.CreatedAt)), Note: a.Summary, URL: app.ProfileURL(a), URI: a.IRI,
		Avatar: r.imageSrcAbs(avatar), AvatarStatic: r.imageSrcAbs(avatar), Header: r.imageSrcAbs(header),
		HeaderStatic: r.imageSrcAbs(header), HideCollection: a.HideNetwork, Noindex: !a.Indexable || a.NoIndex,
		Emojis: []mastodon.Emoji{}, Roles: []any{}, Fields: []mastodon.Field{},
	}
	for _, f := range a.Fields {
		out.Fields = append(out.Fields, mastodon.Field{Name: f.Name, Value: f.Value})
	}
	// The owner's hidden network, and their followers-only and direct posts, are counted for
	// the owner only; a remote account is counted as far as everyone may see it.
	self := a.Local && oauth.Viewer(ctx).Owner
	if self || !a.HideNetwork {
		out.FollowersCount, out.FollowingCount, _ = r.st.CountFollows(ctx, a.ID)
	}
	out.StatusesCount, _ = r.st.CountPosts(ctx, a.ID, !self)
	// A remote account's own counts, when its server gave them, not Roost's tallies of what it has.
	if !a.Local {
		if c, err := about.New(r.st).CountsOf(ctx, a.ID); err == nil {
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
	if t, err := r.st.LastPostAt(ctx, a.ID, !self); err == nil {
		d := t.UTC().Format("2006-01-02")
		out.LastStatusAt = &d
	}
	return out
}

// imageSrcAbs is the URL a client shows a remote image from (the media proxy's, when it is on)
// as an absolute URL, as API clients need.
func (r *Renderer) imageSrcAbs(u string) string {
	src := r.app.ImageSrc(r.proxy, u)
	if strings.HasPrefix(src, "/") {
		return r.app.Base + src
	}
	return src
}

// FirstTime is the first of ts that is set.
func FirstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// errNotVisible is Status's answer for a post the request may not see.
var errNotVisible = errors.New("not visible to this viewer")

// Status is a post as the Mastodon API shows it to the request in ctx (oauth.Viewer): the
// owner's flags (liked, bookmarked) and the Markdown source for the owner only, and
// errNotVisible for a post the viewer may not see (visibility.go). Every route that returns a
// status renders it here.
func (r *Renderer) Status(ctx context.Context, p *store.Post) (*mastodon.Status, error) {
	return r.statusAt(ctx, p, 0)
}

// statusAt is Status for a status depth quotes down.
func (r *Renderer) statusAt(ctx context.Context, p *store.Post, depth int) (*mastodon.Status, error) {
	v := oauth.Viewer(ctx)
	if !r.app.MaySee(ctx, v, p) {
		return nil, errNotVisible
	}
	author, err := r.st.AccountByID(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	st := &mastodon.Status{
		ID: ID(p.ID), URI: p.IRI, CreatedAt: Time(p.Published), Account: r.Account(ctx, author),
		Content: p.Content, Visibility: mastodon.Visibility(p.Visibility), Sensitive: p.Sensitive,
		SpoilerText: p.Summary, MediaAttachments: []mastodon.MediaAttachment{}, Mentions: []mastodon.Mention{},
		Tags: []mastodon.Tag{}, Emojis: []mastodon.Emoji{}, Filtered: []any{},
	}
	if p.URL != "" {
		u := p.URL
		st.URL = &u
	}
	if !p.Updated.IsZero() {
		e := Time(p.Updated)
		st.EditedAt = &e
	}
	if p.Language != "" {
		l := p.Language
		st.Language = &l
	}
	if p.ReplyToID != 0 {
		id := ID(p.ReplyToID)
		st.InReplyToID = &id
		if parent, err := r.st.PostByID(ctx, p.ReplyToID); err == nil {
			aid := ID(parent.AccountID)
			st.InReplyToAccountID = &aid
		}
	}
	// The owner's uploads keep their media IDs and meta, so an app sees the IDs it uploaded.
	var uploads []*store.Media
	if p.AccountID == r.app.Owner.Account.ID && len(p.Attachments) > 0 {
		uploads, _ = r.st.PostMedia(ctx, p.ID)
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
		src := r.imageSrcAbs(r.app.PostMediaURL(p, a.URL))
		preview := r.app.PostMediaURL(p, a.PreviewURL)
		if preview == "" {
			preview = src
		}
		m := mastodon.MediaAttachment{ID: ID(p.ID) + strconv.Itoa(i), Type: kind, URL: src,
			PreviewURL: preview}
		if !r.app.IsLocal(a.URL) {
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
			if r.media.URL(u.Name) == a.URL {
				m.ID, m.Meta = ID(u.ID), MediaMeta(u)
			}
		}
		st.MediaAttachments = append(st.MediaAttachments, m)
	}
	for _, t := range p.Tags {
		switch t.Type {
		case "Mention":
			if a, err := r.st.AccountByIRI(ctx, t.Href); err == nil {
				acct := a.Handle()
				if a.Local {
					acct = a.Username
				}
				st.Mentions = append(st.Mentions, mastodon.Mention{ID: ID(a.ID), Username: a.Username,
					URL: app.ProfileURL(a), Acct: acct})
			}
		case "Hashtag":
			name := strings.TrimPrefix(t.Name, "#")
			st.Tags = append(st.Tags, mastodon.Tag{Name: strings.ToLower(name), URL: r.app.TagURL(name)})
		case "Emoji":
			if t.Icon != "" {
				code := strings.Trim(t.Name, ":")
				st.Emojis = append(st.Emojis, mastodon.Emoji{Shortcode: code, URL: r.imageSrcAbs(t.Icon),
					StaticURL: r.imageSrcAbs(t.Icon)})
			}
		}
	}
	if c, err := r.st.CountsFor(ctx, p, r.app.Owner.Account.ID); err == nil {
		st.RepliesCount, st.FavouritesCount, st.ReblogsCount = c.Replies, c.Likes, c.Boosts
		if v.Owner {
			st.Favourited, st.Reblogged, st.Bookmarked = c.Liked, c.Boosted, c.Bookmarked
		}
	}
	if v.Owner {
		st.Muted, _ = r.st.ThreadMuted(ctx, p.ID)
	}
	if st.FavouritesCount > 0 {
		if list, err := emojis.New(r.st).Of(ctx, p.ID, r.app.Owner.Account.ID); err == nil && len(list) > 0 {
			st.Pleroma = &mastodon.StatusPleroma{}
			for _, e := range list {
				er := mastodon.EmojiReaction{Name: strings.Trim(e.Emoji, ":"), Count: e.Count, Me: e.Me && v.Owner}
				if e.URL != "" {
					u := r.imageSrcAbs(e.URL)
					er.URL = &u
				}
				st.Pleroma.EmojiReactions = append(st.Pleroma.EmojiReactions, er)
			}
		}
	}
	st.Pinned = !p.PinnedAt.IsZero()
	st.Poll = r.Poll(p)
	st.Quote = r.quote(ctx, p, depth)
	if p.AccountID == r.app.Owner.Account.ID && v.Owner {
		src := p.Source
		st.Text = &src
	}
	return st, nil
}

// Entry is a timeline entry: a status, or a boost wrapping one.
func (r *Renderer) Entry(ctx context.Context, e store.Entry) (*mastodon.Status, error) {
	p, err := r.st.PostByID(ctx, e.PostID)
	if err != nil {
		return nil, err
	}
	st, err := r.Status(ctx, p)
	if err != nil || e.BoosterID == 0 {
		return st, err
	}
	booster, err := r.st.AccountByID(ctx, e.BoosterID)
	if err != nil {
		return nil, err
	}
	// A boost's uri is its Announce's id, as Mastodon shows it.
	uri := st.URI
	if b, err := r.st.BoostOf(ctx, e.BoosterID, e.PostID); err == nil && b.IRI != "" {
		uri = b.IRI
	}
	return &mastodon.Status{ID: ID(e.ID), URI: uri, CreatedAt: Time(store.IDTime(e.ID)),
		Account: r.Account(ctx, booster), Visibility: "public", Reblog: st, MediaAttachments: []mastodon.MediaAttachment{},
		Mentions: []mastodon.Mention{}, Tags: []mastodon.Tag{}, Emojis: []mastodon.Emoji{}, Filtered: []any{},
		Favourited: st.Favourited, Reblogged: st.Reblogged, Bookmarked: st.Bookmarked}, nil
}

// quote is Mastodon's Quote entity for a post that quotes one Roost has, or nil. The quoted
// status's own quote is left out (Mastodon sends a ShallowQuote there), so a chain of quotes
// costs one look-up.
func (r *Renderer) quote(ctx context.Context, p *store.Post, depth int) *mastodon.Quote {
	iri := app.PostQuote(p)
	if iri == "" || depth > 0 {
		return nil
	}
	quoted, err := r.st.PostByIRI(ctx, iri)
	if err != nil || !quoted.DeletedAt.IsZero() {
		return nil
	}
	st, err := r.statusAt(ctx, quoted, depth+1)
	if err != nil {
		return nil
	}
	return &mastodon.Quote{State: "accepted", QuotedStatus: st}
}

// Poll is the Mastodon Poll entity of a post, or nil when it has no poll.
func (r *Renderer) Poll(p *store.Post) *mastodon.Poll {
	pl := p.Poll
	if pl == nil {
		return nil
	}
	out := &mastodon.Poll{ID: ID(p.ID), Expired: app.PollExpired(pl, time.Now()), Multiple: pl.Multiple,
		Voted: len(pl.OwnVotes) > 0, OwnVotes: pl.OwnVotes, Emojis: []mastodon.Emoji{}}
	if out.OwnVotes == nil {
		out.OwnVotes = []int{}
	}
	if end := app.PollEnds(pl); !end.IsZero() {
		e := Time(end)
		out.ExpiresAt = &e
	}
	for i, name := range pl.Options {
		out.Options = append(out.Options, mastodon.PollOption{Title: name, VotesCount: pl.Votes[i]})
		out.VotesCount += pl.Votes[i]
	}
	// A single-choice poll has as many voters as votes; a multiple-choice one only knows its
	// voters when its server says (Mastodon's votersCount).
	switch {
	case pl.VotersCount > 0:
		out.VotersCount = &pl.VotersCount
	case !pl.Multiple:
		out.VotersCount = &out.VotesCount
	}
	return out
}

func (r *Renderer) Notification(ctx context.Context, n store.Notification) (*mastodon.Notification, error) {
	a, err := r.st.AccountByID(ctx, n.AccountID)
	if err != nil {
		return nil, err
	}
	out := &mastodon.Notification{ID: ID(n.ID), Type: n.Type, CreatedAt: Time(n.CreatedAt),
		GroupKey: mastodon.GroupKey(n.Type, n.PostID, n.ID, n.CreatedAt), Account: r.Account(ctx, a)}
	if n.Type == "favourite" {
		// A like with an emoji is an emoji reaction, as Pleroma and Akkoma tell their apps.
		if e, ok, err := emojis.New(r.st).ReactionOf(ctx, n.AccountID, n.PostID); err == nil && ok {
			out.Type, out.Emoji = "pleroma:emoji_reaction", e.Emoji
			if e.URL != "" {
				out.EmojiURL = r.imageSrcAbs(e.URL)
			}
		}
	}
	if n.PostID != 0 {
		p, err := r.st.PostByID(ctx, n.PostID)
		if err != nil {
			return nil, err
		}
		if out.Status, err = r.Status(ctx, p); err != nil {
			return nil, err
		}
	}
	if n.Type == "move" && a.MovedTo != "" {
		// The account it moved to, when Roost knows it (the Move was checked against it).
		if target, err := r.st.AccountByIRI(ctx, a.MovedTo); err == nil {
			out.Target = r.Account(ctx, target)
		}
	}
	return out, nil
}

// MediaMeta is the meta of an upload: original and small sizes, and the focal point.
func MediaMeta(m *store.Media) map[string]any {
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

// Media is an upload as Mastodon's MediaAttachment entity.
func (r *Renderer) Media(m *store.Media) mastodon.MediaAttachment {
	out := mastodon.MediaAttachment{ID: ID(m.ID), Type: "image", URL: r.media.URL(m.Name),
		PreviewURL: r.media.URL(m.ThumbName), Meta: MediaMeta(m)}
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
