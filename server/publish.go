package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"roost/server/activitypub"
	"roost/server/content"
	"roost/store"
)

// MaxPostChars is the longest post the owner may write, in characters.
const MaxPostChars = 5000

// Errors of the owner's actions, shown to the owner as they are.
var (
	errAlreadyFollowing = errors.New("already following")
	// The owner asked for a like or boost state that already holds; the Mastodon API treats
	// these as success, as Mastodon does.
	errAlreadyLiked   = errors.New("already liked")
	errAlreadyBoosted = errors.New("already boosted")
	errNotLiked       = errors.New("not liked")
	errNotBoosted     = errors.New("not boosted")
	errNotFollowing   = errors.New("not following")
	errSelf           = errors.New("that is you")
)

// PostInput is what the owner writes.
type PostInput struct {
	Text       string // Markdown
	Summary    string // content warning
	Sensitive  bool
	Visibility string // public (default), unlisted, private (followers), direct
	InReplyTo  string // a post's id, URL or IRI
	Language   string
	MediaIDs   []int64 // the owner's unattached uploads, at most MaxAttachments
	Poll       *PollInput
}

// Post publishes a post: mentions are resolved by WebFinger and tagged, hashtags tagged, and the
// Create is queued to followers, mentioned accounts and the parent's author, all in the same
// transaction as the post.
func (s *Server) Post(ctx context.Context, in PostInput) (*store.Post, error) {
	text := strings.TrimSpace(in.Text)
	if text == "" && len(in.MediaIDs) == 0 {
		return nil, errors.New("a post needs text or an image")
	}
	if len(in.MediaIDs) > MaxAttachments {
		return nil, fmt.Errorf("at most %d images per post", MaxAttachments)
	}
	if n := utf8.RuneCountInString(text); n > MaxPostChars {
		return nil, fmt.Errorf("the post has %d characters; the limit is %d", n, MaxPostChars)
	}
	vis := in.Visibility
	if vis == "followers" {
		vis = store.Private
	}
	if vis != "" && !slices.Contains([]string{store.Public, store.Unlisted, store.Private, store.Direct}, vis) {
		return nil, fmt.Errorf("visibility %q: use public, unlisted, followers or direct", in.Visibility)
	}

	var pl *poll
	if in.Poll != nil {
		if len(in.MediaIDs) > 0 {
			return nil, errors.New("a post has a poll or images, not both")
		}
		var err error
		if pl, err = in.Poll.poll(time.Now()); err != nil {
			return nil, err
		}
	}

	owner := s.owner.Account
	id := s.st.NewID()
	p := &store.Post{
		ID:        id,
		IRI:       s.postIRI(id),
		AccountID: owner.ID,
		URL:       s.postURL(id),
		Type:      "Note",
		Summary:   strings.TrimSpace(in.Summary),
		Sensitive: in.Sensitive || strings.TrimSpace(in.Summary) != "",
		Source:    text,
		Language:  in.Language,
		Published: store.IDTime(id).UTC(),
	}
	if pl != nil {
		p.Type = "Question"
		p.Extra, _ = json.Marshal(map[string]any{"poll": pl})
		p.PollEnds = pl.ends()
	}

	for _, mid := range in.MediaIDs {
		m, err := s.st.MediaByID(ctx, mid)
		if err != nil || m.PostID != 0 {
			return nil, fmt.Errorf("image %d is not an unattached upload of yours", mid)
		}
		p.Attachments = append(p.Attachments, s.media.Attachment(m))
		p.MediaIDs = append(p.MediaIDs, mid)
	}

	var parentAuthor *store.Account
	var parent *store.Post
	if in.InReplyTo != "" {
		var err error
		if parent, err = s.findPost(ctx, in.InReplyTo); err != nil {
			return nil, fmt.Errorf("reply to %s: %w", in.InReplyTo, err)
		}
		p.InReplyTo, p.ReplyToID = parent.IRI, parent.ID
		if parent.AccountID != owner.ID {
			if parentAuthor, err = s.st.AccountByID(ctx, parent.AccountID); err != nil {
				return nil, err
			}
		}
	}

	if vis == "" {
		vis = DefaultVisibility(parent)
	}
	p.Visibility = vis

	var mentions []content.Mention
	var mentioned []*store.Account
	for _, handle := range content.FindMentions(text) {
		if !strings.Contains(handle, "@") {
			continue // a bare @name: not resolvable on a single-user server
		}
		a, err := s.resolveHandle(ctx, handle)
		if err != nil {
			s.log.Info("mention not resolved", "handle", handle, "err", err)
			continue
		}
		href := a.URL
		if href == "" {
			href = a.IRI
		}
		mentions = append(mentions, content.Mention{Handle: handle, Href: href, IRI: a.IRI})
		if a.ID != owner.ID {
			mentioned = append(mentioned, a)
		}
		p.Tags = append(p.Tags, store.Tag{Type: "Mention", Name: "@" + a.Handle(), Href: a.IRI})
	}
	for _, tag := range content.FindHashtags(text) {
		p.Tags = append(p.Tags, store.Tag{Type: "Hashtag", Name: "#" + tag, Href: s.tagURL(tag)})
	}
	p.Content = string(s.md.Render(text, mentions, s.tagURL))

	var mentionIRIs []string
	var mentionIDs []int64
	for _, a := range mentioned {
		mentionIRIs = append(mentionIRIs, a.IRI)
		mentionIDs = append(mentionIDs, a.ID)
	}
	if parentAuthor != nil && !slices.Contains(mentionIRIs, parentAuthor.IRI) {
		mentionIRIs = append(mentionIRIs, parentAuthor.IRI)
		mentionIDs = append(mentionIDs, parentAuthor.ID) // addressed, so in the audience (canSee, canInteract)
	}
	followers := owner.FollowersURL
	switch vis {
	case store.Public:
		p.To, p.CC = []string{activitypub.Public}, append([]string{followers}, mentionIRIs...)
	case store.Unlisted:
		p.To, p.CC = []string{followers}, append([]string{activitypub.Public}, mentionIRIs...)
	case store.Private:
		p.To, p.CC = []string{followers}, mentionIRIs
	case store.Direct:
		if len(mentionIRIs) == 0 {
			return nil, errors.New("a direct post needs at least one @user@host mention")
		}
		p.To = mentionIRIs
	}

	var inboxes []string
	if vis != store.Direct {
		var err error
		if inboxes, err = s.st.FollowerInboxes(ctx, owner.ID); err != nil {
			return nil, err
		}
	}
	for _, a := range mentioned {
		inboxes = append(inboxes, a.DeliveryInbox())
	}
	if parentAuthor != nil {
		inboxes = append(inboxes, parentAuthor.DeliveryInbox())
	}
	create, err := s.createDoc(p)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(create)
	if err != nil {
		return nil, err
	}
	out := &store.Outgoing{IRI: create.ID, Type: "Create", PostID: p.ID, Public: visibleToPublic(p),
		Body: body, Inboxes: dedupe(inboxes)}
	if err := s.st.CreatePost(ctx, p, mentionIDs, out); err != nil {
		return nil, fmt.Errorf("save post: %w", err)
	}
	s.deliver.Wake()
	if pl != nil {
		s.wakePolls()
	}
	return p, nil
}

// DefaultVisibility is the visibility of a post whose author did not choose one: a reply's is its
// parent's, so an answer to a followers-only or direct post never goes out wider than what it
// answers (as Mastodon's compose form preselects); any other post is public. Every surface that
// creates posts (the web form, the API, roost post) leaves the choice empty to get this.
func DefaultVisibility(parent *store.Post) string {
	if parent != nil {
		switch parent.Visibility {
		case store.Unlisted, store.Private, store.Direct:
			return parent.Visibility
		}
	}
	return store.Public
}

// findPost finds a post by the owner's post ID, a local URL, or a remote URL or IRI (fetched and
// stored when Roost does not have it).
func (s *Server) findPost(ctx context.Context, ref string) (*store.Post, error) {
	ref = strings.TrimSpace(ref)
	if id, ok := s.localPostID(ref); ok {
		return s.livePost(ctx, id)
	}
	if !strings.Contains(ref, "/") {
		var id int64
		if _, err := fmt.Sscan(ref, &id); err != nil {
			return nil, fmt.Errorf("%q is not a post ID or URL", ref)
		}
		return s.livePost(ctx, id)
	}
	if p, err := s.st.PostByIRI(ctx, ref); err == nil {
		return p, nil
	}
	p, err := s.fetchPost(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !p.DeletedAt.IsZero() {
		return nil, store.ErrNotFound
	}
	return p, nil
}

func (s *Server) livePost(ctx context.Context, id int64) (*store.Post, error) {
	p, err := s.st.PostByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.DeletedAt.IsZero() {
		return nil, store.ErrNotFound
	}
	return p, nil
}

func dedupe(l []string) []string {
	var out []string
	for _, v := range l {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// outgoing builds one of the owner's activities (other than Create) around object.
func (s *Server) outgoing(typ string, object any, to, cc []string, public bool, inboxes []string) (*store.Outgoing, error) {
	return s.outgoingTo(typ, object, "", to, cc, public, inboxes)
}

// outgoingTo is outgoing for an activity with a target as well (Move).
func (s *Server) outgoingTo(typ string, object any, target string, to, cc []string, public bool,
	inboxes []string) (*store.Outgoing, error) {
	id := s.st.NewID()
	iri := s.activityIRI(id)
	act, err := s.wrap(iri, typ, object, to, cc, asTime(time.Now()))
	if err != nil {
		return nil, err
	}
	if target != "" {
		act.Target = activitypub.Ref{ID: target}
	}
	body, err := json.Marshal(act)
	if err != nil {
		return nil, err
	}
	return &store.Outgoing{ID: id, IRI: iri, Type: typ, Public: public, Body: body, Inboxes: dedupe(inboxes)}, nil
}

// postUpdate is the Update of one of the owner's posts as it is now, for inboxes.
func (s *Server) postUpdate(p *store.Post, inboxes []string) (*store.Outgoing, error) {
	out, err := s.outgoing("Update", s.noteDoc(p), p.To, p.CC, visibleToPublic(p), inboxes)
	if err != nil {
		return nil, err
	}
	out.PostID = p.ID
	return out, nil
}

// DeletePost deletes one of the owner's posts and federates a Delete to everyone who got it.
func (s *Server) DeletePost(ctx context.Context, ref string) error {
	p, err := s.findPost(ctx, ref)
	if err != nil {
		return err
	}
	if p.AccountID != s.owner.Account.ID {
		return errors.New("that post is not yours")
	}
	inboxes, err := s.audienceInboxes(ctx, p)
	if err != nil {
		return err
	}
	tomb := map[string]any{"id": p.IRI, "type": "Tombstone", "atomUri": p.IRI}
	out, err := s.outgoing("Delete", tomb, p.To, p.CC, visibleToPublic(p), inboxes)
	if err != nil {
		return err
	}
	files, err := s.st.DeletePostMedia(ctx, p.ID, out)
	if err != nil {
		return err
	}
	s.media.Remove(files)
	s.deliver.Wake()
	s.streams.postDeleted(p)
	return nil
}

// audienceInboxes returns where an owner's post went: followers (unless direct) and mentioned
// accounts.
func (s *Server) audienceInboxes(ctx context.Context, p *store.Post) ([]string, error) {
	var inboxes []string
	if p.Visibility != store.Direct {
		var err error
		if inboxes, err = s.st.FollowerInboxes(ctx, s.owner.Account.ID); err != nil {
			return nil, err
		}
	}
	for _, iri := range append(append([]string{}, p.To...), p.CC...) {
		if a, err := s.st.AccountByIRI(ctx, iri); err == nil && !a.Local {
			inboxes = append(inboxes, a.DeliveryInbox())
		}
	}
	return inboxes, nil
}

// Follow asks to follow an account given as @user@host or a URL.
func (s *Server) Follow(ctx context.Context, handle string) (*store.Account, error) {
	a, err := s.resolveHandle(ctx, handle)
	if err != nil {
		return nil, err
	}
	if err := s.followAccount(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Server) followAccount(ctx context.Context, a *store.Account) error {
	if a.ID == s.owner.Account.ID {
		return errSelf
	}
	if f, err := s.st.FollowBetween(ctx, s.owner.Account.ID, a.ID); err == nil && f.State == store.Accepted {
		return errAlreadyFollowing
	}
	out, err := s.outgoing("Follow", a.IRI, []string{a.IRI}, nil, false, []string{a.Inbox})
	if err != nil {
		return err
	}
	f := &store.Follow{IRI: out.IRI, FollowerID: s.owner.Account.ID, FolloweeID: a.ID}
	if err := s.st.FollowAccount(ctx, f, out); err != nil {
		return err
	}
	s.deliver.Wake()
	return nil
}

// Unfollow stops following an account (or withdraws a pending request).
func (s *Server) Unfollow(ctx context.Context, handle string) (*store.Account, error) {
	a, err := s.resolveHandle(ctx, handle)
	if err != nil {
		return nil, err
	}
	return a, s.unfollowAccount(ctx, a)
}

func (s *Server) unfollowAccount(ctx context.Context, a *store.Account) error {
	f, err := s.st.FollowBetween(ctx, s.owner.Account.ID, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return errNotFollowing
	}
	if err != nil {
		return err
	}
	follow := map[string]any{"id": f.IRI, "type": "Follow", "actor": s.owner.Account.IRI, "object": a.IRI}
	out, err := s.outgoing("Undo", follow, []string{a.IRI}, nil, false, []string{a.Inbox})
	if err != nil {
		return err
	}
	if err := s.st.RemoveFollow(ctx, f.ID, out); err != nil {
		return err
	}
	s.deliver.Wake()
	return nil
}

// Like likes a post (given by URL, IRI or the owner's post ID) and tells its author.
func (s *Server) Like(ctx context.Context, ref string) (*store.Post, error) {
	p, author, err := s.interactWith(ctx, ref)
	if err != nil {
		return nil, err
	}
	var inboxes, to []string
	if author != nil {
		inboxes, to = []string{author.DeliveryInbox()}, []string{author.IRI}
	}
	out, err := s.outgoing("Like", p.IRI, to, nil, false, inboxes)
	if err != nil {
		return nil, err
	}
	err = s.st.AddLike(ctx, &store.Reaction{IRI: out.IRI, AccountID: s.owner.Account.ID, PostID: p.ID}, out)
	if errors.Is(err, store.ErrConflict) {
		return p, errAlreadyLiked
	}
	if err != nil {
		return nil, err
	}
	s.deliver.Wake()
	return p, nil
}

// Unlike withdraws the owner's like of a post.
func (s *Server) Unlike(ctx context.Context, ref string) (*store.Post, error) {
	p, author, err := s.interactWith(ctx, ref)
	if err != nil {
		return nil, err
	}
	l, err := s.st.LikeOf(ctx, s.owner.Account.ID, p.ID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNotLiked, err)
	}
	var inboxes, to []string
	if author != nil {
		inboxes, to = []string{author.DeliveryInbox()}, []string{author.IRI}
	}
	like := map[string]any{"id": l.IRI, "type": "Like", "actor": s.owner.Account.IRI, "object": p.IRI}
	out, err := s.outgoing("Undo", like, to, nil, false, inboxes)
	if err != nil {
		return nil, err
	}
	if err := s.st.RemoveLike(ctx, l.ID, out); err != nil {
		return nil, err
	}
	s.deliver.Wake()
	return p, nil
}

// Boost announces a public post to the owner's followers and tells its author.
func (s *Server) Boost(ctx context.Context, ref string) (*store.Post, error) {
	p, author, err := s.interactWith(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !visibleToPublic(p) {
		return nil, errors.New("only public and unlisted posts can be boosted")
	}
	inboxes, err := s.st.FollowerInboxes(ctx, s.owner.Account.ID)
	if err != nil {
		return nil, err
	}
	cc := []string{s.owner.Account.FollowersURL}
	if author != nil {
		inboxes = append(inboxes, author.DeliveryInbox())
		cc = append(cc, author.IRI)
	}
	out, err := s.outgoing("Announce", p.IRI, []string{activitypub.Public}, cc, true, inboxes)
	if err != nil {
		return nil, err
	}
	out.PostID = p.ID
	err = s.st.AddBoost(ctx, &store.Reaction{ID: out.ID, IRI: out.IRI, AccountID: s.owner.Account.ID, PostID: p.ID,
		Visibility: store.Public}, out)
	if errors.Is(err, store.ErrConflict) {
		return p, errAlreadyBoosted
	}
	if err != nil {
		return nil, err
	}
	s.deliver.Wake()
	return p, nil
}

// Unboost withdraws the owner's boost of a post.
func (s *Server) Unboost(ctx context.Context, ref string) (*store.Post, error) {
	p, author, err := s.interactWith(ctx, ref)
	if err != nil {
		return nil, err
	}
	b, err := s.st.BoostOf(ctx, s.owner.Account.ID, p.ID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNotBoosted, err)
	}
	inboxes, err := s.st.FollowerInboxes(ctx, s.owner.Account.ID)
	if err != nil {
		return nil, err
	}
	cc := []string{s.owner.Account.FollowersURL}
	if author != nil {
		inboxes = append(inboxes, author.DeliveryInbox())
		cc = append(cc, author.IRI)
	}
	announce := map[string]any{"id": b.IRI, "type": "Announce", "actor": s.owner.Account.IRI, "object": p.IRI}
	out, err := s.outgoing("Undo", announce, []string{activitypub.Public}, cc, true, inboxes)
	if err != nil {
		return nil, err
	}
	if err := s.st.RemoveBoost(ctx, b.ID, out); err != nil {
		return nil, err
	}
	s.deliver.Wake()
	return p, nil
}

// interactWith finds the post to like or boost and its author (nil for the owner's own posts).
func (s *Server) interactWith(ctx context.Context, ref string) (*store.Post, *store.Account, error) {
	p, err := s.findPost(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	if p.AccountID == s.owner.Account.ID {
		return p, nil, nil
	}
	a, err := s.st.AccountByID(ctx, p.AccountID)
	if err != nil {
		return nil, nil, err
	}
	return p, a, nil
}

// FollowRequests lists accounts waiting for the owner's approval.
func (s *Server) FollowRequests(ctx context.Context) ([]store.FollowEntry, error) {
	return s.st.Followers(ctx, s.owner.Account.ID, store.Pending, store.Page{Limit: 200})
}

// ApproveFollower accepts a pending follow request and sends the Accept.
func (s *Server) ApproveFollower(ctx context.Context, handle string) (*store.Account, error) {
	a, f, err := s.followerRequest(ctx, handle)
	if err != nil {
		return nil, err
	}
	if f.State == store.Accepted {
		return a, errors.New("already a follower")
	}
	follow := map[string]any{"id": f.IRI, "type": "Follow", "actor": a.IRI, "object": s.owner.Account.IRI}
	out := s.replyTo(a, "Accept", follow)
	if err := s.st.SetFollowState(ctx, f.ID, store.Accepted, out); err != nil {
		return nil, err
	}
	s.deliver.Wake()
	return a, nil
}

// RejectFollower refuses a follow request, or removes an existing follower, with a Reject.
func (s *Server) RejectFollower(ctx context.Context, handle string) (*store.Account, error) {
	a, f, err := s.followerRequest(ctx, handle)
	if err != nil {
		return nil, err
	}
	follow := map[string]any{"id": f.IRI, "type": "Follow", "actor": a.IRI, "object": s.owner.Account.IRI}
	out := s.replyTo(a, "Reject", follow)
	if err := s.st.RemoveFollow(ctx, f.ID, out); err != nil {
		return nil, err
	}
	s.deliver.Wake()
	return a, nil
}

func (s *Server) followerRequest(ctx context.Context, handle string) (*store.Account, *store.Follow, error) {
	a, err := s.knownAccount(ctx, handle)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.st.FollowBetween(ctx, a.ID, s.owner.Account.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("%s has not asked to follow you", handle)
	}
	return a, f, err
}

// knownAccount finds an account Roost already stores, by handle or IRI, without network lookups.
func (s *Server) knownAccount(ctx context.Context, handle string) (*store.Account, error) {
	handle = strings.TrimSpace(handle)
	if strings.HasPrefix(handle, "http://") || strings.HasPrefix(handle, "https://") {
		return s.st.AccountByIRI(ctx, handle)
	}
	user, host, ok := parseAcct(handle)
	if !ok {
		return nil, fmt.Errorf("%q: use @user@host or an actor URL", handle)
	}
	return s.st.AccountByHandle(ctx, user, host)
}

// Followers lists the owner's followers (state accepted) or following.
func (s *Server) Followers(ctx context.Context) ([]store.FollowEntry, error) {
	return s.st.Followers(ctx, s.owner.Account.ID, store.Accepted, store.Page{Limit: 200})
}

// Following lists the accounts the owner follows, accepted or still pending.
func (s *Server) Following(ctx context.Context) ([]store.FollowEntry, error) {
	acc, err := s.st.Following(ctx, s.owner.Account.ID, store.Accepted, store.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	pending, err := s.st.Following(ctx, s.owner.Account.ID, store.Pending, store.Page{Limit: 200})
	return append(acc, pending...), err
}

// ProfileInput changes the owner's profile; nil fields stay as they are.
type ProfileInput struct {
	DisplayName  *string
	Bio          *string // Markdown
	Fields       []store.Field
	SetFields    bool
	AvatarURL    *string
	HeaderURL    *string
	Locked       *bool
	Discoverable *bool
	Indexable    *bool
	Bot          *bool
	HideNetwork  *bool
	AlsoKnownAs  []string // actor IRIs or @user@host handles of the owner's other accounts
	SetAliases   bool
}

// UpdateProfile saves the owner's profile and federates an Update of the actor to every follower.
func (s *Server) UpdateProfile(ctx context.Context, in ProfileInput) (*store.Account, error) {
	a, err := s.st.AccountByID(ctx, s.owner.Account.ID)
	if err != nil {
		return nil, err
	}
	src, err := s.profileSource(ctx, a)
	if err != nil {
		return nil, err
	}
	if in.DisplayName != nil {
		if n := utf8.RuneCountInString(*in.DisplayName); n > 100 {
			return nil, fmt.Errorf("the display name has %d characters; the limit is 100", n)
		}
		a.DisplayName = strings.TrimSpace(*in.DisplayName)
	}
	if in.Bio != nil {
		if n := utf8.RuneCountInString(*in.Bio); n > 2000 {
			return nil, fmt.Errorf("the bio has %d characters; the limit is 2000", n)
		}
		a.Summary, src.Bio = "", strings.TrimSpace(*in.Bio)
		if src.Bio != "" {
			a.Summary = string(s.md.Render(src.Bio, nil, s.tagURL))
		}
	}
	if in.SetFields {
		if len(in.Fields) > 8 {
			return nil, errors.New("at most 8 profile fields")
		}
		a.Fields, src.Fields = nil, nil
		for _, f := range in.Fields {
			name := strings.TrimSpace(f.Name)
			if name == "" {
				continue
			}
			name, value := truncateRunes(name, 255), truncateRunes(strings.TrimSpace(f.Value), 2000)
			a.Fields = append(a.Fields, store.Field{Name: name, Value: s.fieldValue(value)})
			src.Fields = append(src.Fields, store.Field{Name: name, Value: value})
		}
	}
	for _, img := range []struct {
		in  *string
		out *string
	}{{in.AvatarURL, &a.AvatarURL}, {in.HeaderURL, &a.HeaderURL}} {
		if img.in == nil {
			continue
		}
		if *img.in != "" && safeURL(*img.in) == "" {
			return nil, fmt.Errorf("%q is not an http(s) URL", *img.in)
		}
		*img.out = *img.in
	}
	for _, b := range []struct {
		in  *bool
		out *bool
	}{{in.Locked, &a.Locked}, {in.Discoverable, &a.Discoverable}, {in.Indexable, &a.Indexable}, {in.Bot, &a.Bot},
		{in.HideNetwork, &a.HideNetwork}} {
		if b.in != nil {
			*b.out = *b.in
		}
	}
	if in.SetAliases {
		a.AlsoKnownAs = nil
		for _, alias := range in.AlsoKnownAs {
			other, err := s.resolveHandle(ctx, alias)
			if err != nil {
				return nil, fmt.Errorf("alias %s: %w", alias, err)
			}
			a.AlsoKnownAs = append(a.AlsoKnownAs, other.IRI)
		}
	}
	inboxes, err := s.st.FollowerInboxes(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	doc := s.actorDoc(a)
	doc.Context = nil
	out, err := s.outgoing("Update", doc, []string{activitypub.Public}, []string{a.FollowersURL}, true, inboxes)
	if err != nil {
		return nil, err
	}
	if err := s.st.UpdateOwnerProfile(ctx, a, src, out); err != nil {
		return nil, err
	}
	s.deliver.Wake()
	return a, nil
}

// fieldValue renders a profile field value: a bare URL becomes a link (rel="me", so sites that
// link back verify it), anything else is escaped text.
// profileSource is the owner's bio and fields as typed, for the forms that edit them. A profile
// last saved before the source was kept shows text recovered from its HTML: a link field its URL.
func (s *Server) profileSource(ctx context.Context, a *store.Account) (store.ProfileSource, error) {
	src, err := s.st.OwnerProfileSource(ctx)
	if err != nil || src.Recorded {
		return src, err
	}
	src.Bio = s.sanitize.Text(a.Summary)
	for _, f := range a.Fields {
		v := s.sanitize.Text(f.Value)
		if u, ok := linkFieldURL(f.Value); ok {
			v = u
		}
		src.Fields = append(src.Fields, store.Field{Name: f.Name, Value: v})
	}
	return src, nil
}

// linkFieldURL is the URL of a field value that is one link, as fieldValue makes it.
func linkFieldURL(value string) (string, bool) {
	rest, ok := strings.CutPrefix(value, `<a href="`)
	end := strings.IndexByte(rest, '"')
	if !ok || end < 0 || !strings.HasSuffix(value, "</a>") || strings.Count(value, "<a ") != 1 {
		return "", false
	}
	return html.UnescapeString(rest[:end]), true
}

func (s *Server) fieldValue(v string) string {
	v = strings.TrimSpace(v)
	if u := safeURL(v); u != "" && !strings.ContainsAny(v, " <>\"") {
		return `<a href="` + htmlEscape(u) + `" rel="me nofollow noopener noreferrer" target="_blank">` +
			htmlEscape(strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")) + `</a>`
	}
	return htmlEscape(truncateRunes(v, 2000))
}

// BlockAccount blocks an account: follow relations both ways end and a Block is sent, so their
// server stops showing the owner's posts to them.
func (s *Server) BlockAccount(ctx context.Context, handle string) (*store.Account, error) {
	a, err := s.resolveHandle(ctx, handle)
	if err != nil {
		return nil, err
	}
	if a.ID == s.owner.Account.ID {
		return nil, errSelf
	}
	out, err := s.outgoing("Block", a.IRI, []string{a.IRI}, nil, false, []string{a.Inbox})
	if err != nil {
		return nil, err
	}
	if err := s.st.Block(ctx, a.ID, true, out.IRI, out); err != nil {
		return nil, err
	}
	s.deliver.Wake()
	return a, nil
}

// UnblockAccount lifts a block and sends the Undo.
func (s *Server) UnblockAccount(ctx context.Context, handle string) (*store.Account, error) {
	a, err := s.knownAccount(ctx, handle)
	if err != nil {
		return nil, err
	}
	block := map[string]any{"type": "Block", "actor": s.owner.Account.IRI, "object": a.IRI}
	out, err := s.outgoing("Undo", block, []string{a.IRI}, nil, false, []string{a.Inbox})
	if err != nil {
		return nil, err
	}
	if err := s.st.Unblock(ctx, a.ID, true, out); err != nil {
		return nil, err
	}
	s.deliver.Wake()
	return a, nil
}

// EditInput is a new version of one of the owner's posts.
type EditInput struct {
	Post    string // ID, URL or IRI
	Text    string
	Summary string
	Poll    *PollInput // the post's poll as it is to be; nil keeps it, unless RemovePoll
	// RemovePoll takes the post's poll off (with Poll nil): Mastodon's API does so for an edit
	// that comes without one.
	RemovePoll bool
}

// EditPost changes one of the owner's posts, keeps the earlier version in its history, and
// federates an Update to everyone who got the post.
func (s *Server) EditPost(ctx context.Context, in EditInput) (*store.Post, error) {
	p, err := s.findPost(ctx, in.Post)
	if err != nil {
		return nil, err
	}
	if p.AccountID != s.owner.Account.ID {
		return nil, errors.New("that post is not yours")
	}
	text := strings.TrimSpace(in.Text)
	if text == "" && len(p.Attachments) == 0 {
		return nil, errors.New("a post needs text")
	}
	if n := utf8.RuneCountInString(text); n > MaxPostChars {
		return nil, fmt.Errorf("the post has %d characters; the limit is %d", n, MaxPostChars)
	}
	var mentions []content.Mention
	for _, t := range p.Tags {
		if t.Type == "Mention" {
			if a, err := s.st.AccountByIRI(ctx, t.Href); err == nil {
				mentions = append(mentions, content.Mention{Handle: a.Handle(), Href: profileURL(a), IRI: a.IRI})
			}
		}
	}
	var tags []store.Tag
	for _, t := range p.Tags {
		if t.Type == "Mention" {
			tags = append(tags, t)
		}
	}
	for _, tag := range content.FindHashtags(text) {
		tags = append(tags, store.Tag{Type: "Hashtag", Name: "#" + tag, Href: s.tagURL(tag)})
	}
	p.Tags = tags
	p.Source = text
	p.Summary = strings.TrimSpace(in.Summary)
	p.Sensitive = p.Sensitive || p.Summary != ""
	p.Content = string(s.md.Render(text, mentions, s.tagURL))
	p.Updated = time.Now().UTC()
	switch {
	case in.Poll != nil:
		if p.PollReset, err = editPoll(p, in.Poll, p.Updated); err != nil {
			return nil, err
		}
	case in.RemovePoll:
		if err := removePoll(p); err != nil {
			return nil, err
		}
	}
	inboxes, err := s.audienceInboxes(ctx, p)
	if err != nil {
		return nil, err
	}
	out, err := s.postUpdate(p, inboxes)
	if err != nil {
		return nil, err
	}
	if err := s.st.EditPost(ctx, p, out); err != nil {
		return nil, err
	}
	s.deliver.Wake()
	if in.Poll != nil {
		s.wakePolls()
	}
	s.streams.postEdited(p)
	return p, nil
}

// MaxPinned is how many posts the owner may pin, as on Mastodon.
const MaxPinned = 5

// Pin features one of the owner's public posts on their profile and tells followers with an Add
// to the featured collection; unpin removes it with a Remove.
func (s *Server) Pin(ctx context.Context, ref string, pin bool) (*store.Post, error) {
	p, err := s.findPost(ctx, ref)
	if err != nil {
		return nil, err
	}
	if p.AccountID != s.owner.Account.ID {
		return nil, errors.New("only your own posts can be pinned")
	}
	if pin && !visibleToPublic(p) {
		return nil, errors.New("only public and unlisted posts can be pinned")
	}
	if pin == !p.PinnedAt.IsZero() {
		return p, nil
	}
	if pin {
		pinned, err := s.st.PinnedPosts(ctx, s.owner.Account.ID)
		if err != nil {
			return nil, err
		}
		if len(pinned) >= MaxPinned {
			return nil, fmt.Errorf("at most %d posts can be pinned", MaxPinned)
		}
	}
	inboxes, err := s.st.FollowerInboxes(ctx, s.owner.Account.ID)
	if err != nil {
		return nil, err
	}
	typ := "Remove"
	if pin {
		typ = "Add"
	}
	out, err := s.outgoing(typ, p.IRI, []string{activitypub.Public}, []string{s.owner.Account.FollowersURL}, true, inboxes)
	if err != nil {
		return nil, err
	}
	var act activitypub.Activity
	if err := json.Unmarshal(out.Body, &act); err != nil {
		return nil, err
	}
	act.Target = activitypub.Ref{ID: s.actorIRI() + "/collections/featured"}
	if out.Body, err = json.Marshal(&act); err != nil {
		return nil, err
	}
	if err := s.st.SetPinned(ctx, p.ID, pin, out); err != nil {
		return nil, err
	}
	s.deliver.Wake()
	return p, nil
}
