package app

import (
	"context"
	"strings"
	"unicode"

	"roost/store/followedtags"
)

// maxTagLen bounds a followed tag's length in bytes; Mastodon's own are at most 255 characters.
const maxTagLen = 255

// TagName checks a hashtag a request names (with or without its #) and returns it lower-cased
// without the #; a name that is not a hashtag is NotFound, as Mastodon answers.
func TagName(name string) (string, error) {
	name = followedtags.Normalize(name)
	if name == "" || len(name) > maxTagLen || strings.ContainsFunc(name, func(c rune) bool {
		return c != '_' && !unicode.IsLetter(c) && !unicode.IsDigit(c) && !unicode.IsMark(c)
	}) {
		return "", &Error{Kind: NotFound, Msg: "not a hashtag"}
	}
	return name, nil
}

// FollowTag follows a hashtag (or unfollows it): public posts carrying it that reach Roost are
// kept and shown in home.
func (s *App) FollowTag(ctx context.Context, name string, follow bool) (string, error) {
	name, err := TagName(name)
	if err != nil {
		return "", err
	}
	if follow {
		return name, s.Tags.Follow(ctx, name)
	}
	return name, s.Tags.Unfollow(ctx, name)
}
