package app

import (
	"context"
	"log/slog"
	"net/url"
	"strings"

	"roost/store"
)

// Search is what the owner's search box and the client API's search find: known accounts by
// handle and display name, hashtags by name, and posts by their words
// (https://docs.joinmastodon.org/methods/search/).

// SearchInput is one search: the text, which kinds of result to find (all when Type is empty),
// and the page of each kind.
type SearchInput struct {
	Q         string
	Type      string // "", "accounts", "hashtags" or "statuses"
	Resolve   bool   // look up a handle or a URL on its server when Roost does not know it
	Following bool   // accounts the owner follows only
	AccountID int64  // statuses by this account only (0: anyone's)
	Offset    int
	Limit     int // of each kind: 20 when unset, 40 at most
}

// SearchResult is what a search found.
type SearchResult struct {
	Accounts []store.FoundAccount
	Tags     []store.TagUse
	Posts    []*store.Post
}

// Search finds what in asks for, as the viewer v may see it: each post found passes MaySee, and
// a direct post by someone else only when it names the owner (Mastodon searches a direct post
// only for the accounts it mentions). With Resolve, a handle or an actor URL is looked up on its
// server and comes first, and a post's URL fetches the post. A handle or URL that cannot be
// resolved finds nothing, as on Mastodon: it is no error.
func (s *App) Search(ctx context.Context, v Viewer, in SearchInput) (*SearchResult, error) {
	q := strings.TrimSpace(in.Q)
	res := &SearchResult{}
	if q == "" {
		return res, nil
	}
	limit := in.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 40)
	offset := max(in.Offset, 0)
	isURL := false
	if u, err := url.Parse(q); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		isURL = true
	}
	if in.Type == "" || in.Type == "accounts" {
		if err := s.searchAccounts(ctx, res, q, isURL, in, offset, limit); err != nil {
			return nil, err
		}
	}
	if (in.Type == "" || in.Type == "hashtags") && !isURL {
		tags, err := s.st.SearchTags(ctx, q, offset, limit)
		if err != nil {
			return nil, err
		}
		res.Tags = tags
	}
	if in.Type == "" || in.Type == "statuses" {
		if err := s.searchPosts(ctx, v, res, q, isURL, in, offset, limit); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// searchAccounts finds the accounts of a search: the resolved one first (on the first page),
// then the known accounts whose handle or name begins with q.
func (s *App) searchAccounts(ctx context.Context, res *SearchResult, q string, isURL bool, in SearchInput,
	offset, limit int) error {
	var exact *store.Account
	if offset == 0 && (isURL || strings.Contains(strings.TrimPrefix(q, "@"), "@")) {
		var err error
		if in.Resolve {
			exact, err = s.Resolve.Handle(ctx, q)
		} else {
			exact, err = s.KnownAccount(ctx, q)
		}
		if err != nil {
			s.log.Debug("search: no account", slog.String("q", q), slog.Any("err", err))
			exact = nil
		}
	}
	if exact != nil {
		followed, err := s.st.IsFollowing(ctx, s.Owner.Account.ID, exact.ID)
		if err != nil {
			return err
		}
		if !in.Following || followed {
			res.Accounts = append(res.Accounts, store.FoundAccount{Account: exact, Followed: followed})
		}
	}
	if isURL {
		return nil
	}
	found, err := s.st.SearchAccounts(ctx, q, offset, limit, in.Following)
	if err != nil {
		return err
	}
	for _, a := range found {
		if len(res.Accounts) >= limit {
			break
		}
		if exact == nil || a.ID != exact.ID {
			res.Accounts = append(res.Accounts, a)
		}
	}
	return nil
}

// searchPosts finds the posts of a search: the post at a URL, or the posts whose words match.
// Posts the viewer may not see are left out, of the page and of the offset.
func (s *App) searchPosts(ctx context.Context, v Viewer, res *SearchResult, q string, isURL bool, in SearchInput,
	offset, limit int) error {
	if isURL {
		if offset > 0 {
			return nil
		}
		var p *store.Post
		var err error
		if in.Resolve {
			p, err = s.FindPost(ctx, q)
		} else {
			p, err = s.st.PostByIRI(ctx, q)
		}
		if err == nil && s.searchable(ctx, v, p) && (in.AccountID == 0 || p.AccountID == in.AccountID) {
			res.Posts = []*store.Post{p}
		}
		return nil
	}
	sq := store.ParseSearchQuery(q)
	if in.AccountID != 0 {
		a, err := s.st.AccountByID(ctx, in.AccountID)
		if err != nil {
			return nil // an unknown account wrote nothing
		}
		sq.From = a.Username
		if !a.Local {
			sq.From += "@" + a.Host
		}
	}
	// Paging counts the posts the viewer may see, so that a post hidden from them neither
	// shortens a page nor shifts the next one (offset+limit) onto what this one showed. The
	// store is read from the first match; past offset+limit+maxHiddenScan matches it stops.
	const maxHiddenScan = 200
	skip := offset
	sq.Limit = 40
	for sq.Offset = 0; sq.Offset < offset+limit+maxHiddenScan; {
		page, err := s.st.SearchPosts(ctx, sq)
		if err != nil {
			return err
		}
		for _, p := range page {
			if !s.searchable(ctx, v, p) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			res.Posts = append(res.Posts, p)
			if len(res.Posts) == limit {
				return nil
			}
		}
		if len(page) < sq.Limit {
			return nil
		}
		sq.Offset += len(page)
	}
	return nil
}

// searchable reports whether v may find p by searching: v may see it, and a direct post by
// someone else names the owner.
func (s *App) searchable(ctx context.Context, v Viewer, p *store.Post) bool {
	if !s.MaySee(ctx, v, p) {
		return false
	}
	if p.Visibility != store.Direct || p.AccountID == s.Owner.Account.ID {
		return true
	}
	ok, err := s.st.Mentioned(ctx, p.ID, s.Owner.Account.ID)
	return err == nil && ok
}
