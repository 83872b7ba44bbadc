package server

import (
	"log/slog"
	"net/http"
	"strings"

	"roost/server/activitypub"
	"roost/server/federation"
	"roost/server/mastoapi"
)

// notFound answers 404 in the form the client asked for: JSON for the client API and ActivityPub
// clients, the web's page for people.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		mastoapi.NotFound(w, r) // the client API always answers JSON
		return
	}
	if activitypub.WantsJSON(r.Header.Get("Accept")) {
		federation.JSONError(w, r, http.StatusNotFound, "not found")
		return
	}
	s.web.NotFoundPage(w, r)
}

// serverError logs err and answers 500 without revealing it.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	http.Error(w, "internal error", http.StatusInternalServerError)
}
