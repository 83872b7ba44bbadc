package app

import (
	"context"

	"roost/server/activitypub"
	"roost/server/remote"
	"roost/store"
)

// BackfillPosts is how many of an account's recent posts Roost fetches from its outbox the first
// time the owner looks at it.
const BackfillPosts = 20

// Backfill stores an account's recent public posts from the first page of its outbox. Only
// Creates of the account's own posts, embedded on its own origin, are taken.
func (s *App) Backfill(ctx context.Context, a *store.Account) error {
	body, err := s.Resolve.FetchAS(ctx, a.Outbox)
	if err != nil {
		return err
	}
	col, err := activitypub.DecodeCollection(body)
	if err != nil {
		return err
	}
	items := col.Items
	if len(items) == 0 && !col.First.IsZero() {
		var page *activitypub.RemoteCollection
		if col.First.IsEmbedded() {
			page, err = activitypub.DecodeCollection(col.First.Raw)
		} else {
			var pb []byte
			if pb, err = s.Resolve.FetchAS(ctx, col.First.ID); err == nil {
				page, err = activitypub.DecodeCollection(pb)
			}
		}
		if err != nil {
			return err
		}
		items = page.Items
	}
	stored := 0
	for _, it := range items {
		if stored >= BackfillPosts || !it.IsEmbedded() {
			continue
		}
		act, err := it.Activity()
		if err != nil || act.Type != "Create" || act.Actor.ID != a.IRI || !act.Object.IsEmbedded() {
			continue
		}
		o, err := act.Object.Object()
		if err != nil || o.AttributedTo.ID != a.IRI || !activitypub.IsPostType(o.Type) || !remote.SameOrigin(o.ID, a.IRI) {
			continue
		}
		p, mentionsOwner := s.postFromObject(o, a, s.Owner.Account)
		if p.Visibility != store.Public && p.Visibility != store.Unlisted {
			continue
		}
		var mentions []int64
		if mentionsOwner {
			mentions = []int64{s.Owner.Account.ID}
		}
		notices, _, err := s.postNotices(ctx, o, a)
		if err != nil {
			return err
		}
		if err := s.st.InsertRemotePost(ctx, p, mentions, notices...); err == nil {
			stored++
		}
	}
	return nil
}
