package app

import (
	"context"
	"encoding/json"

	"roost/server/activitypub"
	"roost/store"
)

// MuteAccount returns the action that mutes (on) or unmutes an account by handle.
func (s *App) MuteAccount(on bool) func(context.Context, string) (*store.Account, error) {
	return func(ctx context.Context, handle string) (*store.Account, error) {
		a, err := s.KnownAccount(ctx, handle)
		if err != nil {
			return nil, err
		}
		return a, s.st.Mute(ctx, a.ID, on)
	}
}

// BookmarkPost returns the action that bookmarks (on) or unbookmarks a post.
func (s *App) BookmarkPost(on bool) func(context.Context, string) (*store.Post, error) {
	return func(ctx context.Context, ref string) (*store.Post, error) {
		p, err := s.FindPost(ctx, ref)
		if err != nil {
			return nil, err
		}
		return p, s.st.Bookmark(ctx, p.ID, on)
	}
}

// PinPost returns the action that pins (on) or unpins one of the owner's posts.
func (s *App) PinPost(on bool) func(context.Context, string) (*store.Post, error) {
	return func(ctx context.Context, ref string) (*store.Post, error) { return s.Pin(ctx, ref, on) }
}

// BlockAccount blocks an account: follow relations both ways end and a Block is sent, so their
// server stops showing the owner's posts to them.
func (s *App) BlockAccount(ctx context.Context, handle string) (*store.Account, error) {
	a, err := s.Resolve.Handle(ctx, handle)
	if err != nil {
		return nil, err
	}
	if a.ID == s.Owner.Account.ID {
		return nil, ErrSelf
	}
	out, err := s.outgoing("Block", a.IRI, []string{a.IRI}, nil, false, []string{a.Inbox})
	if err != nil {
		return nil, err
	}
	if err := s.st.Block(ctx, a.ID, true, out.IRI, out); err != nil {
		return nil, err
	}
	s.Deliver.Wake()
	return a, nil
}

// UnblockAccount lifts a block and sends the Undo.
func (s *App) UnblockAccount(ctx context.Context, handle string) (*store.Account, error) {
	a, err := s.KnownAccount(ctx, handle)
	if err != nil {
		return nil, err
	}
	block := map[string]any{"type": "Block", "actor": s.Owner.Account.IRI, "object": a.IRI}
	out, err := s.outgoing("Undo", block, []string{a.IRI}, nil, false, []string{a.Inbox})
	if err != nil {
		return nil, err
	}
	if err := s.st.Unblock(ctx, a.ID, true, out); err != nil {
		return nil, err
	}
	s.Deliver.Wake()
	return a, nil
}

// MaxPinned is how many posts the owner may pin, as on Mastodon.
const MaxPinned = 5

// Pin features one of the owner's public posts on their profile and tells followers with an Add
// to the featured collection; unpin removes it with a Remove.
func (s *App) Pin(ctx context.Context, ref string, pin bool) (*store.Post, error) {
	p, err := s.FindPost(ctx, ref)
	if err != nil {
		return nil, err
	}
	if p.AccountID != s.Owner.Account.ID {
		return nil, invalid("only your own posts can be pinned")
	}
	if pin && !visibleToPublic(p) {
		return nil, invalid("only public and unlisted posts can be pinned")
	}
	if pin == !p.PinnedAt.IsZero() {
		return p, nil
	}
	if pin {
		pinned, err := s.st.PinnedPosts(ctx, s.Owner.Account.ID)
		if err != nil {
			return nil, err
		}
		if len(pinned) >= MaxPinned {
			return nil, invalid("at most %d posts can be pinned", MaxPinned)
		}
	}
	inboxes, err := s.st.FollowerInboxes(ctx, s.Owner.Account.ID)
	if err != nil {
		return nil, err
	}
	typ := "Remove"
	if pin {
		typ = "Add"
	}
	out, err := s.outgoing(typ, p.IRI, []string{activitypub.Public}, []string{s.Owner.Account.FollowersURL}, true, inboxes)
	if err != nil {
		return nil, err
	}
	var act activitypub.Activity
	if err := json.Unmarshal(out.Body, &act); err != nil {
		return nil, err
	}
	act.Target = activitypub.Ref{ID: s.ActorIRI() + "/collections/featured"}
	if out.Body, err = json.Marshal(&act); err != nil {
		return nil, err
	}
	if err := s.st.SetPinned(ctx, p.ID, pin, out); err != nil {
		return nil, err
	}
	s.Deliver.Wake()
	return p, nil
}
