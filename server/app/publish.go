package app

import (
	"context"
	"encoding/json"
	"fmt"
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
	ErrAlreadyFollowing = &Error{Kind: Conflict, Msg: "already following"}
	// The owner asked for a like or boost state that already holds; the Mastodon API treats
	// these as success, as Mastodon does.
	ErrAlreadyLiked   = &Error{Kind: Conflict, Msg: "already liked"}
	ErrAlreadyBoosted = &Error{Kind: Conflict, Msg: "already boosted"}
	ErrNotLiked       = &Error{Kind: Conflict, Msg: "not liked"}
	ErrNotBoosted     = &Error{Kind: Conflict, Msg: "not boosted"}
	ErrNotFollowing   = &Error{Kind: Conflict, Msg: "not following"}
	ErrSelf           = &Error{Kind: Forbidden, Msg: "that is you"}
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
	// ScheduledID is the scheduled post this publishes (the publisher's), deleted with its creation.
	ScheduledID int64
}

// Post publishes a post: mentions are resolved by WebFinger and tagged, hashtags tagged, and the
// Create is queued to followers, mentioned accounts and the parent's author, all in the same
// transaction as the post.
func (s *App) Post(ctx context.Context, in PostInput) (*store.Post, error) {
	text, vis, pl, err := in.check(time.Now())
	if err != nil {
		return nil, err
	}

	owner := s.Owner.Account
	id := s.st.NewID()
	p := &store.Post{
		ID:        id,
		IRI:       s.PostIRI(id),
		AccountID: owner.ID,
		URL:       s.PostURL(id),
		Type:      "Note",
		Summary:   strings.TrimSpace(in.Summary),
		Sensitive: in.Sensitive || strings.TrimSpace(in.Summary) != "",
		Source:    text,
		Language:  in.Language,
		Published: store.IDTime(id).UTC(),
	}
	np := store.NewPost{ScheduledID: in.ScheduledID}
	if pl != nil {
		p.Type = "Question"
		p.Poll = pl
		np.PollEnds = PollEnds(pl)
	}

	for _, mid := range in.MediaIDs {
		m, err := s.st.MediaByID(ctx, mid)
		if err != nil || m.PostID != 0 {
			return nil, invalid("image %d is not an unattached upload of yours", mid)
		}
		p.Attachments = append(p.Attachments, s.attachmentOf(m))
		np.MediaIDs = append(np.MediaIDs, mid)
	}

	var parentAuthor *store.Account
	var parent *store.Post
	if in.InReplyTo != "" {
		var err error
		if parent, err = s.FindPost(ctx, in.InReplyTo); err != nil {
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
		a, err := s.Resolve.Handle(ctx, handle)
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
		p.Tags = append(p.Tags, store.Tag{Type: "Hashtag", Name: "#" + tag, Href: s.TagURL(tag)})
	}
	p.Content = string(s.Markdown.Render(text, mentions, s.TagURL))

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
		// A direct post that names nobody is a note to self, as on Mastodon: kept, sent nowhere.
		p.To = mentionIRIs
	}

	var inboxes []string
	if vis != store.Direct {
		var err error
		if inboxes, err = s.st.FollowerInboxes(ctx, owner.ID); err != nil {
			return nil, err
		}
	}
	inboxes, err = s.Relays.WithForward(ctx, vis == store.Public, inboxes)
	if err != nil {
		return nil, err
	}
	for _, a := range mentioned {
		inboxes = append(inboxes, a.DeliveryInbox())
	}
	if parentAuthor != nil {
		inboxes = append(inboxes, parentAuthor.DeliveryInbox())
	}
	create, err := s.CreateDoc(p)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(create)
	if err != nil {
		return nil, err
	}
	out := &store.Outgoing{IRI: create.ID, Type: "Create", PostID: p.ID, Public: visibleToPublic(p),
		Body: body, Inboxes: dedupe(inboxes)}
	np.Mentions = mentionIDs
	if err := s.st.CreatePost(ctx, p, np, out); err != nil {
		return nil, fmt.Errorf("save post: %w", err)
	}
	s.Deliver.Wake()
	if pl != nil {
		s.WakePolls()
	}
	return p, nil
}

// check checks what the owner wrote, as Post and Schedule take it, and returns the text trimmed,
// the visibility as stored ("" for the default) and the poll (ending ExpiresIn after now).
func (in *PostInput) check(now time.Time) (text, vis string, pl *poll, err error) {
	text = strings.TrimSpace(in.Text)
	if text == "" && len(in.MediaIDs) == 0 {
		return "", "", nil, invalid("a post needs text or an image")
	}
	if len(in.MediaIDs) > MaxAttachments {
		return "", "", nil, invalid("at most %d images per post", MaxAttachments)
	}
	if n := utf8.RuneCountInString(text); n > MaxPostChars {
		return "", "", nil, invalid("the post has %d characters; the limit is %d", n, MaxPostChars)
	}
	vis = in.Visibility
	if vis == "followers" {
		vis = store.Private
	}
	if vis != "" && !slices.Contains([]string{store.Public, store.Unlisted, store.Private, store.Direct}, vis) {
		return "", "", nil, invalid("visibility %q: use public, unlisted, followers or direct", in.Visibility)
	}

	if in.Poll != nil {
		if len(in.MediaIDs) > 0 {
			return "", "", nil, invalid("a post has a poll or images, not both")
		}
		if pl, err = in.Poll.poll(now); err != nil {
			return "", "", nil, err
		}
	}
	return text, vis, pl, nil
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

// FindPost finds a post by the owner's post ID, a local URL, or a remote URL or IRI (fetched and
// stored when Roost does not have it).
func (s *App) FindPost(ctx context.Context, ref string) (*store.Post, error) {
	ref = strings.TrimSpace(ref)
	if id, ok := s.LocalPostID(ref); ok {
		return s.livePost(ctx, id)
	}
	if !strings.Contains(ref, "/") {
		var id int64
		if _, err := fmt.Sscan(ref, &id); err != nil {
			return nil, invalid("%q is not a post ID or URL", ref)
		}
		return s.livePost(ctx, id)
	}
	if p, err := s.st.PostByIRI(ctx, ref); err == nil {
		return p, nil
	}
	p, err := s.FetchPost(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !p.DeletedAt.IsZero() {
		return nil, store.ErrNotFound
	}
	return p, nil
}

func (s *App) livePost(ctx context.Context, id int64) (*store.Post, error) {
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
func (s *App) outgoing(typ string, object any, to, cc []string, public bool, inboxes []string) (*store.Outgoing, error) {
	return s.outgoingTo(typ, object, "", to, cc, public, inboxes)
}

// outgoingTo is outgoing for an activity with a target as well (Move).
func (s *App) outgoingTo(typ string, object any, target string, to, cc []string, public bool,
	inboxes []string) (*store.Outgoing, error) {
	id := s.st.NewID()
	iri := s.ActivityIRI(id)
	act, err := s.wrap(iri, typ, object, to, cc, AsTime(time.Now()))
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
func (s *App) postUpdate(p *store.Post, inboxes []string) (*store.Outgoing, error) {
	out, err := s.outgoing("Update", s.NoteDoc(p), p.To, p.CC, visibleToPublic(p), inboxes)
	if err != nil {
		return nil, err
	}
	out.PostID = p.ID
	return out, nil
}

// DeletePost deletes one of the owner's posts and federates a Delete to everyone who got it.
func (s *App) DeletePost(ctx context.Context, ref string) error {
	p, err := s.FindPost(ctx, ref)
	if err != nil {
		return err
	}
	if p.AccountID != s.Owner.Account.ID {
		return invalid("that post is not yours")
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
	s.removeFiles(files)
	s.Deliver.Wake()
	s.Hub.postDeleted(p)
	return nil
}

// audienceInboxes returns where an owner's post went: followers (unless direct) and mentioned
// accounts.
func (s *App) audienceInboxes(ctx context.Context, p *store.Post) ([]string, error) {
	var inboxes []string
	if p.Visibility != store.Direct {
		var err error
		if inboxes, err = s.st.FollowerInboxes(ctx, s.Owner.Account.ID); err != nil {
			return nil, err
		}
	}
	for _, iri := range append(append([]string{}, p.To...), p.CC...) {
		if a, err := s.st.AccountByIRI(ctx, iri); err == nil && !a.Local {
			inboxes = append(inboxes, a.DeliveryInbox())
		}
	}
	return s.Relays.WithForward(ctx, p.Visibility == store.Public, inboxes) // and the relays it went to
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
func (s *App) EditPost(ctx context.Context, in EditInput) (*store.Post, error) {
	p, err := s.FindPost(ctx, in.Post)
	if err != nil {
		return nil, err
	}
	if p.AccountID != s.Owner.Account.ID {
		return nil, invalid("that post is not yours")
	}
	text := strings.TrimSpace(in.Text)
	if text == "" && len(p.Attachments) == 0 {
		return nil, invalid("a post needs text")
	}
	if n := utf8.RuneCountInString(text); n > MaxPostChars {
		return nil, invalid("the post has %d characters; the limit is %d", n, MaxPostChars)
	}
	var mentions []content.Mention
	for _, t := range p.Tags {
		if t.Type == "Mention" {
			if a, err := s.st.AccountByIRI(ctx, t.Href); err == nil {
				mentions = append(mentions, content.Mention{Handle: a.Handle(), Href: ProfileURL(a), IRI: a.IRI})
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
		tags = append(tags, store.Tag{Type: "Hashtag", Name: "#" + tag, Href: s.TagURL(tag)})
	}
	p.Tags = tags
	p.Source = text
	p.Summary = strings.TrimSpace(in.Summary)
	p.Sensitive = p.Sensitive || p.Summary != ""
	p.Content = string(s.Markdown.Render(text, mentions, s.TagURL))
	p.Updated = time.Now().UTC()
	var ch store.PostChange
	switch {
	case in.Poll != nil:
		if ch, err = editPoll(p, in.Poll, p.Updated); err != nil {
			return nil, err
		}
	case in.RemovePoll:
		ch = removePoll(p)
	}
	inboxes, err := s.audienceInboxes(ctx, p)
	if err != nil {
		return nil, err
	}
	out, err := s.postUpdate(p, inboxes)
	if err != nil {
		return nil, err
	}
	if err := s.st.EditPost(ctx, p, ch, out); err != nil {
		return nil, err
	}
	s.Deliver.Wake()
	if in.Poll != nil {
		s.WakePolls()
	}
	s.Hub.postEdited(p)
	return p, nil
}
