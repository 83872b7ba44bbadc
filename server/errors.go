package server

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"roost/server/activitypub"
	"roost/templates"
)

// notFound answers 404 in the form the client asked for: JSON for ActivityPub clients, a page for
// people.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		apiError(w, http.StatusNotFound, "Record not found") // the client API always answers JSON
		return
	}
	if activitypub.WantsJSON(r.Header.Get("Accept")) {
		jsonError(w, r, http.StatusNotFound, "not found")
		return
	}
	s.render(w, r, http.StatusNotFound, templates.NotFoundPage(s.page("Not found")))
}

// serverError logs err and answers 500 without revealing it.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	http.Error(w, "internal error", http.StatusInternalServerError)
}

func (s *Server) render200(w http.ResponseWriter, r *http.Request, c templ.Component) {
	s.render(w, r, http.StatusOK, c)
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if err := c.Render(r.Context(), w); err != nil {
		s.log.Error("render page", slog.String("path", r.URL.Path), slog.Any("err", err))
	}
}
