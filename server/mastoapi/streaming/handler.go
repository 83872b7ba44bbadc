// Package streaming serves the Mastodon streaming API (server-sent events and a WebSocket) over
// the core's event hub, rendering what it sends as the client API does.
package streaming

import (
	"log/slog"
	"net/http"

	"roost/server/app"
	"roost/server/mastoapi/oauth"
	"roost/server/mastoapi/render"
	"roost/store"
)

// Handler serves the streaming API.
type Handler struct {
	app     *app.App
	st      *store.Store
	log     *slog.Logger
	auth    *oauth.Handler // admits a stream's token
	render  *render.Renderer
	types   []string       // the types of notifications the API shows
	streams streamShutdown // ends the streams when their http.Server shuts down
}

// New builds the streaming API's Handler over the core; auth checks the streams' tokens, render
// renders what they send, and types are the notifications' types the API shows.
func New(core *app.App, st *store.Store, log *slog.Logger, auth *oauth.Handler, render *render.Renderer, types []string) *Handler {
	return &Handler{
		app:     core,
		st:      st,
		log:     log,
		auth:    auth,
		render:  render,
		types:   types,
		streams: streamShutdown{done: map[*http.Server]chan struct{}{}},
	}
}

// serverError logs err and answers 500 in JSON without revealing it.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	oauth.Error(w, http.StatusInternalServerError, "internal error")
}
