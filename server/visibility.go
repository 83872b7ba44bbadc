package server

import (
	"context"
	"net/http"

	"roost/server/app"
	"roost/store"
)

// Who may see a post: the one rule every surface asks (ActivityPub objects and collections, the
// pages and feeds, the client API, the streams, the media files). It is Mastodon's: public and
// unlisted posts are for everyone; a followers-only post for the author's followers and the
// accounts it mentions; a direct post for the accounts it mentions; every post for its author.
// The owner sees everything Roost stores, since on a single-user server that is what was
// delivered to them or fetched for them.

// requestViewer is who a web, ActivityPub or media request comes from: the owner when it carries
// their session, else the actor whose signature on it verifies, else anonymous. Bearer tokens
// are for the client API only (apiViewer).
func (s *Server) requestViewer(r *http.Request) app.Viewer {
	if s.session(r) != nil {
		return app.Viewer{Owner: true}
	}
	if r.Header.Get("Signature") == "" {
		return app.Viewer{}
	}
	a, err := s.verifyGet(r)
	if err != nil {
		return app.Viewer{}
	}
	return app.Viewer{Actor: a}
}

// apiViewer is who a client API request comes from: the owner when apiAuth admitted a token of
// theirs, else anonymous. The scopes were checked by the route (apiAuth refuses a token that
// does not cover the route's scope, also on the routes where a token is optional), so a token
// without a read scope never reaches a route that reads posts. Routes that take no token have
// none in their context, and answer everyone as anonymous.
func apiViewer(ctx context.Context) app.Viewer {
	t, _ := ctx.Value(apiTokenKey{}).(*store.Token)
	return app.Viewer{Owner: t != nil && t.Owner}
}

// The media files of a followers-only or direct post are served to whoever may see the post, but
// the requests that load them rarely prove who asks: Mastodon fetches a remote attachment with an
// unsigned GET, and phone apps load images without their token. So the URLs handed to a viewer
// who may see such a post (the Note and its activities delivered or served to the audience, the
// owner's API statuses and pages) carry a capability: the HMAC of the file's name under a key
// the server keeps (mediaKeyName), verified by showMedia. The token depends on the name alone,
// so an edit keeps the URLs that remote servers cached; it opens the file of a deleted post to
// nobody.
