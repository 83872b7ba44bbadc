package server

import (
	"net/http"
	"strings"
)

// refuseDeleted answers 410 Gone for everything of a deleted account: its pages, its API, its
// inbox and WebFinger. While the Delete of the actor is still being delivered, the actor
// document (with the key that signs the Delete) stays, so that peers can verify it; once the
// data is wiped it is gone too. The health check and static files stay.
func (s *Server) refuseDeleted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.transfer.Deleting() || r.URL.Path == "/healthz" || strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		actor := "/users/" + s.app.Owner.Account.Username
		if !s.transfer.Wiped() && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
			(r.URL.Path == actor || r.URL.Path == "/actor") {
			next.ServeHTTP(w, r)
			return
		}
		http.Error(w, "this account was deleted", http.StatusGone)
	})
}
