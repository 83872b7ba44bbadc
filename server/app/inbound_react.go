package app

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"roost/server/content"
	"roost/store"
	"roost/store/emojis"
)

// emojiShortcodeRE is a custom emoji's shortcode, between its colons (Mastodon's
// CustomEmoji::SHORTCODE_RE_FRAGMENT).
var emojiShortcodeRE = regexp.MustCompile(`^[a-zA-Z0-9_]{2,}$`)

// canInteract reports whether account may see (and so like or boost) post.
func (s *App) canInteract(ctx context.Context, p *store.Post, account *store.Account) bool {
	return s.MaySee(ctx, Viewer{Actor: account}, p)
}

func (h *handling) like(ctx context.Context) error {
	s := h.s
	p, err := s.st.PostByIRI(ctx, h.act.Object.ID)
	if errors.Is(err, store.ErrNotFound) {
		return h.drop("a like of a post Roost does not have")
	}
	if err != nil {
		return err
	}
	if !p.DeletedAt.IsZero() || !s.canInteract(ctx, p, h.signer) {
		return h.drop("a like of a deleted post, or of one its sender may not see")
	}
	emoji := h.act.Content
	if h.act.MisskeyReaction != "" {
		emoji = h.act.MisskeyReaction
	}
	emoji = content.TruncateRunes(s.Sanitize.Text(emoji), 64)
	if err := h.saveEmoji(ctx, emoji); err != nil {
		return err
	}
	notices, err := s.reactionNotices(ctx, "favourite", h.signer.ID, p)
	if err != nil {
		return err
	}
	err = s.st.AddLike(ctx, &store.Reaction{IRI: h.act.ID, AccountID: h.signer.ID, PostID: p.ID,
		Content: emoji}, nil, notices...)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

// saveEmoji keeps the image of the custom emoji a reaction names (":name:", with an Emoji tag
// of that name, as Misskey and Akkoma send it), so the reaction can be shown as that emoji.
func (h *handling) saveEmoji(ctx context.Context, emoji string) error {
	code, pre := strings.CutPrefix(emoji, ":")
	code, suf := strings.CutSuffix(code, ":")
	if !pre || !suf || !emojiShortcodeRE.MatchString(code) {
		return nil
	}
	for _, t := range h.act.Tag {
		if t.Type == "Emoji" && t.Name == emoji && t.Icon != nil {
			if u := content.SafeURL(t.Icon.URL); u != "" {
				return emojis.New(h.s.st).Save(ctx, h.signer.Host, emoji, u)
			}
		}
	}
	return nil
}

func (h *handling) announce(ctx context.Context) error {
	s := h.s
	id := h.act.Object.ID
	if id == "" {
		return reject("announce without an object")
	}
	p, err := s.st.PostByIRI(ctx, id)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound):
		if s.IsLocal(id) {
			return h.drop("a boost of a post of this server that does not exist")
		}
		following, err := s.st.IsFollowing(ctx, h.owner.ID, h.signer.ID)
		if err != nil {
			return err
		}
		if !following {
			return h.drop("a boost by a stranger of a post Roost does not have")
		}
		if p, err = s.FetchPost(ctx, id); err != nil {
			return err
		}
	default:
		return err
	}
	if !p.DeletedAt.IsZero() || !visibleToPublic(p) {
		return h.drop("a boost of a deleted or non-public post")
	}
	vis := visibilityOf(h.act.To, h.act.CC, h.signer.FollowersURL)
	notices, err := s.reactionNotices(ctx, "reblog", h.signer.ID, p)
	if err != nil {
		return err
	}
	err = s.st.AddBoost(ctx, &store.Reaction{ID: store.IDAt(time.Now(), h.act.ID), IRI: h.act.ID,
		AccountID: h.signer.ID, PostID: p.ID, Visibility: vis}, nil, notices...)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}
