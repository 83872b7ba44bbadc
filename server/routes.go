package server

import (
	"net/http"
)

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()

	// Discovery.
	mux.HandleFunc("GET /.well-known/webfinger", s.webfinger)
	mux.HandleFunc("GET /.well-known/host-meta", s.hostMeta)
	mux.HandleFunc("GET /.well-known/host-meta.json", s.hostMetaJSON)
	mux.HandleFunc("GET /.well-known/nodeinfo", s.nodeinfoDiscovery)
	mux.HandleFunc("GET /nodeinfo/{version}", s.nodeinfo)
	mux.HandleFunc("GET /authorize_interaction", s.authorizeInteraction)

	// ActivityPub.
	mux.HandleFunc("GET /actor", s.showInstanceActor)
	mux.HandleFunc("POST /actor/inbox", s.postInbox)
	mux.HandleFunc("POST /inbox", s.postInbox)
	mux.HandleFunc("GET /users/{name}", s.showActor)
	mux.HandleFunc("POST /users/{name}/inbox", s.postInbox)
	mux.HandleFunc("GET /users/{name}/outbox", s.showOutbox)
	mux.HandleFunc("GET /users/{name}/followers", s.showFollowers)
	mux.HandleFunc("GET /users/{name}/following", s.showFollowing)
	mux.HandleFunc("GET /users/{name}/collections/featured", s.showFeatured)
	mux.HandleFunc("GET /users/{name}/collections/tags", s.showFeaturedTags)
	mux.HandleFunc("GET /users/{name}/statuses/{id}", s.showPost)
	mux.HandleFunc("GET /users/{name}/statuses/{id}/activity", s.showCreate)
	mux.HandleFunc("GET /users/{name}/statuses/{id}/replies", s.showReplies)
	mux.HandleFunc("GET /users/{name}/activities/{id}", s.showActivity)

	// Public pages.
	mux.HandleFunc("GET /{$}", s.showHome)
	// ServeMux wildcards are whole segments, so /@name arrives as {at} and is checked there.
	mux.HandleFunc("GET /{at}", s.showProfile)
	mux.HandleFunc("GET /{at}/{id}", s.showPostPage)
	mux.Handle("GET /static/{file}", s.assets)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/", s.notFound)

	return s.secureHeaders(mux)
}

// secureHeaders sets the headers every answer carries: a strict Content-Security-Policy (no
// inline script or style anywhere), no sniffing, no framing, no referrer leaks.
func (s *Server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' https: data:; "+
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
