package resolve

import (
	"context"
	"encoding/json"
	"log/slog"

	"roost/server/activitypub"
	"roost/server/remote"
	"roost/store"
	"roost/store/about"
)

// saveCounts keeps a remote actor's own counts: the totalItems of its followers, following and
// outbox collections, as Mastodon shows a remote account's. Only collections on the actor's own
// origin are asked; one that cannot be fetched, or hides its size, counts as not given.
func (s *Resolver) saveCounts(ctx context.Context, doc *activitypub.Actor, acct *store.Account) {
	total := func(iri string) int {
		if iri == "" || !remote.SameOrigin(iri, doc.ID) {
			return -1
		}
		body, err := s.FetchAS(ctx, iri)
		if err != nil {
			return -1
		}
		var c struct {
			TotalItems *int `json:"totalItems"`
		}
		if json.Unmarshal(body, &c) != nil || c.TotalItems == nil || *c.TotalItems < 0 {
			return -1
		}
		return *c.TotalItems
	}
	c := about.Counts{Followers: total(doc.Followers), Following: total(doc.Following), Statuses: total(doc.Outbox)}
	if c == (about.Counts{Followers: -1, Following: -1, Statuses: -1}) {
		return
	}
	if err := about.New(s.st).SetCounts(ctx, acct.ID, c); err != nil {
		s.log.Warn("save remote counts", "actor", doc.ID, slog.Any("err", err))
	}
}
