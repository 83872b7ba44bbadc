package app

import (
	"context"
	"errors"
	"strings"

	"roost/store"
)

// Follow asks to follow an account given as @user@host or a URL.
func (s *App) Follow(ctx context.Context, handle string) (*store.Account, error) {
	a, err := s.Resolve.Handle(ctx, handle)
	if err != nil {
		return nil, err
	}
	if err := s.followAccount(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *App) followAccount(ctx context.Context, a *store.Account) error {
	if a.ID == s.Owner.Account.ID {
		return ErrSelf
	}
	if f, err := s.st.FollowBetween(ctx, s.Owner.Account.ID, a.ID); err == nil && f.State == store.Accepted {
		return ErrAlreadyFollowing
	}
	out, err := s.outgoing("Follow", a.IRI, []string{a.IRI}, nil, false, []string{a.Inbox})
	if err != nil {
		return err
	}
	f := &store.Follow{IRI: out.IRI, FollowerID: s.Owner.Account.ID, FolloweeID: a.ID}
	if err := s.st.FollowAccount(ctx, f, out); err != nil {
		return err
	}
	s.Deliver.Wake()
	s.Backfill.Account(a) // their latest and pinned posts, so that the profile and home are not empty
	return nil
}

// Unfollow stops following an account (or withdraws a pending request).
func (s *App) Unfollow(ctx context.Context, handle string) (*store.Account, error) {
	a, err := s.Resolve.Handle(ctx, handle)
	if err != nil {
		return nil, err
	}
	return a, s.unfollowAccount(ctx, a)
}

func (s *App) unfollowAccount(ctx context.Context, a *store.Account) error {
	f, err := s.st.FollowBetween(ctx, s.Owner.Account.ID, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFollowing
	}
	if err != nil {
		return err
	}
	follow := map[string]any{"id": f.IRI, "type": "Follow", "actor": s.Owner.Account.IRI, "object": a.IRI}
	out, err := s.outgoing("Undo", follow, []string{a.IRI}, nil, false, []string{a.Inbox})
	if err != nil {
		return err
	}
	if err := s.st.RemoveFollow(ctx, f.ID, out); err != nil {
		return err
	}
	s.Deliver.Wake()
	return nil
}

// FollowRequests lists accounts waiting for the owner's approval.
func (s *App) FollowRequests(ctx context.Context) ([]store.FollowEntry, error) {
	return s.st.Followers(ctx, s.Owner.Account.ID, store.Pending, store.Page{Limit: 200})
}

// ApproveFollower accepts a pending follow request and sends the Accept.
func (s *App) ApproveFollower(ctx context.Context, handle string) (*store.Account, error) {
	a, f, err := s.followerRequest(ctx, handle)
	if err != nil {
		return nil, err
	}
	if f.State == store.Accepted {
		return a, invalid("already a follower")
	}
	follow := map[string]any{"id": f.IRI, "type": "Follow", "actor": a.IRI, "object": s.Owner.Account.IRI}
	out := s.replyTo(a, "Accept", follow)
	if err := s.st.SetFollowState(ctx, f.ID, store.Accepted, out); err != nil {
		return nil, err
	}
	s.Deliver.Wake()
	return a, nil
}

// RejectFollower refuses a follow request, or removes an existing follower, with a Reject.
func (s *App) RejectFollower(ctx context.Context, handle string) (*store.Account, error) {
	a, f, err := s.followerRequest(ctx, handle)
	if err != nil {
		return nil, err
	}
	follow := map[string]any{"id": f.IRI, "type": "Follow", "actor": a.IRI, "object": s.Owner.Account.IRI}
	out := s.replyTo(a, "Reject", follow)
	if err := s.st.RemoveFollow(ctx, f.ID, out); err != nil {
		return nil, err
	}
	s.Deliver.Wake()
	return a, nil
}

func (s *App) followerRequest(ctx context.Context, handle string) (*store.Account, *store.Follow, error) {
	a, err := s.KnownAccount(ctx, handle)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.st.FollowBetween(ctx, a.ID, s.Owner.Account.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, invalid("%s has not asked to follow you", handle)
	}
	return a, f, err
}

// KnownAccount finds an account Roost already stores, by handle or IRI, without network lookups.
func (s *App) KnownAccount(ctx context.Context, handle string) (*store.Account, error) {
	handle = strings.TrimSpace(handle)
	if strings.HasPrefix(handle, "http://") || strings.HasPrefix(handle, "https://") {
		return s.st.AccountByIRI(ctx, handle)
	}
	user, host, ok := ParseAcct(handle)
	if !ok {
		return nil, invalid("%q: use @user@host or an actor URL", handle)
	}
	return s.st.AccountByHandle(ctx, user, host)
}

// Followers lists the owner's followers (state accepted) or following.
func (s *App) Followers(ctx context.Context) ([]store.FollowEntry, error) {
	return s.st.Followers(ctx, s.Owner.Account.ID, store.Accepted, store.Page{Limit: 200})
}

// Following lists the accounts the owner follows, accepted or still pending.
func (s *App) Following(ctx context.Context) ([]store.FollowEntry, error) {
	acc, err := s.st.Following(ctx, s.Owner.Account.ID, store.Accepted, store.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	pending, err := s.st.Following(ctx, s.Owner.Account.ID, store.Pending, store.Page{Limit: 200})
	return append(acc, pending...), err
}
