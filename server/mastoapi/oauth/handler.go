// Package oauth serves OAuth 2's JSON side for the client API (app registration, tokens,
// revocation, the metadata document) and the bearer-token middleware that admits the API's
// requests and puts their token in the request's context.
package oauth

import (
	"log/slog"
	"net/http"

	"roost/server/app"
	"roost/server/clientip"
	"roost/store"
)

// Handler serves OAuth's JSON endpoints and checks the client API's bearer tokens.
type Handler struct {
	app *app.App
	st  *store.Store
	log *slog.Logger
	// appRegistrations limits POST /api/v1/apps per client address.
	appRegistrations clientip.Limiter
}

// New builds the OAuth Handler over the core.
func New(core *app.App, st *store.Store, log *slog.Logger) *Handler {
	return &Handler{
		app:              core,
		st:               st,
		log:              log,
		appRegistrations: clientip.Limiter{N: appsPerAddress, Window: appsWindow, MaxKeys: 10_000},
	}
}

// Mount registers OAuth's JSON endpoints and app registration on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", h.oauthMetadata)
	mux.HandleFunc("POST /api/v1/apps", h.apiCreateApp)
	mux.HandleFunc("GET /api/v1/apps/verify_credentials", h.Auth("", h.apiVerifyApp))
	mux.HandleFunc("POST /oauth/token", h.oauthToken)
	mux.HandleFunc("POST /oauth/revoke", h.oauthRevoke)
}

// serverError logs err and answers 500 in JSON without revealing it.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	Error(w, http.StatusInternalServerError, "internal error")
}
