package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"roost/store"
)

// The answers the handlers still in this package share, left here when the federation surface
// (which has its own) moved to server/federation.

func writeJSON(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

func jsonError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	writeJSON(w, r, status, "application/json; charset=utf-8", map[string]string{"error": msg})
}

func (s *Server) notFoundOr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r)
		return
	}
	s.serverError(w, r, err)
}
