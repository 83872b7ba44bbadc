package app

import (
	"context"
	"slices"
	"strings"

	"roost/server/activitypub"
	"roost/store"
)

// MoveTo moves the owner's followers to another account, as Mastodon's account migration does.
// The new account must already name this one among its aliases (alsoKnownAs), which is read
// afresh from its server. Followers' servers get a Move and follow the new account in their
// users' place; this actor says movedTo from then on, and its profile page points there. An
// empty handle takes the redirect back (an Update of the actor); followers who moved stay moved.
func (s *App) MoveTo(ctx context.Context, handle string) (*store.Account, error) {
	a, err := s.st.AccountByID(ctx, s.Owner.Account.ID)
	if err != nil {
		return nil, err
	}
	inboxes, err := s.st.FollowerInboxes(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	var outs []*store.Outgoing
	if handle = strings.TrimSpace(handle); handle == "" {
		if a.MovedTo == "" {
			return a, nil
		}
		a.MovedTo = ""
	} else {
		target, err := s.Resolve.Handle(ctx, handle)
		if err != nil {
			return nil, err
		}
		if target.Local || target.ID == a.ID {
			return nil, ErrSelf
		}
		// Its aliases as they are now: one is most likely added just before the move.
		doc, err := s.Resolve.FetchActor(ctx, target.IRI)
		if err != nil {
			return nil, err
		}
		if !slices.Contains([]string(doc.AlsoKnownAs), a.IRI) {
			return nil, invalid("%s does not name this account as an alias: add @%s there first "+
				"(on Mastodon: Preferences, Account, Moving from a different account)", handle, a.Handle())
		}
		if _, err := s.Resolve.SaveActor(ctx, doc, nil); err != nil {
			return nil, err
		}
		a.MovedTo = target.IRI
		// As Mastodon sends it: the actor moves itself.
		move, err := s.outgoingTo("Move", a.IRI, target.IRI, []string{a.FollowersURL}, nil, false, inboxes)
		if err != nil {
			return nil, err
		}
		outs = append(outs, move)
	}
	doc := s.ActorDoc(a)
	doc.Context = nil
	update, err := s.outgoing("Update", doc, []string{activitypub.Public}, []string{a.FollowersURL}, true, inboxes)
	if err != nil {
		return nil, err
	}
	if err := s.st.SetOwnerMovedTo(ctx, a.ID, a.MovedTo, append([]*store.Outgoing{update}, outs...)...); err != nil {
		return nil, err
	}
	s.Deliver.Wake()
	return a, nil
}
