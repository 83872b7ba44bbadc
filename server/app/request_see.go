package app

import (
	"context"
	"net/http"
	"strconv"

	"roost/store"
)

// What the surfaces that serve the owner's posts by URL share: which post a path names, and
// whether the request may see it.

// OwnPost loads one of the owner's posts (deleted ones too) from a path's user name and id; any
// other name, an id that is not a number or the post of someone else is store.ErrNotFound.
func (s *App) OwnPost(ctx context.Context, name, id string) (*store.Post, error) {
	if name != s.Owner.Account.Username {
		return nil, store.ErrNotFound
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, store.ErrNotFound
	}
	p, err := s.st.PostByID(ctx, n)
	if err != nil {
		return nil, err
	}
	if p.AccountID != s.Owner.Account.ID {
		return nil, store.ErrNotFound
	}
	return p, nil
}

// RequestMaySee reports whether the request may see p, by the rule of visibility.go. Who sent it
// (a session, a signature to verify) is looked at only when the post is not for everyone.
func (s *App) RequestMaySee(r *http.Request, p *store.Post) bool {
	return s.MaySee(r.Context(), Viewer{}, p) || s.MaySee(r.Context(), s.RequestViewer(r), p)
}
