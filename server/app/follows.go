package app

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"

	"roost/store"
)

// Follow asks to follow an account given as @user@host or a URL, with the default options.
func (s *App) Follow(ctx context.Context, handle string) (*store.Account, error) {
	return s.FollowWith(ctx, handle, FollowOptions{})
}

// FollowOptions changes the owner's options on a follow (Mastodon's reblogs, notify and
// languages parameters); a nil field keeps what the follow has, or the default on a new follow.
type FollowOptions struct {
	Reblogs   *bool     // the account's boosts show in home
	Notify    *bool     // each new post of theirs makes a "status" notification
	Languages *[]string // only posts in these languages show in home; empty: every language
}

// maxFollowLanguages bounds the languages chosen for one follow.
const maxFollowLanguages = 100

// languageCodeRE is a language code as posts carry them (ISO 639, maybe with a region: "pt-BR").
var languageCodeRE = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$`)

// apply returns cur with o's changes, or an Invalid error for a language that is not a code.
func (o FollowOptions) apply(cur store.FollowOptions) (store.FollowOptions, error) {
	if o.Reblogs != nil {
		cur.HideReblogs = !*o.Reblogs
	}
	if o.Notify != nil {
		cur.Notify = *o.Notify
	}
	if o.Languages != nil {
		cur.Languages = nil
		for _, l := range *o.Languages {
			if l = strings.TrimSpace(l); l == "" {
				continue
			}
			if len(l) > 16 || !languageCodeRE.MatchString(l) {
				return cur, invalid("%q is not a language code", l)
			}
			if !slices.ContainsFunc(cur.Languages, func(x string) bool { return strings.EqualFold(x, l) }) {
				cur.Languages = append(cur.Languages, l)
			}
		}
		if len(cur.Languages) > maxFollowLanguages {
			return cur, invalid("more than %d languages", maxFollowLanguages)
		}
	}
	return cur, nil
}

// FollowWith follows an account given as @user@host or a URL with options o. When the owner
// follows it already it changes the follow's options (and answers ErrAlreadyFollowing); a
// follow still waiting for its Accept is asked again with them, as Mastodon's FollowService.
func (s *App) FollowWith(ctx context.Context, handle string, o FollowOptions) (*store.Account, error) {
	a, err := s.Resolve.Handle(ctx, handle)
	if err != nil {
		return nil, err
	}
	if err := s.followAccount(ctx, a, o); err != nil {
		return a, err
	}
	return a, nil
}

// SetFollowOptions changes the options of the owner's follow (or follow request) of the account
// given as @user@host or a URL, without asking again.
func (s *App) SetFollowOptions(ctx context.Context, handle string, o FollowOptions) (*store.Account, error) {
	a, err := s.KnownAccount(ctx, handle)
	if err != nil {
		return nil, err
	}
	f, err := s.st.FollowBetween(ctx, s.Owner.Account.ID, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return a, ErrNotFollowing
	}
	if err != nil {
		return a, err
	}
	opts, err := o.apply(f.FollowOptions)
	if err != nil {
		return a, err
	}
	return a, s.st.SetFollowOptions(ctx, f.ID, opts)
}

func (s *App) followAccount(ctx context.Context, a *store.Account, o FollowOptions) error {
	if a.ID == s.Owner.Account.ID {
		return ErrSelf
	}
	var cur store.FollowOptions
	existing, err := s.st.FollowBetween(ctx, s.Owner.Account.ID, a.ID)
	switch {
	case err == nil:
		cur = existing.FollowOptions
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	opts, err := o.apply(cur)
	if err != nil {
		return err
	}
	if existing != nil && existing.State == store.Accepted {
		if o != (FollowOptions{}) {
			if err := s.st.SetFollowOptions(ctx, existing.ID, opts); err != nil {
				return err
			}
		}
		return ErrAlreadyFollowing
	}
	out, err := s.outgoing("Follow", a.IRI, []string{a.IRI}, nil, false, []string{a.Inbox})
	if err != nil {
		return err
	}
	f := &store.Follow{IRI: out.IRI, FollowerID: s.Owner.Account.ID, FolloweeID: a.ID, FollowOptions: opts}
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
