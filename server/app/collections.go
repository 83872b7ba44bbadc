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

// maxCollectionReplies bounds the replies and the conversation Roost lists for one post.
const maxCollectionReplies = 500

// RepliesDoc is the collection of the replies Roost knows to the owner's post p that everyone may
// see, shaped as Mastodon's: the collection embeds its first page, which lists none and leads to
// the page that lists them all (page "all"); page "first" is that first page alone.
func (s *App) RepliesDoc(ctx context.Context, p *store.Post, page string) (any, error) {
	base := p.IRI + "/replies"
	if page != "all" {
		first := repliesFirstPage(p)
		if page == "first" {
			first.Context = activitypub.Context()
			return first, nil
		}
		return &activitypub.Collection{Context: activitypub.Context(), ID: base, Type: "Collection", First: first}, nil
	}
	replies, err := s.st.Replies(ctx, p.IRI, maxCollectionReplies)
	if err != nil {
		return nil, err
	}
	items := []any{}
	for _, rp := range replies {
		if s.MaySee(ctx, Viewer{}, rp) {
			items = append(items, rp.IRI)
		}
	}
	return &activitypub.CollectionPage{Context: activitypub.Context(), ID: base + "?page=true&all=true",
		Type: "CollectionPage", PartOf: base, Items: items}, nil
}

// repliesFirstPage is the first page of a post's replies as NoteDoc embeds it: empty (Mastodon
// lists the author's own replies there) and leading to the page with all of them.
func repliesFirstPage(p *store.Post) *activitypub.CollectionPage {
	return &activitypub.CollectionPage{ID: p.IRI + "/replies?page=true", Type: "CollectionPage",
		PartOf: p.IRI + "/replies", Next: p.IRI + "/replies?page=true&all=true", Items: []any{}}
}

// ContextDoc is the FEP-7888 conversation of the owner's post p: p and the replies below it that
// everyone may see, oldest first, at most maxCollectionReplies.
func (s *App) ContextDoc(ctx context.Context, p *store.Post) (*activitypub.Collection, error) {
	items := []any{p.IRI}
	queue := []string{p.IRI}
	for len(queue) > 0 && len(items) < maxCollectionReplies {
		replies, err := s.st.Replies(ctx, queue[0], maxCollectionReplies)
		if err != nil {
			return nil, err
		}
		queue = queue[1:]
		for _, rp := range replies {
			if len(items) < maxCollectionReplies && s.MaySee(ctx, Viewer{}, rp) {
				items = append(items, rp.IRI)
				queue = append(queue, rp.IRI)
			}
		}
	}
	return &activitypub.Collection{Context: activitypub.Context(), ID: p.IRI + "/context", Type: "Collection",
		TotalItems: len(items), First: &activitypub.CollectionPage{ID: p.IRI + "/context?page=true",
			Type: "CollectionPage", PartOf: p.IRI + "/context", Items: items}}, nil
}
