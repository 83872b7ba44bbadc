package app

import (
	"context"
	"errors"
	"slices"
	"strings"

	"roost/server/activitypub"
	"roost/store"
)

// The core decides whom a write notifies; the store records the notices in the write's own
// transaction, so a post or a like never commits without its notification, nor the reverse.

// unmuted returns n, or nothing when n is about a post of a conversation the owner muted
// (Mastodon's status mute): nothing about such a post notifies.
func (s *App) unmuted(ctx context.Context, n store.Notice) ([]store.Notice, error) {
	if n.PostID != 0 {
		if muted, err := s.st.ThreadMuted(ctx, n.PostID); err != nil || muted {
			return nil, err
		}
	}
	return []store.Notice{n}, nil
}

// reactionNotices are the notices a like ("favourite") or boost ("reblog") by account of p
// makes: one when p is the owner's and account someone else.
func (s *App) reactionNotices(ctx context.Context, kind string, account int64, p *store.Post) ([]store.Notice, error) {
	owner := s.Owner.Account.ID
	if p.AccountID != owner || account == owner {
		return nil, nil
	}
	return s.unmuted(ctx, store.Notice{Type: kind, AccountID: account, PostID: p.ID})
}

// postNotices decides what a remote post o by author tells the owner, as Mastodon does: a
// "mention" when a Mention tag names the owner, when it is a direct post addressed to them, or
// when it replies to one of their posts; a "quote" when it quotes one of their posts (Mastodon
// 4.5). Being addressed in to or cc is not a mention: WriteFreely addresses every follower that
// way. concerns says whether the post is about the owner at all, even when it notifies nothing
// because its conversation is muted. The notices' PostID is left for InsertRemotePost to fill.
func (s *App) postNotices(ctx context.Context, o *activitypub.Object, author *store.Account) (notices []store.Notice, concerns bool, err error) {
	owner := s.Owner.Account
	mention := slices.ContainsFunc(o.Tag, func(t activitypub.Tag) bool {
		return t.Type == "Mention" && (t.Href == owner.IRI || t.Href == owner.URL)
	})
	if !mention && visibilityOf(o.To, o.CC, author.FollowersURL) == store.Direct {
		mention = slices.Contains(o.To, owner.IRI) || slices.Contains(o.CC, owner.IRI)
	}
	var parent *store.Post
	if o.InReplyTo.ID != "" {
		if p, err := s.st.PostByIRI(ctx, o.InReplyTo.ID); err == nil {
			parent = p
			mention = mention || p.AccountID == owner.ID
		}
	}
	if mention {
		notices = append(notices, store.Notice{Type: "mention", AccountID: author.ID})
	}
	if q := o.QuoteIRI(); q != "" && s.IsLocal(q) {
		if p, err := s.st.PostByIRI(ctx, q); err == nil && p.AccountID == owner.ID && p.DeletedAt.IsZero() {
			notices = append(notices, store.Notice{Type: "quote", AccountID: author.ID})
		}
	}
	if len(notices) > 0 && parent != nil {
		// A reply belongs to its parent's conversation.
		if muted, err := s.st.ThreadMuted(ctx, parent.ID); err != nil || muted {
			return nil, true, err
		}
	}
	return notices, len(notices) > 0, nil
}

// statusNotices are the notices a new post p by author makes because the owner asked to be
// notified of author's posts (Mastodon's per-follow notify): a "status" notice when the owner
// follows author with notify on and p reaches their home timeline as a new post of author's own,
// as Mastodon's FeedInsertWorker#notify? decides: not a reply to someone else (a reply to author's
// own post, a thread, is one), not in a language the owner left out for author, not from a muted
// account. A direct post is left out: it notifies as a mention when it is for the owner. Boosts
// never come here (an Announce is not a post).
func (s *App) statusNotices(ctx context.Context, p *store.Post, author *store.Account) ([]store.Notice, error) {
	if p.Visibility == store.Direct || author.ID == s.Owner.Account.ID {
		return nil, nil
	}
	f, err := s.st.FollowBetween(ctx, s.Owner.Account.ID, author.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil || f.State != store.Accepted || !f.Notify || !inLanguages(p.Language, f.Languages) {
		return nil, err
	}
	if muted, err := s.st.Muted(ctx, author.ID); err != nil || muted {
		return nil, err
	}
	if p.InReplyTo != "" {
		parent, err := s.st.PostByIRI(ctx, p.InReplyTo)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil // a reply to a post Roost lacks is not in home either
		}
		if err != nil || parent.AccountID != author.ID {
			return nil, err
		}
		if muted, err := s.st.ThreadMuted(ctx, parent.ID); err != nil || muted {
			return nil, err
		}
	}
	return []store.Notice{{Type: "status", AccountID: author.ID}}, nil
}

// inLanguages reports whether a post in lang shows to an owner who chose langs for its author
// (nil: every language); a post without a known language always shows. A chosen "pt" takes
// "pt-BR" too. The home timeline's query decides the same (store.HomeTimeline).
func inLanguages(lang string, langs []string) bool {
	if lang == "" || langs == nil {
		return true
	}
	return slices.ContainsFunc(langs, func(l string) bool {
		return strings.EqualFold(lang, l) || len(lang) > len(l) && lang[len(l)] == '-' && strings.EqualFold(lang[:len(l)], l)
	})
}
