// Package federation serves Roost to other servers: the inbox POST, the owner's actor and the
// instance actor, the owner's posts and activities, their collections, and discovery (WebFinger,
// host-meta, NodeInfo).
package federation

import (
	"log/slog"
	"net/http"

	"roost/server/app"
	"roost/store"
)

// Config is what the federation surface needs to know about where it runs.
type Config struct {
	// Domain is the host (and port) the server is reached at; signatures must name it.
	Domain string
	// HandleDomain is the domain of the owner's handle (@me@example.com).
	HandleDomain string
	// Version is the build's version, shown in NodeInfo.
	Version string
}

// Handler answers the federation routes (Mount) over the core.
type Handler struct {
	cfg Config
	app *app.App
	st  *store.Store
	log *slog.Logger
	// notFound answers 404 as the rest of the server does: JSON to ActivityPub clients, a page to
	// people.
	notFound http.HandlerFunc

	// inboxBytes is the memory the inbox bodies being read and checked may take.
	inboxBytes byteBudget
}

// New returns the federation surface of core. notFound answers what is not there (the page
// people see comes from the web surface, so the composition root passes it in).
func New(cfg Config, core *app.App, st *store.Store, log *slog.Logger, notFound http.HandlerFunc) *Handler {
	h := &Handler{cfg: cfg, app: core, st: st, log: log, notFound: notFound}
	h.inboxBytes.limit = inboxBodyBudget
	return h
}

// Mount registers the discovery and ActivityPub routes on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	// Discovery.
	mux.HandleFunc("GET /.well-known/webfinger", h.webfinger)
	mux.HandleFunc("GET /.well-known/host-meta", h.hostMeta)
	mux.HandleFunc("GET /.well-known/host-meta.json", h.hostMetaJSON)
	mux.HandleFunc("GET /.well-known/nodeinfo", h.nodeinfoDiscovery)
	mux.HandleFunc("GET /nodeinfo/{version}", h.nodeinfo)
	mux.HandleFunc("GET /authorize_interaction", h.authorizeInteraction)

	// ActivityPub.
	mux.HandleFunc("GET /actor", h.showInstanceActor)
	mux.HandleFunc("GET /actor/outbox", h.showInstanceOutbox)
	mux.HandleFunc("POST /actor/inbox", h.postInbox)
	mux.HandleFunc("POST /inbox", h.postInbox)
	mux.HandleFunc("GET /users/{name}", h.ShowActor)
	mux.HandleFunc("POST /users/{name}/inbox", h.postInbox)
	mux.HandleFunc("GET /users/{name}/outbox", h.showOutbox)
	mux.HandleFunc("GET /users/{name}/followers", h.showFollowers)
	mux.HandleFunc("GET /users/{name}/following", h.showFollowing)
	mux.HandleFunc("GET /users/{name}/collections/featured", h.showFeatured)
	mux.HandleFunc("GET /users/{name}/collections/tags", h.showFeaturedTags)
	mux.HandleFunc("GET /users/{name}/statuses/{id}", h.ShowPost)
	mux.HandleFunc("GET /users/{name}/statuses/{id}/activity", h.showCreate)
	mux.HandleFunc("GET /users/{name}/statuses/{id}/replies", h.showReplies)
	mux.HandleFunc("GET /users/{name}/statuses/{id}/context", h.showContext)
	mux.HandleFunc("GET /users/{name}/activities/{id}", h.showActivity)
}

// fail answers a request that err ended, the one way this surface maps the core's errors: what
// is not found (or not the requester's to see) is 404, anything else is logged and answered 500
// without revealing it. The inbox answers its own statuses (inboxError).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if k, _ := app.ErrorOf(err); k == app.NotFound {
		h.notFound(w, r)
		return
	}
	h.log.Error("request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	http.Error(w, "internal error", http.StatusInternalServerError)
}
