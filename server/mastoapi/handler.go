// Package mastoapi serves the Mastodon client API to the apps the owner signs in with, over the
// core (server/app); its streaming (mastoapi/streaming) and OAuth's JSON side with the bearer-token
// middleware (mastoapi/oauth) are sub-packages that its Mount mounts.
package mastoapi

import (
	"log/slog"
	"net/http"

	"roost/server/app"
	"roost/server/mastoapi/oauth"
	"roost/server/mastoapi/render"
	"roost/server/mastoapi/streaming"
	"roost/server/media"
	"roost/static"
	"roost/store"
	"roost/store/access"
)

// Config is what the client API needs to know about where it runs.
type Config struct {
	// Domain is the host the server is reached at; HandleDomain the domain of the owner's handle.
	Domain, HandleDomain string
	// Version is the build's version, shown in the instance's version string.
	Version string
	// MaxUploadBytes is the largest image the owner may upload.
	MaxUploadBytes int64
}

// Handler serves the Mastodon client API, its streaming and OAuth's JSON endpoints.
type Handler struct {
	cfg     Config
	app     *app.App
	st      *store.Store
	log     *slog.Logger
	assets  *static.Assets
	media   *media.Library
	oauth   *oauth.Handler     // OAuth's JSON endpoints and the bearer-token middleware
	streams *streaming.Handler // the streaming API
	render  *render.Renderer   // rows as the API's entities
}

// New builds the client API's Handler over the core. proxy may be nil (the media proxy is off).
func New(cfg Config, core *app.App, st *store.Store, log *slog.Logger, assets *static.Assets, proxy *media.Proxy) *Handler {
	h := &Handler{
		cfg:    cfg,
		app:    core,
		st:     st,
		log:    log,
		assets: assets,
		media:  core.Media,
		oauth:  oauth.New(core, st, log),
		render: render.New(core, st, assets, proxy),
	}
	h.streams = streaming.New(core, st, log, h.oauth, h.render, notificationTypes)
	return h
}

// Mount registers the client API's routes and OAuth's JSON endpoints on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	h.mastodonRoutes(mux)
	h.oauth.Mount(mux)
}

// apiAuth wraps a handler of the API in the bearer-token check (see oauth.Handler.Auth).
func (h *Handler) apiAuth(scope string, next http.HandlerFunc) http.HandlerFunc {
	return h.oauth.Auth(scope, next)
}

// apiAuthQuery is apiAuth for the streaming endpoints (see oauth.Handler.AuthQuery).
func (h *Handler) apiAuthQuery(scope string, next http.HandlerFunc) http.HandlerFunc {
	return h.oauth.AuthQuery(scope, next)
}

// Auth is apiAuth for a handler outside the client API's routes.
func (h *Handler) Auth(scope string, next http.HandlerFunc) http.HandlerFunc {
	return h.oauth.Auth(scope, next)
}

// AuthQuery is apiAuthQuery for a handler outside the client API's routes.
func (h *Handler) AuthQuery(scope string, next http.HandlerFunc) http.HandlerFunc {
	return h.oauth.AuthQuery(scope, next)
}

// Token returns the token of a request that Auth or AuthQuery let through (nil otherwise).
func Token(r *http.Request) *access.Token { return oauth.Token(r) }

// apiToken returns the request's token (nil outside apiAuth).
func apiToken(r *http.Request) *access.Token { return oauth.Token(r) }

// apiError writes {"error": msg} with status as JSON.
func apiError(w http.ResponseWriter, status int, msg string) { oauth.Error(w, status, msg) }

// NotFound answers a request under /api/ that no route takes, in JSON as the client API always does.
func NotFound(w http.ResponseWriter, r *http.Request) {
	apiError(w, http.StatusNotFound, "Record not found")
}
