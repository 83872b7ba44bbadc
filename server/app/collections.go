package app

import (
	"context"

	"roost/server/activitypub"
	"roost/store"
)

// The owner's collections, as the federation surface pages them. What they list is the same for
// everyone: only what anyone may see (MaySee with the anonymous Viewer).

// OutboxItems is a page of the owner's outbox: Create activities of their public and unlisted
// posts, newest first, and the cursor of the last post read.
func (s *App) OutboxItems(ctx context.Context, pg store.Page) ([]any, int64, error) {
	posts, err := s.st.AccountPosts(ctx, s.Owner.Account.ID, true, pg)
	if err != nil {
		return nil, 0, err
	}
	var items []any
	var last int64
	for _, p := range posts {
		last = p.ID
		if !s.MaySee(ctx, Viewer{}, p) {
			continue
		}
		doc, err := s.CreateDoc(p)
		if err != nil {
			return nil, 0, err
		}
		doc.Context = nil
		items = append(items, doc)
	}
	return items, last, nil
}

// FollowItems is a page of the IRIs of the owner's accepted followers, or of the accounts they
// follow, and the cursor of the last one.
func (s *App) FollowItems(ctx context.Context, followers bool, pg store.Page) ([]any, int64, error) {
	list := s.st.Following
	if followers {
		list = s.st.Followers
	}
	entries, err := list(ctx, s.Owner.Account.ID, store.Accepted, pg)
	if err != nil {
		return nil, 0, err
	}
	var items []any
	var last int64
	for _, e := range entries {
		items = append(items, e.Account.IRI)
		last = e.Follow.ID
	}
	return items, last, nil
}

// FeaturedDoc is the owner's pinned posts as an OrderedCollection of Notes.
func (s *App) FeaturedDoc(ctx context.Context) (*activitypub.OrderedCollection, error) {
	posts, err := s.st.PinnedPosts(ctx, s.Owner.Account.ID)
	if err != nil {
		return nil, err
	}
	items := []any{}
	for _, p := range posts {
		if s.MaySee(ctx, Viewer{}, p) {
			items = append(items, s.NoteDoc(p))
		}
	}
	return &activitypub.OrderedCollection{
		Context: activitypub.Context(), ID: s.ActorIRI() + "/collections/featured", Type: "OrderedCollection",
		TotalItems: len(items), OrderedItems: items,
	}, nil
}

// RepliesDoc is the collection of the replies Roost knows to the owner's post p that everyone may
// see.
func (s *App) RepliesDoc(ctx context.Context, p *store.Post) (*activitypub.Collection, error) {
	replies, err := s.st.Replies(ctx, p.IRI, 200)
	if err != nil {
		return nil, err
	}
	items := []any{}
	for _, rp := range replies {
		if s.MaySee(ctx, Viewer{}, rp) {
			items = append(items, rp.IRI)
		}
	}
	return &activitypub.Collection{
		Context: activitypub.Context(), ID: p.IRI + "/replies", Type: "Collection",
		TotalItems: len(items), Items: items,
	}, nil
}
