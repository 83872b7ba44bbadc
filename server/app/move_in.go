package app

import (
	"context"
	"time"

	"roost/store"
)

// aliasRefresh is how long an old account of the owner's found not moved here is not asked
// again: a Move makes every follower's server follow within minutes, and this keeps the old
// server from being asked once per follower.
const aliasRefresh = 30 * time.Second

// movedFrom returns the owner's old account (one of their aliases) that now points here
// (movedTo), or "" if none: a follow arriving then comes with the owner's move, as a Move makes
// the old account's followers' servers follow the new one.
func (s *App) movedFrom(ctx context.Context, owner *store.Account) string {
	for _, alias := range owner.AlsoKnownAs {
		a, err := s.st.AccountByIRI(ctx, alias)
		if err != nil {
			a = nil
		}
		last, _ := s.aliasChecked.Load(alias)
		if checked, _ := last.(time.Time); a == nil || (a.MovedTo != owner.IRI && time.Since(checked) > aliasRefresh) {
			s.aliasChecked.Store(alias, time.Now())
			doc, err := s.Resolve.FetchActor(ctx, alias)
			if err != nil {
				continue
			}
			if a, err = s.Resolve.SaveActor(ctx, doc, a); err != nil {
				continue
			}
		}
		if a.MovedTo == owner.IRI {
			return a.IRI
		}
	}
	return ""
}
