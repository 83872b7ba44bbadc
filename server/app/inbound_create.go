package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"roost/server/activitypub"
	"roost/server/content"
	"roost/server/remote"
	"roost/store"
)

// object returns the activity's object as a post: the embedded copy when the signer is its author
// on the same origin, else a copy fetched from its origin (never trusting the sender's copy of
// someone else's object). The author must be the signer.
func (h *handling) object(ctx context.Context) (*activitypub.Object, error) {
	id := h.act.Object.ID
	if id == "" {
		return nil, reject("no object id")
	}
	if h.s.IsLocal(id) {
		return nil, reject("a remote activity about local object %s", id)
	}
	if h.act.Object.IsEmbedded() {
		o, err := h.act.Object.Object()
		if err == nil && o.AttributedTo.ID == h.signer.IRI && remote.SameOrigin(o.ID, h.signer.IRI) {
			return o, nil
		}
	}
	body, err := h.s.Resolve.FetchAS(ctx, id)
	if err != nil {
		return nil, err
	}
	o, err := activitypub.DecodeObject(body)
	if err != nil {
		return nil, err
	}
	if o.ID != id {
		return nil, reject("fetched %s but got %s", id, o.ID)
	}
	if o.AttributedTo.ID != h.signer.IRI {
		return nil, reject("%s is attributed to %s, not to the sender %s", id, o.AttributedTo.ID, h.signer.IRI)
	}
	if !remote.SameOrigin(o.ID, h.signer.IRI) {
		// An object lives on its author's server (FEP-fe34): anything else could be a document
		// someone placed on a third server.
		return nil, reject("%s is not on the origin of its author %s", id, h.signer.IRI)
	}
	return o, nil
}

func (h *handling) create(ctx context.Context) error {
	s := h.s
	if _, err := s.st.PostByIRI(ctx, h.act.Object.ID); err == nil {
		return h.drop("a Create of a post already stored") // Misskey and WriteFreely send some twice
	}
	o, err := h.object(ctx)
	if err != nil {
		return err
	}
	if !activitypub.IsPostType(o.Type) {
		return h.drop("a Create of an object that is not a post: " + o.Type)
	}
	if o.Name != "" && o.InReplyTo.ID != "" && s.Sanitize.Text(o.HTML()) == "" {
		// A vote: a Note with a name and no text, in reply to a poll. Its content may hold empty
		// markup (snac sends "<br>").
		if parent, err := s.st.PostByIRI(ctx, o.InReplyTo.ID); err == nil && parent.AccountID == h.owner.ID {
			if pl := parent.Poll; pl != nil {
				return s.receiveVote(ctx, parent, pl, o, h.signer)
			}
		}
	}
	// Relevance first: most of a busy inbox is posts nobody here reads, not worth sanitizing. A
	// post that mentions, replies to or quotes the owner is kept whoever wrote it.
	notices, concerns, err := s.postNotices(ctx, o, h.signer)
	if err != nil {
		return err
	}
	mentionsOwner := namesOwner(o, h.owner)
	relevant := mentionsOwner || concerns
	if !relevant {
		following, err := s.st.IsFollowing(ctx, h.owner.ID, h.signer.ID)
		if err != nil {
			return err
		}
		relevant = following
	}
	if !relevant && visibilityOf(o.To, o.CC, h.signer.FollowersURL) == store.Public {
		var tags []string
		for _, t := range o.Tag {
			if t.Type == "Hashtag" {
				tags = append(tags, t.Name)
			}
		}
		if relevant, err = s.Tags.AnyFollowed(ctx, tags); err != nil {
			return err
		}
	}
	if !relevant {
		return h.drop("a post from no one the owner follows, nor about them, nor with a tag they follow")
	}
	p, _ := s.postFromObject(o, h.signer, h.owner)
	status, err := s.statusNotices(ctx, p, h.signer)
	if err != nil {
		return err
	}
	notices = append(notices, status...)
	var mentions []int64
	if mentionsOwner {
		mentions = append(mentions, h.owner.ID)
	}
	err = s.st.InsertRemotePost(ctx, p, mentions, notices...)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	if err == nil {
		s.Backfill.Ancestors(p)
	}
	return err
}

// postFromObject converts a remote Note (or Article, Question, ...) to a post row, sanitizing its
// HTML, and reports whether it names the owner (addressed or mentioned).
func (s *App) postFromObject(o *activitypub.Object, author, owner *store.Account) (*store.Post, bool) {
	published := o.PublishedTime()
	if published.IsZero() || published.After(time.Now()) {
		published = time.Now()
	}
	p := &store.Post{
		ID:         store.IDAt(published, o.ID),
		IRI:        o.ID,
		AccountID:  author.ID,
		URL:        content.SafeURL(o.URL.First()),
		Type:       o.Type,
		Visibility: visibilityOf(o.To, o.CC, author.FollowersURL),
		InReplyTo:  o.InReplyTo.ID,
		Summary:    content.TruncateRunes(s.Sanitize.Text(o.Summary), 1000),
		Sensitive:  o.Sensitive,
		Content:    string(s.Sanitize.Remote(o.HTML())),
		To:         o.To,
		CC:         o.CC,
		Published:  published,
		Updated:    o.UpdatedTime(),
	}
	if len(p.Content) > activitypub.MaxContentBytes {
		// 10,000 characters escape to at most 60 KB.
		text := content.TruncateRunes(s.Sanitize.Text(o.HTML()), 10_000)
		p.Content = "<p>" + strings.ReplaceAll(HTMLEscape(text), "\n", "<br>") + "…</p>"
	}
	if p.URL == "" {
		p.URL = o.ID
	}
	if o.Type == "ChatMessage" {
		// honk's and Pleroma's private messages: shown as what Mastodon calls a direct post.
		p.Type, p.Visibility = "Note", store.Direct
	}
	if o.Type == "Article" || o.Type == "Page" {
		if name := s.Sanitize.Text(o.Name); name != "" && !strings.Contains(p.Content, name) {
			p.Content = "<p><strong>" + HTMLEscape(name) + "</strong></p>" + p.Content
		}
	}
	for lang := range o.ContentMap {
		p.Language = content.TruncateRunes(lang, 16)
		break
	}
	for _, t := range o.Tag {
		switch t.Type {
		case "Mention":
			p.Tags = append(p.Tags, store.Tag{Type: "Mention", Name: s.Sanitize.Text(t.Name), Href: content.SafeURL(t.Href)})
		case "Hashtag":
			// honk lists each hashtag twice: keep one.
			tag := store.Tag{Type: "Hashtag", Name: s.Sanitize.Text(t.Name), Href: content.SafeURL(t.Href)}
			if !slices.ContainsFunc(p.Tags, func(o store.Tag) bool {
				return o.Type == "Hashtag" && strings.EqualFold(strings.TrimPrefix(o.Name, "#"), strings.TrimPrefix(tag.Name, "#"))
			}) {
				p.Tags = append(p.Tags, tag)
			}
		case "Emoji":
			// As Mastodon: an emoji without an image, or whose shortcode is not one, is dropped.
			code, icon := strings.Trim(t.Name, ":"), ""
			if t.Icon != nil {
				icon = content.SafeURL(t.Icon.URL)
			}
			if icon != "" && emojiShortcodeRE.MatchString(code) {
				p.Tags = append(p.Tags, store.Tag{Type: "Emoji", Name: ":" + code + ":", Icon: icon})
			}
		}
	}
	for _, a := range o.Attachment {
		if u := content.SafeURL(a.URL); u != "" {
			// The description: summary first, then name, as Mastodon reads it (honk puts the
			// file name in name and the description in summary).
			alt := a.Summary
			if strings.TrimSpace(alt) == "" {
				alt = a.Name
			}
			p.Attachments = append(p.Attachments, store.Attachment{Type: a.Type, MediaType: a.MediaType, URL: u,
				Name: content.TruncateRunes(s.Sanitize.Text(alt), 1500), Blurhash: content.TruncateRunes(a.Blurhash, 100),
				Width: a.Width, Height: a.Height, FocalPoint: a.FocalPoint})
		}
	}
	p.Quote, p.Poll = content.SafeURL(o.QuoteIRI()), pollOf(o, s.Sanitize.Text)
	return p, namesOwner(o, owner)
}

// namesOwner reports whether a remote object addresses or mentions the owner.
func namesOwner(o *activitypub.Object, owner *store.Account) bool {
	if slices.Contains(o.To, owner.IRI) || slices.Contains(o.CC, owner.IRI) {
		return true
	}
	return slices.ContainsFunc(o.Tag, func(t activitypub.Tag) bool {
		return t.Type == "Mention" && (t.Href == owner.IRI || t.Href == owner.URL)
	})
}

// visibilityOf derives Mastodon's visibility from addressing: Public in to is public, in cc
// unlisted; the author's followers collection only is followers-only; else direct.
func visibilityOf(to, cc []string, followers string) string {
	isPublic := func(l []string) bool {
		return slices.Contains(l, activitypub.Public) || slices.Contains(l, "as:Public") || slices.Contains(l, "Public")
	}
	switch {
	case isPublic(to):
		return store.Public
	case isPublic(cc):
		return store.Unlisted
	case followers != "" && (slices.Contains(to, followers) || slices.Contains(cc, followers)):
		return store.Private
	}
	return store.Direct
}

// FetchPost fetches a remote post from its origin, with its author, and stores it. iri may also
// be a post's shareable link (Mastodon's https://host/@user/123), whose document names another
// id: that id, on the same origin, is fetched in turn and must name itself, as Mastodon's
// FetchResourceService follows it once.
func (s *App) FetchPost(ctx context.Context, iri string) (*store.Post, error) {
	var o *activitypub.Object
	for link := iri; ; {
		if p, err := s.st.PostByIRI(ctx, link); err == nil {
			return p, nil
		}
		body, err := s.Resolve.FetchAS(ctx, link)
		if err != nil {
			return nil, err
		}
		if o, err = activitypub.DecodeObject(body); err != nil {
			return nil, err
		}
		if !activitypub.IsPostType(o.Type) {
			return nil, reject("%s is not a post", link)
		}
		if o.ID == link {
			iri = link
			break
		}
		if link != iri || o.ID == "" || !remote.SameOrigin(o.ID, iri) {
			return nil, reject("%s is not a post", link)
		}
		link = o.ID
	}
	p, err := s.saveFetched(ctx, o)
	if err == nil {
		s.Backfill.Ancestors(p)
	}
	return p, err
}

// saveFetched stores a post fetched from its origin (or embedded in a document from there), with
// its author, who must be on the same origin; a post stored already is returned as stored.
func (s *App) saveFetched(ctx context.Context, o *activitypub.Object) (*store.Post, error) {
	author := o.AttributedTo.ID
	if author == "" || !remote.SameOrigin(author, o.ID) {
		return nil, reject("post %s: author %q on another origin", o.ID, author)
	}
	acct, err := s.Resolve.Account(ctx, author)
	if err != nil {
		return nil, err
	}
	p, mentionsOwner := s.postFromObject(o, acct, s.Owner.Account)
	var mentions []int64
	if mentionsOwner {
		mentions = []int64{s.Owner.Account.ID}
	}
	notices, _, err := s.postNotices(ctx, o, acct)
	if err != nil {
		return nil, err
	}
	if err := s.st.InsertRemotePost(ctx, p, mentions, notices...); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, err
	}
	return s.st.PostByIRI(ctx, o.ID)
}

// HTMLEscape escapes s for HTML text.
func HTMLEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}
