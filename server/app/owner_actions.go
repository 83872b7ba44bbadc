package app

import (
	"context"

	"roost/store"
)

func (s *App) MuteAccount(on bool) func(context.Context, string) (*store.Account, error) {
	return func(ctx context.Context, handle string) (*store.Account, error) {
		a, err := s.KnownAccount(ctx, handle)
		if err != nil {
			return nil, err
		}
		return a, s.st.Mute(ctx, a.ID, on)
	}
}

func (s *App) BookmarkPost(on bool) func(context.Context, string) (*store.Post, error) {
	return func(ctx context.Context, ref string) (*store.Post, error) {
		p, err := s.FindPost(ctx, ref)
		if err != nil {
			return nil, err
		}
		return p, s.st.Bookmark(ctx, p.ID, on)
	}
}

func (s *App) PinPost(on bool) func(context.Context, string) (*store.Post, error) {
	return func(ctx context.Context, ref string) (*store.Post, error) { return s.Pin(ctx, ref, on) }
}
