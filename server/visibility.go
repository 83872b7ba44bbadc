package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
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

// viewer is who asks to see a post, as far as the request proves it. The zero viewer is
// anonymous: it proved nothing, and sees public and unlisted posts only.
type viewer struct {
	// owner: the owner's web session, or an OAuth token of theirs with a read scope.
	owner bool
	// actor: a remote actor whose signed fetch was verified.
	actor *store.Account
}

// maySee reports whether v may see p. A deleted post is seen by nobody; a visibility it does
// not know is treated as private to the owner.
func (s *Server) maySee(ctx context.Context, v viewer, p *store.Post) bool {
	if !p.DeletedAt.IsZero() {
		return false
	}
	if v.owner {
		return true
	}
	switch p.Visibility {
	case store.Public, store.Unlisted:
		return true
	case store.Private, store.Direct:
	default:
		return false
	}
	if v.actor == nil {
		return false
	}
	if v.actor.ID == p.AccountID {
		return true
	}
	if ok, err := s.st.Mentioned(ctx, p.ID, v.actor.ID); err == nil && ok {
		return true
	}
	if p.Visibility == store.Private {
		ok, err := s.st.IsFollowing(ctx, v.actor.ID, p.AccountID)
		return err == nil && ok
	}
	return false
}

// requestViewer is who a web, ActivityPub or media request comes from: the owner when it carries
// their session, else the actor whose signature on it verifies, else anonymous. Bearer tokens
// are for the client API only (apiViewer).
func (s *Server) requestViewer(r *http.Request) viewer {
	if s.session(r) != nil {
		return viewer{owner: true}
	}
	if r.Header.Get("Signature") == "" {
		return viewer{}
	}
	a, err := s.verifyGet(r)
	if err != nil {
		return viewer{}
	}
	return viewer{actor: a}
}

// apiViewer is who a client API request comes from: the owner when apiAuth admitted a token of
// theirs, else anonymous. The scopes were checked by the route (apiAuth refuses a token that
// does not cover the route's scope, also on the routes where a token is optional), so a token
// without a read scope never reaches a route that reads posts. Routes that take no token have
// none in their context, and answer everyone as anonymous.
func apiViewer(ctx context.Context) viewer {
	t, _ := ctx.Value(apiTokenKey{}).(*store.Token)
	return viewer{owner: t != nil && t.Owner}
}

// The media files of a followers-only or direct post are served to whoever may see the post, but
// the requests that load them rarely prove who asks: Mastodon fetches a remote attachment with an
// unsigned GET, and phone apps load images without their token. So the URLs handed to a viewer
// who may see such a post (the Note and its activities delivered or served to the audience, the
// owner's API statuses and pages) carry a capability: the HMAC of the file's name under a key
// the server keeps (mediaKeyName), verified by showMedia. The token depends on the name alone,
// so an edit keeps the URLs that remote servers cached; it opens the file of a deleted post to
// nobody.

// mediaKeyName names the key of the media capability URLs in the store's secrets.
const mediaKeyName = "media_url_key"

// mediaToken is the capability token of the media file called name.
func (s *Server) mediaToken(name string) string {
	mac := hmac.New(sha256.New, s.mediaKey)
	mac.Write([]byte("media:" + name))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// validMediaToken reports whether token is the capability token of the file called name.
func (s *Server) validMediaToken(name, token string) bool {
	return token != "" && hmac.Equal([]byte(token), []byte(s.mediaToken(name)))
}

// postMediaURL is the URL of one of p's files (u, as stored in the post) as handed to a viewer
// who may see p: with its capability token when p is one of the owner's non-public posts and u
// one of Roost's media files, else u unchanged.
func (s *Server) postMediaURL(p *store.Post, u string) string {
	if visibleToPublic(p) || p.AccountID != s.owner.Account.ID {
		return u
	}
	name, ok := strings.CutPrefix(u, s.base+"/media/")
	if !ok || !media.ValidName(name) {
		return u
	}
	return u + "?k=" + s.mediaToken(name)
}
