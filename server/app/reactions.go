package app

import (
	"context"
	"errors"
	"fmt"

	"roost/server/activitypub"
	"roost/store"
)

// reactionKind is what a like and a boost differ in, the owner's and those that arrive.
type reactionKind struct {
	typ  string // the activity: "Like" or "Announce"
	name string // in messages: "like" or "boost"
	// public: a boost is addressed to everyone and sent to the owner's followers too; a like
	// only to the post's author.
	public          bool
	already, absent error // the owner's reaction exists already; there is none to withdraw
	add             func(context.Context, *store.Reaction, *store.Outgoing, ...store.Notice) error
	byIRI           func(context.Context, string) (*store.Reaction, error)
	of              func(ctx context.Context, accountID, postID int64) (*store.Reaction, error)
	remove          func(ctx context.Context, id int64, out *store.Outgoing) error
}

func (s *App) likes() reactionKind {
	return reactionKind{typ: "Like", name: "like", already: ErrAlreadyLiked, absent: ErrNotLiked,
		add: s.st.AddLike, byIRI: s.st.LikeByIRI, of: s.st.LikeOf, remove: s.st.RemoveLike}
}

func (s *App) boosts() reactionKind {
	return reactionKind{typ: "Announce", name: "boost", public: true, already: ErrAlreadyBoosted,
		absent: ErrNotBoosted, add: s.st.AddBoost, byIRI: s.st.BoostByIRI, of: s.st.BoostOf,
		remove: s.st.RemoveBoost}
}

// undoes reports whether an Undo of an activity of type typ withdraws a reaction of kind k.
func (k reactionKind) undoes(typ string) bool {
	return typ == k.typ || (k.typ == "Like" && typ == "EmojiReact")
}

// react publishes the owner's reaction of kind k to the post ref.
func (s *App) react(ctx context.Context, ref string, k reactionKind) (*store.Post, error) {
	p, author, err := s.interactWith(ctx, ref)
	if err != nil {
		return nil, err
	}
	if k.public && !visibleToPublic(p) {
		return nil, invalid("only public and unlisted posts can be boosted")
	}
	to, cc, inboxes, err := s.reactionAudience(ctx, author, k)
	if err != nil {
		return nil, err
	}
	out, err := s.outgoing(k.typ, p.IRI, to, cc, k.public, inboxes)
	if err != nil {
		return nil, err
	}
	r := &store.Reaction{IRI: out.IRI, AccountID: s.Owner.Account.ID, PostID: p.ID}
	if k.public {
		out.PostID = p.ID
		r.ID, r.Visibility = out.ID, store.Public
	}
	err = k.add(ctx, r, out)
	if errors.Is(err, store.ErrConflict) {
		return p, k.already
	}
	if err != nil {
		return nil, err
	}
	s.Deliver.Wake()
	return p, nil
}

// unreact withdraws the owner's reaction of kind k to the post ref.
func (s *App) unreact(ctx context.Context, ref string, k reactionKind) (*store.Post, error) {
	p, author, err := s.interactWith(ctx, ref)
	if err != nil {
		return nil, err
	}
	r, err := k.of(ctx, s.Owner.Account.ID, p.ID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", k.absent, err)
	}
	to, cc, inboxes, err := s.reactionAudience(ctx, author, k)
	if err != nil {
		return nil, err
	}
	undone := map[string]any{"id": r.IRI, "type": k.typ, "actor": s.Owner.Account.IRI, "object": p.IRI}
	out, err := s.outgoing("Undo", undone, to, cc, k.public, inboxes)
	if err != nil {
		return nil, err
	}
	if err := k.remove(ctx, r.ID, out); err != nil {
		return nil, err
	}
	s.Deliver.Wake()
	return p, nil
}

// reactionAudience is whom the owner's reaction of kind k to a post by author (nil: the owner)
// is addressed and sent to.
func (s *App) reactionAudience(ctx context.Context, author *store.Account, k reactionKind) (to, cc, inboxes []string, err error) {
	if k.public {
		if inboxes, err = s.st.FollowerInboxes(ctx, s.Owner.Account.ID); err != nil {
			return nil, nil, nil, err
		}
		to, cc = []string{activitypub.Public}, []string{s.Owner.Account.FollowersURL}
	}
	if author != nil {
		inboxes = append(inboxes, author.DeliveryInbox())
		if k.public {
			cc = append(cc, author.IRI)
		} else {
			to = []string{author.IRI}
		}
	}
	return to, cc, inboxes, nil
}

// Like likes a post (given by URL, IRI or the owner's post ID) and tells its author.
func (s *App) Like(ctx context.Context, ref string) (*store.Post, error) {
	return s.react(ctx, ref, s.likes())
}

// Unlike withdraws the owner's like of a post.
func (s *App) Unlike(ctx context.Context, ref string) (*store.Post, error) {
	return s.unreact(ctx, ref, s.likes())
}

// Boost announces a public post to the owner's followers and tells its author.
func (s *App) Boost(ctx context.Context, ref string) (*store.Post, error) {
	return s.react(ctx, ref, s.boosts())
}

// Unboost withdraws the owner's boost of a post.
func (s *App) Unboost(ctx context.Context, ref string) (*store.Post, error) {
	return s.unreact(ctx, ref, s.boosts())
}

// interactWith finds the post to like or boost and its author (nil for the owner's own posts).
func (s *App) interactWith(ctx context.Context, ref string) (*store.Post, *store.Account, error) {
	p, err := s.FindPost(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	if p.AccountID == s.Owner.Account.ID {
		return p, nil, nil
	}
	a, err := s.st.AccountByID(ctx, p.AccountID)
	if err != nil {
		return nil, nil, err
	}
	return p, a, nil
}
