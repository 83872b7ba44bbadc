package server

import (
	"log/slog"
	"net/http"
	"strings"

	"roost/server/activitypub"
	"roost/server/app"
)

// notFound answers 404 in the form the client asked for: JSON for the client API and ActivityPub
// clients, the web's page for people.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		apiError(w, http.StatusNotFound, "Record not found") // the client API always answers JSON
		return
	}
	if activitypub.WantsJSON(r.Header.Get("Accept")) {
		jsonError(w, r, http.StatusNotFound, "not found")
		return
	}
	s.web.NotFoundPage(w, r)
}

// serverError logs err and answers 500 without revealing it.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// ownerMessage turns an error of an owner's action into text for the client API: the core's
// message for the errors it types (app.ErrorOf); any other error is logged and becomes a generic
// sentence.
func (s *Server) ownerMessage(err error) string {
	kind, msg := app.ErrorOf(err)
	if kind == app.Internal {
		s.log.Error("owner action", slog.Any("err", err))
		return "something went wrong; see the server log"
	}
	return msg
}

// uploadMessage is ownerMessage for the errors of saving an upload (app.UploadErrorOf).
func (s *Server) uploadMessage(err error) string {
	if kind, msg := app.UploadErrorOf(err); kind != app.Internal {
		return msg
	}
	return s.ownerMessage(err)
}
