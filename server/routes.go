package server

import (
	"net/http"
)

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()

	// Discovery and ActivityPub.
	s.fed.Mount(mux)

	// Mastodon client API.
	s.mastodonRoutes(mux)

	// OAuth 2 (Mastodon client API).
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.oauthMetadata)
	mux.HandleFunc("OPTIONS /api/", s.apiPreflight)
	mux.HandleFunc("OPTIONS /oauth/token", s.apiPreflight)
	mux.HandleFunc("OPTIONS /oauth/revoke", s.apiPreflight)
	mux.HandleFunc("POST /api/v1/apps", s.apiCreateApp)
	mux.HandleFunc("GET /api/v1/apps/verify_credentials", s.apiAuth("", s.apiVerifyApp))
	mux.HandleFunc("GET /oauth/authorize", s.signedIn(s.showAuthorize))
	mux.HandleFunc("POST /oauth/authorize", s.signedIn(s.answerAuthorize))
	mux.HandleFunc("POST /oauth/token", s.oauthToken)
	mux.HandleFunc("POST /oauth/revoke", s.oauthRevoke)
	mux.HandleFunc("GET /settings/apps", s.signedIn(s.showApps))
	mux.HandleFunc("POST /settings/apps/revoke", s.signedIn(s.revokeApp))

	// Public pages.
	mux.HandleFunc("GET /{$}", s.showHome)
	// ServeMux wildcards are whole segments, so /@name arrives as {at} and is checked there.
	mux.HandleFunc("GET /{at}", s.showProfile)
	mux.HandleFunc("GET /{at}/{id}", s.showPostPage)
	mux.HandleFunc("GET /tags/{tag}", s.showTag)
	mux.HandleFunc("GET /users/{name}/feed.atom", s.showAtom)
	mux.HandleFunc("GET /users/{name}/feed.rss", s.showRSS)
	mux.HandleFunc("GET /remote-follow", s.remoteFollow)
	mux.Handle("GET /static/{file}", s.assets)
	mux.HandleFunc("GET /media/{name}", s.showMedia)
	mux.HandleFunc("GET /proxy/{sig}", s.showProxied)
	// The owner's interface.
	mux.HandleFunc("GET /login", s.showLogin)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.signedIn(s.logout))
	mux.HandleFunc("GET /home", s.signedIn(s.showHomeTimeline))
	mux.HandleFunc("GET /compose", s.signedIn(s.showCompose))
	mux.HandleFunc("POST /compose", s.signedIn(s.savePost))
	mux.HandleFunc("POST /like", s.signedIn(s.postAction(s.app.Like, "Liked.")))
	mux.HandleFunc("POST /unlike", s.signedIn(s.postAction(s.app.Unlike, "Like taken back.")))
	mux.HandleFunc("POST /boost", s.signedIn(s.postAction(s.app.Boost, "Boosted.")))
	mux.HandleFunc("POST /vote", s.signedIn(s.voteAction))
	mux.HandleFunc("POST /unboost", s.signedIn(s.postAction(s.app.Unboost, "Boost taken back.")))
	mux.HandleFunc("POST /delete", s.signedIn(s.postAction(s.deleteAction, "Deleted.")))
	mux.HandleFunc("GET /notifications", s.signedIn(s.showNotifications))
	mux.HandleFunc("POST /requests/approve", s.signedIn(s.answerRequest(true)))
	mux.HandleFunc("POST /requests/reject", s.signedIn(s.answerRequest(false)))
	mux.HandleFunc("GET /search", s.signedIn(s.search))
	mux.HandleFunc("GET /account", s.signedIn(s.showAccount))
	mux.HandleFunc("POST /follow", s.signedIn(s.accountAction(s.app.Follow, "Follow request sent.")))
	mux.HandleFunc("POST /unfollow", s.signedIn(s.accountAction(s.app.Unfollow, "Unfollowed.")))
	mux.HandleFunc("POST /remove-follower", s.signedIn(s.accountAction(s.app.RejectFollower, "Follower removed.")))
	mux.HandleFunc("POST /block", s.signedIn(s.accountAction(s.app.BlockAccount, "Blocked.")))
	mux.HandleFunc("POST /unblock", s.signedIn(s.accountAction(s.app.UnblockAccount, "Unblocked.")))
	mux.HandleFunc("POST /mute", s.signedIn(s.accountAction(s.app.MuteAccount(true), "Muted.")))
	mux.HandleFunc("POST /unmute", s.signedIn(s.accountAction(s.app.MuteAccount(false), "Unmuted.")))
	mux.HandleFunc("POST /bookmark", s.signedIn(s.postAction(s.app.BookmarkPost(true), "Bookmarked.")))
	mux.HandleFunc("POST /unbookmark", s.signedIn(s.postAction(s.app.BookmarkPost(false), "Bookmark removed.")))
	mux.HandleFunc("GET /bookmarks", s.signedIn(s.showBookmarks))
	mux.HandleFunc("POST /pin", s.signedIn(s.postAction(s.app.PinPost(true), "Pinned to your profile.")))
	mux.HandleFunc("POST /unpin", s.signedIn(s.postAction(s.app.PinPost(false), "Unpinned.")))
	mux.HandleFunc("GET /edit", s.signedIn(s.showEdit))
	mux.HandleFunc("POST /edit", s.signedIn(s.saveEdit))
	mux.HandleFunc("GET /settings/profile", s.signedIn(s.showProfileEdit))
	mux.HandleFunc("POST /settings/profile", s.signedIn(s.saveProfile))
	mux.HandleFunc("POST /settings/domain-blocks", s.signedIn(s.blockDomain))
	mux.HandleFunc("POST /settings/move", s.signedIn(s.moveAccount))
	mux.HandleFunc("POST /settings/domain-blocks/remove", s.signedIn(s.unblockDomain))
	mux.HandleFunc("GET /settings/password", s.signedIn(s.showPassword))
	mux.HandleFunc("POST /settings/password", s.signedIn(s.changePassword))
	mux.HandleFunc("GET /status", s.signedIn(s.showStatus))

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/", s.notFound)

	// Cross-origin browser POSTs are refused everywhere (the CSRF tokens of the owner's forms are a
	// second line); server-to-server POSTs carry no Origin or Sec-Fetch-Site and pass.
	cop := http.NewCrossOriginProtection()
	// The client API takes bearer tokens, never cookies, so a cross-origin request (a web app
	// such as Elk or Phanpy) cannot ride the owner's session there.
	cop.AddInsecureBypassPattern("/api/")
	cop.AddInsecureBypassPattern("POST /oauth/token")
	cop.AddInsecureBypassPattern("POST /oauth/revoke")
	return s.secureHeaders(cop.Handler(mux))
}

// secureHeaders sets the headers every answer carries: a strict Content-Security-Policy (no
// inline script or style anywhere), no sniffing, no framing, no referrer leaks.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		img := "'self' https: data:"
		if s.cfg.MediaProxy {
			img = "'self' data:" // remote images come through the proxy
		}
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src "+img+"; "+
			"script-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if s.cfg.Scheme == "https" {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r)
	})
}
