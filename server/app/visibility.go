package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"roost/server/media"
	"roost/store"
)

// Who may see a post: the one rule every surface asks (ActivityPub objects and collections, the
// pages and feeds, the client API, the streams, the media files). It is Mastodon's: public and
// unlisted posts are for everyone; a followers-only post for the author's followers and the
// accounts it mentions; a direct post for the accounts it mentions; every post for its author.
// The owner sees everything Roost stores, since on a single-user server that is what was
// delivered to them or fetched for them.

// Viewer is who asks to see a post, as far as the request proves it. The zero viewer is
// anonymous: it proved nothing, and sees public and unlisted posts only.
type Viewer struct {
	// Owner: the owner's web session, or an OAuth token of theirs with a read scope.
	Owner bool
	// Actor: a remote actor whose signed fetch was verified.
	Actor *store.Account
}

// MaySee reports whether v may see p. A deleted post is seen by nobody; a visibility it does
// not know is treated as private to the owner.
func (s *App) MaySee(ctx context.Context, v Viewer, p *store.Post) bool {
	if !p.DeletedAt.IsZero() {
		return false
	}
	if v.Owner {
		return true
	}
	switch p.Visibility {
	case store.Public, store.Unlisted:
		return true
	case store.Private, store.Direct:
	default:
		return false
	}
	if v.Actor == nil {
		return false
	}
	if v.Actor.ID == p.AccountID {
		return true
	}
	if ok, err := s.st.Mentioned(ctx, p.ID, v.Actor.ID); err == nil && ok {
		return true
	}
	if p.Visibility == store.Private {
		ok, err := s.st.IsFollowing(ctx, v.Actor.ID, p.AccountID)
		return err == nil && ok
	}
	return false
}

// The media files of a followers-only or direct post are served to whoever may see the post, but
// the requests that load them rarely prove who asks: Mastodon fetches a remote attachment with an
// unsigned GET, and phone apps load images without their token. So the URLs handed to a viewer
// who may see such a post (the Note and its activities delivered or served to the audience, the
// owner's API statuses and pages) carry a capability: the HMAC of the file's name under a key
// the server keeps (mediaKeyName), verified by the media surface (ValidMediaToken). The token depends on the name alone,
// so an edit keeps the URLs that remote servers cached; it opens the file of a deleted post to
// nobody.

// mediaKeyName names the key of the media capability URLs in the store's secrets.
const mediaKeyName = "media_url_key"

// MediaToken is the capability token of the media file called name.
func (s *App) MediaToken(name string) string {
	mac := hmac.New(sha256.New, s.mediaKey)
	mac.Write([]byte("media:" + name))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// ValidMediaToken reports whether token is the capability token of the file called name.
func (s *App) ValidMediaToken(name, token string) bool {
	return token != "" && hmac.Equal([]byte(token), []byte(s.MediaToken(name)))
}

// PostMediaURL is the URL of one of p's files (u, as stored in the post) as handed to a viewer
// who may see p: with its capability token when p is one of the owner's non-public posts and u
// one of Roost's media files, else u unchanged.
func (s *App) PostMediaURL(p *store.Post, u string) string {
	if visibleToPublic(p) || p.AccountID != s.Owner.Account.ID {
		return u
	}
	name, ok := strings.CutPrefix(u, s.Base+"/media/")
	if !ok || !media.ValidName(name) {
		return u
	}
	return u + "?k=" + s.MediaToken(name)
}
