// Package streaming serves the Mastodon streaming API (server-sent events and a WebSocket) over
// the core's event hub, rendering what it sends as the client API does.
package streaming

import (
	"context"
	"log/slog"
	"net/http"

	"roost/server/app"
	"roost/server/mastoapi/oauth"
	"roost/server/mastodon"
	"roost/store"
)

// Renderer is how the client API renders what a stream sends: its statuses and notifications.
type Renderer struct {
	// Status renders a post for the owner; Entry a row of the home timeline (a post or a boost).
	Status func(context.Context, *store.Post) (*mastodon.Status, error)
	Entry  func(context.Context, store.Entry) (*mastodon.Status, error)
	// Notification renders a notification; NotificationTypes are the types the API shows.
	Notification      func(context.Context, store.Notification) (*mastodon.Notification, error)
	NotificationTypes []string
}

// Handler serves the streaming API.
type Handler struct {
	app     *app.App
	st      *store.Store
	log     *slog.Logger
	auth    *oauth.Handler // admits a stream's token
	render  Renderer
	streams streamShutdown // ends the streams when their http.Server shuts down
}

// New builds the streaming API's Handler over the core; auth checks the streams' tokens and
// render renders what they send.
func New(core *app.App, st *store.Store, log *slog.Logger, auth *oauth.Handler, render Renderer) *Handler {
	return &Handler{
		app:     core,
		st:      st,
		log:     log,
		auth:    auth,
		render:  render,
		streams: streamShutdown{done: map[*http.Server]chan struct{}{}},
	}
}

// serverError logs err and answers 500 in JSON without revealing it.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	oauth.Error(w, http.StatusInternalServerError, "internal error")
}
