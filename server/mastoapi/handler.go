// Package mastoapi serves the Mastodon client API, its streaming, and OAuth's JSON side (app
// registration, tokens, revocation) to the apps the owner signs in with, over the core (server/app).
package mastoapi

import (
	"log/slog"
	"net/http"

	"roost/server/app"
	"roost/server/clientip"
	"roost/server/media"
	"roost/static"
	"roost/store"
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

// Handler serves the Mastodon client API and OAuth's JSON endpoints.
type Handler struct {
	cfg     Config
	app     *app.App
	st      *store.Store
	log     *slog.Logger
	assets  *static.Assets
	media   *media.Library
	proxy   *media.Proxy   // nil: remote images are shown from their origin
	streams streamShutdown // ends the streams when their http.Server shuts down
	// appRegistrations limits POST /api/v1/apps per client address.
	appRegistrations clientip.Limiter
}

// New builds the client API's Handler over the core. proxy may be nil (the media proxy is off).
func New(cfg Config, core *app.App, st *store.Store, log *slog.Logger, assets *static.Assets, proxy *media.Proxy) *Handler {
	return &Handler{
		cfg:              cfg,
		app:              core,
		st:               st,
		log:              log,
		assets:           assets,
		media:            core.Media,
		proxy:            proxy,
		streams:          streamShutdown{done: map[*http.Server]chan struct{}{}},
		appRegistrations: clientip.Limiter{N: appsPerAddress, Window: appsWindow, MaxKeys: 10_000},
	}
}

// Mount registers the client API's routes and OAuth's JSON endpoints on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	h.mastodonRoutes(mux)

	mux.HandleFunc("GET /.well-known/oauth-authorization-server", h.oauthMetadata)
	mux.HandleFunc("POST /api/v1/apps", h.apiCreateApp)
	mux.HandleFunc("GET /api/v1/apps/verify_credentials", h.apiAuth("", h.apiVerifyApp))
	mux.HandleFunc("POST /oauth/token", h.oauthToken)
	mux.HandleFunc("POST /oauth/revoke", h.oauthRevoke)
}

// NotFound answers a request under /api/ that no route takes, in JSON as the client API always does.
func NotFound(w http.ResponseWriter, r *http.Request) {
	apiError(w, http.StatusNotFound, "Record not found")
}

// imageSrc is the URL a client uses to show a remote image: the media proxy's, when it is on.
func (h *Handler) imageSrc(u string) string { return h.app.ImageSrc(h.proxy, u) }
